"""The later sections of the guide "Training & evaluation with the built-in methods"
(/work/shared/guide/training-and-evaluation-with-built-in-methods.zh-TW.txt, from "tf.data"
on), run as the guide writes them with `import jeras as keras`: tf.data datasets, a
`Sequence`, class and sample weights, the multi-input / multi-output model, callbacks,
checkpoints, schedules and TensorBoard.

The data are tests/test_guide.py's small synthetic MNIST stand-in, so batch counts shrink
(2,000 training samples instead of 50,000): `steps_per_epoch=100` becomes 10 and
`save_freq=100` becomes 20. Each example is then checked against what it must produce,
computed here with NumPy from the model's own predictions and the guide's rules.
"""

import math
import os

import numpy as np
import pytest
from guide_models import multi_input_multi_output_model
from test_guide import (
    _np_sparse_ce,
    get_compiled_model,
    x_test,
    x_train,
    x_val,
    y_test,
    y_train,
    y_val,
)

import jeras as keras

tf = pytest.importorskip("tensorflow", reason="the guide's tf.data sections need TensorFlow")


def _expected_metrics(model, x, y):
    probs = model.predict(x, verbose=0)
    return {
        "loss": _np_sparse_ce(probs, y).mean(),
        "sparse_categorical_accuracy": np.mean(probs.argmax(axis=1) == y),
    }


def _assert_logs(logs, expected, rtol=1e-4):
    for key, value in expected.items():
        np.testing.assert_allclose(logs[key], value, rtol=rtol, atol=1e-6, err_msg=key)


# -- "Training & evaluation from tf.data Datasets" ---------------------------------------------


def test_fit_evaluate_predict_on_a_dataset():
    model = get_compiled_model()
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    test_dataset = tf.data.Dataset.from_tensor_slices((x_test, y_test))
    test_dataset = test_dataset.batch(64)
    history = model.fit(train_dataset, epochs=3, verbose=0)
    result = model.evaluate(test_dataset, verbose=0)
    # As in Keras 3, `metrics_names` lists the compiled metrics as one "compile_metrics" entry.
    logs = dict(zip(model.metrics_names, result))
    assert list(logs) == ["loss", "compile_metrics"]

    assert history.epoch == [0, 1, 2]
    assert history.history["loss"][2] < history.history["loss"][0]
    _assert_logs(
        model.evaluate(test_dataset, verbose=0, return_dict=True),
        _expected_metrics(model, x_test, y_test),
    )
    np.testing.assert_allclose(
        model.predict(test_dataset, verbose=0),
        model.predict(x_test, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_steps_per_epoch_keeps_drawing_from_the_same_dataset():
    model = get_compiled_model()
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    seen = []

    class CountBatches(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    model.fit(train_dataset, epochs=3, steps_per_epoch=10, verbose=0, callbacks=[CountBatches()])
    assert seen == list(range(10)) * 3
    assert model.optimizer.iterations.numpy() == 30


def test_validation_dataset_and_validation_steps():
    model = get_compiled_model()
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val))
    val_dataset = val_dataset.batch(64)
    history = model.fit(train_dataset, epochs=1, validation_data=val_dataset, verbose=0)
    _assert_logs(
        {k[4:]: v[0] for k, v in history.history.items() if k.startswith("val_")},
        _expected_metrics(model, x_val, y_val),
    )

    model = get_compiled_model()
    history = model.fit(
        train_dataset,
        epochs=2,
        # Only run validation using the first 10 batches of the dataset
        validation_data=val_dataset,
        validation_steps=10,
        verbose=0,
    )
    # The validation dataset restarts every time: the last epoch saw its first 640 samples.
    _assert_logs(
        {k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        _expected_metrics(model, x_val[:640], y_val[:640]),
    )


def test_validation_split_with_a_dataset_is_an_error():
    model = get_compiled_model()
    dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(64)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(dataset, epochs=1, validation_split=0.2, verbose=0)


# -- "Using a keras.utils.Sequence object as input" --------------------------------------------


class DigitsSequence(keras.utils.Sequence):
    """The guide's CIFAR10Sequence, reading rows of an in-memory array instead of image files
    (scikit-image and the files are not part of the spec)."""

    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels = images, labels
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.images) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.images[idx * self.batch_size : (idx + 1) * self.batch_size]
        batch_y = self.labels[idx * self.batch_size : (idx + 1) * self.batch_size]
        return np.array(batch_x), np.array(batch_y)


@pytest.mark.parametrize("workers", [1, 3])
def test_sequence_trains_like_the_same_arrays(workers):
    sequence = DigitsSequence(x_train, y_train, 64, workers=workers)
    from_sequence = get_compiled_model()
    from_arrays = get_compiled_model()
    from_arrays.set_weights(from_sequence.get_weights())
    got = from_sequence.fit(sequence, epochs=2, shuffle=False, verbose=0)
    want = from_arrays.fit(x_train, y_train, batch_size=64, epochs=2, shuffle=False, verbose=0)
    for key in want.history:
        np.testing.assert_allclose(got.history[key], want.history[key], rtol=1e-5, err_msg=key)


# -- "Using sample weighting and class weighting" ----------------------------------------------


def _weighted_ce(model, x, y, weights):
    losses = _np_sparse_ce(model.predict(x, verbose=0), y)
    return np.sum(losses * weights) / len(y)


def test_class_weight_and_sample_weight_and_weighted_dataset():
    class_weight = {
        0: 1.0,
        1: 1.0,
        2: 1.0,
        3: 1.0,
        4: 1.0,
        # Set weight "2" for class "5", making this class 2x more important
        5: 2.0,
        6: 1.0,
        7: 1.0,
        8: 1.0,
        9: 1.0,
    }
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0

    # A zero learning rate keeps the weights fixed, so each epoch's loss is the weighted loss
    # of the initial model over the whole data.
    def frozen_model():
        model = get_compiled_model()
        model.compile(
            optimizer=keras.optimizers.RMSprop(0.0),
            loss="sparse_categorical_crossentropy",
            metrics=["sparse_categorical_accuracy"],
        )
        return model

    model = frozen_model()
    expected = _weighted_ce(model, x_train, y_train, sample_weight)
    history = model.fit(
        x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-4)

    history = model.fit(
        x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1, verbose=0
    )
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-4)

    # Create a Dataset that includes sample weights (3rd element in the return tuple).
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train, sample_weight))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    history = model.fit(train_dataset, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-4)

    # And the guide's own calls, with the default learning rate, train.
    for kwargs in (dict(class_weight=class_weight), dict(sample_weight=sample_weight)):
        model = get_compiled_model()
        history = model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0, **kwargs)
        assert history.history["loss"][1] < history.history["loss"][0]


# -- "Passing data to multi-input, multi-output models" ----------------------------------------


def _multi_io_model():
    return multi_input_multi_output_model(keras)


def _multi_io_data():
    rng = np.random.default_rng(0)
    return (
        rng.random((100, 32, 32, 3)),
        rng.random((100, 20, 10)),
        rng.random((100, 1)),
        rng.random((100, 5)),
    )


def test_multi_io_compile_forms_and_fit_on_lists_dicts_and_datasets(tmp_path):
    model = _multi_io_model()
    img_data, ts_data, score_targets, class_targets = _multi_io_data()

    keras.utils.plot_model(
        model, str(tmp_path / "multi_input_and_output_model.png"), show_shapes=True
    )
    assert (tmp_path / "multi_input_and_output_model.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    mse, cce = keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()
    compile_forms = [
        dict(loss=[mse, cce]),
        dict(
            loss=[mse, cce],
            metrics=[
                [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
                [keras.metrics.CategoricalAccuracy()],
            ],
        ),
        dict(
            loss={"score_output": mse, "class_output": cce},
            metrics={
                "score_output": [
                    keras.metrics.MeanAbsolutePercentageError(),
                    keras.metrics.MeanAbsoluteError(),
                ],
                "class_output": [keras.metrics.CategoricalAccuracy()],
            },
        ),
        dict(
            loss={"score_output": mse, "class_output": cce},
            loss_weights={"score_output": 2.0, "class_output": 1.0},
        ),
        dict(loss=[None, cce]),
        dict(loss={"class_output": cce}),
    ]
    initial = model.get_weights()
    for form in compile_forms:
        model.set_weights(initial)
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3), **form)
        # Before any training step, evaluate's total loss is the weighted sum of the losses
        # computed here from the predictions.
        score, probs = model.predict([img_data, ts_data], verbose=0)
        probs_n = np.clip(probs / probs.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
        per_output = {
            "score_output": np.mean((score - score_targets) ** 2),
            "class_output": np.mean(-np.sum(class_targets * np.log(probs_n), -1)),
        }
        losses = form["loss"]
        names = ["score_output", "class_output"]
        if isinstance(losses, list):
            active = [n for n, loss in zip(names, losses) if loss is not None]
        else:
            active = [n for n in names if n in losses]
        weights = form.get("loss_weights", {})
        expected = sum(weights.get(n, 1.0) * per_output[n] for n in active)
        logs = model.evaluate(
            [img_data, ts_data],
            [score_targets, class_targets],
            batch_size=100,
            verbose=0,
            return_dict=True,
        )
        np.testing.assert_allclose(logs["loss"], expected, rtol=1e-4)

    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=[mse, cce])
    on_lists = model.fit(
        [img_data, ts_data],
        [score_targets, class_targets],
        batch_size=32,
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    after_lists = model.get_weights()
    model.set_weights(initial)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=[mse, cce])
    on_dicts = model.fit(
        {"img_input": img_data, "ts_input": ts_data},
        {"score_output": score_targets, "class_output": class_targets},
        batch_size=32,
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    # As in Keras, a compile without `metrics` keeps the metrics of the previous compile.
    assert {
        "loss",
        "score_output_loss",
        "class_output_loss",
        "class_output_categorical_accuracy",
    } <= set(on_lists.history)
    for key in on_lists.history:
        np.testing.assert_allclose(on_dicts.history[key], on_lists.history[key], rtol=1e-5)
    for got, want in zip(model.get_weights(), after_lists):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)

    train_dataset = tf.data.Dataset.from_tensor_slices(
        (
            {"img_input": img_data, "ts_input": ts_data},
            {"score_output": score_targets, "class_output": class_targets},
        )
    )
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    history = model.fit(train_dataset, epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])


# -- "Using callbacks" -------------------------------------------------------------------------


def _early_stopping_epoch(val_losses, min_delta, patience):
    """The epoch (0-based) at which EarlyStopping(monitor="val_loss") ends training."""
    best, wait = np.inf, 0
    for epoch, value in enumerate(val_losses):
        if value < best - min_delta:
            best, wait = value, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch
    return None


def test_early_stopping_as_in_the_guide(capsys):
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=1)
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
        verbose=0,
    )
    stopped = _early_stopping_epoch(history.history["val_loss"], 1e-2, 2)
    assert stopped is not None and history.epoch[-1] == stopped < 19
    assert f"Epoch {stopped + 1}: early stopping" in capsys.readouterr().out


def test_loss_history_callback_sees_every_batch():
    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    model = get_compiled_model()
    recorder = LossHistory()
    history = model.fit(x_train, y_train, batch_size=64, epochs=1, callbacks=[recorder], verbose=0)
    assert len(recorder.per_batch_losses) == math.ceil(len(x_train) / 64)
    assert all(isinstance(v, float) for v in recorder.per_batch_losses)
    # Batch logs are running means since the epoch began: the last one is the epoch's loss.
    np.testing.assert_allclose(recorder.per_batch_losses[-1], history.history["loss"][0], rtol=1e-6)


def test_model_checkpoint_with_the_guides_extensionless_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            filepath="mymodel_{epoch}",
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=0,
        )
    ]
    history = model.fit(
        x_train,
        y_train,
        epochs=2,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
        verbose=0,
    )
    val_losses = history.history["val_loss"]
    improved = [1] + ([2] if val_losses[1] < val_losses[0] else [])
    assert sorted(p for p in os.listdir() if p.startswith("mymodel_")) == [
        f"mymodel_{e}" for e in improved
    ]
    if improved[-1] == 2:
        restored = keras.models.load_model("mymodel_2")
        np.testing.assert_array_equal(
            restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0)
        )


def test_make_or_restore_model_with_batch_checkpoints(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # Prepare a directory to store all the checkpoints.
    checkpoint_dir = "./ckpt"
    if not os.path.exists(checkpoint_dir):
        os.makedirs(checkpoint_dir)

    def make_or_restore_model():
        # Either restore the latest model, or create a fresh one if there is no checkpoint.
        checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
        if checkpoints:
            latest_checkpoint = max(checkpoints, key=os.path.getctime)
            print("Restoring from", latest_checkpoint)
            return keras.models.load_model(latest_checkpoint)
        print("Creating a new model")
        return get_compiled_model()

    saved = {}

    class RememberSaves(keras.callbacks.Callback):
        """What the checkpoint must hold: the loss in its name and the weights at that batch."""

        def on_train_batch_end(self, batch, logs=None):
            if (batch + 1) % 20 == 0:
                saved[f"model-loss={logs['loss']:.2f}"] = self.model.get_weights()

    model = make_or_restore_model()
    callbacks = [
        # This callback saves the model every 20 batches (100 in the guide), with the training
        # loss in the saved model name.
        keras.callbacks.ModelCheckpoint(
            filepath=checkpoint_dir + "/model-loss={loss:.2f}", save_freq=20
        ),
        RememberSaves(),
    ]
    model.fit(x_train, y_train, epochs=1, callbacks=callbacks, verbose=0)
    assert "Creating a new model" in capsys.readouterr().out
    assert sorted(os.listdir(checkpoint_dir)) == sorted(saved)

    last = list(saved)[-1]
    os.utime(os.path.join(checkpoint_dir, last))  # newest, whatever the file system's clock
    restored = make_or_restore_model()
    assert f"Restoring from {checkpoint_dir}/" in capsys.readouterr().out
    for got, want in zip(restored.get_weights(), saved[last]):
        np.testing.assert_array_equal(got, want)
    restored.fit(x_train, y_train, epochs=1, verbose=0)  # compiled: training goes on


# -- "Using learning rate schedules" and TensorBoard -------------------------------------------


def test_exponential_decay_schedule_in_rmsprop():
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    for step in (0, 99999, 100000, 250000):
        np.testing.assert_allclose(
            float(lr_schedule(step)), 0.1 * 0.96 ** math.floor(step / 100000), rtol=1e-6
        )
    model = get_compiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(x_train[:256], y_train[:256], batch_size=64, epochs=1, verbose=0)
    assert model.optimizer.iterations.numpy() == 4
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 0.1, rtol=1e-6)


def test_tensorboard_callback_as_in_the_guide(tmp_path):
    callback = keras.callbacks.TensorBoard(
        log_dir=str(tmp_path / "logs"),
        histogram_freq=0,  # How often to log histogram visualizations
        embeddings_freq=0,  # How often to log embedding visualizations
        update_freq="epoch",
    )  # How often to write logs (default: once per epoch)
    model = get_compiled_model()
    model.fit(
        x_train[:256],
        y_train[:256],
        batch_size=64,
        epochs=2,
        verbose=0,
        validation_data=(x_val[:128], y_val[:128]),
        callbacks=[callback],
    )
    runs = sorted(os.listdir(tmp_path / "logs"))
    assert runs == ["train", "validation"]
    for run in runs:
        assert any(
            name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "logs" / run)
        )
