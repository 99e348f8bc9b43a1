"""Metrics that average a loss function over all samples (the probabilistic and regression
families), each a `MeanMetricWrapper` with the arguments, defaults and config of the Keras 3
class of the same name.

Arguments common to every class:
    name: the metric's name (Keras's default for the class).
    dtype: the dtype of the metric's computations and state (floatx by default).
"""

import jax.numpy as jnp

from jeras.backend.masking import get_keras_mask
from jeras.losses import functions as F
from jeras.losses.reduction import align_rank, squeeze_or_expand_to_same_rank
from jeras.metrics.reduction_metrics import Mean, MeanMetricWrapper, masked_sample_weight
from jeras.ops._convert import unwrap


class MeanSquaredError(MeanMetricWrapper):
    """The mean over all samples of the squared error, averaged over the last axis.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(F.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean over all samples of the absolute error, averaged over the last axis.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(F.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean over all samples of 100 |y_true - y_pred| / |y_true| (labels near 0 clipped to
    epsilon), averaged over the last axis.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(F.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean over all samples of the squared difference of log(1 + x) of labels and
    predictions, averaged over the last axis.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(F.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """The mean over all samples of log(cosh(y_pred - y_true)), averaged over the last axis.

    Args: name, dtype (see the module docstring). Keras's default name is "logcosh".
    """

    exact_under_padding = True

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(F.log_cosh, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """The mean over all samples of the hinge loss max(1 - y_true * y_pred, 0); labels in
    {0, 1} are mapped to {-1, 1}.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="hinge", dtype=None):
        super().__init__(F.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The mean over all samples of the squared hinge loss max(1 - y_true * y_pred, 0) ** 2.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(F.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The mean over all samples of the categorical hinge loss of one-hot labels.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(F.categorical_hinge, name=name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """The mean over all samples of the Kullback-Leibler divergence of `y_pred` from `y_true`.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(F.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The mean over all samples of the Poisson loss y_pred - y_true * log(y_pred + epsilon).

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="poisson", dtype=None):
        super().__init__(F.poisson, name=name, dtype=dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean over all samples of the binary cross-entropy of 0/1 labels.

    Args:
        name, dtype: see the module docstring.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards 0.5 by this amount.

    Unlike the loss, Keras's metric takes no `axis`.
    """

    exact_under_padding = True

    def __init__(
        self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0
    ):
        super().__init__(
            F.binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean over all samples of the cross-entropy of one-hot labels.

    Args:
        name, dtype: see the module docstring.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards the uniform distribution by this
            amount.
        axis: the class axis.
    """

    exact_under_padding = True

    def __init__(
        self,
        name="categorical_crossentropy",
        dtype=None,
        from_logits=False,
        label_smoothing=0,
        axis=-1,
    ):
        super().__init__(
            F.categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean over all samples of the cross-entropy of integer class labels.

    Args:
        name, dtype: see the module docstring.
        from_logits: whether `y_pred` holds logits rather than probabilities.
        ignore_class: a label value whose entries add 0 to the total; as Keras, they are left
            out of the count only when a `sample_weight` is given.
        axis: the class axis.
    """

    def __init__(
        self,
        name="sparse_categorical_crossentropy",
        dtype=None,
        from_logits=False,
        ignore_class=None,
        axis=-1,
    ):
        super().__init__(
            F.sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    @property
    def exact_under_padding(self):
        # With `ignore_class`, a sample_weight of ones (what fit() gives with padding) leaves the
        # ignored entries out of the count, while no sample_weight (Keras) counts them.
        return self.ignore_class is None

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is None or sample_weight is None:
            return super().update_state(y_true, y_pred, sample_weight=sample_weight)
        sample_weight = masked_sample_weight(sample_weight, get_keras_mask(y_pred), self.dtype)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        labels = jnp.asarray(unwrap(y_true))
        if labels.ndim == jnp.ndim(unwrap(y_pred)) and labels.shape[-1] == 1:
            labels = jnp.squeeze(labels, -1)
        mask = jnp.reshape(labels != self.ignore_class, values.shape).astype(self.dtype)
        sample_weight = jnp.asarray(unwrap(sample_weight), dtype=self.dtype)
        mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
        # Per-sample weights on (B, T) losses (fit()'s padding mask) apply along T.
        weights = mask * align_rank(mask, sample_weight)
        return Mean.update_state(self, values, sample_weight=weights)


def _cosine_similarity_score(y_true, y_pred, axis=-1):
    # The loss function negates the similarity (so that minimising it aligns the vectors); the
    # metric reports the similarity itself.
    return -F.cosine_similarity(y_true, y_pred, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """The mean over all samples of the cosine similarity of labels and predictions along
    `axis` (1: same direction, -1: opposite).

    Args:
        name, dtype: see the module docstring.
        axis: the axis along which the similarity is computed. As Keras, the config does not
            report it.
    """

    exact_under_padding = True

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity_score, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class RootMeanSquaredError(Mean):
    """The square root of the (weighted) mean of squared errors.

    Args: name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = F._pair(y_true, y_pred, "root_mean_squared_error")
        return super().update_state(jnp.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return jnp.sqrt(super().result())
