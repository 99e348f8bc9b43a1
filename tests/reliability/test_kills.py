"""Processes killed (SIGKILL) before every file-system write of a `BackupAndRestore` backup and
of `model.save`, and interrupted (SIGINT) at random moments of `fit`: a resumed run ends with
the weights of an uninterrupted one bit for bit, the previous saved file always loads, no
temporary file is left behind, and no model is left broken.

Each killed run is a process of its own (`_child.py`); everything that need not die shares one.
"""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

CHILD = os.path.join(os.path.dirname(__file__), "_child.py")
BACKUPS_PER_RUN = 8  # 3 epochs of 8 batches, a backup every 3 batches


def _run(*args, expect_kill=False):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        [sys.executable, CHILD, *map(str, args)], capture_output=True, text=True, env=env
    )
    if expect_kill and result.returncode == -signal.SIGKILL:
        return None
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _hidden_files(directory):
    return [
        os.path.join(root, name)
        for root, dirs, files in os.walk(directory)
        for name in dirs + files
        if name.startswith(".")
    ]


@pytest.mark.slow
def test_backup_killed_before_any_write_resumes_bit_for_bit(tmp_path):
    ends = _run("backup", tmp_path / "reference", 0, tmp_path / "reference.npz").split()
    first, second = int(ends[0]), int(ends[1])
    assert len(ends) == BACKUPS_PER_RUN
    expected = np.load(tmp_path / "reference.npz")
    # Writes of the second backup (a previous generation is in force and is then removed):
    # its first and last and up to four between, evenly spread; and two of the first (none is
    # in force yet). Each kill is a fresh process, so every write would cost minutes.
    second_writes = list(range(first + 1, second + 1))
    spread = sorted({second_writes[i * (len(second_writes) - 1) // 5] for i in range(6)})
    kill_points = [1, first // 2, *spread]
    directories = []
    for kill_at in kill_points:
        directory = tmp_path / f"killed_{kill_at}"
        assert _run("backup", directory, kill_at, tmp_path / "unused.npz", expect_kill=True) is None
        directories.append(directory)
    _run("resume", *directories)
    for kill_at, directory in zip(kill_points, directories):
        resumed = np.load(f"{directory}.npz")
        for key in expected:
            assert np.array_equal(resumed[key], expected[key]), (kill_at, key)
        # Only the pointer and the last generation are left, and no temporary file.
        assert sorted(os.listdir(directory))[0] == "CURRENT", os.listdir(directory)
        assert len(os.listdir(directory)) == 2, (kill_at, os.listdir(directory))
        assert _hidden_files(directory) == [], (kill_at, _hidden_files(directory))


@pytest.mark.slow
def test_save_killed_before_any_write_keeps_a_loadable_file_and_no_temporaries(tmp_path):
    (tmp_path / "count").mkdir()
    writes = int(_run("save", tmp_path / "count" / "model.keras", 0))
    assert writes >= 2
    for kill_at in range(1, writes + 1):
        path = tmp_path / f"killed_{kill_at}" / "model.keras"
        path.parent.mkdir()
        assert _run("save", path, kill_at, expect_kill=True) is None
        # The first save's file, whole; the killed save may have left its temporary file.
        _run("load", path)
        assert _hidden_files(path.parent) == [], (kill_at, _hidden_files(path.parent))


@pytest.mark.slow
def test_sigint_at_random_moments_of_fit_never_breaks_the_model():
    interrupted, broken = map(int, _run("sigint", 50).split())
    assert interrupted == 50
    assert broken == 0
