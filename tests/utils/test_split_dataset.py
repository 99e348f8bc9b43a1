"""`keras.utils.split_dataset`: the same samples on each side as Keras (whose sides are
`tf.data` datasets), for arrays, tuples and shuffled splits; dicts and PyDatasets too."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import jeras


def _keras_side(dataset):
    samples = [
        tuple(np.asarray(p) for p in s) if isinstance(s, tuple) else np.asarray(s) for s in dataset
    ]
    return samples


def _jeras_side(dataset):
    return [dataset[i] for i in range(len(dataset))]


def _assert_same_samples(ours, theirs):
    assert len(ours) == len(theirs)
    for got, want in zip(ours, theirs):
        if isinstance(want, tuple):
            assert isinstance(got, tuple) and len(got) == len(want)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "sizes",
    [
        {"left_size": 0.8},
        {"right_size": 3},
        {"left_size": 4, "right_size": 0.25},
        {"left_size": 0.3, "right_size": 0.5},
    ],
)
@pytest.mark.parametrize("kind", ["array", "tuple", "list"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_sides_hold_keras_samples(sizes, kind, shuffle):
    x = np.arange(40, dtype="float32").reshape(10, 2, 2)
    y = np.arange(10, dtype="int32")
    data = {"array": x, "tuple": (x, y), "list": [x, y]}[kind]
    ours = jeras.utils.split_dataset(data, shuffle=shuffle, seed=5, **sizes)
    theirs = keras.utils.split_dataset(data, shuffle=shuffle, seed=5, **sizes)
    for got, want in zip(ours, theirs):
        _assert_same_samples(_jeras_side(got), _keras_side(want))


def test_dicts_and_pydatasets_split_into_samples():
    data = {"a": np.arange(6), "b": np.arange(6) * 10}
    left, right = jeras.utils.split_dataset(data, left_size=4)
    assert [s["b"] for s in left] == [0, 10, 20, 30] and [s["a"] for s in right] == [4, 5]

    class Batches(jeras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            x = np.arange(index * 4, index * 4 + 4, dtype="float32")[:, None]
            return x, x * 2

    left, right = jeras.utils.split_dataset(Batches(), left_size=0.5)
    # Batched input gives batched sides of the same batch size, as Keras for tf.data.
    assert [b[0].shape[0] for b in left] == [4, 2] and [b[0].shape[0] for b in right] == [4, 2]
    np.testing.assert_array_equal(right[0][1][:, 0], np.arange(6, 10) * 2)


def test_sides_feed_fit_after_batch():
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    train, val = jeras.utils.split_dataset((x, y), left_size=0.75, shuffle=True, seed=1)
    model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(train.batch(5), validation_data=val.batch(5), epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "At least one"),
        ({"left_size": 0, "right_size": 0}, "zero"),
        ({"left_size": 1.5}, "left_size"),
        ({"left_size": 20}, "left_size"),
        ({"left_size": 0.7, "right_size": 0.7}, "greater than 1"),
        ({"left_size": "half"}, "left_size"),
    ],
)
def test_bad_sizes_as_keras(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        jeras.utils.split_dataset(np.arange(10), **kwargs)
    with pytest.raises(TypeError, match="dataset"):
        jeras.utils.split_dataset("not data", left_size=0.5)
