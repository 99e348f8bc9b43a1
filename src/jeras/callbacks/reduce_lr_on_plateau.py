"""`ReduceLROnPlateau`: lowers the learning rate when a monitored quantity stops improving."""

import numpy as np

from jeras.callbacks.callback import commit_variable_writes
from jeras.callbacks.learning_rate_scheduler import current_learning_rate
from jeras.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the optimizer's learning rate by `factor` after `patience` epochs without
    improvement of `monitor`; the rate is also logged every epoch as `learning_rate`.

    Args:
        monitor: the log key to watch. Defaults to `"val_loss"`.
        factor: the multiplier, below 1.
        patience: epochs without improvement before the rate is lowered.
        verbose: 1 prints a line each time the rate is lowered.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        min_delta: a change smaller than this is no improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the rate never goes below this.
    """

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()
        self._warned_missing = False

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = current_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            self._warn_missing_monitor(
                logs,
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which "
                "is not available.",
                end=".",
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, optimizer, epoch):
        old_lr = current_learning_rate(optimizer)
        # The rate is stored in float32: compare against min_lr as stored, or a rate already at
        # the floor would be "reduced" again every time.
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        commit_variable_writes(self._model)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
