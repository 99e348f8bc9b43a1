"""The shape every batch source hands the engine: `(x, y, sample_weight)` with NumPy leaves,
floats in floatx. Shared by the Python sources (batch_sources.py) and the framework ones."""

import jax
import numpy as np

from jeras.backend.config import floatx
from jeras.data.array_data import _tree


def unpack_batch(batch, where):
    """Keras's rule: a list is a tuple; a non-tuple is x alone; tuples of 1-3 are (x, y, sw)."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if len(batch) == 0 or len(batch) > 3:
        raise ValueError(
            f"{where} must yield a tuple (x,), (x, y) or (x, y, sample_weight); got a tuple of "
            f"{len(batch)} elements."
        )
    return tuple(batch) + (None,) * (3 - len(batch))


def standardize_batch(batch, where):
    x, y, sw = unpack_batch(batch, where)
    if x is None:
        raise ValueError(f"{where} yielded a batch without inputs (x is None).")
    return _standardize(x, "x"), _standardize(y, "y"), _standardize(sw, "sample_weight")


def _standardize(tree, what):
    # The common case, a NumPy array that needs no cast, skips the general checks: this runs
    # for every batch.
    if (
        type(tree) is np.ndarray
        and tree.ndim
        and (tree.dtype.kind in "biu" or tree.dtype == floatx())
    ):
        return tree
    return _tree(tree, what)


def batch_size_of(batch):
    leaves = jax.tree_util.tree_leaves(batch[0])
    return int(leaves[0].shape[0]) if leaves else 0


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch a data pipeline yields for `x`, `y` and `sample_weight`, as Keras packs it:
    `x` alone when it is the only part (a tuple `(x,)` when `x` is itself a list or tuple),
    else `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        if not isinstance(x, (list, tuple)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """`(x, y, sample_weight)` from a batch (missing parts None), as `keras.utils` does."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return (data[0], data[1], data[2])
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found a tuple of {len(data)} elements: {data}"
    )
