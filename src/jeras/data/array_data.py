"""In-memory array data for fit / evaluate / predict: validation, the validation split, casting,
placement on the device, and the per-epoch batch index matrices that let the compiled engine
gather batches on the device."""

import math

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.config import floatx


def _is_array_like(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") or hasattr(x, "__array__")


def _to_numpy_or_jax(x, what):
    if x is None:
        return None
    if hasattr(x, "value") and hasattr(x, "assign"):
        x = x.value
    if isinstance(x, jax.Array):
        if jnp.issubdtype(x.dtype, jnp.floating) and x.dtype != floatx():
            x = x.astype(floatx())
        return x
    if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray):
        x = x.to_numpy()
    if not _is_array_like(x):
        raise ValueError(
            f"Unrecognized data type for `{what}`: {type(x).__name__}. Pass NumPy or JAX arrays, "
            "or lists/dicts of them."
        )
    x = np.asarray(x)
    if x.dtype.kind in "SO":
        x = _as_text(x, what)
    if x.dtype == np.float64 or (np.issubdtype(x.dtype, np.floating) and x.dtype != floatx()):
        x = x.astype(floatx())
    if x.dtype == object:
        raise ValueError(f"`{what}` holds Python objects (dtype=object); pass numeric arrays.")
    if x.ndim == 0:
        raise ValueError(f"`{what}` must have a batch dimension; got a scalar.")
    return x


def _as_text(x, what):
    """Byte strings and arrays of Python strings as a `str` array (text stays on the host, for
    the model's text layers); other Python objects are refused."""
    if x.dtype.kind == "S":
        return np.char.decode(x, "utf-8")
    values = x.reshape(-1).tolist()
    if not all(isinstance(v, (str, bytes)) for v in values):
        raise ValueError(f"`{what}` holds Python objects (dtype=object); pass numeric arrays.")
    values = [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
    return np.array(values, dtype=str).reshape(x.shape)


def _tree(x, what):
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _tree(v, f"{what}[{k!r}]") for k, v in x.items()}
    if isinstance(x, (list, tuple)) and not _is_array_like(x):
        if all(isinstance(v, (int, float)) for v in x):
            return _to_numpy_or_jax(np.asarray(x), what)
        return [_tree(v, f"{what}[{i}]") for i, v in enumerate(x)]
    return _to_numpy_or_jax(x, what)


def _is_list_of_rows(value):
    """A list of per-sample Python lists: `[[1, 2], [3, 4], ...]`."""
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(row, (list, tuple)) and not _is_array_like(row) for row in value)
    )


class ArrayData:
    """`(x, y, sample_weight)` as trees of arrays sharing their first dimension."""

    def __init__(self, x, y=None, sample_weight=None):
        if x is None:
            raise ValueError("No input data: pass `x`.")
        self.x = _tree(x, "x")
        self.y = _tree(y, "y")
        self.sample_weight = _tree(sample_weight, "sample_weight")
        sizes = {}
        for name, tree in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight)):
            for leaf in jax.tree_util.tree_leaves(tree):
                sizes.setdefault(name, set()).add(int(leaf.shape[0]))
        all_sizes = set().union(*sizes.values()) if sizes else set()
        if len(all_sizes) > 1:
            detail = ", ".join(f"{name} sizes: {sorted(s)}" for name, s in sizes.items())
            hint = "".join(
                f" `{name}` is a list of {len(value)} Python lists, which is read as "
                f"{len(value)} separate inputs; for one array with a row per sample, pass "
                f"`np.array({name})` (shape ({len(value)}, {len(value[0])}))."
                for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight))
                if _is_list_of_rows(value)
            )
            raise ValueError(
                "Data cardinality is ambiguous: x, y and sample_weight must all have the same "
                f"number of samples (first dimension). Got {detail}. Make sure all arrays "
                f"contain the same number of samples.{hint}"
            )
        if not all_sizes:
            raise ValueError("`x` holds no arrays.")
        self.num_samples = all_sizes.pop()
        self._device = None

    def split(self, validation_split):
        """Keras's rule: the last `n - floor(n * (1 - split))` samples, taken before shuffling."""
        if not 0.0 < validation_split < 1.0:
            raise ValueError(
                f"`validation_split` must be a float strictly between 0 and 1, got "
                f"{validation_split!r}."
            )
        n = self.num_samples
        cut = int(math.floor(n * (1.0 - validation_split)))
        if cut == 0 or cut == n:
            raise ValueError(
                f"validation_split={validation_split} leaves an empty training or validation set "
                f"for {n} samples. Use more data or a different split."
            )

        def take(tree, sl):
            return jax.tree_util.tree_map(lambda a: a[sl], tree)

        train = ArrayData.__new__(ArrayData)
        val = ArrayData.__new__(ArrayData)
        for part, sl in ((train, slice(0, cut)), (val, slice(cut, n))):
            part.x = take(self.x, sl)
            part.y = take(self.y, sl)
            part.sample_weight = take(self.sample_weight, sl)
            part.num_samples = sl.stop - sl.start
            part._device = None
        return train, val

    def first_batch(self, size):
        return jax.tree_util.tree_map(lambda a: a[:size], (self.x, self.y, self.sample_weight))


def epoch_index_matrix(num_samples, batch_size, shuffle, max_steps=None):
    """Per-step sample indices for one pass over the data (at most `max_steps` rows), `-1`
    marking the padding of the last row."""
    matrix = pass_index_matrix(num_samples, batch_size, shuffle)
    return matrix[:max_steps] if max_steps is not None else matrix


def pass_index_matrix(num_samples, batch_size, shuffle):
    """One pass over the data as rows of sample indices (-1 pads the last row)."""
    if shuffle is True:
        order = np.random.permutation(num_samples)
    else:
        order = np.arange(num_samples)
    num_steps = max(1, math.ceil(num_samples / batch_size))
    padded = np.full(num_steps * batch_size, -1, dtype=np.int32)
    padded[:num_samples] = order
    matrix = padded.reshape(num_steps, batch_size)
    if shuffle == "batch":
        for row in matrix:
            valid = row >= 0
            row[valid] = np.random.permutation(row[valid])
    return matrix
