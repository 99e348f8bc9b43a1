"""`jeras.config`: global settings, as `keras.config`."""

from jeras.backend.config import (  # noqa: F401
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from jeras.saving import serialization as _serialization


def backend():
    return "jax"


def enable_unsafe_deserialization():
    """Allow loading Python lambdas from saved models everywhere (as Keras's function)."""
    _serialization.enable_unsafe_deserialization()
