"""Core layers: `Dense`, `Activation`, `Identity`, `Lambda`, and the layer behind operators on
symbolic tensors."""

import jax
import jax.numpy as jnp

from jeras import activations, constraints, initializers, regularizers
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer


class Dense(Layer):
    """`output = activation(dot(input, kernel) + bias)` on the last axis of the input.

    Args:
        units: dimensionality of the output space.
        activation: activation function or its name (default: none).
        use_bias: whether to add a bias vector.
        kernel_initializer / bias_initializer: default "glorot_uniform" / "zeros".
        kernel_regularizer / bias_regularizer / activity_regularizer: optional penalties.
        kernel_constraint / bias_constraint: optional constraints.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Dense layer {self.name!r}: `units` must be a positive integer, got {units!r}.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(
                f"Dense layer {self.name!r}: the last dimension of the input must be known, got "
                f"input shape {tuple(input_shape)}.")
        self.kernel = self.add_weight(shape=(in_features, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), name="bias",
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_features})
        self.built = True

    def call(self, inputs):
        outputs = jnp.matmul(inputs, self.kernel.value)
        if self.bias is not None:
            outputs = outputs + self.bias.value
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        from jeras.saving.serialization import serialize_keras_object as ser

        config = super().get_config()
        config.update({
            "units": self.units, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": ser(self.kernel_initializer),
            "bias_initializer": ser(self.bias_initializer),
            "kernel_regularizer": ser(self.kernel_regularizer),
            "bias_regularizer": ser(self.bias_regularizer),
            "kernel_constraint": ser(self.kernel_constraint),
            "bias_constraint": ser(self.bias_constraint),
        })
        return config


class Activation(Layer):
    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Identity(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs


class Lambda(Layer):
    """Wraps an arbitrary function of the inputs as a layer (`keras.layers.Lambda`)."""

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments or {}
        self._output_shape = output_shape

    def call(self, inputs, mask=None, training=None):
        return self.function(inputs, **self.arguments)


class _OperationLayer(Layer):
    """The hidden layer that records an operator (`x + y`, `x[0]`) applied to symbolic tensors."""

    def __init__(self, fn, name=None):
        super().__init__(name=name)
        self._fn = fn
        self.built = True

    def __call__(self, *args, **kwargs):
        from jeras.models.symbolic_call import symbolic_call
        from jeras.layers.layer import _is_symbolic

        if _is_symbolic(args):
            return symbolic_call(self, args, kwargs)
        return self._fn(*args)

    def _concrete_call(self, args, kwargs):
        return self._fn(*args)

    def call(self, *args):
        return self._fn(*args)
