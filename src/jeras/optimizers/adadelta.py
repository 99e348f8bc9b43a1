"""`Adadelta`: step sizes from running averages of squared gradients and squared updates."""

import jax.numpy as jnp

from jeras.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Scales each step by the ratio of moving root mean squares of past updates and of gradients.

    Args:
        learning_rate: default 0.001 (the original method uses 1.0).
        rho: the decay rate of both moving averages (default 0.95).
        epsilon: a small constant that keeps both roots away from zero (default 1e-7).
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, variables):
        super().build(variables)
        self.accumulated_grads, self.accumulated_delta_vars = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"]
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        avg_grad, avg_delta = self.accumulated_grads[i], self.accumulated_delta_vars[i]
        rho = self.rho
        avg_grad.assign(rho * avg_grad.value + (1 - rho) * jnp.square(gradient))
        # The step uses the delta average from *before* this update (the unit-matching ratio).
        delta = -(
            jnp.sqrt(avg_delta.value + self.epsilon)
            * gradient
            / jnp.sqrt(avg_grad.value + self.epsilon)
        )
        avg_delta.assign(rho * avg_delta.value + (1 - rho) * jnp.square(delta))
        variable.assign(variable.value + learning_rate * delta)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
