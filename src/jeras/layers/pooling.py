"""Pooling layers: windowed max / average pooling (`MaxPooling1D/2D/3D`, `AveragePooling1D/2D/3D`)
through `jeras.ops.max_pool` / `average_pool`, and global pooling over all spatial axes
(`GlobalMaxPooling1D/2D/3D`, `GlobalAveragePooling1D/2D/3D`)."""

import jax.numpy as jnp

from jeras.layers.convolution import standardize_data_format, standardize_padding, standardize_tuple
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer, raise_mask_shape_error
from jeras.ops import nn


class _Pooling(Layer):
    """Max or average over sliding windows of the `rank` spatial axes."""

    rows_independent = True  # see Layer.rows_independent

    rank = None
    mode = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size", self.name)
        self.strides = standardize_tuple(
            pool_size if strides is None else strides, self.rank, "strides", self.name
        )
        self.padding = standardize_padding(padding, ("valid", "same"), self.name)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        # No weights: usable (and summarized) before the first call, as in Keras.
        self.built = True

    def _check_inputs(self, inputs):
        super()._check_inputs(inputs)
        # Checked on the symbolic shape too (not only inside the traced call, which sees probe
        # sizes), so the error shows the shape the user wrote.
        self._output_spatial_shape(tuple(inputs.shape))

    def call(self, inputs):
        pool = nn.max_pool if self.mode == "max" else nn.average_pool
        return pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def _output_spatial_shape(self, input_shape):
        spatial = input_shape[1:-1] if self.data_format == "channels_last" else input_shape[2:]
        sizes = []
        for size, k, s in zip(spatial, self.pool_size, self.strides):
            if size is None:
                sizes.append(None)
            elif self.padding == "valid":
                sizes.append((size - k) // s + 1)
            else:
                sizes.append(-(-size // s))
        if any(out is not None and out <= 0 for out in sizes):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: input shape {tuple(input_shape)} is "
                f"smaller than pool_size={self.pool_size} with padding='valid'; the output would "
                f"have spatial shape {tuple(sizes)}."
            )
        return tuple(sizes)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = self._output_spatial_shape(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + spatial + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + spatial

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "padding": self.padding,
                "strides": self.strides,
                "data_format": self.data_format,
            }
        )
        return config


class MaxPooling1D(_Pooling):
    """Max over windows of `pool_size` steps of `(batch, steps, channels)` inputs.

    Args:
        pool_size: int or tuple (default 2).
        strides: int or tuple; `None` (default) means `pool_size`.
        padding: "valid" (default) or "same".
        data_format: "channels_last" (default) or "channels_first".
    """

    rank, mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over `pool_size` windows of `(batch, height, width, channels)` inputs; arguments as
    `MaxPooling1D` (default pool_size (2, 2))."""

    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    """Max over `pool_size` windows of `(batch, depth, height, width, channels)` inputs;
    arguments as `MaxPooling1D` (default pool_size (2, 2, 2))."""

    rank, mode = 3, "max"

    def __init__(
        self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs
    ):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of `pool_size` steps; with padding "same", border windows average only
    the entries inside the input. Arguments as `MaxPooling1D`, `pool_size` required."""

    rank, mode = 1, "average"


class AveragePooling2D(_Pooling):
    """2D `AveragePooling1D`."""

    rank, mode = 2, "average"


class AveragePooling3D(_Pooling):
    """3D `AveragePooling1D`."""

    rank, mode = 3, "average"


class _GlobalPooling(Layer):
    """Max or mean over all spatial axes; `keepdims` keeps them with length 1."""

    rows_independent = True  # see Layer.rows_independent

    rank = None
    reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    @property
    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def call(self, inputs):
        return type(self).reduce(inputs, axis=self._spatial_axes, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        axes = self._spatial_axes
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps of `(batch, steps, channels)` inputs.

    Args:
        data_format: "channels_last" (default) or "channels_first".
        keepdims: keep the steps axis with length 1 (default False).
    """

    rank, reduce = 1, staticmethod(jnp.max)


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width; arguments as `GlobalMaxPooling1D`."""

    rank, reduce = 2, staticmethod(jnp.max)


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over depth, height and width; arguments as `GlobalMaxPooling1D`."""

    rank, reduce = 3, staticmethod(jnp.max)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of `(batch, steps, channels)` inputs; an optional `mask` of shape
    `(batch, steps)` leaves masked steps out of the mean. Arguments as `GlobalMaxPooling1D`."""

    rows_independent = True  # see Layer.rows_independent

    rank, reduce = 1, staticmethod(jnp.mean)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes[0]
        channel_axis = 2 if self.data_format == "channels_last" else 1
        expected = (inputs.shape[0], inputs.shape[steps_axis])
        if tuple(jnp.shape(mask)) != expected:
            raise_mask_shape_error(self, jnp.shape(mask), inputs.shape, expected)
        keep = jnp.expand_dims(jnp.asarray(mask).astype(bool), channel_axis)
        total = jnp.sum(jnp.where(keep, inputs, 0), axis=steps_axis, keepdims=self.keepdims)
        count = jnp.sum(keep.astype(inputs.dtype), axis=steps_axis, keepdims=self.keepdims)
        return total / count

    def compute_mask(self, inputs, mask=None):
        # The steps axis is averaged away: the output has no mask.
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width; arguments as `GlobalMaxPooling1D`."""

    rank, reduce = 2, staticmethod(jnp.mean)


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over depth, height and width; arguments as `GlobalMaxPooling1D`."""

    rank, reduce = 3, staticmethod(jnp.mean)


# The short names Keras exports for the same classes.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
)
