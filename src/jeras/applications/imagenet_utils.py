"""ImageNet conventions shared by the application families, named as
`keras.applications.imagenet_utils`: input preprocessing ("caffe", "tf", "torch"), decoding of
1000-class predictions, and the input-shape rules every family applies to its arguments."""

import json
import os
import sys
import warnings

import numpy as np

from jeras import activations, ops
from jeras.backend.config import floatx, image_data_format

CLASS_INDEX_FILE = "imagenet_class_index.json"
CLASS_INDEX_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

# Per-channel statistics of ImageNet, in the channel order each mode works in.
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN_RGB = (0.485, 0.456, 0.406)
_TORCH_STD_RGB = (0.229, 0.224, 0.225)

PREPROCESS_MODES = ("caffe", "tf", "torch")

# The class index, read once per process.
_class_index = None


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocess a batch of images (values in [0, 255]) as the ImageNet models expect.

    A floating-point NumPy array is modified in place (and returned), as in Keras; pass a copy
    to keep the original. Other arrays and symbolic tensors give a new tensor.

    Args:
        x: a NumPy array, a tensor or a symbolic tensor of images, 3D or 4D, with 3 channels.
        data_format: "channels_last" or "channels_first"; None means the global
            `keras.config.image_data_format()`.
        mode: "caffe" (RGB to BGR, then ImageNet's channel means subtracted, no scaling), "tf"
            (scaled to [-1, 1]) or "torch" (scaled to [0, 1], then each channel normalized by
            ImageNet's mean and standard deviation). Defaults to "caffe".

    Returns:
        The preprocessed images, float32 for integer input.
    """
    if mode not in PREPROCESS_MODES:
        raise ValueError(
            f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}"
        )
    data_format = _checked_data_format(data_format)
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as `(class_id, description, score)`.

    The class names come from Keras's `imagenet_class_index.json`, looked up in the Keras cache
    (`~/.keras/models/`, or `$KERAS_HOME/models/`) and otherwise fetched with
    `keras.utils.get_file` where that can reach the network.

    Args:
        preds: an array of shape `(samples, 1000)`.
        top: how many classes to return per sample. Defaults to 5.

    Returns:
        One list of `(class_id, description, score)` tuples per sample, best first.
    """
    shape = tuple(np.shape(preds))
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {shape}"
        )
    class_index = _load_class_index()
    results = []
    for pred in np.asarray(ops.convert_to_numpy(preds)):
        best = pred.argsort()[-top:][::-1]
        decoded = [tuple(class_index[str(i)]) + (pred[i],) for i in best]
        decoded.sort(key=lambda entry: entry[2], reverse=True)
        results.append(decoded)
    return results


def obtain_input_shape(
    input_shape, default_size, min_size, data_format, require_flatten, weights=None
):
    """The image input shape (without batch) a family builds for, from the user's
    `input_shape`, with Keras's rules: the default size where the top (a classifier on a fixed
    number of features) needs one, free spatial sizes otherwise, a minimum size, and 3 channels
    for ImageNet weights."""
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                f"input_shape with {channels} input channels.",
                stacklevel=3,
            )
        spatial = (default_size, default_size)
        default_shape = (channels, *spatial) if channels_first else (*spatial, channels)
    else:
        default_shape = (
            (3, default_size, default_size) if channels_first else (default_size, default_size, 3)
        )
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                "`input_shape` must be a tuple of three integers (height, width, channels). "
                f"Received: input_shape={input_shape}"
            )
        channels = input_shape[0] if channels_first else input_shape[-1]
        spatial = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                f"The input must have 3 channels; Received `input_shape={input_shape}`"
            )
        if any(size is not None and size < min_size for size in spatial):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}; Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. "
            f"Received: input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """The `((top, bottom), (left, right))` zero padding before a strided convolution of
    `kernel_size` on `inputs` that makes "valid" padding behave as TensorFlow's "same"."""
    first_spatial = 2 if image_data_format() == "channels_first" else 1
    size = inputs.shape[first_spatial : first_spatial + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    # An even size loses one row/column of padding in front; an unknown size is taken as even.
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained weights were trained with a softmax (or no activation) on the top layer: any
    other `classifier_activation` with them is an error."""
    if weights is None:
        return
    activation = activations.get(classifier_activation)
    if activation not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`; Received: "
            f"classifier_activation={classifier_activation}"
        )


def keras_cache_path(file_name, cache_subdir="models"):
    """Where Keras caches `file_name`: `$KERAS_HOME/<cache_subdir>/`, else
    `~/.keras/<cache_subdir>/` (`/tmp/.keras` when the home directory is read-only)."""
    if "KERAS_HOME" in os.environ:
        home = os.path.expanduser(os.environ["KERAS_HOME"])
    else:
        user_dir = os.path.expanduser("~")
        if not os.access(user_dir, os.W_OK):
            user_dir = "/tmp"
        home = os.path.join(user_dir, ".keras")
    return os.path.join(home, cache_subdir, file_name)


def fetch_keras_file(file_name, url, file_hash, what):
    """The local path of one of Keras's published files: the cached copy, else a download
    through `keras.utils.get_file` where jeras has it and the network is reachable. Offline and
    absent: a ValueError that names the file, its address and where to put it."""
    cached = keras_cache_path(file_name)
    if os.path.isfile(cached):
        return cached
    reason = "jeras cannot download it here"
    # `keras.utils.get_file` lives in `jeras.utils`, a package that spans levels and is fully
    # loaded by `import jeras`; it is looked up, not imported, to keep this level's modules
    # independent of each other.
    get_file = getattr(sys.modules.get("jeras.utils"), "get_file", None)
    if get_file is not None:
        try:
            return get_file(file_name, url, cache_subdir="models", file_hash=file_hash)
        except Exception as err:  # noqa: BLE001 - any failure means: not available offline
            reason = f"the download failed ({type(err).__name__}: {err})"
    raise ValueError(
        f"{what} needs Keras's published file `{file_name}`, which is not in the Keras cache "
        f"({cached}) and {reason}. Download it from {url} where you have network access, then "
        f"either put it at {cached} or pass its local path."
    )


def _load_class_index():
    global _class_index
    if _class_index is None:
        path = fetch_keras_file(
            CLASS_INDEX_FILE,
            CLASS_INDEX_URL,
            CLASS_INDEX_HASH,
            "`decode_predictions` (the ImageNet class names)",
        )
        with open(path) as f:
            _class_index = json.load(f)
    return _class_index


def _checked_data_format(data_format):
    if data_format is None:
        return image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "Expected data_format to be one of `channels_first` or `channels_last`. "
            f"Received: data_format={data_format}"
        )
    return data_format


def _channel_shape(ndim, data_format):
    # Shape that broadcasts a per-channel vector over images of rank `ndim`.
    if data_format == "channels_first":
        return (3, 1, 1) if ndim == 3 else (1, 3) + (1,) * (ndim - 2)
    return (1,) * (ndim - 1) + (3,)


def _reverse_channels(x, data_format):
    if data_format == "channels_first":
        return x[::-1, ...] if len(x.shape) == 3 else x[:, ::-1, ...]
    return x[..., ::-1]


def _preprocess_numpy(x, data_format, mode):
    if not issubclass(x.dtype.type, np.floating):
        x = x.astype(floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    shape = _channel_shape(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(np.asarray(_TORCH_MEAN_RGB, x.dtype), shape)
        x /= np.reshape(np.asarray(_TORCH_STD_RGB, x.dtype), shape)
        return x
    # caffe: the reversed view is written through, so the caller's array changes too (Keras).
    x = _reverse_channels(x, data_format)
    x -= np.reshape(np.asarray(_CAFFE_MEAN_BGR, x.dtype), shape)
    return x


def _preprocess_tensor(x, data_format, mode):
    if mode == "tf":
        return x / 127.5 - 1.0
    dtype = x.dtype
    shape = _channel_shape(len(x.shape), data_format)
    if mode == "torch":
        x = x / 255.0
        x = x + np.reshape(-np.asarray(_TORCH_MEAN_RGB), shape).astype(dtype)
        return x / np.reshape(np.asarray(_TORCH_STD_RGB), shape).astype(dtype)
    x = _reverse_channels(x, data_format)
    return x + np.reshape(-np.asarray(_CAFFE_MEAN_BGR), shape).astype(dtype)
