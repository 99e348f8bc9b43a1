"""`jeras.models`: `Model`, `Sequential`, and the functional graph."""

from jeras.models.model import Model
from jeras.models.functional import Functional
from jeras.models.sequential import Sequential
from jeras.models.keras_tensor import KerasTensor


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with `model.save()` (by jeras or Keras 3); see
    `jeras.saving.load_model`."""
    from jeras.saving.saving_lib import load_model as _load_model

    return _load_model(filepath, custom_objects=custom_objects, compile=compile,
                       safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save `model` to a `.keras` file (or a directory); see `jeras.saving.save_model`."""
    from jeras.saving.saving_lib import save_model as _save_model

    return _save_model(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from the JSON string of `model.to_json()`."""
    import json

    from jeras.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)
