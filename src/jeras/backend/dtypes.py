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


# Python scalar types are "weak": they take the kind they name but defer to any array dtype.
_WEAK_KINDS = {bool: 0, int: 1, float: 2, complex: 3}
_KIND_OF_NAME = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}


def result_type(*dtypes):
    """The dtype of an operation over values of `dtypes`, by JAX's promotion lattice without
    its 32-bit canonicalisation (as `keras.backend.result_type`): Python `int` / `float` defer
    to array dtypes, None stands for `floatx()`, and no argument gives `floatx()`."""
    if not dtypes:
        return floatx()
    strong, weak_kind = [], -1
    for dtype in dtypes:
        if dtype in _WEAK_KINDS:
            weak_kind = max(weak_kind, _WEAK_KINDS[dtype])
            continue
        name = floatx() if dtype is None else _plain_name(dtype)
        if name.startswith("float8"):
            raise ValueError(
                f"There is no implicit conversion from float8 dtypes to others; cast first. "
                f"Received: {dtypes}"
            )
        strong.append(name)
    if not strong:
        return ("bool", "int32", floatx(), "complex64")[weak_kind]
    result = strong[0]
    for name in strong[1:]:
        result = jnp.promote_types(result, name).name
    kind = _KIND_OF_NAME[jnp.dtype(result).kind]
    if weak_kind > kind:
        # A Python float meeting integers gives floatx; a Python int meeting bools, int32.
        return ("bool", "int32", floatx(), "complex64")[weak_kind]
    return result


def _plain_name(dtype):
    if hasattr(dtype, "name") and not isinstance(dtype, (str, type)):
        return dtype.name
    try:
        return np.dtype(dtype).name
    except TypeError:
        return jnp.dtype(dtype).name
