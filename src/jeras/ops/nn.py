"""The neural-network half of `jeras.ops` (activations, one_hot, cross-entropies)."""

import jax
import jax.numpy as jnp

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


def binary_crossentropy(target, output, from_logits=False):
    from jeras.losses.functions import _binary_crossentropy_elementwise

    return _binary_crossentropy_elementwise(unwrap(target), unwrap(output), from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from jeras.losses.functions import _categorical_crossentropy_core

    return _categorical_crossentropy_core(unwrap(target), unwrap(output), from_logits, axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from jeras.losses.functions import _sparse_categorical_crossentropy_core

    return _sparse_categorical_crossentropy_core(unwrap(target), unwrap(output), from_logits, axis)
