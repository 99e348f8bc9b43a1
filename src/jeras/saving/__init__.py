"""`jeras.saving`: the `.keras` format (`save_model`, `load_model`, weights files), the registry
of custom objects, and (de)serialization of configs, compatible with Keras 3 both ways."""

from jeras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

# This package spans levels: the registries (0), serialization (2) and the `.keras` archive
# (8, it walks layers and optimizers). Importing a low module of it, as `Variable` or a
# `KerasTensor` does, runs this file first, so it loads only level 0 eagerly; the rest is
# imported on first use.
_SERIALIZATION_NAMES = (
    "deserialize_keras_object",
    "enable_unsafe_deserialization",
    "serialize_keras_object",
)
_ARCHIVE_NAMES = ("load_model", "load_weights", "save_model", "save_weights")


def __getattr__(name):
    if name in _SERIALIZATION_NAMES:
        from jeras.saving import serialization as owner
    elif name in _ARCHIVE_NAMES:
        from jeras.saving import saving_lib as owner
    else:
        raise AttributeError(f"module 'jeras.saving' has no attribute {name!r}")
    value = getattr(owner, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_SERIALIZATION_NAMES) | set(_ARCHIVE_NAMES))
