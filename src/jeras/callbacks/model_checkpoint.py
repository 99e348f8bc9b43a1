"""`ModelCheckpoint`: saves the model (or its weights) during training."""

import os
import string
import warnings

import numpy as np

from jeras.callbacks.callback import save_freq_reached
from jeras.callbacks.monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Save the model or its weights at the end of every epoch or every `save_freq` batches.

    Args:
        filepath: where to save; may hold `str.format` fields filled with `epoch` (1-based),
            `batch` (1-based, batch-level saves only) and any key of the logs, e.g.
            `"ckpt/model-{epoch:02d}-{val_loss:.2f}.keras"`. A path ending in `.keras` (or the
            legacy `.h5`) receives the whole model; with `save_weights_only=True` it must end in
            `.weights.h5`. A path without an extension (as older guides write) receives the
            whole model as an unzipped `.keras` directory, which `load_model` reads back.
        monitor: the log key `save_best_only` compares.
        verbose: 1 prints a line for every save decision.
        save_best_only: save only when `monitor` improves on the best value so far.
        save_weights_only: save only the weights (`model.save_weights`).
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        save_freq: `"epoch"`, or an integer: save after that many batches.
        initial_value_threshold: the best value to beat before the first save, with
            `save_best_only`.
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or "
                "integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}"
                )
        elif not self.filepath.endswith((".keras", ".h5")) and _has_extension(self.filepath):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). Received: "
                f"filepath={self.filepath}"
            )
        if save_freq != "epoch":
            # Only a batch-level checkpoint needs per-batch logs; leaving the hook un-overridden
            # otherwise keeps `fit` running its fused multi-step calls.
            self.on_train_batch_end = self._save_on_batch_end

    # -- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._warned_missing = False
        _check_writable_destination(self.filepath, type(self).__name__)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _save_on_batch_end(self, batch, logs=None):
        if save_freq_reached(self, batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    # -- decisions -----------------------------------------------------------------------------
    def _should_save_model(self, epoch, batch, logs, filepath):
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            self._warn_missing_monitor(
                logs, f"Can save best model only with {self.monitor} available."
            )
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.",
                stacklevel=2,
            )
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        if os.path.isdir(filepath) and not _is_model_directory(filepath):
            raise IsADirectoryError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}"
            )
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        write_checkpoint(self.model, filepath, self.save_weights_only)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError) as error:
            missing = error.args[0] if isinstance(error, KeyError) else ""
            hint = ""
            if missing == "batch":
                hint = (
                    " `{batch}` is only filled for batch-level saves: pass an integer `save_freq`."
                )
            elif str(missing).startswith("val_"):
                hint = " Validation keys need `validation_data` or `validation_split` in `fit`."
            raise FilepathFormatError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: the '
                f"field {{{missing}}} is not among the available keys {sorted(fields)}."
                f"{hint}"
            ) from None
        except ValueError as error:
            raise ValueError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}. '
                f"The available keys and values are {fields}."
            ) from None


class FilepathFormatError(KeyError, ValueError):
    """A `ModelCheckpoint` filepath names a field that the logs do not hold. A `KeyError`, as
    Keras raises, and a `ValueError`, as the bad value it is."""

    def __str__(self):
        # KeyError would print its message quoted, as a key.
        return str(self.args[0])


def write_checkpoint(model, filepath, weights_only):
    """Write one checkpoint: the only place that chooses a file format from the path."""
    if weights_only:
        model.save_weights(filepath, overwrite=True)
    elif filepath.endswith((".keras", ".h5")):
        model.save(filepath, overwrite=True)
    else:
        # Extension-less paths (the guide's `mymodel_{epoch}`): the `.keras` layout unzipped
        # into a directory, as older Keras wrote a directory there.
        model.save(filepath, overwrite=True, zipped=False)


def _has_extension(filepath):
    """Whether the path's last component has an extension (placeholders do not count: in
    `model-loss={loss:.2f}` the dot is a format spec)."""
    name = os.path.basename(filepath)
    literal = "".join(text for text, _, _, _ in string.Formatter().parse(name))
    return "." in literal.lstrip(".")


def _is_model_directory(path):
    return os.path.isfile(os.path.join(path, "config.json"))


def _check_writable_destination(filepath, owner):
    """Fail at the start of training, not after an epoch, when files cannot be written under
    `filepath`'s directory (missing parents are created later, so their closest existing
    ancestor must be a writable directory)."""
    directory = os.path.dirname(os.path.abspath(_literal_prefix_dir(filepath)))
    check_writable_directory(directory, owner, filepath)


def check_writable_directory(directory, owner, target):
    probe = directory
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise NotADirectoryError(
            f"{owner} cannot write {target!r}: {probe!r} exists and is not a directory."
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise PermissionError(
            f"{owner} cannot write {target!r}: the directory {probe!r} is not writable. "
            "Choose a path in a writable directory."
        )


def _literal_prefix_dir(filepath):
    """`filepath` cut before the first directory component holding a format field."""
    parts = filepath.split(os.sep)
    kept = []
    for part in parts:
        if "{" in part:
            break
        kept.append(part)
    if len(kept) == len(parts):
        return filepath
    return os.sep.join(kept + ["_"])
