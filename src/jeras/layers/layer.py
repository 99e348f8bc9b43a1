"""`Layer`: weights created on first call, `add_loss`, the `training` flag, naming and config.

A layer is called three ways with the same `call` code: symbolically on `KerasTensor`s (building
the functional graph), eagerly on arrays, and inside a jitted step where a `StateScope` supplies
every variable's value.
"""

import inspect
import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jeras import activations, constraints, initializers, regularizers
from jeras.backend import distribution_state, remat
from jeras.backend import dtype_policy as dtype_policies
from jeras.backend.config import floatx
from jeras.backend.dtypes import is_float_dtype, standardize_dtype
from jeras.backend.masking import get_keras_mask, set_keras_mask
from jeras.backend.naming import auto_name
from jeras.backend.random import SeedGenerator
from jeras.backend.state_scope import StateScope
from jeras.backend.variable import Variable
from jeras.layers.input_spec import InputSpec, assert_input_compatibility
from jeras.saving.serialization import serialize_keras_object
from jeras.symbolic.keras_tensor import has_keras_tensors
from jeras.symbolic.node import map_keeping_order
from jeras.symbolic.symbolic_call import symbolic_call

_context = threading.local()


# How many times a `trainable` flag was set, in any layer (see `trainable_flags_version`).
_trainable_changes = [0]


def trainable_flags_version():
    """A number that changes whenever a layer's `trainable` flag is set: a compiled call
    cached under it is traced again after a layer was frozen or unfrozen."""
    return _trainable_changes[0]


# How many times a layer changed a constant that compiled programs bake in (a lookup layer's
# vocabulary table): engines and cached calls traced before are traced again.
_baked_constant_changes = [0]


def baked_constants_changed():
    """Say that a constant baked into traced programs (a vocabulary) has just changed."""
    _baked_constant_changes[0] += 1


def baked_constants_version():
    """A number that changes with every `baked_constants_changed()`."""
    return _baked_constant_changes[0]


def call_stack():
    stack = getattr(_context, "stack", None)
    if stack is None:
        stack = _context.stack = []
    return stack


def current_name_path():
    return [frame.name for frame in call_stack()]


class CallFrame:
    __slots__ = ("layer", "name", "training")

    def __init__(self, layer, training):
        self.layer = layer
        self.name = layer.name
        self.training = training


def _inherited_training():
    for frame in reversed(call_stack()):
        if frame.training is not None:
            return frame.training
    return None


class Layer:
    """Base class of every layer; subclass it and implement `build` (optional) and `call`.

    Args:
        activity_regularizer: applied to the layer's output; its value joins `losses`.
        trainable: whether the layer's weights are updated by `fit()`.
        dtype: the dtype of the layer's weights and computations (floatx by default).
        name: the layer's name (`snake_case(ClassName)` plus a counter by default).
    """

    # A capability read by the engine when it chooses how many steps to fuse per compiled
    # call: XLA:CPU runs this layer's ops several times slower inside a loop (`lax.scan`)
    # than in a call of their own, so on a CPU a model holding it runs one step per call.
    slower_in_cpu_loops = False
    # A capability read by the trainer: whether, in training, one row's output depends on the
    # other rows of the batch (batch statistics). `fit()` pads a short last batch with rows of
    # sample weight 0, which is exact only when no layer mixes rows; with such a layer the
    # short batch runs at its own size. (A property where it depends on the layer's state.)
    mixes_samples_in_training = False
    # A capability read by the trainer: the class's promise that its `call` computes each row
    # of a batch from that row alone (outside of training statistics, which the flag above
    # covers). `fit`, `evaluate` and `predict` pad a short last batch only when every layer of
    # the model promises it; otherwise the short batch runs at its own size. A subclass that
    # overrides `call` does not inherit the promise (its code may sum over the batch, as
    # `ops.tensordot(a, b, 2)` does): declare `rows_independent = True` on it to opt in.
    rows_independent = False
    # A capability read by functional models: the layer computes on the host (NumPy, text),
    # so a model runs it before its compiled part when it reads the model's inputs directly
    # (see `jeras.layers.host_layer` and `jeras.models.host_stage`).
    runs_on_host = False
    # Whether the layer checks the masks it is given itself (a mask that only has to broadcast
    # to the input, as Softmax's); otherwise a mask must not have more axes than its input and
    # must cover the same batch.
    checks_its_masks = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "call" in vars(cls) and "rows_independent" not in vars(cls):
            cls.rows_independent = False

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        # Remember the constructor arguments: they are the automatic config of user layers
        # that do not override get_config().
        instance.__dict__["_constructor_args"] = (args, dict(kwargs))
        return instance

    def __init__(
        self,
        *,
        activity_regularizer=None,
        trainable=True,
        dtype=None,
        autocast=True,
        name=None,
        **kwargs,
    ):
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("input_dtype", None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._input_shape_arg = (
            (tuple(input_shape), batch_size) if input_shape is not None else None
        )
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Layer name must be a string without '/', got {name!r}.")
        self.name = name or auto_name(self)
        self._trainable = bool(trainable)
        self._dtype_policy = dtype_policies.get(dtype)
        # The variables' dtype: what `add_weight` creates by default.
        self._dtype = self._dtype_policy.variable_dtype
        self.autocast = autocast
        # As Keras: the RematScope in force when the layer is made decides for its calls.
        self._remat_mode = remat.current_remat_mode()
        self._trainable_variables = []
        self._non_trainable_variables = []
        self._seed_generators = []
        self._losses = []
        self.built = False
        self.input_spec = None
        # As Keras: a layer that overrides `compute_mask` supports masking unless it says
        # otherwise; others state it (`self.supports_masking = True`) when they keep masks.
        self._supports_masking = type(self).compute_mask is not Layer.compute_mask
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._build_shapes = None
        self._call_signature = inspect.signature(self.call)
        params = self._call_signature.parameters
        self._call_has_training = "training" in params
        self._call_has_mask = "mask" in params
        # The mask arguments the framework fills from the inputs' masks: `mask` for a call on
        # one tensor argument, `<argument>_mask` (`query_mask`) for a call on several.
        self._call_mask_arguments = frozenset(
            name for name in params if name == "mask" or name.endswith("_mask")
        )

    # -- attribute tracking -------------------------------------------------------------------
    def __setattr__(self, name, value):
        if (
            getattr(type(value), "tracked_by_layers_as_metric", False)
            and name not in _UNTRACKED_ATTRIBUTES
        ):
            # A metric attribute (the VAE's loss trackers): listed by `layer.metrics`.
            tracked = self.__dict__.setdefault("_metrics", [])
            if not any(m is value for m in tracked):
                tracked.append(value)
        if isinstance(value, SeedGenerator) and "_seed_generators" in self.__dict__:
            if value not in self._seed_generators:
                self._seed_generators.append(value)
        elif isinstance(value, Variable) and "_trainable_variables" in self.__dict__:
            self._track_variable(value)
        super().__setattr__(name, value)

    def _track_variable(self, variable):
        tracked = self._trainable_variables + self._non_trainable_variables
        if any(v is variable for v in tracked):
            return
        (self._trainable_variables if variable.trainable else self._non_trainable_variables).append(
            variable
        )

    @property
    def _layers(self):
        """Direct sub-layers, in the order their attributes were first set."""
        found, seen = [], set()

        def visit(value):
            if isinstance(value, Layer):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item)
            elif isinstance(value, dict):
                for item in value.values():
                    visit(item)

        for key, value in self.__dict__.items():
            if key in _UNTRACKED_ATTRIBUTES:
                continue
            visit(value)
        return found

    def _flatten_layers(self, include_self=True, recursive=True):
        out, seen = [], set()

        def walk(layer):
            for sub in layer._layers:
                if id(sub) in seen:
                    continue
                seen.add(id(sub))
                out.append(sub)
                if recursive:
                    walk(sub)

        if include_self:
            out.append(self)
            seen.add(id(self))
        walk(self)
        return out

    # -- weights -------------------------------------------------------------------------------
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        overwrite_with_gradient=False,
        name=None,
    ):
        """Create a weight of this layer, tracked in `weights` and updated by `fit()` if trainable."""
        shape = () if shape is None else tuple(int(d) if d is not None else d for d in shape)
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer {self.name!r}: cannot create weight {name!r} with unknown dimension in "
                f"shape {shape}. Build the layer with a fully known input shape."
            )
        dtype = standardize_dtype(dtype or self._dtype)
        if initializer is None:
            initializer = "glorot_uniform" if is_float_dtype(dtype) else "zeros"
        initializer = initializers.get(initializer)
        variable = Variable(
            initializer,
            shape=shape,
            dtype=dtype,
            trainable=trainable,
            autocast=autocast,
            aggregation=aggregation,
            name=name,
            overwrite_with_gradient=overwrite_with_gradient,
        )
        variable.path = (
            "/".join(current_name_path() + [variable.name])
            if call_stack() and call_stack()[-1].layer is self
            else "/".join(current_name_path() + [self.name, variable.name])
        )
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        # Under a distribution the weight is laid out once its path (the layout map's key) is
        # known, as Keras does at creation.
        variable._value = distribution_state.place(
            variable._value, distribution_state.variable_sharding(variable)
        )
        self._track_variable(variable)
        return variable

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
        # Compiled calls read the flags when they are traced (a frozen BatchNormalization runs
        # in inference mode): their caches key on this count.
        _trainable_changes[0] += 1

    @property
    def weights(self):
        out, seen = [], set()
        for w in self._trainable_variables + self._non_trainable_variables:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        # A non-trainable layer hides the weights of everything inside it.
        if not self.trainable:
            return []
        out, seen = [], set()
        for w in self._trainable_variables:
            if w.trainable and id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._layers:
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def non_trainable_weights(self):
        trainable_ids = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable_ids]

    @property
    def variables(self):
        """Weights plus the layer's other state (random seed streams)."""
        out, seen = [], set()
        for v in self._trainable_variables + self._non_trainable_variables:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for generator in self._seed_generators:
            if id(generator.state) not in seen:
                seen.add(id(generator.state))
                out.append(generator.state)
        for layer in self._layers:
            for v in layer.variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        trainable_ids = {id(w) for w in self.trainable_weights}
        return [v for v in self.variables if id(v) not in trainable_ids]

    def get_weights(self):
        return [np.array(w.value) for w in self.weights]

    def set_weights(self, weights):
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer {self.name!r} expects {len(own)} weights, but set_weights received "
                f"{len(weights)}. Expected shapes: {[w.shape for w in own]}"
            )
        for variable, value in zip(own, weights):
            value = np.asarray(value)
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer {self.name!r}: weight {variable.path!r} has shape {variable.shape}, "
                    f"but set_weights received an array of shape {tuple(value.shape)}."
                )
            variable.assign(value)

    def count_params(self):
        if not self.built:
            raise ValueError(
                f"Layer {self.name!r} is not built yet, so its weights do not exist. Call it on "
                "data or build it first."
            )
        return int(sum(np.prod(w.shape) for w in self.weights))

    # -- losses --------------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar (or tensor, summed) loss term, as Keras's `Layer.add_loss`."""
        self._losses.append(loss)

    @property
    def losses(self):
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._losses)
        # As Keras: weight penalties come after the `add_loss` terms, and only for weights that
        # training updates (a frozen layer's regularizers do not count).
        for w in self.trainable_weights:
            regularizer = getattr(w, "regularizer", None)
            if regularizer is not None:
                out.append(regularizer(w.value))
        return out

    def _clear_losses(self):
        for layer in self._flatten_layers():
            layer._losses = []

    # -- dtypes --------------------------------------------------------------------------------
    @property
    def dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self._dtype_policy.variable_dtype

    @property
    def dtype_policy(self):
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._dtype_policy = dtype_policies.get(value)
        self._dtype = self._dtype_policy.variable_dtype

    # -- masks ---------------------------------------------------------------------------------
    @property
    def supports_masking(self):
        """Whether the layer keeps (or computes) masks: its outputs get `compute_mask(...)`.

        A layer that does not support masking and receives a masked input warns that the mask
        stops there, as Keras does."""
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        self._supports_masking = bool(value)

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs, from the inputs and their mask (`previous_mask`).

        The default passes the input's mask on unchanged, which suits layers that keep the time
        axis (Dense, Dropout, activations)."""
        return previous_mask

    # -- build and call ------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement `call()`.")

    def compute_output_shape(self, *args, **kwargs):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        if args and has_keras_tensors(args[0]) or has_keras_tensors(kwargs):
            return symbolic_call(self, args, kwargs)
        return self._concrete_call(args, kwargs)

    def _concrete_call(self, args, kwargs):
        if not args:
            raise ValueError(f"Layer {self.name!r} was called without inputs.")
        _refuse_strings(self, args[0])
        inputs = to_arrays(args[0], self.compute_dtype if self.autocast else None)
        args = (inputs,) + tuple(args[1:])
        self._maybe_build(inputs)
        self._check_inputs(inputs)
        training = kwargs.pop("training", None)
        if training is None:
            training = _inherited_training()
        if self._call_has_training:
            kwargs["training"] = training
        previous_mask = self._fill_mask_arguments(args, kwargs)
        stack = call_stack()
        if not stack:
            self._clear_losses()
        stack.append(CallFrame(self, training))
        enter, autocast = dtype_policies.autocast_for(
            self.autocast, self.compute_dtype, self.variable_dtype
        )
        try:
            if enter:
                with dtype_policies.autocast_scope(autocast):
                    outputs = self._call_maybe_rematerialized(args, kwargs)
            else:
                outputs = self._call_maybe_rematerialized(args, kwargs)
            # A layout map entry "<layer path>/output" lays out the output (ModelParallel).
            outputs = distribution_state.lay_out_output("/".join(current_name_path()), outputs)
        finally:
            stack.pop()
        if self.activity_regularizer is not None:
            for leaf in jax.tree_util.tree_leaves(outputs):
                penalty = self.activity_regularizer(leaf)
                if jnp.ndim(leaf) > 0 and leaf.shape[0] > 0:
                    # Keras 3 divides by the batch size, so the strength does not depend on it.
                    penalty = penalty / jnp.asarray(leaf.shape[0], dtype=jnp.result_type(penalty))
                self.add_loss(penalty)
        self._attach_output_masks(inputs, outputs, previous_mask)
        return outputs

    def _call_maybe_rematerialized(self, args, kwargs):
        mode = self._remat_mode
        if mode is None:
            return self.call(*args, **kwargs)
        if mode.mode == "activations":
            activation = getattr(self, "activation", None)
            if activation is None:
                return self.call(*args, **kwargs)
            # Only the activation function is recomputed (it has no state).
            self.activation = remat.remat(activation)
            try:
                return self.call(*args, **kwargs)
            finally:
                self.activation = activation
        if mode.mode == "list_of_layers" and self.name not in mode.layer_names:
            return self.call(*args, **kwargs)
        threshold = mode.output_size_threshold if mode.mode == "larger_than" else None
        return remat.checkpointed_call(
            self.call, self.variables, lambda: self._losses, args, kwargs, threshold
        )

    def _fill_mask_arguments(self, args, kwargs):
        """Fill the call's mask arguments the caller left out from the masks its tensor
        arguments carry (updating `kwargs`), and return the mask `compute_mask` receives."""
        if self._call_mask_arguments:
            try:
                given = self._call_signature.bind_partial(*args, **kwargs).arguments
            except TypeError:
                given = None  # `call` itself reports the bad arguments
            if given is not None:
                tensors = {name: v for name, v in given.items() if _is_tensor_argument(v)}
                if len(tensors) == 1:
                    if "mask" in self._call_mask_arguments and given.get("mask") is None:
                        kwargs["mask"] = _masks_of(next(iter(tensors.values())))
                elif len(tensors) > 1:
                    for name, value in tensors.items():
                        if f"{name}_mask" in self._call_mask_arguments and (
                            given.get(f"{name}_mask") is None
                        ):
                            kwargs[f"{name}_mask"] = _masks_of(value)
        mask = kwargs.get("mask")
        if mask is not None:
            if not self.checks_its_masks:
                self._check_mask_shapes(args[0], mask)
            return mask
        return _masks_of(args[0])

    def _check_mask_shapes(self, inputs, mask):
        """A mask must not have more axes than its input, and covers the same batch. (Which of
        the input's axes it follows is the consuming layer's business: GlobalAveragePooling1D
        with channels_first takes `(batch, steps)` for `(batch, channels, steps)`.)"""
        input_leaves = jax.tree_util.tree_leaves(inputs, is_leaf=lambda v: v is None)
        mask_leaves = jax.tree_util.tree_leaves(mask, is_leaf=lambda v: v is None)
        if len(input_leaves) != len(mask_leaves):
            return  # a layer-specific mask structure: the layer checks it
        for x, m in zip(input_leaves, mask_leaves):
            x_shape, m_shape = getattr(x, "shape", None), getattr(m, "shape", None)
            if x_shape is None or m_shape is None:
                continue
            if len(m_shape) > len(x_shape) or (
                m_shape and x_shape and m_shape[0] not in (1, x_shape[0])
            ):
                raise_mask_shape_error(self, m_shape, x_shape)

    def _attach_output_masks(self, inputs, outputs, previous_mask):
        """Set `compute_mask(inputs, previous_mask)` on the outputs that carry no mask yet (a
        layer may set its outputs' masks in `call`), or warn that a mask stops here."""
        if not self.supports_masking:
            if jax.tree_util.tree_leaves(previous_mask):
                warnings.warn(
                    f"Layer {self.name!r} (of type {type(self).__name__}) was passed an input "
                    "with a mask attached to it. However, this layer does not support masking "
                    "and will therefore destroy the mask information. Downstream layers will "
                    "not see the mask.",
                    stacklevel=4,
                )
            return
        flat_outputs = jax.tree_util.tree_leaves(outputs)
        if flat_outputs and all(get_keras_mask(x) is not None for x in flat_outputs):
            return
        output_masks = self.compute_mask(inputs, previous_mask)
        if output_masks is None:
            return
        flat_masks = jax.tree_util.tree_leaves(output_masks, is_leaf=lambda v: v is None)
        for tensor, mask in zip(flat_outputs, flat_masks):
            if mask is not None and get_keras_mask(tensor) is None:
                set_keras_mask(tensor, mask)

    def _maybe_build(self, inputs):
        if self.built:
            return
        shapes = jax.tree_util.tree_map(
            lambda x: tuple(x.shape), inputs, is_leaf=lambda x: hasattr(x, "shape")
        )
        self._build_with_shapes(shapes)

    def _build_with_shapes(self, shapes):
        stack = call_stack()
        stack.append(CallFrame(self, None))
        try:
            self.build(shapes)
        finally:
            stack.pop()
        self.built = True
        self._build_shapes = shapes
        self._path = "/".join(current_name_path() + [self.name])

    def _check_inputs(self, inputs):
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
        leaves = jax.tree_util.tree_leaves(inputs, is_leaf=lambda x: hasattr(x, "shape"))
        for index, (spec, leaf) in enumerate(zip(specs, leaves)):
            assert_input_compatibility(spec, getattr(leaf, "shape", None), self.name, index)

    # -- stateless use (Keras's API for JAX training loops) -------------------------------------
    @property
    def path(self):
        """Where the layer sits: its name, prefixed by those of the layers that built it."""
        return self.__dict__.get("_path") or self.name

    @property
    def metrics(self):
        """The metric objects held as attributes by this layer and its sub-layers."""
        out = list(self.__dict__.get("_metrics", ()))
        for layer in self._flatten_layers(include_self=False):
            out.extend(layer.__dict__.get("_metrics", ()))
        return out

    @property
    def metrics_variables(self):
        """The variables of `self.metrics`, in order (the state a training step threads)."""
        return [v for metric in self.metrics for v in metric.variables]

    def stateless_call(
        self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs
    ):
        """Call the layer with the given variable values and no side effect.

        Args:
            trainable_variables: values aligned 1:1 with `self.trainable_variables`.
            non_trainable_variables: values aligned 1:1 with `self.non_trainable_variables`
                (seed states and moving statistics included).
            *args, **kwargs: passed to the call, as to `layer(...)`.
            return_losses: also return the `add_loss` values (and weight penalties) of the call.

        Returns:
            `(outputs, non_trainable_variables)` with the values the call left, or
            `(outputs, non_trainable_variables, losses)` with `return_losses=True`.
        """
        if not self.built:
            raise ValueError(
                f"To call stateless_call, {type(self).__name__} must be built (i.e. its "
                "variables must have been already created). You can build it by calling it on "
                "some data."
            )
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        pairs = []
        for what, variables, values in (
            ("trainable_variables", trainable, trainable_variables),
            ("non_trainable_variables", non_trainable, non_trainable_variables),
        ):
            values = list(values)
            if len(values) != len(variables):
                raise ValueError(
                    f"Argument `{what}` must be a list of tensors corresponding 1:1 to "
                    f"{type(self).__name__}().{what}. Received list with length "
                    f"{len(values)}, but expected {len(variables)} variables."
                )
            for index, (variable, value) in enumerate(zip(variables, values)):
                if tuple(jnp.shape(value)) != tuple(variable.shape):
                    raise ValueError(
                        f"Argument `{what}`: element {index} (for {variable.path!r}) has shape "
                        f"{tuple(jnp.shape(value))}, expected {tuple(variable.shape)}."
                    )
                pairs.append((variable, value))
        with StateScope(pairs) as scope:
            try:
                outputs = Layer.__call__(self, *args, **kwargs)
                losses = self.losses if return_losses else None
                new_non_trainable = scope.values_of(non_trainable)
            finally:
                # Values of this call are tracers of the caller's trace: they must not outlive it.
                self._clear_losses()
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    # -- config --------------------------------------------------------------------------------
    def get_config(self):
        """The layer's constructor arguments as a JSON-ready dict (`from_config` rebuilds it).

        Subclasses that do not override this get, as in Keras, an automatic config of the
        arguments their `__init__` received (defaults filled in), provided those are plain
        values (str, int, float, bool, None, and lists/tuples/dicts of them)."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policies.serialize(self.dtype_policy),
        }
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__:
            config = {
                "name": self.name,
                **_automatic_config(self),
                "trainable": self.trainable,
                "dtype": dtype_policies.serialize(self.dtype_policy),
            }
            if "name" not in inspect.signature(type(self).__init__).parameters and not any(
                p.kind is inspect.Parameter.VAR_KEYWORD
                for p in inspect.signature(type(self).__init__).parameters.values()
            ):
                config.pop("name")
        if self.activity_regularizer is not None and "activity_regularizer" not in config:
            config["activity_regularizer"] = _serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- saving --------------------------------------------------------------------------------
    def save_own_variables(self, store):
        """Write this layer's own variables (not its sub-layers') into `store` as "0", "1", ...:
        trainable ones first, then non-trainable, each in creation order (Keras's order)."""
        for index, variable in enumerate(self._trainable_variables + self._non_trainable_variables):
            store[str(index)] = np.asarray(variable.value)

    def load_own_variables(self, store):
        """Assign this layer's own variables from `store` (as written by `save_own_variables`)."""
        own = self._trainable_variables + self._non_trainable_variables
        if len(store.keys()) != len(own):
            if not own and not self.built:
                raise ValueError(
                    f"Layer {self.name!r} was never built and thus it doesn't have any "
                    f"variables. However the weights file lists {len(store.keys())} variables "
                    "for this layer. Its parent's `build()` must create the state of its "
                    "children, or the layer needs `build_from_config()` (and "
                    "`get_build_config()`) to rebuild it while loading."
                )
            raise ValueError(
                f"Layer {self.name!r} expected {len(own)} variables, but received "
                f"{len(store.keys())} variables during loading. Expected: "
                f"{[v.name for v in own]}"
            )
        for index, variable in enumerate(own):
            value = np.asarray(store[str(index)])
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer {self.name!r}: variable {variable.name!r} has shape "
                    f"{tuple(variable.shape)}, but the saved value has shape "
                    f"{tuple(value.shape)}."
                )
            variable.assign(value)

    def get_build_config(self):
        if self._build_shapes is not None:
            return {"input_shape": self._build_shapes}
        return None

    def build_from_config(self, config):
        if config and config.get("input_shape") is not None and not self.built:
            self._build_with_shapes(config["input_shape"])

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # -- symbolic helpers ----------------------------------------------------------------------
    @property
    def input(self):
        return self._node_attr("inputs")

    @property
    def output(self):
        return self._node_attr("outputs")

    def _node_attr(self, attr):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has never been called on a symbolic input.")
        value = getattr(self._inbound_nodes[0], attr)
        return value[0] if isinstance(value, list) and len(value) == 1 else value


# Attributes whose values may hold layers without those being sub-layers (graph edges, the
# constructor's arguments, caches of compiled calls, the compile arguments).
_UNTRACKED_ATTRIBUTES = {
    "_inbound_nodes",
    "_outbound_nodes",
    "_constructor_args",
    "_eager_forward_cache",
    "_compile_config",
    "_engine",
    "_engine_signature",
    "_state_sync",
    "_variables_cache",
    "_metrics",
    "_loss_tracker",
}


def _serialize(obj):
    return serialize_keras_object(obj)


_AUTO_CONFIG_TYPES = (str, int, float, bool, type(None))


def _automatic_config(layer):
    """The constructor arguments of `layer`, defaults included, for its automatic config."""
    cls = type(layer)
    args, kwargs = layer._constructor_args
    signature = inspect.signature(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        bound = None
    varargs = [
        p.name for p in signature.parameters.values() if p.kind is inspect.Parameter.VAR_POSITIONAL
    ]
    if (
        bound is None
        or any(bound.arguments.get(name) for name in varargs)
        or any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in signature.parameters.values())
    ):
        raise NotImplementedError(
            f"Object {cls.__name__} was created by passing positional-only or variadic "
            "positional arguments (e.g., `*args`) to `__init__()`, which the automatic config "
            "does not support. Override `get_config()` (and `from_config()`) to make it "
            "serializable."
        )
    bound.apply_defaults()
    config = dict(bound.arguments)
    config.pop(next(iter(signature.parameters)), None)
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            config.update(config.pop(parameter.name, {}) or {})
        elif parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            config.pop(parameter.name, None)
    config.pop("name", None)
    flat = jax.tree_util.tree_leaves(config, is_leaf=lambda v: v is None)
    if not all(isinstance(v, _AUTO_CONFIG_TYPES) for v in flat):
        raise NotImplementedError(
            f"Object {cls.__name__} was created by passing non-serializable argument values "
            "in `__init__()`, and therefore the object must override `get_config()` in order "
            "to be serializable. Please implement `get_config()` (returning its constructor "
            "arguments) and, if needed, `from_config()`."
        )
    return config


def raise_mask_shape_error(layer, mask_shape, input_shape, expected=None):
    """The error for a mask that does not fit its input (`expected`: the shape it should have)."""
    expected = tuple(input_shape[:2]) if expected is None else tuple(expected)
    raise ValueError(
        f"Layer {layer.name!r} ({type(layer).__name__}) received a mask of shape "
        f"{tuple(mask_shape)} for an input of shape {tuple(input_shape)}. Its mask should have "
        f"shape {expected} (batch, time steps), True where the input is real data: pass a mask "
        "of that shape, or let the layers compute it (Embedding(mask_zero=True), Masking)."
    )


def _is_tensor_argument(value):
    """Whether a call argument is a tensor, or a non-empty structure of tensors (and Nones), as
    Keras counts the tensor arguments that receive masks."""
    if isinstance(value, (jax.Array, np.ndarray)) or hasattr(value, "_keras_history"):
        return True
    if isinstance(value, (list, tuple, dict)) and value:
        leaves = jax.tree_util.tree_leaves(value)
        return bool(leaves) and all(isinstance(v, (jax.Array, np.ndarray)) for v in leaves)
    return False


def _masks_of(value):
    """The masks the arrays of `value` carry, in its structure (None where there is none)."""
    if isinstance(value, (list, tuple, dict)):
        return jax.tree_util.tree_map(get_keras_mask, value)
    return get_keras_mask(value)


def _refuse_strings(layer, inputs):
    """A clear error for text reaching a layer: JAX arrays hold numbers only."""
    for leaf in jax.tree_util.tree_leaves(inputs):
        dtype = getattr(leaf, "dtype", None)
        if isinstance(leaf, str) or (dtype is not None and np.dtype(dtype).kind in "USO"):
            raise TypeError(
                f"Layer {layer.name!r} ({type(layer).__name__}) received strings "
                f"({'dtype ' + str(dtype) if dtype is not None else 'a str'}), but its "
                "computation runs on numbers on the device. Convert the strings to numbers "
                "before this layer (e.g. with a lookup or by decoding them)."
            )


def to_arrays(x, dtype):
    """Inputs as JAX arrays; floats cast to the layer's compute dtype (Keras's autocast). A
    converted array keeps the mask of the value it came from."""

    def convert(v):
        if isinstance(v, Variable):
            v = v.value
        if v is None:
            return None
        converted = v
        if not isinstance(converted, jax.Array):
            converted = jnp.asarray(converted)
        if (
            dtype is not None
            and jnp.issubdtype(converted.dtype, jnp.floating)
            and converted.dtype != dtype
        ):
            converted = converted.astype(dtype)
        if converted is not v:
            mask = get_keras_mask(v)
            if mask is not None:
                set_keras_mask(converted, mask)
        return converted

    # Dicts keep their key order (a layer reading `inputs.values()` sees Keras's order).
    return map_keeping_order(convert, x)


def build_sublayer(parent, child, input_shape):
    """Build `child` (a layer held by `parent`) on `input_shape` from inside `parent.build`,
    so that its weights get `parent`'s name in their paths (`lstm/lstm_cell/kernel`) even when
    the user called `parent.build(...)` directly."""
    stack = call_stack()
    pushed = not stack or stack[-1].layer is not parent
    if pushed:
        stack.append(CallFrame(parent, None))
    try:
        child._build_with_shapes(input_shape)
    finally:
        if pushed:
            stack.pop()
