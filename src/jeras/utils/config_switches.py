"""Global switches of `keras.config` that belong to no one subsystem: limits on epochs and
steps for quick debugging runs (read by `fit`, `evaluate` and `predict`), the flash-attention
preference, and traceback filtering.

Like Keras, the limits start from the `KERAS_MAX_EPOCHS` and `KERAS_MAX_STEPS_PER_EPOCH`
environment variables. This module imports nothing from jeras, so every level may read it.
"""

import os
import warnings


def _limit_from_environment(variable):
    value = os.environ.get(variable)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"The environment variable {variable} must be an integer, got {value!r}."
        ) from None


_SWITCHES = {
    "max_epochs": _limit_from_environment("KERAS_MAX_EPOCHS"),
    "max_steps_per_epoch": _limit_from_environment("KERAS_MAX_STEPS_PER_EPOCH"),
    # None: let each attention call decide (Keras's default); True / False: ask for / refuse it.
    "flash_attention": None,
    "traceback_filtering": True,
}


def _check_limit(value, name):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"`{name}` must be a positive integer or None, got {value!r}.")
    return value


def set_max_epochs(max_epochs):
    """Cap the number of epochs of every later `fit` call (None removes the cap)."""
    _SWITCHES["max_epochs"] = _check_limit(max_epochs, "max_epochs")


def max_epochs():
    """The cap on `fit`'s epochs, or None (the default)."""
    return _SWITCHES["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the number of steps of every later epoch of `fit`, `evaluate` and `predict` (None
    removes the cap)."""
    _SWITCHES["max_steps_per_epoch"] = _check_limit(max_steps_per_epoch, "max_steps_per_epoch")


def max_steps_per_epoch():
    """The cap on steps per epoch, or None (the default)."""
    return _SWITCHES["max_steps_per_epoch"]


def limit_epochs(epochs):
    """`epochs`, capped by `max_epochs()` with Keras's warning when the cap applies."""
    cap = max_epochs()
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return cap
    return epochs


def limit_steps(steps):
    """`steps` (per epoch; None for a whole pass), capped by `max_steps_per_epoch()` with
    Keras's warning when the cap applies."""
    cap = max_steps_per_epoch()
    if cap and (not steps or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


def enable_flash_attention():
    """Let attention layers use a fused (flash) attention kernel where the inputs and device
    allow it (the default)."""
    _SWITCHES["flash_attention"] = None


def disable_flash_attention():
    """Make attention layers use the plain XLA computation."""
    _SWITCHES["flash_attention"] = False


def is_flash_attention_enabled():
    """None (the default: decided per call) or False (disabled), as Keras."""
    return _SWITCHES["flash_attention"]


def enable_traceback_filtering():
    """Keras trims its own frames from error tracebacks; jeras keeps every frame and only
    records the setting, which `is_traceback_filtering_enabled` reports."""
    _SWITCHES["traceback_filtering"] = True


def disable_traceback_filtering():
    """Record that tracebacks should show every frame (jeras never trims them)."""
    _SWITCHES["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    """The recorded traceback-filtering setting (True by default, as Keras)."""
    return _SWITCHES["traceback_filtering"]
