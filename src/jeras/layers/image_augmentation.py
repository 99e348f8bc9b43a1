"""Random image augmentation layers that run inside the model: `RandomFlip`, `RandomRotation`,
`RandomZoom`, `RandomTranslation`, `RandomCrop`, `RandomContrast`, `RandomBrightness`.

They augment only in training (in `fit()`, or when called with `training=True`; as in Keras,
a direct call without `training` augments too, while `predict` and `evaluate` never do). Each
draws from its own `SeedGenerator`, so every step draws afresh inside the compiled `fit()` step
and `set_random_seed` makes the draws repeat. The geometric ones resample the image through
`ops.image.affine_transform`, with Keras's transform matrices.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.random import SeedGenerator
from jeras.layers.image_preprocessing import _ImageLayer
from jeras.ops import image as image_ops

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


class _RandomImageLayer(_ImageLayer):
    """A seed stream, the training switch and the batched / single-image handling."""

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def call(self, inputs, training=True):
        images = self._images(inputs).astype(self.compute_dtype)
        # As in Keras, "not told" means augment: the signature's default.
        if training is None:
            training = True
        if not training:
            return self._inference(images)
        single = images.ndim == 3
        if single:
            images = images[None]
        outputs = self._augment(images)
        return outputs[0] if single else outputs

    def _inference(self, images):
        return images

    def _augment(self, images):
        raise NotImplementedError

    def _uniform(self, shape, low, high):
        return jax.random.uniform(self.generator.next(), shape, jnp.float32, low, high)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _GeometricLayer(_RandomImageLayer):
    """Layers that resample the image through an affine map (fill mode and interpolation)."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", fill_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(
                f"{type(self).__name__} layer {self.name!r}: unknown `fill_mode` "
                f"{fill_mode!r}; expected one of {_FILL_MODES}."
            )
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(
                f"{type(self).__name__} layer {self.name!r}: unknown `interpolation` "
                f"{interpolation!r}; expected one of {_INTERPOLATIONS}."
            )
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def _augment(self, images):
        transforms = self._transforms(images.shape[0], *self._height_width(images.shape))
        return image_ops.affine_transform(
            images,
            transforms,
            interpolation=self.interpolation,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        ).astype(images.dtype)

    def _transforms(self, batch, height, width):
        """One 8-number transform per image (output pixel -> input pixel)."""
        raise NotImplementedError

    def _geometry_config(self):
        return {
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
            "seed": self.seed,
            "data_format": self.data_format,
        }


class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2 during training.

    In "horizontal_and_vertical" mode one draw per image decides: a flipped image is flipped
    along both axes (Keras 3's rule).

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical" (default).
        seed: optional int, the seed of the draws.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(
                f"RandomFlip layer {self.name!r}: `mode` must be one of {self._MODES}, got "
                f"mode={mode!r}."
            )
        self.mode = mode

    def _augment(self, images):
        flips = self._uniform((images.shape[0],) + (1,) * (images.ndim - 1), 0.0, 1.0) <= 0.5
        height_axis = self._height_axis(images.ndim)
        out = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            out = jnp.where(flips, jnp.flip(out, axis=height_axis + 1), out)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            out = jnp.where(flips, jnp.flip(out, axis=height_axis), out)
        return out

    def get_config(self):
        return {
            **super().get_config(),
            "seed": self.seed,
            "mode": self.mode,
            "data_format": self.data_format,
        }


class RandomRotation(_GeometricLayer):
    """Rotates each image about its centre by a random angle during training.

    Args:
        factor: a float or a pair `(lower, upper)`, fractions of a full turn in [-1, 1]: the
            angle is drawn uniformly from `[lower * 360, upper * 360]` degrees (a float `f`
            means `(-f, f)`); positive angles turn counter-clockwise.
        fill_mode: how points outside the image are filled: "reflect" (default), "wrap",
            "constant" or "nearest".
        interpolation: "bilinear" (default) or "nearest".
        seed: optional int, the seed of the draws.
        fill_value: the value of "constant" filling (default 0.0).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            fill_value=fill_value,
            seed=seed,
            data_format=data_format,
            **kwargs,
        )
        self.factor = _factor_range(factor, (-1.0, 1.0), self)

    def _transforms(self, batch, height, width):
        degrees = self._uniform((batch,), self.factor[0] * 360.0, self.factor[1] * 360.0)
        return _rotation_about_centre(jnp.deg2rad(degrees), height, width)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, **self._geometry_config()}


class RandomZoom(_GeometricLayer):
    """Zooms each image in or out about its centre by a random factor during training.

    Args:
        height_factor: a float or a pair `(lower, upper)` in (-1, 1]: the vertical zoom is
            drawn from `[1 + lower, 1 + upper]`; above 1 zooms out, below 1 zooms in (a float
            `f` means `(-f, f)`).
        width_factor: the same for the horizontal zoom; None (default) keeps the aspect ratio
            (one draw for both).
        fill_mode, interpolation, seed, fill_value, data_format: as in `RandomRotation`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            fill_value=fill_value,
            seed=seed,
            data_format=data_format,
            **kwargs,
        )
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _zoom_range(height_factor, "height_factor", self)
        self._width_range = None
        if width_factor is not None:
            self._width_range = _zoom_range(width_factor, "width_factor", self)

    def _transforms(self, batch, height, width):
        low, high = self._height_range
        zoom_y = self._uniform((batch,), 1.0 + low, 1.0 + high)
        zoom_x = zoom_y
        if self._width_range is not None:
            low, high = self._width_range
            zoom_x = self._uniform((batch,), 1.0 + low, 1.0 + high)
        zeros = jnp.zeros_like(zoom_x)
        # Scale about the centre: the centre pixel maps to itself.
        return jnp.stack(
            [
                zoom_x,
                zeros,
                (width - 1) / 2.0 * (1.0 - zoom_x),
                zeros,
                zoom_y,
                (height - 1) / 2.0 * (1.0 - zoom_y),
                zeros,
                zeros,
            ],
            axis=1,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            **self._geometry_config(),
        }


class RandomTranslation(_GeometricLayer):
    """Shifts each image by a random offset during training.

    Args:
        height_factor: a float or a pair `(lower, upper)` in [-1, 1], fractions of the
            height: the vertical shift is drawn from `[lower * height, upper * height]`
            (positive moves the image down; a float `f` means `(-f, f)`).
        width_factor: the same for the horizontal shift (positive moves it right).
        fill_mode, interpolation, seed, fill_value, data_format: as in `RandomRotation`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        super().__init__(
            fill_mode=fill_mode,
            interpolation=interpolation,
            fill_value=fill_value,
            seed=seed,
            data_format=data_format,
            **kwargs,
        )
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _factor_range(height_factor, (-1.0, 1.0), self, "height_factor")
        self._width_range = _factor_range(width_factor, (-1.0, 1.0), self, "width_factor")

    def _transforms(self, batch, height, width):
        shift_y = self._uniform((batch,), *self._height_range) * height
        shift_x = self._uniform((batch,), *self._width_range) * width
        ones, zeros = jnp.ones_like(shift_x), jnp.zeros_like(shift_x)
        return jnp.stack([ones, zeros, -shift_x, zeros, ones, -shift_y, zeros, zeros], axis=1)

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            **self._geometry_config(),
        }


class RandomCrop(_RandomImageLayer):
    """Crops a random `(height, width)` window (the same window for the whole batch) during
    training. Outside training, and for an image not larger than the target in both
    dimensions, it takes the largest centred window of the target's aspect ratio and resizes
    it to `(height, width)`, so the output always has the target size.

    (Keras 3.15 returns the input unchanged outside training, whatever its size; jeras follows
    Keras's documentation, so that a model ending in layers sized for the crop predicts.)

    Args:
        height: the output height.
        width: the output width.
        seed: optional int, the seed of the draws (a random one is chosen when None, as
            Keras does).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        name: the layer's name.
        **kwargs: other base layer arguments (`dtype`, ...).
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        if seed is None:
            seed = int(np.random.randint(0, 1_000_000_000))
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height, self.width = height, width

    def _augment(self, images):
        height, width = self._height_width(images.shape)
        if not (height > self.height and width > self.width):
            return self._inference(images)
        top = self._uniform((), 0.0, float(height - self.height + 1)).astype(jnp.int32)
        left = self._uniform((), 0.0, float(width - self.width + 1)).astype(jnp.int32)
        axis = self._height_axis(images.ndim)
        images = jax.lax.dynamic_slice_in_dim(images, top, self.height, axis=axis)
        return jax.lax.dynamic_slice_in_dim(images, left, self.width, axis=axis + 1)

    def _inference(self, images):
        return image_ops.resize(
            images,
            (self.height, self.width),
            crop_to_aspect_ratio=True,
            data_format=self.data_format,
        ).astype(images.dtype)

    def compute_output_shape(self, input_shape):
        return self._with_height_width(input_shape, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "seed": self.seed,
            "data_format": self.data_format,
        }


class RandomContrast(_RandomImageLayer):
    """Scales each image's deviation from its mean (per channel) by a random factor during
    training, then clips to `value_range`.

    Args:
        factor: a float or a pair in [0, 1]. As in Keras 3.15, the stored range is
            `(max(-f, 0), f)` for a float `f`, and the contrast factor is drawn from
            `[1 - lower, 1 + upper]`.
        value_range: `(min, max)` of the image values (default (0, 255)); outputs are clipped
            to it.
        seed: optional int, the seed of the draws.
        **kwargs: base layer arguments (`name`, `dtype`, `data_format`, ...).
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_range(factor, (0.0, 1.0), self)
        self.value_range = value_range

    def _augment(self, images):
        contrast = self._uniform(
            (images.shape[0],) + (1,) * (images.ndim - 1),
            1.0 - self.factor[0],
            1.0 + self.factor[1],
        ).astype(images.dtype)
        axis = self._height_axis(images.ndim)
        mean = jnp.mean(images, axis=(axis, axis + 1), keepdims=True)
        outputs = (images - mean) * contrast + mean
        return jnp.clip(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
            "data_format": self.data_format,
        }


class RandomBrightness(_RandomImageLayer):
    """Adds a random offset to each image during training, then clips to `value_range`.

    Args:
        factor: a float or a pair `(lower, upper)` in [-1, 1], fractions of the value range:
            the offset is drawn from `[lower, upper] * (max - min)` (a float `f` means
            `(-f, f)`).
        value_range: `(min, max)` of the image values (default (0, 255)).
        seed: optional int, the seed of the draws.
        **kwargs: base layer arguments (`name`, `dtype`, `data_format`, ...).
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_range(factor, (-1.0, 1.0), self)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                f"RandomBrightness layer {self.name!r}: `value_range` must be a pair "
                f"(min, max), got value_range={value_range!r}."
            )
        self.value_range = sorted(value_range)

    def _augment(self, images):
        delta = self._uniform(
            (images.shape[0],) + (1,) * (images.ndim - 1), self.factor[0], self.factor[1]
        )
        delta = (delta * (self.value_range[1] - self.value_range[0])).astype(images.dtype)
        return jnp.clip(images + delta, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {
            **super().get_config(),
            "factor": self.factor,
            "value_range": self.value_range,
            "seed": self.seed,
            "data_format": self.data_format,
        }


# -- helpers ---------------------------------------------------------------------------------------
def _factor_range(factor, bounds, layer, arg_name="factor"):
    """A number or a pair within `bounds` as the sorted `(lower, upper)` Keras stores."""
    message = (
        f"{type(layer).__name__} layer {layer.name!r}: `{arg_name}` must be a number or a pair "
        f"of numbers in [{bounds[0]:g}, {bounds[1]:g}], got {arg_name}={factor!r}."
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        if not bounds[0] <= factor <= bounds[1]:
            raise ValueError(message)
        factor = abs(factor)
        return (max(-factor, bounds[0]), factor)
    raise ValueError(message)


def _zoom_range(factor, arg_name, layer):
    """RandomZoom's factors: each value in (-1, 1] (a zoom of 1 + factor must stay > 0)."""
    message = (
        f"RandomZoom layer {layer.name!r}: `{arg_name}` must be a number or a pair of numbers "
        f"in (-1, 1], got {arg_name}={factor!r}."
    )
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if (
        len(values) not in (1, 2)
        or isinstance(factor, (tuple, list))
        and len(values) != 2
        or not all(isinstance(v, (int, float)) and -1.0 < v <= 1.0 for v in values)
    ):
        raise ValueError(message)
    if len(values) == 2:
        return tuple(sorted(values))
    return (-abs(values[0]), abs(values[0]))


def _rotation_about_centre(angle, height, width):
    """Transforms (output -> input pixel) of rotations by `angle` radians about the centre."""
    centre_x, centre_y = (width - 1) / 2.0, (height - 1) / 2.0
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    zeros = jnp.zeros_like(angle)
    return jnp.stack(
        [
            cos,
            -sin,
            centre_x - centre_x * cos + centre_y * sin,
            sin,
            cos,
            centre_y - centre_x * sin - centre_y * cos,
            zeros,
            zeros,
        ],
        axis=1,
    )
