"""`timeseries_dataset_from_array`: sliding windows over a timeseries, in batches."""

import math

import numpy as np

from jeras.data.py_dataset import PyDataset


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
    format="tf",
):
    """Windows of `sequence_length` steps over `data`, in batches, with their targets.

    Window `i` starts at step `start_index + i * sequence_stride` and holds every
    `sampling_rate`-th step from there; its target is `targets[i * sequence_stride]` (offset
    like the window itself, so pass `targets` already shifted by the horizon you predict).

    Keras returns a `tf.data.Dataset` (or a Grain dataset); jeras has no TensorFlow and returns
    a `PyDataset` (`TimeseriesDataset`) that `fit`, `evaluate` and `predict` take and that
    Python can iterate. Without `shuffle` its batches are Keras's, in the same order. With
    `shuffle`, the windows are permuted by the same `np.random.RandomState(seed)` draw as in
    Keras, but Keras then also shuffles them again locally inside tf.data, which jeras does not
    reproduce; `fit(shuffle=True)` further shuffles the order of the batches each epoch.

    Args:
        data: array-like of shape `(steps, ...)`; axis 0 is time.
        targets: targets aligned with `data` (`targets[i]` for the window starting at step `i`),
            or None for windows without targets.
        sequence_length: the number of steps in each window.
        sequence_stride: the step between the starts of consecutive windows (default 1).
        sampling_rate: the step between the rows of one window (default 1).
        batch_size: windows per batch (default 128); None gives single windows, without a
            batch axis.
        shuffle: whether to shuffle the windows (default False).
        seed: the shuffling seed.
        start_index: the first step of `data` used (default 0).
        end_index: the step of `data` where windows must end, excluded (default: all of it).
        format: "tf" or "grain", accepted for Keras's signature; both give the same jeras
            dataset.

    Returns:
        A `TimeseriesDataset`, whose items are `(inputs, targets)` batches, or `inputs`
        alone when `targets` is None.
    """
    length = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(
                f"`start_index` must be 0 or greater. Received: start_index={start_index}"
            )
        if start_index >= length:
            raise ValueError(
                "`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {length}"
            )
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                "`end_index` must be higher than `start_index`. Received: "
                f"start_index={start_index}, and end_index={end_index}"
            )
        if end_index >= length:
            raise ValueError(
                "`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {length}"
            )
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for argument, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{argument}` must be higher than 0. Received: {argument}={value}")
        if value >= length:
            raise ValueError(
                f"`{argument}` must be lower than the length of the data. Received: "
                f"{argument}={value}, for data of length {length}"
            )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    start_index = start_index or 0
    end_index = end_index or length
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    starts = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    return TimeseriesDataset(
        np.asarray(data)[start_index:end_index],
        None if targets is None else np.asarray(targets)[start_index:],
        starts,
        sequence_length,
        sampling_rate,
        batch_size,
    )


class TimeseriesDataset(PyDataset):
    """The batches of `timeseries_dataset_from_array`, built on demand from the window starts.

    Args:
        data: the steps windows are taken from.
        targets: the targets, indexed by window start, or None.
        starts: the start step of each window, in batch order.
        sequence_length: steps per window.
        sampling_rate: the step between the rows of a window.
        batch_size: windows per batch, or None for single windows.
    """

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size):
        super().__init__(workers=1)
        self._data = data
        self._targets = targets
        self._starts = starts
        self._offsets = np.arange(sequence_length) * sampling_rate
        self._batch_size = batch_size

    def __len__(self):
        if self._batch_size is None:
            return len(self._starts)
        return math.ceil(len(self._starts) / self._batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"TimeseriesDataset has {len(self)} batches; index {index}.")
        index %= len(self)
        if self._batch_size is None:
            starts = self._starts[index]
        else:
            starts = self._starts[index * self._batch_size : (index + 1) * self._batch_size]
        inputs = self._data[np.asarray(starts)[..., None] + self._offsets]
        if self._targets is None:
            return inputs
        return inputs, self._targets[starts]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]
