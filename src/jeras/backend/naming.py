"""Keras's automatic names: snake_case of the class name plus a per-process counter (`dense`, `dense_1`)."""

import re
import threading

_counts = {}
_lock = threading.Lock()


def to_snake_case(name):
    # Keras's rule: a boundary before every capital that follows a lower-case letter or
    # precedes a lower-case letter, so "RMSprop" -> "rm_sprop" and "Conv2D" -> "conv2d".
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def uniquify(base):
    """Return `base` the first time it is asked for, then `base_1`, `base_2`, ..."""
    with _lock:
        count = _counts.get(base, 0)
        _counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def auto_name(obj_or_class):
    cls = obj_or_class if isinstance(obj_or_class, type) else type(obj_or_class)
    return uniquify(to_snake_case(cls.__name__))


def reset_names():
    """Forget every name handed out (as `keras.backend.clear_session()` does)."""
    with _lock:
        _counts.clear()


def get_uid(prefix=""):
    """How many times `prefix` has been asked for, this call included (1, 2, ...), on the
    counter that automatic names use (as `keras.backend.get_uid`)."""
    with _lock:
        count = _counts.get(prefix, 0) + 1
        _counts[prefix] = count
    return count
