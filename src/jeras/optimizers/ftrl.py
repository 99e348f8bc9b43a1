"""`Ftrl`: Follow The Regularized Leader (McMahan et al.), with L1, L2 and L2-shrinkage."""

import jax.numpy as jnp

from jeras.initializers import Constant
from jeras.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """Follow The Regularized Leader, for large sparse linear models; with L1 and L2 terms.

    Args:
        learning_rate: default 0.001.
        learning_rate_power: how fast the per-coordinate rate falls as squared gradients
            accumulate; zero or negative, 0 keeping it fixed (default -0.5).
        initial_accumulator_value: the starting value of the sums of squared gradients; zero or
            positive (default 0.1).
        l1_regularization_strength: the L1 penalty, zero or positive (default 0.0).
        l2_regularization_strength: the L2 penalty of the FTRL objective, zero or positive
            (default 0.0).
        l2_shrinkage_regularization_strength: an L2 penalty added to the gradient itself (magnitude
            shrinkage) before the accumulators see it; zero or positive (default 0.0).
        beta: the `beta` of the FTRL-Proximal paper; it adds `beta / (2 * learning_rate)` to the L2
            strength (default 0.0).
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **kwargs,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        for arg, value in (
            ("initial_accumulator_value", initial_accumulator_value),
            ("learning_rate_power", -learning_rate_power),
            ("l1_regularization_strength", l1_regularization_strength),
            ("l2_regularization_strength", l2_regularization_strength),
            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength),
        ):
            if value < 0.0:
                # The power is the one argument that must be <= 0 (it is negated above).
                wanted = "negative" if arg == "learning_rate_power" else "positive"
                raise ValueError(
                    f"`{arg}` needs to be {wanted} or zero. Received: "
                    f"{arg}={-value if wanted == 'negative' else value}."
                )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables):
        super().build(variables)
        self.accumulators, self.linears = self.add_optimizer_variables(
            variables,
            ["accumulator", "linear"],
            initializer=[Constant(self.initial_accumulator_value), "zeros"],
        )

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        accum, linear = self.accumulators[i], self.linears[i]
        power = -self.learning_rate_power
        l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        # Shrinkage enters only the linear term's gradient, not the accumulator.
        shrunk_gradient = gradient + 2 * self.l2_shrinkage_regularization_strength * variable.value
        new_accum = accum.value + gradient * gradient
        sigma = (jnp.power(new_accum, power) - jnp.power(accum.value, power)) / learning_rate
        linear.assign(linear.value + (shrunk_gradient - sigma * variable.value))
        quadratic = jnp.power(new_accum, power) / learning_rate + 2 * l2
        l1 = self.l1_regularization_strength
        # Closed-form argmin: zero inside the L1 band, otherwise the shrunk linear term.
        variable.assign((jnp.clip(linear.value, -l1, l1) - linear.value) / quadratic)
        accum.assign(new_accum)

    def get_config(self):
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
