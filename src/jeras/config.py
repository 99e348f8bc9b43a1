"""`jeras.config`: global settings, as `keras.config`."""

from jeras.backend.config import (  # noqa: F401
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from jeras.backend.dtype_policy import (  # noqa: F401
    global_policy as dtype_policy,
)
from jeras.backend.dtype_policy import (  # noqa: F401
    set_global_policy as set_dtype_policy,
)
from jeras.saving import serialization as _serialization
from jeras.utils.config_switches import (  # noqa: F401
    disable_flash_attention,
    disable_traceback_filtering,
    enable_flash_attention,
    enable_traceback_filtering,
    is_flash_attention_enabled,
    is_traceback_filtering_enabled,
    max_epochs,
    max_steps_per_epoch,
    set_max_epochs,
    set_max_steps_per_epoch,
)
from jeras.utils.io_utils import (  # noqa: F401
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)


def backend():
    """The name of the backend: always "jax"."""
    return "jax"


def set_backend(backend):
    """jeras runs on JAX only: "jax" is accepted (nothing to do), any other name is an error."""
    if backend != "jax":
        raise ValueError(
            f"jeras implements Keras on JAX only; set_backend({backend!r}) is not possible. "
            "Use real Keras for other backends."
        )


def is_nnx_enabled():
    """Whether layers are Flax NNX modules: never in jeras."""
    return False


def enable_unsafe_deserialization():
    """Allow loading Python lambdas from saved models everywhere (as Keras's function)."""
    _serialization.enable_unsafe_deserialization()
