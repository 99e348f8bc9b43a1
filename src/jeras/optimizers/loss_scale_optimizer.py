"""`LossScaleOptimizer`: dynamic loss scaling for float16 training, as Keras's.

float16 gradients underflow to zero; multiplying the loss by a large scale before
differentiation keeps them representable. Each step the gradients are divided by the scale
again and checked: when all are finite the wrapped optimizer applies them (and after
`dynamic_growth_steps` such steps in a row the scale doubles); when any is inf or NaN the step is
skipped (variables, the wrapped optimizer's state and its step count unchanged) and the scale
halves. Both outcomes are computed and one is selected, so the step stays one compiled program.
"""

import jax.numpy as jnp

from jeras import initializers
from jeras.optimizers.optimizer import Optimizer
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object

# Arguments of the base optimizer that a LossScaleOptimizer does not take (they belong on the
# inner optimizer), with the defaults older saved configs carry.
_INNER_ONLY_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}


class LossScaleOptimizer(Optimizer):
    """Wraps an optimizer with dynamic loss scaling (used automatically by `compile` under the
    `"mixed_float16"` policy).

    Args:
        inner_optimizer: the optimizer that applies the unscaled gradients.
        initial_scale: the first loss scale (default `2**15`).
        dynamic_growth_steps: after this many finite steps in a row the scale doubles
            (default 2000).
        name: the optimizer's name.
    """

    def __init__(
        self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs
    ):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer: `dynamic=False` is not supported; set `loss_scale_factor` "
                "on the inner optimizer for a fixed scale."
            )
        for key, default in _INNER_ONLY_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise ValueError(
                    f"LossScaleOptimizer does not take `{key}`: set it on the inner optimizer."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer: unrecognized arguments {sorted(kwargs)}.")
        if isinstance(inner_optimizer, dict):
            inner_optimizer = deserialize_keras_object(inner_optimizer)
        if not isinstance(inner_optimizer, Optimizer):
            raise ValueError(
                "LossScaleOptimizer: `inner_optimizer` must be an optimizer instance, got "
                f"{type(inner_optimizer).__name__}."
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        # The inner optimizer must not scale a second time.
        inner_optimizer.loss_scale_factor = None

    def build(self, variables):
        self.step_counter = self.add_variable(
            (), initializer="zeros", dtype="int32", name="step_counter"
        )
        self.dynamic_scale = self.add_variable(
            (),
            initializer=initializers.Constant(self.initial_scale),
            dtype="float32",
            name="dynamic_scale",
        )
        if not self.inner_optimizer.built:
            self.inner_optimizer.build(variables)
        super().build(variables)

    @property
    def variables(self):
        return super().variables + self.inner_optimizer.variables

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    def scale_loss(self, loss):
        scale = self.dynamic_scale.value if self.built else self.initial_scale
        return loss * scale

    def apply(self, grads, trainable_variables=None):
        if trainable_variables is None:
            raise ValueError("LossScaleOptimizer.apply needs the list of `trainable_variables`.")
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        grads = list(grads)
        present = [g for g in grads if g is not None]
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in present]))
        scale = self.dynamic_scale.value
        inner_state = self.inner_optimizer.variables
        before = [v.value for v in trainable_variables] + [v.value for v in inner_state]
        unscaled = [
            None if g is None or v.overwrite_with_gradient else g / scale.astype(g.dtype)
            for g, v in zip(grads, trainable_variables)
        ]
        self.inner_optimizer.apply(unscaled, trainable_variables)
        # A skipped step leaves the variables and the inner optimizer exactly as they were.
        for variable, old in zip(trainable_variables + inner_state, before):
            variable.assign(jnp.where(finite, variable.value, old))
        counter = self.step_counter.value
        grow = finite & (counter == self.dynamic_growth_steps - 1)
        self.dynamic_scale.assign(
            jnp.where(grow, scale * 2.0, jnp.where(finite, scale, scale * 0.5))
        )
        self.step_counter.assign(jnp.where(finite & ~grow, counter + 1, 0))

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": serialize_keras_object(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["inner_optimizer"] = deserialize_keras_object(
            config["inner_optimizer"], custom_objects=custom_objects
        )
        return cls(**config)
