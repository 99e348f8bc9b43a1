"""Dtype names as Keras spells them ("float32", "int32", ...)."""

import jax.numpy as jnp
import numpy as np

from jeras.backend.config import floatx


def standardize_dtype(dtype):
    if dtype is None:
        return floatx()
    if dtype in ("string", "str", str, bytes):
        # Text, as Keras names it: the host-side preprocessing layers take it; JAX arrays
        # never hold it.
        return "string"
    if hasattr(dtype, "name") and not isinstance(dtype, str) and not isinstance(dtype, type):
        name = dtype.name
    else:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            name = jnp.dtype(dtype).name
    if name == "float":
        return "float64"
    if name == "int64" or name == "uint64":
        # JAX runs with 32-bit integers unless x64 is enabled; keep the name JAX will really use.
        import jax

        if not jax.config.jax_enable_x64:
            return name.replace("64", "32")
    return name


def is_float_dtype(dtype):
    return "float" in standardize_dtype(dtype)


def is_int_dtype(dtype):
    return "int" in standardize_dtype(dtype)
