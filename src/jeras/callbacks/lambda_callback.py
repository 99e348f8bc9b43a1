"""`LambdaCallback`: a callback assembled from plain functions."""

from jeras.callbacks.callback import Callback


class LambdaCallback(Callback):
    """Build a callback from functions, each replacing the hook of the same name.

    Args:
        on_epoch_begin, on_epoch_end: called with `(epoch, logs)`.
        on_train_begin, on_train_end: called with `(logs)`.
        on_train_batch_begin, on_train_batch_end: called with `(batch, logs)`.
        **kwargs: other attributes to set, including any other hook by its name (e.g.
            `on_test_end=lambda logs: ...`).
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
