"""`LearningRateScheduler`: sets the optimizer's learning rate at the start of every epoch."""

import numpy as np

from jeras.callbacks.callback import Callback, commit_variable_writes


class LearningRateScheduler(Callback):
    """At the start of each epoch, set the learning rate to `schedule(epoch, lr)` (or
    `schedule(epoch)` for a one-argument function); the rate is logged as `learning_rate`.

    Args:
        schedule: a function of the epoch index (0-based) and the current rate (a Python
            float), returning the new rate as a float.
        verbose: 1 prints the rate set each epoch.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, current_learning_rate(optimizer))
        except TypeError:
            # A schedule of the epoch alone.
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        optimizer.learning_rate = learning_rate
        commit_variable_writes(self._model)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                f"{learning_rate}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model.optimizer)


def current_learning_rate(optimizer):
    """The optimizer's current learning rate as a Python float."""
    value = optimizer.learning_rate
    value = getattr(value, "value", value)
    return float(np.asarray(value))
