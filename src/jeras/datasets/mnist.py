"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 images."""

import numpy as np

from jeras.datasets._download import cache_dir, get_file

_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Load the MNIST dataset, downloading it on first use.

    Args:
        path: file name under which the archive is cached in
            `~/.keras/datasets` (or `$KERAS_HOME/datasets`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        `(60000, 28, 28)`, `(60000,)`, `(10000, 28, 28)`, `(10000,)`; labels
        are digits 0-9.

    Raises:
        jeras.datasets._download.DatasetDownloadError (an `OSError`): the
            file is not cached and cannot be downloaded.
        ValueError: the downloaded file fails its SHA-256 check.
    """
    hint = (
        "To use MNIST offline, copy mnist.npz (SHA-256 "
        f"{_SHA256}) to {cache_dir()}/{path}, or use "
        "jeras.datasets.fashion_mnist, which on Debian/Ubuntu can be "
        "installed with `apt-get install dataset-fashion-mnist`."
    )
    local = get_file(path, origin=_ORIGIN, file_hash=_SHA256, offline_hint=hint)
    # allow_pickle=False: the archive holds plain arrays, and unpickling a
    # downloaded file could execute arbitrary code.
    with np.load(local, allow_pickle=False) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return (x_train, y_train), (x_test, y_test)
