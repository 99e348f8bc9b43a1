"""`jeras.saving`: the `.keras` format (`save_model`, `load_model`, weights files), the registry
of custom objects, and (de)serialization of configs, compatible with Keras 3 both ways."""

from jeras.saving.object_registration import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable,
)
from jeras.saving.serialization import (
    deserialize_keras_object, enable_unsafe_deserialization, serialize_keras_object,
)
from jeras.saving.saving_lib import load_model, load_weights, save_model, save_weights
