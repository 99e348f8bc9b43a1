"""Global numeric settings: the default float type and the fuzz factor used by losses and metrics."""

_FLOATX = "float32"
_EPSILON = 1e-7


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
