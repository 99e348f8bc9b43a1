"""The Callback contract against Keras 3: which hooks run, in what order, with which batch
indices, logs and params; the weights a callback reads mid-fit; and which callbacks make fit
report every batch (all others leave its steps fused)."""

import keras
import numpy as np
import pytest
from callback_models import binary_data, compiled_pair

import jeras

HOOKS = [
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
]


def _recorder(lib):
    """A callback overriding every hook, recording (hook, index, sorted log keys, params) and,
    at every `*_end` hook, the first kernel as the callback reads it."""

    class Recorder(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []
            self.kernels = []

    def make(hook):
        def record(self, *args, logs=None):
            if len(args) == 2:
                index, logs = args
            elif len(args) == 1 and (logs is not None or "batch" in hook or "epoch" in hook):
                index = args[0]
            else:
                index, logs = None, (args[0] if args else logs)
            keys = None if logs is None else sorted(logs)
            self.calls.append((hook, index, keys, dict(self.params or {})))
            if hook.endswith("_end"):
                self.kernels.append(np.array(self.model.get_weights()[0]))

        return record

    for hook in HOOKS:
        setattr(Recorder, hook, make(hook))
    return Recorder()


@pytest.fixture(scope="module")
def recorded():
    x, y = binary_data(40)
    out = {}
    for model, lib in zip(compiled_pair(), (keras, jeras)):
        recorder = _recorder(lib)
        model.fit(
            x,
            y,
            batch_size=16,
            epochs=2,
            validation_split=0.2,
            shuffle=False,
            verbose=0,
            callbacks=[recorder],
        )
        model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[recorder])
        model.predict(x, batch_size=16, verbose=0, callbacks=[recorder])
        out[lib] = recorder
    return out[keras], out[jeras]


def test_every_hook_runs_in_keras_order_with_its_index_logs_and_params(recorded):
    k, j = recorded
    assert len(k.calls) == 38
    assert j.calls == k.calls


def test_weights_read_from_any_hook_are_the_current_ones(recorded):
    k, j = recorded
    assert len(j.kernels) == len(k.kernels)
    for got, want in zip(j.kernels, k.kernels):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_on_batch_aliases_receive_the_training_batches_as_keras():
    x, y = binary_data(40)
    seen = {}
    for model, lib in zip(compiled_pair(), (keras, jeras)):
        calls = []

        class Alias(lib.callbacks.Callback):
            def on_batch_begin(self, batch, logs=None):
                calls.append(("begin", batch, sorted(logs)))

            def on_batch_end(self, batch, logs=None):
                calls.append(("end", batch, sorted(logs)))

        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[Alias()])
        # Not called by evaluate: the aliases stand for training batches only.
        model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[Alias()])
        seen[lib] = calls
    assert seen[jeras] == seen[keras]
    assert len(seen[jeras]) == 6


def _tmp(tmp_path, name):
    return str(tmp_path / name)


# (factory, what its batch hooks need from fit: see callback.batch_hook_needs)
CALLBACKS = {
    "EarlyStopping": (lambda p: jeras.callbacks.EarlyStopping(), "nothing"),
    "ModelCheckpoint_epoch": (
        lambda p: jeras.callbacks.ModelCheckpoint(_tmp(p, "m.keras")),
        "nothing",
    ),
    "ModelCheckpoint_int": (
        lambda p: jeras.callbacks.ModelCheckpoint(_tmp(p, "m.keras"), save_freq=5),
        "model",
    ),
    "CSVLogger": (lambda p: jeras.callbacks.CSVLogger(_tmp(p, "log.csv")), "nothing"),
    "ReduceLROnPlateau": (lambda p: jeras.callbacks.ReduceLROnPlateau(), "nothing"),
    "LearningRateScheduler": (
        lambda p: jeras.callbacks.LearningRateScheduler(lambda e: 0.1),
        "nothing",
    ),
    "TerminateOnNaN": (lambda p: jeras.callbacks.TerminateOnNaN(), "model"),
    "LambdaCallback_epoch": (
        lambda p: jeras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: None),
        "nothing",
    ),
    "LambdaCallback_batch": (
        lambda p: jeras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: None),
        "logs",
    ),
    "RemoteMonitor": (lambda p: jeras.callbacks.RemoteMonitor(), "nothing"),
    "SwapEMAWeights": (lambda p: jeras.callbacks.SwapEMAWeights(), "nothing"),
    "History": (lambda p: jeras.callbacks.History(), "nothing"),
    "ProgbarLogger": (lambda p: jeras.callbacks.ProgbarLogger(), "nothing"),
}


@pytest.mark.parametrize("name", sorted(CALLBACKS))
def test_only_callbacks_overriding_batch_hooks_ask_fit_for_every_batch(tmp_path, name):
    factory, needs = CALLBACKS[name]
    callbacks = jeras.callbacks.CallbackList(
        [factory(tmp_path)], add_history=True, add_progbar=True
    )
    assert callbacks.batch_needs("train") == needs
    assert callbacks.batch_needs("test") == "nothing"
    assert callbacks.batch_needs("predict") == "nothing"


def test_a_subclass_of_the_progress_bar_with_its_own_batch_hook_gets_every_batch():
    class Quiet(jeras.callbacks.ProgbarLogger):
        def on_epoch_end(self, epoch, logs=None):
            pass

    class PerBatch(jeras.callbacks.ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            pass

    assert jeras.callbacks.CallbackList([Quiet()]).batch_needs("train") == "nothing"
    assert jeras.callbacks.CallbackList([PerBatch()]).batch_needs("train") == "logs"


def test_an_epoch_level_callback_leaves_fit_fused(monkeypatch):
    # The trainer reports a fused call's last batch only: the progress bar, which never asks
    # for every batch, sees fewer batch ends than there are batches unless another callback
    # asks for them.
    x, y = binary_data(96)
    _, model = compiled_pair()
    ends = []

    class EpochLevel(jeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    monkeypatch.setattr(
        jeras.callbacks.ProgbarLogger,
        "on_train_batch_end",
        lambda self, batch, logs=None: ends.append(batch),
    )
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=1,
        callbacks=[EpochLevel(), jeras.callbacks.EarlyStopping(monitor="loss")],
    )
    assert ends and ends[-1] == 11 and len(ends) < 12
    ends.clear()
    model.fit(x, y, batch_size=8, epochs=1, verbose=1, callbacks=[jeras.callbacks.TerminateOnNaN()])
    assert ends == list(range(12))
