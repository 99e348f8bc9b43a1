"""`Callback`: hooks called by `fit`, `evaluate` and `predict`."""


class Callback:
    """Base class of callbacks. Override any hook; `self.model` and `self.params` are set by the
    training loop. Reading `self.model` brings the model's variables up to date first, so
    weights read from a callback are always current."""

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        model = self._model
        if model is not None and hasattr(model, "_sync_variables_from_engine"):
            engine = getattr(model, "_engine", None)
            state = getattr(engine, "state", None)
            # Sync only when the engine has run since the variables last matched its state:
            # syncing again would overwrite values a callback has written since.
            if state is None or getattr(model, "_state_in_variables", None) is not state:
                model._sync_variables_from_engine()
                if getattr(model, "_engine_loop_running", False):
                    model._state_in_variables = state
        return model

    # Batch hooks in Keras fall back to the generic `on_batch_*` during training.
    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass


_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def overrides_batch_hooks(callback, mode, base=None):
    """Whether `callback` overrides a batch-level hook for `mode` ("train"/"test"/"predict")
    beyond those of `base` (`Callback` by default)."""
    base = base or Callback
    cls = type(callback)
    for hook in _BATCH_HOOKS[mode]:
        if getattr(cls, hook, None) is not getattr(base, hook):
            return True
        if hook in vars(callback):
            return True
    return False


def commit_variable_writes(model):
    """Hand values a callback wrote into `model`'s variables to the running compiled engine now,
    so the next step, the next validation pass and the loop's final write-back all use them.

    Reading `callback.model` during a loop first brings the variables up to date from the
    engine; call this after writing them (weights restored, moving averages swapped in)."""
    engine = getattr(model, "_engine", None)
    if engine is None or getattr(engine, "state", None) is None:
        return
    engine.pull()
    model._engine_dirty = False
    model._state_in_variables = engine.state


def save_freq_reached(callback, batch):
    """Whether `callback.save_freq` (an int) batches have run since its last batch-level save,
    counting on `callback._last_batch_seen` (None before the first batch) and
    `callback._batches_seen_since_last_saving`. Batch indices restart every epoch, so a batch
    not after the last one seen starts a new epoch. Shared by ModelCheckpoint and
    BackupAndRestore."""
    if callback.save_freq == "epoch":
        return False
    last = callback._last_batch_seen
    ran = batch + 1 if last is None or batch <= last else batch - last
    callback._batches_seen_since_last_saving += ran
    callback._last_batch_seen = batch
    if callback._batches_seen_since_last_saving >= callback.save_freq:
        callback._batches_seen_since_last_saving = 0
        return True
    return False
