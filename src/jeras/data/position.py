"""Where a running `fit` stands in its data: enough to start a later `fit` at the same batch
with the same data order and the same random state, so that a run interrupted and resumed by
`BackupAndRestore` ends with the weights of an uninterrupted one.

A position holds the host random states that decide the data order (NumPy's global generator,
which shuffles arrays; Python's `random`, which shuffles a PyDataset's index order), the state
of the batch stream when it carries over between epochs (`steps_per_epoch`), and how many
batches of the epoch have already run. The model's own state (weights, optimizer, seed
streams, metric accumulators) is saved beside it by the callback."""

import random

import numpy as np


def capture_position(stream):
    """The position at this moment, between two epochs: the next epoch starts from here."""
    return {
        "numpy_rng": np.random.get_state(),
        "python_rng": random.getstate(),
        "stream": stream.snapshot() if hasattr(stream, "snapshot") else None,
        "steps_done": 0,
    }


def restore_position(position, stream):
    """Put the host random states and the batch stream back where `position` says."""
    np.random.set_state(position["numpy_rng"])
    random.setstate(position["python_rng"])
    if position.get("stream") is not None and hasattr(stream, "restore"):
        stream.restore(position["stream"])


# -- to and from plain arrays (no pickling: a backup directory is not trusted code) -----------


def position_to_arrays(position):
    kind, keys, pos, has_gauss, cached = position["numpy_rng"]
    if kind != "MT19937":
        raise ValueError(f"Cannot back up NumPy's random state of kind {kind!r}.")
    version, internal, gauss_next = position["python_rng"]
    arrays = {
        "numpy_rng_keys": np.asarray(keys, dtype=np.uint32),
        "numpy_rng_pos": np.asarray([pos, has_gauss], dtype=np.int64),
        "numpy_rng_cached_gaussian": np.asarray(cached, dtype=np.float64),
        "python_rng_internal": np.asarray(internal, dtype=np.uint64),
        "python_rng_version": np.asarray(version, dtype=np.int64),
        "python_rng_gauss_next": np.asarray(
            np.nan if gauss_next is None else gauss_next, dtype=np.float64
        ),
        "steps_done": np.asarray(position["steps_done"], dtype=np.int64),
    }
    stream = position.get("stream")
    if stream is not None:
        arrays["stream_seen"] = np.asarray(stream["seen"], dtype=np.int64)
        if stream["pass"] is not None:
            arrays["stream_pass"] = np.asarray(stream["pass"])
    return arrays


def position_from_arrays(arrays):
    pos, has_gauss = (int(v) for v in arrays["numpy_rng_pos"])
    gauss_next = float(arrays["python_rng_gauss_next"])
    stream = None
    if "stream_seen" in arrays:
        stream = {
            "seen": int(arrays["stream_seen"]),
            "pass": arrays["stream_pass"] if "stream_pass" in arrays else None,
        }
    return {
        "numpy_rng": (
            "MT19937",
            arrays["numpy_rng_keys"],
            pos,
            has_gauss,
            float(arrays["numpy_rng_cached_gaussian"]),
        ),
        "python_rng": (
            int(arrays["python_rng_version"]),
            tuple(int(v) for v in arrays["python_rng_internal"]),
            None if np.isnan(gauss_next) else gauss_next,
        ),
        "stream": stream,
        "steps_done": int(arrays["steps_done"]),
    }
