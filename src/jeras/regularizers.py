"""Weight and activity penalties, as `keras.regularizers`."""

import jax.numpy as jnp
import numpy as np

from jeras.backend.naming import to_snake_case as _to_snake_case
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
        # Keras keeps the factor as a float32 value, so its config holds the float32 value.
        return {"factor": float(np.float32(self.factor)), "mode": self.mode}


# Keras exports every class under its snake_case name too.
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

_CLASSES = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
# The names a string or a config's `class_name` may use: class names and their snake_case forms.
_BY_NAME = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{_to_snake_case(cls.__name__): cls for cls in _CLASSES},
    # Keras's `get` knows "l1l2" (the snake_case of L1L2); "l1_l2", the exported alias, too.
    "l1_l2": L1L2,
}


def serialize(regularizer):
    """The config dict of `regularizer`, as Keras writes it."""
    return _serialization.serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer a config dict (or a name) describes; `custom_objects` maps names to the
    user's classes."""
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    return _serialization.deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=_BY_NAME
    )


def get(identifier):
    """A regularizer from a name, a config dict, a class, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = _BY_NAME.get(identifier)
        if found is None:
            raise ValueError(
                f"Unknown regularizer {identifier!r}. Valid names: {sorted(_BY_NAME)}."
            )
    else:
        found = identifier
    if isinstance(found, type):
        return found()
    if callable(found):
        return found
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}.")


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("regularizers", vars())
