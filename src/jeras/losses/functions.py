"""Loss functions `fn(y_true, y_pred) -> per-sample values`, named as in `keras.losses`."""

import warnings

import jax
import jax.numpy as jnp

from jeras.backend.config import epsilon
from jeras.losses.reduction import squeeze_or_expand_to_same_rank
from jeras.ops import nn
from jeras.ops._convert import unwrap


def _float_pred(y_pred):
    y_pred = jnp.asarray(unwrap(y_pred))
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype("float32")
    return y_pred


def _pair(y_true, y_pred, loss_name, align=True):
    y_pred = _float_pred(y_pred)
    y_true = jnp.asarray(unwrap(y_true)).astype(y_pred.dtype)
    if align:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    # Every element-wise loss checks, so a shape mistake names both shapes instead of surfacing
    # as JAX's TypeError from deep inside the arithmetic.
    _check_broadcast(y_true, y_pred, loss_name)
    return y_true, y_pred


def _check_broadcast(y_true, y_pred, loss_name):
    try:
        jnp.broadcast_shapes(y_true.shape, y_pred.shape)
    except ValueError:
        raise ValueError(
            f"{loss_name}: y_true of shape {tuple(y_true.shape)} and y_pred of shape "
            f"{tuple(y_pred.shape)} cannot be broadcast together. Check the model's output shape "
            "against the targets (sparse integer labels need SparseCategoricalCrossentropy)."
        ) from None


def _check_same_shape(y_true, y_pred, loss_name):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{loss_name}: y_true of shape {tuple(y_true.shape)} and y_pred of shape "
            f"{tuple(y_pred.shape)} must have the same shape."
        )


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error")
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_percentage_error")
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), epsilon()))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_logarithmic_error")
    first = jnp.log(jnp.maximum(y_pred, epsilon()) + 1.0)
    second = jnp.log(jnp.maximum(y_true, epsilon()) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = _pair(y_true, y_pred, "huber")
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    quadratic = 0.5 * jnp.square(error)
    linear = delta * abs_error - 0.5 * delta**2
    return jnp.mean(jnp.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "log_cosh")
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - jnp.log(2.0).astype(x.dtype), axis=-1)


def _hinge_labels(y_true):
    # Labels given as {0, 1} are mapped to {-1, 1}; labels already in {-1, 1} stay.
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "hinge")
    y_true = _hinge_labels(y_true)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "squared_hinge")
    y_true = _hinge_labels(y_true)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "categorical_hinge")
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "kl_divergence")
    y_true = jnp.clip(y_true, epsilon(), 1.0)
    y_pred = jnp.clip(y_pred, epsilon(), 1.0)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred, "poisson")
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + epsilon()), axis=-1)


def _l2_normalize(x, axis):
    square_sum = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
    return x * jnp.minimum(jax.lax.rsqrt(square_sum), 1.0 / epsilon())


def cosine_similarity(y_true, y_pred, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred, "cosine_similarity")
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


# -- cross-entropies ---------------------------------------------------------------------------
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(nn.binary_crossentropy(y_true, y_pred, from_logits), axis=axis)


def _warn_single_class(y_pred, loss_name):
    # A softmax over one class is always 1: the loss is constant and nothing trains. Keras warns
    # (with this category) rather than failing.
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(
            f"{loss_name} expects y_pred of shape (batch_size, num_classes) with num_classes > 1, "
            f"got {tuple(y_pred.shape)}; use binary_crossentropy for two classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred = jnp.asarray(unwrap(y_pred))
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype("float32")
    y_true = jnp.asarray(unwrap(y_true)).astype(y_pred.dtype)
    _warn_single_class(y_pred, "categorical_crossentropy")
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return nn.categorical_crossentropy(y_true, y_pred, from_logits, axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    y_pred = jnp.asarray(unwrap(y_pred))
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype("float32")
    y_true = jnp.asarray(unwrap(y_true))
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = jnp.squeeze(y_true, -1)
    if ignore_class is not None:
        valid = y_true != ignore_class
        y_true = jnp.where(valid, y_true, 0)
    result = nn.sparse_categorical_crossentropy(y_true, y_pred, from_logits, axis)
    if ignore_class is not None:
        result = jnp.where(valid, result, 0.0)
    return result


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    y_true, y_pred = _pair(y_true, y_pred, "binary_focal_crossentropy")
    # Keras's element-wise binary cross-entropy insists on equal shapes (no broadcasting).
    _check_same_shape(y_true, y_pred, "binary_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    # Logits are turned into probabilities up front, so both cases use the clipped probability
    # form of the cross-entropy (as Keras does), and the focal factor sees the same p.
    prob = jax.nn.sigmoid(y_pred) if from_logits else y_pred
    bce = nn.binary_crossentropy(y_true, prob, from_logits=False)
    # The focal factor uses the unclipped p.
    p_t = y_true * prob + (1.0 - y_true) * (1.0 - prob)
    focal = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    if isinstance(axis, bool):
        raise ValueError(f"categorical_focal_crossentropy: `axis` must be an int, got {axis!r}.")
    y_true, y_pred = _pair(y_true, y_pred, "categorical_focal_crossentropy")
    _warn_single_class(y_pred, "categorical_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    # Renormalised then clipped before the log, the same as categorical_crossentropy on
    # probabilities; `alpha` may be one weight per class, which broadcasts over the last axis.
    prob = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    prob = jnp.clip(prob, epsilon(), 1.0 - epsilon())
    cross_entropy = -y_true * jnp.log(prob)
    weight = jnp.power(1.0 - prob, gamma) * jnp.asarray(alpha, dtype=prob.dtype)
    return jnp.sum(weight * cross_entropy, axis=axis)


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    y_pred = _float_pred(y_pred)
    labels = jnp.asarray(unwrap(y_true))
    # Integer labels of shape (batch,) or (batch, 1), as Keras documents. Keras itself does not
    # drop the trailing 1 and broadcasts (B, 1, C) one-hots against (B, C) into a (B, B) loss;
    # jeras computes the documented per-sample value instead.
    if labels.ndim == y_pred.ndim and labels.ndim > 1 and labels.shape[-1] == 1:
        labels = jnp.squeeze(labels, -1)
    if labels.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"categorical_generalized_cross_entropy: y_true of shape {tuple(labels.shape)} and "
            f"y_pred of shape {tuple(y_pred.shape)} do not match; expected integer labels of "
            f"shape {tuple(y_pred.shape[:-1])} (or with a trailing 1)."
        )
    one_hot = jax.nn.one_hot(labels.astype("int32"), y_pred.shape[-1], dtype=y_pred.dtype)
    p = jnp.sum(y_pred * one_hot, axis=-1)
    return (1.0 - jnp.power(p, q)) / q


# -- overlap losses (segmentation) -------------------------------------------------------------
def _sum_axis(axis):
    # A config read back from JSON holds a list; jnp reductions want a tuple.
    return tuple(axis) if isinstance(axis, list) else axis


def dice(y_true, y_pred, axis=None):
    # As Keras's function: no rank alignment here (the Dice class aligns before calling).
    y_true, y_pred = _pair(y_true, y_pred, "dice", align=False)
    axis = _sum_axis(axis)
    overlap = jnp.sum(y_true * y_pred, axis=axis)
    total = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis)
    return 1.0 - 2.0 * overlap / (total + epsilon())


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    y_true, y_pred = _pair(y_true, y_pred, "tversky", align=False)
    axis = _sum_axis(axis)
    overlap = jnp.sum(y_true * y_pred, axis=axis)
    missed = jnp.sum((1.0 - y_pred) * y_true, axis=axis)
    spurious = jnp.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - overlap / (overlap + alpha * missed + beta * spurious + epsilon())


def _zero_padding_rows(x, row_mask):
    mask = jnp.asarray(row_mask, dtype=x.dtype)
    if x.ndim == 0 or mask.ndim != 1 or x.shape[0] != mask.shape[0]:
        return x
    return x * mask.reshape((-1,) + (1,) * (x.ndim - 1))


def _keeps_batch_axis(axis, ndim):
    if axis is None:
        return False
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return 0 not in [a % ndim for a in axes]


def _overlap_with_rows(fn):
    """The row-masked form of an overlap loss, used in fit() with a padded last batch.

    With the default axis=None the loss is one number for the whole batch, which a per-row
    mask cannot reach afterwards. Padding rows are zeroed instead: a zero row adds nothing to
    any of the sums, so the value equals the loss over the real rows only. When the batch axis
    survives the reduction, the padding rows are also masked out of the mean."""

    def masked(y_true, y_pred, row_mask, **kwargs):
        if row_mask is None:
            return fn(y_true, y_pred, **kwargs), None
        y_true, y_pred = _pair(y_true, y_pred, fn.__name__, align=False)
        ndim = max(y_true.ndim, y_pred.ndim)
        values = fn(
            _zero_padding_rows(y_true, row_mask), _zero_padding_rows(y_pred, row_mask), **kwargs
        )
        keep = ndim > 0 and _keeps_batch_axis(_sum_axis(kwargs.get("axis")), ndim)
        return values, (row_mask if keep else None)

    return masked


dice._jeras_masked = _overlap_with_rows(dice)
tversky._jeras_masked = _overlap_with_rows(tversky)


# -- CTC -----------------------------------------------------------------------------------------
def ctc(y_true, y_pred):
    y_pred = _float_pred(y_pred)
    y_true = jnp.asarray(unwrap(y_true))
    if y_true.ndim != 2:
        raise ValueError(
            "ctc: y_true must be integer labels of shape (batch_size, max_label_length), got "
            f"shape {tuple(y_true.shape)} (y_pred shape {tuple(y_pred.shape)})."
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc: y_pred must be logits of shape (batch_size, frames, num_classes), got shape "
            f"{tuple(y_pred.shape)} (y_true shape {tuple(y_true.shape)})."
        )
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"ctc: y_true of shape {tuple(y_true.shape)} and y_pred of shape "
            f"{tuple(y_pred.shape)} have different batch sizes."
        )
    # As Keras: class 0 is the blank, a sequence's length is its number of non-zero labels (zeros
    # are expected only as trailing padding), and every frame counts.
    labels = y_true.astype("int32")
    label_lengths = jnp.sum(labels != 0, axis=-1)
    frame_lengths = jnp.full(labels.shape[:1], y_pred.shape[1], "int32")
    return nn.ctc_loss(labels, y_pred, label_lengths, frame_lengths, mask_index=0)


# -- circle loss (metric learning) ---------------------------------------------------------------
def circle(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    values, _ = _circle_values(
        y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin, None
    )
    return values


def _masked_logsumexp(x, mask):
    # log Σ_{mask} exp(x) along the last axis; -inf for an empty set. Written out (rather than
    # logsumexp of -inf fill values) so that rows with an empty set give zero gradients, not NaN.
    top = jnp.max(jnp.where(mask, x, -jnp.inf), axis=-1, keepdims=True)
    top = jnp.where(jnp.isfinite(top), top, 0.0)
    total = jnp.sum(jnp.where(mask, jnp.exp(x - top), 0.0), axis=-1)
    safe = jnp.where(total > 0, total, 1.0)
    return jnp.where(total > 0, jnp.log(safe) + top[..., 0], -jnp.inf)


def _circle_values(
    y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin, key_mask
):
    """Circle loss per query row and Keras's output mask (loss > 0).

    `key_mask` (fit()'s row mask) drops padding rows from the pairs: the loss of a real row
    compares it with the other rows of the batch, so padding must not count as a reference."""
    y_pred = _float_pred(y_pred)
    labels = jnp.asarray(unwrap(y_true)).astype("int32")
    refs = y_pred if ref_embeddings is None else jnp.asarray(unwrap(ref_embeddings))
    ref_labels = labels if ref_labels is None else jnp.asarray(unwrap(ref_labels)).astype("int32")
    if (
        y_pred.ndim != 2
        or refs.ndim != 2
        or labels.size != y_pred.shape[0]
        or ref_labels.size != refs.shape[0]
    ):
        raise ValueError(
            f"circle: expected integer labels of shape (batch,) and embeddings of shape "
            f"(batch, dim); got y_true of shape {tuple(labels.shape)} and y_pred of shape "
            f"{tuple(y_pred.shape)}."
        )
    positive = labels.reshape(-1, 1) == ref_labels.reshape(1, -1)
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~jnp.eye(labels.size, ref_labels.size, dtype=bool)
    if key_mask is not None:
        keep = jnp.asarray(key_mask).astype(bool).reshape(1, -1)
        positive, negative = positive & keep, negative & keep
    distance = jnp.maximum(1.0 - jnp.matmul(y_pred, refs.T), 0.0)
    pos_weight = jnp.maximum((margin + distance) * positive.astype(distance.dtype), 0.0)
    neg_weight = jnp.maximum((1.0 + margin - distance) * negative.astype(distance.dtype), 0.0)
    # Positives are pulled below distance `margin`, negatives pushed beyond 1 - margin.
    pos_logits = -gamma * pos_weight * (margin - distance)
    neg_logits = gamma * neg_weight * ((1.0 - margin) - distance)
    values = jax.nn.softplus(
        _masked_logsumexp(pos_logits, positive) + _masked_logsumexp(neg_logits, negative)
    )
    return values, values > 0


def _circle_with_rows(
    y_true,
    y_pred,
    row_mask,
    ref_labels=None,
    ref_embeddings=None,
    remove_diagonal=True,
    gamma=80,
    margin=0.4,
):
    # With references given explicitly the padding rows are only queries, which the row mask
    # removes from the mean; otherwise they are also references and are dropped from the pairs.
    key_mask = row_mask if ref_embeddings is None else None
    values, positive = _circle_values(
        y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin, key_mask
    )
    mask = positive.astype(values.dtype)
    if row_mask is not None:
        mask = mask * jnp.asarray(row_mask, dtype=values.dtype).reshape(mask.shape)
    return values, mask


circle._jeras_masked = _circle_with_rows


# Short names Keras accepts for these functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
