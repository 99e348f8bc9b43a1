"""Benchmark data: loaded once by the parent, prepared identically by every contestant.

The parent loads the raw uint8 arrays (through jeras.datasets) and saves them to an .npz
in its temporary directory; each child loads that file and applies the same
preprocessing, timed as its `data_s`. Only the standard library is imported at module
level (see bench_harness.py).
"""

import os
import sys
import traceback

from bench_harness import SRC

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"


def save_dataset(name, tmp):
    """Loads dataset `name` ("mnist" or "fashion_mnist") and saves it under `tmp`.

    Returns `(path, description)`. MNIST needs a download (or a copy in
    ~/.keras/datasets); when it is unavailable, Fashion-MNIST, which has the same shapes
    and classes, stands in and the description says so.
    """
    import numpy as np

    path = os.path.join(tmp, f"{name}.npz")
    if name == "mnist":
        try:
            arrays, source = _load_with_jeras("mnist"), "MNIST"
        except Exception as error:  # noqa: BLE001 - offline without a cached copy, or broken
            arrays, source = _load_fashion_mnist()
            source += f" standing in for MNIST ({type(error).__name__}: MNIST not available)"
    elif name == "fashion_mnist":
        arrays, source = _load_fashion_mnist()
    elif name == "synthetic_reviews":
        arrays, source = _synthetic_reviews(), "synthetic IMDB-like reviews (word ids, 200 long)"
    elif name == "synthetic_cifar":
        arrays, source = _synthetic_cifar(), "synthetic CIFAR-10-like images (32x32x3 uint8)"
    else:
        raise ValueError(
            f"unknown dataset {name!r}; expected 'mnist', 'fashion_mnist', 'synthetic_reviews' "
            "or 'synthetic_cifar'"
        )
    (x_train, y_train), (x_test, y_test) = arrays
    np.savez(
        path,
        x_train=np.asarray(x_train),
        y_train=np.asarray(y_train),
        x_test=np.asarray(x_test),
        y_test=np.asarray(y_test),
    )
    return path, source


def _load_with_jeras(name):
    if SRC not in sys.path:
        sys.path.insert(0, SRC)
    import importlib

    return importlib.import_module(f"jeras.datasets.{name}").load_data()


def _load_fashion_mnist():
    """jeras's loader; raw IDX reading of Debian's files only if jeras is broken."""
    try:
        return _load_with_jeras("fashion_mnist"), "Fashion-MNIST (jeras.datasets.fashion_mnist)"
    except Exception:  # noqa: BLE001 - any failure of jeras's loader: read the files directly
        print(
            "warning: jeras.datasets.fashion_mnist.load_data() failed; reading "
            f"{FASHION_MNIST_DIR} directly:\n" + traceback.format_exc(),
            file=sys.stderr,
        )
        parts = [
            _read_idx(os.path.join(FASHION_MNIST_DIR, f))
            for f in (
                "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz",
                "t10k-labels-idx1-ubyte.gz",
            )
        ]
        return ((parts[0], parts[1]), (parts[2], parts[3])), f"Fashion-MNIST ({FASHION_MNIST_DIR})"


def _synthetic_reviews(num_train=10_000, num_test=2_000, length=200, vocab_size=20_000):
    """IMDB-shaped text data, already padded: rows of `length` word ids (0 pads the front of a
    short review) and 0/1 labels; a positive review draws a third of its words from one band
    of frequent words, a negative one from another, so a model learns something quickly."""
    import numpy as np

    rng = np.random.default_rng(2026)

    def draw(n):
        labels = rng.integers(0, 2, n).astype("uint8")
        words = rng.integers(2, vocab_size, (n, length))
        telling = rng.random((n, length)) < 0.3
        bands = 10 + 50 * labels[:, None] + rng.integers(0, 50, (n, length))
        words = np.where(telling, bands, words)
        lengths = rng.integers(50, length + 1, n)
        words[np.arange(length)[None, :] < (length - lengths)[:, None]] = 0
        return words.astype("int32"), labels

    return draw(num_train), draw(num_test)


def _synthetic_cifar(num_train=12_000, num_test=1_000, size=32, num_classes=10):
    """CIFAR-10-shaped images (no download here): uint8 32x32x3 and labels 0..9. Each class
    has its own colour and a blurred blob at its own place, under heavy noise, so a small
    convnet learns something in an epoch or two while flips and shifts still matter."""
    import numpy as np

    rng = np.random.default_rng(2026)
    colours = rng.uniform(40, 215, (num_classes, 3))
    centres = rng.uniform(8, size - 8, (num_classes, 2))
    rows, cols = np.mgrid[0:size, 0:size]

    def draw(n):
        labels = rng.integers(0, num_classes, n)
        images = rng.normal(128, 50, (n, size, size, 3))
        offsets = centres[labels] + rng.normal(0, 2, (n, 2))
        distance = (rows[None] - offsets[:, 0, None, None]) ** 2 + (
            cols[None] - offsets[:, 1, None, None]
        ) ** 2
        blob = np.exp(-distance / 30.0)[..., None]
        images = images * (1 - blob) + colours[labels][:, None, None, :] * blob
        return np.clip(images, 0, 255).astype("uint8"), labels.astype("uint8")

    return draw(num_train), draw(num_test)


def _read_idx(path):
    import gzip

    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def prepare(job, workload):
    """The preprocessing every contestant runs: pixels to float32 in [0, 1] in the model's
    input shape (raw pixels to float32 0..255 for a model that rescales them itself; word ids
    stay as they are, in float32 as keras-io's text programs feed them), labels as float32 class ids (as the guide does) or one-hot rows (as keras-io's
    convnet does with to_categorical), the last `val_holdout` training samples held out for
    validation, then both splits cut to the job's sample counts.

    Returns x_train, y_train, x_val, y_val, x_test.
    """
    import numpy as np

    with np.load(job["data"]) as data:
        x_all, y_all, x_test = data["x_train"], data["y_train"], data["x_test"]
    shape = tuple(workload.input_shape)
    scale = 255 if workload.inputs == "pixels" else 1
    x_all = x_all.reshape((len(x_all),) + shape).astype("float32") / scale
    x_test = x_test.reshape((len(x_test),) + shape).astype("float32") / scale
    if workload.labels == "one_hot":
        y_all = np.eye(10, dtype="float32")[y_all]
    else:
        y_all = y_all.astype("float32")
    held = workload.val_holdout
    x_val, y_val = x_all[-held:][: job["val_samples"]], y_all[-held:][: job["val_samples"]]
    x_train, y_train = x_all[:-held][: job["train_samples"]], y_all[:-held][: job["train_samples"]]
    return x_train, y_train, x_val, y_val, x_test


def sample_counts(workload, steps=None, val_steps=None, full=False):
    """Training and validation sample counts for a job (None: the whole split)."""
    if full:
        return None, None
    steps = steps if steps is not None else workload.train_steps
    val_steps = val_steps if val_steps is not None else workload.val_steps
    return (
        None if steps is None else steps * workload.batch_size,
        None if val_steps is None else val_steps * workload.batch_size,
    )
