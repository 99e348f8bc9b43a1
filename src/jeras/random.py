"""`jeras.random`: seeded random draws, as `keras.random`."""

import jax
import jax.numpy as jnp

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.random import SeedGenerator, draw_seed, set_random_seed  # noqa: F401


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dtype = standardize_dtype(dtype or floatx())
    return mean + stddev * jax.random.normal(draw_seed(seed), tuple(shape), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dtype = standardize_dtype(dtype or floatx())
    return jax.random.uniform(draw_seed(seed), tuple(shape), dtype, minval, maxval)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    return jax.random.randint(
        draw_seed(seed), tuple(shape), minval, maxval, standardize_dtype(dtype)
    )


def dropout(inputs, rate, noise_shape=None, seed=None):
    keep = jax.random.bernoulli(draw_seed(seed), 1.0 - rate, noise_shape or inputs.shape)
    return jnp.where(keep, inputs / (1.0 - rate), 0.0)


def shuffle(x, axis=0, seed=None):
    return jax.random.permutation(draw_seed(seed), x, axis=axis)
