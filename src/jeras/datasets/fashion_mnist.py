"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 clothing categories.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
"""

import gzip
import os

import numpy as np

from jeras.datasets._download import cache_dir, get_file

_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
# Installed by Debian/Ubuntu's `dataset-fashion-mnist` package; lets machines
# without access to Google Cloud Storage load the data.
_SYSTEM_DIR = "/usr/share/datasets/fashion-mnist"

_TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
_TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
_TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
_TEST_IMAGES = "t10k-images-idx3-ubyte.gz"

_LABELS_MAGIC = 0x00000801  # IDX: unsigned byte, 1 dimension
_IMAGES_MAGIC = 0x00000803  # IDX: unsigned byte, 3 dimensions


def _offline_hint(cache_path):
    return (
        "To use Fashion-MNIST offline on Debian/Ubuntu, run "
        "`apt-get install dataset-fashion-mnist` (installs the files into "
        f"{_SYSTEM_DIR}), or copy the four *-ubyte.gz files into {cache_path}."
    )


def _locate(fname):
    directory = cache_dir(_CACHE_SUBDIR)
    cached = os.path.join(directory, fname)
    if os.path.exists(cached):
        return cached
    # Debian ships the files gzipped, but a decompressed copy is accepted too
    # in case the files were unpacked by hand.
    for name in (fname, fname[: -len(".gz")]):
        candidate = os.path.join(_SYSTEM_DIR, name)
        if os.path.isfile(candidate):
            return candidate
    return get_file(
        fname,
        origin=_BASE_URL + fname,
        cache_subdir=_CACHE_SUBDIR,
        offline_hint=_offline_hint(directory),
    )


def _read_bytes(path):
    with open(path, "rb") as f:
        compressed = f.read(2) == b"\x1f\x8b"
    if compressed:
        with gzip.open(path, "rb") as f:
            return f.read()
    with open(path, "rb") as f:
        return f.read()


def _header(data, path, n_fields, magic):
    # The magic number is checked before the length so that swapping the
    # images and labels files is reported as such, not as truncation.
    found = np.frombuffer(data[:4], dtype=">u4")
    if found.size != 1 or int(found[0]) != magic:
        got = f"{int(found[0]):#010x}" if found.size else "none"
        raise ValueError(
            f"{path} is not the expected IDX file: magic number {got}, expected {magic:#010x}."
        )
    if len(data) < 4 * n_fields:
        raise ValueError(f"{path} is truncated: its IDX header is incomplete.")
    return np.frombuffer(data, dtype=">u4", count=n_fields)[1:].tolist()


def _read_labels(path):
    data = _read_bytes(path)
    (count,) = _header(data, path, 2, _LABELS_MAGIC)
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    if labels.size != count:
        raise ValueError(
            f"{path} is truncated or corrupted: header declares {count} "
            f"labels but the file holds {labels.size}."
        )
    return labels


def _read_images(path, n_labels):
    data = _read_bytes(path)
    count, rows, cols = _header(data, path, 4, _IMAGES_MAGIC)
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16)
    if pixels.size != count * rows * cols:
        raise ValueError(
            f"{path} is truncated or corrupted: header declares {count} "
            f"images of {rows}x{cols} but the file holds {pixels.size} pixels."
        )
    if count != n_labels:
        raise ValueError(
            f"{path} holds {count} images but the matching labels file holds {n_labels} labels."
        )
    return pixels.reshape(count, rows, cols)


def load_data():
    """Load the Fashion-MNIST dataset.

    Files are looked up in the Keras cache (`~/.keras/datasets/fashion-mnist`
    or `$KERAS_HOME/datasets/fashion-mnist`), then in `_SYSTEM_DIR` (Debian's
    `dataset-fashion-mnist` package), and are downloaded only if absent from
    both.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        `(60000, 28, 28)`, `(60000,)`, `(10000, 28, 28)`, `(10000,)`; labels
        are integers 0-9. As in Keras, the arrays are read-only views of the
        decompressed files (use `.astype` or `.copy()` before modifying).

    Raises:
        jeras.datasets._download.DatasetDownloadError (an `OSError`): a file
            is missing locally and cannot be downloaded.
        ValueError: a file is not a valid IDX file of the expected kind.
    """
    y_train = _read_labels(_locate(_TRAIN_LABELS))
    x_train = _read_images(_locate(_TRAIN_IMAGES), y_train.size)
    y_test = _read_labels(_locate(_TEST_LABELS))
    x_test = _read_images(_locate(_TEST_IMAGES), y_test.size)
    return (x_train, y_train), (x_test, y_test)
