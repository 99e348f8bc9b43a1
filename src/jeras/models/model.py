"""`Model`: a layer that can be trained. `Model(inputs, outputs)` builds a functional model;
subclasses define `__init__` and `call`."""

import inspect
import json
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.masking import get_keras_mask, set_keras_mask
from jeras.backend.random import UnseededRandomInTrace
from jeras.backend.state_scope import StateScope, current_scope
from jeras.backend.variable import Variable
from jeras.layers.layer import (
    Layer,
    baked_constants_version,
    call_stack,
    to_arrays,
    trainable_flags_version,
)
from jeras.models.functional_config import functional_from_config
from jeras.models.summary import print_summary
from jeras.saving.saving_lib import load_weights, save_model, save_weights
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from jeras.symbolic.keras_tensor import KerasTensor
from jeras.trainer.program_cache import ProgramCache
from jeras.trainer.trainer import Trainer


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features (`compile`, `fit`,
    `evaluate`, `predict`, `save`, `summary`).

    Two ways to build one: `Model(inputs, outputs)` makes a functional model (a `Functional`) from
    symbolic tensors; a subclass defines its layers in `__init__` and its forward pass in `call`,
    and calls `super().__init__()` with at most the keyword arguments below.

    Args:
        inputs: for a functional model, the `keras.Input` tensor(s) (one, a list or a dict).
        outputs: for a functional model, the tensor(s) computed from `inputs` by layer calls.
        name: the model's name (snake_case of the class name plus a counter by default).
        trainable: whether the model's weights are updated by `fit()` (default True).
        dtype: the dtype of the model's weights and computations (floatx by default).
    """

    # Saveable children the weights-file walk visits besides the object's own attributes (when
    # not None), as Keras names them.
    saveable_attributes = ("layers", "optimizer")

    def __new__(cls, *args, **kwargs):
        if cls is Model and (
            len(args) >= 2
            or ("inputs" in kwargs and "outputs" in kwargs)
            or (len(args) == 1 and "outputs" in kwargs)
        ):
            from jeras.models.functional import Functional  # lazy: it subclasses Model

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if len(args) >= 2 or "outputs" in kwargs:
            # A subclass whose `__init__` builds a graph and passes `inputs`/`outputs` up: it
            # becomes a functional model, as in Keras.
            from jeras.models.functional import Functional  # lazy: it subclasses Model

            if not isinstance(self, Functional):
                _make_functional_subclass(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        if args or kwargs:
            raise ValueError(
                f"Model.__init__ got unexpected arguments {args or ''} {kwargs or ''}. Pass "
                "`inputs` and `outputs` for a functional model, or only `name`/`trainable` "
                "from a subclass."
            )
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype)
        Trainer.__init__(self)

    def __call__(self, *args, **kwargs):
        stage = self._host_stage()
        if stage is not None and args and not _any_symbolic_or_traced(args[:1]):
            # Text layers on the inputs run on the host; the rest from their outputs on.
            args = (stage.run(args[0]),) + tuple(args[1:])
        if (
            current_scope() is None
            and not call_stack()
            and args
            and not _any_symbolic_or_traced((args, kwargs))
            and self._jit_call_allowed(args, kwargs)
        ):
            # `training` stays None when not given: as in Keras, each layer then falls back to
            # its own default (augmentation layers augment, Dropout does not).
            return self._compiled_call(args[0], kwargs.get("training"))
        return Layer.__call__(self, *args, **kwargs)

    # -- fast eager calls ----------------------------------------------------------------------
    def _jit_call_allowed(self, args, kwargs):
        # Only the common form `model(x)` / `model(x, training=...)` goes through the compiled
        # cache; anything else (masks, extra arguments) runs op by op.
        return (
            self.built
            and len(args) == 1
            and set(kwargs) <= {"training"}
            and not getattr(self, "run_eagerly", False)
            and self._eager_jit_ok
        )

    def _compiled_call(self, x, training):
        # Masks do not cross a `jax.jit` boundary on their own (the outputs are new arrays):
        # the inputs' masks go in as arguments and the outputs' masks come back as results.
        input_masks = [get_keras_mask(leaf) for leaf in jax.tree_util.tree_leaves(x)]
        x = jax.tree_util.tree_map(_as_call_input, x, is_leaf=lambda v: isinstance(v, Variable))
        variables = self._cached_variables()
        training = None if training is None else bool(training)
        key = (training, len(variables), trainable_flags_version(), baked_constants_version())
        cached = self._eager_forward_cache.get(key)
        if cached is None:
            model = self
            layers = self._flatten_layers()

            def forward(values, inputs, masks):
                for leaf, mask in zip(jax.tree_util.tree_leaves(inputs), masks):
                    if mask is not None:
                        set_keras_mask(leaf, mask)
                with StateScope(zip(variables, values)) as scope:
                    outputs = Layer.__call__(model, inputs, training=training)
                    new_values = scope.values_of(variables)
                # Only the variables the call wrote (seed streams, moving statistics) leave
                # the compiled call, keyed by index: a call never copies the weights it only
                # reads.
                written = {
                    i: new for i, (new, old) in enumerate(zip(new_values, values)) if new is not old
                }
                # `add_loss` values leave the compiled call as outputs, so that `model.losses`
                # holds them afterwards, as after an eager Keras call.
                losses = [list(layer._losses) for layer in layers]
                model._clear_losses()
                output_masks = [get_keras_mask(leaf) for leaf in jax.tree_util.tree_leaves(outputs)]
                return outputs, written, losses, output_masks

            # Bounded: a model called on ever new shapes keeps a few programs, not all.
            cached = (ProgramCache().function(key, forward), layers)
            self._eager_forward_cache[key] = cached
        fn, layers = cached
        try:
            outputs, written, losses, output_masks = fn(
                [v.value for v in variables], x, input_masks
            )
        except (jax.errors.ConcretizationTypeError, UnseededRandomInTrace):
            # The model's `call` branches on data values, or draws unseeded random values
            # (fresh ones each call only when run eagerly, as in Keras): op by op from now on.
            self._eager_jit_ok = False
            return Layer.__call__(self, x, training=training)
        for index, value in written.items():
            variables[index]._value = value
        for layer, layer_losses in zip(layers, losses):
            layer._losses = list(layer_losses)
        for leaf, mask in zip(jax.tree_util.tree_leaves(outputs), output_masks):
            if mask is not None:
                set_keras_mask(leaf, mask)
        return outputs

    def _cached_variables(self):
        """`self.variables`, recomputed only when a Variable was created since (walking the
        layer tree costs more than the compiled call itself for small inputs)."""
        stamp = Variable.instances_created
        cached = self.__dict__.get("_variables_cache")
        if cached is None or cached[0] != stamp:
            cached = (stamp, self.variables)
            self.__dict__["_variables_cache"] = cached
        return cached[1]

    def _invalidate_compiled(self):
        self.__dict__.pop("_variables_cache", None)
        for fn, _ in self._eager_forward_cache.values():
            fn.cache.clear()  # frees the programs now, not when JAX's own caches cycle
        self._eager_forward_cache = {}

    # -- structure -----------------------------------------------------------------------------
    @property
    def layers(self):
        return [layer for layer in self._layers]

    def get_layer(self, name=None, index=None):
        if index is not None:
            if name is not None:
                raise ValueError("get_layer: pass either `name` or `index`, not both.")
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: index {index} is out of range for a model with {len(layers)} layers."
                )
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name!r}. Existing layers are: {[l.name for l in self.layers]}."
        )

    def summary(
        self,
        line_length=None,
        positions=None,
        print_fn=None,
        expand_nested=False,
        show_trainable=False,
        layer_range=None,
    ):
        print_summary(
            self,
            line_length=line_length,
            positions=positions,
            print_fn=print_fn,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )

    def _maybe_build(self, inputs):
        if self.built:
            return
        if type(self).build is Model.build:
            # A subclassed model without its own `build`: the call that follows creates the
            # sub-layers' weights, inside this model's name scope.
            self._build_shapes = jax.tree_util.tree_map(
                lambda x: tuple(x.shape), inputs, is_leaf=lambda x: hasattr(x, "shape")
            )
            self.built = True
            return
        Layer._maybe_build(self, inputs)

    def _build_with_shapes(self, shapes):
        if type(self).build is Model.build:
            # The default build runs the model on zeros; that call opens the name scope itself.
            self.build(shapes)
            self._build_shapes = shapes
            return
        Layer._build_with_shapes(self, shapes)

    def build(self, input_shape=None):
        if input_shape is not None and not self.built:

            def zeros(shape):
                return jnp.zeros(tuple(1 if d is None else d for d in shape))

            is_shape = lambda s: (
                isinstance(s, (tuple, list)) and all(isinstance(d, (int, type(None))) for d in s)
            )
            dummy = jax.tree_util.tree_map(zeros, input_shape, is_leaf=is_shape)
            Layer.__call__(self, dummy)
        self.built = True

    # -- saving ------------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model to a `.keras` file (or, for a path without an extension, to a
        directory holding the same files): config, weights, compile and optimizer state."""
        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the model's (and the optimizer's) variables to a `.weights.h5` file."""
        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load variables from a `.weights.h5` file, a `.keras` file or a saved model
        directory (Keras's files too)."""
        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The model's config as a JSON string (`keras.models.model_from_json` reads it)."""
        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_compile_config(self):
        """The arguments `compile()` was called with, serialized; {} when not compiled."""
        if not self.compiled or not hasattr(self, "_compile_config"):
            return {}

        config = dict(self._compile_config)
        # Keras records the optimizer object compile() resolved and the resolved jit setting.
        config["optimizer"] = self.optimizer
        jit_compile = config.get("jit_compile", "auto")
        if jit_compile == "auto":
            jit_compile = not config.get("run_eagerly", False)
        if config.get("run_eagerly", False):
            jit_compile = False
        config["jit_compile"] = jit_compile
        return serialize_keras_object(config)

    def compile_from_config(self, config):
        """Compile the model from `get_compile_config()`'s output (used when loading)."""
        if type(self).compile is not Trainer.compile:
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's "
                "`compile()` method is custom. Implement `get_compile_config()` and "
                "`compile_from_config(config)`, or call `compile()` after loading.",
                stacklevel=2,
            )
            return
        config = deserialize_keras_object(config)
        known = (
            "optimizer",
            "loss",
            "loss_weights",
            "metrics",
            "weighted_metrics",
            "run_eagerly",
            "steps_per_execution",
            "jit_compile",
            "auto_scale_loss",
        )
        self.compile(**{key: value for key, value in config.items() if key in known})
        if self.optimizer is not None and self.built and not self.optimizer.built:
            # Create the optimizer's variables now, so that saved values can be loaded.
            self.optimizer.build(self.trainable_variables)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from `get_config()`: the graph for functional models, else `cls(**config)`."""
        from jeras.models.functional import Functional  # lazy: it subclasses Model

        is_graph = all(key in config for key in ("name", "layers", "input_layers", "output_layers"))
        spec = inspect.getfullargspec(cls.__init__)
        revivable = (
            cls in (Functional, Model)
            or spec.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]
            or (spec.varargs is not None and spec.varkw is not None)
        )
        if is_graph and revivable:
            return functional_from_config(cls, config, custom_objects=custom_objects)
        try:
            return cls(**config)
        except TypeError as err:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from config. When overriding "
                "`get_config()`, make sure the returned config contains all the arguments of "
                f"the constructor, or define `from_config(cls, config)`.\n\nReceived "
                f"config={config}\n\nError: {err}"
            ) from err


def _make_functional_subclass(cls):
    """Put `Functional` in place of `Model` among the bases of `cls` and of its ancestors."""
    from jeras.models.functional import Functional  # lazy: it subclasses Model

    def rebase(klass):
        if klass is Model:
            return Functional
        if klass is object or issubclass(klass, Functional) or not issubclass(klass, Model):
            return klass
        klass.__bases__ = tuple(rebase(base) for base in klass.__bases__)
        return klass

    rebase(cls)


def _as_call_input(value):
    if isinstance(value, Variable):
        return value.value
    if isinstance(value, (np.ndarray, jax.Array)) or value is None:
        return value  # the compiled call transfers host arrays itself
    return jnp.asarray(value)


def _any_symbolic_or_traced(tree):
    for leaf in jax.tree_util.tree_leaves(tree, is_leaf=lambda v: isinstance(v, KerasTensor)):
        if isinstance(leaf, (KerasTensor, jax.core.Tracer)):
            return True
    return False
