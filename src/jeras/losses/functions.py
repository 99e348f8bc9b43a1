"""Loss functions `fn(y_true, y_pred) -> per-sample values`, named as in `keras.losses`."""

import jax
import jax.numpy as jnp

from jeras.backend.config import epsilon
from jeras.losses.reduction import squeeze_or_expand_to_same_rank
from jeras.ops._convert import unwrap


def _pair(y_true, y_pred, loss_name):
    y_pred = jnp.asarray(unwrap(y_pred))
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype("float32")
    y_true = jnp.asarray(unwrap(y_true)).astype(y_pred.dtype)
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
            "against the targets (sparse integer labels need SparseCategoricalCrossentropy).") \
            from None


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
def _binary_crossentropy_elementwise(target, output, from_logits):
    target = jnp.asarray(target, dtype=jnp.asarray(output).dtype)
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    output = jnp.clip(output, epsilon(), 1.0 - epsilon())
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def _categorical_crossentropy_core(target, output, from_logits, axis):
    target = jnp.asarray(target, dtype=jnp.asarray(output).dtype)
    if target.shape != output.shape:
        raise ValueError(
            f"categorical_crossentropy: `target` and `output` must have the same shape, got "
            f"target.shape={tuple(target.shape)} and output.shape={tuple(output.shape)}. For "
            "integer class labels use sparse_categorical_crossentropy.")
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        output = output / jnp.sum(output, axis=axis, keepdims=True)
        log_prob = jnp.log(jnp.clip(output, epsilon(), 1.0 - epsilon()))
    return -jnp.sum(target * log_prob, axis=axis)


def _sparse_categorical_crossentropy_core(target, output, from_logits, axis):
    target = jnp.asarray(target)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, -1)
    if target.shape != output.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: labels of shape {tuple(target.shape)} do not match "
            f"predictions of shape {tuple(output.shape)}; expected labels of shape "
            f"{tuple(output.shape[:-1])} holding class indices. For one-hot labels use "
            "categorical_crossentropy.")
    num_classes = output.shape[axis]
    one_hot = jax.nn.one_hot(target.astype("int32"), num_classes, axis=axis, dtype=output.dtype)
    return _categorical_crossentropy_core(one_hot, output, from_logits, axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_binary_crossentropy_elementwise(y_true, y_pred, from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_pred = jnp.asarray(unwrap(y_pred))
    if not jnp.issubdtype(y_pred.dtype, jnp.floating):
        y_pred = y_pred.astype("float32")
    y_true = jnp.asarray(unwrap(y_true)).astype(y_pred.dtype)
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return _categorical_crossentropy_core(y_true, y_pred, from_logits, axis)


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
    result = _sparse_categorical_crossentropy_core(y_true, y_pred, from_logits, axis)
    if ignore_class is not None:
        result = jnp.where(valid, result, 0.0)
    return result


# Short names Keras accepts for these functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
