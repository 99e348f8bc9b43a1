"""`jeras.ops.image`: image operations named and called as `keras.ops.image`.

Images are `(height, width, channels)` or batches `(batch, height, width, channels)` with
`data_format="channels_last"`; `"channels_first"` puts the channels before height and width.
`data_format=None` follows `keras.config.image_data_format()`.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import config as backend_config
from jeras.backend.random import draw_seed
from jeras.ops import nn as _nn
from jeras.ops._convert import unwrap

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
AFFINE_TRANSFORM_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}  # the spline order of each
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCALE_AND_TRANSLATE_METHODS = (
    "linear",
    "bilinear",
    "trilinear",
    "cubic",
    "bicubic",
    "tricubic",
    "lanczos3",
    "lanczos5",
)
# ITU-R 601 luma weights of red, green and blue (tf.image's, as Keras).
GRAYSCALE_WEIGHTS = (0.2989, 0.5870, 0.1140)


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


# -- colour spaces --------------------------------------------------------------------------------
def rgb_to_grayscale(images, data_format=None):
    """Luma of RGB images (one channel kept); one-channel images pass through unchanged."""
    data_format = _data_format(data_format)
    images = _image_array(images, "rgb_to_grayscale")
    channel_axis = -1 if data_format == "channels_last" else -3
    if images.shape[channel_axis] not in (1, 3):
        raise ValueError(
            "rgb_to_grayscale: expected 3 (RGB) or 1 (grayscale) channels, got images of shape "
            f"{tuple(images.shape)} (data_format={data_format!r})."
        )
    if images.shape[channel_axis] == 1:
        return images
    original = images.dtype
    images = images.astype(_float_dtype(original))
    weights = jnp.asarray(GRAYSCALE_WEIGHTS, images.dtype)
    gray = jnp.tensordot(images, weights, axes=((images.ndim + channel_axis,), (0,)))
    return jnp.expand_dims(gray, channel_axis).astype(original)


def rgb_to_hsv(images, data_format=None):
    """RGB images with values in [0, 1] to hue, saturation and value, each in [0, 1]."""
    data_format = _data_format(data_format)
    images = _float_images(images, "rgb_to_hsv")
    channel_axis = -1 if data_format == "channels_last" else -3
    # Values within one epsilon of zero count as zero, so that their hue is exactly 0.
    tiny = jnp.finfo(images.dtype).eps
    images = jnp.where(jnp.abs(images) < tiny, jnp.zeros((), images.dtype), images)
    red, green, blue = (jnp.take(images, i, axis=channel_axis) for i in range(3))
    value = jnp.maximum(jnp.maximum(red, green), blue)
    spread = value - jnp.minimum(jnp.minimum(red, green), blue)
    saturation = jnp.where(value > 0, spread / jnp.where(value > 0, value, 1.0), 0.0)
    scale = 1.0 / (6.0 * jnp.where(spread > 0, spread, 1.0))
    hue = jnp.where(
        value == green, scale * (blue - red) + 2.0 / 6.0, scale * (red - green) + 4.0 / 6.0
    )
    hue = jnp.where(value == red, scale * (green - blue), hue)
    hue = jnp.where(spread > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)
    return jnp.stack([hue, saturation, value], axis=channel_axis).astype(images.dtype)


def hsv_to_rgb(images, data_format=None):
    """Hue, saturation and value images (each in [0, 1]) to RGB."""
    data_format = _data_format(data_format)
    images = _float_images(images, "hsv_to_rgb")
    channel_axis = -1 if data_format == "channels_last" else -3
    hue, saturation, value = (jnp.take(images, i, axis=channel_axis) for i in range(3))
    sector = jnp.mod(hue, 1.0) * 6.0
    red = jnp.clip(jnp.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    green = jnp.clip(2.0 - jnp.abs(sector - 2.0), 0.0, 1.0)
    blue = jnp.clip(2.0 - jnp.abs(sector - 4.0), 0.0, 1.0)
    planes = [value * (1.0 - saturation + saturation * c) for c in (red, green, blue)]
    return jnp.stack(planes, axis=channel_axis).astype(images.dtype)


# -- filters --------------------------------------------------------------------------------------
def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur each channel with a normalized Gaussian of `kernel_size` (height, width) and
    standard deviations `sigma` (along height, along width), zero-padded to the same size."""
    data_format = _data_format(data_format)
    images = _image_array(images, "gaussian_blur")
    dtype = images.dtype
    kernel_size = _pair(kernel_size, "gaussian_blur", "kernel_size")
    sigma = jnp.broadcast_to(jnp.asarray(unwrap(sigma), dtype), (2,))
    # As Keras: the first of each pair goes along the width, the second along the height.
    rows = _gaussian_1d(kernel_size[1], sigma[1], dtype)
    cols = _gaussian_1d(kernel_size[0], sigma[0], dtype)
    return _depthwise_filter(images, jnp.outer(rows, cols), data_format)


def sobel_edges(images, data_format=None):
    """Sobel gradients of each channel: the output has a trailing axis of 2, the vertical
    (dy) then the horizontal (dx) response, zero-padded to the input size."""
    data_format = _data_format(data_format)
    images = _image_array(images, "sobel_edges")
    horizontal = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    vertical = horizontal.T
    dy = _depthwise_filter(images, jnp.asarray(vertical, images.dtype), data_format)
    dx = _depthwise_filter(images, jnp.asarray(horizontal, images.dtype), data_format)
    return jnp.stack([dy, dx], axis=-1)


def ssim(
    image1,
    image2,
    max_val=1.0,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
    data_format=None,
):
    """Structural similarity of two images (or batches), averaged over the valid windows of a
    `filter_size` Gaussian (standard deviation `filter_sigma`) and over channels."""
    data_format = _data_format(data_format)
    image1 = _image_array(image1, "ssim")
    image2 = _image_array(image2, "ssim")
    if image1.shape != image2.shape:
        raise ValueError(
            f"ssim: image1 and image2 must have the same shape, got {tuple(image1.shape)} and "
            f"{tuple(image2.shape)}."
        )
    original = image1.dtype
    dtype = _float_dtype(original)
    image1, image2 = image1.astype(dtype), image2.astype(dtype)
    single = image1.ndim == 3
    if single:
        image1, image2 = image1[None], image2[None]
    if data_format == "channels_last":
        image1, image2 = jnp.moveaxis(image1, -1, 1), jnp.moveaxis(image2, -1, 1)
    window = _gaussian_1d(filter_size, jnp.asarray(filter_sigma, dtype), dtype)
    kernel = jnp.outer(window, window)[:, :, None, None]

    def local_mean(x):
        # Each channel of each image on its own, over the "valid" windows only.
        batch, channels, height, width = x.shape
        flat = jnp.reshape(x, (batch * channels, 1, height, width))
        means = jax.lax.conv_general_dilated(
            flat, kernel, (1, 1), "VALID", dimension_numbers=("NCHW", "HWIO", "NCHW")
        )
        return jnp.reshape(means, (batch, channels) + means.shape[2:])

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = local_mean(image1), local_mean(image2)
    var1 = local_mean(image1 * image1) - mu1 * mu1
    var2 = local_mean(image2 * image2) - mu2 * mu2
    covariance = local_mean(image1 * image2) - mu1 * mu2
    numerator = (2.0 * mu1 * mu2 + c1) * (2.0 * covariance + c2)
    denominator = (mu1 * mu1 + mu2 * mu2 + c1) * (var1 + var2 + c2)
    values = jnp.mean(numerator / denominator, axis=(1, 2, 3))
    return (values[0] if single else values).astype(original)


def _gaussian_1d(size, sigma, dtype):
    offsets = jnp.arange(size, dtype=dtype) - (size - 1) / 2.0
    weights = jnp.exp(-0.5 * jnp.square(offsets / sigma))
    return weights / jnp.sum(weights)


def _depthwise_filter(images, kernel, data_format):
    """Correlate every channel of images with the same 2D `kernel`, "same" zero padding."""
    single = images.ndim == 3
    if single:
        images = images[None]
    channels = images.shape[-1 if data_format == "channels_last" else 1]
    kernel = jnp.tile(kernel[:, :, None, None], (1, 1, 1, channels)).astype(images.dtype)
    layout = "NHWC" if data_format == "channels_last" else "NCHW"
    outputs = jax.lax.conv_general_dilated(
        images,
        kernel,
        (1, 1),
        "SAME",
        dimension_numbers=(layout, "HWIO", layout),
        feature_group_count=channels,
    )
    return outputs[0] if single else outputs


# -- geometric transforms -------------------------------------------------------------------------
def perspective_transform(
    images,
    start_points,
    end_points,
    interpolation="bilinear",
    fill_value=0,
    data_format=None,
):
    """Warp images so that the 4 `start_points` (x, y) land on the 4 `end_points`.

    Args:
        images: a 3D image or a 4D batch of images.
        start_points, end_points: `(4, 2)` corners, or `(batch, 4, 2)` one set per image.
        interpolation: "bilinear" (default) or "nearest".
        fill_value: the value of output points that come from outside the input.
        data_format: "channels_last" or "channels_first" (None: the global setting).
    """
    data_format = _data_format(data_format)
    images = _image_array(images, "perspective_transform")
    if interpolation not in AFFINE_TRANSFORM_INTERPOLATIONS:
        raise ValueError(
            "perspective_transform: `interpolation` must be one of "
            f"{tuple(AFFINE_TRANSFORM_INTERPOLATIONS)}, got interpolation={interpolation!r}."
        )
    start_points = jnp.asarray(unwrap(start_points), "float32")
    end_points = jnp.asarray(unwrap(end_points), "float32")
    for name, points in (("start_points", start_points), ("end_points", end_points)):
        if points.ndim not in (2, 3) or points.shape[-2:] != (4, 2):
            raise ValueError(
                f"perspective_transform: `{name}` must have shape (4, 2) or (batch, 4, 2), got "
                f"shape {tuple(points.shape)}."
            )
    if start_points.shape != end_points.shape:
        raise ValueError(
            "perspective_transform: start_points and end_points must have the same shape, got "
            f"{tuple(start_points.shape)} and {tuple(end_points.shape)}."
        )
    transforms = _homography(start_points.reshape(-1, 4, 2), end_points.reshape(-1, 4, 2))
    # The same sampling as affine_transform, with points outside filled by `fill_value`.
    return affine_transform(
        images,
        transforms if transforms.shape[0] > 1 else transforms[0],
        interpolation=interpolation,
        fill_mode="constant",
        fill_value=fill_value,
        data_format=data_format,
    )


def _homography(start_points, end_points):
    """The 8 coefficients that map each output point (an end point) to its input point (the
    matching start point), by solving the 8 linear equations of the 4 correspondences."""
    sx, sy = start_points[..., 0], start_points[..., 1]
    ex, ey = end_points[..., 0], end_points[..., 1]
    zeros, ones = jnp.zeros_like(ex), jnp.ones_like(ex)
    x_equations = jnp.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
    y_equations = jnp.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
    matrix = jnp.concatenate([x_equations, y_equations], axis=1)
    targets = jnp.concatenate([sx, sy], axis=-1)[..., None]
    return jnp.linalg.solve(matrix, targets)[..., 0]


def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Displace each pixel by a random field: normal noise (scale `sigma`) smoothed by a
    Gaussian blur of standard deviation `sigma`, times `alpha`; as Keras on JAX, the same field
    moves rows and columns.

    Args:
        images: a 3D image or a 4D batch of images.
        alpha: the displacement's magnitude.
        sigma: the smoothness (and scale of the noise).
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "constant", "nearest", "wrap" or "mirror".
        fill_value: the value of "constant" filling.
        seed: an int or a `SeedGenerator` (None: a fresh draw).
        data_format: "channels_last" or "channels_first" (None: the global setting).
    """
    data_format = _data_format(data_format)
    images = _image_array(images, "elastic_transform")
    if interpolation not in AFFINE_TRANSFORM_INTERPOLATIONS:
        raise ValueError(
            "elastic_transform: `interpolation` must be one of "
            f"{tuple(AFFINE_TRANSFORM_INTERPOLATIONS)}, got interpolation={interpolation!r}."
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            f"elastic_transform: `fill_mode` must be one of {FILL_MODES}, got "
            f"fill_mode={fill_mode!r}."
        )
    single = images.ndim == 3
    if single:
        images = images[None]
    if data_format == "channels_first":
        images = jnp.moveaxis(images, 1, -1)
    batch, height, width, _ = images.shape
    dtype = images.dtype
    size = int(6 * float(sigma)) | 1
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        # Keras's key for an int seed, so that a seeded call moves pixels as Keras does.
        key = jnp.asarray([int(seed) & 0xFFFFFFFF, 0], jnp.uint32)
    else:
        key = draw_seed(seed)
    noise = jax.random.normal(key, (batch, height, width), dtype) * sigma
    field = gaussian_blur(
        noise[..., None], (size, size), (sigma, sigma), data_format="channels_last"
    )[..., 0]
    rows, cols = jnp.meshgrid(jnp.arange(height), jnp.arange(width), indexing="ij")
    source_rows = rows[None] + alpha * field
    source_cols = cols[None] + alpha * field
    order = AFFINE_TRANSFORM_INTERPOLATIONS[interpolation]

    def warp(image, r, c):
        def warp_channel(channel):
            return jax.scipy.ndimage.map_coordinates(
                channel, [r, c], order=order, mode=fill_mode, cval=fill_value
            )

        return jax.vmap(warp_channel, in_axes=-1, out_axes=-1)(image)

    outputs = jax.vmap(warp)(images, source_rows, source_cols).astype(dtype)
    if data_format == "channels_first":
        outputs = jnp.moveaxis(outputs, -1, 1)
    return outputs[0] if single else outputs


def scale_and_translate(
    images, output_shape, scale, translation, spatial_dims, method, antialias=True
):
    """Resample `images` to `output_shape`, scaling and translating `spatial_dims` (as
    `jax.image.scale_and_translate`)."""
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(
            f"scale_and_translate: `method` must be one of {SCALE_AND_TRANSLATE_METHODS}, got "
            f"method={method!r}."
        )
    images = _image_array(images, "scale_and_translate", ranks=None)
    return jax.image.scale_and_translate(
        images,
        tuple(output_shape),
        tuple(spatial_dims),
        jnp.asarray(unwrap(scale)),
        jnp.asarray(unwrap(translation)),
        method,
        antialias,
    )


# -- patches --------------------------------------------------------------------------------------
def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """The `size` patches of images, every `strides` (default `size`) positions, flattened into
    the channel axis: `(batch, rows, cols, size_h * size_w * channels)`. A `size` of 3 values
    extracts 3D patches of volumes (see `extract_patches_3d`)."""
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    return _patches(
        images, size, strides, dilation_rate, padding, data_format, 2, "extract_patches"
    )


def extract_patches_3d(
    volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None
):
    """The 3D analogue of `extract_patches` for volumes `(batch, depth, height, width,
    channels)`."""
    return _patches(
        volumes, size, strides, dilation_rate, padding, data_format, 3, "extract_patches_3d"
    )


def _patches(images, size, strides, dilation_rate, padding, data_format, rank, op_name):
    data_format = _data_format(data_format)
    images = _image_array(images, op_name, ranks=(rank + 1, rank + 2))
    size = _nn._spatial_tuple(size, rank, op_name, "size")
    strides = size if not strides else _nn._spatial_tuple(strides, rank, op_name, "strides")
    single = images.ndim == rank + 1
    if single:
        images = images[None]
    channels = images.shape[-1 if data_format == "channels_last" else 1]
    depth = int(np.prod(size)) * channels
    # A convolution with the identity kernel copies each patch into the channels, ordered as
    # (window position, channel).
    kernel = jnp.eye(depth, dtype=images.dtype).reshape(size + (channels, depth))
    patches = _nn.conv(images, kernel, strides, padding, data_format, dilation_rate)
    return patches[0] if single else patches


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


def _float_images(images, op_name):
    images = _image_array(images, op_name)
    if not jnp.issubdtype(images.dtype, jnp.floating):
        raise ValueError(
            f"{op_name}: images must have a float dtype (values in [0, 1]), got dtype "
            f"{images.dtype}; cast them first."
        )
    return images


def _pair(value, op_name, arg_name):
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    value = tuple(value)
    if len(value) != 2:
        raise ValueError(f"{op_name}: `{arg_name}` must be an int or a pair, got {value!r}.")
    return value


def _float_dtype(dtype):
    return dtype if jnp.issubdtype(dtype, jnp.floating) else jnp.float32
