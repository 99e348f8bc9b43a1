"""fit / evaluate / predict behaviour checked against NumPy formulas: padding of the last
batch, logs, progress output, callbacks, and errors on bad input."""

import re

import numpy as np
import pytest

import jeras
from jeras import layers


def _linear_model(features=3, units=2, activation=None):
    inputs = jeras.Input(shape=(features,))
    outputs = layers.Dense(units, activation=activation)(inputs)
    return jeras.Model(inputs, outputs)


def _numpy_forward(model, x):
    kernel, bias = model.get_weights()
    return x @ kernel + bias


@pytest.mark.parametrize("n,batch_size", [(37, 8), (5, 32), (64, 16)])
def test_padded_last_batch_gives_exact_loss_and_metrics(n, batch_size):
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = rng.normal(size=(n, 2)).astype("float32")
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    result = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    pred = _numpy_forward(model, x)
    assert result["loss"] == pytest.approx(np.mean((pred - y) ** 2), rel=1e-5)
    assert result["mae"] == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-5)


def test_padded_last_batch_gives_exact_weighted_loss():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(13, 3)).astype("float32")
    y = rng.normal(size=(13, 2)).astype("float32")
    sw = rng.uniform(0, 2, size=13).astype("float32")
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse", weighted_metrics=["mse"])
    result = model.evaluate(x, y, sample_weight=sw, batch_size=5, verbose=0, return_dict=True)
    per_sample = np.mean((_numpy_forward(model, x) - y) ** 2, axis=1)
    # Loss per batch: Σ wᵢ·lᵢ / batch size, then averaged over batches weighted by their size.
    batches = [slice(i, min(i + 5, 13)) for i in range(0, 13, 5)]
    batch_losses = [np.sum(per_sample[b] * sw[b]) / len(per_sample[b]) for b in batches]
    expected_loss = np.sum([l * len(per_sample[b]) for l, b in zip(batch_losses, batches)]) / 13
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert result["mse"] == pytest.approx(np.sum(per_sample * sw) / np.sum(sw), rel=1e-5)


def test_one_sgd_step_on_padded_batch_matches_numpy_gradient():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 3)).astype("float32")
    y = rng.normal(size=(3, 2)).astype("float32")
    model = _linear_model()
    model.compile(optimizer=jeras.optimizers.SGD(learning_rate=0.1), loss="mse")
    kernel, bias = model.get_weights()
    # batch_size 8 > 3 samples: the only batch is padded with five zero-weight rows.
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    err = x @ kernel + bias - y
    grad_kernel = x.T @ (2 * err / err.size)
    grad_bias = np.sum(2 * err / err.size, axis=0)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - 0.1 * grad_kernel, atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - 0.1 * grad_bias, atol=1e-6)


def test_history_keys_types_and_return_values():
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = _linear_model(units=2, activation="softmax")
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    history = model.fit(x, y, batch_size=8, epochs=2, validation_data=(x[:10], y[:10]), verbose=0)
    assert list(history.history) == [
        "loss",
        "sparse_categorical_accuracy",
        "val_loss",
        "val_sparse_categorical_accuracy",
    ]
    for values in history.history.values():
        assert len(values) == 2 and all(type(v) is float for v in values)
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 5}
    assert model.history is history
    results = model.evaluate(x, y, verbose=0)
    assert isinstance(results, list) and len(results) == 2
    prediction = model.predict(x[:3], verbose=0)
    assert isinstance(prediction, np.ndarray) and prediction.shape == (3, 2)
    np.testing.assert_allclose(prediction.sum(axis=1), 1.0, rtol=1e-5)


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x = np.ones((10, 3), "float32")
    y = np.zeros((10, 2), "float32")
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2"
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step - loss: \d+\.\d{4}(e[-+]\d+)?", lines[1])
    assert lines[2] == "Epoch 2/2" and len(lines) == 4


def test_verbose_1_on_a_pipe_prints_clean_lines(capsys):
    x = np.ones((10, 3), "float32")
    y = np.zeros((10, 2), "float32")
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=4, epochs=1, verbose=1, validation_data=(x, y))
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\b" not in out and "\r" not in out
    assert re.fullmatch(
        r"3/3 ━{20} \d+s \d+(us|ms|s)/step - loss: \S+ - mae: \S+ - val_loss: \S+ - "
        r"val_mae: \S+\n",
        out,
    )
    model.evaluate(x, y, verbose=1)
    assert capsys.readouterr().out.startswith("1/1 ━━━━━━━━━━━━━━━━━━━━")


def test_verbose_0_prints_nothing(capsys):
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    model.evaluate(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    model.predict(np.ones((4, 3)), verbose=0)
    assert capsys.readouterr().out == ""


def test_nan_loss_shows_as_nan():
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), "float32")
    y = np.array([[np.nan, 0]] * 4, "float32")
    history = model.fit(x, y, verbose=0)
    assert np.isnan(history.history["loss"][0])


class RecordingCallback(jeras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(f"epoch_begin {epoch}")

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(f"batch_end {batch} {sorted(logs)}")

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(f"epoch_end {epoch} {sorted(logs)}")
        # Weights read from a callback are the current ones.
        self.kernels.append(self.model.get_weights()[0].copy())

    def on_train_end(self, logs=None):
        self.events.append("train_end")


def test_callback_hooks_order_and_current_weights():
    x = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    y = np.zeros((6, 2), "float32")
    model = _linear_model()
    model.compile(optimizer=jeras.optimizers.SGD(0.1), loss="mse")
    callback = RecordingCallback()
    callback.kernels = []
    model.fit(x, y, batch_size=3, epochs=2, callbacks=[callback], verbose=0, shuffle=False)
    assert callback.events == [
        "train_begin",
        "epoch_begin 0",
        "batch_end 0 ['loss']",
        "batch_end 1 ['loss']",
        "epoch_end 0 ['loss']",
        "epoch_begin 1",
        "batch_end 0 ['loss']",
        "batch_end 1 ['loss']",
        "epoch_end 1 ['loss']",
        "train_end",
    ]
    assert not np.allclose(callback.kernels[0], callback.kernels[1])
    np.testing.assert_allclose(callback.kernels[1], model.get_weights()[0])


def test_stop_training_from_a_callback():
    class StopAfterFirstEpoch(jeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(
        np.ones((4, 3)), np.ones((4, 2)), epochs=5, verbose=0, callbacks=[StopAfterFirstEpoch()]
    )
    assert history.epoch == [0]


def test_learning_rate_set_by_a_callback_takes_effect_without_recompiling():
    class ZeroLearningRate(jeras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                self.model.optimizer.learning_rate = 0.0

        def on_epoch_end(self, epoch, logs=None):
            self.snapshots.append(self.model.get_weights()[0].copy())

    callback = ZeroLearningRate()
    callback.snapshots = []
    model = _linear_model()
    model.compile(optimizer=jeras.optimizers.SGD(0.1), loss="mse")
    model.fit(np.ones((4, 3)), np.zeros((4, 2)), epochs=3, verbose=0, callbacks=[callback])
    np.testing.assert_array_equal(callback.snapshots[0], callback.snapshots[2])
    assert float(model.optimizer.learning_rate) == 0.0


# -- bad input --------------------------------------------------------------------------------
def test_fit_and_evaluate_before_compile_raise():
    model = _linear_model()
    with pytest.raises(ValueError, match="compile"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="compile"):
        model.evaluate(np.ones((4, 3)), np.ones((4, 2)))
    assert model.predict(np.ones((4, 3)), verbose=0).shape == (4, 2)


def test_x_and_y_of_different_lengths_raise_with_both_sizes():
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"x sizes: \[10\].*y sizes: \[8\]"):
        model.fit(np.ones((10, 3)), np.ones((8, 2)))


@pytest.mark.parametrize("split", [0.0 - 0.5, 1.0, 1.5])
def test_validation_split_outside_unit_interval_raises(split):
    model = _linear_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(np.ones((10, 3)), np.ones((10, 2)), validation_split=split)


def test_unknown_identifiers_list_valid_names():
    model = _linear_model()
    with pytest.raises(ValueError, match="rmsprop"):
        model.compile(optimizer="rmsprp", loss="mse")
    model.compile(optimizer="sgd", loss="mean_sqared_error")
    with pytest.raises(ValueError, match="mean_squared_error"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="Valid names"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)


def test_wrong_feature_size_names_the_model_input_and_shapes():
    model = _linear_model(features=3)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\).*\(8, 5\)"):
        model.fit(np.ones((8, 5)), np.ones((8, 2)), verbose=0)


def test_metrics_must_be_a_list():
    model = _linear_model()
    with pytest.raises(ValueError, match="metrics"):
        model.compile(optimizer="sgd", loss="mse", metrics="mae")


def test_run_eagerly_gives_the_same_results_as_compiled():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20, 3)).astype("float32")
    y = rng.normal(size=(20, 2)).astype("float32")
    compiled, eager = _linear_model(), _linear_model()
    eager.set_weights(compiled.get_weights())
    compiled.compile(optimizer="adam", loss="mse", metrics=["mae"])
    eager.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=True)
    h1 = compiled.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    h2 = eager.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-5)
    np.testing.assert_allclose(
        compiled.predict(x, verbose=0), eager.predict(x, verbose=0), rtol=1e-5
    )


def test_predict_with_steps_smaller_than_the_data():
    model = _linear_model()
    x = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    out = model.predict(x, batch_size=40, steps=1, verbose=0)
    np.testing.assert_allclose(out, _numpy_forward(model, x[:40]), rtol=1e-5, atol=1e-6)


def test_a_user_loss_that_reduces_over_the_batch_sees_only_real_rows():
    import jax.numpy as jnp

    def batch_mean_loss(y_true, y_pred):
        return jnp.mean(jnp.square(y_true - y_pred))  # one number for the whole batch

    rng = np.random.default_rng(8)
    x = rng.normal(size=(13, 3)).astype("float32")
    y = rng.normal(size=(13, 2)).astype("float32")
    model = _linear_model()
    model.compile(optimizer="sgd", loss=batch_mean_loss)
    result = model.evaluate(x, y, batch_size=5, verbose=0)
    pred = _numpy_forward(model, x)
    batches = [slice(0, 5), slice(5, 10), slice(10, 13)]
    per_batch = [np.mean((pred[b] - y[b]) ** 2) for b in batches]
    expected = np.sum([v * (b.stop - b.start) for v, b in zip(per_batch, batches)]) / 13
    assert result == pytest.approx(expected, rel=1e-5)
