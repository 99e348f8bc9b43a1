"""Metrics over confusion-matrix counts at thresholds: `TruePositives`, `TrueNegatives`,
`FalsePositives`, `FalseNegatives`, `Precision`, `Recall`, the sensitivity/specificity family
and `AUC`.

Counting is vectorised over thresholds. Evenly spaced thresholds (AUC's 200, the
sensitivity/specificity grid, any list equal to `linspace(0, 1, n)`) use bucket counts: each
prediction is scattered into the bucket of the highest threshold it exceeds and a reversed
cumulative sum gives every threshold's count, O(N + T) work. Other threshold lists compare all
predictions against all thresholds at once, O(N * T). Both mirror Keras's choice, so the counts
agree with Keras at the boundaries too (the bucket path decides "p > t" as
`ceil(p * (T - 1)) - 1 >= i`, which differs from a direct compare by rounding only).
"""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.config import epsilon
from jeras.losses.reduction import squeeze_or_expand_to_same_rank
from jeras.metrics.metric import Metric
from jeras.ops._convert import unwrap

# The threshold that makes every kept top-k prediction positive (filtered ones equal it).
NEG_INF = -1e10

TP, FP, TN, FN = "tp", "fp", "tn", "fn"


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def parse_thresholds(thresholds, default):
    """The thresholds as a list; user values must lie in [0, 1] (as Keras checks)."""
    if thresholds is None:
        return [default]
    values = _as_list(thresholds)
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return values


def evenly_spaced(thresholds):
    """Whether `thresholds` is `i / (n - 1)` for i in 0..n-1 (n >= 3), the bucketed case."""
    n = len(thresholds)
    if n < 3:
        return False
    grid = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), grid, atol=epsilon()))


def _filter_top_k(x, k):
    # Entries outside each row's top k become NEG_INF, so no threshold counts them positive.
    _, indices = jax.lax.top_k(x, k)
    kept = jnp.sum(jax.nn.one_hot(indices, x.shape[-1], dtype=x.dtype), axis=-2)
    return x * kept + NEG_INF * (1 - kept)


def _reverse_cumsum(x):
    return jnp.flip(jnp.cumsum(jnp.flip(x, -1), axis=-1), -1)


def confusion_counts(
    wanted,
    y_true,
    y_pred,
    thresholds,
    dtype,
    evenly=False,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """The weighted counts of this batch for the keys in `wanted` (TP, FP, TN, FN): a dict of
    arrays of shape `(len(thresholds),)`, or `(len(thresholds), num_labels)` when
    `multi_label`. A label counts as positive when non-zero, a prediction when it is strictly
    above the threshold."""
    thresholds = list(thresholds)
    with_epsilon = evenly and (thresholds[0] < 0.0 or thresholds[-1] > 1.0)
    y_true = jnp.asarray(unwrap(y_true)).astype(dtype)
    y_pred = jnp.asarray(unwrap(y_pred)).astype(dtype)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if sample_weight is not None:
        sample_weight = jnp.asarray(unwrap(sample_weight)).astype(dtype)
        if (
            0 < sample_weight.ndim < y_true.ndim - 1
            and sample_weight.shape == y_true.shape[: sample_weight.ndim]
        ):
            # Per-sample weights of rank-3+ data (fit()'s padding mask on sequences) apply to
            # all of a sample's entries. Keras broadcasts them against the trailing axes, which
            # fails unless the sizes happen to fit.
            sample_weight = sample_weight.reshape(
                sample_weight.shape + (1,) * (y_true.ndim - sample_weight.ndim)
            )
        sample_weight = jnp.expand_dims(sample_weight, -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(
            y_true, sample_weight, expand_rank_1=False
        )
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                f"num_classes), found shape: {tuple(y_pred.shape)}"
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    # One weight per prediction (sample weight times label weight), or a scalar 1.
    weights = jnp.asarray(1.0, dtype)
    if sample_weight is not None:
        weights = jnp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        weights = weights * jnp.broadcast_to(
            jnp.asarray(unwrap(label_weights)).astype(dtype)[None], y_pred.shape
        )
    is_true = (y_true != 0).astype(dtype)
    if not multi_label:
        # Every entry is one binary decision.
        is_true, y_pred = is_true.reshape(-1), y_pred.reshape(-1)
        if weights.ndim:
            weights = weights.reshape(-1)
    true_w = is_true * weights
    false_w = (1 - is_true) * weights
    num = len(thresholds)

    if evenly:
        # Keras clips only here: a prediction outside [0, 1] lands in the first or last bucket.
        y_pred = jnp.clip(y_pred, 0.0, 1.0)
        bucket = jnp.ceil(y_pred * (jnp.asarray(num, dtype) - 1)) - 1
        if with_epsilon:
            # The first threshold lies just below 0, so every prediction exceeds it.
            bucket = jnp.maximum(bucket, 0)
        bucket = bucket.astype("int32")

        def bucket_sums(values, ids):
            # Bucket -1 (not above the first threshold) is dropped by segment_sum.
            return jax.ops.segment_sum(values, ids, num_segments=num)

        if multi_label:
            by_label = jax.vmap(bucket_sums)
            true_w, false_w, bucket = true_w.T, false_w.T, bucket.T
            tp = _reverse_cumsum(by_label(true_w, bucket)).T
            fp = _reverse_cumsum(by_label(false_w, bucket)).T
            total_true, total_false = jnp.sum(true_w, axis=1), jnp.sum(false_w, axis=1)
        else:
            tp = _reverse_cumsum(bucket_sums(true_w, bucket))
            fp = _reverse_cumsum(bucket_sums(false_w, bucket))
            total_true, total_false = jnp.sum(true_w), jnp.sum(false_w)
        counts = {TP: tp, FP: fp, FN: total_true - tp, TN: total_false - fp}
    else:
        thr = jnp.asarray(thresholds, dtype).reshape((num,) + (1,) * y_pred.ndim)
        above = y_pred[None] > thr
        label = is_true[None] != 0
        per_entry = jnp.broadcast_to(weights, y_pred.shape)[None]

        def count(mask):
            return jnp.sum(jnp.where(mask, per_entry, 0), axis=1).astype(dtype)

        counts = {
            TP: count(label & above),
            FP: count(~label & above),
            FN: count(label & ~above),
            TN: count(~label & ~above),
        }
    return {key: counts[key] for key in wanted}


class _ThresholdCount(Metric):
    """One confusion-matrix count per threshold, in the variable `accumulator`."""

    _key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, 0.5)
        self._evenly = evenly_spaced(self.thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            [self._key],
            y_true,
            y_pred,
            self.thresholds,
            self.accumulator.dtype,
            evenly=self._evenly,
            sample_weight=sample_weight,
        )
        self.accumulator.assign(self.accumulator.value + counts[self._key])

    def result(self):
        value = self.accumulator.value
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ThresholdCount):
    """Weighted count of positive labels predicted above each threshold (default 0.5)."""

    exact_under_padding = True

    _key = TP


class FalsePositives(_ThresholdCount):
    """Weighted count of negative labels predicted above each threshold (default 0.5)."""

    exact_under_padding = True

    _key = FP


class TrueNegatives(_ThresholdCount):
    """Weighted count of negative labels predicted at or below each threshold (default 0.5)."""

    exact_under_padding = True

    _key = TN


class FalseNegatives(_ThresholdCount):
    """Weighted count of positive labels predicted at or below each threshold (default 0.5)."""

    exact_under_padding = True

    _key = FN


def _ratio(num, den):
    """num / den, 0 where den is 0 (Keras's divide_no_nan)."""
    safe = jnp.where(den == 0, 1, den)
    return jnp.where(den == 0, jnp.zeros_like(num), num / safe)


class _PrecisionRecall(Metric):
    _second = None  # FP for precision, FN for recall.

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k and no thresholds, every kept prediction counts as positive.
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = evenly_spaced(self.thresholds)
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(
            shape=size, initializer="zeros", name="true_positives"
        )
        second = "false_positives" if self._second == FP else "false_negatives"
        setattr(self, second, self.add_variable(shape=size, initializer="zeros", name=second))
        self._other = getattr(self, second)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            [TP, self._second],
            y_true,
            y_pred,
            self.thresholds,
            self.true_positives.dtype,
            evenly=self._evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )
        self.true_positives.assign(self.true_positives.value + counts[TP])
        self._other.assign(self._other.value + counts[self._second])

    def result(self):
        tp = self.true_positives.value
        value = _ratio(tp, tp + self._other.value)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """TP / (TP + FP) at each threshold (default 0.5), 0 when nothing was predicted positive.

    Args:
        thresholds: a float or list of floats in [0, 1]; a list gives one result per value.
        top_k: only each row's k highest predictions may count as positive.
        class_id: score only this column of 2-D predictions.
    """

    exact_under_padding = True

    _second = FP


class Recall(_PrecisionRecall):
    """TP / (TP + FN) at each threshold (default 0.5), 0 when there were no positive labels.

    Args:
        thresholds: a float or list of floats in [0, 1]; a list gives one result per value.
        top_k: only each row's k highest predictions may count as positive.
        class_id: score only this column of 2-D predictions.
    """

    exact_under_padding = True

    _second = FN


class _AtConstraint(Metric):
    """The four counts on a grid of `num_thresholds` thresholds (0, 1/(n-1), ..., 1); the
    result is the largest `dependent` rate among thresholds whose `constrained` rate reaches
    `value`."""

    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._value_name}` must be in the range [0, 1]. "
                f"Received: {self._value_name}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        setattr(self, self._value_name, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0] + inner + [1.0], True
        size = (len(self.thresholds),)
        for key in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, key, self.add_variable(shape=size, initializer="zeros", name=key))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            [TP, TN, FP, FN],
            y_true,
            y_pred,
            self.thresholds,
            self.true_positives.dtype,
            evenly=self._evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )
        for key, variable in (
            (TP, self.true_positives),
            (TN, self.true_negatives),
            (FP, self.false_positives),
            (FN, self.false_negatives),
        ):
            variable.assign(variable.value + counts[key])

    def _rates(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return {
            "sensitivity": _ratio(tp, tp + fn),
            "specificity": _ratio(tn, tn + fp),
            "precision": _ratio(tp, tp + fp),
        }

    def _max_where_reached(self, constrained, dependent):
        feasible = constrained >= self.value
        return jnp.max(jnp.where(feasible, dependent, 0), initial=0)

    def get_config(self):
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._value_name: self.value,
        }


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among thresholds whose specificity is >= `specificity`."""

    exact_under_padding = True

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self):
        rates = self._rates()
        return self._max_where_reached(rates["specificity"], rates["sensitivity"])


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among thresholds whose sensitivity is >= `sensitivity`."""

    exact_under_padding = True

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self):
        rates = self._rates()
        return self._max_where_reached(rates["sensitivity"], rates["specificity"])


class PrecisionAtRecall(_AtConstraint):
    """The best precision among thresholds whose recall is >= `recall`."""

    exact_under_padding = True

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self):
        rates = self._rates()
        return self._max_where_reached(rates["sensitivity"], rates["precision"])


class RecallAtPrecision(_AtConstraint):
    """The best recall among thresholds whose precision is >= `precision`."""

    exact_under_padding = True

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(
            precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype
        )

    def result(self):
        rates = self._rates()
        return self._max_where_reached(rates["precision"], rates["sensitivity"])


_CURVES = {
    "roc": "ROC",
    "ROC": "ROC",
    "pr": "PR",
    "PR": "PR",
    "prgain": "PRGAIN",
    "PRGAIN": "PRGAIN",
}
_SUMMATIONS = {
    "interpolation": "interpolation",
    "Interpolation": "interpolation",
    "majoring": "majoring",
    "Majoring": "majoring",
    "minoring": "minoring",
    "Minoring": "minoring",
}


def _enum_value(value, table, what, expected):
    # Keras also accepts its AUCCurve / AUCSummationMethod enum members, whose `.value` is
    # one of the strings.
    key = getattr(value, "value", value)
    if key not in table:
        raise ValueError(f'Invalid {what} value: "{value}". Expected values are {expected}')
    return table[key]


class AUC(Metric):
    """Area under the ROC or precision-recall curve, approximated by a Riemann sum over the
    four confusion counts at `num_thresholds` thresholds.

    Args:
        num_thresholds: number of thresholds: -epsilon, i/(n-1) for 0 < i < n-1, 1+epsilon.
        curve: "ROC" (recall against false-positive rate), "PR" (precision against recall) or
            "PRGAIN".
        summation_method: "interpolation" (trapezoids; for PR, Davis & Goadrich's
            interpolation), "minoring" or "majoring" (lower / upper step sums).
        thresholds: explicit thresholds in [0, 1] (num_thresholds is then ignored).
        multi_label: keep one curve per label of 2-D data and average their areas (weighted by
            `label_weights` if given), rather than flattening all labels into one curve.
        num_labels: with multi_label, creates the state now rather than at the first update.
        label_weights: per-label weights: for flattened data they weight each label's counts;
            with multi_label they weight the average of per-label areas.
        from_logits: apply a sigmoid to predictions first.
    """

    exact_under_padding = True

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        self._direction = "up"
        curve = _enum_value(curve, _CURVES, "AUC curve", '["PR", "ROC", "PRGAIN"]')
        summation_method = _enum_value(
            summation_method,
            _SUMMATIONS,
            "AUC summation method",
            '["interpolation", "majoring", "minoring"]',
        )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            self.num_thresholds = len(thresholds) + 2
            thresholds = sorted(thresholds)
            self._evenly = evenly_spaced([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        # The end points sit just outside [0, 1] so that predictions of exactly 0 and 1 fall
        # strictly inside the outermost intervals.
        self._thresholds = np.array([0.0 - epsilon()] + list(thresholds) + [1.0 + epsilon()])
        self.curve = curve
        self.summation_method = summation_method
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (
            None
            if label_weights is None
            else jnp.asarray(_tensor_config_value(label_weights), self.dtype)
        )
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, including the two just outside [0, 1]."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {tuple(shape)}"
                )
            self._num_labels = shape[1]
            size = (self.num_thresholds, self._num_labels)
        else:
            size = (self.num_thresholds,)
        self._build_input_shape = shape
        # Built on the first update, possibly while jax traces a step: the zeros must be
        # concrete arrays, not values of that trace.
        with jax.ensure_compile_time_eval():
            for key in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
                setattr(self, key, self.add_variable(shape=size, initializer="zeros", name=key))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = jnp.asarray(unwrap(y_pred))
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = jax.nn.sigmoid(y_pred)
        counts = confusion_counts(
            [TP, TN, FP, FN],
            y_true,
            y_pred,
            self._thresholds,
            self.true_positives.dtype,
            evenly=self._evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )
        for key, variable in (
            (TP, self.true_positives),
            (TN, self.true_negatives),
            (FP, self.false_positives),
            (FN, self.false_negatives),
        ):
            variable.assign(variable.value + counts[key])

    def _average_labels(self, per_threshold_terms):
        if not self.multi_label:
            return jnp.sum(per_threshold_terms)
        by_label = jnp.sum(per_threshold_terms, axis=0)
        if self.label_weights is None:
            return jnp.mean(by_label)
        return _ratio(jnp.sum(by_label * self.label_weights), jnp.sum(self.label_weights))

    def interpolate_pr_auc(self):
        """PR-AUC with precision interpolated between thresholds as Davis & Goadrich do: true
        positives vary linearly with predicted positives on each interval, so the area of an
        interval has a closed form with a log term."""
        tp, fp, fn = (
            self.true_positives.value,
            self.false_positives.value,
            self.false_negatives.value,
        )
        d_tp = tp[:-1] - tp[1:]
        p = tp + fp
        d_p = p[:-1] - p[1:]
        slope = _ratio(d_tp, jnp.maximum(d_p, 0))
        intercept = tp[1:] - slope * p[1:]
        p_ratio = jnp.where(
            (p[:-1] > 0) & (p[1:] > 0), _ratio(p[:-1], jnp.maximum(p[1:], 0)), jnp.ones_like(p[1:])
        )
        terms = _ratio(
            slope * (d_tp + intercept * jnp.log(p_ratio)), jnp.maximum(tp[1:] + fn[1:], 0)
        )
        return self._average_labels(terms)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = _ratio(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _ratio(tp, tp + fp)
        else:
            # Precision-recall gain (Flach & Kull): gains relative to an always-positive
            # classifier; undefined gains where TP is 0 are pinned as Keras pins them.
            scale = _ratio(tp + fn, tn + fp)
            recall_gain = jnp.where(tp == 0, 0.0, 1.0 - scale * _ratio(fn, tp))
            precision_gain = jnp.where(tp == 0, 1.0, 1.0 - scale * _ratio(fp, tp))
            x, y = jnp.maximum(recall_gain, 0.0), precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = jnp.minimum(y[:-1], y[1:])
        else:
            heights = jnp.maximum(y[:-1], y[1:])
        return self._average_labels((x[:-1] - x[1:]) * heights)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _tensor_config_value(value):
    # A config saved by Keras writes arrays as {"class_name": "__tensor__", "config": {...}};
    # accept that form too (Keras's own AUC cannot read it back).
    if isinstance(value, dict) and value.get("class_name") in ("__tensor__", "__numpy__"):
        inner = value["config"]
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    return unwrap(value)


__all__ = [
    "TruePositives",
    "FalsePositives",
    "TrueNegatives",
    "FalseNegatives",
    "Precision",
    "Recall",
    "SensitivityAtSpecificity",
    "SpecificityAtSensitivity",
    "PrecisionAtRecall",
    "RecallAtPrecision",
    "AUC",
]
