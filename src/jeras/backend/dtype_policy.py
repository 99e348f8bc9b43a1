"""Dtype policies (`keras.dtype_policies`, `keras.mixed_precision`): the dtype a layer keeps its
variables in and the dtype it computes in, and the process-wide default.

`"mixed_bfloat16"` and `"mixed_float16"` keep variables in float32 and compute in the half type:
a layer casts its floating inputs to the compute dtype and, while its `call` runs, reads its
float variables cast to it too (`autocast_scope`), so gradients still reach float32 variables.
"""

import contextlib
import threading

from jeras.backend import config
from jeras.backend.dtypes import is_float_dtype, standardize_dtype

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


class DTypePolicy:
    """A layer's dtypes: `"float32"`-style names use one dtype for both variables and
    computations; `"mixed_float16"` and `"mixed_bfloat16"` keep float32 variables and compute
    in the half type.

    Args:
        name: a dtype name or `"mixed_float16"` / `"mixed_bfloat16"`; default: floatx.
    """

    def __init__(self, name=None):
        if name is None:
            name = config.floatx()
        if not isinstance(name, str):
            raise TypeError(
                f"DTypePolicy: `name` must be a string such as 'float32' or 'mixed_bfloat16', "
                f"got {type(name).__name__}: {name!r}."
            )
        if name in _MIXED:
            self._compute_dtype, self._variable_dtype = _MIXED[name], "float32"
        else:
            try:
                dtype = standardize_dtype(name)
            except (TypeError, ValueError):
                raise ValueError(
                    f"DTypePolicy: cannot interpret {name!r}: use a dtype name ('float32', "
                    "'bfloat16', ...) or 'mixed_float16' / 'mixed_bfloat16'."
                ) from None
            self._compute_dtype = self._variable_dtype = dtype
            name = dtype
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def quantization_mode(self):
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """The same as `DTypePolicy` (Keras keeps the name for older code).

    Args:
        name: as `DTypePolicy`.
    """


def serialize(policy):
    """The saved form of a policy, as Keras writes it in a layer's config."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": policy.name},
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """The policy a `serialize` dict (or a bare `{"name": ...}` config) describes."""
    if isinstance(config, dict) and "config" in config:
        config = config["config"]
    if not isinstance(config, dict) or "name" not in config:
        raise ValueError(f"Cannot read a dtype policy from {config!r}.")
    return DTypePolicy(config["name"])


def get(identifier):
    """A policy from a name, a saved dict, a policy, or None (the global policy)."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    name = getattr(identifier, "name", None)  # a NumPy or JAX dtype
    if isinstance(name, str):
        return DTypePolicy(name)
    raise ValueError(
        f"Cannot interpret {identifier!r} as a dtype policy: pass a name such as 'float32' or "
        "'mixed_bfloat16', or a `DTypePolicy`."
    )


_global = [None]


def set_global_policy(policy):
    """Make `policy` (a name or `DTypePolicy`; None resets to floatx) the default of every
    layer created afterwards.

    Args:
        policy: a policy name, a `DTypePolicy`, or None.
    """
    if policy is None:
        _global[0] = None
        return
    policy = get(policy)
    if not is_float_dtype(policy.compute_dtype):
        raise ValueError(
            f"set_global_policy: the global policy must compute in a floating type, got "
            f"{policy.name!r}."
        )
    _global[0] = policy


def global_policy():
    """The policy layers take when created without `dtype=`."""
    return _global[0] if _global[0] is not None else DTypePolicy(config.floatx())


# -- autocast: a layer's float variables read in its compute dtype while its `call` runs ----------
_autocast = threading.local()


def autocast_dtype():
    return getattr(_autocast, "dtype", None)


@contextlib.contextmanager
def autocast_scope(dtype):
    """While active, reading a float variable whose `autocast` is on gives it cast to `dtype`
    (None: as stored)."""
    previous = autocast_dtype()
    _autocast.dtype = dtype
    try:
        yield
    finally:
        _autocast.dtype = previous


def autocast_for(layer_autocasts, compute_dtype, variable_dtype):
    """`(enter, dtype)`: whether a layer's `call` enters a new autocast scope, and its dtype.

    Inside an enclosing scope (a mixed model around its layers) a layer reads its variables in
    its own compute dtype (a float32 layer in a bfloat16 model reads float32), or as stored when
    it does not autocast or computes in a non-float type. Outside any scope only a mixed layer
    enters one."""
    current = autocast_dtype()
    if current is not None:
        if not layer_autocasts or not is_float_dtype(compute_dtype):
            return True, None
        if current != compute_dtype:
            return True, compute_dtype
        return False, None
    if compute_dtype != variable_dtype:
        return True, compute_dtype
    return False, None
