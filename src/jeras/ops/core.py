"""Control flow, scatters and other structural ops of `keras.ops` (Keras's `ops.core`), each one
`jax.lax` primitive called with Keras's arguments and conventions.

The functions (`f`, `cond`, `body`, branches) are traced once by JAX, so they must be pure: use
`jeras.ops` or `jax.numpy` inside them, and return the same structure, shapes and dtypes on
every path.
"""

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from jeras.backend.dtypes import standardize_dtype
from jeras.backend.variable import Variable
from jeras.ops._convert import unwrap


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` else `false_fn()`; both must return the same structure."""
    return jax.lax.cond(unwrap(pred), true_fn, false_fn)


def switch(index, branches, *operands):
    """`branches[index](*operands)`, the index clamped into range as `jax.lax.switch` does."""
    return jax.lax.switch(unwrap(index), branches, *_values(operands))


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs`; returns `(carry, ys)`."""
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"scan: `unroll` must be a positive int or a bool, got unroll={unroll!r}.")
    return jax.lax.scan(
        f, _values(init), _values(xs), length=length, reverse=reverse, unroll=unroll
    )


def associative_scan(f, elems, reverse=False, axis=0):
    """All prefix reductions of `elems` along `axis` with the associative `f`, in parallel."""
    return jax.lax.associative_scan(f, _values(elems), reverse=reverse, axis=axis)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeat `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`, at most
    `maximum_iterations` times. A tuple or list of loop variables is unpacked into the calls
    and returned as a tuple; a single variable is passed and returned as itself."""
    is_sequence = isinstance(loop_vars, (tuple, list))
    state = tuple(_values(loop_vars)) if is_sequence else (_values(loop_vars),)

    def as_tuple(outputs):
        return tuple(outputs) if is_sequence else (outputs,)

    if maximum_iterations is None:
        outputs = jax.lax.while_loop(lambda s: cond(*s), lambda s: as_tuple(body(*s)), state)
    else:
        # The iteration count rides along as one more loop variable.
        def counted_cond(s):
            return jnp.logical_and(cond(*s[:-1]), s[-1] < maximum_iterations)

        def counted_body(s):
            return as_tuple(body(*s[:-1])) + (s[-1] + 1,)

        outputs = jax.lax.while_loop(counted_cond, counted_body, state + (0,))[:-1]
    return outputs if is_sequence else outputs[0]


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for `i` in `[lower, upper)`."""
    return jax.lax.fori_loop(lower, upper, body_fun, _values(init_val))


def map(f, xs):
    """`f` applied to each slice of `xs` along its leading axis, results stacked (a loop)."""
    return jax.lax.map(f, _values(xs))


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along the leading axis, vectorized."""
    return jax.vmap(function)(_values(elements))


def custom_gradient(f):
    """Decorate `f(*args)` returning `(outputs, grad_fn)` so that gradients through it are
    `grad_fn(upstream)`, a tuple with one gradient per argument (Keras on JAX passes the
    upstream gradient positionally)."""
    with_gradient = jax.custom_gradient(f)

    def call(*args, **kwargs):
        return with_gradient(*_values(args), **_values(kwargs))

    call.__name__ = getattr(f, "__name__", "custom_gradient")
    call.__doc__ = f.__doc__
    return call


def scatter(indices, values, shape):
    """A zero array of `shape` with `values` added at `indices` (`(n, k)`: n index tuples of k
    leading coordinates); repeated indices add up."""
    values = jnp.asarray(unwrap(values))
    indices = jnp.asarray(unwrap(indices))
    _check_indices(indices, len(tuple(shape)), "scatter", "shape", tuple(shape))
    target = jnp.zeros(tuple(shape), values.dtype)
    return target.at[tuple(jnp.moveaxis(indices, -1, 0))].add(values)


def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with `updates` written at `indices` (`(n, k)` index tuples); `reduction`
    "add", "max", "min" or "mul" combines them with the values there instead."""
    inputs = jnp.asarray(unwrap(inputs))
    indices = jnp.asarray(unwrap(indices))
    _check_indices(indices, inputs.ndim, "scatter_update", "inputs.shape", inputs.shape)
    at = inputs.at[tuple(jnp.moveaxis(indices, -1, 0))]
    updates = unwrap(updates)
    if reduction is None:
        return at.set(updates)
    combine = {"add": at.add, "max": at.max, "min": at.min, "mul": at.multiply}
    if reduction not in combine:
        raise ValueError(
            f"scatter_update: `reduction` must be None, 'add', 'max', 'min' or 'mul', got "
            f"reduction={reduction!r}."
        )
    return combine[reduction](updates)


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block `updates` written from `start_indices` on."""
    inputs, updates = jnp.asarray(unwrap(inputs)), jnp.asarray(unwrap(updates))
    if updates.ndim != inputs.ndim or len(start_indices) != inputs.ndim:
        raise ValueError(
            f"slice_update: `updates` (shape {tuple(updates.shape)}) and `start_indices` "
            f"({len(start_indices)} values) must have the rank of `inputs` (shape "
            f"{tuple(inputs.shape)})."
        )
    start_indices = [unwrap(i) for i in start_indices]
    return jax.lax.dynamic_update_slice(inputs, updates.astype(inputs.dtype), start_indices)


def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list."""
    x = jnp.asarray(unwrap(x))
    if num is not None and num != x.shape[axis]:
        raise ValueError(
            f"unstack: num={num} does not match the size {x.shape[axis]} of axis {axis} of x "
            f"(shape {tuple(x.shape)})."
        )
    return [jax.lax.index_in_dim(x, i, axis, keepdims=False) for i in range(x.shape[axis])]


def saturate_cast(x, dtype):
    """Cast `x` to `dtype`, first clipping it to the range both dtypes can represent (so
    out-of-range values saturate instead of wrapping around)."""
    x = jnp.asarray(unwrap(x))
    dtype = standardize_dtype(dtype)
    source = standardize_dtype(x.dtype)
    source_min, source_max = _dtype_range(source)
    target_min, target_max = _dtype_range(dtype)
    # The narrower bound, expressed in the source dtype; where that rounds past the target's
    # bound (float32 cannot hold int32's max exactly), step back toward zero.
    low = np.asarray(max(source_min, target_min)).astype(source)
    if low < target_min:
        low = np.nextafter(low, 0, dtype=source)
    high = np.asarray(min(source_max, target_max)).astype(source)
    if high > target_max:
        high = np.nextafter(high, 0, dtype=source)
    return jnp.clip(x, low, high).astype(dtype)


def _dtype_range(dtype):
    if dtype == "bool":
        return 0, 1
    if "int" in dtype:
        info = ml_dtypes.iinfo(dtype)
    else:
        info = ml_dtypes.finfo(dtype)
    return info.min, info.max


def _check_indices(indices, rank, op_name, target_name, target_shape):
    if indices.ndim < 1 or indices.shape[-1] > rank:
        raise ValueError(
            f"{op_name}: `indices` must have shape (..., k) with k <= {rank} coordinates into "
            f"{target_name}={tuple(target_shape)}; got indices of shape {tuple(indices.shape)}."
        )


def _values(tree):
    """`tree` with every `Variable` replaced by its value (JAX's loops take arrays)."""
    return jax.tree_util.tree_map(unwrap, tree, is_leaf=lambda leaf: isinstance(leaf, Variable))
