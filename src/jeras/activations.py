"""Activation functions by name, as `keras.activations`."""

import jax
import jax.numpy as jnp

from jeras.ops import nn as _nn
from jeras.ops._convert import unwrap
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names


def linear(x):
    return unwrap(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    x = unwrap(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return jax.nn.relu(x)
    out = jnp.where(x >= threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        out = jnp.minimum(out, max_value)
    return out


def softmax(x, axis=-1):
    return jax.nn.softmax(unwrap(x), axis=axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(unwrap(x), axis=axis)


def exponential(x):
    return jnp.exp(unwrap(x))


sigmoid = _nn.sigmoid
tanh = _nn.tanh
softplus = _nn.softplus
softsign = _nn.softsign
silu = _nn.silu
swish = _nn.silu
elu = _nn.elu
selu = _nn.selu


def gelu(x, approximate=False):
    # Keras's activation is the exact GELU by default (ops.gelu defaults to the approximation).
    return _nn.gelu(x, approximate=approximate)


hard_sigmoid = _nn.hard_sigmoid
relu6 = _nn.relu6
leaky_relu = _nn.leaky_relu
log_sigmoid = _nn.log_sigmoid

_BY_NAME = {
    "linear": linear,
    "relu": relu,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "exponential": exponential,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softplus": softplus,
    "softsign": softsign,
    "silu": silu,
    "swish": swish,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "hard_sigmoid": hard_sigmoid,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "log_sigmoid": log_sigmoid,
}


def get(identifier):
    """An activation function from a name, a callable or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown activation {identifier!r}. Valid names: {sorted(_BY_NAME)}.")
        return _BY_NAME[identifier]
    if isinstance(identifier, dict):
        return _serialization.deserialize_keras_object(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation identifier: {identifier!r}.")


def serialize(activation):
    """A built-in activation's name; any other function (or object) as its full config, so that
    it is looked up in the registry or `custom_objects` when loaded (as Keras writes it)."""
    for name, fn in _BY_NAME.items():
        if fn is activation:
            return name

    config = _serialization.serialize_keras_object(activation)
    if not isinstance(config, dict) or "config" not in config:
        raise ValueError(f"Cannot serialize activation {activation!r}.")
    return config


def deserialize(config, custom_objects=None):
    if isinstance(config, str) and custom_objects and config in custom_objects:
        return custom_objects[config]
    return get(config)


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("activations", vars())
