"""Core layers: `Dense`, `Activation`, `Identity`, `Lambda`, and the layer behind operators on
symbolic tensors."""

import inspect

import jax.numpy as jnp

from jeras import activations
from jeras.backend.naming import to_snake_case, uniquify
from jeras.layers.input_spec import InputSpec
from jeras.layers.kernel_and_bias import add_kernel_and_bias, set_kernel_and_bias_options
from jeras.layers.layer import Layer
from jeras.ops._symbolic import operation_name, operation_spec
from jeras.saving.serialization import (
    deserialize_keras_object,
    dump_function,
    in_safe_mode,
    lambda_refused_message,
    load_function,
    serialize_keras_object,
)
from jeras.symbolic.keras_tensor import has_keras_tensors
from jeras.symbolic.symbolic_call import symbolic_call

# The Keras module of the operators' operation classes (`Add`, `GetItem`, ...).
_KERAS_NUMPY_OPS = "keras.src.ops.numpy"


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

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if quantization_config is not None:
            raise ValueError(
                f"Dense layer {self.name!r}: quantized layers are not supported by jeras "
                f"(got quantization_config={quantization_config!r})."
            )
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Dense layer {self.name!r}: `units` must be a positive integer, got {units!r}."
            )
        self.units = units
        self.activation = activations.get(activation)
        set_kernel_and_bias_options(
            self,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
        )
        self.input_spec = InputSpec(min_ndim=2)
        # Acts on the last axis only: the time steps, and so their mask, pass through.
        self.supports_masking = True

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(
                f"Dense layer {self.name!r}: the last dimension of the input must be known, got "
                f"input shape {tuple(input_shape)}."
            )
        add_kernel_and_bias(self, (in_features, self.units), (self.units,))
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
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": serialize_keras_object(self.kernel_initializer),
                "bias_initializer": serialize_keras_object(self.bias_initializer),
                "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
                "bias_regularizer": serialize_keras_object(self.bias_regularizer),
                "kernel_constraint": serialize_keras_object(self.kernel_constraint),
                "bias_constraint": serialize_keras_object(self.bias_constraint),
                "quantization_config": None,
            }
        )
        return config


class Activation(Layer):
    rows_independent = True  # see Layer.rows_independent

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
    rows_independent = True  # see Layer.rows_independent

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs


class Lambda(Layer):
    """Wraps an arbitrary function of the inputs as a layer (`keras.layers.Lambda`).

    A Lambda saves its function by name when it is a named (registered or built-in) function,
    and as Python bytecode when it is a `lambda`; loading bytecode needs `safe_mode=False`.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments or {}
        self.mask = mask
        # As Keras: a Lambda keeps no mask unless it is told how (`mask`).
        self.supports_masking = mask is not None
        self._output_shape = output_shape

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        # As Keras: the function receives the mask and the training flag when it names them.
        parameters = _parameter_names(self.function)
        if "mask" in parameters:
            kwargs["mask"] = mask
        if "training" in parameters:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = {"function": _function_config(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (
                _function_config(self._output_shape)
                if callable(self._output_shape)
                else self._output_shape
            )
        if self.mask is not None:
            config["mask"] = (
                _function_config(self.mask)
                if callable(self.mask)
                else serialize_keras_object(self.mask)
            )
        config["arguments"] = serialize_keras_object(self.arguments)
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        if safe_mode is None:
            safe_mode = in_safe_mode()
        # Unset means safe: a direct `from_config` call never runs a file's bytecode.
        safe_mode = safe_mode is not False
        for key in ("function", "output_shape", "mask"):
            if key not in config:
                continue
            value = config[key]
            if isinstance(value, dict) and value.get("class_name") == "__lambda__":
                config[key] = _load_lambda(value, safe_mode)
            elif key == "function" or isinstance(value, dict):
                config[key] = deserialize_keras_object(value, custom_objects=custom_objects)
            if (
                key == "output_shape"
                and isinstance(config[key], list)
                and all(isinstance(d, (int, type(None))) for d in config[key])
            ):
                config[key] = tuple(config[key])
        if "arguments" in config:
            config["arguments"] = deserialize_keras_object(
                config["arguments"], custom_objects=custom_objects
            )
        return cls(**config)


def _parameter_names(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def _function_config(fn):
    if getattr(fn, "__name__", None) == "<lambda>":
        code, defaults, closure = dump_function(fn)
        return {
            "class_name": "__lambda__",
            "config": {"code": code, "defaults": defaults, "closure": closure},
        }
    return serialize_keras_object(fn)


def _load_lambda(config, safe_mode):
    if safe_mode:
        raise ValueError(
            lambda_refused_message("a `Lambda` layer whose `function` is a Python lambda")
        )
    inner = config.get("config") or {}
    if "value" in inner:
        return load_function(inner["value"])
    return load_function(inner.get("code"), inner.get("defaults"), inner.get("closure"))


class OperationLayer(Layer):
    """The hidden layer that records a Keras operation applied to symbolic tensors: an operator
    (`x + y`, `x[0]`) or any `keras.ops` function (`keras.ops.mean(x, axis=1)`).

    `operation` is the name of the Keras operation class it stands for (`"Mean"`), under which
    it is saved and shown by `summary()`, `module` the Keras module holding that class; `config`
    holds the operation's own arguments (`axis` and `keepdims` of `Mean`). As in Keras, an
    operation drops the masks of its inputs."""

    def __init__(self, fn, name=None, operation=None, config=None, module=_KERAS_NUMPY_OPS):
        super().__init__(name=name)
        self._fn = fn
        self._keras_operation = operation
        self._keras_operation_module = module
        self._operation_config = dict(config or {})
        self.built = True

    def __call__(self, *args, **kwargs):
        if has_keras_tensors((args, kwargs)):
            return symbolic_call(self, args, kwargs)
        return self._fn(*args, **kwargs)

    def _concrete_call(self, args, kwargs):
        return self._fn(*args, **kwargs)

    def _check_inputs(self, inputs):
        # An operation's first argument may be a constant (`where(mask, x, 0.0)` is fine, so is
        # `arange(n)`); what it accepts is the function's business.
        pass

    def call(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def get_config(self):
        if self._keras_operation is None:
            raise NotImplementedError(
                f"Operation {self.name!r} cannot be saved: it has no Keras equivalent."
            )
        return {"name": self.name, **self._operation_config}


def _get_item(x, key):
    # JSON turns an index tuple into a list, which NumPy would read as fancy indexing.
    return x[tuple(key) if isinstance(key, list) else key]


def _reshape(newshape):
    newshape = tuple(newshape)

    def reshape(x):
        if newshape and newshape[0] in (None, -1):
            # The batch dimension stays as it is; the others follow `newshape`.
            return jnp.reshape(x, (x.shape[0],) + newshape[1:])
        return jnp.reshape(x, newshape)

    return reshape


# Keras operation class -> (function of the node's arguments, or a factory taking the
# operation's config and returning that function).
_OPERATIONS = {
    "Add": jnp.add,
    "Subtract": jnp.subtract,
    "Multiply": jnp.multiply,
    "TrueDivide": jnp.true_divide,
    "Divide": jnp.divide,
    "Matmul": jnp.matmul,
    "Power": jnp.power,
    "FloorDivide": jnp.floor_divide,
    "Mod": jnp.mod,
    "LogicalAnd": jnp.logical_and,
    "LogicalOr": jnp.logical_or,
    "LogicalXor": jnp.logical_xor,
    "Less": jnp.less,
    "LessEqual": jnp.less_equal,
    "Greater": jnp.greater,
    "GreaterEqual": jnp.greater_equal,
    "NotEqual": jnp.not_equal,
    "Equal": jnp.equal,
    "Negative": jnp.negative,
    "Absolute": jnp.abs,
    "Abs": jnp.abs,
    "LogicalNot": jnp.logical_not,
    "GetItem": _get_item,
}


def _axis(axis):
    # JSON turns an axis tuple into a list.
    return tuple(axis) if isinstance(axis, list) else axis


_CONFIGURED_OPERATIONS = {
    "Round": lambda decimals=0: lambda x: jnp.round(x, decimals),
    "Reshape": lambda newshape: _reshape(newshape),
    # The operations Keras records when it computes masks on symbolic tensors (Masking,
    # Embedding, the merging layers), so that a masked model saved by Keras loads.
    "Any": lambda axis=None, keepdims=False: lambda x: jnp.any(x, _axis(axis), keepdims=keepdims),
    "All": lambda axis=None, keepdims=False: lambda x: jnp.all(x, _axis(axis), keepdims=keepdims),
    "ExpandDims": lambda axis: lambda x: jnp.expand_dims(x, _axis(axis)),
    "Squeeze": lambda axis=None: lambda x: jnp.squeeze(x, _axis(axis)),
    "ZerosLike": lambda dtype=None: lambda x: jnp.zeros_like(x, dtype=dtype),
    "OnesLike": lambda dtype=None: lambda x: jnp.ones_like(x, dtype=dtype),
    "Concatenate": lambda axis=0: lambda xs: jnp.concatenate(xs, axis=axis),
}


_OPERATORS = {**_OPERATIONS, **_CONFIGURED_OPERATIONS}


def make_operation(operation, name=None, module=None, **config):
    """The layer for Keras operation `operation` (`"Add"`, `"Mean"`) of Keras module `module`
    (None: the module that registered it), named `name` (auto when None), with `config` (the
    operation's constructor arguments)."""
    spec = operation_spec(operation, module)
    if spec is None or (module is None and operation in _OPERATORS):
        # The operators on KerasTensor and the operations Keras records for masks, with the
        # arguments they take in Keras files.
        if operation in _CONFIGURED_OPERATIONS:
            fn = _CONFIGURED_OPERATIONS[operation](**config)
        elif operation in _OPERATIONS:
            fn = _OPERATIONS[operation]
        else:
            raise ValueError(_unknown_operation_message(operation, module))
        module = _KERAS_NUMPY_OPS
    else:
        try:
            fn = spec.function_of(config)
        except TypeError as error:
            raise TypeError(
                f"The Keras operation {operation!r} ({spec.keras_module}) cannot be rebuilt from "
                f"config {config!r}: {error}"
            ) from None
        module = spec.keras_module
    name = name or uniquify(operation_name(operation))
    return OperationLayer(fn, name=name, operation=operation, config=config, module=module)


def _unknown_operation_message(operation, module):
    return (
        f"Unknown Keras operation {operation!r}"
        + (f" (of {module})" if module else "")
        + ": jeras has no `keras.ops` function recorded under that class, so a model that "
        "applies it to symbolic tensors cannot be rebuilt. Apply an equivalent layer or op "
        "instead, or register the op's module with `register_operations` in `jeras/ops`."
    )


class _RevivedOperation:
    """Stands for a Keras operation class while a config is read back."""

    def __init__(self, operation, module):
        self.operation = operation
        self.module = module

    def from_config(self, config):
        return make_operation(self.operation, module=self.module, **config)


def operation_class(class_name, module=None):
    """What reads back a Keras operation class from a file: every operator and every registered
    `keras.ops` function; an unknown one is an error naming it."""
    if (
        class_name in _OPERATIONS
        or class_name in _CONFIGURED_OPERATIONS
        or operation_spec(class_name, module) is not None
    ):
        return _RevivedOperation(class_name, module)
    raise ValueError(_unknown_operation_message(class_name, module))
