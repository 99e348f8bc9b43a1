"""`PearsonCorrelation` and `ConcordanceCorrelation`: means of per-sample correlations along an
axis, and the functions they average."""

import jax.numpy as jnp

from jeras.backend.config import epsilon
from jeras.losses.reduction import squeeze_or_expand_to_same_rank
from jeras.metrics.reduction_metrics import (
    PADDING_EXACT_METRIC_FUNCTIONS,
    MeanMetricWrapper,
)
from jeras.ops._convert import unwrap


def _pair(y_true, y_pred):
    y_pred = jnp.asarray(unwrap(y_pred))
    y_true = jnp.asarray(unwrap(y_true)).astype(y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's r between `y_true` and `y_pred` along `axis` (population moments)."""
    y_true, y_pred = _pair(y_true, y_pred)
    true_centred = y_true - jnp.mean(y_true, axis=axis, keepdims=True)
    pred_centred = y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)
    true_centred = true_centred / jnp.std(true_centred, axis=axis, keepdims=True)
    pred_centred = pred_centred / jnp.std(pred_centred, axis=axis, keepdims=True)
    return jnp.mean(true_centred * pred_centred, axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along `axis`: 2 cov / (var_t + var_p + (mean_t - mean_p)^2).

    The covariance term centres `y_true` on the mean of `y_pred`, as Keras writes it; after the
    mean over `axis` this equals the textbook covariance (the extra term averages to zero), and
    keeping Keras's form keeps the rounding identical."""
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    pred_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    true_var = jnp.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = jnp.var(y_pred - pred_mean, axis=axis, keepdims=True)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + jnp.square(true_mean - pred_mean)
    return jnp.mean(2 * covariance / (norm + epsilon()), axis=axis)


# Pearson's r is left out: it is NaN on a constant row, such as a padding row of zeros.
PADDING_EXACT_METRIC_FUNCTIONS.add(concordance_correlation)


class PearsonCorrelation(MeanMetricWrapper):
    """The mean over samples of `pearson_correlation` along `axis`."""

    # A padding row of constant labels (a generator's short batch is filled with zeros) has
    # r = 0 / 0 = NaN, which its weight of 0 does not remove (NaN * 0 is NaN).
    exact_under_padding = False

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean over samples of `concordance_correlation` along `axis`."""

    exact_under_padding = True

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"
