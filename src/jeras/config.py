"""`jeras.config`: global settings, as `keras.config`."""

from jeras.backend.config import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401


def backend():
    return "jax"
