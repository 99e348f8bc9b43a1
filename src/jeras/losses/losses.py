"""The loss classes, each a `LossFunctionWrapper` around its function with Keras's defaults."""

from jeras.losses import functions as F
from jeras.losses.loss import Loss, LossFunctionWrapper


_TAIL = (("reduction", "sum_over_batch_size"), ("name", None), ("dtype", None))


def _loss_class(class_name, fn, default_name, extra=(), config_keys=None, signature=None):
    """Build a wrapper class taking the arguments of the Keras class of the same name, in its
    positional order (`signature`, default: `extra` then reduction, name, dtype).

    `config_keys` lists the `extra` arguments `get_config` reports; Keras leaves some out (Huber's
    `delta`, CosineSimilarity's `axis`), and jeras reports exactly what Keras does.
    """
    params = list(signature or (list(extra) + list(_TAIL)))
    params = [(key, default_name if key == "name" else default) for key, default in params]
    fn_keys = [key for key, _ in extra]
    reported = fn_keys if config_keys is None else list(config_keys)

    def __init__(self, *args, **kwargs):
        if len(args) > len(params):
            raise TypeError(f"{class_name} takes at most {len(params)} positional arguments.")
        values = dict(params)
        for (key, _), value in zip(params, args):
            values[key] = value
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{class_name} got an unexpected keyword argument {key!r}.")
            values[key] = value
        LossFunctionWrapper.__init__(self, fn, reduction=values["reduction"],
                                     name=values["name"], dtype=values["dtype"],
                                     **{key: values[key] for key in fn_keys})
        for key in fn_keys:
            setattr(self, key, values[key])

    def get_config(self):
        config = Loss.get_config(self)
        config.update({key: self._fn_kwargs[key] for key in reported})
        return config

    cls = type(class_name, (LossFunctionWrapper,), {"__init__": __init__,
                                                     "get_config": get_config,
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
Huber = _loss_class("Huber", F.huber, "huber_loss", [("delta", 1.0)], config_keys=())
LogCosh = _loss_class("LogCosh", F.log_cosh, "log_cosh")
Hinge = _loss_class("Hinge", F.hinge, "hinge")
SquaredHinge = _loss_class("SquaredHinge", F.squared_hinge, "squared_hinge")
CategoricalHinge = _loss_class("CategoricalHinge", F.categorical_hinge, "categorical_hinge")
KLDivergence = _loss_class("KLDivergence", F.kl_divergence, "kl_divergence")
Poisson = _loss_class("Poisson", F.poisson, "poisson")
CosineSimilarity = _loss_class("CosineSimilarity", F.cosine_similarity, "cosine_similarity",
                               [("axis", -1)], config_keys=())
BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy", F.binary_crossentropy, "binary_crossentropy",
    [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy", F.categorical_crossentropy, "categorical_crossentropy",
    [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
# Keras puts `reduction` before `axis` here, and its config omits `axis`.
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy", F.sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    [("from_logits", False), ("ignore_class", None), ("axis", -1)],
    config_keys=("from_logits", "ignore_class"),
    signature=[("from_logits", False), ("ignore_class", None),
               ("reduction", "sum_over_batch_size"), ("axis", -1), ("name", None),
               ("dtype", None)])


def _sparse_entry_mask(self, y_true, y_pred):
    ignore = self._fn_kwargs.get("ignore_class")
    if ignore is None:
        return None
    labels = y_true
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    return (labels != ignore).astype(y_pred.dtype)


SparseCategoricalCrossentropy._entry_mask = _sparse_entry_mask
SparseCategoricalCrossentropy.__doc__ = (
    "`keras.losses.SparseCategoricalCrossentropy(from_logits=False, ignore_class=None, ...)`: "
    "cross-entropy of integer class labels against class probabilities (or logits); entries "
    "labelled `ignore_class` are masked out of the mean.")
