"""The loss classes of Keras 3: each a `LossFunctionWrapper` around its function in
`jeras.losses.functions`, taking Keras's arguments in Keras's positional order, with Keras's
defaults, and reporting the config Keras reports.

Every class here computes per-sample values (or, for Dice, Tversky and Circle, takes fit()'s row
mask into its batch-wide formula), so each states `exact_under_padding = True`.

Arguments common to every class:
    reduction: how the per-sample values become the loss: "sum_over_batch_size" (default),
        "sum", "mean", "mean_with_sample_weight", "none" or None.
    name: the loss's name (the function's name by default, as in Keras).
    dtype: the dtype of the computation (floatx by default).
"""

from jeras.losses import functions as F
from jeras.losses.loss import Loss, LossFunctionWrapper


def _config(loss, **arguments):
    """The base config (name, reduction) followed by the class's own reported arguments."""
    return {**Loss.get_config(loss), **arguments}


class MeanSquaredError(LossFunctionWrapper):
    """The mean of squared differences between labels and predictions over the last axis.

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(F.mean_squared_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class MeanAbsoluteError(LossFunctionWrapper):
    """The mean of absolute differences between labels and predictions over the last axis.

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(F.mean_absolute_error, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """100 times the mean of |y_true - y_pred| / |y_true| over the last axis (labels near 0 are
    clipped to epsilon).

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None
    ):
        super().__init__(
            F.mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype
        )

    def get_config(self):
        return _config(self)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """The mean of squared differences of log(1 + x) of labels and predictions over the last
    axis (negative values clipped to epsilon first).

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None
    ):
        super().__init__(
            F.mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype
        )

    def get_config(self):
        return _config(self)


class Huber(LossFunctionWrapper):
    """Quadratic for errors up to `delta`, linear beyond it, averaged over the last axis.

    Args:
        delta: the error size where the loss turns from quadratic to linear. As Keras, the
            config does not report it.
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(F.huber, reduction=reduction, name=name, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self):
        return _config(self)


class LogCosh(LossFunctionWrapper):
    """The mean of log(cosh(y_pred - y_true)) over the last axis.

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(F.log_cosh, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class Hinge(LossFunctionWrapper):
    """The mean of max(1 - y_true * y_pred, 0) over the last axis; labels in {0, 1} are mapped
    to {-1, 1}.

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(F.hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class SquaredHinge(LossFunctionWrapper):
    """The mean of max(1 - y_true * y_pred, 0) squared over the last axis; labels in {0, 1}
    are mapped to {-1, 1}.

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(F.squared_hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class CategoricalHinge(LossFunctionWrapper):
    """max(0, 1 + the best wrong-class score - the true-class score), with one-hot labels.

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(F.categorical_hinge, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class KLDivergence(LossFunctionWrapper):
    """The Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)) over the last axis,
    both clipped to [epsilon, 1].

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(F.kl_divergence, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class Poisson(LossFunctionWrapper):
    """The mean of y_pred - y_true * log(y_pred + epsilon) over the last axis.

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(F.poisson, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class CosineSimilarity(LossFunctionWrapper):
    """The negative cosine similarity of labels and predictions along `axis` (so that
    minimising it aligns them).

    Args:
        axis: the axis along which the similarity is computed. As Keras, the config does not
            report it.
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None
    ):
        super().__init__(
            F.cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis
        )
        self.axis = axis

    def get_config(self):
        return _config(self)


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy of 0/1 labels against predicted probabilities (or logits), averaged over
    `axis`.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards 0.5 by this amount.
        axis: the axis the mean runs over.
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            F.binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return _config(
            self, from_logits=self.from_logits, label_smoothing=self.label_smoothing, axis=self.axis
        )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of one-hot labels against class probabilities (or logits) along `axis`.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards the uniform distribution by this
            amount.
        axis: the class axis.
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            F.categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return _config(
            self, from_logits=self.from_logits, label_smoothing=self.label_smoothing, axis=self.axis
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of integer class labels against class probabilities (or logits); entries
    labelled `ignore_class` are masked out of the mean.

    Args:
        from_logits: whether `y_pred` holds logits rather than probabilities.
        ignore_class: a label value whose entries add nothing and are not counted (None: none).
        reduction: see the module docstring (Keras places it before `axis` here).
        axis: the class axis. As Keras, the config does not report it.
        name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            F.sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def _entry_mask(self, y_true, y_pred):
        if self.ignore_class is None:
            return None
        labels = y_true
        if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
            labels = labels[..., 0]
        return (labels != self.ignore_class).astype(y_pred.dtype)

    def get_config(self):
        return _config(self, from_logits=self.from_logits, ignore_class=self.ignore_class)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy scaled by (1 - p_t) ** gamma, which down-weights well-classified
    examples, averaged over `axis`.

    Args:
        apply_class_balancing: whether to weight positives by `alpha` and negatives by
            1 - `alpha`.
        alpha: the class-balancing weight of positive labels.
        gamma: the focusing exponent (0 gives plain binary cross-entropy).
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards 0.5 by this amount.
        axis: the axis the mean runs over.
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            F.binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        # Keras's order: the cross-entropy arguments, then the focal ones.
        return _config(
            self,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
            apply_class_balancing=self.apply_class_balancing,
            alpha=self.alpha,
            gamma=self.gamma,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy scaled by alpha * (1 - p_t) ** gamma, which down-weights
    well-classified examples.

    Args:
        alpha: the weight of every class's term.
        gamma: the focusing exponent (0 gives alpha times categorical cross-entropy).
        from_logits: whether `y_pred` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; labels move towards the uniform distribution by this
            amount.
        axis: the class axis.
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            F.categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.alpha = alpha
        self.gamma = gamma
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        # Keras's order: the cross-entropy arguments, then the focal ones.
        return _config(
            self,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
            alpha=self.alpha,
            gamma=self.gamma,
        )


class Dice(LossFunctionWrapper):
    """1 - the Dice coefficient 2 |y_true * y_pred| / (|y_true| + |y_pred|), summed over `axis`
    (over the whole batch when `axis` is None).

    Args:
        reduction, name: see the module docstring (Keras places `name` before `axis` here).
        axis: the axes the overlap is summed over; None sums over everything.
        dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(F.dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        return _config(self, axis=self.axis)


class Tversky(LossFunctionWrapper):
    """1 - the Tversky index TP / (TP + alpha FP + beta FN), summed over `axis` (over the whole
    batch when `axis` is None). alpha = beta = 0.5 gives the Dice loss.

    Args:
        alpha: the weight of false positives.
        beta: the weight of false negatives.
        reduction, name: see the module docstring (Keras places `name` before `axis` here).
        axis: the axes the counts are summed over; None sums over everything.
        dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        alpha=0.5,
        beta=0.5,
        reduction="sum_over_batch_size",
        name="tversky",
        axis=None,
        dtype=None,
    ):
        super().__init__(
            F.tversky,
            reduction=reduction,
            name=name,
            dtype=dtype,
            alpha=alpha,
            beta=beta,
            axis=axis,
        )
        self.alpha = alpha
        self.beta = beta
        self.axis = axis

    def get_config(self):
        return _config(self, alpha=self.alpha, beta=self.beta, axis=self.axis)


class CTC(LossFunctionWrapper):
    """Connectionist temporal classification: the negative log-likelihood of each label
    sequence under the per-step class logits `y_pred` (batch, time, classes).

    Args: reduction, name, dtype (see the module docstring).
    """

    exact_under_padding = True

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(F.ctc, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        return _config(self)


class Circle(LossFunctionWrapper):
    """The circle loss of embeddings `y_pred` with integer labels `y_true`: pulls same-label
    pairs above a similarity of 1 - `margin` and pushes other pairs below `margin`.

    Args:
        gamma: the scale of the similarities inside the log-sum-exp.
        margin: the relaxation of the decision boundary.
        remove_diagonal: whether each embedding's pair with itself is left out.
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction="sum_over_batch_size",
        name="circle",
        dtype=None,
    ):
        super().__init__(
            F.circle,
            reduction=reduction,
            name=name,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal

    def get_config(self):
        return _config(
            self, gamma=self.gamma, margin=self.margin, remove_diagonal=self.remove_diagonal
        )


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """(1 - p_true ** q) / q with one-hot labels: cross-entropy as q approaches 0, mean
    absolute error at q = 1, robust to noisy labels in between.

    Args:
        q: in the open interval (0, 1).
        reduction, name, dtype: see the module docstring.
    """

    exact_under_padding = True

    def __init__(
        self,
        q=0.5,
        reduction="sum_over_batch_size",
        name="categorical_generalized_cross_entropy",
        dtype=None,
    ):
        if not 0 < q < 1:
            raise ValueError(
                f"CategoricalGeneralizedCrossEntropy: q must be in the open interval (0, 1), got "
                f"q={q!r}."
            )
        super().__init__(
            F.categorical_generalized_cross_entropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            q=q,
        )
        self.q = q

    def get_config(self):
        return _config(self, q=self.q)
