"""Metrics that average a loss function: the probabilistic and regression families."""

import jax.numpy as jnp

from jeras.losses import functions as F
from jeras.losses.reduction import align_rank, squeeze_or_expand_to_same_rank
from jeras.ops._convert import unwrap
from jeras.metrics.reduction_metrics import Mean, MeanMetricWrapper, reduce_to_samplewise_values


def _metric_class(class_name, fn, default_name, extra=(), direction="down", config_keys=None):
    """Build a `MeanMetricWrapper` class taking, as the Keras class of the same name,
    `(name, dtype, *extra)` positionally; `config_keys` lists the `extra` arguments its
    `get_config` reports (Keras's CosineSimilarity leaves out `axis`)."""
    params = [("name", default_name), ("dtype", None)] + list(extra)
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
        MeanMetricWrapper.__init__(self, fn, name=values["name"], dtype=values["dtype"],
                                   **{key: values[key] for key in fn_keys})
        for key in fn_keys:
            setattr(self, key, values[key])
        self._direction = direction

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype}
        config.update({key: self._fn_kwargs[key] for key in reported})
        return config

    cls = type(class_name, (MeanMetricWrapper,), {"__init__": __init__,
                                                   "get_config": get_config,
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
# Keras's metric takes no `axis` (unlike the loss) and defaults label_smoothing to the int 0.
BinaryCrossentropy = _metric_class("BinaryCrossentropy", F.binary_crossentropy,
                                   "binary_crossentropy",
                                   [("from_logits", False), ("label_smoothing", 0)])
CategoricalCrossentropy = _metric_class("CategoricalCrossentropy", F.categorical_crossentropy,
                                        "categorical_crossentropy",
                                        [("from_logits", False), ("label_smoothing", 0.0),
                                         ("axis", -1)])
_SparseCategoricalCrossentropy = _metric_class("SparseCategoricalCrossentropy",
                                               F.sparse_categorical_crossentropy,
                                               "sparse_categorical_crossentropy",
                                               [("from_logits", False), ("ignore_class", None),
                                                ("axis", -1)])


class SparseCategoricalCrossentropy(_SparseCategoricalCrossentropy):
    __doc__ = _SparseCategoricalCrossentropy.__doc__

    def update_state(self, y_true, y_pred, sample_weight=None):
        # As Keras: entries labelled `ignore_class` add 0 to the total, and are also left out of
        # the count, but only when a sample_weight is given (Keras applies the loss's mask only
        # while weighting).
        ignore = self._fn_kwargs.get("ignore_class")
        if ignore is None or sample_weight is None:
            return super().update_state(y_true, y_pred, sample_weight=sample_weight)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        labels = jnp.asarray(unwrap(y_true))
        if labels.ndim == jnp.ndim(unwrap(y_pred)) and labels.shape[-1] == 1:
            labels = jnp.squeeze(labels, -1)
        mask = jnp.reshape(labels != ignore, values.shape).astype(self.dtype)
        sample_weight = jnp.asarray(unwrap(sample_weight), dtype=self.dtype)
        mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
        # Per-sample weights on (B, T) losses (fit()'s padding mask) apply along T.
        weights = mask * align_rank(mask, sample_weight)
        return Mean.update_state(self, values, sample_weight=weights)


SparseCategoricalCrossentropy.__module__ = "jeras.metrics"


def _cosine(y_true, y_pred, axis=-1):
    return -F.cosine_similarity(y_true, y_pred, axis=axis)


_cosine.__name__ = "cosine_similarity"
CosineSimilarity = _metric_class("CosineSimilarity", _cosine, "cosine_similarity",
                                 [("axis", -1)], direction="up", config_keys=())


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
