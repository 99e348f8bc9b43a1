"""`BackupAndRestore`'s generations: a damaged latest backup is detected and the previous intact
one restored with a warning; a backup in Keras's layout is still read; old generations go."""

import json
import os

import numpy as np
import pytest

import jeras

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(32, 1)).astype("float32")


def _model():
    model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(1)])
    model.set_weights([np.ones((3, 1), "float32"), np.zeros(1, "float32")])
    model.compile(jeras.optimizers.SGD(0.1), "mse")
    return model


class _StopAt(jeras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def _backup(directory, stop_at, **kwargs):
    model = _model()
    callback = jeras.callbacks.BackupAndRestore(str(directory), **kwargs)
    with pytest.raises(KeyboardInterrupt):
        model.fit(
            X,
            Y,
            batch_size=8,
            epochs=5,
            shuffle=False,
            verbose=0,
            callbacks=[callback, _StopAt(stop_at)],
        )
    return model


def _restored_epoch(directory):
    model = _model()
    seen = []

    class Epochs(jeras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    model.fit(
        X,
        Y,
        batch_size=8,
        epochs=5,
        shuffle=False,
        verbose=0,
        callbacks=[jeras.callbacks.BackupAndRestore(str(directory)), Epochs()],
    )
    return seen[0]


def test_generations_replace_each_other(tmp_path):
    _backup(tmp_path, stop_at=2)
    names = sorted(os.listdir(tmp_path))
    assert names == ["CURRENT", "generation-00000003"]
    manifest = json.loads((tmp_path / names[1] / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        "latest.weights.h5",
        "resume_state.npz",
        "training_metadata.json",
    }


def test_a_damaged_latest_backup_falls_back_to_the_previous_with_a_warning(tmp_path):
    _backup(tmp_path, stop_at=2, double_checkpoint=True)
    assert sorted(os.listdir(tmp_path)) == ["CURRENT", "generation-00000002", "generation-00000003"]
    weights = tmp_path / "generation-00000003" / "latest.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="generation-00000003.*damaged.*generation-00000002"):
        assert _restored_epoch(tmp_path) == 2


def test_a_damaged_backup_without_an_intact_one_is_a_clear_error(tmp_path):
    _backup(tmp_path, stop_at=1)
    (tmp_path / "generation-00000002" / "training_metadata.json").write_text("{")
    with pytest.raises(ValueError, match="damaged.*training_metadata.json.*Delete"):
        _restored_epoch(tmp_path)


def test_a_backup_in_keras_layout_is_read(tmp_path):
    model = _model()
    model.save_weights(str(tmp_path / "latest.weights.h5"))
    (tmp_path / "training_metadata.json").write_text(json.dumps({"epoch": 3, "batch": 0}))
    assert _restored_epoch(tmp_path) == 3


def test_a_partial_generation_is_ignored(tmp_path):
    _backup(tmp_path, stop_at=0)
    partial = tmp_path / "generation-00000002"
    partial.mkdir()
    (partial / "latest.weights.h5").write_bytes(b"partial")
    assert _restored_epoch(tmp_path) == 1
