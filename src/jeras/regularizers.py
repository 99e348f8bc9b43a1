"""Weight and activity penalties, as `keras.regularizers`."""

import jax.numpy as jnp
import numpy as np

from jeras.ops._convert import unwrap
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names


class Regularizer:
    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        x = unwrap(x)
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * jnp.sum(jnp.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * jnp.sum(jnp.square(x))
        return jnp.asarray(penalty, dtype=x.dtype)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        # Keras keeps L1's factor as a float32 tensor, so its config holds the float32 value.
        return {"l1": float(np.float32(self.l1))}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: `mode` must be 'rows' or 'columns', got {mode!r}."
            )
        self.factor, self.mode = factor, mode

    def __call__(self, x):
        x = unwrap(x)
        if self.mode == "columns":
            x = x.T
        x = x / jnp.maximum(jnp.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        product = x @ x.T
        size = product.shape[0]
        off_diagonal = product * (1.0 - jnp.eye(size))
        return self.factor * jnp.sum(jnp.abs(off_diagonal)) / (size * (size - 1))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2 = L1, L2, L1L2
_BY_NAME = {
    "l1": L1,
    "l2": L2,
    "l1_l2": L1L2,
    "l1l2": L1L2,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier.lower() not in _BY_NAME:
            raise ValueError(
                f"Unknown regularizer {identifier!r}. Valid names: {sorted(_BY_NAME)}."
            )
        return _BY_NAME[identifier.lower()]()
    if isinstance(identifier, dict):
        return _serialization.deserialize_keras_object(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}.")


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("regularizers", vars())
