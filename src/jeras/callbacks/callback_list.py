"""`CallbackList`: calls every callback's hook in order, sharing one logs dict per event."""

from jeras.callbacks.callback import Callback, batch_hook_needs
from jeras.callbacks.history import History
from jeras.callbacks.progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """Holds callbacks and calls each one's hook in order, with one shared logs dict per event.

    `fit`, `evaluate` and `predict` build one around the `callbacks` they are given.

    Args:
        callbacks: a `Callback`, or a (possibly nested) list of them (default None: empty).
        add_history: whether to append a `History` callback when none is in the list.
        add_progbar: whether to append a `ProgbarLogger` when none is in the list.
        model: if given, every callback's `model` is set to it.
        **params: if any, passed to every callback as its `params` (e.g. `epochs`, `steps`,
            `verbose`).
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        if add_history and not any(isinstance(c, History) for c in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        self._model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def batch_needs(self, mode):
        """What the callbacks need between batches of `mode`, the most of any one:
        "nothing", "logs" (every batch's logs, deliverable after a fused chunk) or "model"
        (the live model: one step per call); see `callback.batch_hook_needs`. The progress
        bar and History need nothing (they draw or keep whatever batch they are given); a
        subclass of either needs what its own batch hooks need."""
        order = ("nothing", "logs", "model")
        needs = "nothing"
        for callback in self.callbacks:
            base = next(
                (cls for cls in (ProgbarLogger, History) if isinstance(callback, cls)), Callback
            )
            need = batch_hook_needs(callback, mode, base)
            if order.index(need) > order.index(needs):
                needs = need
        return needs

    # Keras hands every hook a dict, never None, so callbacks may index `logs` directly; batch
    # hooks get it by keyword and the others positionally, as Keras calls them.
    def _call(self, hook, *args, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def _call_batch(self, hook, batch, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        self._call_batch("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call_batch("on_batch_end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)


def _flatten(callbacks):
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    out = []
    for c in callbacks:
        if isinstance(c, (list, tuple)):
            out.extend(_flatten(c))
        elif isinstance(c, Callback):
            out.append(c)
        else:
            raise ValueError(
                f"`callbacks` must contain keras.callbacks.Callback instances, got "
                f"{type(c).__name__}: {c!r}"
            )
    return out
