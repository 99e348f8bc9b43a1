"""`jeras.losses`: loss classes, loss functions and `get` / `serialize` / `deserialize`."""

import types

from jeras.losses.functions import (
    BCE,
    KLD,
    MAE,
    MAPE,
    MSE,
    MSLE,
    bce,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    categorical_hinge,
    circle,
    cosine_similarity,
    ctc,
    dice,
    hinge,
    huber,
    kl_divergence,
    kld,
    log_cosh,
    logcosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
    tversky,
)
from jeras.losses.loss import Loss, LossFunctionWrapper
from jeras.losses.losses import (
    CTC,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    CategoricalHinge,
    Circle,
    CosineSimilarity,
    Dice,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    Tversky,
)
from jeras.losses.reduction import reduce_weighted_values
from jeras.saving import object_registration as _object_registration
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names

# The names `get` accepts are exactly Keras's: every function and class by its own name plus
# twelve short aliases. CategoricalGeneralizedCrossEntropy and its function have no string form in
# Keras (they still deserialize from a config, through the module lookup).
_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        binary_crossentropy,
        binary_focal_crossentropy,
        categorical_crossentropy,
        categorical_focal_crossentropy,
        categorical_hinge,
        circle,
        cosine_similarity,
        ctc,
        dice,
        hinge,
        huber,
        kl_divergence,
        log_cosh,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_error,
        mean_squared_logarithmic_error,
        poisson,
        sparse_categorical_crossentropy,
        squared_hinge,
        tversky,
    )
}
_FUNCTIONS.update(
    {
        "mse": mse,
        "MSE": MSE,
        "mae": mae,
        "MAE": MAE,
        "mape": mape,
        "MAPE": MAPE,
        "msle": msle,
        "MSLE": MSLE,
        "kld": kld,
        "KLD": KLD,
        "bce": bce,
        "BCE": BCE,
    }
)
_CLASSES = {
    cls.__name__: cls
    for cls in (
        Loss,
        LossFunctionWrapper,
        CTC,
        BinaryCrossentropy,
        BinaryFocalCrossentropy,
        CategoricalCrossentropy,
        CategoricalFocalCrossentropy,
        CategoricalHinge,
        Circle,
        CosineSimilarity,
        Dice,
        Hinge,
        Huber,
        KLDivergence,
        LogCosh,
        MeanAbsoluteError,
        MeanAbsolutePercentageError,
        MeanSquaredError,
        MeanSquaredLogarithmicError,
        Poisson,
        SparseCategoricalCrossentropy,
        SquaredHinge,
        Tversky,
    )
}


def get(identifier):
    """A loss from a string (function or class name), a config dict, a callable or a `Loss`.

    As Keras: a function name gives the function itself; a class name gives an instance.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = _FUNCTIONS.get(identifier) or _CLASSES.get(identifier)
        if obj is None:
            # Beyond Keras: a name given to `register_keras_serializable` also resolves.

            obj = _object_registration.get_registered_object(identifier)
        if obj is None:
            raise ValueError(
                f"Unknown loss identifier {identifier!r}. Valid names: "
                f"{sorted(set(_FUNCTIONS) | set(_CLASSES))}, or a registered custom loss."
            )
    else:
        obj = identifier
    if isinstance(obj, type):
        return obj()
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def serialize(loss):
    if isinstance(loss, types.FunctionType) and loss.__name__ != "<lambda>":
        # Keras writes any named function this way: module "builtins" and, as the config, its
        # registered name ("package>name") or plain name. Keras's `losses.deserialize` reads a
        # function dict with another module back as the string "function", so the dict must
        # be Keras's exactly.
        return {
            "module": "builtins",
            "class_name": "function",
            "config": _object_registration.get_registered_name(loss),
            "registered_name": "function",
        }
    return _serialization.serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    return _serialization.deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects={**_FUNCTIONS, **_CLASSES}
    )


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("losses", vars())
