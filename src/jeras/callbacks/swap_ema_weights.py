"""`SwapEMAWeights`: evaluates and predicts with the optimizer's moving averages of the weights."""

import jax.numpy as jnp

from jeras.callbacks.callback import Callback, commit_variable_writes


class SwapEMAWeights(Callback):
    """Swap the optimizer's exponential moving averages of the weights into the model for
    evaluation and prediction (including validation inside `fit`), and swap the trained weights
    back afterwards. Needs an optimizer built with `use_ema=True`.

    Args:
        swap_on_epoch: also swap the averages in at the end of every epoch, so that callbacks
            listed after this one (e.g. `ModelCheckpoint`) see them, and back at the start of
            the next. After the last epoch the model keeps the averages.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            if self.params and epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs=None):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_predict_end(self, logs=None):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    # -- the swap ------------------------------------------------------------------------------
    def _pairs(self):
        optimizer = self.model.optimizer
        if optimizer is None or not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                f"Received: use_ema={getattr(optimizer, 'use_ema', False)}"
            )
        return list(
            zip(
                getattr(optimizer, "_trainable_variables", []),
                getattr(optimizer, "_ema_averages", []),
            )
        )

    def _swap_variables(self):
        model = self.model
        pairs = self._pairs()
        for variable, average in pairs:
            trained = variable.value
            variable.assign(average.value)
            average.assign(trained)
        commit_variable_writes(model)

    def _finalize_ema_values(self):
        for variable, average in self._pairs():
            # A copy: the compiled engine donates its state, so two variables must never share
            # one buffer.
            average.assign(jnp.copy(variable.value))
        commit_variable_writes(self._model)
