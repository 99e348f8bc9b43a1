"""`Adamax`: the infinity-norm variant of Adam."""

import jax.numpy as jnp

from jeras.optimizers.optimizer import Optimizer, _raw


class Adamax(Optimizer):
    """A variant of Adam that divides by an exponentially weighted infinity norm of the gradients.

    Args:
        learning_rate: default 0.001.
        beta_1: the decay rate of the first-moment estimate (default 0.9).
        beta_2: the decay rate of the weighted infinity norm (default 0.999).
        epsilon: a small constant added to the denominator for numerical stability (default 1e-7).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build(self, variables):
        super().build(variables)
        self.momentums, self.norms = self.add_optimizer_variables(variables, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, u = self.momentums[i], self.norms[i]
        step = (_raw(self.iterations) + 1).astype(variable.dtype)
        beta_1_power = jnp.power(jnp.asarray(self.beta_1, variable.dtype), step)
        m.assign(m.value + (gradient - m.value) * (1 - self.beta_1))
        u.assign(jnp.maximum(self.beta_2 * u.value, jnp.abs(gradient)))
        # Only the first moment is bias-corrected; the max-norm needs no correction.
        variable.assign(
            variable.value
            - learning_rate * m.value / ((1 - beta_1_power) * (u.value + self.epsilon))
        )

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
