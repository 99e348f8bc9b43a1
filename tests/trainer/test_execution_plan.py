"""How the engine runs steps (`trainer/step_loop.py`): fused chunks with every batch's logs
delivered after the chunk, one step per call for callbacks that need the live model,
`compile(steps_per_execution=N)` as Keras, and the per-model choice — each checked against
real Keras 3 from the same weights."""

import inspect
import os
import signal
import threading

import jax
import keras
import numpy as np
import pytest

import jeras
from jeras.callbacks.callback import batch_hook_needs
from jeras.trainer.step_loop import FUSED_STEPS, choose_plan


def _data(n=150, features=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ rng.normal(size=features) > 0).astype("float32")[:, None]
    return x, y


def _pair(steps_per_execution=1):
    keras.utils.set_random_seed(0)
    models = []
    for lib in (keras, jeras):
        inputs = lib.Input(shape=(6,))
        hidden = lib.layers.Dense(8, activation="relu")(inputs)
        model = lib.Model(inputs, lib.layers.Dense(1, activation="sigmoid")(hidden))
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    for model, lib in zip(models, (keras, jeras)):
        model.compile(
            optimizer=lib.optimizers.Adam(0.02),
            loss="binary_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=steps_per_execution,
        )
    return models


def _loss_history(lib):
    # The guide's LossHistory, verbatim but for the base class.
    class LossHistory(lib.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    return LossHistory()


def test_loss_history_gets_every_batch_from_fused_chunks():
    x, y = _data()
    k_model, j_model = _pair()
    k_cb, j_cb = _loss_history(keras), _loss_history(jeras)
    kwargs = dict(batch_size=16, epochs=2, shuffle=False, verbose=0)
    k_model.fit(x, y, callbacks=[k_cb], **kwargs)
    j_model.fit(x, y, callbacks=[j_cb], **kwargs)
    plan = j_model.execution_plan
    assert plan.delivery == "logs" and plan.steps_per_call > 1, plan
    assert len(j_cb.per_batch_losses) == len(k_cb.per_batch_losses) == 20
    np.testing.assert_allclose(j_cb.per_batch_losses, k_cb.per_batch_losses, rtol=1e-4, atol=1e-5)


class _WeightsPerBatch:
    """Records the first kernel's sum at the end of every batch: needs the live model."""

    @staticmethod
    def make(lib):
        class WeightsPerBatch(lib.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.sums = []

            def on_train_batch_end(self, batch, logs=None):
                self.sums.append(float(np.sum(self.model.get_weights()[0])))

        return WeightsPerBatch()


def test_callback_reading_the_model_sees_every_step():
    x, y = _data()
    k_model, j_model = _pair()
    k_cb, j_cb = _WeightsPerBatch.make(keras), _WeightsPerBatch.make(jeras)
    kwargs = dict(batch_size=16, epochs=1, shuffle=False, verbose=0)
    k_model.fit(x, y, callbacks=[k_cb], **kwargs)
    j_model.fit(x, y, callbacks=[j_cb], **kwargs)
    assert j_model.execution_plan.delivery == "model"
    assert j_model.execution_plan.steps_per_call == 1
    np.testing.assert_allclose(j_cb.sums, k_cb.sums, rtol=1e-4, atol=1e-4)


def _hook_recorder(lib):
    class Recorder(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def on_train_batch_begin(self, batch, logs=None):
            self.calls.append(("begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            self.calls.append(("end", batch, round(float(logs["loss"]), 4)))

        def on_test_batch_end(self, batch, logs=None):
            self.calls.append(("test_end", batch))

    return Recorder()


@pytest.mark.parametrize("steps_per_execution", [3, 4])
def test_steps_per_execution_calls_hooks_as_keras(steps_per_execution):
    x, y = _data(n=150)
    k_model, j_model = _pair(steps_per_execution)
    k_rec, j_rec = _hook_recorder(keras), _hook_recorder(jeras)
    kwargs = dict(
        batch_size=16, epochs=2, shuffle=False, verbose=0, validation_data=(x[:40], y[:40])
    )
    h_keras = k_model.fit(x, y, callbacks=[k_rec], **kwargs).history
    h_jeras = j_model.fit(x, y, callbacks=[j_rec], **kwargs).history
    assert j_model.execution_plan.steps_per_call == steps_per_execution
    assert [c[:2] for c in j_rec.calls] == [c[:2] for c in k_rec.calls]
    np.testing.assert_allclose(
        [c[2] for c in j_rec.calls if c[0] == "end"],
        [c[2] for c in k_rec.calls if c[0] == "end"],
        atol=2e-4,
    )
    for key in h_keras:
        np.testing.assert_allclose(h_jeras[key], h_keras[key], rtol=1e-4, atol=1e-5)
    for a, b in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_steps_per_execution_must_be_a_positive_integer():
    model = jeras.Sequential([jeras.Input((2,)), jeras.layers.Dense(1)])
    for bad in (0, -2, 1.5, "auto"):
        with pytest.raises(ValueError, match="steps_per_execution"):
            model.compile("sgd", "mse", steps_per_execution=bad)


def test_stop_training_from_a_batch_hook_stops_at_that_batch():
    x, y = _data()
    k_model, j_model = _pair()
    models_batches = []
    for model, lib in ((k_model, keras), (j_model, jeras)):
        seen = []

        class StopAtFive(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                seen.append(batch)
                if batch == 4:
                    self.model.stop_training = True

        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[StopAtFive()])
        models_batches.append(seen)
    assert models_batches[0] == models_batches[1] == [0, 1, 2, 3, 4]
    for a, b in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# -- telling callbacks apart -------------------------------------------------------------------
def test_batch_hook_needs_reads_the_hooks():
    losses = []
    model = jeras.Sequential([jeras.Input((2,)), jeras.layers.Dense(1)])
    assert batch_hook_needs(jeras.callbacks.History(), "train") == "nothing"
    assert batch_hook_needs(_loss_history(jeras), "train") == "logs"
    assert batch_hook_needs(_WeightsPerBatch.make(jeras), "train") == "model"
    assert batch_hook_needs(jeras.callbacks.TerminateOnNaN(), "train") == "model"
    only_logs = jeras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: losses.append(logs["loss"])
    )
    assert batch_hook_needs(only_logs, "train") == "logs"
    # A closure over the model itself needs the live model.
    reads_model = jeras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: losses.append(model.get_weights())
    )
    assert batch_hook_needs(reads_model, "train") == "model"

    class Helper(jeras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            self._record(logs)

        def _record(self, logs):
            self.model.stop_training = logs["loss"] > 10

    assert batch_hook_needs(Helper(), "train") == "model"

    class Declared(jeras.callbacks.Callback):
        async_safe = True

        def on_batch_end(self, batch, logs=None):
            self._anything(logs)

    assert batch_hook_needs(Declared(), "train") == "logs"
    # A callable that cannot be read is taken to need the model.
    opaque = jeras.callbacks.LambdaCallback(on_train_batch_end=print)
    assert batch_hook_needs(opaque, "train") == "model"


def test_plan_runs_convolutions_one_step_per_call_on_cpu_only():
    conv = jeras.layers.Conv2D(4, 3)
    dense = jeras.layers.Dense(3)
    cpu_conv = choose_plan(1, "nothing", [conv, dense], "cpu", 100)
    assert cpu_conv.steps_per_call == 1 and "Conv2D" in cpu_conv.reason
    assert choose_plan(1, "nothing", [conv, dense], "gpu", 100).steps_per_call == FUSED_STEPS
    assert choose_plan(1, "logs", [dense], "cpu", 100).steps_per_call == FUSED_STEPS
    assert choose_plan(1, "nothing", [dense], "cpu", 5).steps_per_call == 5
    assert choose_plan(1, "model", [dense], "gpu", 100).steps_per_call == 1
    assert choose_plan(8, "model", [conv], "cpu", 100).steps_per_call == 8


def test_convnet_trains_one_step_per_call_on_cpu_like_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 3, size=40)
    keras.utils.set_random_seed(0)
    models = []
    for lib in (keras, jeras):
        models.append(
            lib.Sequential(
                [
                    lib.Input((8, 8, 1)),
                    lib.layers.Conv2D(4, 3, activation="relu"),
                    lib.layers.Flatten(),
                    lib.layers.Dense(3, activation="softmax"),
                ]
            )
        )
    models[1].set_weights(models[0].get_weights())
    histories = []
    for model, lib in zip(models, (keras, jeras)):
        model.compile(lib.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
        histories.append(
            model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]
        )
    if jax.default_backend() == "cpu":
        assert models[1].execution_plan.steps_per_call == 1
    np.testing.assert_allclose(histories[1], histories[0], rtol=1e-4, atol=1e-5)


# -- Ctrl-C ------------------------------------------------------------------------------------
def test_ctrl_c_during_fit_never_loses_the_weights():
    """SIGINT at random moments of `fit`: the model always keeps usable weights (those of a
    completed step), never buffers consumed by a donating call."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    x, y = _data(n=2000)
    model = jeras.Sequential(
        [
            jeras.Input((6,)),
            jeras.layers.Dense(32, activation="relu"),
            jeras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # compiled once, outside the trials
    rng = np.random.default_rng(0)
    interrupted = 0
    for _ in range(25):
        # The fit is far longer than the delay, so the signal always lands inside it.
        timer = threading.Timer(rng.uniform(0.0, 0.05), lambda: os.kill(os.getpid(), signal.SIGINT))
        try:
            timer.start()
            model.fit(x, y, batch_size=8, epochs=200, verbose=0)
        except KeyboardInterrupt:
            interrupted += 1
        finally:
            timer.cancel()
            timer.join()
        weights = model.get_weights()
        assert all(np.all(np.isfinite(w)) for w in weights)
        assert model.predict(x[:4], verbose=0).shape == (4, 1)
    assert interrupted == 25


def test_predict_in_another_thread_during_fit_reads_whole_states():
    x, y = _data(n=2000)
    model = jeras.Sequential(
        [
            jeras.Input((6,)),
            jeras.layers.Dense(32, activation="relu"),
            jeras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    errors, predictions = [], []
    done = threading.Event()

    def predict_repeatedly():
        while not done.is_set():
            try:
                predictions.append(model.predict(x[:200], batch_size=50, verbose=0))
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                errors.append(error)

    thread = threading.Thread(target=predict_repeatedly)
    thread.start()
    try:
        model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    finally:
        done.set()
        thread.join()
    assert not errors, errors[:3]
    assert predictions and all(np.all(np.isfinite(p)) for p in predictions)


def test_fit_reaches_the_compiled_step_through_the_step_loop_alone(monkeypatch):
    """fit -> run_steps -> the compiled call: no other host frame, no closure of fit."""
    x, y = _data()
    _, model = _pair()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    engine = model._engine
    original = engine.function
    stacks = []

    def spy(*args, **kwargs):
        compiled = original(*args, **kwargs)

        def call(*call_args):
            names = [frame.function for frame in inspect.stack()[1:]]
            stacks.append(names[: names.index("fit") + 1])
            return compiled(*call_args)

        return call

    monkeypatch.setattr(engine, "function", spy)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert stacks and all(stack == ["run_steps", "fit"] for stack in stacks), stacks
