"""LearningRateScheduler and ReduceLROnPlateau against Keras 3, driven with the same logs on
models with the same optimizers: the rates set, the rates logged, the messages, the errors.
Their effect on real training is compared in test_fit_with_callbacks.py."""

import warnings

import keras
import numpy as np
import pytest

import jeras


@pytest.fixture
def models(built_pair):
    k_model, j_model = built_pair
    yield {keras: k_model, jeras: j_model}
    for model in built_pair:
        model.optimizer.learning_rate = 0.02


def _rate(model):
    return float(np.asarray(model.optimizer.learning_rate))


def _drive_plateau(lib, model, values, **kwargs):
    model.optimizer.learning_rate = 0.01
    callback = lib.callbacks.ReduceLROnPlateau(**kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    rates, logged = [], []
    for epoch, value in enumerate(values):
        logs = {"loss": 1.0, "val_loss": value}
        callback.on_epoch_end(epoch, logs)
        logged.append(logs.get("learning_rate"))
        rates.append(_rate(model))
    return rates, logged, callback.wait, callback.cooldown_counter


PLATEAUS = [
    ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], dict(patience=1)),
    ([1.0, 0.9, 0.95, 0.9, 0.89, 0.88, 0.87], dict(patience=2, factor=0.5, min_delta=0.02)),
    ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0], dict(patience=1, cooldown=2, factor=0.5)),
    ([1.0, 1.0, 1.0, 1.0, 1.0, 1.0], dict(patience=0, factor=0.2, min_lr=0.0005)),
    ([0.1, 0.2, 0.3, 0.1, 0.1], dict(patience=1, mode="max", verbose=1)),
]


@pytest.mark.parametrize("values,kwargs", PLATEAUS)
def test_plateau_reductions_match_keras(models, capsys, values, kwargs):
    kwargs = dict(kwargs, verbose=1)
    expected = _drive_plateau(keras, models[keras], values, **kwargs)
    k_out = capsys.readouterr().out
    got = _drive_plateau(jeras, models[jeras], values, **kwargs)
    j_out = capsys.readouterr().out
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-7)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-7)
    assert got[2:] == expected[2:]
    assert j_out == k_out


def test_plateau_rejects_a_factor_of_one_or_more():
    with pytest.raises(ValueError) as k_info:
        keras.callbacks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError) as j_info:
        jeras.callbacks.ReduceLROnPlateau(factor=1.0)
    assert str(j_info.value) == str(k_info.value)


SCHEDULES = {
    "two_arguments": lambda epoch, lr: lr * 0.5 if epoch else lr,
    "epoch_only": lambda epoch: 0.1 / (epoch + 1),
    "numpy_float32": lambda epoch, lr: np.float32(0.05 * (epoch + 1)),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_scheduler_sets_and_logs_the_rate_as_keras(models, capsys, name):
    seen = {}
    for lib, model in models.items():
        model.optimizer.learning_rate = 0.01
        callback = lib.callbacks.LearningRateScheduler(SCHEDULES[name], verbose=1)
        callback.set_model(model)
        trace = []
        for epoch in range(3):
            callback.on_epoch_begin(epoch)
            logs = {"loss": 1.0}
            callback.on_epoch_end(epoch, logs)
            trace.append((_rate(model), logs["learning_rate"]))
        seen[lib] = (trace, capsys.readouterr().out)
    np.testing.assert_allclose(seen[jeras][0], seen[keras][0], rtol=1e-7)
    assert seen[jeras][1] == seen[keras][1]


def test_scheduler_requires_a_float(models):
    errors = {}
    for lib, model in models.items():
        callback = lib.callbacks.LearningRateScheduler(lambda epoch: "fast")
        callback.set_model(model)
        with pytest.raises(ValueError) as info:
            callback.on_epoch_begin(0)
        errors[lib] = str(info.value)
    assert errors[jeras] == errors[keras]


def test_plateau_on_a_missing_monitor_warns_once_in_keras_words(models):
    messages = {}
    for lib, model in models.items():
        callback = lib.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=0)
        callback.set_model(model)
        callback.on_train_begin()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for epoch in range(3):
                callback.on_epoch_end(epoch, {"loss": 0.7, "accuracy": 0.5})
        messages[lib] = [str(w.message) for w in caught if "conditioned on" in str(w.message)]
    # Keras repeats it every epoch (Python's default filter then shows it once per place).
    assert len(messages[keras]) == 3
    assert messages[jeras] == messages[keras][:1]
    assert messages[jeras][0].endswith("Available metrics are: loss,accuracy,learning_rate.")
