"""`MonitorCallback`: the shared base of callbacks that watch one logged quantity and act when it
improves or stalls (`EarlyStopping`, `ModelCheckpoint`, `ReduceLROnPlateau`)."""

import operator
import warnings

from jeras.callbacks.callback import Callback


class MonitorCallback(Callback):
    """Watches `monitor` in the epoch logs and decides whether a new value is an improvement.

    Args:
        monitor: the log key to watch, e.g. `"val_loss"` or `"accuracy"`.
        mode: `"min"`, `"max"` or `"auto"`. In `"auto"` mode the direction comes from the
            name: `loss` (with or without `val_`) is minimised; otherwise the compiled metric of
            that name says whether higher or lower is better. An unknown mode warns and falls
            back to `"auto"`.
        baseline: the initial best value; `None` takes the first value seen.
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=2,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None
        self._warned_missing = False

    def _set_monitor_op(self):
        """Resolve the comparison from `mode`; raises ValueError in "auto" mode when the
        direction of `monitor` cannot be told."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor[len("val_") :] if self.monitor.startswith("val_") else self.monitor
            if name == "loss":
                self.monitor_op = operator.lt
            for metric in _compiled_metrics(self._model):
                if metric.name == name and hasattr(metric, "_direction"):
                    self.monitor_op = operator.gt if metric._direction == "up" else operator.lt
            if self.monitor_op is None:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but Keras "
                    "isn't able to automatically determine whether that metric should be "
                    "maximized or minimized. Pass `mode='max'` in order to monitor based on the "
                    "highest metric value, or pass `mode='min'` in order to use the lowest value."
                )
        # Stored signed so that one comparison `value - min_delta <op> reference` serves both.
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)
        else:
            self.min_delta = abs(self.min_delta)

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))

    def _warn_missing_monitor(self, logs, message, end=""):
        """Warn, once per `fit`, that `monitor` is not among the logged keys, naming those that
        are (`end` closes the sentence as the Keras callback of the same name does)."""
        if self._warned_missing:
            return
        self._warned_missing = True
        available = ",".join(list((logs or {}).keys()))
        warnings.warn(f"{message} Available metrics are: {available}{end}", stacklevel=3)


def _compiled_metrics(model):
    """The metric objects passed to `compile()`, flattened out of the model's `metrics`."""
    out = []
    for entry in getattr(model, "metrics", None) or []:
        # As Keras: the compiled metrics are the `metrics` of the entry named
        # "compile_metrics".
        if getattr(entry, "name", None) == "compile_metrics":
            out.extend(getattr(entry, "metrics", None) or [])
    return out
