"""BackupAndRestore against Keras 3: the same backup files and resume epoch for the same hooks,
fit resuming where the backup says, errors before training, and (once jeras can save
weights) an interrupted fit that ends with the weights of Keras's uninterrupted one."""

import json
import os

import keras
import numpy as np
import pytest
from callback_models import binary_data, compiled_pair

import jeras


class _Interrupt(Exception):
    pass


def _backed_up_metadata(backup_dir):
    """`training_metadata.json` of the current backup: in the generation `CURRENT` names
    (jeras), or directly in `backup_dir` (Keras)."""
    pointer = os.path.join(backup_dir, "CURRENT")
    if os.path.exists(pointer):
        backup_dir = os.path.join(backup_dir, open(pointer).read().strip())
    path = os.path.join(backup_dir, "training_metadata.json")
    return json.loads(open(path).read()) if os.path.exists(path) else None


def _metadata_trace(lib, model, monkeypatch, backup_dir, **kwargs):
    """Run the backup hooks over 2 epochs of 5 batches without writing weights; return the
    metadata file after every hook that could have saved."""
    monkeypatch.setattr(model, "save_weights", lambda *a, **k: None, raising=False)
    callback = lib.callbacks.BackupAndRestore(str(backup_dir), delete_checkpoint=False, **kwargs)
    callback.set_model(model)
    trace = []

    def snapshot():
        trace.append(_backed_up_metadata(backup_dir))

    for epoch in range(2):
        callback.on_epoch_begin(epoch)
        for batch in range(5):
            callback.on_train_batch_end(batch, {"loss": 1.0})
            snapshot()
        callback.on_epoch_end(epoch, {"loss": 1.0})
        snapshot()
    return trace


@pytest.mark.parametrize("save_freq", ["epoch", 2, 3])
def test_backup_metadata_matches_keras(built_pair, monkeypatch, tmp_path, save_freq):
    k_model, j_model = built_pair
    expected = _metadata_trace(keras, k_model, monkeypatch, tmp_path / "k", save_freq=save_freq)
    got = _metadata_trace(jeras, j_model, monkeypatch, tmp_path / "j", save_freq=save_freq)
    assert got == expected


def test_train_begin_sets_the_resume_epoch_as_keras(built_pair, tmp_path):
    (tmp_path / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    resumed = {}
    for model, lib in zip(built_pair, (keras, jeras)):
        model._initial_epoch = None
        callback = lib.callbacks.BackupAndRestore(str(tmp_path), delete_checkpoint=False)
        callback.set_model(model)
        callback.on_train_begin()
        resumed[lib] = model._initial_epoch
        model._initial_epoch = None
    assert resumed[jeras] == resumed[keras] == 2


def test_fit_resumes_from_the_backed_up_epoch(monkeypatch, tmp_path):
    (tmp_path / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    x, y = binary_data(32)
    model = compiled_pair()[1]
    monkeypatch.setattr(model, "save_weights", lambda *a, **k: None, raising=False)
    history = model.fit(
        x,
        y,
        batch_size=16,
        epochs=4,
        verbose=0,
        callbacks=[jeras.callbacks.BackupAndRestore(str(tmp_path))],
    )
    assert history.epoch == [2, 3]
    assert not tmp_path.exists(), "a completed fit deletes the backup"


def test_a_first_run_starts_with_fresh_metrics(monkeypatch, tmp_path):
    # The model was evaluated before: its metric accumulators hold that evaluation. With a zero
    # learning rate the first epoch's logs must equal Keras's evaluation of the same weights.
    x, y = binary_data(64, seed=5)
    k_model, j_model = compiled_pair(optimizer=lambda lib: lib.optimizers.SGD(0.0))
    j_model.evaluate(x[:16] * 5, y[:16], verbose=0)
    monkeypatch.setattr(j_model, "save_weights", lambda *a, **k: None, raising=False)
    history = j_model.fit(
        x,
        y,
        batch_size=16,
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[jeras.callbacks.BackupAndRestore(str(tmp_path / "backup"))],
    )
    expected = k_model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    for key, value in expected.items():
        assert history.history[key][0] == pytest.approx(value, rel=1e-5), key


def test_only_batch_level_backups_ask_fit_for_per_batch_logs(tmp_path):
    def per_batch(**kwargs):
        callback = jeras.callbacks.BackupAndRestore(str(tmp_path), **kwargs)
        return jeras.callbacks.CallbackList([callback]).batch_needs("train")

    assert per_batch() == "nothing"
    # A batch-level backup saves the live model: one step per compiled call.
    assert per_batch(save_freq=5) == "model"


@pytest.mark.parametrize("kwargs", [dict(backup_dir=""), dict(backup_dir="b", save_freq="x")])
def test_invalid_arguments_raise_keras_errors(kwargs):
    with pytest.raises(ValueError) as k_info:
        keras.callbacks.BackupAndRestore(**kwargs)
    with pytest.raises(ValueError) as j_info:
        jeras.callbacks.BackupAndRestore(**kwargs)
    assert str(j_info.value) == str(k_info.value)


def test_unwritable_backup_dir_fails_at_train_begin(built_pair, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    callback = jeras.callbacks.BackupAndRestore(str(blocker / "backup"))
    callback.set_model(built_pair[1])
    with pytest.raises(NotADirectoryError, match="BackupAndRestore cannot write"):
        callback.on_train_begin()


def _saving_available():
    return all(hasattr(jeras.Model, name) for name in ("save_weights", "load_weights"))


@pytest.mark.skipif(
    not _saving_available(), reason="jeras Model.save_weights/load_weights are not available yet"
)
def test_interrupted_fit_resumes_to_the_weights_of_keras_uninterrupted_fit(tmp_path):
    x, y = binary_data(64)
    k_model, j_model = compiled_pair()
    kwargs = dict(batch_size=16, epochs=4, shuffle=False, verbose=0)
    k_model.fit(x, y, **kwargs)

    def interrupt(epoch, logs):
        if epoch == 1:
            raise _Interrupt()

    backup_dir = str(tmp_path / "backup")
    with pytest.raises(_Interrupt):
        j_model.fit(
            x,
            y,
            **kwargs,
            callbacks=[
                jeras.callbacks.BackupAndRestore(backup_dir),
                jeras.callbacks.LambdaCallback(on_epoch_end=interrupt),
            ],
        )
    assert _backed_up_metadata(backup_dir)["epoch"] == 2
    # A new process would build a fresh model: its weights come from the backup.
    resumed = compiled_pair()[1]
    history = resumed.fit(x, y, **kwargs, callbacks=[jeras.callbacks.BackupAndRestore(backup_dir)])
    assert history.epoch == [2, 3]
    for got, want in zip(resumed.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def _interrupt_at(epoch, batch):
    """A callback that interrupts fit after batch `batch` of epoch `epoch` (after the backup,
    which comes first in the callback list)."""
    state = {}

    def begin(e, logs):
        state["epoch"] = e

    def end(b, logs):
        if state["epoch"] == epoch and b == batch:
            raise _Interrupt()

    return jeras.callbacks.LambdaCallback(on_epoch_begin=begin, on_train_batch_end=end)


def _fit_with_interruption(make_model, fit_kwargs, backup_dir, interrupt, save_freq, data_seed=7):
    """Fit until `interrupt` fires, then resume in a 'new process': a fresh model with the same
    initial weights and a scrambled NumPy/Python random state. Returns the resumed model and
    its history."""
    import random

    model = make_model()
    np.random.seed(data_seed)
    random.seed(data_seed)
    with pytest.raises(_Interrupt):
        model.fit(
            **fit_kwargs,
            callbacks=[
                jeras.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq),
                interrupt,
            ],
        )
    resumed = make_model()
    np.random.seed(12345)
    random.seed(12345)
    history = resumed.fit(
        **fit_kwargs, callbacks=[jeras.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)]
    )
    return resumed, history


@pytest.mark.parametrize("save_freq, epoch, batch", [("epoch", 1, 3), (2, 1, 1), (1, 2, 3)])
def test_shuffled_fit_interrupted_anywhere_ends_with_keras_uninterrupted_weights(
    tmp_path, save_freq, epoch, batch
):
    """Shuffled data: the resumed run must restore the data order (NumPy's random state and the
    position inside the epoch), or its weights drift from Keras's uninterrupted run."""
    x, y = binary_data(64)
    k_model = compiled_pair()[0]
    kwargs = dict(x=x, y=y, batch_size=16, epochs=4, verbose=0)
    np.random.seed(7)
    expected = k_model.fit(**kwargs)
    resumed, history = _fit_with_interruption(
        lambda: compiled_pair()[1],
        kwargs,
        str(tmp_path / "backup"),
        _interrupt_at(epoch, batch),
        save_freq,
    )
    # An epoch-level backup was last taken when epoch `epoch - 1` ended.
    resumed_from = epoch
    assert history.epoch == list(range(resumed_from, 4))
    for got, want in zip(resumed.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    # The resumed epoch's logs cover the whole epoch: its metric accumulators were restored.
    for key in expected.history:
        np.testing.assert_allclose(
            history.history[key], expected.history[key][resumed_from:], rtol=1e-4, atol=1e-5
        )


def test_mid_epoch_resume_restores_dropout_streams_and_steps_per_epoch_position(tmp_path):
    """Dropout (the model's seed streams) and `steps_per_epoch` (epochs continuing through a
    pass) both carry state across the interruption; the resumed run must end where the
    uninterrupted one does."""
    x, y = binary_data(96)

    def make_model():
        jeras.utils.set_random_seed(3)
        inputs = jeras.Input(shape=(6,))
        hidden = jeras.layers.Dense(8, activation="relu")(inputs)
        hidden = jeras.layers.Dropout(0.3)(hidden)
        model = jeras.Model(inputs, jeras.layers.Dense(1, activation="sigmoid")(hidden))
        model.compile(
            optimizer=jeras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"]
        )
        return model

    kwargs = dict(x=x, y=y, batch_size=16, epochs=4, steps_per_epoch=3, verbose=0)
    uninterrupted = make_model()
    np.random.seed(7)
    expected = uninterrupted.fit(**kwargs)
    resumed, history = _fit_with_interruption(
        make_model, kwargs, str(tmp_path / "b"), _interrupt_at(1, 0), save_freq=1
    )
    assert history.epoch == [1, 2, 3]
    for got, want in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for key in expected.history:
        np.testing.assert_allclose(history.history[key], expected.history[key][1:], rtol=1e-5)


def test_resume_after_the_last_batch_of_an_epoch(tmp_path):
    """Interrupted between the epoch's last batch and its end: the resumed epoch runs no batch
    and reports the restored metrics."""
    x, y = binary_data(48)
    kwargs = dict(x=x, y=y, batch_size=16, epochs=3, verbose=0)
    uninterrupted = compiled_pair()[1]
    np.random.seed(7)
    expected = uninterrupted.fit(**kwargs)
    resumed, history = _fit_with_interruption(
        lambda: compiled_pair()[1], kwargs, str(tmp_path / "b"), _interrupt_at(1, 2), 1
    )
    assert history.epoch == [1, 2]
    for key in expected.history:
        np.testing.assert_allclose(history.history[key], expected.history[key][1:], rtol=1e-5)
    for got, want in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_mid_epoch_resume_of_a_shuffled_pydataset(tmp_path):
    """A PyDataset's batch order comes from Python's `random`: the resumed run restores it and
    skips the batches already run, ending where the uninterrupted run does."""
    import math

    x, y = binary_data(80)

    class Batches(jeras.utils.PyDataset):
        def __len__(self):
            return math.ceil(len(x) / 16)

        def __getitem__(self, index):
            return x[index * 16 : (index + 1) * 16], y[index * 16 : (index + 1) * 16]

    kwargs = dict(x=Batches(), epochs=3, verbose=0)
    uninterrupted = compiled_pair()[1]
    np.random.seed(7)
    import random

    random.seed(7)
    expected = uninterrupted.fit(**kwargs)
    resumed, history = _fit_with_interruption(
        lambda: compiled_pair()[1], kwargs, str(tmp_path / "b"), _interrupt_at(1, 2), 2
    )
    assert history.epoch == [1, 2]
    for key in expected.history:
        np.testing.assert_allclose(history.history[key], expected.history[key][1:], rtol=1e-5)
    for got, want in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
