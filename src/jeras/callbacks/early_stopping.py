"""`EarlyStopping`: ends `fit` once the monitored quantity has stopped improving."""

from jeras.callbacks.callback import commit_variable_writes
from jeras.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when `monitor` has not improved for `patience` epochs.

    Args:
        monitor: the log key to watch. Defaults to `"val_loss"`.
        min_delta: a change smaller than this (in absolute value) is no improvement.
        patience: epochs without improvement before training stops.
        verbose: 1 prints a line when training stops and when weights are restored.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        baseline: a value the monitored quantity must beat; until it does, the patience
            counter keeps running even when the value improves.
        restore_best_weights: at the end of training, put back the weights of the best epoch
            (whether or not training stopped early, and whatever the baseline).
        start_from_epoch: epochs to let pass before watching starts (a warm-up).
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0
        self._warned_missing = False

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # The first watched epoch is the best so far even if it never beats the baseline.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            model = self.model
            model.set_weights(self.best_weights)
            commit_variable_writes(model)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            self._warn_missing_monitor(
                logs,
                f"Early stopping conditioned on metric `{self.monitor}` which is not available.",
            )
        return value
