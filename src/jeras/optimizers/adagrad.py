"""`Adagrad`: per-coordinate learning rates scaled by the accumulated squared gradients."""

import jax.numpy as jnp

from jeras.initializers import Constant
from jeras.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Per-parameter learning rates scaled by the inverse root of the sum of all squared gradients.

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: the starting value of every sum of squares; must not be negative
            (default 0.1).
        epsilon: a small constant added to the denominator for numerical stability (default 1e-7).
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables):
        super().build(variables)
        self.accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=Constant(self.initial_accumulator_value)
        )

    def update_step(self, gradient, variable, learning_rate):
        accumulator = self.accumulators[self._get_variable_index(variable)]
        accumulator.assign(accumulator.value + gradient * gradient)
        # Epsilon sits inside the square root, as in Keras (not added to it).
        variable.assign(
            variable.value - learning_rate * gradient / jnp.sqrt(accumulator.value + self.epsilon)
        )

    def get_config(self):
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
