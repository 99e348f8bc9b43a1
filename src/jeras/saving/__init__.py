"""`jeras.saving`: the registry of custom objects and (de)serialization."""

from jeras.saving.object_registration import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable,
)
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
