"""JAX plumbing: variables, the state scope, seed streams, dtypes and global settings."""

import gc

from jeras.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from jeras.backend.dtypes import is_float_dtype, is_int_dtype, result_type, standardize_dtype
from jeras.backend.naming import get_uid, reset_names
from jeras.backend.state_scope import (
    StatelessScope,
    StateScope,
    current_scope,
    get_stateless_scope,
    in_stateless_scope,
)
from jeras.backend.variable import Variable
from jeras.saving.public_names import required_public_object as _required_public_object


def clear_session(free_memory=True):
    """Reset automatic naming, as `keras.backend.clear_session()`; with `free_memory` (the
    default), also collect garbage so dropped models release their device buffers."""
    reset_names()
    if free_memory:
        gc.collect()


def backend():
    return "jax"


def is_keras_tensor(x):
    """Whether `x` is a symbolic `KerasTensor` (an output of `keras.Input` or of a layer
    called on one)."""
    # KerasTensor lives a level above the backend: it is found through the public-name
    # registry (`jeras.models` exports it), not imported.
    keras_tensor = _required_public_object("models", "KerasTensor", "keras.backend.is_keras_tensor")
    return isinstance(x, keras_tensor)
