"""Images as files and arrays: `load_img`, `img_to_array`, `array_to_img`, `save_img` (as
`keras.utils`, through Pillow, the optional `image` extra), and the resizing that the image
datasets apply, with TensorFlow's pixel rules so that they give Keras's values."""

import io
import pathlib
import warnings

import numpy as np

from jeras.backend.config import floatx, image_data_format

# Pillow's resampling filters by Keras's `interpolation` names.
_PIL_FILTERS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "Reading and writing images needs Pillow: `pip install jeras[image]` (or "
            "`pip install pillow`)."
        ) from None
    return Image


def _data_format(data_format):
    data_format = image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


def load_img(
    path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False
):
    """Load an image file as a PIL image.

    Args:
        path: the file's path (str or `pathlib.Path`), or an `io.BytesIO` holding its bytes.
        color_mode: "rgb" (default), "rgba" or "grayscale".
        target_size: None (the file's size) or `(height, width)`.
        interpolation: Pillow's filter when resizing: "nearest" (default), "bilinear",
            "bicubic", "hamming", "box" or "lanczos".
        keep_aspect_ratio: crop the image to the target's aspect ratio (centred) before
            resizing, instead of stretching it.

    Returns:
        A `PIL.Image.Image`.
    """
    image_module = _pil()
    if isinstance(path, io.BytesIO):
        image = image_module.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        if isinstance(path, pathlib.Path):
            path = str(path.resolve())
        with open(path, "rb") as file:
            image = image_module.open(io.BytesIO(file.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    if color_mode == "grayscale":
        if image.mode not in ("L", "I;16", "I"):
            image = image.convert("L")
    elif color_mode == "rgba":
        if image.mode != "RGBA":
            image = image.convert("RGBA")
    elif color_mode == "rgb":
        if image.mode != "RGB":
            image = image.convert("RGB")
    else:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if target_size is None:
        return image
    wanted = (target_size[1], target_size[0])  # Pillow sizes are (width, height)
    if image.size == wanted:
        return image
    if interpolation not in _PIL_FILTERS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(_PIL_FILTERS)}"
        )
    resample = getattr(getattr(image_module, "Resampling", image_module), interpolation.upper())
    if not keep_aspect_ratio:
        return image.resize(wanted, resample)
    width, height = image.size
    target_width, target_height = wanted
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    box = [left, top, left + crop_width, top + crop_height]
    return image.resize(wanted, resample, box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image (or any array-like image) as a 3D NumPy array of `dtype` (default floatx):
    `(height, width, channels)`, or channels first."""
    data_format = _data_format(data_format)
    array = np.asarray(img, dtype=floatx() if dtype is None else dtype)
    if array.ndim == 3:
        return array.transpose(2, 0, 1) if data_format == "channels_first" else array
    if array.ndim == 2:
        if data_format == "channels_first":
            return array.reshape((1,) + array.shape)
        return array.reshape(array.shape + (1,))
    raise ValueError(f"Unsupported image shape: {array.shape}")


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array as a PIL image: 1 channel gives "L" (or "I" for values above 255), 3 "RGB",
    4 "RGBA".

    Args:
        x: the image array, `(height, width, channels)` or channels first.
        data_format: the layout of `x` (default: `keras.config.image_data_format()`).
        scale: stretch the values to [0, 255] first (default True).
        dtype: the dtype the values are read as (default floatx).
    """
    image_module = _pil()
    data_format = _data_format(data_format)
    x = np.array(x, dtype=floatx() if dtype is None else dtype)
    if x.ndim != 3:
        raise ValueError(
            f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}"
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save a 3D image array to a file; the format comes from `file_format` or the file's
    extension. Extra keyword arguments go to Pillow's `Image.save`."""
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    image = array_to_img(x, data_format=data_format, scale=scale)
    if image.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        image = image.convert("RGB")
    image.save(path, format=file_format, **kwargs)


# -- resizing with TensorFlow's rules ------------------------------------------------------------
RESIZE_METHODS = (
    "bilinear",
    "nearest",
    "bicubic",
    "area",
    "lanczos3",
    "lanczos5",
    "gaussian",
    "mitchellcubic",
)
# Methods computed here; the others are named by Keras but not reproduced by jeras.
_COMPUTED = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def check_resize_method(interpolation):
    """The lower-cased method name, or a ValueError naming the supported ones."""
    method = str(interpolation).lower()
    if method not in RESIZE_METHODS:
        raise ValueError(
            f"Argument `interpolation` should be one of {RESIZE_METHODS}. Received: "
            f"interpolation={interpolation}"
        )
    if method not in _COMPUTED:
        raise ValueError(
            f"interpolation={interpolation!r} is not available in jeras; use one of {_COMPUTED}."
        )
    return method


def resize_image(image, size, method):
    """Resize a `(height, width, channels)` image to `size` as `tf.image.resize` does (no
    antialiasing, half-pixel centres): float32 output, except "nearest" which keeps the dtype."""
    height, width = image.shape[:2]
    target_height, target_width = size
    if method == "nearest":
        rows = _nearest_indices(height, target_height)
        cols = _nearest_indices(width, target_width)
        return image[rows][:, cols]
    image = image.astype("float32")
    if method == "bilinear":
        image = _bilinear_axis(image, 0, target_height)
        return _bilinear_axis(image, 1, target_width)
    import jax

    kernel = {"bicubic": "cubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}[method]
    scale = np.array([target_height / height, target_width / width], "float32")
    resized = jax.image.scale_and_translate(
        image,
        (target_height, target_width, image.shape[2]),
        (0, 1),
        scale,
        np.zeros(2, "float32"),
        method=kernel,
        antialias=False,
    )
    return np.asarray(resized, "float32")


def _nearest_indices(size, target):
    scale = size / target
    return np.minimum(np.floor((np.arange(target) + 0.5) * scale).astype("int64"), size - 1)


def _bilinear_axis(image, axis, target):
    size = image.shape[axis]
    # float32 arithmetic, as TensorFlow's kernel.
    scale = np.float32(size / target)
    position = (np.arange(target, dtype="float32") + np.float32(0.5)) * scale - np.float32(0.5)
    floor = np.floor(position)
    lower = np.maximum(floor.astype("int64"), 0)
    upper = np.minimum(np.ceil(position).astype("int64"), size - 1)
    fraction = (position - floor).astype("float32")
    shape = [1] * image.ndim
    shape[axis] = target
    fraction = fraction.reshape(shape)
    low = np.take(image, lower, axis=axis)
    high = np.take(image, upper, axis=axis)
    return low + (high - low) * fraction


def smart_resize_image(image, size, method):
    """Crop the largest centred window of `size`'s aspect ratio, then resize it (Keras's
    `crop_to_aspect_ratio`); the dtype follows `resize_image`."""
    height, width = image.shape[:2]
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    cropped = image[top : top + crop_height, left : left + crop_width]
    return resize_image(cropped, size, method)


def pad_resize_image(image, size, method):
    """Resize to fit inside `size` keeping the aspect ratio, then pad with zeros around it
    (Keras's `pad_to_aspect_ratio`, TensorFlow's `resize_with_pad`)."""
    height, width = image.shape[:2]
    target_height, target_width = size
    ratio = max(width / target_width, height / target_height)
    resized_height_float, resized_width_float = height / ratio, width / ratio
    resized_height, resized_width = int(resized_height_float), int(resized_width_float)
    top = int(np.floor(max((target_height - resized_height_float) / 2, 0)))
    left = int(np.floor(max((target_width - resized_width_float) / 2, 0)))
    resized = resize_image(image, (resized_height, resized_width), method).astype("float32")
    padded = np.zeros((target_height, target_width, image.shape[2]), "float32")
    padded[top : top + resized_height, left : left + resized_width] = resized
    return padded
