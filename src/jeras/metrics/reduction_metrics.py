"""`Sum`, `Mean` and `MeanMetricWrapper`: metrics that accumulate (weighted) values."""

import jax.numpy as jnp

from jeras import losses
from jeras.backend.masking import get_keras_mask
from jeras.losses.loss import PER_SAMPLE_LOSS_FUNCTIONS
from jeras.losses.reduction import align_rank, squeeze_or_expand_to_same_rank
from jeras.metrics.metric import Metric
from jeras.ops._convert import unwrap


def reduce_to_samplewise_values(values, sample_weight, dtype, reduce_fn=jnp.mean):
    """Per-sample values (`reduce_fn` over non-sample axes), weighted; and the matching weights.

    Keras's `Mean` reduces with the mean and `Sum` with the sum. A mask carried by `values`
    weighs its masked entries 0, as in Keras."""
    mask = get_keras_mask(values)
    values = jnp.asarray(unwrap(values)).astype(dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(unwrap(sample_weight)).astype(dtype)
        sample_weight = masked_sample_weight(sample_weight, mask, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = jnp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def masked_sample_weight(sample_weight, mask, dtype):
    """`sample_weight` times the 0/1 `mask` (Keras's `apply_mask` with a sum reduction); the
    mask alone when there is no weight. Per-sample weights of shape (batch,) apply along the
    mask's time steps (Keras would fail to broadcast them)."""
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask).astype(dtype)
    if sample_weight is None:
        return mask
    sample_weight = jnp.asarray(unwrap(sample_weight)).astype(dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    if sample_weight.ndim <= mask.ndim:
        return mask * align_rank(mask, sample_weight)
    return align_rank(sample_weight, mask) * sample_weight


# Functions whose values keep one entry per sample and stay finite on fit()'s padding rows:
# averaged by a `MeanMetricWrapper`, rows of weight 0 add nothing. jeras's per-sample loss
# functions are here; each module of metric functions adds its own.
PADDING_EXACT_METRIC_FUNCTIONS = set(PER_SAMPLE_LOSS_FUNCTIONS)


class Sum(Metric):
    """The (weighted) sum of the values given to `update_state`.

    Args:
        name, dtype: as for every `Metric`.
    """

    exact_under_padding = True

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, self.dtype, jnp.sum)
        self.total.assign_add(jnp.sum(values))

    def result(self):
        return self.total.value


class Mean(Metric):
    """The (weighted) mean of the values given to `update_state`.

    Args:
        name, dtype: as for every `Metric`.
    """

    exact_under_padding = True

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="total"
        )
        self.count = self.add_variable(
            shape=(), initializer="zeros", dtype=self.dtype, name="count"
        )

    def update_state(self, values, sample_weight=None):
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, self.dtype)
        self.total.assign_add(jnp.sum(values))
        if sample_weight is not None:
            count = jnp.sum(sample_weight)
        elif values.ndim >= 1:
            count = values.shape[0]
        else:
            count = 1
        self.count.assign_add(jnp.asarray(count, dtype=self.dtype))

    def result(self):
        count = self.count.value
        return jnp.where(count != 0, self.total.value / jnp.where(count != 0, count, 1), 0.0)


class MeanMetricWrapper(Mean):
    """The mean of `fn(y_true, y_pred, **kwargs)` over all samples seen.

    Args:
        fn: a function of `(y_true, y_pred, **kwargs)` giving one value per sample (or per
            entry, averaged per sample).
        name, dtype: as for every `Metric`.
        **kwargs: passed to `fn` at every update, and reported by `get_config`.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        # As Keras, no name gives the class's automatic name ("mean_metric_wrapper"), not the
        # function's; `metrics.get(fn)` passes the function's name explicitly.
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

        if fn in losses._FUNCTIONS.values():
            self._direction = "down"

    @property
    def exact_under_padding(self):
        """True when `fn` is one of jeras's functions known to give finite per-sample values
        (`PADDING_EXACT_METRIC_FUNCTIONS`); a user's function may reduce over the batch."""
        return self._fn in PADDING_EXACT_METRIC_FUNCTIONS

    def update_state(self, y_true, y_pred, sample_weight=None):
        # As Keras: the mask the predictions carry (a masked model output) weighs the masked
        # entries 0. In fit()'s train step the predictions reach the metrics without it (see
        # `Engine`), as in Keras on JAX.
        mask = get_keras_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = masked_sample_weight(sample_weight, mask, self.dtype)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype}
        config.update(self._fn_kwargs)
        return config
