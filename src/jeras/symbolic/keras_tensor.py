"""`KerasTensor`: a symbolic tensor (shape with None for unknown dims, dtype, and the layer that
made it) from which functional models are built."""

import jax
import jax.numpy as jnp

from jeras.backend.dtypes import standardize_dtype
from jeras.backend.naming import uniquify
from jeras.saving.public_names import required_public_object


class KerasTensor:
    """A symbolic tensor: a shape (None for unknown dimensions) and a dtype, with no values.

    `keras.Input` returns one, and calling a layer on one returns new ones that remember the call;
    a functional model is the graph between them.

    Args:
        shape: a tuple of ints or None, the batch dimension included.
        dtype: the element dtype (default "float32").
        sparse: whether the tensor stands for sparse data (default False).
        ragged: whether the tensor stands for ragged data (default False).
        record_history: accepted for compatibility with Keras; jeras always records the history.
        name: a name for the tensor (a unique "keras_tensor" name by default).
    """

    def __init__(
        self, shape, dtype="float32", sparse=False, ragged=False, record_history=True, name=None
    ):
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
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (list, tuple)) else shape
        return _op_layer("Reshape", newshape=tuple(shape))(self)

    def __repr__(self):
        return (
            f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
            f"ragged={self.ragged}, name={self.name}>"
        )

    def __hash__(self):
        return id(self)

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor cannot be iterated; index it instead.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value.")

    def __getitem__(self, key):
        return _op_layer("GetItem")(self, key)


def _op_layer(operation, **config):
    """The layer recording Keras operation `operation` (`"Add"`); its automatic name is the
    one Keras gives that operation (`add`, `true_divide`), so names and clashes match."""
    # Layers sit above symbolic tensors: `jeras.layers` registers the layer that records an
    # operator, and it is looked up here when the operator is used.
    make_operation = required_public_object(
        "layers.operations", "make_operation", f"The operator {operation!r} on a KerasTensor"
    )
    return make_operation(operation, **config)


def _binary(operation, reflected=False):
    def method(self, other):
        # `2 - x` is recorded as Keras records it: subtract(2, x).
        if reflected:
            return _op_layer(operation)(other, self)
        return _op_layer(operation)(self, other)

    return method


for _dunder, _operation in {
    "add": "Add",
    "sub": "Subtract",
    "mul": "Multiply",
    "truediv": "TrueDivide",
    "matmul": "Matmul",
    "pow": "Power",
    "floordiv": "FloorDivide",
    "mod": "Mod",
    "and": "LogicalAnd",
    "or": "LogicalOr",
    "xor": "LogicalXor",
}.items():
    setattr(KerasTensor, f"__{_dunder}__", _binary(_operation))
    setattr(KerasTensor, f"__r{_dunder}__", _binary(_operation, reflected=True))
for _dunder, _operation in {
    "lt": "Less",
    "le": "LessEqual",
    "gt": "Greater",
    "ge": "GreaterEqual",
    "ne": "NotEqual",
}.items():
    setattr(KerasTensor, f"__{_dunder}__", _binary(_operation))
KerasTensor.__neg__ = lambda self: _op_layer("Negative")(self)
KerasTensor.__abs__ = lambda self: _op_layer("Absolute")(self)
KerasTensor.__invert__ = lambda self: _op_layer("LogicalNot")(self)
KerasTensor.__round__ = lambda self, ndigits=None: _op_layer("Round", decimals=ndigits or 0)(self)


def is_keras_tensor(x):
    return isinstance(x, KerasTensor)


def has_keras_tensors(x):
    """Whether the nested structure `x` holds a `KerasTensor` anywhere (a symbolic call)."""
    return any(
        isinstance(leaf, KerasTensor)
        for leaf in jax.tree_util.tree_leaves(x, is_leaf=lambda v: isinstance(v, KerasTensor))
    )
