"""`jeras.losses`: loss classes, loss functions and `get` / `serialize` / `deserialize`."""

from jeras.losses.loss import Loss, LossFunctionWrapper
from jeras.losses.reduction import reduce_weighted_values
from jeras.losses.functions import (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity, hinge,
    huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy,
    squared_hinge, mse, MSE, mae, MAE, mape, MAPE, msle, MSLE, kld, KLD, logcosh, bce, BCE,
)
from jeras.losses.losses import (
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
    Huber, KLDivergence, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy,
    SquaredHinge,
)

_FUNCTIONS = {
    fn.__name__: fn for fn in (
        binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity,
        hinge, huber, kl_divergence, log_cosh, mean_absolute_error,
        mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error,
        poisson, sparse_categorical_crossentropy, squared_hinge)
}
_FUNCTIONS.update({"mse": mse, "MSE": MSE, "mae": mae, "MAE": MAE, "mape": mape, "MAPE": MAPE,
                   "msle": msle, "MSLE": MSLE, "kld": kld, "KLD": KLD, "logcosh": logcosh,
                   "bce": bce, "BCE": BCE, "kullback_leibler_divergence": kl_divergence})
_CLASSES = {
    cls.__name__: cls for cls in (
        BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
        Huber, KLDivergence, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
        MeanSquaredError, MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy,
        SquaredHinge)
}


def get(identifier):
    """A loss from a string (function or class name), a config dict, a callable or a `Loss`.

    As Keras: a function name gives the function itself; a class name gives an instance.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        from jeras.saving.object_registration import get_registered_object

        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        registered = get_registered_object(identifier)
        if registered is not None:
            return registered() if isinstance(registered, type) else registered
        raise ValueError(
            f"Unknown loss identifier {identifier!r}. Valid names: "
            f"{sorted(set(_FUNCTIONS) | set(_CLASSES))}, or a registered custom loss.")
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    from jeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    from jeras.saving.serialization import deserialize_keras_object

    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects={**_FUNCTIONS, **_CLASSES})
