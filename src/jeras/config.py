"""`jeras.config`: global settings, as `keras.config`."""

from jeras.backend.config import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401
from jeras.saving import serialization as _serialization


def backend():
    return "jax"


def enable_unsafe_deserialization():
    """Allow loading Python lambdas from saved models everywhere (as Keras's function)."""
    _serialization.enable_unsafe_deserialization()
