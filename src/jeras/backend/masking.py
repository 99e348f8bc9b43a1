"""Keras masks carried by arrays: `set_keras_mask` / `get_keras_mask`.

A layer's output mask (which time steps are padding) travels with the output itself, as Keras
does, so that the next layer, the model's loss and its metrics find it without extra arguments.

Keras stores it as the attribute `_keras_mask`. Concrete `jax.Array`s, `KerasTensor`s and
NumPy subclasses accept attributes, so there it is the attribute (`output._keras_mask` reads it,
as in Keras). JAX tracers (inside `jax.jit`, `jax.grad`, `jax.eval_shape`) and plain
`np.ndarray`s refuse new attributes; for them the mask sits in a side table keyed by the
object's id, whose entry is dropped when the object dies (Keras on JAX does the same). A mask
therefore follows one Python object: an operation that makes a new array (`x + 1`, a cast, the
outputs of a `jax.jit` call, the aux values of `jax.value_and_grad`) does not carry it, and the
layer machinery sets it again on each layer's outputs.
"""

import threading
import weakref

_ATTRIBUTE = "_keras_mask"
_side_table = {}
_lock = threading.Lock()


def set_keras_mask(x, mask):
    """Attach `mask` to the array `x` (None removes it)."""
    try:
        setattr(x, _ATTRIBUTE, mask)
        return
    except (AttributeError, TypeError):
        pass
    key = id(x)
    with _lock:
        if mask is None:
            _side_table.pop(key, None)
            return
        known = key in _side_table
        _side_table[key] = mask
    if not known:
        try:
            weakref.finalize(x, _forget, key)
        except TypeError:
            # An object that can be neither given an attribute nor watched (a Python scalar)
            # cannot carry a mask: a stale entry would outlive it.
            with _lock:
                _side_table.pop(key, None)


def get_keras_mask(x):
    """The mask attached to `x`, or None."""
    if x is None:
        return None
    mask = getattr(x, _ATTRIBUTE, None)
    if mask is not None:
        return mask
    if _side_table:
        return _side_table.get(id(x))
    return None


def _forget(key):
    with _lock:
        _side_table.pop(key, None)
