"""`jeras.ops.image`: image operations named and called as `keras.ops.image`.

Images are `(height, width, channels)` or batches `(batch, height, width, channels)` with
`data_format="channels_last"`; `"channels_first"` puts the channels before height and width.
`data_format=None` follows `keras.config.image_data_format()`.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import config as backend_config
from jeras.ops._convert import unwrap

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
AFFINE_TRANSFORM_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}  # the spline order of each
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Resize images to `size = (height, width)`.

    Args:
        images: a 3D image or a 4D batch of images.
        size: `(height, width)` of the output.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3" or "lanczos5".
        antialias: whether to low-pass filter when downsampling.
        crop_to_aspect_ratio: first crop the largest centred window of the target aspect
            ratio, so the image is not distorted.
        pad_to_aspect_ratio: instead, pad (with `fill_value`) to the target aspect ratio.
        fill_mode: only "constant".
        fill_value: the value of the padding of `pad_to_aspect_ratio`.
        data_format: "channels_last" or "channels_first" (None: the global setting).
    """
    data_format = _data_format(data_format)
    images = _image_array(images, "resize")
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"resize: `interpolation` must be one of {RESIZE_INTERPOLATIONS}, got "
            f"interpolation={interpolation!r}."
        )
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported, got {fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "resize: `crop_to_aspect_ratio` and `pad_to_aspect_ratio` cannot both be True."
        )
    if len(size) != 2:
        raise ValueError(f"resize: `size` must be (height, width), got size={size!r}.")
    target = (int(size[0]), int(size[1]))
    height_axis = images.ndim - 3 if data_format == "channels_last" else images.ndim - 2
    height, width = images.shape[height_axis], images.shape[height_axis + 1]
    if crop_to_aspect_ratio:
        # The largest centred window with the target's aspect ratio.
        crop_height = max(min(height, int(width * target[0] / target[1])), 1)
        crop_width = max(min(width, int(height * target[1] / target[0])), 1)
        top, left = int((height - crop_height) / 2), int((width - crop_width) / 2)
        images = jax.lax.slice_in_dim(images, top, top + crop_height, axis=height_axis)
        images = jax.lax.slice_in_dim(images, left, left + crop_width, axis=height_axis + 1)
    elif pad_to_aspect_ratio:
        padded_height = max(height, int(width * target[0] / target[1]))
        padded_width = max(width, int(height * target[1] / target[0]))
        top, left = int((padded_height - height) / 2), int((padded_width - width) / 2)
        widths = [(0, 0)] * images.ndim
        # The same margin on both sides: the image stays centred.
        widths[height_axis] = (top, top)
        widths[height_axis + 1] = (left, left) if top == 0 else (0, 0)
        images = jnp.pad(images, widths, constant_values=fill_value)
    shape = list(images.shape)
    shape[height_axis], shape[height_axis + 1] = target
    return jax.image.resize(images, tuple(shape), method=interpolation, antialias=antialias)


def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    """Apply projective transforms to images.

    Each transform is 8 numbers `[a0, a1, a2, b0, b1, b2, c0, c1]`: the output pixel at
    `(x, y)` takes the input value at `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)` with
    `k = c0 x + c1 y + 1` (x is the column, y the row).

    Args:
        images: a 3D image or a 4D batch of images.
        transform: shape `(8,)` for one transform, or `(batch, 8)` (one per image).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: how points outside the input are filled: "constant" (with `fill_value`),
            "nearest", "wrap", "mirror" or "reflect".
        fill_value: the value of "constant" filling.
        data_format: "channels_last" or "channels_first" (None: the global setting).
    """
    data_format = _data_format(data_format)
    images = _image_array(images, "affine_transform")
    if interpolation not in AFFINE_TRANSFORM_INTERPOLATIONS:
        raise ValueError(
            f"affine_transform: `interpolation` must be one of "
            f"{tuple(AFFINE_TRANSFORM_INTERPOLATIONS)}, got interpolation={interpolation!r}."
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"affine_transform: `fill_mode` must be one of {FILL_MODES}, got "
            f"fill_mode={fill_mode!r}."
        )
    transform = jnp.asarray(unwrap(transform))
    if transform.ndim not in (1, 2) or transform.shape[-1] != 8:
        raise ValueError(
            "affine_transform: `transform` must have shape (8,) or (batch, 8), got shape "
            f"{tuple(transform.shape)}."
        )
    single = images.ndim == 3
    if single:
        images = images[None]
    if data_format == "channels_first":
        images = jnp.moveaxis(images, 1, -1)
    transform = jnp.broadcast_to(transform.reshape(-1, 8), (images.shape[0], 8)).astype(
        _float_dtype(images.dtype)
    )
    order = AFFINE_TRANSFORM_INTERPOLATIONS[interpolation]

    def warp(image, t):
        rows, cols = jnp.meshgrid(
            jnp.arange(image.shape[0], dtype=t.dtype),
            jnp.arange(image.shape[1], dtype=t.dtype),
            indexing="ij",
        )
        k = t[6] * cols + t[7] * rows + 1.0
        source_cols = (t[0] * cols + t[1] * rows + t[2]) / k
        source_rows = (t[3] * cols + t[4] * rows + t[5]) / k

        def warp_channel(channel):
            return jax.scipy.ndimage.map_coordinates(
                channel, [source_rows, source_cols], order=order, mode=fill_mode, cval=fill_value
            )

        return jax.vmap(warp_channel, in_axes=-1, out_axes=-1)(image)

    outputs = jax.vmap(warp)(images, transform)
    if data_format == "channels_first":
        outputs = jnp.moveaxis(outputs, -1, 1)
    return outputs[0] if single else outputs


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Sample `inputs` at `coordinates` (one array per axis of `inputs`) with spline `order`
    0 (nearest) or 1 (linear); points outside are filled as `fill_mode` says."""
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"map_coordinates: `fill_mode` must be one of {FILL_MODES}, got "
            f"fill_mode={fill_mode!r}."
        )
    inputs = _image_array(inputs, "map_coordinates", ranks=None)
    coordinates = [jnp.asarray(unwrap(c)) for c in coordinates]
    return jax.scipy.ndimage.map_coordinates(
        inputs, coordinates, order=order, mode=fill_mode, cval=fill_value
    )


def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Crop images to `target_height x target_width` starting at `(top_cropping,
    left_cropping)`; either target may instead be given by the bottom / right cropping."""
    data_format = _data_format(data_format)
    images = _image_array(images, "crop_images")
    height_axis = images.ndim - 3 if data_format == "channels_last" else images.ndim - 2
    height, width = images.shape[height_axis], images.shape[height_axis + 1]
    top, left = top_cropping or 0, left_cropping or 0
    if target_height is None:
        target_height = height - top - (bottom_cropping or 0)
    if target_width is None:
        target_width = width - left - (right_cropping or 0)
    if (
        target_height <= 0
        or target_width <= 0
        or top + target_height > height
        or (left + target_width > width)
    ):
        raise ValueError(
            f"crop_images: the crop (top={top}, left={left}, height={target_height}, "
            f"width={target_width}) does not fit images of height {height} and width {width}."
        )
    images = jax.lax.slice_in_dim(images, top, top + target_height, axis=height_axis)
    return jax.lax.slice_in_dim(images, left, left + target_width, axis=height_axis + 1)


def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Pad images with zeros to `target_height x target_width`, the image's top-left corner at
    `(top_padding, left_padding)`; either target may instead be given by the bottom / right
    padding."""
    data_format = _data_format(data_format)
    images = _image_array(images, "pad_images")
    height_axis = images.ndim - 3 if data_format == "channels_last" else images.ndim - 2
    height, width = images.shape[height_axis], images.shape[height_axis + 1]
    top, left = top_padding or 0, left_padding or 0
    bottom = bottom_padding if target_height is None else target_height - height - top
    right = right_padding if target_width is None else target_width - width - left
    bottom, right = bottom or 0, right or 0
    if min(top, left, bottom, right) < 0:
        raise ValueError(
            f"pad_images: the padding (top={top}, left={left}, bottom={bottom}, right={right}) "
            f"must not be negative for images of height {height} and width {width}."
        )
    widths = [(0, 0)] * images.ndim
    widths[height_axis], widths[height_axis + 1] = (top, bottom), (left, right)
    return jnp.pad(images, widths)


# -- helpers ---------------------------------------------------------------------------------------
def _data_format(value):
    if value is None:
        return backend_config.image_data_format()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first', got {value!r}."
        )
    return value


def _image_array(images, op_name, ranks=(3, 4)):
    """`images` as a JAX array, refusing strings and the wrong rank with the op's name."""
    images = unwrap(images)
    dtype = getattr(images, "dtype", None)
    if dtype is None:
        dtype = np.asarray(images).dtype
    if np.dtype(dtype).kind in "USO":
        raise TypeError(
            f"{op_name}: images must be numeric arrays, got an array of dtype {dtype} (strings "
            "cannot run on the device; decode them to numbers first)."
        )
    images = jnp.asarray(images)
    if ranks is not None and images.ndim not in ranks:
        raise ValueError(
            f"{op_name}: expected a 3D image (height, width, channels) or a 4D batch of images, "
            f"got an array of shape {tuple(images.shape)}."
        )
    return images


def _float_dtype(dtype):
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.float32
