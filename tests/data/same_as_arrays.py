"""Shared by the tf.data, torch and Grain input tests: one small dataset, two identically
initialised models, and the check that an input pipeline trains exactly as the same arrays."""

import functools

import numpy as np
import oracle
import pytest

import jeras

rng = np.random.default_rng(0)
# 203 samples in batches of 16: 12 full batches and a short one of 11.
X = rng.normal(size=(203, 12))
Y = rng.integers(0, 4, 203)
SW = rng.uniform(0.0, 2.0, 203)
BATCH = 16


def model():
    inputs = jeras.Input((12,))
    hidden = jeras.layers.Dense(16, activation="relu")(inputs)
    return jeras.Model(inputs, jeras.layers.Dense(4, activation="softmax")(hidden))


def compiled_pair(build=model, **compile_args):
    """Two models with the same initial weights, compiled alike."""
    compile_args = compile_args or dict(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    a, b = build(), build()
    b.set_weights(a.get_weights())
    for m in (a, b):
        m.compile(**compile_args)
    return a, b


def assert_same_history(expected, actual):
    oracle.assert_same_history(actual, expected, atol=1e-6, rtol=1e-5)


def numpy_batches(*arrays, endless=False):
    """The batches of `arrays` in order, as a generator (forever when `endless`)."""
    while True:
        for start in range(0, len(arrays[0]), BATCH):
            yield tuple(a[start : start + BATCH] for a in arrays)
        if not endless:
            return


def reference_model():
    """The model every check starts from: fixed initial weights, so the arrays' results can be
    computed once per pytest process and compared with every pipeline."""
    fresh = model()
    rng = np.random.default_rng(42)
    fresh.set_weights([rng.uniform(-0.3, 0.3, w.shape) for w in fresh.get_weights()])
    fresh.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return fresh


@functools.cache
def arrays_results():
    """What the arrays give in `check_same_as_arrays`: history, evaluation and predictions."""
    arrays_model = reference_model()
    # Validation reads 2 of 13 batches each epoch: the same 2 only if it restarts every time.
    history = arrays_model.fit(
        X,
        Y,
        sample_weight=SW,
        batch_size=BATCH,
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=(X, Y),
        validation_steps=2,
    ).history
    return (
        history,
        arrays_model.evaluate(X, Y, batch_size=BATCH, verbose=0),
        arrays_model.predict(X, verbose=0),
    )


def check_same_as_arrays(make_pipeline):
    """`make_pipeline(*arrays)` batches the arrays by BATCH, in order. Training on
    `(x, y, sample_weight)` batches with `validation_steps`, evaluating on `(x, y)` and
    predicting on `x` must give what the arrays give."""
    history, evaluation, predictions = arrays_results()
    pipeline_model = reference_model()
    assert_same_history(
        history,
        pipeline_model.fit(
            make_pipeline(X, Y, SW),
            epochs=3,
            verbose=0,
            validation_data=make_pipeline(X, Y),
            validation_steps=2,
        ).history,
    )
    np.testing.assert_allclose(
        pipeline_model.evaluate(make_pipeline(X, Y), verbose=0), evaluation, rtol=1e-5
    )
    np.testing.assert_allclose(
        pipeline_model.predict(make_pipeline(X), verbose=0), predictions, rtol=1e-5, atol=1e-6
    )


@functools.cache
def arrays_history_with_steps_per_epoch():
    with pytest.warns(UserWarning, match="ran out of data"):
        return (
            reference_model()
            .fit(
                X,
                Y,
                batch_size=BATCH,
                epochs=4,
                steps_per_epoch=4,
                shuffle=False,
                verbose=0,
                validation_data=(X[:50], Y[:50]),
                validation_batch_size=BATCH,
            )
            .history
        )


def check_steps_per_epoch_continues(train_pipeline, validation_pipeline):
    """With `steps_per_epoch`, epochs continue through one pass, as arrays do: 13 batches in
    epochs of 4 steps means epoch 4 gets the last batch only, with a warning. Validation on a
    whole pass of `validation_pipeline` (X[:50], Y[:50]) after each epoch."""
    expected = arrays_history_with_steps_per_epoch()
    with pytest.warns(UserWarning, match="ran out of data"):
        actual = (
            reference_model()
            .fit(
                train_pipeline,
                epochs=4,
                steps_per_epoch=4,
                verbose=0,
                validation_data=validation_pipeline,
            )
            .history
        )
    assert_same_history(expected, actual)
