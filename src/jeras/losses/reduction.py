"""How per-sample loss values, sample weights and masks become one number (Keras's reductions)."""

import jax.numpy as jnp

REDUCTIONS = ("sum", "sum_over_batch_size", "mean", "mean_with_sample_weight", "none", None)


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: {reduction!r}. Expected one of "
            f"{list(REDUCTIONS)}."
        )
    return reduction


def align_rank(values, other):
    """Make `other` broadcastable against `values` the way Keras aligns sample weights: drop a
    trailing axis of size 1, or add trailing axes."""
    if other.ndim == values.ndim + 1 and other.shape[-1] == 1:
        other = jnp.squeeze(other, -1)
    while other.ndim < values.ndim:
        other = jnp.expand_dims(other, -1)
    return other


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Align the ranks of two label/prediction tensors that differ by a trailing axis of size 1."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            return x1, jnp.expand_dims(x2, -1)
        return jnp.squeeze(x1, -1), x2
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            return jnp.expand_dims(x1, -1), x2
        return x1, jnp.squeeze(x2, -1)
    return x1, x2


def reduce_weighted_values(
    values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None
):
    values = jnp.asarray(values)
    dtype = dtype or values.dtype
    values = values.astype(dtype)
    # As Keras: the mask is merged into the sample weight first, then the weight is aligned with
    # the values (squeeze a trailing 1 / expand rank 1) and multiplied in.
    weights = None
    if sample_weight is not None:
        weights = jnp.asarray(sample_weight, dtype=dtype)
    if mask is not None:
        mask = jnp.broadcast_to(align_rank(values, jnp.asarray(mask, dtype=dtype)), values.shape)
        if reduction in ("sum_over_batch_size", "mean"):
            # Rescale so that the mean runs over the valid entries only.
            valid = jnp.sum(mask)
            mask = mask * _safe_divide(jnp.asarray(mask.size, dtype), valid)
        if weights is None:
            weights = mask
        else:
            mask, weights = squeeze_or_expand_to_same_rank(mask, weights)
            weights = align_rank(mask, weights) * mask
    if weights is not None:
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        # Keras stops here and fails on e.g. (B, T) values with (B,) weights; jeras also adds
        # trailing axes so that per-sample weights apply to sequence losses.
        weights = align_rank(values, weights)
        values = values * weights
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = jnp.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        # Keras divides by the sum of the weights as given (not broadcast to the values' shape).
        return _safe_divide(total, jnp.sum(weights))
    return _safe_divide(total, jnp.asarray(values.size, dtype))


def _safe_divide(a, b):
    return jnp.where(b != 0, a / jnp.where(b != 0, b, 1.0), 0.0)
