"""ModelCheckpoint against Keras 3: file names, save decisions and messages on the same logs;
path rules; errors that come before training; and real checkpoints read back."""

import os

import keras
import numpy as np
import pytest
from callback_models import binary_data, compiled_pair

import jeras


class _SaveRecorder:
    def __init__(self):
        self.paths = []

    def __call__(self, filepath, *args, **kwargs):
        self.paths.append(os.fspath(filepath))


def _drive_epochs(lib, model, monkeypatch, logs_per_epoch, **kwargs):
    """Run ModelCheckpoint's epoch hooks over `logs_per_epoch`, recording the saves instead of
    writing files."""
    recorder = _SaveRecorder()
    monkeypatch.setattr(model, "save", recorder, raising=False)
    monkeypatch.setattr(model, "save_weights", recorder, raising=False)
    callback = lib.callbacks.ModelCheckpoint(**kwargs)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end()
    return recorder.paths


EPOCH_LOGS = [
    {"loss": 0.9, "val_loss": 0.8, "accuracy": 0.5, "val_accuracy": 0.55},
    {"loss": 0.7, "val_loss": 0.85, "accuracy": 0.6, "val_accuracy": 0.6},
    {"loss": 0.6, "val_loss": 0.61234, "accuracy": 0.65, "val_accuracy": 0.58},
    {"loss": 0.5, "val_loss": 0.61, "accuracy": 0.7, "val_accuracy": 0.7},
]

CASES = [
    dict(filepath="m-{epoch:02d}-{val_loss:.3f}.keras", verbose=1),
    dict(filepath="best.keras", save_best_only=True, verbose=1),
    dict(
        filepath="best-{epoch}.keras", save_best_only=True, initial_value_threshold=0.7, verbose=1
    ),
    dict(
        filepath="acc-{val_accuracy:.2f}.keras",
        monitor="val_accuracy",
        save_best_only=True,
        verbose=1,
    ),
    dict(
        filepath="w-{epoch}-{loss:.1f}.weights.h5",
        save_weights_only=True,
        save_best_only=True,
        monitor="loss",
        mode="min",
        verbose=1,
    ),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_epoch_saves_paths_and_messages_match_keras(
    built_pair, monkeypatch, capsys, tmp_path, kwargs
):
    kwargs = dict(kwargs)
    kwargs["filepath"] = str(tmp_path / kwargs["filepath"])
    k_model, j_model = built_pair
    k_paths = _drive_epochs(keras, k_model, monkeypatch, EPOCH_LOGS, **kwargs)
    k_out = capsys.readouterr().out
    j_paths = _drive_epochs(jeras, j_model, monkeypatch, EPOCH_LOGS, **kwargs)
    j_out = capsys.readouterr().out
    assert j_paths == k_paths
    assert j_out == k_out


def test_batch_level_saves_fill_batch_and_epoch_as_keras(built_pair, monkeypatch, tmp_path):
    k_model, j_model = built_pair
    filepath = str(tmp_path / "b-{epoch}-{batch}-{loss:.2f}.keras")
    saved = {}
    for model, lib in ((k_model, keras), (j_model, jeras)):
        recorder = _SaveRecorder()
        monkeypatch.setattr(model, "save", recorder, raising=False)
        callback = lib.callbacks.ModelCheckpoint(filepath, save_freq=3)
        callback.set_model(model)
        callback.on_train_begin()
        for epoch in range(2):
            callback.on_epoch_begin(epoch)
            for batch in range(5):
                callback.on_train_batch_end(batch, {"loss": 1.0 / (1 + batch + 5 * epoch)})
            callback.on_epoch_end(epoch, {"loss": 0.1, "val_loss": 0.2})
        saved[lib] = recorder.paths
    assert saved[jeras] == saved[keras]
    assert len(saved[jeras]) == 3


def test_only_batch_level_checkpoints_ask_fit_for_per_batch_logs(tmp_path):
    per_epoch = jeras.callbacks.CallbackList(
        [jeras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))]
    )
    per_batch = jeras.callbacks.CallbackList(
        [jeras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq=10)]
    )
    assert per_epoch.batch_needs("train") == "nothing"
    assert per_batch.batch_needs("train") == "model"


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(filepath="model.pt"),
        dict(filepath="model.keras", save_weights_only=True),
        dict(filepath="model.keras", save_freq="sometimes"),
    ],
)
def test_invalid_arguments_raise_keras_errors(kwargs):
    with pytest.raises(ValueError) as k_info:
        keras.callbacks.ModelCheckpoint(**kwargs)
    with pytest.raises(ValueError) as j_info:
        jeras.callbacks.ModelCheckpoint(**kwargs)
    assert str(j_info.value) == str(k_info.value)


@pytest.mark.parametrize("filepath", ["mymodel_{epoch}", "ckpt/model-loss={loss:.2f}"])
def test_extension_less_paths_of_the_guide_are_accepted(filepath):
    # Keras 3 refuses them; the guide (written for older Keras) uses them.
    with pytest.raises(ValueError):
        keras.callbacks.ModelCheckpoint(filepath)
    jeras.callbacks.ModelCheckpoint(filepath)


def test_missing_placeholder_is_a_clear_error(built_pair, monkeypatch, tmp_path):
    _, j_model = built_pair
    with pytest.raises(KeyError, match=r"\{val_loss\}.*Validation keys need"):
        _drive_epochs(
            jeras,
            j_model,
            monkeypatch,
            [{"loss": 0.5}],
            filepath=str(tmp_path / "m-{val_loss:.2f}.keras"),
        )
    with pytest.raises(KeyError, match=r"\{batch\}.*integer `save_freq`"):
        _drive_epochs(
            jeras, j_model, monkeypatch, [{"loss": 0.5}], filepath=str(tmp_path / "m-{batch}.keras")
        )


def test_missing_placeholder_stops_fit_at_the_first_save_naming_the_keys(tmp_path):
    x, y = binary_data(32)
    _, model = compiled_pair()
    begun = []
    callbacks = [
        jeras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: begun.append(e)),
        jeras.callbacks.ModelCheckpoint(str(tmp_path / "m-{epoch}-{val_acc:.2f}.keras")),
    ]
    with pytest.raises(ValueError) as info:
        model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=callbacks)
    # Also a KeyError, as Keras raises, but one that reads as a sentence.
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert message.startswith('Failed to format this callback filepath: "')
    assert (
        "the field {val_acc} is not among the available keys ['accuracy', 'epoch', "
        "'loss', 'mae']" in message
    )
    assert begun == [0]
    assert os.listdir(tmp_path) == []


def test_unwritable_directory_fails_at_train_begin(built_pair, tmp_path):
    _, j_model = built_pair
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("a file where a directory should be")
    callback = jeras.callbacks.ModelCheckpoint(str(blocker / "ckpt" / "m-{epoch}.keras"))
    callback.set_model(j_model)
    with pytest.raises(NotADirectoryError, match="ModelCheckpoint cannot write"):
        callback.on_train_begin()


@pytest.mark.skipif(
    not os.path.isdir("/proc/sys") or os.access("/proc/sys", os.W_OK),
    reason="needs a directory this process may not write",
)
def test_read_only_directory_fails_before_the_first_epoch():
    x, y = binary_data(16)
    _, model = compiled_pair()
    begun = []
    callbacks = [
        jeras.callbacks.LambdaCallback(on_epoch_begin=lambda e, logs: begun.append(e)),
        jeras.callbacks.ModelCheckpoint("/proc/sys/jeras_ckpt/{epoch}/m.keras"),
    ]
    with pytest.raises(PermissionError, match="'/proc/sys' is not writable"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
    assert begun == []


def test_missing_monitor_with_save_best_only_warns_once_and_saves(
    built_pair, monkeypatch, tmp_path
):
    _, j_model = built_pair
    with pytest.warns(UserWarning) as caught:
        paths = _drive_epochs(
            jeras,
            j_model,
            monkeypatch,
            [{"loss": 0.5}, {"loss": 0.4}],
            filepath=str(tmp_path / "m-{epoch}.keras"),
            save_best_only=True,
        )
    messages = [str(w.message) for w in caught if "save best model" in str(w.message)]
    assert messages == [
        "Can save best model only with val_loss available. Available metrics are: loss"
    ]
    assert len(paths) == 2


# -- real checkpoints, read back ---------------------------------------------------------------
def _saving_available():
    return all(
        hasattr(jeras.Model, name) for name in ("save", "save_weights", "load_weights")
    ) and hasattr(jeras.models, "load_model")


needs_saving = pytest.mark.skipif(
    not _saving_available(),
    reason="jeras model saving (Model.save/save_weights/load_weights, models.load_model) is "
    "not available yet",
)


@needs_saving
def test_checkpoints_hold_the_weights_keras_has_at_those_epochs(tmp_path):
    x, y = binary_data(64)
    k_model, j_model = compiled_pair()
    k_snapshots = []
    snapshot = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: k_snapshots.append(k_model.get_weights())
    )
    k_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[snapshot])
    callbacks = [
        jeras.callbacks.ModelCheckpoint(str(tmp_path / "full-{epoch}.keras")),
        jeras.callbacks.ModelCheckpoint(
            str(tmp_path / "w-{epoch}.weights.h5"), save_weights_only=True
        ),
        jeras.callbacks.ModelCheckpoint(str(tmp_path / "dir_{epoch}")),
    ]
    j_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=callbacks)
    assert sorted(os.listdir(tmp_path)) == sorted(
        [f"full-{e}.keras" for e in (1, 2, 3)]
        + [f"w-{e}.weights.h5" for e in (1, 2, 3)]
        + [f"dir_{e}" for e in (1, 2, 3)]
    )
    for epoch in (1, 2):
        expected = k_snapshots[epoch - 1]
        restored = jeras.models.load_model(str(tmp_path / f"full-{epoch}.keras"))
        from_dir = jeras.models.load_model(str(tmp_path / f"dir_{epoch}"))
        fresh = compiled_pair()[1]
        fresh.load_weights(str(tmp_path / f"w-{epoch}.weights.h5"))
        for model in (restored, from_dir, fresh):
            for got, want in zip(model.get_weights(), expected):
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@needs_saving
def test_guide_paths_load_back_with_identical_predictions(tmp_path, monkeypatch):
    # The guide's relative, extension-less paths (a directory each), next to a `.keras` file
    # that real Keras opens too.
    monkeypatch.chdir(tmp_path)
    x, y = binary_data(64)
    _, model = compiled_pair()
    snapshots = []

    class Snapshot(jeras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(self.model.get_weights())

    callbacks = [
        Snapshot(),
        jeras.callbacks.ModelCheckpoint("mymodel_{epoch}"),
        jeras.callbacks.ModelCheckpoint("ckpt/model-loss={loss:.2f}"),
        jeras.callbacks.ModelCheckpoint("model-{epoch}.keras"),
    ]
    history = model.fit(
        x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, callbacks=callbacks
    )
    losses = [f"{loss:.2f}" for loss in history.history["loss"]]
    assert len(set(losses)) == 2
    assert sorted(os.listdir("ckpt")) == sorted(f"model-loss={loss}" for loss in losses)
    assert {"mymodel_1", "mymodel_2", "model-1.keras", "model-2.keras"} <= set(os.listdir())
    # Each epoch's files against that epoch's weights, each loader on a different path.
    loads = [
        (1, "mymodel_1", jeras.models.load_model),
        (1, f"ckpt/model-loss={losses[0]}", jeras.saving.load_model),
        (2, "mymodel_2", jeras.saving.load_model),
        (2, f"ckpt/model-loss={losses[1]}", jeras.models.load_model),
        (2, "model-2.keras", keras.models.load_model),
    ]
    expected = {}
    for epoch, weights in enumerate(snapshots, start=1):
        model.set_weights(weights)
        expected[epoch] = model.predict(x, verbose=0)
    assert not np.array_equal(expected[1], expected[2])
    for epoch, path, load_model in loads:
        got = load_model(path).predict(x, verbose=0)
        if load_model is keras.models.load_model:
            np.testing.assert_allclose(got, expected[epoch], rtol=1e-6, atol=1e-7)
        else:
            np.testing.assert_array_equal(got, expected[epoch], err_msg=path)
