"""Deterministic image preprocessing layers that run inside the model: `Resizing` and
`CenterCrop`. They act on a 3D image `(height, width, channels)` or a 4D batch, channels placed
by `data_format`."""

import jax.numpy as jnp
import numpy as np

from jeras.layers.convolution import standardize_data_format
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.ops import image as image_ops


class _ImageLayer(Layer):
    """Shared by the image preprocessing and augmentation layers: where height and width sit,
    and the refusal of strings and of inputs that are not images."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=3, max_ndim=4)
        self.built = True

    def _height_axis(self, rank):
        return rank - 3 if self.data_format == "channels_last" else rank - 2

    def _height_width(self, shape):
        axis = self._height_axis(len(shape))
        return shape[axis], shape[axis + 1]

    def _images(self, inputs):
        dtype = getattr(inputs, "dtype", None)
        if dtype is not None and np.dtype(dtype).kind in "USO":
            raise TypeError(
                f"{type(self).__name__} layer {self.name!r} received strings (dtype {dtype}); "
                "it works on numeric images. Decode the images to numbers first."
            )
        return jnp.asarray(inputs)

    def _with_height_width(self, shape, height, width):
        shape = list(shape)
        axis = self._height_axis(len(shape))
        shape[axis], shape[axis + 1] = height, width
        return tuple(shape)


class Resizing(_ImageLayer):
    """Resizes images to `(height, width)`.

    Args:
        height: the output height.
        width: the output width.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3" or "lanczos5".
        crop_to_aspect_ratio: crop the largest centred window of the target aspect ratio
            first, so the image is not distorted.
        pad_to_aspect_ratio: instead, pad with `fill_value` to the target aspect ratio.
        fill_mode: only "constant" (the padding of `pad_to_aspect_ratio`).
        fill_value: the value of that padding (default 0.0).
        antialias: whether to low-pass filter when downsampling (default False).
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"Resizing layer {self.name!r}: `interpolation` must be one of "
                f"{image_ops.RESIZE_INTERPOLATIONS}, got {interpolation!r}."
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                f"Resizing layer {self.name!r}: `crop_to_aspect_ratio` and "
                "`pad_to_aspect_ratio` cannot both be True."
            )
        self.height, self.width = height, width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs):
        images = self._images(inputs)
        resized = image_ops.resize(
            images.astype(jnp.float32) if not _is_float(images) else images,
            (self.height, self.width),
            interpolation=self.interpolation,
            antialias=self.antialias,
            crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio,
            fill_mode=self.fill_mode,
            fill_value=self.fill_value,
            data_format=self.data_format,
        )
        if _is_float(images):
            return resized
        # Integer images stay integer (as in Keras): rounded and clipped to the dtype's range.
        limits = jnp.iinfo(images.dtype)
        return jnp.clip(jnp.round(resized), limits.min, limits.max).astype(images.dtype)

    def compute_output_shape(self, input_shape):
        return self._with_height_width(input_shape, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }


class CenterCrop(_ImageLayer):
    """Crops the central `(height, width)` window of images; an image smaller than that is
    first cropped to the target aspect ratio and resized (bilinear) to it.

    Args:
        height: the output height.
        width: the output width.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = height, width

    def call(self, inputs):
        images = self._images(inputs).astype(self.compute_dtype)
        height, width = self._height_width(images.shape)
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            return image_ops.crop_images(
                images,
                top_cropping=top,
                left_cropping=left,
                target_height=self.height,
                target_width=self.width,
                data_format=self.data_format,
            )
        return image_ops.resize(
            images,
            (self.height, self.width),
            crop_to_aspect_ratio=True,
            data_format=self.data_format,
        )

    def compute_output_shape(self, input_shape):
        return self._with_height_width(input_shape, self.height, self.width)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "data_format": self.data_format,
        }


def _is_float(array):
    return jnp.issubdtype(array.dtype, jnp.floating)
