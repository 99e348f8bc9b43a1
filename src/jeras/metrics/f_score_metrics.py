"""`FBetaScore` and `F1Score`: per-class precision/recall harmonic means of 2-D predictions."""

import jax
import jax.numpy as jnp

from jeras.backend.config import epsilon
from jeras.metrics.metric import Metric
from jeras.ops._convert import unwrap


class FBetaScore(Metric):
    """(1 + beta^2) * P * R / (beta^2 * P + R), from per-class counts over all batches.

    Args:
        average: None (one score per class), "micro" (counts pooled over classes), "macro"
            (unweighted mean of class scores) or "weighted" (mean weighted by each class's
            total label weight).
        beta: a positive Python float; recall weighs beta times as much as precision.
        threshold: a Python float in (0, 1]: predictions above it are positive. None marks
            each row's largest prediction(s) positive.

    The state's shape comes from the number of classes, so it is created at the first update.
    """

    exact_under_padding = True

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', "
                f"'macro', 'weighted'}}. Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python "
                    f"float. Received: threshold={threshold} of type "
                    f"'{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify "
                    f"0 < threshold <= 1. Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        # Micro averaging pools every entry into scalars; otherwise counts are per class.
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                f"y_true.shape={tuple(y_true_shape)}."
            )
        size = () if self.average == "micro" else (y_pred_shape[-1],)
        # May run while jax traces a step: keep the initial zeros concrete.
        with jax.ensure_compile_time_eval():
            for key in (
                "true_positives",
                "false_positives",
                "false_negatives",
                "intermediate_weights",
            ):
                setattr(
                    self,
                    key,
                    self.add_variable(shape=size, initializer="zeros", dtype=self.dtype, name=key),
                )
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(unwrap(y_true)).astype(self.dtype)
        y_pred = jnp.asarray(unwrap(y_pred)).astype(self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            row_max = jnp.max(y_pred, axis=-1, keepdims=True)
            # Rows of all zeros predict nothing.
            predicted = (y_pred >= row_max) & (jnp.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(self.dtype)
        if sample_weight is not None:
            # One weight per row (Keras supports only this shape).
            sample_weight = jnp.asarray(unwrap(sample_weight)).astype(self.dtype)[:, None]

        def weighted_sum(values):
            if sample_weight is not None:
                values = values * sample_weight
            return jnp.sum(values, axis=self.axis)

        self.true_positives.assign(self.true_positives.value + weighted_sum(predicted * y_true))
        self.false_positives.assign(
            self.false_positives.value + weighted_sum(predicted * (1 - y_true))
        )
        self.false_negatives.assign(
            self.false_negatives.value + weighted_sum((1 - predicted) * y_true)
        )
        self.intermediate_weights.assign(self.intermediate_weights.value + weighted_sum(y_true))

    def result(self):
        eps = epsilon()
        tp = self.true_positives.value
        precision = tp / (tp + self.false_positives.value + eps)
        recall = tp / (tp + self.false_negatives.value + eps)
        beta2 = self.beta**2
        score = precision * recall / (beta2 * precision + recall + eps) * (1 + beta2)
        if self.average == "weighted":
            support = self.intermediate_weights.value
            return jnp.sum(score * (support / (jnp.sum(support) + eps)))
        if self.average is not None:
            return jnp.mean(score)
        return score

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


class F1Score(FBetaScore):
    """`FBetaScore` with beta = 1: the harmonic mean of precision and recall."""

    exact_under_padding = True

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
