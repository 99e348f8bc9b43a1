"""`jeras.config`: global settings, as `keras.config`."""

from jeras.backend.config import epsilon, floatx, set_epsilon, set_floatx  # noqa: F401


def backend():
    return "jax"


def enable_unsafe_deserialization():
    """Allow loading Python lambdas from saved models everywhere (as Keras's function)."""
    from jeras.saving.serialization import enable_unsafe_deserialization as enable

    enable()
