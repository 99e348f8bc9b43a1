"""Reshaping layers: `Flatten`, `Reshape`."""

import math

import jax.numpy as jnp

from jeras.layers.convolution import standardize_data_format
from jeras.layers.layer import Layer


class Flatten(Layer):
    rows_independent = True  # see Layer.rows_independent

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        # Not built here: as in Keras, its first call records the input shape (build_config).
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = jnp.moveaxis(inputs, 1, -1)
        return jnp.reshape(inputs, (inputs.shape[0], -1))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    rows_independent = True  # see Layer.rows_independent

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if sum(1 for d in self.target_shape if d == -1) > 1:
            raise ValueError(
                f"Reshape layer {self.name!r}: at most one -1 in `target_shape`, got "
                f"{self.target_shape}."
            )
        # No weights: usable (and countable) before its first call, as in Keras.
        self.built = True

    def build(self, input_shape):
        self._check_size(input_shape)
        self.built = True

    def _check_size(self, input_shape):
        known = input_shape[1:]
        if all(d is not None for d in known):
            size = math.prod(known)
            target = [d for d in self.target_shape if d != -1]
            if (
                -1 not in self.target_shape
                and math.prod(target) != size
                or -1 in self.target_shape
                and size % max(1, math.prod(target)) != 0
            ):
                raise ValueError(
                    f"Reshape layer {self.name!r}: cannot reshape input of shape "
                    f"{tuple(input_shape)} to target shape {self.target_shape}; the number of "
                    "elements per sample must match."
                )

    def call(self, inputs):
        # Checked on every call: a built layer may later receive inputs of another size.
        self._check_size(tuple(inputs.shape))
        return jnp.reshape(inputs, (inputs.shape[0],) + self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
