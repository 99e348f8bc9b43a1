"""`Nadam`: Adam with Nesterov momentum (Dozat), using a momentum schedule
`mu_t = beta_1 * (1 - 0.5 * 0.96**t)` whose running product is per-step state."""

import jax.numpy as jnp

from jeras.backend import config
from jeras.optimizers.optimizer import Optimizer, _raw


class Nadam(Optimizer):
    """Adam with Nesterov momentum: the update uses the momentum estimate one step ahead.

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
        dtype = variables[0].dtype if variables else config.floatx()
        # Keras makes this one with a plain auto-named Variable ("variable", "variable_1", ...)
        # after the slots; the same name and position keep `variables` aligned with Keras's.
        self._u_product = self._add_bare_variable(1.0, dtype=dtype)

    def _mu(self, step, dtype):
        return self.beta_1 * (1.0 - 0.5 * jnp.power(jnp.asarray(0.96, dtype), step))

    def _before_updates(self):
        # The product of the momentum schedule advances once per step, before any variable's
        # update, so every variable sees the same product.
        dtype = self._u_product.dtype
        step = (_raw(self.iterations) + 1).astype(dtype)
        self._u_product.assign(
            self._u_product.value * self.beta_1 * (1.0 - 0.5 * jnp.power(0.96, step))
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        i = self._get_variable_index(variable)
        m, v = self.momentums[i], self.velocities[i]
        iterations = _raw(self.iterations)
        step = (iterations + 1).astype(dtype)
        u_t = self._mu(step, dtype)
        u_t_next = self._mu((iterations + 2).astype(dtype), dtype)
        u_product = self._u_product.value.astype(dtype)
        u_product_next = u_product * u_t_next
        # Unlike Adam, Keras's Nadam takes `1 - beta` from the betas already cast to the
        # variable's dtype (1 - float32(0.999) is not float32(0.001)); so do we.
        beta_1, beta_2 = jnp.asarray(self.beta_1, dtype), jnp.asarray(self.beta_2, dtype)
        beta_2_power = jnp.power(beta_2, step)
        m.assign(m.value + (gradient - m.value) * (1 - beta_1))
        v.assign(v.value + (gradient * gradient - v.value) * (1 - beta_2))
        m_hat = u_t_next * m.value / (1 - u_product_next) + (1 - u_t) * gradient / (1 - u_product)
        v_hat = v.value / (1 - beta_2_power)
        variable.assign(variable.value - m_hat * learning_rate / (jnp.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }
