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
        sync = getattr(model, "_state_sync", None)
        if sync is not None:
            sync.variables_current()
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


def batch_hook_needs(callback, mode, base=None):
    """What `callback`'s batch hooks for `mode` need from the loop: "nothing" (it overrides
    none beyond `base`'s), "logs" (each batch's logs, which may be delivered after a fused
    chunk of steps has run) or "model" (the live model between batches: one step per call).

    A callback declares "logs" with Keras's `async_safe = True`. Otherwise jeras reads the
    hooks' code: a hook that names `model`, `stop_training` or an optimizer, or refers to a
    layer, model, variable or optimizer object (as a global or a closure), or calls something
    it cannot read, needs the live model; one that only reads `logs` and keeps its own values
    (the guide's `LossHistory`) needs the logs."""
    base = base or Callback
    hooks = [hook for hook in _BATCH_HOOKS[mode] if _overrides(callback, hook, base)]
    if not hooks:
        return "nothing"
    if getattr(callback, "async_safe", False):
        return "logs"
    for hook in hooks:
        if _may_touch_model(getattr(callback, hook), type(callback), depth=0):
            return "model"
    return "logs"


def _overrides(callback, hook, base):
    return getattr(type(callback), hook, None) is not getattr(base, hook) or hook in vars(callback)


# Attribute and global names whose use means a hook works with the model, not only its logs.
_MODEL_NAMES = frozenset(
    {
        "model",
        "_model",
        "stop_training",
        "optimizer",
        "learning_rate",
        "weights",
        "get_weights",
        "set_weights",
        "save",
        "save_weights",
        "load_weights",
        "variables",
        "trainable_variables",
        "trainable_weights",
        "non_trainable_weights",
        "layers",
        "get_layer",
        "assign",
        "assign_add",
        "assign_sub",
    }
)
_MAX_DEPTH = 4
_BASE_METHODS = frozenset(dir(Callback))


def _may_touch_model(function, owner, depth):
    if depth > _MAX_DEPTH:
        return True
    function = getattr(function, "__func__", function)  # a bound method
    code = getattr(function, "__code__", None)
    if code is None:
        return True  # a builtin, a partial, a callable object: cannot be read
    if _code_names(code) & _MODEL_NAMES:
        return True
    referenced = [cell.cell_contents for cell in (function.__closure__ or ()) if _cell_filled(cell)]
    globals_ = getattr(function, "__globals__", {})
    referenced += [globals_[name] for name in _code_names(code) if name in globals_]
    # Helpers of the callback's own class, called as `self.helper(...)`.
    referenced += [
        getattr(owner, name)
        for name in _code_names(code)
        if callable(getattr(owner, name, None)) and name not in _BASE_METHODS
    ]
    for value in referenced:
        if _is_model_state(value):
            return True
        if (
            callable(value)
            and hasattr(getattr(value, "__func__", value), "__code__")
            and getattr(value, "__module__", "") != __name__
        ):
            if _may_touch_model(value, owner, depth + 1):
                return True
    return False


def _code_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):  # a nested function, lambda or comprehension
            names |= _code_names(const)
    return names


def _cell_filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _is_model_state(value):
    # Models, layers, optimizers and variables all carry one of these.
    return any(
        hasattr(type(value), name) for name in ("trainable_variables", "assign", "apply_gradients")
    )


def commit_variable_writes(model):
    """Hand values a callback wrote into `model`'s variables to the running compiled engine now,
    so the next step, the next validation pass and the loop's final write-back all use them.

    Reading `callback.model` during a loop first brings the variables up to date from the
    engine; call this after writing them (weights restored, moving averages swapped in)."""
    sync = getattr(model, "_state_sync", None)
    if sync is not None:
        sync.variables_written()


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
