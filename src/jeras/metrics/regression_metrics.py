"""`R2Score`: the coefficient of determination of 2-D regression targets, per output column."""

import warnings

import jax
import jax.numpy as jnp

from jeras.losses.reduction import squeeze_or_expand_to_same_rank
from jeras.metrics.metric import Metric
from jeras.ops._convert import unwrap


class R2Score(Metric):
    """1 - SS_res / SS_tot per output column, from weighted sums accumulated over batches.

    Args:
        class_aggregation: "uniform_average" (mean over columns), "variance_weighted_average"
            (columns weighted by SS_tot) or None (one score per column).
        num_regressors: with p > 0 regressors, the adjusted score
            1 - (1 - R2) (n - 1) / (n - p - 1), where n counts every target entry seen; it falls
            back to the plain score (with a warning when eager) while n - 1 <= p.

    A column whose SS_tot is 0 scores 0 (the infinite ratio is replaced). The column state is
    created at the first update, from the targets' shape.
    """

    def __init__(
        self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{valid}. Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value "
                f">= 0. Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    @property
    def exact_under_padding(self):
        # The adjusted score's n counts every entry given, whatever its weight (as Keras).
        return self.num_regressors == 0

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={tuple(y_pred_shape)} and "
                f"y_true.shape={tuple(y_true_shape)}."
            )
        columns = (y_pred_shape[-1],)
        # May run while jax traces a step: keep the initial zeros concrete. The residual sum
        # is the variable Keras names "residual".
        with jax.ensure_compile_time_eval():
            self.squared_sum = self.add_variable(
                shape=columns, initializer="zeros", name="squared_sum"
            )
            self.sum = self.add_variable(shape=columns, initializer="zeros", name="sum")
            self.total_mse = self.add_variable(shape=columns, initializer="zeros", name="residual")
            self.count = self.add_variable(shape=columns, initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(unwrap(y_true)).astype(self.dtype)
        y_pred = jnp.asarray(unwrap(y_pred)).astype(self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weight = jnp.asarray(1 if sample_weight is None else unwrap(sample_weight)).astype(
            self.dtype
        )
        if weight.ndim == 1:
            weight = weight[:, None]
        weight = jnp.broadcast_to(weight, y_true.shape)
        weighted_true = y_true * weight
        self.sum.assign(self.sum.value + jnp.sum(weighted_true, axis=0))
        self.squared_sum.assign(self.squared_sum.value + jnp.sum(y_true * weighted_true, axis=0))
        self.total_mse.assign(
            self.total_mse.value + jnp.sum((y_true - y_pred) ** 2 * weight, axis=0)
        )
        self.count.assign(self.count.value + jnp.sum(weight, axis=0))
        # Every entry counts towards n, not every row (as Keras counts).
        self.num_samples.assign(self.num_samples.value + y_true.size)

    def result(self):
        total_sum, count = self.sum.value, self.count.value
        mean = total_sum / count
        ss_tot = self.squared_sum.value - total_sum * mean
        raw = 1 - self.total_mse.value / ss_tot
        raw = jnp.where(jnp.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = jnp.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = jnp.sum(ss_tot * raw) / jnp.sum(ss_tot)
        else:
            score = raw
        if self.num_regressors != 0:
            n = self.num_samples.value.astype("float32")
            p = float(self.num_regressors)
            usable = p < n - 1
            if not isinstance(n, jax.core.Tracer) and not bool(usable):
                warnings.warn(
                    "More independent predictors than datapoints in adjusted R2 score. Falling "
                    "back to standard R2 score."
                    if p > n - 1
                    else "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            # Chosen on device so that the compiled step needs no host round trip.
            denominator = jnp.where(usable, n - p - 1.0, 1.0)
            score = jnp.where(usable, 1.0 - (1.0 - score) * (n - 1.0) / denominator, score)
        return score

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
