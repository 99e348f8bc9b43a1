"""Convolution layers: `Conv1D`, `Conv2D`, `Conv3D`, each one `jeras.ops.conv`.

Kernels are laid out as Keras lays them out, spatial dims then `(in_channels // groups, filters)`,
so weights move between jeras and Keras with `set_weights` unchanged.
"""

import jax.numpy as jnp

from jeras import activations
from jeras.backend import config as backend_config
from jeras.layers.input_spec import InputSpec, assert_input_compatibility
from jeras.layers.kernel_and_bias import add_kernel_and_bias, set_kernel_and_bias_options
from jeras.layers.layer import Layer
from jeras.ops import nn
from jeras.saving.serialization import serialize_keras_object


class _Conv(Layer):
    """The N-d convolution shared by `Conv1D`, `Conv2D` and `Conv3D` (`rank` spatial dims)."""

    rows_independent = True  # see Layer.rows_independent

    rank = None
    # Measured: a Conv2D train step inside `lax.scan` runs about 8x slower on XLA:CPU than
    # the same step compiled on its own (benchmarks/, mnist_convnet).
    slower_in_cpu_loops = True

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        groups=1,
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
        kind = type(self).__name__
        rank = self.rank
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"{kind} layer {self.name!r}: `filters` must be a positive integer, got "
                f"{filters!r}."
            )
        if not isinstance(groups, int) or isinstance(groups, bool) or groups <= 0:
            raise ValueError(
                f"{kind} layer {self.name!r}: `groups` must be a positive integer, got {groups!r}."
            )
        if filters % groups:
            raise ValueError(
                f"{kind} layer {self.name!r}: `filters` ({filters}) must be divisible by "
                f"`groups` ({groups})."
            )
        self.filters = filters
        self.groups = groups
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", self.name)
        self.strides = standardize_tuple(strides, rank, "strides", self.name)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", self.name)
        allowed = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        self.padding = standardize_padding(padding, allowed, self.name)
        self.data_format = standardize_data_format(data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            # Keras refuses the combination too; XLA would compute it, but Keras users never
            # get models that rely on it.
            raise ValueError(
                f"{kind} layer {self.name!r}: `strides > 1` cannot be combined with "
                f"`dilation_rate > 1`; got strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}."
            )
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
        # The rank is checked before any weight exists: a wrong-rank input must not leave a
        # half-built layer behind with a kernel sized from the wrong axis.
        assert_input_compatibility(self.input_spec, input_shape, self.name)
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the channel dimension of the input "
                f"must be known (data_format={self.data_format!r}), got input shape "
                f"{input_shape}."
            )
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the number of input channels "
                f"({channels}) must be divisible by `groups` ({self.groups}); input shape "
                f"{input_shape}."
            )
        self._output_spatial_shape(input_shape)
        kernel_shape = self.kernel_size + (channels // self.groups, self.filters)
        add_kernel_and_bias(self, kernel_shape, (self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def _check_inputs(self, inputs):
        super()._check_inputs(inputs)
        # A too-small input fails here with the layer's name and the shape the user wrote (the
        # symbolic one, not the probe sizes a traced call sees), not as an empty array later.
        self._output_spatial_shape(tuple(inputs.shape))

    def call(self, inputs):
        padding = self.padding.upper()
        if self.padding == "causal":
            # Causal = pad only the past, so output t sees inputs <= t.
            pad = [(0, 0)] * inputs.ndim
            pad[1 if self.data_format == "channels_last" else 2] = (
                self.dilation_rate[0] * (self.kernel_size[0] - 1),
                0,
            )
            inputs = jnp.pad(inputs, pad)
            padding = "VALID"
        outputs = nn.conv(
            inputs,
            self.kernel.value.astype(inputs.dtype),
            strides=self.strides,
            padding=padding.lower(),
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        if self.bias is not None:
            bias = self.bias.value.astype(outputs.dtype)
            if self.data_format == "channels_first":
                bias = bias.reshape((self.filters,) + (1,) * self.rank)
            outputs = outputs + bias
        return self.activation(outputs)

    def _output_spatial_shape(self, input_shape):
        if self.data_format == "channels_last":
            spatial = input_shape[1:-1]
        else:
            spatial = input_shape[2:]
        sizes = []
        for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            if size is None:
                sizes.append(None)
                continue
            span = d * (k - 1) + 1
            if self.padding == "valid":
                out = (size - span) // s + 1
            else:
                # "same" and "causal" keep ceil(size / stride) positions.
                out = -(-size // s)
            sizes.append(out)
        if any(out is not None and out <= 0 for out in sizes):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: input shape {tuple(input_shape)} is "
                f"too small for kernel_size={self.kernel_size}, dilation_rate="
                f"{self.dilation_rate}, strides={self.strides} and padding={self.padding!r}; "
                f"the output would have spatial shape {tuple(sizes)}."
            )
        return tuple(sizes)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = self._output_spatial_shape(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (self.filters,)
        return (input_shape[0], self.filters) + spatial

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "data_format": self.data_format,
                "dilation_rate": self.dilation_rate,
                "groups": self.groups,
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


class Conv1D(_Conv):
    """1D convolution over the steps of `(batch, steps, channels)` inputs.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 1 int, the window length.
        strides: int or tuple of 1 int (default 1).
        padding: "valid", "same" or "causal" (left-padded so output t sees inputs <= t).
        data_format: "channels_last" (default) or "channels_first".
        dilation_rate: int or tuple of 1 int (default 1); cannot exceed 1 with strides > 1.
        groups: split the input channels into this many groups, each convolved with
            `filters // groups` filters.
        activation, use_bias, kernel_/bias_initializer, kernel_/bias_/activity_regularizer,
        kernel_/bias_constraint: as in `Dense`.
    """

    rank = 1


class Conv2D(_Conv):
    """2D convolution over `(batch, height, width, channels)` inputs; arguments as `Conv1D`
    with 2-tuples, and padding "valid" or "same"."""

    rank = 2


class Conv3D(_Conv):
    """3D convolution over `(batch, depth, height, width, channels)` inputs; arguments as
    `Conv1D` with 3-tuples, and padding "valid" or "same"."""

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D


# -- argument helpers shared with pooling --------------------------------------------------------
def standardize_tuple(value, n, arg_name, layer_name):
    """An int or an n-sequence of positive ints as an n-tuple of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if (
            values is None
            or len(values) != n
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        ):
            raise ValueError(
                f"Layer {layer_name!r}: `{arg_name}` must be an int or a tuple of {n} ints, got "
                f"{arg_name}={value!r}."
            )
    if any(v <= 0 for v in values):
        raise ValueError(
            f"Layer {layer_name!r}: every value of `{arg_name}` must be > 0, got "
            f"{arg_name}={value!r}."
        )
    return values


def standardize_padding(value, allowed, layer_name):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        raise ValueError(
            f"Layer {layer_name!r}: `padding` must be one of {allowed}, got {value!r}."
        )
    return padding


def standardize_data_format(value):
    if value is None:
        # The global setting, read when the layer is made (as Keras does).
        return backend_config.image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first', got data_format={value!r}."
        )
    return data_format
