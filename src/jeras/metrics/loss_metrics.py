"""Metrics that average a loss function: the probabilistic and regression families."""

import jax.numpy as jnp

from jeras.losses import functions as F
from jeras.metrics.reduction_metrics import Mean, MeanMetricWrapper, reduce_to_samplewise_values


def _metric_class(class_name, fn, default_name, extra=(), direction="down"):
    params = list(extra)

    def __init__(self, *args, name=default_name, dtype=None, **kwargs):
        values = {key: default for key, default in params}
        for (key, _), value in zip(params, args):
            values[key] = value
        for key, value in kwargs.items():
            if key not in values:
                raise TypeError(f"{class_name} got an unexpected keyword argument {key!r}.")
            values[key] = value
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **values)
        self._direction = direction

    cls = type(class_name, (MeanMetricWrapper,), {"__init__": __init__,
                                                   "__module__": "jeras.metrics"})
    cls.__doc__ = f"`keras.metrics.{class_name}`: the mean of `{fn.__name__}` over all samples."
    return cls


MeanSquaredError = _metric_class("MeanSquaredError", F.mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _metric_class("MeanAbsoluteError", F.mean_absolute_error,
                                  "mean_absolute_error")
MeanAbsolutePercentageError = _metric_class("MeanAbsolutePercentageError",
                                            F.mean_absolute_percentage_error,
                                            "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _metric_class("MeanSquaredLogarithmicError",
                                            F.mean_squared_logarithmic_error,
                                            "mean_squared_logarithmic_error")
LogCoshError = _metric_class("LogCoshError", F.log_cosh, "logcosh")
Hinge = _metric_class("Hinge", F.hinge, "hinge")
SquaredHinge = _metric_class("SquaredHinge", F.squared_hinge, "squared_hinge")
CategoricalHinge = _metric_class("CategoricalHinge", F.categorical_hinge, "categorical_hinge")
KLDivergence = _metric_class("KLDivergence", F.kl_divergence, "kl_divergence")
Poisson = _metric_class("Poisson", F.poisson, "poisson")
BinaryCrossentropy = _metric_class("BinaryCrossentropy", F.binary_crossentropy,
                                   "binary_crossentropy",
                                   [("from_logits", False), ("label_smoothing", 0.0), ("axis", -1)])
CategoricalCrossentropy = _metric_class("CategoricalCrossentropy", F.categorical_crossentropy,
                                        "categorical_crossentropy",
                                        [("from_logits", False), ("label_smoothing", 0.0),
                                         ("axis", -1)])
SparseCategoricalCrossentropy = _metric_class("SparseCategoricalCrossentropy",
                                              F.sparse_categorical_crossentropy,
                                              "sparse_categorical_crossentropy",
                                              [("from_logits", False), ("ignore_class", None),
                                               ("axis", -1)])


def _cosine(y_true, y_pred, axis=-1):
    return -F.cosine_similarity(y_true, y_pred, axis=axis)


_cosine.__name__ = "cosine_similarity"
CosineSimilarity = _metric_class("CosineSimilarity", _cosine, "cosine_similarity",
                                 [("axis", -1)], direction="up")


class RootMeanSquaredError(Mean):
    """The square root of the (weighted) mean of squared errors."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = F._pair(y_true, y_pred, "root_mean_squared_error")
        return super().update_state(jnp.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return jnp.sqrt(super().result())
