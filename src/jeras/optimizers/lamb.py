"""`Lamb`: Adam's direction rescaled per variable by the trust ratio ||theta|| / ||update||."""

import jax.numpy as jnp

from jeras.optimizers.optimizer import Optimizer, _raw


class Lamb(Optimizer):
    """Layer-wise adaptive large-batch optimization: Adam's direction, rescaled per variable by the
    ratio of the weight norm to the update norm (the trust ratio).

    Args:
        learning_rate: default 0.001.
        beta_1: the decay rate of the first-moment estimate (default 0.9).
        beta_2: the decay rate of the second-moment estimate (default 0.999).
        epsilon: a small constant added to the denominator for numerical stability (default 1e-7).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        super().build(variables)
        self.momentums, self.velocities = self.add_optimizer_variables(
            variables, ["momentum", "velocity"]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self.momentums[i], self.velocities[i]
        dtype = variable.dtype
        step = (_raw(self.iterations) + 1).astype(dtype)
        beta_1_power = jnp.power(jnp.asarray(self.beta_1, dtype), step)
        beta_2_power = jnp.power(jnp.asarray(self.beta_2, dtype), step)
        m.assign(m.value + (gradient - m.value) * (1 - self.beta_1))
        v.assign(v.value + (gradient * gradient - v.value) * (1 - self.beta_2))
        update = (m.value / (1.0 - beta_1_power)) / (
            jnp.sqrt(v.value / (1.0 - beta_2_power)) + self.epsilon
        )
        w_norm = jnp.sqrt(jnp.sum(jnp.square(variable.value)))
        u_norm = jnp.sqrt(jnp.sum(jnp.square(update)))
        # A zero weight or zero update norm falls back to a plain Adam-like step (ratio 1).
        safe_u_norm = jnp.where(u_norm > 0, u_norm, 1.0)
        ratio = jnp.where((w_norm > 0) & (u_norm > 0), w_norm / safe_u_norm, 1.0)
        variable.assign(variable.value - ratio * learning_rate * update)

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
