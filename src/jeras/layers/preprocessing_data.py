"""Host-side data handling shared by the categorical and text preprocessing layers: the batches
`adapt` reads, and values (NumPy, JAX, TensorFlow tensors, Python lists) as NumPy arrays, with
text as Python `str` arrays."""

import jax
import numpy as np


def adapt_batches(data, layer, steps=None, lists_are_batches=True):
    """The batches of `data` as host NumPy arrays, as Keras's `adapt` reads them: an array (or,
    with `lists_are_batches=False`, a list) is one batch; a `PyDataset`, a `tf.data.Dataset` or
    any other iterable yields batches (an `(x, y)` batch gives its `x`). At most `steps`
    batches are read."""
    whole = isinstance(data, np.ndarray) or _is_tensor(data) or isinstance(data, (str, bytes))
    if not lists_are_batches and isinstance(data, (list, tuple)):
        whole = True
    if whole:
        yield host_array(data, layer)
        return
    if hasattr(data, "num_batches") and hasattr(data, "__getitem__"):
        batches = _py_dataset_batches(data)
    elif hasattr(data, "__iter__"):
        batches = iter(data)
    else:
        raise TypeError(
            f"{type(layer).__name__} layer {layer.name!r}: `adapt` takes an array, a list, a "
            f"PyDataset, a tf.data.Dataset or an iterable of batches, got {type(data).__name__}."
        )
    for index, batch in enumerate(batches):
        if steps is not None and index >= steps:
            return
        if isinstance(batch, tuple):
            batch = batch[0]
        yield host_array(batch, layer)


def host_array(values, layer=None):
    """`values` as a NumPy array; text (bytes or str, also inside object arrays and TensorFlow
    string tensors) becomes an array of Python `str`."""
    if hasattr(values, "numpy") and not isinstance(values, np.ndarray):
        values = values.numpy()  # a TensorFlow tensor
    array = np.asarray(values)
    if array.dtype.kind == "S":
        return np.char.decode(array, "utf-8")
    if array.dtype.kind == "O":
        flat = array.reshape(-1)
        if all(isinstance(v, (bytes, str)) for v in flat.tolist()):
            decoded = [v.decode("utf-8") if isinstance(v, bytes) else v for v in flat.tolist()]
            return np.array(decoded, dtype=str).reshape(array.shape)
        if layer is not None:
            raise TypeError(
                f"{type(layer).__name__} layer {layer.name!r} received an array of Python "
                "objects that are not all strings; pass strings or numbers."
            )
    return array


def is_text(array):
    return np.asarray(array).dtype.kind in "USO"


def _is_tensor(value):
    """A JAX array or an eager TensorFlow tensor (iterable, yet one batch)."""
    return isinstance(value, jax.Array) or type(value).__name__ == "EagerTensor"


def _py_dataset_batches(dataset):
    count = dataset.num_batches
    index = 0
    while count is None or index < count:
        try:
            batch = dataset[index]
        except IndexError:
            return
        yield batch
        index += 1
