"""`Sequential`: a plain stack of layers, each with one input and one output."""

import jax

from jeras.backend import dtype_policy as dtype_policies
from jeras.layers.input_layer import Input, InputLayer
from jeras.layers.layer import CallFrame, Layer, call_stack
from jeras.models.model import Model
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from jeras.symbolic.keras_tensor import KerasTensor


class Sequential(Model):
    """A model that is a plain stack of layers, each taking the previous layer's single output.

    Layers can be passed at construction or appended with `add()`. When the first is a
    `keras.Input` (or a layer given `input_shape`), the model is built at once; otherwise it is
    built on its first call or in `fit()`.

    Args:
        layers: a list of layers to stack, in order (default None: an empty model to `add()` to).
        trainable: whether the model's weights are updated by `fit()` (default True).
        name: the model's name ("sequential" plus a counter by default).
    """

    rows_independent = True  # see Layer.rows_independent

    # The weights-file walk visits `layers` before the attributes, as Keras does for graphs.
    layers_saved_first = True

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._functional = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer, rebuild=True):
        if (
            isinstance(layer, KerasTensor)
            and layer._keras_history is not None
            and isinstance(layer._keras_history[0], InputLayer)
        ):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Sequential.add expects a Layer instance, got {type(layer).__name__}: {layer!r}"
            )
        if isinstance(layer, InputLayer) and self._stack and isinstance(self._stack[0], InputLayer):
            raise ValueError("Sequential model already has an input layer.")
        if any(l.name == layer.name for l in self._stack):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name "
                f'"{layer.name}" is already the name of a layer in this model.'
            )
        if not self._stack and not isinstance(layer, InputLayer) and layer._input_shape_arg:
            shape, batch_size = layer._input_shape_arg
            self._stack.append(InputLayer(shape=shape, batch_size=batch_size))
        self._stack.append(layer)
        self.built = False
        self._functional = None
        self._invalidate_compiled()
        if rebuild:
            self._maybe_build_graph()

    def pop(self, rebuild=True):
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        layer = self._stack.pop()
        self.built = False
        self._functional = None
        self._invalidate_compiled()
        if rebuild:
            self._maybe_build_graph()
        return layer

    def _maybe_build_graph(self):
        if self._stack and isinstance(self._stack[0], InputLayer) and len(self._stack) > 1:
            self._build_graph(self._stack[0].batch_shape, self._stack[0].dtype)

    def _build_graph(self, batch_shape, dtype):
        stack = self._stack
        if isinstance(stack[0], InputLayer):
            tensor = stack[0].output_tensor
            layers = stack[1:]
        else:
            tensor = Input(batch_shape=batch_shape, dtype=dtype)
            layers = stack
        inputs = tensor
        # Build inside this model's name scope, so weight paths read `sequential/dense/kernel`.
        frames = call_stack()
        # A build started by the layer machinery (first call) has opened the scope already.
        opened = not frames or frames[-1].layer is not self
        if opened:
            frames.append(CallFrame(self, None))
        try:
            for layer in layers:
                tensor = layer(tensor)
        finally:
            if opened:
                frames.pop()
        # Lazy, as everywhere in this package: Functional subclasses Model.
        from jeras.models.functional import Functional

        self._functional = Functional.__new__(Functional, inputs, tensor)
        self._functional._init_from_graph(inputs, tensor, self.name)
        self._build_shapes = tuple(batch_shape)
        self.built = True

    @property
    def _layers(self):
        return [l for l in self._stack if not isinstance(l, InputLayer)]

    @property
    def layers(self):
        return self._layers

    def build(self, input_shape=None):
        if self.built:
            return
        if input_shape is None:
            if self._stack and isinstance(self._stack[0], InputLayer):
                input_shape = self._stack[0].batch_shape
            else:
                raise ValueError("Sequential.build needs an `input_shape`.")
        self._build_graph(tuple(input_shape), None)

    def _maybe_build(self, inputs):
        if not self.built or self._functional is None:
            shape = tuple(inputs.shape) if hasattr(inputs, "shape") else None
            if shape is None:
                raise ValueError("Sequential models take a single array input.")
            self._build_graph(
                (None,) + shape[1:], str(inputs.dtype) if "float" not in str(inputs.dtype) else None
            )

    def call(self, inputs, training=None, mask=None):
        if self._functional is None:
            raise ValueError(f"Sequential model {self.name!r} has no layers or is not built.")
        return self._functional.call(inputs, training=training, mask=mask)

    @property
    def inputs(self):
        return self._functional.inputs if self._functional else None

    @property
    def outputs(self):
        return self._functional.outputs if self._functional else None

    @property
    def input_shape(self):
        return self._functional.input_shape

    @property
    def output_shape(self):
        return self._functional.output_shape

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    @property
    def input_names(self):
        return self._functional.input_names if self._functional else []

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policies.serialize(self.dtype_policy),
            "layers": [serialize_keras_object(l) for l in self._stack],
            "build_input_shape": list(self._build_shapes) if self._build_shapes else None,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layer_configs = config.get("layers")
        if not isinstance(layer_configs, list):
            raise ValueError("Invalid Sequential config: `layers` must be a list of layer configs.")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in layer_configs:
            layer = deserialize_keras_object(layer_config, custom_objects=custom_objects)
            if not isinstance(layer, Layer):
                raise ValueError(
                    f"Invalid Sequential config: an entry describes a "
                    f"{type(layer).__name__}, not a layer."
                )
            model.add(layer)
        build_input_shape = config.get("build_input_shape")
        if (
            not model.built
            and isinstance(build_input_shape, (list, tuple))
            and build_input_shape
            and model._stack
        ):
            model.build(tuple(build_input_shape))
        return model
