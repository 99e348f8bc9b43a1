"""Reshaping of 2D and 3D feature maps: `UpSampling2D/3D`, `ZeroPadding2D/3D`, `Cropping2D/3D`.

Each acts on the spatial axes only (which ones depends on `data_format`) and has no weights.
"""

import jax.numpy as jnp

from jeras.layers.convolution import standardize_data_format, standardize_tuple
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.ops import image as image_ops


class _SpatialReshaping(Layer):
    """Shared by the six layers: `rank` spatial axes placed by `data_format`, no weights."""

    rank = None

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self.built = True

    @property
    def _first_spatial_axis(self):
        return 1 if self.data_format == "channels_last" else 2

    def _spatial(self, shape):
        start = self._first_spatial_axis
        return tuple(shape[start : start + self.rank])

    def _with_spatial(self, shape, spatial):
        shape = list(shape)
        start = self._first_spatial_axis
        shape[start : start + self.rank] = spatial
        return tuple(shape)


class _UpSampling(_SpatialReshaping):
    rows_independent = True  # see Layer.rows_independent

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = standardize_tuple(size, self.rank, "size", self.name)

    def call(self, inputs):
        # Nearest neighbour: every entry repeated `size` times along its axis.
        for offset, factor in enumerate(self.size):
            inputs = jnp.repeat(inputs, factor, axis=self._first_spatial_axis + offset)
        return inputs

    def compute_output_shape(self, input_shape):
        spatial = tuple(
            None if d is None else d * f for d, f in zip(self._spatial(input_shape), self.size)
        )
        return self._with_spatial(input_shape, spatial)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}


class UpSampling2D(_UpSampling):
    """Repeats the rows and columns of 4D inputs `size` times ("nearest") or resizes them by
    `size` with bilinear (or other) interpolation.

    Args:
        size: int or tuple of 2 ints (default (2, 2)), the factors for rows and columns.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        interpolation: "nearest" (default), "bilinear", "bicubic", "lanczos3" or "lanczos5".
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format=data_format, **kwargs)
        interpolation = interpolation.lower()
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"UpSampling2D layer {self.name!r}: `interpolation` must be one of "
                f"{image_ops.RESIZE_INTERPOLATIONS}, got {interpolation!r}."
            )
        self.interpolation = interpolation

    def call(self, inputs):
        if self.interpolation == "nearest":
            return super().call(inputs)
        height, width = self._spatial(inputs.shape)
        return image_ops.resize(
            inputs,
            (height * self.size[0], width * self.size[1]),
            interpolation=self.interpolation,
            data_format=self.data_format,
        )

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats the entries of 5D inputs `size` times along each spatial axis.

    Args:
        size: int or tuple of 3 ints (default (2, 2, 2)), the factors for the three axes.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format=data_format, **kwargs)


class _ZeroPadding(_SpatialReshaping):
    rows_independent = True  # see Layer.rows_independent

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding", self.name)

    def call(self, inputs):
        widths = [(0, 0)] * inputs.ndim
        start = self._first_spatial_axis
        widths[start : start + self.rank] = self.padding
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        spatial = tuple(
            None if d is None else d + low + high
            for d, (low, high) in zip(self._spatial(input_shape), self.padding)
        )
        return self._with_spatial(input_shape, spatial)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around 4D inputs.

    Args:
        padding: int (the same on every side), tuple of 2 ints (symmetric rows, symmetric
            columns) or tuple of 2 tuples of 2 ints ((top, bottom), (left, right)).
            Default (1, 1).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around the three spatial axes of 5D inputs.

    Args:
        padding: int, tuple of 3 ints or tuple of 3 tuples of 2 ints, as in `ZeroPadding2D`.
            Default ((1, 1), (1, 1), (1, 1)).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class _Cropping(_SpatialReshaping):
    rows_independent = True  # see Layer.rows_independent

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", self.name)

    def _check_inputs(self, inputs):
        super()._check_inputs(inputs)
        # Checked on the symbolic shape too, so the error shows the shape the user wrote.
        self.compute_output_shape(tuple(inputs.shape))

    def call(self, inputs):
        index = [slice(None)] * inputs.ndim
        start = self._first_spatial_axis
        for offset, (size, (low, high)) in enumerate(
            zip(self._spatial(inputs.shape), self.cropping)
        ):
            index[start + offset] = slice(low, size - high)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        spatial = self._spatial(input_shape)
        if any(d is not None and low + high >= d for d, (low, high) in zip(spatial, self.cropping)):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the cropping {self.cropping} must "
                f"leave at least one entry on each spatial axis, got input shape "
                f"{tuple(input_shape)} (data_format={self.data_format!r})."
            )
        spatial = tuple(
            None if d is None else d - low - high for d, (low, high) in zip(spatial, self.cropping)
        )
        return self._with_spatial(input_shape, spatial)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping2D(_Cropping):
    """Removes rows and columns at the borders of 4D inputs.

    Args:
        cropping: int (the same on every side), tuple of 2 ints (symmetric rows, symmetric
            columns) or tuple of 2 tuples of 2 ints ((top, bottom), (left, right)).
            Default ((0, 0), (0, 0)).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class Cropping3D(_Cropping):
    """Removes entries at the borders of the three spatial axes of 5D inputs.

    Args:
        cropping: int, tuple of 3 ints or tuple of 3 tuples of 2 ints, as in `Cropping2D`.
            Default ((1, 1), (1, 1), (1, 1)).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


def _pairs(value, rank, arg_name, layer_name):
    """An int, `rank` ints or `rank` pairs of ints (all >= 0) as `rank` (low, high) pairs."""

    def is_count(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    def fail():
        raise ValueError(
            f"Layer {layer_name!r}: `{arg_name}` must be an int >= 0, a tuple of {rank} ints or a "
            f"tuple of {rank} tuples of 2 ints, got {arg_name}={value!r}."
        )

    if is_count(value):
        return ((value, value),) * rank
    if not isinstance(value, (list, tuple)) or len(value) != rank:
        fail()
    pairs = []
    for entry in value:
        if is_count(entry):
            pairs.append((entry, entry))
        elif isinstance(entry, (list, tuple)) and len(entry) == 2 and all(map(is_count, entry)):
            pairs.append(tuple(entry))
        else:
            fail()
    return tuple(pairs)
