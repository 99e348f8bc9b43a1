"""`TerminateOnNaN`: stops training at the first batch whose loss is NaN or infinite."""

import numpy as np

from jeras.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite.

    Args:
        raise_error: raise a `RuntimeError` instead of setting `model.stop_training` (which
            ends training after the current batch, still running `on_train_end`).
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = np.asarray(loss)
        if np.isnan(loss).any() or np.isinf(loss).any():
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
