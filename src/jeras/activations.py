"""Activation functions by name, as `keras.activations`."""

import jax
import jax.numpy as jnp

from jeras.ops import nn as _nn
from jeras.ops import numpy as _np
from jeras.ops._convert import unwrap
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names

# The activations are written with `jeras.ops`, never raw `jax`, so that on a symbolic tensor
# (`keras.activations.relu(keras.Input(...))`) they record graph nodes as Keras's do.


def linear(x):
    return unwrap(x)


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return _nn.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return _nn.leaky_relu(x, negative_slope=negative_slope)
    # Built from the same pieces as Keras's, so values and gradients agree at the kinks too:
    # the positive part (an input equal to a nonzero threshold is already "off"), clipped to
    # max_value, minus the slope times the part below the threshold.
    x = unwrap(x)
    if threshold != 0.0:
        out = _np.where(_np.greater(x, threshold), x, _np.zeros_like(x))
    elif max_value == 6:
        out, max_value = _nn.relu6(x), None
    else:
        out = _nn.relu(x)
    if max_value is not None:
        out = _np.clip(out, 0.0, max_value)
    if negative_slope != 0.0:
        out = _np.subtract(out, _np.multiply(negative_slope, _nn.relu(_np.subtract(threshold, x))))
    return out


def softmax(x, axis=-1):
    return _nn.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return _nn.log_softmax(x, axis=axis)


def exponential(x):
    return _np.exp(x)


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
celu = _nn.celu
glu = _nn.glu
hard_shrink = _nn.hard_shrink
hard_silu = _nn.hard_silu
hard_swish = _nn.hard_silu
hard_tanh = _nn.hard_tanh
soft_shrink = _nn.soft_shrink
sparse_plus = _nn.sparse_plus
sparse_sigmoid = _nn.sparse_sigmoid
sparsemax = _nn.sparsemax
squareplus = _nn.squareplus
tanh_shrink = _nn.tanh_shrink
threshold = _nn.threshold


def mish(x):
    """`x * tanh(softplus(x))`."""
    return _np.multiply(x, _nn.tanh(_nn.softplus(x)))


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
    "celu": celu,
    "glu": glu,
    "hard_shrink": hard_shrink,
    # hard_swish is hard_silu itself, so it serializes as "hard_silu" (as in Keras).
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "hard_tanh": hard_tanh,
    "mish": mish,
    "soft_shrink": soft_shrink,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax,
    "squareplus": squareplus,
    "tanh_shrink": tanh_shrink,
    "threshold": threshold,
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
