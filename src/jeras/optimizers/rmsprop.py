"""`RMSprop`: divides the gradient by a running root mean square of recent gradients."""

import jax

from jeras.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """Divides the gradient by a moving root mean square of recent gradients.

    Args:
        learning_rate: default 0.001.
        rho: the discount factor of the moving average of squared gradients (default 0.9).
        momentum: if above 0, the scaled updates are accumulated with this momentum (default 0.0).
        epsilon: a small constant in the denominator for numerical stability (default 1e-7).
        centered: whether to also subtract the square of the moving average of the gradients, so the
            gradient is divided by an estimate of its variance rather than its second moment.
    """

    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build(self, variables):
        super().build(variables)
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]
        self.momentums = (
            [self.add_variable_from_reference(v, "momentum") for v in variables]
            if self.momentum > 0
            else []
        )
        self.average_gradients = (
            [self.add_variable_from_reference(v, "average_gradient") for v in variables]
            if self.centered
            else []
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        velocity = self.velocities[i]
        rho = self.rho
        velocity.assign(rho * velocity.value + (1 - rho) * gradient * gradient)
        if self.centered:
            average = self.average_gradients[i]
            average.assign(rho * average.value + (1 - rho) * gradient)
            denominator = velocity.value - average.value * average.value + self.epsilon
        else:
            denominator = velocity.value + self.epsilon
        increment = learning_rate * gradient * jax.lax.rsqrt(denominator)
        if self.momentum > 0:
            momentum = self.momentums[i]
            momentum.assign(self.momentum * momentum.value + increment)
            variable.assign(variable.value - momentum.value)
        else:
            variable.assign(variable.value - increment)

    def get_config(self):
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
