"""The neural-network half of `jeras.ops` (activations, one_hot, cross-entropies, attention)."""

import functools

import jax
import jax.numpy as jnp

from jeras.backend.config import epsilon as _epsilon
from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.ops._convert import unwrap


def relu(x):
    return jax.nn.relu(unwrap(x))


def relu6(x):
    return jax.nn.relu6(unwrap(x))


def sigmoid(x):
    return jax.nn.sigmoid(unwrap(x))


def softplus(x):
    return jax.nn.softplus(unwrap(x))


def softsign(x):
    return jax.nn.soft_sign(unwrap(x))


def silu(x):
    return jax.nn.silu(unwrap(x))


swish = silu


def tanh(x):
    return jnp.tanh(unwrap(x))


def elu(x, alpha=1.0):
    return jax.nn.elu(unwrap(x), alpha)


def selu(x):
    return jax.nn.selu(unwrap(x))


def gelu(x, approximate=True):
    return jax.nn.gelu(unwrap(x), approximate=approximate)


def leaky_relu(x, negative_slope=0.2):
    return jax.nn.leaky_relu(unwrap(x), negative_slope)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(unwrap(x))


def log_sigmoid(x):
    return jax.nn.log_sigmoid(unwrap(x))


def softmax(x, axis=-1):
    return jax.nn.softmax(unwrap(x), axis=axis)


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(unwrap(x), axis=axis)


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    x = jnp.asarray(unwrap(x))
    if jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype("int32")
    return jax.nn.one_hot(x, num_classes, axis=axis, dtype=standardize_dtype(dtype or floatx()))


# The cross-entropies are the kernels of the losses of the same names too (`losses` sits above
# `ops` and calls them): elementwise for binary, reduced over the class axis for categorical.
def binary_crossentropy(target, output, from_logits=False):
    output = unwrap(output)
    target = jnp.asarray(unwrap(target), dtype=jnp.asarray(output).dtype)
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    output = jnp.clip(output, _epsilon(), 1.0 - _epsilon())
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = unwrap(output)
    target = jnp.asarray(unwrap(target), dtype=jnp.asarray(output).dtype)
    if target.shape != output.shape:
        raise ValueError(
            f"categorical_crossentropy: `target` and `output` must have the same shape, got "
            f"target.shape={tuple(target.shape)} and output.shape={tuple(output.shape)}. For "
            "integer class labels use sparse_categorical_crossentropy."
        )
    if from_logits:
        log_prob = jax.nn.log_softmax(output, axis=axis)
    else:
        output = output / jnp.sum(output, axis=axis, keepdims=True)
        log_prob = jnp.log(jnp.clip(output, _epsilon(), 1.0 - _epsilon()))
    return -jnp.sum(target * log_prob, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    output = unwrap(output)
    target = jnp.asarray(unwrap(target))
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = jnp.squeeze(target, -1)
    if target.shape != output.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_crossentropy: labels of shape {tuple(target.shape)} do not match "
            f"predictions of shape {tuple(output.shape)}; expected labels of shape "
            f"{tuple(output.shape[:-1])} holding class indices. For one-hot labels use "
            "categorical_crossentropy."
        )
    num_classes = output.shape[axis]
    one_hot = jax.nn.one_hot(target.astype("int32"), num_classes, axis=axis, dtype=output.dtype)
    return categorical_crossentropy(one_hot, output, from_logits, axis)


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
):
    """`softmax(scale * query . key + bias, masked) . value`, as `keras.ops.dot_product_attention`.

    Shapes: query `(B, T, N, H)`, key and value `(B, S, K, H)` with `N` a multiple of `K`
    (grouped-query attention when `K < N`); bias and mask broadcast to `(B, N, T, S)`, the
    mask True where a query may attend. `scale` defaults to `1 / sqrt(H)`.

    Computed by `jax.nn.dot_product_attention`: its XLA implementation, or cuDNN's fused
    (flash) kernel with `flash_attention=True`, or by default where the inputs allow it (a
    GPU, float16 or bfloat16, a head size of at most 128 that is a multiple of 8).
    """
    if attn_logits_soft_cap is not None:
        raise ValueError(
            "dot_product_attention: `attn_logits_soft_cap` is only supported by Keras on TPU "
            f"and not by jeras; got attn_logits_soft_cap={attn_logits_soft_cap!r}. Leave it None."
        )
    query, key, value = (jnp.asarray(unwrap(t)) for t in (query, key, value))
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if tensor.ndim != 4:
            raise ValueError(
                "dot_product_attention only supports 4D inputs (batch, length, heads, head "
                f"size); got {name} of shape {tuple(tensor.shape)} (query {query.shape}, key "
                f"{key.shape}, value {value.shape})."
            )
    if (
        key.shape[:3] != value.shape[:3]
        or query.shape[0] != key.shape[0]
        or query.shape[3] != key.shape[3]
    ):
        raise ValueError(
            "dot_product_attention: key and value must share batch, length and heads, query "
            f"the batch and key the head size: got query {query.shape}, key {key.shape}, "
            f"value {value.shape}."
        )
    if query.shape[2] % key.shape[2] != 0:
        raise ValueError(
            "dot_product_attention: the number of query heads must be a multiple of the number "
            f"of key/value heads; got query {query.shape} ({query.shape[2]} heads) and key "
            f"{key.shape} ({key.shape[2]} heads)."
        )
    dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = query.astype(dtype), key.astype(dtype), value.astype(dtype)
    scores_shape = (query.shape[0], query.shape[2], query.shape[1], key.shape[1])
    if bias is not None:
        bias = _as_scores_operand(jnp.asarray(unwrap(bias), dtype), "bias", scores_shape)
    if mask is not None:
        mask = _as_scores_operand(jnp.asarray(unwrap(mask)).astype(bool), "mask", scores_shape)
    if scale is None:
        scale = 1.0 / float(query.shape[-1]) ** 0.5
    if value.shape[-1] != key.shape[-1]:
        # jax.nn.dot_product_attention wants value heads as wide as key heads.
        if flash_attention:
            raise ValueError(
                "dot_product_attention: flash_attention=True needs value heads as wide as key "
                f"heads; got key {key.shape}, value {value.shape}."
            )
        return _plain_attention(query, key, value, bias, mask, float(scale), bool(is_causal))
    attend = functools.partial(
        jax.nn.dot_product_attention,
        query,
        key,
        value,
        bias=bias,
        mask=mask,
        scale=float(scale),
        is_causal=bool(is_causal),
    )
    if flash_attention is False:
        return attend(implementation="xla")
    if flash_attention is True:
        try:
            return attend(implementation="cudnn")
        except Exception as error:
            raise ValueError(
                "dot_product_attention: flash_attention=True needs cuDNN's fused attention "
                "(a GPU of compute capability 8.0 or more, float16 or bfloat16 inputs, a head "
                f"size of at most 128 that is a multiple of 8); got query {query.shape} of "
                f"{dtype} on {jax.default_backend()}: {error}. Pass flash_attention=None or "
                "False to use the XLA implementation."
            ) from error
    if _flash_attention_applies(query, dtype):
        try:
            return attend(implementation="cudnn")
        except Exception:
            # cuDNN turned the inputs down (its version, the layout): the XLA path computes
            # the same thing.
            pass
    return attend(implementation="xla")


def _plain_attention(query, key, value, bias, mask, scale, is_causal):
    """The XLA attention of jax.nn.dot_product_attention, for any value head size."""
    batch, query_length, num_heads, head_size = query.shape
    key_length, num_key_heads = key.shape[1], key.shape[2]
    group = num_heads // num_key_heads
    # Query head n reads key head n // group, as in jax.nn.dot_product_attention.
    grouped = jnp.reshape(query, (batch, query_length, num_key_heads, group, head_size))
    logits_dtype = jnp.promote_types(query.dtype, jnp.float32)
    logits = jnp.einsum("btkgh,bskh->bkgts", grouped, key, preferred_element_type=logits_dtype)
    logits = jnp.reshape(logits, (batch, num_heads, query_length, key_length))
    logits = logits * jnp.asarray(scale, logits.dtype)
    if bias is not None:
        logits = (logits + bias).astype(logits.dtype)
    if is_causal:
        causal = jnp.tril(jnp.ones((query_length, key_length), bool))
        mask = causal if mask is None else jnp.logical_and(mask, causal)
    if mask is not None:
        very_negative = jnp.asarray(-0.7 * jnp.finfo(logits.dtype).max, logits.dtype)
        logits = jnp.where(mask, logits, very_negative)
    probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(value.dtype)
    probs = jnp.reshape(probs, (batch, num_key_heads, group, query_length, key_length))
    outputs = jnp.einsum("bkgts,bskh->btkgh", probs, value)
    return jnp.reshape(outputs, (batch, query_length, num_heads, value.shape[-1]))


def _as_scores_operand(tensor, name, scores_shape):
    """A bias or mask with leading axes added up to the 4 of the scores `(B, N, T, S)`."""
    if tensor.ndim > 4 or not _broadcasts(tensor.shape, scores_shape):
        raise ValueError(
            f"dot_product_attention: `{name}` of shape {tuple(tensor.shape)} does not broadcast "
            f"to the attention scores' shape (batch, heads, query length, key length) = "
            f"{scores_shape}."
        )
    return jnp.reshape(tensor, (1,) * (4 - tensor.ndim) + tuple(tensor.shape))


def _broadcasts(shape, target):
    return all(a in (1, b) for a, b in zip(reversed(shape), reversed(target)))


def _flash_attention_applies(query, dtype):
    head_size = query.shape[-1]
    return (
        jax.default_backend() == "gpu"
        and dtype in (jnp.float16, jnp.bfloat16)
        and head_size <= 128
        and head_size % 8 == 0
    )
