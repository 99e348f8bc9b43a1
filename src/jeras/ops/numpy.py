"""The NumPy-like half of `jeras.ops`, named as `keras.ops.numpy`, computed with `jax.numpy`.

Result dtypes follow Keras 3 on JAX: where Keras casts (integer inputs of a float-valued
function give `floatx()`, window functions always give `floatx()`), so does this module.
"""

import builtins as _builtins

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.variable import Variable
from jeras.ops._convert import accepting_variables, unwrap
from jeras.ops.linalg import _check_factorisable_dtype

# Functions whose Keras signature is the jax.numpy one (same name, same arguments).
_SAME_AS_JNP = """
abs absolute add all any amax amin append arange arccos arccosh arcsin arcsinh arctan arctan2
arctanh argmax argmin argsort around average bincount broadcast_to clip concatenate conj
conjugate copy cos cosh count_nonzero cross cumprod cumsum diag diagonal diff digitize divide
dot einsum empty equal exp expm1 expand_dims eye flip floor_divide full full_like
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
    # `any` is this module's array reduction; the builtin is the one meant for a generator.
    return _builtins.any(
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


def _float_of(x):
    dt = jnp.asarray(x).dtype
    return dt if jnp.issubdtype(dt, jnp.floating) else floatx()


def _array(x):
    """`x` as a JAX array: Variables give their value, Python values Keras's default dtypes."""
    x = unwrap(x)
    return x if isinstance(x, jax.Array) else convert_to_tensor(x)


def _as_float(x):
    """`x` cast to a floating dtype (integers and booleans to `floatx()`), as Keras does for
    functions whose value is not an integer."""
    x = _array(x)
    return x.astype(_float_of(x))


# -- creation and conversion -------------------------------------------------------------------
def array(x, dtype=None):
    """A new array holding `x` (copied), in `dtype` if given."""
    dtype = None if dtype is None else standardize_dtype(dtype)
    return jnp.array(unwrap(x), dtype=dtype)


def empty_like(x, dtype=None):
    """An array of the shape of `x` (and its dtype unless `dtype` is given); its values are
    unspecified (zeros on JAX)."""
    dtype = None if dtype is None else standardize_dtype(dtype)
    return jnp.empty_like(_array(x), dtype=dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`num` numbers spaced evenly on a log scale from `start` to `stop`."""
    dtype = None if dtype is None else standardize_dtype(dtype)
    return jnp.geomspace(
        unwrap(start), unwrap(stop), num=num, endpoint=endpoint, dtype=dtype, axis=axis
    )


def view(x, dtype=None):
    """The bits of `x` read as `dtype` (the last axis rescales when the item sizes differ)."""
    x = _array(x)
    return x if dtype is None else x.view(standardize_dtype(dtype))


def get_item(x, key):
    """`x[key]`."""
    key = unwrap(key)
    if isinstance(key, list):
        # A key read back from a `.keras` file: JSON turned its index tuple into a list (JAX
        # refuses a list as an index; fancy indexing takes an array).
        key = tuple(key)
    return _array(x)[key]


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` turned into a function that maps over leading axes, as `numpy.vectorize`."""
    if not callable(pyfunc):
        raise ValueError(f"vectorize: `pyfunc` must be a callable. Received: pyfunc={pyfunc!r}")
    return jnp.vectorize(pyfunc, excluded=excluded or set(), signature=signature)


# -- window functions: always floatx(), whatever the dtype of the length ---------------------
def _window_length(x, name):
    try:
        return int(unwrap(x))
    except (TypeError, jax.errors.ConcretizationTypeError) as error:
        raise ValueError(
            f"{name}: the window length must be a concrete integer (it fixes the output "
            f"shape). Received: x={x!r}"
        ) from error


def bartlett(x):
    """The Bartlett (triangular) window of `x` points."""
    return jnp.bartlett(_window_length(x, "bartlett")).astype(floatx())


def blackman(x):
    """The Blackman window of `x` points."""
    return jnp.blackman(_window_length(x, "blackman")).astype(floatx())


def hamming(x):
    """The Hamming window of `x` points."""
    return jnp.hamming(_window_length(x, "hamming")).astype(floatx())


def hanning(x):
    """The Hann window of `x` points."""
    return jnp.hanning(_window_length(x, "hanning")).astype(floatx())


def kaiser(x, beta):
    """The Kaiser window of `x` points with shape parameter `beta`."""
    return jnp.kaiser(_window_length(x, "kaiser"), unwrap(beta)).astype(floatx())


# -- elementwise -------------------------------------------------------------------------------
def angle(x):
    """The counterclockwise angle of each (complex) element, in radians."""
    x = _array(x)
    return jnp.angle(x if jnp.iscomplexobj(x) else x.astype(_float_of(x)))


def ceil(x):
    """The smallest integer not below each element, as floats (integers give `floatx()`)."""
    return jnp.ceil(_as_float(x))


def floor(x):
    """The largest integer not above each element, as floats (integers give `floatx()`)."""
    return jnp.floor(_as_float(x))


def deg2rad(x):
    return jnp.deg2rad(_array(x))


def rad2deg(x):
    return jnp.rad2deg(_array(x))


def exp2(x):
    """`2 ** x`, elementwise; integer and boolean inputs give `floatx()`."""
    return jnp.exp2(_as_float(x))


def fabs(x):
    return jnp.fabs(_array(x))


def i0(x):
    """The modified Bessel function of the first kind, order 0; integers give `floatx()`."""
    return jnp.i0(_as_float(x))


def sinc(x):
    """`sin(pi x) / (pi x)`, elementwise; integers give `floatx()`."""
    return jnp.sinc(_as_float(x))


def trunc(x):
    """Each element rounded towards zero; integers and booleans are returned unchanged."""
    x = _array(x)
    if jnp.issubdtype(x.dtype, jnp.integer) or x.dtype == jnp.bool_:
        return x
    return jnp.trunc(x)


def signbit(x):
    return jnp.signbit(_array(x))


def isneginf(x):
    return jnp.isneginf(_array(x))


def isposinf(x):
    return jnp.isposinf(_array(x))


def isreal(x):
    return jnp.isreal(_array(x))


def fmax(x1, x2):
    """Elementwise maximum that ignores NaNs (NaN only where both are NaN)."""
    return jnp.fmax(_array(x1), _array(x2))


def fmin(x1, x2):
    """Elementwise minimum that ignores NaNs (NaN only where both are NaN)."""
    return jnp.fmin(_array(x1), _array(x2))


def fmod(x1, x2):
    """The remainder of `x1 / x2` with the sign of `x1` (C's fmod)."""
    return jnp.fmod(_array(x1), _array(x2))


def gcd(x1, x2):
    return jnp.gcd(_array(x1), _array(x2))


def lcm(x1, x2):
    return jnp.lcm(_array(x1), _array(x2))


def heaviside(x1, x2):
    """0 where `x1 < 0`, 1 where `x1 > 0`, `x2` where `x1 == 0`."""
    return jnp.heaviside(_array(x1), _array(x2))


def hypot(x1, x2):
    """`sqrt(x1**2 + x2**2)`, elementwise, without overflow for large values."""
    return jnp.hypot(_array(x1), _array(x2))


def ldexp(x1, x2):
    """`x1 * 2**x2`, elementwise; `x2` must hold integers."""
    x1, x2 = _array(x1), _array(x2)
    if not jnp.issubdtype(x2.dtype, jnp.integer):
        raise TypeError(
            f"ldexp: the exponent `x2` must have an integer dtype. Received: x2.dtype="
            f"{standardize_dtype(x2.dtype)}; cast it with `keras.ops.cast(x2, 'int32')`."
        )
    return jnp.ldexp(x1, x2)


def logaddexp2(x1, x2):
    """`log2(2**x1 + 2**x2)`, elementwise, computed without overflow."""
    x1, x2 = _array(x1), _array(x2)
    common = jnp.result_type(x1.dtype, x2.dtype)
    common = common if jnp.issubdtype(common, jnp.floating) else floatx()
    return jnp.logaddexp2(x1.astype(common), x2.astype(common))


def nextafter(x1, x2):
    """The next representable number after `x1` in the direction of `x2`."""
    return jnp.nextafter(_array(x1), _array(x2))


def divide_no_nan(x1, x2):
    """`x1 / x2`, with 0 wherever `x2` is 0 (instead of inf or NaN); the gradient stays finite."""
    x1, x2 = _array(x1), _array(x2)
    is_zero = x2 == 0
    # Dividing by 1 where x2 is 0 keeps the unused branch (and so the gradient) finite.
    return jnp.where(is_zero, 0, jnp.divide(x1, jnp.where(is_zero, 1, x2)))


# -- bitwise -----------------------------------------------------------------------------------
def bitwise_and(x, y):
    return jnp.bitwise_and(_array(x), _array(y))


def bitwise_or(x, y):
    return jnp.bitwise_or(_array(x), _array(y))


def bitwise_xor(x, y):
    return jnp.bitwise_xor(_array(x), _array(y))


def bitwise_invert(x):
    return jnp.invert(_array(x))


def bitwise_not(x):
    return bitwise_invert(x)


def _shift_amount(y):
    # A Python int stays weakly typed, so shifting an int8 by 2 keeps int8 (as in Keras).
    return y if isinstance(y, int) else _array(y)


def bitwise_left_shift(x, y):
    return jnp.left_shift(_array(x), _shift_amount(y))


def bitwise_right_shift(x, y):
    return jnp.right_shift(_array(x), _shift_amount(y))


def left_shift(x, y):
    return bitwise_left_shift(x, y)


def right_shift(x, y):
    return bitwise_right_shift(x, y)


# -- reductions that skip NaNs, and order statistics ------------------------------------------
def nansum(x, axis=None, keepdims=False):
    return jnp.nansum(_array(x), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    return jnp.nanprod(_array(x), axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    return jnp.nanmean(_array(x), axis=axis, keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return jnp.nanmedian(_array(x), axis=axis, keepdims=keepdims)


def nanmax(x, axis=None, keepdims=False):
    return jnp.nanmax(_array(x), axis=axis, keepdims=keepdims)


def nanmin(x, axis=None, keepdims=False):
    return jnp.nanmin(_array(x), axis=axis, keepdims=keepdims)


def nanstd(x, axis=None, keepdims=False):
    return jnp.nanstd(_array(x), axis=axis, keepdims=keepdims)


def nanvar(x, axis=None, keepdims=False):
    return jnp.nanvar(_array(x), axis=axis, keepdims=keepdims)


def nanargmax(x, axis=None, keepdims=False):
    return jnp.nanargmax(_array(x), axis=axis, keepdims=keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return jnp.nanargmin(_array(x), axis=axis, keepdims=keepdims)


def nancumsum(x, axis=None, dtype=None):
    dtype = None if dtype is None else standardize_dtype(dtype)
    return jnp.nancumsum(_array(x), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    dtype = None if dtype is None else standardize_dtype(dtype)
    return jnp.nancumprod(_array(x), axis=axis, dtype=dtype)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (0 to 100) of `x` along `axis`."""
    return jnp.percentile(_array(x), _array(q), axis=axis, method=method, keepdims=keepdims)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return jnp.nanpercentile(_array(x), _array(q), axis=axis, method=method, keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return jnp.nanquantile(_array(x), _array(q), axis=axis, method=method, keepdims=keepdims)


def ptp(x, axis=None, keepdims=False):
    """Peak to peak: the maximum minus the minimum along `axis`."""
    return jnp.ptp(_array(x), axis=axis, keepdims=keepdims)


def argpartition(x, kth, axis=-1):
    """Indices that put the `kth` element in its sorted place along `axis`, smaller ones before
    it and larger ones after (in no particular order); `axis=None` works on the flat array."""
    x = _array(x)
    if axis is None:
        return jnp.argpartition(jnp.ravel(x), kth, axis=0)
    return jnp.argpartition(x, kth, axis=axis)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Whether every element satisfies `|x1 - x2| <= atol + rtol * |x2|` (a boolean scalar)."""
    return jnp.allclose(_array(x1), _array(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


def corrcoef(x):
    """The Pearson correlation coefficients of the rows of `x`."""
    return jnp.corrcoef(_array(x))


def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D arrays (`mode` is "valid", "same" or "full")."""
    x1, x2 = _array(x1), _array(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError(
            f"correlate: both inputs must be 1-D. Received: x1.shape={x1.shape}, "
            f"x2.shape={x2.shape}"
        )
    return jnp.correlate(x1, x2, mode=mode)


def inner(x1, x2):
    """The inner product over the last axes of `x1` and `x2`."""
    return jnp.inner(_array(x1), _array(x2))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of `y` along `axis` by the trapezoidal rule (at points `x`, or spacing
    `dx`)."""
    x = None if x is None else _array(x)
    # A Python `dx` stays weakly typed, so float16 samples integrate in float16 (as in Keras).
    dx = dx if isinstance(dx, (int, float)) else _array(dx)
    return jnp.trapezoid(_array(y), x, dx=dx, axis=axis)


def histogram(x, bins=10, range=None):
    """The counts of the 1-D `x` in `bins` equal-width bins over `range` (the data's minimum
    and maximum by default), and the `bins + 1` bin edges."""
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 0:
        raise ValueError(f"histogram: `bins` must be a non-negative int. Received: bins={bins!r}")
    if range is not None and (
        not isinstance(range, (tuple, list)) or len(range) != 2 or range[1] < range[0]
    ):
        raise ValueError(
            "histogram: `range` must be a tuple `(low, high)` with low <= high. "
            f"Received: range={range!r}"
        )
    x = _array(x)
    if x.ndim != 1:
        raise ValueError(
            f"histogram: the input must be 1-D. Received: x.shape={x.shape}; flatten it with "
            "`keras.ops.ravel(x)` first."
        )
    return jnp.histogram(x, bins=bins, range=range)


def isin(x1, x2, assume_unique=False, invert=False):
    """Whether each element of `x1` occurs in `x2` (or does not, with `invert`)."""
    return jnp.isin(_array(x1), _array(x2), assume_unique=assume_unique, invert=invert)


def searchsorted(sorted_sequence, values, side="left"):
    """Where each of `values` would be inserted into the 1-D `sorted_sequence` to keep it
    sorted."""
    sorted_sequence, values = _array(sorted_sequence), _array(values)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            "searchsorted: `sorted_sequence` must be 1-D (map over rows with "
            f"`keras.ops.vectorized_map`). Received: sorted_sequence.shape={sorted_sequence.shape}"
        )
    return jnp.searchsorted(sorted_sequence, values, side=side)


def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,
    fill_value=None,
):
    """The distinct elements of `x` (flattened, or distinct slices along `axis`), with the
    indices of their first occurrences, the inverse indices and the counts on request.

    The number of distinct values is data-dependent, so inside `jit` give `size`: the result
    then has exactly `size` entries, padded with `fill_value` (JAX's default: the smallest
    distinct value) or truncated.
    """
    return jnp.unique(
        _array(x),
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
        equal_nan=False,
        size=size,
        fill_value=fill_value,
        sorted=sorted,
    )


def unravel_index(indices, shape):
    """The multi-dimensional indices (a tuple of arrays) of flat `indices` into `shape`."""
    return jnp.unravel_index(_array(indices), shape)


def select(condlist, choicelist, default=0):
    """Per element, the entry of the first of `choicelist` whose condition holds, else
    `default`."""
    if not isinstance(condlist, (list, tuple)) or not isinstance(choicelist, (list, tuple)):
        raise ValueError(
            "select: `condlist` and `choicelist` must be lists. Received: "
            f"{type(condlist).__name__} and {type(choicelist).__name__}"
        )
    if not condlist or len(condlist) != len(choicelist):
        raise ValueError(
            "select: `condlist` and `choicelist` must be non-empty and of the same length. "
            f"Received lengths {len(condlist)} and {len(choicelist)}"
        )
    return jnp.select(
        [_array(c) for c in condlist], [_array(c) for c in choicelist], unwrap(default)
    )


def slogdet(x):
    """The sign and the natural log of the absolute determinant of the square matrices `x`."""
    x = _array(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"slogdet: expected square matrices (shape (..., n, n)). Received: x.shape={x.shape}"
        )
    _check_factorisable_dtype(x, "slogdet")
    sign, logabsdet = jnp.linalg.slogdet(x)
    return sign, logabsdet


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D `x`: its columns are powers of `x`."""
    x = _array(x)
    if x.ndim != 1:
        raise ValueError(f"vander: `x` must be 1-D. Received: x.shape={x.shape}")
    return jnp.vander(x, N=N, increasing=increasing)


# -- shape manipulation ------------------------------------------------------------------------
def array_split(x, indices_or_sections, axis=0):
    """Splits `x` into (possibly unequal) parts along `axis`."""
    return jnp.array_split(_array(x), indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections):
    return jnp.hsplit(_array(x), indices_or_sections)


def vsplit(x, indices_or_sections):
    return jnp.vsplit(_array(x), indices_or_sections)


def dsplit(x, indices_or_sections):
    return jnp.dsplit(_array(x), indices_or_sections)


def dstack(xs):
    """Stacks arrays along a third axis (1-D and 2-D arrays are expanded first)."""
    return jnp.dstack([_array(x) for x in xs])


def diagflat(x, k=0):
    """A 2-D array with the flattened `x` on its `k`-th diagonal."""
    return jnp.diagflat(_array(x), k=k)


def fliplr(x):
    return jnp.fliplr(_array(x))


def flipud(x):
    return jnp.flipud(_array(x))


def rot90(array, k=1, axes=(0, 1)):
    """`array` rotated by 90 degrees `k` times in the plane of `axes` (from the first axis
    towards the second)."""
    array = _array(array)
    if array.ndim < 2:
        raise ValueError(f"rot90: the input must have 2 or more axes. Received shape {array.shape}")
    if len(axes) != 2 or axes[0] % array.ndim == axes[1] % array.ndim:
        raise ValueError(f"rot90: `axes` must name two different axes. Received: axes={axes}")
    return jnp.rot90(array, k=k, axes=tuple(axes))
