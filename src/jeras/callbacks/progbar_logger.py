"""`ProgbarLogger`: the progress bar `fit`, `evaluate` and `predict` print."""

from jeras.callbacks.callback import Callback
from jeras.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Print a progress bar per epoch of `fit` (validation inside `fit` stays silent), and one
    for each `evaluate` and `predict`. `fit`, `evaluate` and `predict` add one unless
    `verbose=0`."""

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None
        self.seen = 0

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start_bar(self):
        # Created when the epoch (or evaluation, or prediction) begins, so its clock covers the
        # first fused call too: fit may report its first batches long after they started.
        self.seen = 0
        self.progbar = Progbar(
            target=self.target, verbose=self.verbose, unit_name="step", stateless_metrics=set()
        )

    def on_epoch_begin(self, epoch, logs=None):
        self._start_bar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit():
            self._start_bar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit():
            self._update(batch, logs)

    def on_predict_begin(self, logs=None):
        self._start_bar()

    def on_predict_batch_end(self, batch, logs=None):
        # Predictions are not values to show.
        self._update(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_end(self, logs=None):
        if not self._in_fit():
            self._finish(logs)

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _in_fit(self):
        model = self._model
        sync = getattr(model, "_state_sync", None)
        return sync is not None and sync.loop == "fit"

    def _update(self, batch, logs):
        if self.progbar is None:
            self._start_bar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs):
        if self.progbar is None:
            self._start_bar()
        if self.target is None:
            # An unknown length is learnt from the first pass and kept for later epochs.
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
