"""`SampleDataset`: the batches that `image_dataset_from_directory`, `text_dataset_from_directory`
and `split_dataset` return.

Keras returns a `tf.data.Dataset` there; jeras has no TensorFlow and returns a `PyDataset` that
`fit`, `evaluate` and `predict` take, that Python iterates, and that answers the few `tf.data`
methods programs call on such datasets (`take`, `skip`, `map`, `batch`, `unbatch`, `shuffle`,
`prefetch`, `cardinality`), so that code written for Keras runs unchanged.

A dataset holds `num_samples` samples that a `load` function produces by index (reading files
on demand, or slicing arrays). With a `batch_size` its items are batches (the samples stacked
along a new first axis); without, its items are single samples.
"""

import math

import numpy as np

from jeras.data.py_dataset import PyDataset


class _TfDataMethods:
    """The `tf.data.Dataset` methods every dataset of this module answers."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def take(self, count):
        """The first `count` items (all of them when `count` is -1)."""
        count = len(self) if count < 0 else min(int(count), len(self))
        return _DatasetView(self, indices=list(range(count)))

    def skip(self, count):
        """All items but the first `count`."""
        count = len(self) if count < 0 else min(int(count), len(self))
        return _DatasetView(self, indices=list(range(count, len(self))))

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Items transformed by `map_func` (called with the parts of a tuple item as
        arguments, as `tf.data`), on demand."""
        return _DatasetView(self, transform=map_func)

    def prefetch(self, buffer_size=None, name=None):
        """The dataset itself: `fit` already prepares batches ahead of use."""
        return self

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=None, name=None):
        """The items in a random order, drawn anew at every epoch (unless
        `reshuffle_each_iteration=False`)."""
        return _ShuffledView(self, seed, reshuffle_each_iteration is not False)

    def batch(self, batch_size, drop_remainder=False, **kwargs):
        """Items stacked `batch_size` at a time."""
        return _BatchedView(self, batch_size, drop_remainder)

    def cardinality(self):
        """The number of items."""
        return len(self)


class SampleDataset(_TfDataMethods, PyDataset):
    """Samples produced by index, served in batches (or one by one) in a fixed or reshuffled
    order.

    Args:
        load: a function from an array of sample indices to the stacked samples (a nested
            structure of arrays whose first axis runs over the indices).
        num_samples: how many samples there are.
        batch_size: samples per item, or None for single samples without a batch axis.
        shuffle: whether each epoch after the first serves the samples in a new order (the
            first epoch uses the order given by `order`).
        seed: the seed of those reshufflings.
        order: the sample indices in the order of the first epoch (default: 0, 1, ...).
        drop_remainder: whether a last batch shorter than `batch_size` is left out.
    """

    def __init__(
        self,
        load,
        num_samples,
        batch_size=None,
        shuffle=False,
        seed=None,
        order=None,
        drop_remainder=False,
    ):
        super().__init__(workers=1)
        self._load = load
        self._num_samples = int(num_samples)
        self._batch_size = batch_size
        self._shuffle = shuffle
        self._rng = np.random.RandomState(seed)
        self._drop_remainder = drop_remainder
        self._order = np.arange(num_samples) if order is None else np.asarray(order)
        self.class_names = None
        self.file_paths = None

    @property
    def batch_size(self):
        return self._batch_size

    def __len__(self):
        if self._batch_size is None:
            return self._num_samples
        if self._drop_remainder:
            return self._num_samples // self._batch_size
        return math.ceil(self._num_samples / self._batch_size)

    def __getitem__(self, index):
        index = _check_index(index, len(self), type(self).__name__)
        if self._batch_size is None:
            return _first(self._load(self._order[index : index + 1]))
        chosen = self._order[index * self._batch_size : (index + 1) * self._batch_size]
        return self._load(chosen)

    def on_epoch_end(self):
        # Keras's tf.data pipelines reshuffle at every pass.
        if self._shuffle:
            self._order = self._rng.permutation(self._num_samples)

    # -- the tf.data methods ---------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False, **kwargs):
        """The same samples in batches of `batch_size` (of single samples only)."""
        if self._batch_size is not None:
            return super().batch(batch_size, drop_remainder)
        dataset = SampleDataset(
            self._load,
            self._num_samples,
            batch_size,
            self._shuffle,
            None,
            self._order,
            drop_remainder,
        )
        dataset._rng = self._rng
        return _with_attributes(dataset, self)

    def unbatch(self):
        """The samples one by one."""
        if self._batch_size is None:
            raise ValueError("unbatch(): the dataset's items are single samples already.")
        dataset = SampleDataset(
            self._load, self._num_samples, None, self._shuffle, None, self._order
        )
        dataset._rng = self._rng
        return _with_attributes(dataset, self)


class _DatasetView(_TfDataMethods, PyDataset):
    """Items of another dataset, some of them (`take`, `skip`) or transformed (`map`)."""

    def __init__(self, parent, indices=None, transform=None):
        super().__init__(workers=1)
        self._parent = parent
        self._indices = indices
        self._transform = transform
        self.class_names = getattr(parent, "class_names", None)
        self.file_paths = getattr(parent, "file_paths", None)

    def __len__(self):
        return len(self._parent) if self._indices is None else len(self._indices)

    def __getitem__(self, index):
        index = _check_index(index, len(self), "dataset")
        item = self._parent[index if self._indices is None else self._indices[index]]
        if self._transform is None:
            return item
        return self._transform(*item) if isinstance(item, tuple) else self._transform(item)

    def on_epoch_end(self):
        self._parent.on_epoch_end()


class _ShuffledView(_DatasetView):
    """The items of another dataset in a random order."""

    def __init__(self, parent, seed, reshuffle_each_epoch):
        self._rng = np.random.RandomState(seed)
        super().__init__(parent, indices=list(self._rng.permutation(len(parent))))
        self._reshuffle_each_epoch = reshuffle_each_epoch

    def on_epoch_end(self):
        super().on_epoch_end()
        if self._reshuffle_each_epoch:
            self._indices = list(self._rng.permutation(len(self._parent)))


class _BatchedView(_TfDataMethods, PyDataset):
    """Batches of the items of another dataset (whose items are batches already: a batch of
    batches, as `tf.data`'s `batch` on a batched dataset)."""

    def __init__(self, parent, batch_size, drop_remainder):
        super().__init__(workers=1)
        self._parent, self._batch_size, self._drop_remainder = parent, batch_size, drop_remainder
        self.class_names = getattr(parent, "class_names", None)

    def __len__(self):
        count = len(self._parent)
        return count // self._batch_size if self._drop_remainder else -(-count // self._batch_size)

    def __getitem__(self, index):
        index = _check_index(index, len(self), "dataset")
        items = [
            self._parent[i]
            for i in range(
                index * self._batch_size, min((index + 1) * self._batch_size, len(self._parent))
            )
        ]
        return _stack(items)

    def on_epoch_end(self):
        self._parent.on_epoch_end()


def _with_attributes(dataset, source):
    dataset.class_names = source.class_names
    dataset.file_paths = source.file_paths
    return dataset


def _check_index(index, length, name):
    if not -length <= index < length:
        raise IndexError(f"The {name} has {length} items; index {index} is out of range.")
    return index % length


def _first(batch):
    """The single sample of a batch of one."""
    if isinstance(batch, tuple):
        return tuple(_first(part) for part in batch)
    if isinstance(batch, dict):
        return {key: _first(value) for key, value in batch.items()}
    return batch[0]


def _stack(items):
    first = items[0]
    if isinstance(first, tuple):
        return tuple(_stack([item[i] for item in items]) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stack([item[key] for item in items]) for key in first}
    return np.stack([np.asarray(item) for item in items])
