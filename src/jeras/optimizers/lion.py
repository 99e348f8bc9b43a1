"""`Lion`: sign-of-interpolated-momentum updates (Chen et al., 2023)."""

import jax.numpy as jnp

from jeras.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Evolved sign momentum: each update element is `learning_rate` times a sign.

    The sign is that of an interpolation of momentum and gradient. It usually wants a smaller
    learning rate than Adam.

    Args:
        learning_rate: default 0.001.
        beta_1: the weight of the momentum against the gradient inside the sign, in `(0, 1]`
            (default 0.9).
        beta_2: the decay rate of the momentum itself (default 0.99).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2 = beta_1, beta_2
        if beta_1 <= 0 or beta_1 > 1:
            # beta_1 = 0 makes the update the sign of the raw gradient: plain SignSGD.
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the "
                f"optimizer degenerates to SignSGD. Received: beta_1={beta_1}."
            )

    def build(self, variables):
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        dtype = variable.dtype
        beta_1, beta_2 = jnp.asarray(self.beta_1, dtype), jnp.asarray(self.beta_2, dtype)
        # The step interpolates with beta_1; the stored momentum then tracks with beta_2.
        variable.assign(
            variable.value - learning_rate * jnp.sign(m.value * beta_1 + gradient * (1.0 - beta_1))
        )
        m.assign(m.value * beta_2 + gradient * (1.0 - beta_2))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
