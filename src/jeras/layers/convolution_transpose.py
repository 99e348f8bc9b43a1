"""Transposed convolutions: `Conv1DTranspose`, `Conv2DTranspose`, `Conv3DTranspose`.

A transposed convolution is the gradient of a convolution with respect to its input, computed
by `jeras.ops.conv_transpose`. The kernel is laid out as Keras lays it out, spatial dims then
`(filters, in_channels)`, and the output size follows Keras's rule for each padding and
`output_padding`.
"""

from jeras import activations
from jeras.layers.convolution import (
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from jeras.layers.input_spec import InputSpec, assert_input_compatibility
from jeras.layers.kernel_and_bias import add_kernel_and_bias, set_kernel_and_bias_options
from jeras.layers.layer import Layer
from jeras.ops import nn
from jeras.saving.serialization import serialize_keras_object


class _ConvTranspose(Layer):
    """The N-d transposed convolution shared by the three public classes (`rank` spatial dims)."""

    rows_independent = True  # see Layer.rows_independent

    rank = None
    # Convolutions run several times slower inside `lax.scan` on XLA:CPU (see `_Conv`).
    slower_in_cpu_loops = True

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        kind, rank = type(self).__name__, self.rank
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"{kind} layer {self.name!r}: `filters` must be a positive integer, got "
                f"{filters!r}."
            )
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", self.name)
        self.strides = standardize_tuple(strides, rank, "strides", self.name)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", self.name)
        self.padding = standardize_padding(padding, ("valid", "same"), self.name)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = _non_negative_tuple(output_padding, rank, self.name)
            for axis, (extra, stride) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= stride:
                    raise ValueError(
                        f"{kind} layer {self.name!r}: every `output_padding` value must be "
                        f"smaller than the stride along its axis; axis {axis} has "
                        f"output_padding={extra} and strides={stride} (output_padding="
                        f"{self.output_padding}, strides={self.strides})."
                    )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{kind} layer {self.name!r}: `strides > 1` cannot be combined with "
                f"`dilation_rate > 1`; got strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}."
            )
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        set_kernel_and_bias_options(
            self,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
        )
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        assert_input_compatibility(self.input_spec, input_shape, self.name)
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the channel dimension of the input "
                f"must be known (data_format={self.data_format!r}), got input shape "
                f"{input_shape}."
            )
        # Keras's layout: the output channels come before the input channels.
        add_kernel_and_bias(self, self.kernel_size + (self.filters, channels), (self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs):
        outputs = nn.conv_transpose(
            inputs,
            self.kernel.value.astype(inputs.dtype),
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        if self.bias is not None:
            bias = self.bias.value.astype(outputs.dtype)
            if self.data_format == "channels_first":
                bias = bias.reshape((self.filters,) + (1,) * self.rank)
            outputs = outputs + bias
        return self.activation(outputs)

    def _output_size(self, size, axis):
        """Keras's output length along one spatial axis for an input length `size`."""
        if size is None:
            return None
        stride, extra = self.strides[axis], None
        if self.output_padding is not None:
            extra = self.output_padding[axis]
        span = self.dilation_rate[axis] * (self.kernel_size[axis] - 1) + 1
        if self.padding == "valid":
            if extra is None:
                extra = max(span, stride) - span
            return (size - 1) * stride + span + extra
        if extra is None:
            return size * stride
        return (size - 1) * stride + span % 2 + extra

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
        sizes = tuple(self._output_size(size, axis) for axis, size in enumerate(spatial))
        if self.data_format == "channels_last":
            return (input_shape[0],) + sizes + (self.filters,)
        return (input_shape[0], self.filters) + sizes

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "output_padding": self.output_padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": serialize_keras_object(self.kernel_initializer),
                "bias_initializer": serialize_keras_object(self.bias_initializer),
                "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
                "bias_regularizer": serialize_keras_object(self.bias_regularizer),
                "activity_regularizer": serialize_keras_object(self.activity_regularizer),
                "kernel_constraint": serialize_keras_object(self.kernel_constraint),
                "bias_constraint": serialize_keras_object(self.bias_constraint),
            }
        )
        return config


class Conv1DTranspose(_ConvTranspose):
    """1D transposed convolution ("deconvolution") of `(batch, steps, channels)` inputs.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 1 int, the window length.
        strides: int or tuple of 1 int (default 1), the upsampling factor.
        padding: "valid" (output `(steps - 1) * strides + max(kernel, strides)`) or "same"
            (output `steps * strides`).
        output_padding: optional int or tuple of 1 int, smaller than `strides`: the output
            becomes `(steps - 1) * strides + kernel + output_padding` ("valid") or
            `(steps - 1) * strides + kernel % 2 + output_padding` ("same").
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 1 int (default 1); cannot exceed 1 with strides > 1.
        activation: optional activation applied to the output.
        use_bias: whether to add a bias per filter (default True).
        kernel_initializer, bias_initializer: initializers of the kernel and the bias.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        kernel_constraint, bias_constraint: optional constraints.
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """2D transposed convolution of `(batch, height, width, channels)` inputs; arguments as
    `Conv1DTranspose` with 2-tuples.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 2 ints, the window size.
        strides: int or tuple of 2 ints (default 1), the upsampling factors.
        padding: "valid" or "same", as in `Conv1DTranspose`.
        output_padding: optional int or tuple of 2 ints, each smaller than its stride.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 2 ints (default 1); cannot exceed 1 with strides > 1.
        activation: optional activation applied to the output.
        use_bias: whether to add a bias per filter (default True).
        kernel_initializer, bias_initializer: initializers of the kernel and the bias.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        kernel_constraint, bias_constraint: optional constraints.
    """

    rank = 2


class Conv3DTranspose(_ConvTranspose):
    """3D transposed convolution of `(batch, depth, height, width, channels)` inputs;
    arguments as `Conv1DTranspose` with 3-tuples.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 3 ints, the window size.
        strides: int or tuple of 3 ints (default 1), the upsampling factors.
        padding: "valid" or "same", as in `Conv1DTranspose`.
        output_padding: optional int or tuple of 3 ints, each smaller than its stride.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 3 ints (default 1); cannot exceed 1 with strides > 1.
        activation: optional activation applied to the output.
        use_bias: whether to add a bias per filter (default True).
        kernel_initializer, bias_initializer: initializers of the kernel and the bias.
        kernel_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        kernel_constraint, bias_constraint: optional constraints.
    """

    rank = 3


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose


def _non_negative_tuple(value, n, layer_name):
    values = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    if len(values) != n or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values
    ):
        raise ValueError(
            f"Layer {layer_name!r}: `output_padding` must be an int or a tuple of {n} ints >= 0, "
            f"got output_padding={value!r}."
        )
    return values
