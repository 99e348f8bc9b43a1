"""Saving and loading limits: a config entry of more than a few MB is refused before it is
read, weights are read from the archive as needed, and temporary files of killed saves to the
same path are removed (only those of processes that no longer exist)."""

import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import jeras
from jeras.saving import saving_lib


def _model():
    model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


def test_a_huge_config_entry_is_refused_naming_the_entry(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", " " * (saving_lib._MAX_CONFIG_BYTES + 1))
        archive.writestr("model.weights.h5", b"")
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ValueError, match=r"bomb.keras.*`config.json` holds \d+ bytes.*MiB"):
        jeras.models.load_model(path)


def test_weights_are_streamed_from_the_archive(tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    read_sizes = []
    original = saving_lib._StoredEntry.readinto

    def spy(self, buffer):
        count = original(self, buffer)
        read_sizes.append(count)
        return count

    monkeypatch.setattr(saving_lib._StoredEntry, "readinto", spy)
    loaded = jeras.models.load_model(path)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = _model()
    other.load_weights(path)
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])
    assert read_sizes and max(read_sizes) < os.path.getsize(path)


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_temporary_files_of_dead_saves_are_removed_and_live_ones_kept(tmp_path):
    path = tmp_path / "m.keras"
    dead = tmp_path / f".m.keras.{_dead_pid()}.abc123.tmp"
    live = tmp_path / f".m.keras.{os.getppid()}.def456.tmp"  # the process running pytest's parent
    other_path = tmp_path / f".other.keras.{_dead_pid()}.abc123.tmp"
    unowned_old = tmp_path / ".m.keras.k2j3h4g5.tmp"  # an older release's, no process id
    for f in (dead, live, other_path, unowned_old):
        f.write_bytes(b"x" * 100)
    os.utime(unowned_old, (0, 0))
    _model().save(path)
    assert not dead.exists() and not unowned_old.exists()
    assert live.exists() and other_path.exists()
    jeras.models.load_model(path)
