"""Built-in callbacks on real fits, against Keras 3 fitting the same model from the same weights
on the same data: when training stops, the weights restored, the learning rates used and
logged, the CSV written, the messages printed, and termination on a NaN loss."""

import contextlib
import csv
import io

import keras
import numpy as np
import pytest
from callback_models import binary_data, compiled_pair

import jeras

EPOCHS = 30


def _schedule(epoch, lr):
    # Uses the rate it is given, so ReduceLROnPlateau's reductions carry into the next epoch.
    return lr if epoch < 2 else lr * 0.9


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    """Fit Keras and jeras once each with the same callbacks; return what each produced."""
    x, y = binary_data(128, seed=1)
    k_model, j_model = compiled_pair(optimizer=lambda lib: lib.optimizers.SGD(0.5, momentum=0.9))
    out = {}
    for model, lib in ((k_model, keras), (j_model, jeras)):
        folder = tmp_path_factory.mktemp(lib.__name__)
        seen = []
        callbacks = [
            lib.callbacks.LearningRateScheduler(_schedule, verbose=1),
            lib.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=1, min_delta=0.01, verbose=1
            ),
            lib.callbacks.EarlyStopping(
                monitor="val_loss", patience=3, restore_best_weights=True, verbose=1
            ),
            lib.callbacks.CSVLogger(str(folder / "log.csv")),
            lib.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs, seen=seen: seen.append((epoch, dict(logs)))
            ),
        ]
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            history = model.fit(
                x,
                y,
                batch_size=16,
                epochs=EPOCHS,
                validation_split=0.25,
                shuffle=False,
                verbose=0,
                callbacks=callbacks,
            )
        out[lib] = dict(
            history=history.history,
            epochs=history.epoch,
            stopper=callbacks[2],
            weights=model.get_weights(),
            printed=printed.getvalue(),
            csv=(folder / "log.csv").read_text(),
            seen=seen,
        )
    return out[keras], out[jeras]


def test_training_stops_at_the_same_epoch_as_keras(fits):
    k, j = fits
    assert 0 < k["stopper"].stopped_epoch < EPOCHS - 1, "the data should make Keras stop early"
    assert j["stopper"].stopped_epoch == k["stopper"].stopped_epoch
    assert j["stopper"].best_epoch == k["stopper"].best_epoch
    assert j["epochs"] == k["epochs"]


def test_history_and_learning_rates_match_keras(fits):
    k, j = fits
    assert sorted(j["history"]) == sorted(k["history"])
    assert "learning_rate" in j["history"]
    for key, values in k["history"].items():
        np.testing.assert_allclose(j["history"][key], values, rtol=2e-4, atol=1e-5, err_msg=key)
    assert len(set(k["history"]["learning_rate"])) > 2, "the rate should change several times"


def test_best_weights_are_restored_as_keras(fits):
    k, j = fits
    for got, want in zip(j["weights"], k["weights"]):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-5)


def test_printed_messages_match_keras(fits):
    k, j = fits
    assert "ReduceLROnPlateau reducing learning rate" in k["printed"]
    assert "early stopping" in k["printed"]
    k_lines = k["printed"].splitlines()
    j_lines = j["printed"].splitlines()
    assert len(j_lines) == len(k_lines)
    for j_line, k_line in zip(j_lines, k_lines):
        if "learning rate to" in k_line:
            # The rates are printed with Python's full repr: compare them as numbers.
            k_head, k_rate = k_line.rsplit(" ", 1)
            j_head, j_rate = j_line.rsplit(" ", 1)
            assert j_head == k_head
            assert float(j_rate.rstrip(".")) == pytest.approx(float(k_rate.rstrip(".")), rel=1e-6)
        else:
            assert j_line == k_line


def test_csv_rows_equal_the_history_and_columns_match_keras(fits):
    k, j = fits
    k_rows = list(csv.reader(k["csv"].splitlines()))
    j_rows = list(csv.reader(j["csv"].splitlines()))
    assert j_rows[0] == k_rows[0]
    assert len(j_rows) == len(k_rows)
    header = j_rows[0]
    for index, row in enumerate(j_rows[1:]):
        assert int(row[0]) == j["epochs"][index]
        for key, cell in zip(header[1:], row[1:]):
            # Full precision: the file holds exactly the History's float.
            assert float(cell) == j["history"][key][index], key


def test_learning_rate_reaches_callbacks_listed_later(fits):
    k, j = fits
    assert [epoch for epoch, _ in j["seen"]] == [epoch for epoch, _ in k["seen"]]
    for (_, j_logs), (_, k_logs) in zip(j["seen"], k["seen"]):
        assert sorted(j_logs) == sorted(k_logs)
        assert j_logs["learning_rate"] == pytest.approx(k_logs["learning_rate"], rel=1e-6)


def test_terminate_on_nan_stops_at_the_same_batch_as_keras(capsys):
    x, y = binary_data(64, seed=2)
    x[37] = np.nan  # batch 4 of 8 holds a NaN sample
    k_model, j_model = compiled_pair(optimizer=lambda lib: lib.optimizers.SGD(0.1))
    outcomes = {}
    for model, lib in ((k_model, keras), (j_model, jeras)):
        batches = []
        recorder = lib.callbacks.LambdaCallback(
            on_train_batch_end=lambda batch, logs, batches=batches: batches.append(batch)
        )
        history = model.fit(
            x,
            y,
            batch_size=8,
            epochs=3,
            shuffle=False,
            verbose=0,
            callbacks=[lib.callbacks.TerminateOnNaN(), recorder],
        )
        outcomes[lib] = (capsys.readouterr().out, batches, history.epoch)
    assert outcomes[jeras] == outcomes[keras]
    assert outcomes[jeras][1] == [0, 1, 2, 3, 4]


def test_terminate_on_nan_can_raise_instead(built_pair):
    messages = {}
    for model, lib in zip(built_pair, (keras, jeras)):
        callback = lib.callbacks.TerminateOnNaN(raise_error=True)
        callback.set_model(model)
        callback.on_train_batch_end(0, {"loss": 0.5})
        with pytest.raises(RuntimeError) as info:
            callback.on_train_batch_end(1, {"loss": float("inf")})
        messages[lib] = str(info.value)
    assert messages[jeras] == messages[keras]


def test_callbacks_reading_and_writing_the_model_see_what_keras_callbacks_see():
    # One callback writes (no help from jeras), the next reads at every epoch and validation
    # hook: the write must survive the read, and every read must give Keras's values.
    x, y = binary_data(64, seed=4)
    k_model, j_model = compiled_pair(optimizer=lambda lib: lib.optimizers.SGD(0.3))
    seen = {}
    for model, lib in ((k_model, keras), (j_model, jeras)):

        class Writer(lib.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 1:
                    self.model.optimizer.learning_rate = 0.0

        class Reader(lib.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.reads = []

            def _read(self, hook):
                self.reads.append(
                    (
                        hook,
                        self.model.get_weights()[0].copy(),
                        float(np.asarray(self.model.optimizer.learning_rate)),
                    )
                )

            def on_epoch_begin(self, epoch, logs=None):
                self._read("epoch_begin")

            def on_test_begin(self, logs=None):
                self._read("test_begin")

            def on_test_end(self, logs=None):
                self._read("test_end")

            def on_epoch_end(self, epoch, logs=None):
                self._read("epoch_end")

        reader = Reader()
        history = model.fit(
            x,
            y,
            batch_size=16,
            epochs=4,
            validation_split=0.25,
            shuffle=False,
            verbose=0,
            callbacks=[Writer(), reader],
        )
        seen[lib] = (reader.reads, history.history)
    (k_reads, k_history), (j_reads, j_history) = seen[keras], seen[jeras]
    assert [r[0] for r in j_reads] == [r[0] for r in k_reads]
    for (hook, j_weights, j_rate), (_, k_weights, k_rate) in zip(j_reads, k_reads):
        np.testing.assert_allclose(j_weights, k_weights, rtol=1e-4, atol=1e-6, err_msg=hook)
        assert j_rate == pytest.approx(k_rate)
    np.testing.assert_allclose(j_history["loss"], k_history["loss"], rtol=1e-4)
    # From epoch 2 on the rate is zero: the weights no longer move.
    np.testing.assert_array_equal(j_reads[-1][1], j_reads[-4 * 2][1])
