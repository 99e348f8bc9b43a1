"""`OptaxOptimizer`: runs an optax `GradientTransformation` as a jeras `Optimizer`.

optax keeps its state in a pytree that `update` returns anew each step. Here each leaf of that
pytree lives in a non-trainable `Variable`, so the state travels with the optimizer's other
variables through `stateless_apply` (and so through the compiled `fit` step, gradient
accumulation, EMA and `save_own_variables`). The pytree is rebuilt from those variables on every
step. optax itself is never imported: any object with callable `init` and `update` works.
"""

import re

import jax
import jax.numpy as jnp

from jeras.backend.variable import Variable
from jeras.optimizers.optimizer import Optimizer


def is_gradient_transformation(obj):
    """Duck typing for optax's `GradientTransformation` (a named tuple `(init, update)`)."""
    return (
        not isinstance(obj, (Optimizer, str, dict))
        and callable(getattr(obj, "init", None))
        and callable(getattr(obj, "update", None))
    )


class OptaxOptimizer(Optimizer):
    """Wraps an optax transformation, e.g. `OptaxOptimizer(optax.adamw(1e-3))`.

    The transformation's output is the update itself (it already holds its learning rate);
    `learning_rate` (default 1.0) only scales it: `theta += learning_rate * update`. So the
    common arguments work as for any optimizer (clipping, EMA, accumulation, ...), but note that
    `weight_decay` uses this multiplier as its learning rate.

    A variable whose gradient is None is left unchanged, but optax sees a zero gradient for it
    (its pytree must keep one structure), so stateful transformations still advance their
    state for it.
    """

    def __init__(self, transformation, learning_rate=1.0, **kwargs):
        if not is_gradient_transformation(transformation):
            raise ValueError(
                "`transformation` must be an optax GradientTransformation (an object with "
                f"callable `init` and `update`). Received: {transformation!r}"
            )
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.transformation = transformation
        self._state_variables = []
        self._state_treedef = None

    def build(self, variables):
        super().build(variables)
        state = self.transformation.init([v.value for v in variables])
        leaves, self._state_treedef = jax.tree_util.tree_flatten_with_path(state)
        for key_path, leaf in leaves:
            leaf = jnp.asarray(leaf)
            key = re.sub(r"[^0-9A-Za-z]+", "_", jax.tree_util.keystr(key_path)).strip("_")
            variable = Variable(
                leaf,
                dtype=leaf.dtype,
                trainable=False,
                name=f"optax_state_{key}" if key else "optax_state",
            )
            variable.path = f"{self.name}/{variable.name}"
            self._slots.append(variable)
            self._state_variables.append(variable)

    def _backend_update_step(self, grads, variables, lr):
        given = {id(v): g for g, v in zip(grads, variables)}
        params = [v.value for v in self._trainable_variables]
        full_grads = [
            given[id(v)].astype(v.dtype) if id(v) in given else jnp.zeros_like(p)
            for v, p in zip(self._trainable_variables, params)
        ]
        state = jax.tree_util.tree_unflatten(
            self._state_treedef, [s.value for s in self._state_variables]
        )
        updates, new_state = self.transformation.update(full_grads, state, params)
        for s, value in zip(self._state_variables, self._state_treedef.flatten_up_to(new_state)):
            s.assign(value)
        for v, p, u in zip(self._trainable_variables, params, updates):
            if id(v) in given:
                v.assign(p + lr.astype(v.dtype) * jnp.asarray(u, v.dtype))

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(
            "OptaxOptimizer updates all variables at once; see `_backend_update_step`."
        )

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # The config cannot hold the transformation (functions closed over hyperparameters).
        raise ValueError(
            "An OptaxOptimizer cannot be rebuilt from its config: the optax "
            "transformation is not serializable. Create it again in code."
        )
