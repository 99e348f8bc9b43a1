"""`KerasTensor`: a symbolic tensor (shape with None for unknown dims, dtype, and the layer that
made it) from which functional models are built."""

import jax
import jax.numpy as jnp

from jeras.backend.dtypes import standardize_dtype
from jeras.backend.naming import uniquify


class KerasTensor:
    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True,
                 name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = standardize_dtype(dtype)
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        self.name = name or uniquify("keras_tensor")
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def reshape(self, *shape):
        from jeras import ops

        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (list, tuple)) else shape
        return _op_layer("reshape", lambda x: jnp.reshape(x, (x.shape[0],) + tuple(shape[1:]))
                         if shape and shape[0] in (None, -1) else jnp.reshape(x, shape))(self)

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged={self.ragged}, name={self.name}>")

    def __hash__(self):
        return id(self)

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated; index it instead.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value.")

    def __getitem__(self, key):
        return _op_layer("get_item", lambda x: x[key])(self)


def _op_layer(name, fn):
    from jeras.layers.core import _OperationLayer

    return _OperationLayer(fn, name=uniquify(name))


def _binary(name, op, reflected=False):
    def method(self, other):
        if reflected:
            return _op_layer(name, lambda a, b: op(b, a))(self, other)
        return _op_layer(name, op)(self, other)
    return method


import operator as _op

# Each operator is recorded under the name Keras gives its operation (`x * y` -> "multiply"),
# so automatic names and name clashes match Keras's.
for _dunder, (_name, _fn) in {
        "add": ("add", _op.add), "sub": ("subtract", _op.sub), "mul": ("multiply", _op.mul),
        "truediv": ("true_divide", _op.truediv), "matmul": ("matmul", _op.matmul),
        "pow": ("power", _op.pow), "floordiv": ("floor_divide", _op.floordiv),
        "mod": ("mod", _op.mod), "and": ("logical_and", jnp.logical_and),
        "or": ("logical_or", jnp.logical_or), "xor": ("logical_xor", jnp.logical_xor)}.items():
    setattr(KerasTensor, f"__{_dunder}__", _binary(_name, _fn))
    setattr(KerasTensor, f"__r{_dunder}__", _binary(_name, _fn, reflected=True))
for _dunder, (_name, _fn) in {
        "lt": ("less", _op.lt), "le": ("less_equal", _op.le), "gt": ("greater", _op.gt),
        "ge": ("greater_equal", _op.ge), "ne": ("not_equal", _op.ne)}.items():
    setattr(KerasTensor, f"__{_dunder}__", _binary(_name, _fn))
KerasTensor.__neg__ = lambda self: _op_layer("negative", _op.neg)(self)
KerasTensor.__abs__ = lambda self: _op_layer("absolute", abs)(self)
KerasTensor.__invert__ = lambda self: _op_layer("logical_not", jnp.logical_not)(self)
KerasTensor.__round__ = lambda self, ndigits=None: _op_layer(
    "round", lambda x: jnp.round(x, ndigits or 0))(self)


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)
