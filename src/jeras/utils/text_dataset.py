"""`text_dataset_from_directory`: batches of texts read from a class-per-folder directory of
`.txt` files, as `keras.utils.text_dataset_from_directory`."""

import numpy as np

from jeras.utils import dataset_utils
from jeras.utils.sample_dataset import SampleDataset


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    format="tf",
    verbose=True,
):
    """Batches of `(texts, labels)` from `.txt` files, one subfolder per class.

    Files are listed, shuffled and split as Keras does, so a seed gives Keras's training and
    validation files. Texts come as NumPy arrays of Python strings (Keras gives `tf.string`
    tensors); jeras returns a `PyDataset` (`SampleDataset`) that `fit` takes and that answers
    `take`, `map`, `prefetch`, `batch`, `unbatch`, `shuffle`, `skip` and `cardinality`.

    Args:
        directory: the folder; with `labels="inferred"` it holds one subfolder per class.
        labels: "inferred" (from the subfolders), None (texts only), or a list/tuple of
            integer labels, one per file in the sorted order of the file paths.
        label_mode: "int" (int32), "categorical" (float32 one-hot), "binary" (float32 `(n, 1)`;
            exactly two classes) or None (no labels).
        class_names: with inferred labels, the subfolders to use, in this order.
        batch_size: texts per batch (default 32); None for single texts.
        max_length: the most bytes of UTF-8 kept of each text (default: all).
        shuffle: whether to shuffle the files (default True).
        seed: the shuffling seed (required with `shuffle` and `validation_split`).
        validation_split: the fraction of files kept for validation.
        subset: "training", "validation" or "both" (returns the two datasets).
        follow_links: whether to follow symbolic links to subfolders.
        format: "tf" or "grain", accepted for Keras's signature.
        verbose: print how many files and classes were found.

    Returns:
        A `SampleDataset` with `class_names` and `file_paths` attributes, or a list of two
        (training, validation) with `subset="both"`.
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same size "
                'as the number of text files in the target directory, "inferred", or None. '
                f"Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = dataset_utils.index_directory(
        directory,
        labels,
        formats=(".txt",),
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )

    def build(subset_paths, subset_labels, subset_shuffle, what):
        if not subset_paths:
            raise ValueError(f"No {what}text files found in directory {directory}.")
        encoded = None
        if label_mode is not None:
            encoded = dataset_utils.encode_labels(subset_labels, label_mode, len(class_names or ()))

        def load(indices):
            texts = np.array([_read(subset_paths[i], max_length) for i in indices], dtype=object)
            return texts if encoded is None else (texts, encoded[np.asarray(indices)])

        dataset = SampleDataset(load, len(subset_paths), batch_size, subset_shuffle, seed)
        dataset.class_names = class_names
        dataset.file_paths = list(subset_paths)
        return dataset

    if subset == "both":
        train = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, "training"
        )
        val = dataset_utils.training_or_validation_split(
            paths, labels, validation_split, "validation"
        )
        return [build(*train, shuffle, "training "), build(*val, False, "validation ")]
    paths, labels = dataset_utils.training_or_validation_split(
        paths, labels, validation_split, subset
    )
    return build(paths, labels, shuffle, "")


def _read(path, max_length):
    with open(path, "rb") as file:
        data = file.read()
    if max_length is not None:
        data = data[:max_length]
    return data.decode("utf-8", errors="ignore")
