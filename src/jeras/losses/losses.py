"""The loss classes, each a `LossFunctionWrapper` around its function with Keras's defaults."""

from jeras.losses import functions as F
from jeras.losses.loss import LossFunctionWrapper


def _loss_class(class_name, fn, default_name, extra=()):
    """Build a wrapper class whose constructor takes `extra` (name, default) arguments, then
    reduction, name and dtype, as the Keras class of the same name."""
    params = list(extra)

    def __init__(self, *args, reduction="sum_over_batch_size", name=default_name, dtype=None,
                 **kwargs):
        values = {key: default for key, default in params}
        if len(args) > len(params):
            raise TypeError(f"{class_name} takes at most {len(params)} positional arguments.")
        for (key, _), value in zip(params, args):
            values[key] = value
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{class_name} got an unexpected keyword argument {key!r}.")
            values[key] = value
        LossFunctionWrapper.__init__(self, fn, reduction=reduction, name=name, dtype=dtype,
                                     **values)

    cls = type(class_name, (LossFunctionWrapper,), {"__init__": __init__,
                                                     "__module__": "jeras.losses"})
    cls.__doc__ = f"`keras.losses.{class_name}`: the reduced `{fn.__name__}` loss."
    return cls


MeanSquaredError = _loss_class("MeanSquaredError", F.mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", F.mean_absolute_error,
                                "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class("MeanAbsolutePercentageError",
                                          F.mean_absolute_percentage_error,
                                          "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _loss_class("MeanSquaredLogarithmicError",
                                          F.mean_squared_logarithmic_error,
                                          "mean_squared_logarithmic_error")
Huber = _loss_class("Huber", F.huber, "huber_loss", [("delta", 1.0)])
LogCosh = _loss_class("LogCosh", F.log_cosh, "log_cosh")
Hinge = _loss_class("Hinge", F.hinge, "hinge")
SquaredHinge = _loss_class("SquaredHinge", F.squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class("CategoricalHinge", F.categorical_hinge, "categorical_hinge")
KLDivergence = _loss_class("KLDivergence", F.kl_divergence, "kl_divergence")
Poisson = _loss_class("Poisson", F.poisson, "poisson")
CosineSimilarity = _loss_class("CosineSimilarity", F.cosine_similarity, "cosine_similarity",
                               [("axis", -1)])
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", F.binary_crossentropy, "binary_crossentropy",
    [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", F.categorical_crossentropy, "categorical_crossentropy",
    [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """`keras.losses.SparseCategoricalCrossentropy(from_logits=False, ignore_class=None, ...)`:
    cross-entropy of integer class labels against class probabilities (or logits)."""

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(F.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)

    def _entry_mask(self, y_true, y_pred):
        ignore = self._fn_kwargs.get("ignore_class")
        if ignore is None:
            return None
        labels = y_true
        if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
            labels = labels[..., 0]
        return (labels != ignore).astype(y_pred.dtype)


SparseCategoricalCrossentropy.__module__ = "jeras.losses"
