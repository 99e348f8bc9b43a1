"""The NumPy-like half of `jeras.ops`, named as `keras.ops`, computed with `jax.numpy`."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.variable import Variable
from jeras.ops._convert import accepting_variables, unwrap

# Functions whose Keras signature is the jax.numpy one (same name, same arguments).
_SAME_AS_JNP = """
abs absolute add all any amax amin append arange arccos arccosh arcsin arcsinh arctan arctan2
arctanh argmax argmin argsort around average bincount broadcast_to ceil clip concatenate conj
conjugate copy cos cosh count_nonzero cross cumprod cumsum diag diagonal diff digitize divide
dot einsum empty equal exp expm1 expand_dims eye flip floor floor_divide full full_like
greater greater_equal hstack identity imag isclose isfinite isinf isnan kron less less_equal
linspace log log10 log1p log2 logaddexp logical_and logical_not logical_or logical_xor logspace
matmul max maximum mean median meshgrid min minimum mod moveaxis multiply nan_to_num ndim
negative nonzero not_equal ones ones_like outer pad power prod quantile ravel real reciprocal
repeat reshape roll round sign sin sinh sort split sqrt square squeeze stack std subtract sum
swapaxes take take_along_axis tan tanh tensordot tile trace transpose tri tril triu true_divide
var vdot vstack where zeros zeros_like floor_divide log1p cbrt
""".split()

for _name in dict.fromkeys(_SAME_AS_JNP):
    globals()[_name] = accepting_variables(getattr(jnp, _name), _name)


def convert_to_tensor(x, dtype=None, sparse=None):
    """An array on the default device (Variables give their current value)."""
    x = unwrap(x)
    if dtype is not None:
        dtype = standardize_dtype(dtype)
    elif isinstance(x, float) or (isinstance(x, (list, tuple)) and _has_python_float(x)):
        dtype = floatx()
    return jnp.asarray(x, dtype=dtype)


def convert_to_numpy(x):
    return np.asarray(unwrap(x))


def _has_python_float(x):
    return any(
        isinstance(v, float) or (isinstance(v, (list, tuple)) and _has_python_float(v)) for v in x
    )


def cast(x, dtype):
    return jnp.asarray(unwrap(x)).astype(standardize_dtype(dtype))


def shape(x):
    return tuple(jnp.shape(unwrap(x)))


def size(x):
    return jnp.size(unwrap(x))


def dtype(x):
    return standardize_dtype(unwrap(x).dtype)


def is_tensor(x):
    return isinstance(x, jax.Array)


def stop_gradient(x):
    return jax.lax.stop_gradient(unwrap(x))


def slice(inputs, start_indices, shape):
    return jax.lax.dynamic_slice(unwrap(inputs), start_indices, shape)


def top_k(x, k, sorted=True):
    return jax.lax.top_k(unwrap(x), k)


def norm(x, ord=None, axis=None, keepdims=False):
    return jnp.linalg.norm(unwrap(x), ord=ord, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    return jax.nn.logsumexp(unwrap(x), axis=axis, keepdims=keepdims)


def rsqrt(x):
    return jax.lax.rsqrt(jnp.asarray(unwrap(x), dtype=_float_of(unwrap(x))))


def erf(x):
    return jax.scipy.special.erf(unwrap(x))


def _float_of(x):
    dt = jnp.asarray(x).dtype
    return dt if jnp.issubdtype(dt, jnp.floating) else floatx()
