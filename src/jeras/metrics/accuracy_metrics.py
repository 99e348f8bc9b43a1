"""The accuracy family: `Accuracy`, `BinaryAccuracy`, `CategoricalAccuracy`,
`SparseCategoricalAccuracy`, and the top-k variants."""

import jax
import jax.numpy as jnp

from jeras.backend.config import floatx
from jeras.losses.reduction import squeeze_or_expand_to_same_rank
from jeras.metrics.reduction_metrics import (
    PADDING_EXACT_METRIC_FUNCTIONS,
    MeanMetricWrapper,
)
from jeras.ops._convert import unwrap


def _arrays(y_true, y_pred):
    return jnp.asarray(unwrap(y_true)), jnp.asarray(unwrap(y_pred))


def accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).astype(floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _arrays(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == predicted).astype(floatx())


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    return (jnp.argmax(y_true, -1) == jnp.argmax(y_pred, -1)).astype(floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _arrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_accuracy: labels of shape {tuple(y_true.shape)} do not match "
            f"predictions of shape {tuple(y_pred.shape)}; expected integer labels of shape "
            f"{tuple(y_pred.shape[:-1])}."
        )
    predicted = jnp.argmax(y_pred, -1).astype(y_true.dtype)
    return (y_true == predicted).astype(floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true, y_pred = _arrays(y_true, y_pred)
    return _in_top_k(y_pred, jnp.argmax(y_true, -1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    y_true, y_pred = _arrays(y_true, y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    if from_sorted_ids:
        return jnp.any(y_pred[..., :k] == y_true[..., None], axis=-1).astype(floatx())
    return _in_top_k(y_pred, y_true, k)


def _in_top_k(predictions, targets, k):
    # A target is in the top k when fewer than k classes score strictly higher than it.
    targets = targets.astype("int32")
    target_score = jnp.take_along_axis(predictions, targets[..., None], axis=-1)
    higher = jnp.sum(predictions > target_score, axis=-1)
    return (higher < k).astype(floatx())


PADDING_EXACT_METRIC_FUNCTIONS.update(
    {
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
    }
)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly: the mean over all samples of
    `y_true == y_pred`.

    Args:
        name, dtype: as for every `Metric`.
    """

    exact_under_padding = True

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)
        self._direction = "up"


class BinaryAccuracy(MeanMetricWrapper):
    """How often 0/1 labels match predictions thresholded at `threshold`.

    Args:
        name, dtype: as for every `Metric`.
        threshold: a prediction above it counts as 1.
    """

    exact_under_padding = True

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self._direction = "up"


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions matches the argmax of one-hot labels.

    Args:
        name, dtype: as for every `Metric`.
    """

    exact_under_padding = True

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of the predictions equals the integer label.

    Args:
        name, dtype: as for every `Metric`.
    """

    exact_under_padding = True

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the class of a one-hot label is among the `k` highest predictions.

    Args:
        k: how many of the highest-scored classes count.
        name, dtype: as for every `Metric`.
    """

    exact_under_padding = True

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self._direction = "up"


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest predictions.

    Args:
        k: how many of the highest-scored classes count.
        name, dtype: as for every `Metric`.
        from_sorted_ids: whether `y_pred` already holds class ids sorted by score (the top `k`
            of them are compared with the label) instead of scores.
    """

    exact_under_padding = True

    def __init__(
        self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False
    ):
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self._direction = "up"

    def get_config(self):
        # Keras reports `from_sorted_ids` only when it is set.
        config = super().get_config()
        if not config["from_sorted_ids"]:
            del config["from_sorted_ids"]
        return config
