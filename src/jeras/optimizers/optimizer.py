"""`Optimizer` base class: Keras's common arguments (clipping, weight decay, EMA, loss scaling),
state in variables, and a stateless `stateless_apply` for the compiled training step."""

import re

import jax
import jax.numpy as jnp
import numpy as np

from jeras import initializers
from jeras.backend import distribution_state
from jeras.backend.config import floatx
from jeras.backend.naming import auto_name
from jeras.backend.state_scope import StateScope
from jeras.backend.variable import Variable
from jeras.optimizers.schedules.learning_rate_schedule import LearningRateSchedule, serialize
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object


def _raw(value):
    return value.value if isinstance(value, Variable) else value


class Optimizer:
    """Base class of all optimizers; subclasses implement `build(variables)` and
    `update_step(gradient, variable, learning_rate)`.

    The arguments below are shared by every optimizer; each subclass documents only its own.

    Args:
        learning_rate: a Python float, a `LearningRateSchedule` (called with the step count), or a
            callable of no arguments returning the rate.
        weight_decay: if set, every variable not excluded with `exclude_from_weight_decay` shrinks
            by `variable * weight_decay * learning_rate` before its update (decoupled decay).
        clipnorm: if set, each gradient is rescaled so its own L2 norm is at most this value.
        clipvalue: if set, each gradient element is clipped into `[-clipvalue, clipvalue]`.
        global_clipnorm: if set, all gradients are rescaled together so the norm of their
            concatenation is at most this value. At most one of the three clipping arguments.
        use_ema: whether to keep an exponential moving average of the model's weights (default
            False); `SwapEMAWeights` or `finalize_variable_values` puts it in the model.
        ema_momentum: the weight of the old average at each update, in `[0, 1]` (default 0.99).
        ema_overwrite_frequency: every this many steps, copy the averages into the variables
            (default None: only when training ends).
        loss_scale_factor: if set, the loss is multiplied by it before differentiation and the
            gradients divided by it afterwards (guards float16 gradients against underflow).
        gradient_accumulation_steps: if set (an integer >= 2), gradients are averaged over this
            many batches and applied once per that many steps.
        name: the optimizer's name (snake_case of the class name by default); it prefixes the paths
            of its variables.
    """

    # A model holding an optimizer as an attribute carries its variables in the training state.
    is_keras_optimizer = True

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        kwargs.pop("decay", None)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        self.name = name or auto_name(self)
        if sum(x is not None for x in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        if gradient_accumulation_steps is not None:
            if not isinstance(gradient_accumulation_steps, int) or gradient_accumulation_steps < 2:
                raise ValueError(
                    "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                    f"gradient_accumulation_steps={gradient_accumulation_steps}"
                )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1], got {ema_momentum}.")
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None, got "
                    f"{ema_overwrite_frequency}."
                )
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._exclude_names = None
        self._exclude_ids = set()
        self._iterations = Variable(0, dtype="int32", trainable=False, name="iteration")
        self._iterations.path = f"{self.name}/iteration"
        self._set_learning_rate_object(learning_rate)
        self._slots = []
        self._ema_averages = []
        self._accumulators = []
        self._variable_indices = {}
        self._trainable_variables = []
        # True while `apply` builds the optimizer: Keras builds there under the optimizer's name
        # scope, so even variables created without `add_variable` get its name as a prefix.
        self._building_in_scope = False
        self.built = False

    # -- learning rate -------------------------------------------------------------------------
    def _set_learning_rate_object(self, learning_rate):
        if isinstance(learning_rate, LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Variable)
        ):
            self._learning_rate = learning_rate
            return
        if isinstance(learning_rate, Variable):
            learning_rate = float(learning_rate.value)
        if not isinstance(learning_rate, float) or isinstance(learning_rate, bool):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of "
                "LearningRateSchedule, or a callable (that takes in the current iteration value "
                f"and returns the corresponding learning rate value). Received instead: "
                f"learning_rate={learning_rate!r} of type {type(learning_rate).__name__}"
            )
        self._learning_rate = Variable(
            learning_rate, dtype="float32", trainable=False, name="learning_rate"
        )
        self._learning_rate.path = f"{self.name}/learning_rate"

    @property
    def learning_rate(self):
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, Variable) and not callable(value):
            self._learning_rate.assign(float(value))
            return
        if isinstance(value, (LearningRateSchedule,)) or callable(value):
            self._learning_rate = value
            return
        raise TypeError(
            "This optimizer was created with a `LearningRateSchedule` object as its "
            "`learning_rate` constructor argument, hence its learning rate is not settable. "
            "Pass a float learning rate instead, or a new schedule."
        )

    def _current_learning_rate(self):
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr.value
        if isinstance(lr, LearningRateSchedule):
            return jnp.asarray(lr(self._iterations.value), dtype="float32")
        return jnp.asarray(lr(), dtype="float32")

    @property
    def iterations(self):
        # As Keras: with gradient accumulation this counts applied updates, not calls.
        if self.gradient_accumulation_steps:
            return self._iterations.value // self.gradient_accumulation_steps
        return self._iterations

    # -- state ---------------------------------------------------------------------------------
    @property
    def variables(self):
        out = [self._iterations]
        if isinstance(self._learning_rate, Variable):
            out.append(self._learning_rate)
        return out + self._ema_averages + self._accumulators + self._slots

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", name=None):
        variable = Variable(
            initializers.get(initializer),
            shape=tuple(shape),
            dtype=dtype or floatx(),
            trainable=False,
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._slots.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot shaped like `reference_variable`, named `<path with _ for />_<name>`."""
        name = name or "var"
        base = reference_variable.path.replace("/", "_")

        variable = Variable(
            initializers.get(initializer),
            shape=reference_variable.shape,
            dtype=reference_variable.dtype,
            trainable=False,
            name=f"{base}_{name}",
        )
        variable.path = f"{self.name}/{base}_{name}"
        # A slot lives where its model variable does (its path matches no layout map key).
        if distribution_state.current_distribution() is not None:
            variable._layout = distribution_state.current_distribution().get_variable_layout(
                reference_variable
            )
            variable._value = distribution_state.place(
                variable._value, distribution_state.variable_sharding(variable)
            )
        self._slots.append(variable)
        return variable

    def add_optimizer_variables(self, variables, names, initializer="zeros"):
        """Slots for every variable, interleaved per variable as Keras creates them
        (`a_momentum, a_velocity, b_momentum, ...`). `names` a string gives one list; a list of
        names gives a tuple of lists. `initializer` may be one for all or a list, one per name."""
        single = isinstance(names, str)
        names = [names] if single else list(names)
        initializers_ = (
            initializer if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        )
        if len(initializers_) != len(names):
            raise ValueError(
                f"The number of provided names must match the number of provided initializers. "
                f"Received name={names}, initializer={initializer}"
            )
        out = tuple([] for _ in names)
        for v in variables:
            for slots, name, init in zip(out, names, initializers_):
                slots.append(self.add_variable_from_reference(v, name, initializer=init))
        return out[0] if single else out

    def _add_bare_variable(self, value, dtype=None, name=None):
        """A state variable made directly (not through `add_variable`), as some Keras optimizers
        do: its path carries the optimizer's name only when `apply` builds (see
        `_building_in_scope`); `fit` builds outside that scope, leaving the bare name."""
        variable = Variable(value, dtype=dtype, trainable=False, name=name)
        if self._building_in_scope:
            variable.path = f"{self.name}/{variable.name}"
        self._slots.append(variable)
        return variable

    def build(self, variables):
        """Create per-variable state; subclasses call `super().build(variables)` first."""
        if self.use_ema:
            for v in variables:
                avg = Variable(
                    v.value,
                    dtype=v.dtype,
                    trainable=False,
                    name=f"{v.path.replace('/', '_')}_average",
                )
                avg.path = f"{self.name}/{avg.name}"
                self._ema_averages.append(avg)
        if self.gradient_accumulation_steps:
            for v in variables:
                acc = Variable(
                    jnp.zeros(v.shape, v.dtype),
                    trainable=False,
                    name=f"{v.path.replace('/', '_')}_gradient_accumulator",
                )
                acc.path = f"{self.name}/{acc.name}"
                self._accumulators.append(acc)
        # A dict, so that finding a variable's slots is O(1) per update, not O(#variables).
        self._variable_indices = {id(v): i for i, v in enumerate(variables)}
        self._trainable_variables = list(variables)
        self.built = True

    def _get_variable_index(self, variable):
        return self._variable_indices[id(variable)]

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is "
                "built."
            )
        self._exclude_ids = {id(v) for v in var_list or []}
        self._exclude_names = [re.compile(n) for n in var_names or []] or None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_names and any(p.search(variable.name) for p in self._exclude_names):
            return False
        return True

    # -- applying gradients ---------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        grads_and_vars = list(grads_and_vars)
        grads = [g for g, _ in grads_and_vars]
        variables = [v for _, v in grads_and_vars]
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        if trainable_variables is None:
            raise ValueError("Optimizer.apply needs the list of `trainable_variables`.")
        grads = list(grads)
        trainable_variables = list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"Optimizer {self.name!r}: got {len(grads)} gradients for "
                f"{len(trainable_variables)} variables."
            )
        if not self.built:
            self._building_in_scope = True
            try:
                self.build(trainable_variables)
            finally:
                self._building_in_scope = False
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError(f"Optimizer {self.name!r}: no gradients provided for any variable.")
        index = self._variable_indices
        for _, v in pairs:
            if id(v) not in index:
                raise ValueError(
                    f"Optimizer {self.name!r} was built for a different set of variables; "
                    f"{v.path!r} is unknown to it. Create a new optimizer for this model."
                )
        grads = [jnp.asarray(g.value if isinstance(g, Variable) else g) for g, _ in pairs]
        variables = [v for _, v in pairs]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        # Keras's order (JAX backend): update (or accumulate), then the moving averages over all
        # built variables, then constraints, then the step count.
        if self.gradient_accumulation_steps:
            self._apply_accumulated(grads, variables, index)
        else:
            self._update_variables(grads, variables)
        if self.use_ema:
            self._update_ema()
        for v in variables:
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                v.assign(constraint(v.value))
        self._iterations.assign_add(1)

    def _apply_accumulated(self, grads, variables, index):
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulators[index[id(v)]] for v in variables]
        is_update = (self._iterations.value + 1) % steps == 0
        new_grads = [(g + a.value) / steps for g, a in zip(grads, accumulators)]
        before = [v.value for v in variables]
        slots_before = [s.value for s in self._slots]
        self._update_variables(new_grads, variables)
        # Between updates only the accumulators change; variables and slots stay as they were.
        for v, old in zip(variables, before):
            v.assign(jnp.where(is_update, v.value, old))
        for s, old in zip(self._slots, slots_before):
            s.assign(jnp.where(is_update, s.value, old))
        for g, a in zip(grads, accumulators):
            a.assign(jnp.where(is_update, jnp.zeros_like(a.value), a.value + g))

    def _update_variables(self, grads, variables):
        grads = self._clip(grads)
        lr = self._current_learning_rate()
        self._apply_weight_decay(variables, lr)
        self._before_updates()
        self._backend_update_step(grads, variables, lr)

    def _apply_weight_decay(self, variables, lr):
        if self.weight_decay:
            for v in variables:
                if self._use_weight_decay(v):
                    v.assign(v.value - v.value * self.weight_decay * lr)

    def _before_updates(self):
        """Hook for optimizers with per-step (not per-variable) state, e.g. Nadam."""

    def _backend_update_step(self, grads, variables, lr):
        """All variables' updates for one step; optimizers that update every variable at once
        (a wrapped optax transformation) override this instead of `update_step`."""
        for g, v in zip(grads, variables):
            self.update_step(g.astype(v.dtype), v, lr.astype(v.dtype))

    def _update_ema(self):
        # Keras averages every built variable on every call, and reads the step from
        # `iterations` (updates applied so far, under gradient accumulation).
        step = jnp.asarray(_raw(self.iterations))
        momentum = jnp.where(step == 0, 0.0, self.ema_momentum)
        for v, avg in zip(self._trainable_variables, self._ema_averages):
            avg.assign(momentum * avg.value + (1 - momentum) * v.value)
        if self.ema_overwrite_frequency:
            overwrite = (step + 1) % self.ema_overwrite_frequency == 0
            for v, avg in zip(self._trainable_variables, self._ema_averages):
                v.assign(jnp.where(overwrite, avg.value, v.value))

    def finalize_variable_values(self, var_list):
        """At the end of fit with `use_ema`, the variables take their moving averages."""
        if self.use_ema and self._ema_averages:
            index = self._variable_indices
            for v in var_list:
                if id(v) in index:
                    v.assign(self._ema_averages[index[id(v)]].value)

    def _clip(self, grads):
        if self.clipnorm is not None:
            c = self.clipnorm
            return [g * c / jnp.maximum(jnp.sqrt(jnp.sum(jnp.square(g))), c) for g in grads]
        if self.global_clipnorm is not None:
            c = self.global_clipnorm
            norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in grads))
            scale = c * jnp.minimum(1.0 / norm, 1.0 / c)
            return [g * scale for g in grads]
        if self.clipvalue is not None:
            return [jnp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError(f"{type(self).__name__} must implement update_step().")

    def scale_loss(self, loss):
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # -- stateless form for compiled steps ------------------------------------------------------
    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """`apply` as a pure function, as Keras: `optimizer_variables` are the values of
        `self.variables`, `grads` and `trainable_variables` the gradients and values of the
        variables the optimizer was built on (`optimizer.build(variables)`), in that order.

        Returns:
            `(trainable_variables, optimizer_variables)`: their new values.
        """
        if not self.built:
            raise ValueError(
                f"To call stateless_apply, {type(self).__name__} must be built (i.e. its "
                "variables must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`."
            )
        built_on = self._trainable_variables
        for what, values, expected in (
            ("optimizer_variables", optimizer_variables, len(self.variables)),
            ("grads", grads, len(built_on)),
            ("trainable_variables", trainable_variables, len(built_on)),
        ):
            if len(values) != expected:
                raise ValueError(
                    f"Optimizer {self.name!r}: `stateless_apply` expects `{what}` with "
                    f"{expected} values (the optimizer was built on {len(built_on)} variables "
                    f"and has {len(self.variables)} variables of its own), but received "
                    f"{len(values)}."
                )
        return self._stateless_apply_to(optimizer_variables, grads, built_on, trainable_variables)

    def _stateless_apply_to(self, optimizer_values, grads, variables, values):
        """The pure update of `variables` (given their `values`): returns
        `(new_values, new_optimizer_values)`. The compiled built-in step calls this."""
        opt_vars = self.variables
        pairs = list(zip(opt_vars, optimizer_values)) + list(zip(variables, values))
        with StateScope(pairs) as scope:
            self.apply(grads, variables)
            return scope.values_of(variables), scope.values_of(opt_vars)

    # -- config --------------------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, Variable):
            lr = float(np.asarray(lr.value))
        elif isinstance(lr, LearningRateSchedule):
            lr = serialize(lr)
        elif callable(lr):
            lr = serialize_keras_object(lr)
        return {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_keras_object(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
