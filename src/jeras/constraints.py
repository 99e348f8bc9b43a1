"""Weight constraints applied after each optimizer update, as `keras.constraints`."""

import jax.numpy as jnp

from jeras.backend.naming import to_snake_case as _to_snake_case
from jeras.ops._convert import unwrap
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names


class Constraint:
    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class NonNeg(Constraint):
    def __call__(self, w):
        w = unwrap(w)
        return w * (w >= 0).astype(w.dtype)


class MaxNorm(Constraint):
    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = unwrap(w)
        norms = jnp.sqrt(jnp.sum(jnp.square(w), axis=self.axis, keepdims=True))
        desired = jnp.clip(norms, 0, self.max_value)
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = unwrap(w)
        return w / (1e-7 + jnp.sqrt(jnp.sum(jnp.square(w), axis=self.axis, keepdims=True)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = unwrap(w)
        norms = jnp.sqrt(jnp.sum(jnp.square(w), axis=self.axis, keepdims=True))
        desired = (
            self.rate * jnp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return w * (desired / (1e-7 + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


# Keras exports every class under its snake_case name too.
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

_CLASSES = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
# The names a string or a config's `class_name` may use: class names and their snake_case forms.
_BY_NAME = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{_to_snake_case(cls.__name__): cls for cls in _CLASSES},
}


def serialize(constraint):
    """The config dict of `constraint`, as Keras writes it."""
    return _serialization.serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """The constraint a config dict (or a name) describes; `custom_objects` maps names to the
    user's classes."""
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    return _serialization.deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=_BY_NAME
    )


def get(identifier):
    """A constraint from a name, a config dict, a class, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = _BY_NAME.get(identifier)
        if found is None:
            raise ValueError(f"Unknown constraint {identifier!r}. Valid names: {sorted(_BY_NAME)}.")
    else:
        found = identifier
    if isinstance(found, type):
        return found()
    if callable(found):
        return found
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}.")


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("constraints", vars())
