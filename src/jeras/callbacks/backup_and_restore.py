"""`BackupAndRestore`: resumes an interrupted `fit` from its last backup."""

import hashlib
import io
import json
import os
import re
import shutil
import warnings

import jax
import numpy as np

from jeras.callbacks.callback import Callback, commit_variable_writes, save_freq_reached
from jeras.callbacks.model_checkpoint import check_writable_directory
from jeras.data.position import position_from_arrays, position_to_arrays

POINTER_FILENAME = "CURRENT"
GENERATION_PREFIX = "generation-"
MANIFEST_FILENAME = "manifest.json"
WEIGHTS_FILENAME = "latest.weights.h5"
METADATA_FILENAME = "training_metadata.json"
RESUME_STATE_FILENAME = "resume_state.npz"


class BackupAndRestore(Callback):
    """Back up the weights (with the optimizer state) and the training progress to
    `backup_dir`, and when `fit` starts again after an interruption, restore them and resume
    exactly where the backup was taken.

    Each backup is one generation, a folder `<backup_dir>/generation-<n>/` holding
    `latest.weights.h5`, `training_metadata.json` (`{"epoch": epochs completed, "batch": last
    batch seen}`, as Keras writes them), `resume_state.npz` (the data order's random states, the
    model's random seed streams and, for a backup taken mid-epoch, the batches already run and
    the epoch's metric accumulators) and `manifest.json` (the SHA-256 of each, written last).
    The backup becomes current only when the one-line file `<backup_dir>/CURRENT` is atomically
    replaced by the generation's name, so a process killed at any moment leaves the previous
    backup in force. A generation whose files do not match its manifest is detected when
    restoring, and the newest intact earlier one is used instead, with a warning. Older
    generations are removed after each backup (the one before the current is kept with
    `double_checkpoint=True`). A backup in Keras's layout (the files directly in `backup_dir`)
    is still read.

    With it, an interrupted run resumed by `fit` with the same callback ends with the weights of
    an uninterrupted run, bit for bit, even when the backup was taken mid-epoch (for array
    inputs and `PyDataset`s; a Python generator restarts from its beginning).

    Several processes training one model (`keras.distribution.initialize`, data parallel) share
    one `backup_dir`: process 0 backs up into it and process k > 0 into `backup_dir/process-k`,
    each restoring from its own (their values are the same; no two processes write one file).

    Args:
        backup_dir: the directory for the backup files; it must be used by no other callback.
        save_freq: `"epoch"`, or an integer: back up every that many batches.
        double_checkpoint: keep the previous backup generation too, a fallback should the
            latest be damaged on disk.
        delete_checkpoint: remove `backup_dir` once `fit` completes.
    """

    def __init__(
        self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = _own_folder(os.fspath(backup_dir))
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._pointer_path = os.path.join(self.backup_dir, POINTER_FILENAME)
        self._use_generation(self.backup_dir)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._steps_done = 0
        if save_freq != "epoch":
            # Per-batch logs only for batch-level backups, so epoch backups keep `fit` fused.
            self.on_train_batch_end = self._backup_on_batch_end

    def _use_generation(self, directory):
        """Point the file paths at one generation's folder (or, for Keras's layout, at
        `backup_dir` itself)."""
        self._weights_path = os.path.join(directory, WEIGHTS_FILENAME)
        self._training_metadata_path = os.path.join(directory, METADATA_FILENAME)
        self._resume_state_path = os.path.join(directory, RESUME_STATE_FILENAME)

    def on_train_begin(self, logs=None):
        check_writable_directory(
            os.path.abspath(self.backup_dir), type(self).__name__, self.backup_dir
        )
        generation = self._generation_to_restore()
        if generation is not None:
            self._use_generation(os.path.join(self.backup_dir, generation))
        else:
            # No generation: a backup in Keras's layout, or none at all.
            self._use_generation(self.backup_dir)
        self._load_model()

    def _generation_to_restore(self):
        """The generation `CURRENT` names if it is intact; else the newest intact one before
        it, with a warning; None when there is no backup in this layout."""
        current = _read_pointer(self._pointer_path)
        if current is None:
            return None
        problem = _generation_problem(os.path.join(self.backup_dir, current))
        if problem is None:
            return current
        number = _generation_number(current)
        for candidate in sorted(_generations(self.backup_dir), key=_generation_number)[::-1]:
            if _generation_number(candidate) < number and (
                _generation_problem(os.path.join(self.backup_dir, candidate)) is None
            ):
                warnings.warn(
                    f"BackupAndRestore: the latest backup {current!r} in {self.backup_dir!r} is "
                    f"damaged ({problem}); restoring the previous backup {candidate!r}.",
                    stacklevel=2,
                )
                return candidate
        raise ValueError(
            f"BackupAndRestore: the backup {current!r} in {self.backup_dir!r} is damaged "
            f"({problem}) and no intact earlier backup is left. Delete {self.backup_dir!r} to "
            "start training afresh."
        )

    def _load_model(self):
        model = self.model
        if not model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, you model must be built before you call "
                f"`fit()`. Model {model} is unbuilt. You can build it beforehand by calling it "
                "on a batch of data."
            )
        if os.path.exists(self._weights_path):
            optimizer = model.optimizer
            if optimizer is not None and not optimizer.built:
                optimizer.build(model.trainable_variables)
            model.load_weights(self._weights_path)
            if os.path.exists(self._resume_state_path):
                self._load_resume_state()
        # The engine takes the variables now (restored or not), so nothing read here is
        # handed back to it after fit has reset its metrics.
        commit_variable_writes(model)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                metadata = json.load(f)
            self._current_epoch = metadata["epoch"]
            model._initial_epoch = metadata["epoch"]

    def _load_resume_state(self):
        model = self.model
        try:
            with np.load(self._resume_state_path, allow_pickle=False) as archive:
                arrays = dict(archive)
        except (OSError, ValueError) as error:
            raise OSError(f"BackupAndRestore cannot read {self._resume_state_path}: {error}")
        for variable, value in zip(_seed_states(model), arrays.get("seed_states", ())):
            variable.assign(value)
        position = position_from_arrays(arrays)
        if position["steps_done"]:
            count = int(arrays.get("metric_count", 0))
            position["metric_values"] = [arrays[f"metric_{i}"] for i in range(count)]
        model._resume_position = position

    def on_epoch_begin(self, epoch, logs=None):
        self._steps_done = 0

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def _backup_on_batch_end(self, batch, logs=None):
        self._steps_done = batch + 1
        if save_freq_reached(self, batch):
            self._save_model(mid_epoch=True)

    def _save_model(self, mid_epoch=False):
        """Write a new generation, then make it current by replacing `CURRENT` in one step;
        then remove the generations no longer needed."""
        os.makedirs(self.backup_dir, exist_ok=True)
        current = _read_pointer(self._pointer_path)
        existing = _generations(self.backup_dir)
        number = max([_generation_number(g) for g in existing] + [0]) + 1
        name = f"{GENERATION_PREFIX}{number:08d}"
        directory = os.path.join(self.backup_dir, name)
        os.makedirs(directory)
        self._use_generation(directory)
        self.model.save_weights(self._weights_path, overwrite=True)
        self._save_resume_state(mid_epoch)
        _write_file(
            self._training_metadata_path,
            json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}).encode(),
        )
        _write_file(os.path.join(directory, MANIFEST_FILENAME), _manifest(directory))
        _fsync_directory(directory)
        _write_file(self._pointer_path, name.encode())
        keep = {name}
        if self.double_checkpoint and current is not None:
            keep.add(current)
        for old in _generations(self.backup_dir):
            if old not in keep:
                shutil.rmtree(os.path.join(self.backup_dir, old), ignore_errors=True)

    def _save_resume_state(self, mid_epoch):
        model = self.model
        if mid_epoch and getattr(model, "_epoch_start_position", None) is not None:
            position = dict(model._epoch_start_position, steps_done=self._steps_done)
        elif hasattr(model, "_current_position"):
            position = model._current_position()
        else:
            return
        arrays = position_to_arrays(position)
        seeds = [np.asarray(v.value) for v in _seed_states(model)]
        if seeds:
            arrays["seed_states"] = np.stack(seeds)
        if mid_epoch:
            values = [
                np.asarray(v.value) for m in model._all_compiled_metrics() for v in m.variables
            ]
            arrays["metric_count"] = np.asarray(len(values))
            arrays.update({f"metric_{i}": value for i, value in enumerate(values)})
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        _write_file(self._resume_state_path, buffer.getvalue())

    def on_train_end(self, logs=None):
        self.model._resume_position = None
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)


def _own_folder(backup_dir):
    """The folder this process backs up into: `backup_dir` itself, or, for process k > 0 of
    several training one model, `backup_dir/process-k`. Every process saves (saving runs the
    same device computations in all of them, which must not diverge) but none writes another's
    files."""
    if jax.process_count() == 1 or jax.process_index() == 0:
        return backup_dir
    return os.path.join(backup_dir, f"process-{jax.process_index()}")


def _seed_states(model):
    """The model's random seed stream states: its variables that are not weights."""
    weight_ids = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weight_ids]


# -- generations on disk ---------------------------------------------------------------------------
def _generations(backup_dir):
    """The generation folders in `backup_dir` (complete or not)."""
    try:
        names = os.listdir(backup_dir)
    except OSError:
        return []
    return [name for name in names if re.fullmatch(rf"{GENERATION_PREFIX}\d+", name)]


def _generation_number(name):
    return int(name[len(GENERATION_PREFIX) :])


def _read_pointer(path):
    """The generation `CURRENT` names, or None when there is no such file."""
    try:
        with open(path) as f:
            name = f.read().strip()
    except FileNotFoundError:
        return None
    if not re.fullmatch(rf"{GENERATION_PREFIX}\d+", name):
        raise ValueError(
            f"BackupAndRestore: {path!r} should name a backup generation, but holds {name[:80]!r}."
        )
    return name


def _manifest(directory):
    """`manifest.json` of a generation: the size and SHA-256 of each of its files."""
    files = {}
    for name in sorted(os.listdir(directory)):
        if name != MANIFEST_FILENAME and not name.startswith("."):
            with open(os.path.join(directory, name), "rb") as f:
                data = f.read()
            files[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return json.dumps({"files": files}).encode()


def _generation_problem(directory):
    """What is wrong with a generation's files (a string), or None when they match its
    manifest."""
    try:
        with open(os.path.join(directory, MANIFEST_FILENAME)) as f:
            files = json.load(f)["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        return f"no readable {MANIFEST_FILENAME}: {error}"
    for name, expected in files.items():
        try:
            with open(os.path.join(directory, name), "rb") as f:
                data = f.read()
        except OSError as error:
            return f"{name} unreadable: {error}"
        if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            return f"{name} does not match its checksum"
    return None


def _write_file(path, data):
    """`path` holds its old content or all of `data`, never a part: a temporary file beside it,
    flushed to disk, then renamed over it."""
    temporary = f"{os.path.join(os.path.dirname(path), '.' + os.path.basename(path))}.tmp"
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
