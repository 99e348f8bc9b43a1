"""`Variable`: a named, mutable array whose value may live in a `StateScope` while JAX traces."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import config, distribution_state
from jeras.backend.dtype_policy import autocast_dtype
from jeras.backend.dtypes import is_float_dtype, standardize_dtype
from jeras.backend.naming import uniquify
from jeras.backend.state_scope import current_scope
from jeras.saving.public_names import required_public_object


class Variable:
    instances_created = 0
    """A mutable array with a name, a path, a dtype and a trainable flag, as `keras.Variable`.

    Args:
        initializer: an array-like initial value, or a callable `(shape, dtype) -> array`
            (an initializer object or its string identifier).
        shape: required when `initializer` is callable.
        dtype: defaults to floatx for floating values.
        trainable: whether an optimizer updates it during `fit()`.
        name: the variable's name; `path` prefixes it with its owner's name.
    """

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        overwrite_with_gradient=False,
    ):
        # Counts every Variable ever made: caches of variable lists compare it to know when a
        # model may have gained weights.
        Variable.instances_created += 1
        if name is None:
            name = uniquify("variable")
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Variable name must be a string without '/', got {name!r}.")
        self.name = name
        self.path = name
        self.trainable = bool(trainable)
        self.autocast = autocast
        self.aggregation = aggregation
        self.synchronization = synchronization
        self.overwrite_with_gradient = overwrite_with_gradient
        if isinstance(initializer, str):
            # Initializers sit above the backend: their catalogue registers its `get`.
            get_initializer = required_public_object(
                "initializers",
                "get",
                f"Variable {name!r} with the string initializer {initializer!r}",
            )
            initializer = get_initializer(initializer)
        # A layer first called inside a trace (a sub-layer built while its parent's call is
        # traced for symbolic shapes) creates its weights there: their initial values must
        # still be concrete arrays, not values of that trace.
        with jax.ensure_compile_time_eval():
            if callable(initializer):
                if shape is None:
                    raise ValueError(
                        f"Variable {name!r}: a callable initializer needs a `shape` argument."
                    )
                self._dtype = standardize_dtype(dtype or config.floatx())
                value = initializer(tuple(shape), dtype=self._dtype)
            else:
                value = initializer.value if isinstance(initializer, Variable) else initializer
                if dtype is None:
                    dtype = _infer_dtype(value)
                self._dtype = standardize_dtype(dtype)
            value = jnp.asarray(value, dtype=self._dtype)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ValueError(
                f"Variable {name!r}: initial value has shape {tuple(value.shape)}, "
                f"expected {tuple(shape)}."
            )
        self._shape = tuple(value.shape)
        self._value = value
        # A `keras.distribution.TensorLayout` fixed for this variable (optimizer slots take
        # their model variable's); None: the distribution in force decides.
        self._layout = None

    # -- value ---------------------------------------------------------------------------------
    @property
    def value(self):
        scope = current_scope()
        value = None
        if scope is not None:
            value = scope.get(self)
        if value is None:
            value = self._value
        # Mixed precision: inside a layer's `call`, float variables read in its compute dtype.
        autocast = autocast_dtype()
        if autocast is not None and self.autocast and value.dtype != autocast:
            if is_float_dtype(self._dtype):
                value = value.astype(autocast)
        return value

    def numpy(self):
        return np.asarray(self.value)

    def assign(self, value):
        value = self._checked(value)
        scope = current_scope()
        if scope is not None:
            scope.set(self, value)
        else:
            if isinstance(value, jax.core.Tracer):
                raise RuntimeError(
                    f"Variable {self.path!r} was assigned a traced value outside of a state scope. "
                    "Inside jitted code, run it under `jeras.backend.StateScope` (fit() does this) "
                    "or use the layer's stateless methods."
                )
            self._value = distribution_state.place(
                value, distribution_state.variable_sharding(self)
            )
        return value

    def assign_add(self, value):
        return self.assign(self.value + self._checked(value))

    def assign_sub(self, value):
        return self.assign(self.value - self._checked(value))

    def _checked(self, value):
        if isinstance(value, Variable):
            value = value.value
        value = jnp.asarray(value, dtype=self._dtype)
        if value.shape != self._shape:
            if value.size == int(np.prod(self._shape)) and value.ndim == 0:
                value = jnp.broadcast_to(value, self._shape)
            else:
                raise ValueError(
                    f"Cannot assign a value of shape {tuple(value.shape)} to variable {self.path!r} "
                    f"of shape {self._shape}."
                )
        return value

    # -- metadata ------------------------------------------------------------------------------
    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def size(self):
        return int(np.prod(self._shape))

    def __repr__(self):
        return (
            f"<Variable path={self.path}, shape={self._shape}, dtype={self._dtype}, "
            f"value={np.asarray(self._value) if not _is_deleted(self._value) else '<deleted>'}>"
        )

    # -- array protocol ------------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        out = np.asarray(self.value)
        return out.astype(dtype) if dtype is not None else out

    def __jax_array__(self):
        return self.value

    def __len__(self):
        return self._shape[0]

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __getitem__(self, idx):
        return self.value[idx]

    __hash__ = object.__hash__

    def astype(self, dtype):
        return self.value.astype(dtype)

    @property
    def T(self):
        return self.value.T


def _unwrap(x):
    return x.value if isinstance(x, Variable) else x


def _binary(op, reflected=False):
    def method(self, other):
        a, b = self.value, _unwrap(other)
        return op(b, a) if reflected else op(a, b)

    return method


def _unary(op):
    def method(self):
        return op(self.value)

    return method


import operator as _op

for _name, _fn in {
    "add": _op.add,
    "sub": _op.sub,
    "mul": _op.mul,
    "truediv": _op.truediv,
    "floordiv": _op.floordiv,
    "mod": _op.mod,
    "pow": _op.pow,
    "matmul": _op.matmul,
    "and": _op.and_,
    "or": _op.or_,
    "xor": _op.xor,
}.items():
    setattr(Variable, f"__{_name}__", _binary(_fn))
    setattr(Variable, f"__r{_name}__", _binary(_fn, reflected=True))
for _name, _fn in {
    "lt": _op.lt,
    "le": _op.le,
    "gt": _op.gt,
    "ge": _op.ge,
    "eq": _op.eq,
    "ne": _op.ne,
}.items():
    setattr(Variable, f"__{_name}__", _binary(_fn))
Variable.__hash__ = object.__hash__
for _name, _fn in {"neg": _op.neg, "pos": _op.pos, "abs": abs, "invert": _op.invert}.items():
    setattr(Variable, f"__{_name}__", _unary(_fn))


def _infer_dtype(value):
    # As Keras: floating initial values take floatx, integer ones int32 (JAX's default width).
    if isinstance(value, bool) or getattr(value, "dtype", None) == np.bool_:
        return "bool"
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.issubdtype(np.dtype(dtype), np.integer):
        return standardize_dtype(dtype)
    if isinstance(value, int):
        return "int32"
    return config.floatx()


def _is_deleted(array):
    try:
        return array.is_deleted()
    except AttributeError:
        return False
