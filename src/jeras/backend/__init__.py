"""JAX plumbing: variables, the state scope, seed streams, dtypes and global settings."""

from jeras.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from jeras.backend.dtypes import is_float_dtype, is_int_dtype, standardize_dtype
from jeras.backend.naming import reset_names
from jeras.backend.state_scope import (
    StatelessScope,
    StateScope,
    current_scope,
    get_stateless_scope,
    in_stateless_scope,
)
from jeras.backend.variable import Variable


def clear_session():
    """Reset automatic naming, as `keras.backend.clear_session()`."""
    reset_names()


def backend():
    return "jax"
