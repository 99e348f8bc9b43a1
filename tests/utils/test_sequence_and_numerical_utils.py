"""`pad_sequences`, `to_categorical`, `normalize` and `timeseries_dataset_from_array` against
Keras 3's own (the timeseries batches against its tf.data dataset)."""

import itertools

import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close

import jeras

SEQUENCES = [[711, 632, 71], [73, 8, 3215, 55, 927], [], [83, 91, 1, 645, 1253, 927]]


@pytest.mark.parametrize(
    "padding, truncating, maxlen",
    list(itertools.product(["pre", "post"], ["pre", "post"], [None, 2, 4, 8])),
)
def test_pad_sequences_matches_keras(padding, truncating, maxlen):
    args = dict(maxlen=maxlen, padding=padding, truncating=truncating)
    ours = jeras.utils.pad_sequences(SEQUENCES, **args)
    theirs = keras.utils.pad_sequences(SEQUENCES, **args)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_dtype_value_and_steps_with_features_match_keras():
    for args in (dict(dtype="float32", value=-1.5), dict(dtype="int64", value=7)):
        ours = jeras.utils.pad_sequences(SEQUENCES, **args)
        theirs = keras.utils.pad_sequences(SEQUENCES, **args)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    steps = [np.ones((2, 3)), np.arange(12.0).reshape(4, 3)]
    ours = jeras.utils.pad_sequences(steps, dtype="float32", padding="post")
    np.testing.assert_array_equal(
        ours, keras.utils.pad_sequences(steps, dtype="float32", padding="post")
    )
    strings = [["a", "bb"], ["ccc"]]
    ours = jeras.utils.pad_sequences(strings, dtype=object, value="")
    np.testing.assert_array_equal(ours, keras.utils.pad_sequences(strings, dtype=object, value=""))


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="dtype=object"):
        jeras.utils.pad_sequences(SEQUENCES, value="x")
    with pytest.raises(ValueError, match="non-iterable 5 at position 1"):
        jeras.utils.pad_sequences([[1], 5])
    with pytest.raises(ValueError, match='`padding` must be "pre" or "post"'):
        jeras.utils.pad_sequences(SEQUENCES, padding="middle")
    with pytest.raises(ValueError, match="position 1"):
        jeras.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))], dtype="float32")


@pytest.mark.parametrize(
    "labels, num_classes",
    [([0, 2, 1], None), ([[1], [3]], 5), (np.array([[0, 1], [2, 0]]), 3), ([0, -1, 2], 3)],
)
def test_to_categorical_matches_keras(labels, num_classes):
    ours = jeras.utils.to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(labels, num_classes)
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_to_categorical_of_a_jax_array_matches_keras():
    labels = jnp.array([[1], [0], [4]])
    ours = jeras.utils.to_categorical(labels, 5)
    theirs = keras.utils.to_categorical(labels, 5)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("order, axis", [(2, -1), (1, -1), (3, 1)])
def test_normalize_matches_keras(order, axis):
    x = np.random.default_rng(0).standard_normal((3, 4))
    x[1] = 0.0  # a zero vector stays zero
    ours = jeras.utils.normalize(x, axis=axis, order=order)
    theirs = keras.utils.normalize(x, axis=axis, order=order)
    assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype
    assert_close(ours, theirs)
    ours = jeras.utils.normalize(jnp.asarray(x, "float32"), axis=axis, order=order)
    theirs = keras.utils.normalize(jnp.asarray(x, "float32"), axis=axis, order=order)
    assert_close(np.asarray(ours), np.asarray(theirs))


def test_normalize_along_axis_0_follows_the_formula():
    # Keras's NumPy path fails here (it reads axis=0 as -1); the NumPy formula is the oracle.
    x = np.random.default_rng(0).standard_normal((3, 4))
    expected = x / np.linalg.norm(x, 2, axis=0, keepdims=True)
    assert_close(jeras.utils.normalize(x, axis=0), expected)
    assert_close(np.asarray(jeras.utils.normalize(jnp.asarray(x, "float32"), axis=0)), expected)


def _keras_batches(dataset):
    return [
        tuple(np.asarray(part) for part in batch)
        if isinstance(batch, tuple)
        else (np.asarray(batch),)
        for batch in dataset
    ]


def _ours(batches):
    return [batch if isinstance(batch, tuple) else (batch,) for batch in batches]


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(sequence_length=5, batch_size=4),
        dict(sequence_length=3, sequence_stride=2, sampling_rate=3, batch_size=3),
        dict(sequence_length=4, start_index=5, end_index=40, batch_size=5),
        dict(sequence_length=6, batch_size=None),
    ],
)
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_batches_match_keras(kwargs, with_targets):
    data = np.arange(100, dtype="float32").reshape(50, 2)
    targets = np.arange(50, dtype="int32") * 10 if with_targets else None
    ours = jeras.utils.timeseries_dataset_from_array(data, targets, **kwargs)
    theirs = keras.utils.timeseries_dataset_from_array(data, targets, **kwargs)
    our_batches, their_batches = _ours(list(ours)), _keras_batches(theirs)
    assert len(ours) == len(our_batches) == len(their_batches)
    for our_batch, their_batch in zip(our_batches, their_batches):
        assert len(our_batch) == len(their_batch)
        for mine, reference in zip(our_batch, their_batch):
            np.testing.assert_array_equal(mine, reference)


def test_timeseries_shuffle_uses_keras_window_permutation():
    data = np.arange(30, dtype="float32")
    ours = jeras.utils.timeseries_dataset_from_array(
        data, None, sequence_length=3, batch_size=None, shuffle=True, seed=4
    )
    # Keras's first step: the window starts permuted by RandomState(seed).
    starts = np.arange(28)
    np.random.RandomState(4).shuffle(starts)
    np.testing.assert_array_equal(np.stack(list(ours))[:, 0], starts)


def test_timeseries_dataset_trains_a_model():
    data = np.random.default_rng(1).standard_normal((40, 2)).astype("float32")
    dataset = jeras.utils.timeseries_dataset_from_array(
        data[:-3], data[3:, 0], sequence_length=3, batch_size=8
    )
    model = jeras.Sequential([jeras.Input((3, 2)), jeras.layers.Flatten(), jeras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(dataset, verbose=0).shape == (35, 1)


def test_timeseries_argument_errors_match_keras():
    data = np.zeros(10)
    for kwargs in (
        dict(start_index=-1),
        dict(start_index=10),
        dict(end_index=10),
        dict(start_index=4, end_index=3),
        dict(sampling_rate=0),
        dict(sequence_stride=10),
        dict(format="torch"),
    ):
        with pytest.raises(ValueError) as ours:
            jeras.utils.timeseries_dataset_from_array(data, None, 2, **kwargs)
        with pytest.raises(ValueError) as theirs:
            keras.utils.timeseries_dataset_from_array(data, None, 2, **kwargs)
        assert str(ours.value).split(".")[0] == str(theirs.value).split(".")[0], kwargs
