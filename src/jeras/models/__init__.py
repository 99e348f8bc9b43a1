"""`jeras.models`: `Model`, `Sequential`, and the functional graph."""

import json as _json

from jeras.models.cloning import clone_model
from jeras.models.functional import Functional
from jeras.models.model import Model
from jeras.models.sequential import Sequential
from jeras.saving import saving_lib as _saving_lib
from jeras.saving.public_names import register_public_names as _register_public_names
from jeras.saving.serialization import deserialize_keras_object as _deserialize_keras_object
from jeras.symbolic.keras_tensor import KerasTensor


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with `model.save()` (by jeras or Keras 3); see
    `jeras.saving.load_model`."""
    return _saving_lib.load_model(
        filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode
    )


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save `model` to a `.keras` file (or a directory); see `jeras.saving.save_model`."""
    return _saving_lib.save_model(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from the JSON string of `model.to_json()`."""
    return _deserialize_keras_object(_json.loads(json_string), custom_objects=custom_objects)


# `keras.Model`, `keras.Sequential` and `Functional` for serialization (see public_names).
_register_public_names("models", vars())
