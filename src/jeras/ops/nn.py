"""The neural-network half of `jeras.ops` (activations, one_hot, cross-entropies)."""

import jax
import jax.numpy as jnp

from jeras.backend.config import epsilon as _epsilon
from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.ops._convert import unwrap


def relu(x):
    return jax.nn.relu(unwrap(x))


def relu6(x):
    return jax.nn.relu6(unwrap(x))


def sigmoid(x):
    return jax.nn.sigmoid(unwrap(x))


def softplus(x):
    return jax.nn.softplus(unwrap(x))


def softsign(x):
    return jax.nn.soft_sign(unwrap(x))


def silu(x):
    return jax.nn.silu(unwrap(x))


swish = silu


def tanh(x):
    return jnp.tanh(unwrap(x))


def elu(x, alpha=1.0):
    return jax.nn.elu(unwrap(x), alpha)


def selu(x):
    return jax.nn.selu(unwrap(x))


def gelu(x, approximate=True):
    return jax.nn.gelu(unwrap(x), approximate=approximate)


def leaky_relu(x, negative_slope=0.2):
    return jax.nn.leaky_relu(unwrap(x), negative_slope)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(unwrap(x))


def log_sigmoid(x):
    return jax.nn.log_sigmoid(unwrap(x))


def softmax(x, axis=-1):
    return jax.nn.softmax(unwrap(x), axis=axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(unwrap(x), axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x = jnp.asarray(unwrap(x))
    if jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype("int32")
    return jax.nn.one_hot(x, num_classes, axis=axis, dtype=standardize_dtype(dtype or floatx()))


# The cross-entropies are the kernels of the losses of the same names too (`losses` sits above
# `ops` and calls them): elementwise for binary, reduced over the class axis for categorical.
def binary_crossentropy(target, output, from_logits=False):
    output = unwrap(output)
    target = jnp.asarray(unwrap(target), dtype=jnp.asarray(output).dtype)
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    output = jnp.clip(output, _epsilon(), 1.0 - _epsilon())
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = unwrap(output)
    target = jnp.asarray(unwrap(target), dtype=jnp.asarray(output).dtype)
    if target.shape != output.shape:
        raise ValueError(
            f"categorical_crossentropy: `target` and `output` must have the same shape, got "
            f"target.shape={tuple(target.shape)} and output.shape={tuple(output.shape)}. For "
            "integer class labels use sparse_categorical_crossentropy."
        )
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        output = output / jnp.sum(output, axis=axis, keepdims=True)
        log_prob = jnp.log(jnp.clip(output, _epsilon(), 1.0 - _epsilon()))
    return -jnp.sum(target * log_prob, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = unwrap(output)
    target = jnp.asarray(unwrap(target))
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, -1)
    if target.shape != output.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: labels of shape {tuple(target.shape)} do not match "
            f"predictions of shape {tuple(output.shape)}; expected labels of shape "
            f"{tuple(output.shape[:-1])} holding class indices. For one-hot labels use "
            "categorical_crossentropy."
        )
    num_classes = output.shape[axis]
    one_hot = jax.nn.one_hot(target.astype("int32"), num_classes, axis=axis, dtype=output.dtype)
    return categorical_crossentropy(one_hot, output, from_logits, axis)
