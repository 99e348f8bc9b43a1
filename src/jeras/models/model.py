"""`Model`: a layer that can be trained. `Model(inputs, outputs)` builds a functional model;
subclasses define `__init__` and `call`."""

import jax

from jeras.backend.state_scope import StateScope, current_scope
from jeras.layers.layer import Layer, _call_stack, _to_arrays
from jeras.trainer.trainer import Trainer


class Model(Trainer, Layer):
    """Groups layers into an object with training and inference features.

    `keras.Model(inputs, outputs, name=None)` gives a functional model; subclass `Model` and
    implement `call` for a model written as Python code.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or ("inputs" in kwargs and "outputs" in kwargs)
                             or (len(args) == 1 and "outputs" in kwargs)):
            from jeras.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if len(args) >= 2 or "outputs" in kwargs:
            # A subclass whose `__init__` builds a graph and passes `inputs`/`outputs` up: it
            # becomes a functional model, as in Keras.
            from jeras.models.functional import Functional

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
                "from a subclass.")
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype)
        Trainer.__init__(self)

    def __call__(self, *args, **kwargs):
        if current_scope() is None and not _call_stack() and args and \
                not _any_symbolic_or_traced((args, kwargs)) and self._jit_call_allowed(args, kwargs):
            return self._compiled_call(args[0], kwargs.get("training", False))
        return Layer.__call__(self, *args, **kwargs)

    # -- fast eager calls ----------------------------------------------------------------------
    def _jit_call_allowed(self, args, kwargs):
        # Only the common form `model(x)` / `model(x, training=...)` goes through the compiled
        # cache; anything else (masks, extra arguments) runs op by op.
        return (self.built and len(args) == 1 and set(kwargs) <= {"training"}
                and not getattr(self, "run_eagerly", False) and self._eager_jit_ok)

    def _compiled_call(self, x, training):
        x = _to_arrays(x, None)
        variables = self.variables
        key = (bool(training), len(variables))
        cached = self._eager_forward_cache.get(key)
        if cached is None:
            model = self
            layers = self._flatten_layers()

            def forward(values, inputs):
                with StateScope(zip(variables, values)) as scope:
                    outputs = Layer.__call__(model, inputs, training=bool(training))
                    new_values = scope.values_of(variables)
                # `add_loss` values leave the compiled call as outputs, so that `model.losses`
                # holds them afterwards, as after an eager Keras call.
                losses = [list(layer._losses) for layer in layers]
                model._clear_losses()
                return outputs, new_values, losses

            cached = (jax.jit(forward), layers)
            self._eager_forward_cache[key] = cached
        fn, layers = cached
        try:
            outputs, new_values, losses = fn([v.value for v in variables], x)
        except jax.errors.ConcretizationTypeError:
            # The model's `call` branches on data values: run it op by op from now on.
            self._eager_jit_ok = False
            return Layer.__call__(self, x, training=training)
        for variable, value in zip(variables, new_values):
            if value is not variable._value:
                variable._value = value
        for layer, layer_losses in zip(layers, losses):
            layer._losses = list(layer_losses)
        return outputs

    def _invalidate_compiled(self):
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
                    f"get_layer: index {index} is out of range for a model with {len(layers)} layers.")
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name!r}. Existing layers are: {[l.name for l in self.layers]}.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        from jeras.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn)

    def _maybe_build(self, inputs):
        if self.built:
            return
        if type(self).build is Model.build:
            # A subclassed model without its own `build`: the call that follows creates the
            # sub-layers' weights, inside this model's name scope.
            self._build_shapes = jax.tree_util.tree_map(
                lambda x: tuple(x.shape), inputs, is_leaf=lambda x: hasattr(x, "shape"))
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
            import jax.numpy as jnp

            def zeros(shape):
                return jnp.zeros(tuple(1 if d is None else d for d in shape))

            is_shape = lambda s: isinstance(s, (tuple, list)) and all(
                isinstance(d, (int, type(None))) for d in s)
            dummy = jax.tree_util.tree_map(zeros, input_shape, is_leaf=is_shape)
            Layer.__call__(self, dummy)
        self.built = True


def _make_functional_subclass(cls):
    """Put `Functional` in place of `Model` among the bases of `cls` and of its ancestors."""
    from jeras.models.functional import Functional

    def rebase(klass):
        if klass is Model:
            return Functional
        if klass is object or issubclass(klass, Functional) or not issubclass(klass, Model):
            return klass
        klass.__bases__ = tuple(rebase(base) for base in klass.__bases__)
        return klass

    rebase(cls)


def _any_symbolic_or_traced(tree):
    from jeras.models.keras_tensor import KerasTensor

    for leaf in jax.tree_util.tree_leaves(tree, is_leaf=lambda v: isinstance(v, KerasTensor)):
        if isinstance(leaf, (KerasTensor, jax.core.Tracer)):
            return True
    return False
