"""`jeras.optimizers`: the `Optimizer` base class, the catalogue, and `get`."""

from jeras.optimizers.optimizer import Optimizer
from jeras.optimizers.sgd import SGD
from jeras.optimizers.rmsprop import RMSprop
from jeras.optimizers.adam import Adam
from jeras.optimizers import schedules

_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(identifier):
    """An optimizer from a (case-insensitive) name, a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier!r}. Valid names: "
                f"{sorted(_BY_NAME)}.")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    from jeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    from jeras.saving.serialization import deserialize_keras_object

    module_objects = {cls.__name__: cls for cls in _BY_NAME.values()}
    module_objects.update({k: v for k, v in _BY_NAME.items()})
    if isinstance(config, dict) and config.get("class_name", "").lower() in _BY_NAME:
        config = dict(config, class_name=_BY_NAME[config["class_name"].lower()].__name__)
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=module_objects)
