"""EarlyStopping against Keras 3: the same decisions, messages and warnings on the same
sequences of logs, and the same stopping epoch on a real fit (another, alongside the learning
rate callbacks, is in test_fit_with_callbacks.py)."""

import warnings

import keras
import numpy as np
import pytest
from callback_models import binary_data, compiled_pair

import jeras

# (monitor, values per epoch, EarlyStopping arguments)
CASES = [
    ("val_loss", [1.0, 0.9, 0.95, 0.97, 0.5], dict(patience=0)),
    ("val_loss", [1.0, 0.9, 0.95, 0.97, 0.5, 0.6], dict(patience=2)),
    ("val_loss", [1.0, 0.95, 0.92, 0.91, 0.85, 0.84], dict(patience=1, min_delta=0.04)),
    ("loss", [1.0, 1.1, 0.8, 0.85, 0.9, 0.7], dict(patience=1, start_from_epoch=2)),
    ("val_accuracy", [0.5, 0.6, 0.6, 0.55, 0.7], dict(patience=1)),
    ("val_mae", [0.5, 0.4, 0.45, 0.41, 0.3], dict(patience=1)),
    ("val_loss", [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], dict(patience=2, baseline=0.75)),
    (
        "val_loss",
        [0.9, 0.8, 0.85, 0.86, 0.87],
        dict(patience=2, baseline=0.5, restore_best_weights=True, verbose=1),
    ),
    ("custom", [3.0, 1.0, 2.0, 5.0, 4.0], dict(patience=1, mode="max", verbose=1)),
    (
        "custom",
        [3.0, 1.0, 2.0, 5.0, 4.0],
        dict(patience=1, mode="min", verbose=1, restore_best_weights=True),
    ),
]


def _drive(lib, model, kwargs, monitor, values):
    """Feed `values` as the monitored log to a fresh EarlyStopping, as fit would."""
    callback = lib.callbacks.EarlyStopping(monitor=monitor, **kwargs)
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(values):
        epochs_run += 1
        callback.on_epoch_end(epoch, {"loss": 0.5, monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    model.stop_training = False
    return (
        epochs_run,
        callback.stopped_epoch,
        callback.best_epoch,
        callback.wait,
        None if callback.best is None else float(callback.best),
    )


@pytest.mark.parametrize("monitor,values,kwargs", CASES)
def test_decisions_and_messages_match_keras(built_pair, capsys, monitor, values, kwargs):
    k_model, j_model = built_pair
    expected = _drive(keras, k_model, kwargs, monitor, values)
    k_out = capsys.readouterr().out
    got = _drive(jeras, j_model, kwargs, monitor, values)
    j_out = capsys.readouterr().out
    assert got == expected
    assert j_out == k_out


def test_missing_monitor_warns_once_naming_the_available_keys(built_pair):
    k_model, j_model = built_pair
    logs = {"accuracy": 0.5, "loss": 0.7}
    messages = {}
    for model, lib in ((k_model, keras), (j_model, jeras)):
        callback = lib.callbacks.EarlyStopping(monitor="val_loss")
        callback.set_model(model)
        callback.on_train_begin()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in range(3):
                callback.on_epoch_end(epoch, dict(logs))
        messages[lib] = [str(w.message) for w in caught]
        assert not model.stop_training
    assert len(messages[jeras]) == 1
    assert messages[jeras][0] == messages[keras][0]
    assert "Available metrics are: accuracy,loss" in messages[jeras][0]


def test_auto_mode_without_a_known_direction_raises_as_keras(built_pair):
    k_model, j_model = built_pair
    errors = {}
    for model, lib in ((k_model, keras), (j_model, jeras)):
        callback = lib.callbacks.EarlyStopping(monitor="val_unknown_metric")
        callback.set_model(model)
        callback.on_train_begin()
        with pytest.raises(ValueError) as info:
            callback.on_epoch_end(0, {"val_unknown_metric": 1.0})
        errors[lib] = str(info.value)
    assert errors[jeras] == errors[keras]


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="EarlyStopping mode 'sideways' is unknown"):
        callback = jeras.callbacks.EarlyStopping(mode="sideways")
    assert callback.mode == "auto"


def test_a_fit_watching_a_maximised_metric_stops_at_keras_epoch_with_keras_weights():
    # val_accuracy: "auto" must find the metric's direction (up); the warm-up, the min_delta
    # and the restored weights all take part.
    x, y = binary_data(96, seed=3)
    pair = compiled_pair(optimizer=lambda lib: lib.optimizers.SGD(0.2))
    outcome = {}
    for model, lib in zip(pair, (keras, jeras)):
        stopper = lib.callbacks.EarlyStopping(
            monitor="val_accuracy",
            patience=2,
            start_from_epoch=2,
            min_delta=0.01,
            restore_best_weights=True,
        )
        history = model.fit(
            x,
            y,
            batch_size=16,
            epochs=25,
            validation_split=0.25,
            shuffle=False,
            verbose=0,
            callbacks=[stopper],
        )
        outcome[lib] = (
            stopper.stopped_epoch,
            stopper.best_epoch,
            history.epoch,
            model.get_weights(),
        )
    k_stop, k_best, k_epochs, k_weights = outcome[keras]
    j_stop, j_best, j_epochs, j_weights = outcome[jeras]
    assert 2 < k_stop < 24, "the data should make Keras stop early"
    assert (j_stop, j_best, j_epochs) == (k_stop, k_best, k_epochs)
    assert k_best != k_stop
    for got, want in zip(j_weights, k_weights):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
