"""The loss classes, each a `LossFunctionWrapper` around its function with Keras's defaults."""

from jeras.losses import functions as F
from jeras.losses.loss import Loss, LossFunctionWrapper


_TAIL = (("reduction", "sum_over_batch_size"), ("name", None), ("dtype", None))


def _loss_class(class_name, fn, default_name, extra=(), config_keys=None, signature=None,
                check=None):
    """Build a wrapper class taking the arguments of the Keras class of the same name, in its
    positional order (`signature`, default: `extra` then reduction, name, dtype).

    `config_keys` lists the `extra` arguments `get_config` reports, in Keras's order; Keras leaves
    some out (Huber's `delta`, CosineSimilarity's `axis`), and jeras reports exactly what Keras
    does. `check(values)` validates the arguments before anything is built.
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
        if check is not None:
            check(values)
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


BinaryFocalCrossentropy = _loss_class(
    "BinaryFocalCrossentropy", F.binary_focal_crossentropy, "binary_focal_crossentropy",
    [("apply_class_balancing", False), ("alpha", 0.25), ("gamma", 2.0), ("from_logits", False),
     ("label_smoothing", 0.0), ("axis", -1)],
    config_keys=("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha",
                 "gamma"))
CategoricalFocalCrossentropy = _loss_class(
    "CategoricalFocalCrossentropy", F.categorical_focal_crossentropy,
    "categorical_focal_crossentropy",
    [("alpha", 0.25), ("gamma", 2.0), ("from_logits", False), ("label_smoothing", 0.0),
     ("axis", -1)],
    config_keys=("from_logits", "label_smoothing", "axis", "alpha", "gamma"))
# Keras puts `name` before `axis` for the two overlap losses.
Dice = _loss_class(
    "Dice", F.dice, "dice", [("axis", None)],
    signature=[("reduction", "sum_over_batch_size"), ("name", None), ("axis", None),
               ("dtype", None)])
Tversky = _loss_class(
    "Tversky", F.tversky, "tversky", [("alpha", 0.5), ("beta", 0.5), ("axis", None)],
    signature=[("alpha", 0.5), ("beta", 0.5), ("reduction", "sum_over_batch_size"),
               ("name", None), ("axis", None), ("dtype", None)])
CTC = _loss_class("CTC", F.ctc, "ctc")
Circle = _loss_class(
    "Circle", F.circle, "circle",
    [("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", True)])


def _check_q(values):
    if not 0 < values["q"] < 1:
        raise ValueError(
            f"CategoricalGeneralizedCrossEntropy: q must be in the open interval (0, 1), got "
            f"q={values['q']!r}.")


CategoricalGeneralizedCrossEntropy = _loss_class(
    "CategoricalGeneralizedCrossEntropy", F.categorical_generalized_cross_entropy,
    "categorical_generalized_cross_entropy", [("q", 0.5)], check=_check_q)
