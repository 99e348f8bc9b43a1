"""fit / evaluate / predict against real Keras 3 on the same initial weights and data order."""

import keras
import numpy as np
import pytest
from oracle import (
    assert_same_history,
    classification_data,
    compiled_keras_and_jeras,
    matmul_tolerance,
)

import jeras

# Three epochs of training compound float32 rounding differences between the two libraries.
HISTORY_TOLERANCE = matmul_tolerance(atol=1e-4, rtol=1e-4)


def _mlp(lib, features=12, classes=4, activation="softmax"):
    inputs = lib.Input(shape=(features,), name="features")
    h = lib.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = lib.layers.Dense(classes, activation=activation, name="out")(h)
    return lib.Model(inputs, outputs)


def _pair(**compile_recipes):
    return compiled_keras_and_jeras(_mlp, **compile_recipes)


OPTIMIZERS = {
    "rmsprop": lambda lib: lib.optimizers.RMSprop(),
    "adam": lambda lib: lib.optimizers.Adam(learning_rate=0.01),
    "sgd_momentum": lambda lib: lib.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_history_matches_keras_with_validation_split(optimizer):
    x, y = classification_data()
    k_model, j_model = _pair(
        optimizer=OPTIMIZERS[optimizer],
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    kwargs = dict(batch_size=16, epochs=3, shuffle=False, validation_split=0.25, verbose=0)
    h_keras = k_model.fit(x, y, **kwargs).history
    h_jeras = j_model.fit(x, y, **kwargs).history
    assert_same_history(h_jeras, h_keras, **HISTORY_TOLERANCE)
    np.testing.assert_allclose(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-5
    )


def test_shuffled_fit_matches_keras_under_the_same_numpy_seed():
    # Both draw each epoch's order from NumPy's global generator.
    x, y = classification_data()
    k_model, j_model = _pair(
        optimizer=OPTIMIZERS["adam"],
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    np.random.seed(7)
    h_keras = k_model.fit(x, y, batch_size=32, epochs=2, verbose=0).history
    np.random.seed(7)
    h_jeras = j_model.fit(x, y, batch_size=32, epochs=2, verbose=0).history
    assert_same_history(h_jeras, h_keras, **HISTORY_TOLERANCE)


def test_one_hot_targets_mse_and_sample_weight_match_keras():
    x, y = classification_data()
    y_onehot = np.eye(4, dtype="float32")[y.astype(int)]
    sw = np.random.default_rng(1).uniform(0.1, 2.0, size=len(x)).astype("float32")
    k_model, j_model = _pair(
        optimizer="rmsprop",
        loss="categorical_crossentropy",
        metrics=["categorical_accuracy", "mse"],
        weighted_metrics=["categorical_accuracy"],
    )
    kwargs = dict(
        batch_size=20,
        epochs=2,
        shuffle=False,
        verbose=0,
        sample_weight=sw,
        validation_data=(x[:50], y_onehot[:50]),
    )
    assert_same_history(
        j_model.fit(x, y_onehot, **kwargs).history,
        k_model.fit(x, y_onehot, **kwargs).history,
        **HISTORY_TOLERANCE,
    )


def test_class_weight_matches_keras():
    x, y = classification_data()
    k_model, j_model = _pair(
        optimizer="adam", loss="sparse_categorical_crossentropy", weighted_metrics=["accuracy"]
    )
    kwargs = dict(
        batch_size=25, epochs=2, shuffle=False, verbose=0, class_weight={0: 1.0, 1: 3.0, 2: 0.5}
    )
    assert_same_history(
        j_model.fit(x, y, **kwargs).history,
        k_model.fit(x, y, **kwargs).history,
        **HISTORY_TOLERANCE,
    )


def test_binary_crossentropy_from_logits_and_evaluate_match_keras():
    x, y = classification_data()
    y_bin = (y > 1).astype("float32")
    k_model, j_model = (
        _mlp(keras, classes=1, activation=None),
        _mlp(jeras, classes=1, activation=None),
    )
    j_model.set_weights(k_model.get_weights())
    for model, lib in ((k_model, keras), (j_model, jeras)):
        model.compile(
            optimizer="sgd",
            loss=lib.losses.BinaryCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    kwargs = dict(batch_size=64, epochs=2, shuffle=False, verbose=0)
    assert_same_history(
        j_model.fit(x, y_bin, **kwargs).history,
        k_model.fit(x, y_bin, **kwargs).history,
        **HISTORY_TOLERANCE,
    )
    np.testing.assert_allclose(
        j_model.evaluate(x, y_bin, batch_size=50, verbose=0),
        k_model.evaluate(x, y_bin, batch_size=50, verbose=0),
        atol=1e-5,
    )
    assert (
        j_model.evaluate(x, y_bin, verbose=0, return_dict=True).keys()
        == k_model.evaluate(x, y_bin, verbose=0, return_dict=True).keys()
    )


def test_train_and_test_on_batch_match_keras():
    x, y = classification_data(n=40)
    k_model, j_model = _pair(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    for _ in range(3):
        np.testing.assert_allclose(
            j_model.train_on_batch(x, y), k_model.train_on_batch(x, y), atol=1e-5
        )
    np.testing.assert_allclose(j_model.test_on_batch(x, y), k_model.test_on_batch(x, y), atol=1e-5)
    np.testing.assert_allclose(j_model.predict_on_batch(x), k_model.predict_on_batch(x), atol=1e-5)


def test_initial_epoch_and_history_epochs_match_keras():
    x, y = classification_data(n=64)
    k_model, j_model = _pair(optimizer="sgd", loss="sparse_categorical_crossentropy")
    h_keras = k_model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, shuffle=False)
    h_jeras = j_model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, shuffle=False)
    assert h_jeras.epoch == h_keras.epoch == [2, 3]
    assert_same_history(h_jeras.history, h_keras.history, **HISTORY_TOLERANCE)
    assert set(h_jeras.params) >= {"verbose", "epochs", "steps"}
    assert h_jeras.params["steps"] == h_keras.params["steps"]


@pytest.mark.parametrize("steps_per_epoch,batch_size", [(3, 16), (4, None), (5, 64)])
def test_steps_per_epoch_continues_through_the_data_as_keras(steps_per_epoch, batch_size):
    # 203 samples: with batch 16 (13 batches) epochs of 3 steps walk through one pass; with 64
    # (4 batches) and 5 steps the pass runs out and the epoch ends early, as in Keras.
    x, y = classification_data()
    k_model, j_model = _pair(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    kwargs = dict(
        batch_size=batch_size,
        epochs=5,
        shuffle=False,
        verbose=0,
        steps_per_epoch=steps_per_epoch,
        validation_data=(x[:70], y[:70]),
        validation_steps=2,
        validation_batch_size=16,
    )
    with pytest.warns(UserWarning) if steps_per_epoch == 5 else _no_warning():
        h_jeras = j_model.fit(x, y, **kwargs)
    h_keras = k_model.fit(x, y, **kwargs)
    assert_same_history(h_jeras.history, h_keras.history, **HISTORY_TOLERANCE)
    assert h_jeras.params["steps"] == h_keras.params["steps"]


def test_evaluate_and_predict_steps_match_keras():
    x, y = classification_data()
    k_model, j_model = _pair(
        optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    np.testing.assert_allclose(
        j_model.evaluate(x, y, batch_size=16, steps=3, verbose=0),
        k_model.evaluate(x, y, batch_size=16, steps=3, verbose=0),
        atol=1e-5,
    )
    p_keras = k_model.predict(x, batch_size=16, steps=3, verbose=0)
    p_jeras = j_model.predict(x, batch_size=16, steps=3, verbose=0)
    assert p_jeras.shape == p_keras.shape == (48, 4)
    np.testing.assert_allclose(p_jeras, p_keras, atol=1e-5)


def test_validation_freq_and_validation_batch_size_match_keras():
    x, y = classification_data()
    k_model, j_model = _pair(optimizer="sgd", loss="sparse_categorical_crossentropy")
    for freq in (2, [1, 3]):
        kwargs = dict(
            batch_size=32,
            epochs=3,
            shuffle=False,
            verbose=0,
            validation_data=(x[:50], y[:50]),
            validation_freq=freq,
            validation_batch_size=7,
        )
        assert_same_history(
            j_model.fit(x, y, **kwargs).history,
            k_model.fit(x, y, **kwargs).history,
            **HISTORY_TOLERANCE,
        )


def _no_warning():
    import contextlib

    return contextlib.nullcontext()
