"""`Adam`: adaptive moment estimation, with the optional AMSGrad variant."""

import jax.numpy as jnp

from jeras.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adaptive moment estimation: bias-corrected moving averages of the gradient and its square.

    Args:
        learning_rate: default 0.001.
        beta_1: the decay rate of the first-moment (mean) estimate (default 0.9).
        beta_2: the decay rate of the second-moment (uncentered variance) estimate (default 0.999).
        epsilon: a small constant added to the denominator for numerical stability (default 1e-7).
        amsgrad: whether to divide by the largest second-moment estimate seen so far (the AMSGrad
            variant) instead of the current one.
    """

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, variables):
        super().build(variables)
        self.momentums, self.velocities = [], []
        for v in variables:
            self.momentums.append(self.add_variable_from_reference(v, "momentum"))
            self.velocities.append(self.add_variable_from_reference(v, "velocity"))
        self.velocity_hats = (
            [self.add_variable_from_reference(v, "velocity_hat") for v in variables]
            if self.amsgrad
            else []
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self.momentums[i], self.velocities[i]
        # `iterations`, not `_iterations`: under gradient accumulation Keras counts updates.
        iterations = self.iterations
        iterations = iterations.value if hasattr(iterations, "value") else iterations
        step = (iterations + 1).astype(variable.dtype)
        beta_1_power = jnp.power(jnp.asarray(self.beta_1, variable.dtype), step)
        beta_2_power = jnp.power(jnp.asarray(self.beta_2, variable.dtype), step)
        alpha = learning_rate * jnp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m.assign(m.value + (gradient - m.value) * (1 - self.beta_1))
        v.assign(v.value + (gradient * gradient - v.value) * (1 - self.beta_2))
        second = v.value
        if self.amsgrad:
            v_hat = self.velocity_hats[i]
            v_hat.assign(jnp.maximum(v_hat.value, v.value))
            second = v_hat.value
        variable.assign(variable.value - alpha * m.value / (jnp.sqrt(second) + self.epsilon))

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
