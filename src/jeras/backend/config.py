"""Global settings: the default float type, the fuzz factor used by losses and metrics, and the
image data format that spatial layers follow when their `data_format` is None."""

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def floatx():
    """The default float dtype name, as Keras's `keras.config.floatx()`."""
    return _FLOATX


def set_floatx(value):
    global _FLOATX
    allowed = ("float16", "bfloat16", "float32", "float64")
    if value not in allowed:
        raise ValueError(f"Unknown floatx {value!r}; expected one of {allowed}.")
    _FLOATX = value


def epsilon():
    """The fuzz factor (1e-7) that keeps logs and divisions finite."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """The layout spatial layers assume when `data_format=None`: "channels_last" (default) or
    "channels_first", as Keras's `keras.config.image_data_format()`."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Set the layout that spatial layers created afterwards use when `data_format=None`."""
    global _IMAGE_DATA_FORMAT
    value = str(data_format).lower() if isinstance(data_format, str) else data_format
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format!r}"
        )
    _IMAGE_DATA_FORMAT = value
