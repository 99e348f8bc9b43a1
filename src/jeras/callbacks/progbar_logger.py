"""`ProgbarLogger`: the progress bar `fit`, `evaluate` and `predict` print."""

from jeras.callbacks.callback import Callback
from jeras.utils.progbar import Progbar


class ProgbarLogger(Callback):
    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.progbar = None
        self._seen = 0

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _reset(self):
        self._seen = 0
        self.progbar = None

    def _bar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                   stateful_metrics=None, stateless_metrics=None)
            # All values jeras shows are running results already: display them as given.
            self.progbar._is_averaged = lambda name: False
        return self.progbar

    def on_train_begin(self, logs=None):
        self._train_step_count = self.target

    def on_epoch_begin(self, epoch, logs=None):
        self._reset()
        self.target = self._train_step_count
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_test_begin(self, logs=None):
        if not self._in_fit():
            self._reset()
            self.target = self.params.get("steps") if self.params else None

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit():
            self._update(batch, logs)

    def on_predict_begin(self, logs=None):
        self._reset()
        self.target = self.params.get("steps") if self.params else None

    def on_predict_batch_end(self, batch, logs=None):
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
        return model is not None and getattr(model, "_fitting", False)

    def _update(self, batch, logs):
        self._seen = batch + 1
        if self.verbose == 1:
            self._bar().update(self._seen, list((logs or {}).items()), finalize=False)
        else:
            self._bar()

    def _finish(self, logs):
        if not self.verbose:
            return
        if self.target is None:
            self.target = self._seen
            if self.progbar is not None:
                self.progbar.target = self._seen
        self._bar().update(self._seen, list((logs or {}).items()), finalize=True)
