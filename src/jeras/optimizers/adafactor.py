"""`Adafactor`: Adam-like steps with a factored (row x column) second moment for matrices,
relative step sizes and update clipping (Shazeer & Stern, 2018)."""

import jax.numpy as jnp

from jeras.optimizers.optimizer import Optimizer, _raw


def _rms(x):
    return jnp.sqrt(jnp.mean(jnp.square(x)))


class Adafactor(Optimizer):
    """Adam-like steps with a factored second moment, which saves memory on large weights.

    For a matrix, only the row and column averages of the squared gradients are stored.

    Args:
        learning_rate: default 0.001.
        beta_2_decay: the exponent of the step count in the second-moment decay,
            `beta_2 = 1 - step ** beta_2_decay` (default -0.8).
        epsilon_1: a small constant added to the squared gradients (default 1e-30).
        epsilon_2: the lower bound of the weight's root mean square by which the step is scaled
            (default 1e-3).
        clip_threshold: the largest root mean square an update may have before it is scaled down
            (default 1.0).
        relative_step: whether a constant learning rate is capped by `1 / sqrt(step)`; a schedule
            or callable is left alone (default True).
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, variables):
        super().build(variables)
        self.row_averages, self.column_averages, self.velocities = [], [], []
        for v in variables:
            if len(v.shape) < 2:
                # Vectors keep an unfactored second moment; Keras still creates (unused)
                # integer placeholders for the row/column statistics, named after the variable,
                # and so counts them among the optimizer's variables. So do we.
                row = self._add_bare_variable(0, dtype="int32", name=v.name)
                column = self._add_bare_variable(0, dtype="int32", name=v.name)
            else:
                row = self.add_variable(v.shape[:-1], dtype=v.dtype, name=v.name)
                column = self.add_variable(
                    v.shape[:-2] + (v.shape[-1],), dtype=v.dtype, name=v.name
                )
            self.row_averages.append(row)
            self.column_averages.append(column)
            self.velocities.append(self.add_variable_from_reference(v, "velocity"))

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        i = self._get_variable_index(variable)
        step = (_raw(self.iterations) + 1).astype(dtype)
        lr = learning_rate
        if self.relative_step and not callable(self._learning_rate):
            lr = jnp.minimum(lr, 1 / jnp.sqrt(step))
        rho = jnp.minimum(lr, 1 / jnp.sqrt(step))
        # The step is relative to the parameter scale (floored at epsilon_2), measured before
        # the update.
        alpha = jnp.maximum(jnp.asarray(self.epsilon_2, dtype), _rms(variable.value)) * rho
        squared = jnp.square(gradient) + self.epsilon_1
        beta_2 = 1 - jnp.power(step, self.beta_2_decay)
        v = self.velocities[i]
        if len(variable.shape) >= 2:
            row, column = self.row_averages[i], self.column_averages[i]
            row.assign(beta_2 * row.value + (1 - beta_2) * jnp.mean(squared, axis=-1))
            column.assign(beta_2 * column.value + (1 - beta_2) * jnp.mean(squared, axis=-2))
            # Rank-1 reconstruction of the second moment from its row and column means.
            row_fraction = row.value / jnp.mean(row.value, axis=-1, keepdims=True)
            v.assign(row_fraction[..., :, None] * column.value[..., None, :])
        else:
            v.assign(beta_2 * v.value + (1 - beta_2) * squared)
        u = gradient / jnp.sqrt(v.value)
        u_hat = u / jnp.maximum(jnp.asarray(1.0, dtype), _rms(u) / self.clip_threshold)
        variable.assign(variable.value - alpha * u_hat)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_2_decay": self.beta_2_decay,
            "epsilon_1": self.epsilon_1,
            "epsilon_2": self.epsilon_2,
            "clip_threshold": self.clip_threshold,
            "relative_step": self.relative_step,
        }
