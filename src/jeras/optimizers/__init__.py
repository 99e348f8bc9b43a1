"""`jeras.optimizers`: the `Optimizer` base class, the catalogue, and `get`."""

from jeras.optimizers import schedules
from jeras.optimizers.adadelta import Adadelta
from jeras.optimizers.adafactor import Adafactor
from jeras.optimizers.adagrad import Adagrad
from jeras.optimizers.adam import Adam
from jeras.optimizers.adamax import Adamax
from jeras.optimizers.adamw import AdamW
from jeras.optimizers.ftrl import Ftrl
from jeras.optimizers.lamb import Lamb
from jeras.optimizers.lion import Lion
from jeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from jeras.optimizers.nadam import Nadam
from jeras.optimizers.optax_optimizer import OptaxOptimizer, is_gradient_transformation
from jeras.optimizers.optimizer import Optimizer
from jeras.optimizers.rmsprop import RMSprop
from jeras.optimizers.sgd import SGD
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names

# The names `get` and `deserialize` know: lowercase class names, as Keras registers them. Keras
# leaves `Lamb` out of its registry (the class exists, `get("lamb")` fails), and so do we.
_BY_NAME = {
    cls.__name__.lower(): cls
    for cls in (
        Optimizer,
        SGD,
        RMSprop,
        Adam,
        AdamW,
        Adagrad,
        Adadelta,
        Adamax,
        Nadam,
        Ftrl,
        Lion,
        Adafactor,
    )
}
# Classes that exist but that no name or config dict reaches.
_UNREGISTERED = {cls.__name__.lower() for cls in (Lamb, OptaxOptimizer)}


def get(identifier):
    """An optimizer from a (case-insensitive) name, a config dict, an instance, or an optax
    `GradientTransformation` (wrapped in an `OptaxOptimizer`)."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Could not interpret optimizer identifier: {identifier!r}. Valid names: "
                f"{sorted(n for n in _BY_NAME if n != 'optimizer')}."
            )
        # `Optimizer` itself needs a learning rate: a TypeError, as in Keras.
        return cls()
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
        if isinstance(obj, Optimizer):
            return obj
        raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
    if is_gradient_transformation(identifier):
        return OptaxOptimizer(identifier)
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")


def serialize(optimizer):
    return _serialization.serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    class_name = config.get("class_name", "") if isinstance(config, dict) else ""
    if class_name.lower() in _UNREGISTERED and not (
        custom_objects and class_name in custom_objects
    ):
        raise ValueError(f"Could not interpret optimizer identifier: {config!r}")
    module_objects = {cls.__name__: cls for cls in _BY_NAME.values()}
    module_objects.update(_BY_NAME)
    if class_name.lower() in _BY_NAME:
        config = dict(config, class_name=_BY_NAME[class_name.lower()].__name__)
    return _serialization.deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=module_objects
    )


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("optimizers", vars())
