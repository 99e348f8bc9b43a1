"""`History`: records every epoch's logs; `fit()` returns it."""

from jeras.callbacks.callback import Callback


class History(Callback):
    """Records the logs of every epoch; `fit()` returns it and sets it as `model.history`.

    After training, `history.history` maps each log key to its list of per-epoch values and
    `history.epoch` lists the epoch indices. It takes no arguments.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def set_model(self, model):
        super().set_model(model)
        model.history = self
