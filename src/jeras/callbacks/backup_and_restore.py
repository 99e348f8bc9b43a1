"""`BackupAndRestore`: resumes an interrupted `fit` from its last backup."""

import json
import os
import shutil

from jeras.callbacks.callback import Callback, commit_variable_writes
from jeras.callbacks.model_checkpoint import check_writable_directory


class BackupAndRestore(Callback):
    """Back up the weights (with the optimizer state) and the training progress to
    `backup_dir`, and when `fit` starts again after an interruption, restore them and resume
    from the first epoch not completed.

    Files: `<backup_dir>/latest.weights.h5` and `<backup_dir>/training_metadata.json`
    (`{"epoch": epochs completed, "batch": last batch seen}`), plus `.bkp` copies of the
    previous backup with `double_checkpoint=True`. Resumption is at epoch granularity: a backup
    taken mid-epoch restores those weights and replays that epoch from its first batch.

    Args:
        backup_dir: the directory for the backup files; it must be used by no other callback.
        save_freq: `"epoch"`, or an integer: back up every that many batches.
        double_checkpoint: keep the previous backup too, and fall back to it when the latest
            one cannot be read (e.g. training died while writing it).
        delete_checkpoint: remove `backup_dir` once `fit` completes.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._prev_training_metadata_path = self._training_metadata_path + ".bkp"
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if save_freq != "epoch":
            # Per-batch logs only for batch-level backups, so epoch backups keep `fit` fused.
            self.on_train_batch_end = self._backup_on_batch_end

    def on_train_begin(self, logs=None):
        check_writable_directory(os.path.abspath(self.backup_dir), type(self).__name__,
                                 self.backup_dir)
        try:
            self._load_model()
        except OSError:
            if not os.path.exists(self._prev_weights_path):
                raise
            # The latest backup is unreadable: go back to the one before it.
            shutil.copy(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copy(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        model = self.model
        if not model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, you model must be built before you call "
                f"`fit()`. Model {model} is unbuilt. You can build it beforehand by calling it "
                "on a batch of data.")
        if os.path.exists(self._weights_path):
            optimizer = model.optimizer
            if optimizer is not None and not optimizer.built:
                optimizer.build(model.trainable_variables)
            model.load_weights(self._weights_path)
        # The engine takes the variables now (restored or not), so nothing read here is
        # handed back to it after fit has reset its metrics.
        commit_variable_writes(model)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                metadata = json.load(f)
            self._current_epoch = metadata["epoch"]
            model._initial_epoch = metadata["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def _backup_on_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model()

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:
            ran = batch + 1
        else:
            ran = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += ran
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            if os.path.exists(self._weights_path):
                shutil.copy(self._weights_path, self._prev_weights_path)
            if os.path.exists(self._training_metadata_path):
                shutil.copy(self._training_metadata_path, self._prev_training_metadata_path)
        self.model.save_weights(self._weights_path, overwrite=True)
        with open(self._training_metadata_path, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
