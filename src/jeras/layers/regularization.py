"""Regularization layers: `Dropout`, `ActivityRegularization`."""

import jax
import jax.numpy as jnp

from jeras import regularizers
from jeras.backend.random import SeedGenerator
from jeras.layers.layer import Layer


class Dropout(Layer):
    """Sets inputs to 0 with probability `rate` during training, scaling the rest by 1/(1-rate)."""

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(
                f"Dropout layer {self.name!r}: `rate` must be in [0, 1], got {rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        keep = jax.random.bernoulli(self.seed_generator.next(), 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), jnp.zeros_like(inputs))

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


class ActivityRegularization(Layer):
    rows_independent = True  # see Layer.rows_independent

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = l1, l2
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}
