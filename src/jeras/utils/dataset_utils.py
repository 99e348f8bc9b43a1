"""`split_dataset`, and what the `*_dataset_from_directory` functions share: finding the files
of a class-per-folder directory, Keras's training / validation split, and label encodings."""

import os
import random

import numpy as np

from jeras.data.py_dataset import PyDataset
from jeras.utils.io_utils import print_msg
from jeras.utils.sample_dataset import SampleDataset


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, **kwargs):
    """Split a dataset into a left and a right part, as `keras.utils.split_dataset`.

    Args:
        dataset: a NumPy array, a tuple or list of arrays with the same first dimension, a dict
            of such arrays, or a `PyDataset` (whose batches are split into samples).
        left_size: the left part's size: a float in (0, 1) is a fraction of the samples, an int
            a count; None: what `right_size` leaves.
        right_size: the right part's size, likewise (None: what `left_size` leaves).
        shuffle: whether to shuffle the samples before splitting, with Python's `random` seeded
            by `seed` (as Keras, so the same seed picks the same samples).
        seed: the shuffling seed.

    Returns:
        `(left, right)`: datasets of single samples (batched as the input was, for a
        `PyDataset`); call `.batch(batch_size)` on them before `fit`.
    """
    kwargs.pop("preferred_backend", None)
    if kwargs:
        raise TypeError(f"split_dataset() got unexpected keyword arguments: {sorted(kwargs)}")
    if left_size is None and right_size is None:
        raise ValueError(
            "At least one of the `left_size` or `right_size` must be specified. Received: "
            "left_size=None and right_size=None"
        )
    samples, batch_size, restore = _as_samples(dataset)
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(1e6))
        random.seed(seed)
        random.shuffle(samples)
    total = len(samples)
    left_size, right_size = _split_sizes(left_size, right_size, total)
    parts = []
    for chosen in (samples[:left_size], samples[total - right_size :]):
        arrays = restore(chosen)
        part = SampleDataset(_array_loader(arrays), len(chosen))
        parts.append(part if batch_size is None else part.batch(batch_size))
    return tuple(parts)


def _as_samples(dataset):
    """The list of single samples of `dataset`, the batch size it came in (None for arrays),
    and a function stacking a list of samples back into the input's structure."""
    if isinstance(dataset, PyDataset):
        samples = []
        batch_size = None
        for index in range(len(dataset)):
            batch = dataset[index]
            count = len(_leaves(batch)[0])
            batch_size = batch_size or count
            samples.extend(_slice(batch, i) for i in range(count))
        if not samples:
            raise ValueError("Received an empty dataset: the PyDataset has no samples.")
        return samples, batch_size, _stacker(samples[0])
    if isinstance(dataset, np.ndarray):
        if len(dataset) == 0:
            raise ValueError("Received an empty dataset: the array has no samples.")
        return list(dataset), None, np.stack
    if isinstance(dataset, (tuple, list, dict)):
        arrays = list(dataset.values()) if isinstance(dataset, dict) else list(dataset)
        if not arrays:
            raise ValueError(
                f"Received an empty {type(dataset).__name__}: pass a non-empty tuple or list "
                "of NumPy arrays."
            )
        lengths = []
        for position, array in zip(
            dataset if isinstance(dataset, dict) else range(len(arrays)), arrays
        ):
            if not isinstance(array, np.ndarray):
                raise ValueError(
                    f"Expected a {type(dataset).__name__} of `numpy.ndarray` objects, "
                    f"received: {type(array).__name__} at {position!r}."
                )
            lengths.append(len(array))
        if len(set(lengths)) != 1:
            raise ValueError(
                f"Received a {type(dataset).__name__} of NumPy arrays with different lengths "
                f"({lengths}). Please provide arrays of the same length."
            )
        count = lengths[0]
        if isinstance(dataset, dict):
            keys = list(dataset)
            samples = [{k: dataset[k][i] for k in keys} for i in range(count)]
        else:
            # Keras returns the parts of a list as a tuple too.
            samples = [tuple(a[i] for a in arrays) for i in range(count)]
        return samples, None, _stacker(samples[0])
    raise TypeError(
        "The `dataset` argument must be a NumPy array, a tuple, list or dict of NumPy arrays, "
        f"or a PyDataset. Received: dataset of type {type(dataset).__name__}"
    )


def _leaves(structure):
    if isinstance(structure, (tuple, list)):
        return [leaf for part in structure for leaf in _leaves(part)]
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in _leaves(structure[key])]
    return [np.asarray(structure)]


def _slice(structure, index):
    if isinstance(structure, (tuple, list)):
        return tuple(_slice(part, index) for part in structure)
    if isinstance(structure, dict):
        return {key: _slice(value, index) for key, value in structure.items()}
    return np.asarray(structure)[index]


def _stacker(example):
    def stack(samples):
        if isinstance(example, tuple):
            return tuple(_stacker(example[i])([s[i] for s in samples]) for i in range(len(example)))
        if isinstance(example, dict):
            return {key: _stacker(example[key])([s[key] for s in samples]) for key in example}
        return np.stack([np.asarray(s) for s in samples])

    return stack


def _array_loader(arrays):
    """A `load(indices)` over in-memory arrays (a nested tuple / dict of them)."""

    def load(indices):
        return _take(arrays, np.asarray(indices))

    return load


def _take(structure, indices):
    if isinstance(structure, tuple):
        return tuple(_take(part, indices) for part in structure)
    if isinstance(structure, dict):
        return {key: _take(value, indices) for key, value in structure.items()}
    return structure[indices]


def _split_sizes(left_size, right_size, total):
    """Keras's rule: floats are fractions (rounded), ints counts; the missing side takes the
    rest; neither side may be empty."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(
                f"Invalid `{name}` type. Expected: int or float or None, received: "
                f"type({name})={type(size)}."
            )
    if left_size == 0 and right_size == 0:
        raise ValueError(
            "Both `left_size` and `right_size` are zero. At least one of the split sizes must "
            "be non-zero."
        )
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if (type(size) is int and not 0 < size < total) or (
            type(size) is float and not 0 < size < 1
        ):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than {total}, or a "
                f"float within the range `[0, 1]`. Received: {name}={size}"
            )
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(
            "The sum of `left_size` and `right_size` is greater than 1. It must be less than "
            "or equal to 1."
        )
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    if left is None:
        left = total - right
    elif right is None:
        right = total - left
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total} "
            f"samples. Received: left_size + right_size = {left + right}"
        )
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left_size} and "
                f"`right_size`={right_size}, the {side} side of the split would be empty. "
                "Adjust the sizes."
            )
    return int(left), int(right)


# -- class-per-folder directories ---------------------------------------------------------------
def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's checks of `validation_split`, `subset` and `seed`."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )


def index_directory(
    directory,
    labels,
    formats,
    class_names=None,
    shuffle=True,
    seed=None,
    follow_links=False,
    verbose=True,
):
    """The file paths under `directory` (one subfolder per class with `labels="inferred"`),
    their labels and the class names, in Keras's order: classes sorted (or as `class_names`
    gives them), files sorted within each, then, with `shuffle`, both permuted by
    `np.random.RandomState(seed)`, so that a seed selects the same validation files as Keras.
    """
    if not os.path.isdir(directory):
        raise ValueError(f"The directory {directory!r} does not exist or is not a folder.")
    if labels == "inferred":
        subdirs = [
            name
            for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            if labels is None:
                raise ValueError(
                    "When `labels=None` (no labels), argument `class_names` cannot be specified."
                )
            raise ValueError(
                "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
    filenames, inferred = [], []
    for class_index, subdir in enumerate(subdirs):
        folder = os.path.join(directory, subdir)
        for root, _, files in sorted(os.walk(folder, followlinks=follow_links)):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    filenames.append(
                        os.path.join(subdir, os.path.relpath(os.path.join(root, name), folder))
                    )
                    inferred.append(class_index)
    if labels == "inferred":
        labels = np.asarray(inferred, dtype="int32")
        class_names = subdirs
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files "
                f"in directory {directory}."
            )
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        if labels is None:
            print_msg(f"Found {len(filenames)} files.")
        else:
            print_msg(f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def training_or_validation_split(samples, labels, validation_split, subset):
    """Keras's split: the validation subset is the last `int(validation_split * n)` samples."""
    if not validation_split:
        return samples, labels
    count = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - count} files for training.")
        return samples[: len(samples) - count], None if labels is None else labels[
            : len(samples) - count
        ]
    if subset == "validation":
        print_msg(f"Using {count} files for validation.")
        return samples[len(samples) - count :], None if labels is None else labels[
            len(samples) - count :
        ]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def encode_labels(labels, label_mode, num_classes):
    """Labels as Keras's directory datasets give them: int32 for "int", float32 `(n, 1)` for
    "binary", float32 one-hot for "categorical"."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels.astype("int64")]
    return labels.astype("int32")
