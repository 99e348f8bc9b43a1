"""`jeras.random`: seeded random draws, as `keras.random`.

Every function takes `seed`: an int (the same draw every call), a `SeedGenerator` (a new draw
every call, its state a non-trainable variable threaded through compiled steps like any other),
or None outside traced code (a fresh draw; inside `jax.jit` or a compiled step, None is refused
because the draw would become a constant).
"""

import jax
import jax.numpy as jnp

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.random import SeedGenerator, draw_seed, set_random_seed  # noqa: F401


def _float_dtype(dtype):
    return standardize_dtype(dtype or floatx())


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    return mean + stddev * jax.random.normal(draw_seed(seed), tuple(shape), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = _float_dtype(dtype)
    return jax.random.uniform(draw_seed(seed), tuple(shape), dtype, minval, maxval)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    return jax.random.randint(
        draw_seed(seed), tuple(shape), minval, maxval, standardize_dtype(dtype)
    )


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws re-drawn outside two standard deviations, as Keras."""
    dtype = _float_dtype(dtype)
    sample = jax.random.truncated_normal(draw_seed(seed), -2.0, 2.0, tuple(shape), dtype)
    return sample * stddev + mean


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of the 2D `logits` (unnormalized log-probabilities)."""
    logits = jnp.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(
            f"categorical: `logits` must be 2D (batch_size, num_classes), got shape {logits.shape}."
        )
    shape = (logits.shape[0], int(num_samples))
    out = jax.random.categorical(draw_seed(seed), logits[..., None], axis=1, shape=shape)
    return out.astype(standardize_dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    inputs = jnp.asarray(inputs)
    if rate == 1.0:
        return jnp.zeros_like(inputs)
    if rate == 0.0:
        return inputs
    shape = inputs.shape
    if noise_shape is not None:
        shape = tuple(s if n is None else n for s, n in zip(inputs.shape, noise_shape))
    keep = jax.random.bernoulli(draw_seed(seed), 1.0 - rate, shape)
    keep = jnp.broadcast_to(keep, inputs.shape)
    return jnp.where(keep, inputs / (1.0 - rate), jnp.zeros_like(inputs))


def shuffle(x, axis=0, seed=None):
    return jax.random.permutation(draw_seed(seed), x, axis=axis, independent=True)


def gamma(shape, alpha, dtype=None, seed=None):
    return jax.random.gamma(draw_seed(seed), alpha, tuple(shape), _float_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    return jax.random.binomial(
        draw_seed(seed),
        jnp.asarray(counts),
        jnp.asarray(probabilities),
        tuple(shape),
        _float_dtype(dtype),
    )


def beta(shape, alpha, beta, dtype=None, seed=None):
    return jax.random.beta(
        draw_seed(seed), jnp.asarray(alpha), jnp.asarray(beta), tuple(shape), _float_dtype(dtype)
    )
