"""Depthwise and separable convolutions: `DepthwiseConv1D/2D` (each input channel convolved on
its own with `depth_multiplier` filters) and `SeparableConv1D/2D` (that depthwise step followed
by a 1x1 "pointwise" convolution mixing the channels).

The steps are `jeras.ops.depthwise_conv` and `jeras.ops.conv`. Kernels are laid out as Keras lays them out: depthwise `spatial + (in_channels,
depth_multiplier)`, pointwise `(1,) * rank + (in_channels * depth_multiplier, filters)`.
"""

from jeras import activations, constraints, initializers, regularizers
from jeras.layers.convolution import (
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from jeras.layers.input_spec import InputSpec, assert_input_compatibility
from jeras.layers.layer import Layer
from jeras.ops import nn
from jeras.saving.serialization import serialize_keras_object


class _DepthwiseBase(Layer):
    """Arguments, shapes and the depthwise convolution shared by both families."""

    rank = None
    # Convolutions run several times slower inside `lax.scan` on XLA:CPU (see `_Conv`).
    slower_in_cpu_loops = True

    def __init__(
        self,
        kernel_size,
        strides,
        padding,
        data_format,
        dilation_rate,
        depth_multiplier,
        activation,
        use_bias,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        kind, rank = type(self).__name__, self.rank
        if (
            not isinstance(depth_multiplier, int)
            or isinstance(depth_multiplier, bool)
            or depth_multiplier <= 0
        ):
            raise ValueError(
                f"{kind} layer {self.name!r}: `depth_multiplier` must be a positive integer, got "
                f"{depth_multiplier!r}."
            )
        self.depth_multiplier = depth_multiplier
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", self.name)
        self.strides = standardize_tuple(strides, rank, "strides", self.name)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", self.name)
        self.padding = standardize_padding(padding, ("valid", "same"), self.name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{kind} layer {self.name!r}: `strides > 1` cannot be combined with "
                f"`dilation_rate > 1`; got strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}."
            )
        self.data_format = standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        input_shape = tuple(input_shape)
        assert_input_compatibility(self.input_spec, input_shape, self.name)
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the channel dimension of the input "
                f"must be known (data_format={self.data_format!r}), got input shape "
                f"{input_shape}."
            )
        self._output_spatial_shape(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        return channels

    def _check_inputs(self, inputs):
        super()._check_inputs(inputs)
        self._output_spatial_shape(tuple(inputs.shape))

    def _depthwise(self, inputs, kernel):
        """Each input channel convolved with its own `depth_multiplier` filters."""
        return nn.depthwise_conv(
            inputs,
            kernel.astype(inputs.dtype),
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def _finish(self, outputs):
        if self.bias is not None:
            bias = self.bias.value.astype(outputs.dtype)
            if self.data_format == "channels_first":
                bias = bias.reshape((bias.shape[0],) + (1,) * self.rank)
            outputs = outputs + bias
        return self.activation(outputs)

    def _output_spatial_shape(self, input_shape):
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        sizes = []
        for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            if size is None:
                sizes.append(None)
            elif self.padding == "valid":
                sizes.append((size - (d * (k - 1) + 1)) // s + 1)
            else:
                sizes.append(-(-size // s))
        if any(out is not None and out <= 0 for out in sizes):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: input shape {tuple(input_shape)} is "
                f"too small for kernel_size={self.kernel_size}, dilation_rate="
                f"{self.dilation_rate}, strides={self.strides} and padding={self.padding!r}; "
                f"the output would have spatial shape {tuple(sizes)}."
            )
        return tuple(sizes)

    def _output_shape(self, input_shape, channels_out):
        input_shape = tuple(input_shape)
        spatial = self._output_spatial_shape(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (channels_out,)
        return (input_shape[0], channels_out) + spatial

    def _common_config(self):
        return {
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
        }


class _DepthwiseConv(_DepthwiseBase):
    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding="valid",
        depth_multiplier=1,
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        # Keras names this weight "kernel" (not "depthwise_kernel") in its depthwise layers.
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            name="kernel",
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs):
        return self._finish(self._depthwise(inputs, self.kernel.value))

    def compute_output_shape(self, input_shape):
        channels = tuple(input_shape)[self._channel_axis]
        return self._output_shape(input_shape, channels * self.depth_multiplier)

    def get_config(self):
        return {
            **super().get_config(),
            **self._common_config(),
            "depthwise_initializer": serialize_keras_object(self.depthwise_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "depthwise_regularizer": serialize_keras_object(self.depthwise_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "depthwise_constraint": serialize_keras_object(self.depthwise_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1D convolution: each channel of `(batch, steps, channels)` inputs convolved on
    its own with `depth_multiplier` filters, giving `channels * depth_multiplier` outputs.

    Args:
        kernel_size: int or tuple of 1 int, the window length.
        strides: int or tuple of 1 int (default 1).
        padding: "valid" or "same".
        depth_multiplier: filters per input channel (default 1).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 1 int (default 1); cannot exceed 1 with strides > 1.
        activation: optional activation applied to the output.
        use_bias: whether to add a bias per output channel (default True).
        depthwise_initializer, bias_initializer: initializers of the kernel and bias.
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        depthwise_constraint, bias_constraint: optional constraints.
    """

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2D convolution of `(batch, height, width, channels)` inputs; arguments as
    `DepthwiseConv1D` with 2-tuples.

    Args:
        kernel_size: int or tuple of 2 ints, the window size.
        strides: int or tuple of 2 ints (default 1).
        padding: "valid" or "same".
        depth_multiplier: filters per input channel (default 1).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 2 ints (default 1); cannot exceed 1 with strides > 1.
        activation: optional activation applied to the output.
        use_bias: whether to add a bias per output channel (default True).
        depthwise_initializer, bias_initializer: initializers of the kernel and bias.
        depthwise_regularizer, bias_regularizer, activity_regularizer: optional regularizers.
        depthwise_constraint, bias_constraint: optional constraints.
    """

    rank = 2


class _SeparableConv(_DepthwiseBase):
    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            depth_multiplier,
            activation,
            use_bias,
            activity_regularizer=activity_regularizer,
            **kwargs,
        )
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: `filters` must be a positive "
                f"integer, got {filters!r}."
            )
        self.filters = filters
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            name="depthwise_kernel",
            initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            name="pointwise_kernel",
            initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs):
        depthwise = self._depthwise(inputs, self.depthwise_kernel.value)
        outputs = nn.conv(
            depthwise,
            self.pointwise_kernel.value.astype(depthwise.dtype),
            data_format=self.data_format,
        )
        return self._finish(outputs)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            **self._common_config(),
            "filters": self.filters,
            "depthwise_initializer": serialize_keras_object(self.depthwise_initializer),
            "pointwise_initializer": serialize_keras_object(self.pointwise_initializer),
            "bias_initializer": serialize_keras_object(self.bias_initializer),
            "depthwise_regularizer": serialize_keras_object(self.depthwise_regularizer),
            "pointwise_regularizer": serialize_keras_object(self.pointwise_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "depthwise_constraint": serialize_keras_object(self.depthwise_constraint),
            "pointwise_constraint": serialize_keras_object(self.pointwise_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
        }


class SeparableConv1D(_SeparableConv):
    """Separable 1D convolution: a depthwise convolution of each channel of `(batch, steps,
    channels)` inputs, then a pointwise (size-1) convolution to `filters` outputs.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 1 int, the depthwise window length.
        strides: int or tuple of 1 int (default 1).
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 1 int (default 1); cannot exceed 1 with strides > 1.
        depth_multiplier: depthwise filters per input channel (default 1).
        activation: optional activation applied to the output.
        use_bias: whether to add a bias per output channel (default True).
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: optional regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional constraints.
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Separable 2D convolution of `(batch, height, width, channels)` inputs; arguments as
    `SeparableConv1D` with 2-tuples.

    Args:
        filters: number of output channels.
        kernel_size: int or tuple of 2 ints, the depthwise window size.
        strides: int or tuple of 2 ints (default 1).
        padding: "valid" or "same".
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 2 ints (default 1); cannot exceed 1 with strides > 1.
        depth_multiplier: depthwise filters per input channel (default 1).
        activation: optional activation applied to the output.
        use_bias: whether to add a bias per output channel (default True).
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer: optional regularizers.
        depthwise_constraint, pointwise_constraint, bias_constraint: optional constraints.
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
