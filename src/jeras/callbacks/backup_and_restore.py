"""`BackupAndRestore`: resumes an interrupted `fit` from its last backup."""

import json
import os
import shutil

import numpy as np

from jeras.callbacks.callback import Callback, commit_variable_writes, save_freq_reached
from jeras.callbacks.model_checkpoint import check_writable_directory
from jeras.data.position import position_from_arrays, position_to_arrays


class BackupAndRestore(Callback):
    """Back up the weights (with the optimizer state) and the training progress to
    `backup_dir`, and when `fit` starts again after an interruption, restore them and resume
    exactly where the backup was taken.

    Files: `<backup_dir>/latest.weights.h5` and `<backup_dir>/training_metadata.json`
    (`{"epoch": epochs completed, "batch": last batch seen}`), as Keras writes them, plus `.bkp`
    copies of the previous backup with `double_checkpoint=True`. jeras adds
    `<backup_dir>/resume_state.npz`: the data order's random states, the model's random seed
    streams and, for a backup taken mid-epoch, the batches already run and the epoch's metric
    accumulators. With it, an interrupted run resumed by `fit` with the same callback ends with
    the weights of an uninterrupted run, even when the backup was taken mid-epoch (for array
    inputs and `PyDataset`s; a Python generator restarts from its beginning).

    Args:
        backup_dir: the directory for the backup files; it must be used by no other callback.
        save_freq: `"epoch"`, or an integer: back up every that many batches.
        double_checkpoint: keep the previous backup too, and fall back to it when the latest
            one cannot be read (e.g. training died while writing it).
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
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._prev_training_metadata_path = self._training_metadata_path + ".bkp"
        self._resume_state_path = os.path.join(self.backup_dir, "resume_state.npz")
        self._prev_resume_state_path = self._resume_state_path + ".bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._steps_done = 0
        if save_freq != "epoch":
            # Per-batch logs only for batch-level backups, so epoch backups keep `fit` fused.
            self.on_train_batch_end = self._backup_on_batch_end

    def on_train_begin(self, logs=None):
        check_writable_directory(
            os.path.abspath(self.backup_dir), type(self).__name__, self.backup_dir
        )
        try:
            self._load_model()
        except OSError:
            if not os.path.exists(self._prev_weights_path):
                raise
            # The latest backup is unreadable: go back to the one before it.
            shutil.copy(self._prev_weights_path, self._weights_path)
            for previous, latest in (
                (self._prev_training_metadata_path, self._training_metadata_path),
                (self._prev_resume_state_path, self._resume_state_path),
            ):
                if os.path.exists(previous):
                    shutil.copy(previous, latest)
                elif os.path.exists(latest):
                    os.remove(latest)
            self._load_model()

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
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for latest, previous in (
                (self._weights_path, self._prev_weights_path),
                (self._training_metadata_path, self._prev_training_metadata_path),
                (self._resume_state_path, self._prev_resume_state_path),
            ):
                if os.path.exists(latest):
                    shutil.copy(latest, previous)
        model = self.model
        model.save_weights(self._weights_path, overwrite=True)
        self._save_resume_state(mid_epoch)
        with open(self._training_metadata_path, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

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
        # Written next to the target and renamed over it, so an interruption while writing
        # leaves the previous file whole.
        partial = self._resume_state_path + ".partial.npz"
        np.savez(partial, **arrays)
        os.replace(partial, self._resume_state_path)

    def on_train_end(self, logs=None):
        self.model._resume_position = None
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


def _seed_states(model):
    """The model's random seed stream states: its variables that are not weights."""
    weight_ids = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weight_ids]
