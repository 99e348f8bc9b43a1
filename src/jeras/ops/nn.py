"""The neural-network half of `jeras.ops`, as `keras.ops.nn`: activations, convolutions and
pooling, normalizations, one-hot encodings, cross-entropies and CTC, attention, and the
patch / pixel-shuffle rearrangements."""

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.config import epsilon as _epsilon
from jeras.backend.config import floatx
from jeras.backend.config import image_data_format as _image_data_format
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


def sparse_sigmoid(x):
    return jax.nn.sparse_sigmoid(_tensor(x))


def tanh_shrink(x):
    x = _tensor(x)
    return x - jnp.tanh(x)


def soft_shrink(x, threshold=0.5):
    x = _tensor(x)
    zero = jnp.zeros((), x.dtype)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, zero))


def hard_shrink(x, threshold=0.5):
    x = _tensor(x)
    return jnp.where(jnp.abs(x) > threshold, x, jnp.zeros((), x.dtype))


def sparse_plus(x):
    return jax.nn.sparse_plus(_tensor(x))


def squareplus(x, b=4):
    return jax.nn.squareplus(_tensor(x), b=b)


def hard_silu(x):
    return jax.nn.hard_silu(_tensor(x))


hard_swish = hard_silu


def celu(x, alpha=1.0):
    return jax.nn.celu(_tensor(x), alpha=alpha)


def glu(x, axis=-1):
    x = _tensor(x)
    if x.shape[axis] % 2:
        raise ValueError(
            f"glu: the size of `axis` ({axis}) must be even, to split it into the values and "
            f"their gates; got x of shape {tuple(x.shape)}."
        )
    return jax.nn.glu(x, axis=axis)


def hard_tanh(x):
    return jax.nn.hard_tanh(_tensor(x))


def threshold(x, threshold, default_value):
    """`x` where `x > threshold`, else `default_value`."""
    x = _tensor(x)
    return jnp.where(x > threshold, x, default_value)


def sparsemax(x, axis=-1):
    """Sparsemax along `axis`, computed as Keras 3 computes it: `max(x - tau, 0)` where `tau`
    is (the sum of the running sums of the sorted entries over the support, minus 1) divided by
    the support's size.

    Keras's `tau` sums the running sums, where the textbook projection onto the simplex takes
    only the last one; the two agree when the support is one entry and otherwise the outputs do
    not sum to one. jeras keeps Keras's numbers, so that models move between the two unchanged.
    """
    x = _tensor(x)
    axis = axis % x.ndim
    ordered = -jnp.sort(-x, axis=axis)
    running_sums = jnp.cumsum(ordered, axis=axis)
    ranks = jnp.arange(1, x.shape[axis] + 1).reshape(
        [-1 if i == axis else 1 for i in range(x.ndim)]
    )
    in_support = ordered - (running_sums - 1) / ranks > 0
    support_size = jnp.sum(in_support, axis=axis, keepdims=True)
    summed = jnp.sum(jnp.where(in_support, running_sums, 0.0), axis=axis, keepdims=True)
    return jnp.maximum(x - (summed - 1) / support_size, 0.0)


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


# -- convolutions ---------------------------------------------------------------------------------
# Kernels are laid out as Keras lays them out: spatial dims, then (in_channels, out_channels) for
# `conv`, (in_channels, multiplier) for `depthwise_conv`, (out_channels, in_channels) for
# `conv_transpose`. `data_format=None` follows `keras.config.image_data_format()`.
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution (cross-correlation) of `inputs` `(batch, *spatial, channels)` with
    `kernel` `(*window, in_channels // groups, filters)`; the number of groups is the input
    channels divided by the kernel's input channels."""
    data_format = _standard_data_format(data_format)
    inputs, kernel = _tensor(inputs), _tensor(kernel)
    rank = _spatial_rank(inputs, kernel, "conv")
    channels = inputs.shape[_channel_axis(data_format)]
    kernel_channels = kernel.shape[-2]
    if kernel_channels == 0 or channels % kernel_channels:
        raise ValueError(
            f"conv: the input channels ({channels}) must be a multiple of the kernel's input "
            f"channels (kernel.shape[-2] = {kernel_channels}); got inputs of shape "
            f"{tuple(inputs.shape)} (data_format={data_format!r}) and kernel of shape "
            f"{tuple(kernel.shape)}."
        )
    strides = _spatial_tuple(strides, rank, "conv", "strides")
    dilation_rate = _spatial_tuple(dilation_rate, rank, "conv", "dilation_rate")
    padding = _standard_padding(padding, "conv")
    _check_window_fits(
        inputs, kernel.shape[:-2], strides, dilation_rate, padding, data_format, "conv"
    )
    return jax.lax.conv_general_dilated(
        inputs.astype(kernel.dtype),
        kernel,
        window_strides=strides,
        padding=padding.upper(),
        rhs_dilation=dilation_rate,
        dimension_numbers=_conv_dimension_numbers(rank, data_format, "IO"),
        feature_group_count=channels // kernel_channels,
    )


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own `multiplier` filters, `kernel` of shape
    `(*window, in_channels, multiplier)`; output channel `c * multiplier + m` comes from input
    channel `c`."""
    data_format = _standard_data_format(data_format)
    inputs, kernel = _tensor(inputs), _tensor(kernel)
    rank = _spatial_rank(inputs, kernel, "depthwise_conv")
    channels = _matching_channels(inputs, kernel, data_format, -2, "depthwise_conv")
    strides = _spatial_tuple(strides, rank, "depthwise_conv", "strides")
    dilation_rate = _spatial_tuple(dilation_rate, rank, "depthwise_conv", "dilation_rate")
    padding = _standard_padding(padding, "depthwise_conv")
    window = kernel.shape[:-2]
    _check_window_fits(
        inputs, window, strides, dilation_rate, padding, data_format, "depthwise_conv"
    )
    kernel = jnp.reshape(kernel, window + (1, channels * kernel.shape[-1]))
    dtype = jnp.result_type(inputs.dtype, kernel.dtype)
    return jax.lax.conv_general_dilated(
        inputs.astype(dtype),
        kernel.astype(dtype),
        window_strides=strides,
        padding=padding.upper(),
        rhs_dilation=dilation_rate,
        dimension_numbers=_conv_dimension_numbers(rank, data_format, "IO"),
        feature_group_count=channels,
    )


def separable_conv(
    inputs,
    depthwise_kernel,
    pointwise_kernel,
    strides=1,
    padding="valid",
    data_format=None,
    dilation_rate=1,
):
    """`depthwise_conv` with `depthwise_kernel`, then a 1x1 `conv` with `pointwise_kernel`
    `(*ones, in_channels * multiplier, filters)`."""
    depthwise = depthwise_conv(
        inputs, depthwise_kernel, strides, padding, data_format, dilation_rate
    )
    pointwise_kernel = _tensor(pointwise_kernel)
    data_format = _standard_data_format(data_format)
    if pointwise_kernel.shape[-2] != depthwise.shape[_channel_axis(data_format)]:
        raise ValueError(
            "separable_conv: the pointwise kernel's input channels (pointwise_kernel.shape[-2] "
            f"= {pointwise_kernel.shape[-2]}) must equal the depthwise output channels "
            f"({depthwise.shape[_channel_axis(data_format)]} = input channels x multiplier); got "
            f"depthwise_kernel of shape {tuple(jnp.shape(unwrap(depthwise_kernel)))} and "
            f"pointwise_kernel of shape {tuple(pointwise_kernel.shape)}."
        )
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, dilation_rate)


def conv_transpose(
    inputs,
    kernel,
    strides=1,
    padding="valid",
    output_padding=None,
    data_format=None,
    dilation_rate=1,
):
    """The transpose (gradient with respect to the input) of `conv`: `kernel` of shape
    `(*window, filters, in_channels)`, output lengths as `keras.ops.conv_transpose` gives them
    (see `_conv_transpose_output_length`)."""
    data_format = _standard_data_format(data_format)
    inputs, kernel = _tensor(inputs), _tensor(kernel)
    rank = _spatial_rank(inputs, kernel, "conv_transpose")
    _matching_channels(inputs, kernel, data_format, -1, "conv_transpose")
    strides = _spatial_tuple(strides, rank, "conv_transpose", "strides")
    dilation_rate = _spatial_tuple(dilation_rate, rank, "conv_transpose", "dilation_rate")
    padding = _standard_padding(padding, "conv_transpose")
    if output_padding is not None:
        output_padding = _spatial_tuple(
            output_padding, rank, "conv_transpose", "output_padding", minimum=0
        )
    spatial = _spatial_shape(inputs.shape, data_format)
    pads = []
    for axis, size in enumerate(spatial):
        extra = None if output_padding is None else output_padding[axis]
        window, stride, dilation = kernel.shape[axis], strides[axis], dilation_rate[axis]
        length = _conv_transpose_output_length(size, window, stride, dilation, padding, extra)
        pads.append(_conv_transpose_padding(size, length, window, stride, dilation, padding))
    dtype = jnp.result_type(inputs.dtype, kernel.dtype)
    # The transpose of a convolution correlates the stride-spread input with the kernel flipped
    # in space.
    kernel = jnp.flip(kernel, axis=tuple(range(rank))).astype(dtype)
    return jax.lax.conv_general_dilated(
        inputs.astype(dtype),
        kernel,
        window_strides=(1,) * rank,
        padding=pads,
        lhs_dilation=strides,
        rhs_dilation=dilation_rate,
        dimension_numbers=_conv_dimension_numbers(rank, data_format, "OI"),
    )


def _conv_transpose_output_length(
    size, kernel_size, stride, dilation_rate, padding, output_padding
):
    """Keras's output length of a transposed convolution along one axis (None stays None)."""
    if size is None:
        return None
    span = dilation_rate * (kernel_size - 1) + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(span, stride) - span
        return (size - 1) * stride + span + output_padding
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + span % 2 + output_padding


def _conv_transpose_padding(size, length, kernel_size, stride, dilation_rate, padding):
    """The (low, high) padding of the stride-spread input that gives an output of `length`."""
    span = dilation_rate * (kernel_size - 1) + 1
    # A "valid" correlation of a spread input of length (size - 1) * stride + 1 padded by
    # `total` has length (size - 1) * stride + 1 + total - span + 1.
    total = length - (size - 1) * stride + span - 2
    # "same" centres the window, the odd cell on the low side, never beyond the kernel.
    low = span - 1 if padding == "valid" else min(-(-total // 2), span - 1)
    return (low, total - low)


# -- pooling --------------------------------------------------------------------------------------
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The max over windows of `pool_size` of the spatial axes, every `strides` (default
    `pool_size`) positions."""
    inputs = _tensor(inputs)
    window, strides, padding = _pool_arguments(
        inputs, pool_size, strides, padding, data_format, "max_pool"
    )
    # The initial value is a host scalar on purpose: JAX recognises a concrete max identity and
    # lowers to its differentiable window-max primitive; one built with `jnp` is a traced value
    # under `jit`, which leaves a generic reduce_window without a gradient.
    return jax.lax.reduce_window(
        inputs, _lowest_value(inputs.dtype), jax.lax.max, window, strides, padding.upper()
    )


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean over windows of `pool_size`; with padding "same", border windows average only
    the entries inside the input (Keras's rule)."""
    inputs = _tensor(inputs)
    if not jnp.issubdtype(inputs.dtype, jnp.floating):
        inputs = inputs.astype(floatx())
    window, strides, padding = _pool_arguments(
        inputs, pool_size, strides, padding, data_format, "average_pool"
    )
    zero = np.zeros((), inputs.dtype)  # a host scalar, as in max_pool
    sums = jax.lax.reduce_window(inputs, zero, jax.lax.add, window, strides, padding.upper())
    if padding == "valid":
        return sums / math.prod(window)
    # Count the real entries of each window by pooling ones of the spatial shape (they broadcast
    # over batch and channels).
    ones_shape = tuple(d if w != 1 else 1 for d, w in zip(inputs.shape, window))
    counts = jax.lax.reduce_window(
        np.ones(ones_shape, inputs.dtype), zero, jax.lax.add, window, strides, padding.upper()
    )
    return sums / counts


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Mean pooling to a fixed spatial `output_size`: output cell `i` of an axis of length `n`
    averages input cells `floor(i n / out)` to `ceil((i + 1) n / out)` (PyTorch's windows)."""
    return _adaptive_pool(inputs, output_size, data_format, "adaptive_average_pool", jnp.mean)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed spatial `output_size`, windows as `adaptive_average_pool`."""
    return _adaptive_pool(inputs, output_size, data_format, "adaptive_max_pool", jnp.max)


def _adaptive_pool(inputs, output_size, data_format, op_name, reduce):
    data_format = _standard_data_format(data_format)
    inputs = _tensor(inputs)
    rank = inputs.ndim - 2
    if rank not in (1, 2, 3):
        raise ValueError(
            f"{op_name}: expected a 3D, 4D or 5D input (batch, spatial..., channels), got shape "
            f"{tuple(inputs.shape)}."
        )
    if reduce is jnp.mean and not jnp.issubdtype(inputs.dtype, jnp.floating):
        inputs = inputs.astype(floatx())
    output_size = _spatial_tuple(output_size, rank, op_name, "output_size")
    first = 1 if data_format == "channels_last" else 2
    # Both reductions are separable: pooling a box is pooling each axis in turn.
    for offset, out in enumerate(output_size):
        axis = first + offset
        inputs = _adaptive_pool_axis(inputs, axis, out, reduce)
    return inputs


def _adaptive_pool_axis(x, axis, out, reduce):
    """Pool `axis` of `x` to length `out` with the adaptive windows (computed on the host)."""
    length = x.shape[axis]
    starts = np.array([(i * length) // out for i in range(out)])
    ends = np.array([-((-(i + 1) * length) // out) for i in range(out)])
    widest = int(np.max(ends - starts))
    # One gather of `widest` entries per output cell; the short windows repeat their last entry,
    # which changes no max and is left out of the mean by `inside`.
    offsets = np.arange(widest)
    inside = offsets[None, :] < (ends - starts)[:, None]
    indices = np.where(inside, starts[:, None] + offsets[None, :], (ends - 1)[:, None])
    windows = jnp.take(x, indices.reshape(-1), axis=axis)
    windows = jnp.reshape(windows, x.shape[:axis] + (out, widest) + x.shape[axis + 1 :])
    if reduce is jnp.max:
        return jnp.max(windows, axis=axis + 1)
    inside = inside.reshape((out, widest) + (1,) * (x.ndim - axis - 1))
    total = jnp.sum(jnp.where(inside, windows, 0), axis=axis + 1)
    counts = (ends - starts).reshape((out,) + (1,) * (x.ndim - axis - 1))
    return total / counts.astype(x.dtype)


def _pool_arguments(inputs, pool_size, strides, padding, data_format, op_name):
    data_format = _standard_data_format(data_format)
    rank = inputs.ndim - 2
    if rank < 1:
        raise ValueError(
            f"{op_name}: expected inputs (batch, spatial..., channels) of rank 3 or more, got "
            f"shape {tuple(inputs.shape)}."
        )
    pool_size = _spatial_tuple(pool_size, rank, op_name, "pool_size")
    strides = pool_size if strides is None else _spatial_tuple(strides, rank, op_name, "strides")
    padding = _standard_padding(padding, op_name)
    _check_window_fits(inputs, pool_size, strides, (1,) * rank, padding, data_format, op_name)
    if data_format == "channels_last":
        return (1,) + pool_size + (1,), (1,) + strides + (1,), padding
    return (1, 1) + pool_size, (1, 1) + strides, padding


def _lowest_value(dtype):
    """The identity of `max` for `dtype`, as a host scalar: -inf, or the smallest integer."""
    # jnp's dtype predicates also know bfloat16, which NumPy's do not count as floating.
    if jnp.issubdtype(dtype, jnp.floating):
        return np.array(-np.inf, dtype)
    if jnp.issubdtype(dtype, jnp.integer):
        return np.array(jnp.iinfo(dtype).min, dtype)
    raise TypeError(f"max_pool: expected float or integer inputs, got dtype {dtype}.")


# -- normalization --------------------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    """`(mean, variance)` of `x` over `axes`; float16 / bfloat16 inputs are reduced in float32
    (their range is too small for the sums) and the results clipped back into float16 range."""
    if synchronized:
        raise NotImplementedError(
            "moments: synchronized=True (statistics across devices) is not supported on JAX, "
            "as in Keras; compute the moments inside a sharded step instead."
        )
    x = _tensor(x)
    original = standardize_dtype(x.dtype)
    half = original in ("float16", "bfloat16")
    if half:
        x = x.astype("float32")
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    mean = jnp.mean(x, axis=axes, keepdims=keepdims)
    variance = jnp.var(x, axis=axes, keepdims=keepdims)
    if half:
        limit = float(jnp.finfo(jnp.float16).max)
        mean = jnp.clip(mean, -limit, limit).astype(original)
        variance = jnp.clip(variance, -limit, limit).astype(original)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, the statistics and parameters
    vectors along `axis`, in Keras's order of operations."""
    x = _tensor(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def along_axis(name, value):
        value = _tensor(value)
        if value.size != x.shape[axis]:
            raise ValueError(
                f"batch_normalization: `{name}` of shape {tuple(value.shape)} must hold one value "
                f"per entry of axis {axis} of x (shape {tuple(x.shape)})."
            )
        return jnp.reshape(value, shape)

    inv = jax.lax.rsqrt(along_axis("variance", variance) + epsilon)
    if scale is not None:
        inv = inv * along_axis("scale", scale)
    shift = -along_axis("mean", mean) * inv
    if offset is not None:
        shift = shift + along_axis("offset", offset)
    return x * inv + shift


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """Normalize each sample over `axis` (an int or a list) to zero mean and unit variance, then
    scale by `gamma` and shift by `beta`; computed in at least float32, returned in x's dtype."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}.")
    if rms_scaling:
        warnings.warn(
            "layer_normalization: rms_scaling=True is deprecated (as in Keras): it divides by "
            "the standard deviation, not the root mean square. Use rms_normalization instead.",
            stacklevel=2,
        )
    epsilon = _epsilon() if epsilon is None else epsilon
    x = _tensor(x)
    original = x.dtype
    x = x.astype(jnp.result_type(x.dtype, jnp.float32))
    axes = sorted(a % x.ndim for a in ([axis] if isinstance(axis, int) else axis))
    last_only = axes == [x.ndim - 1]
    # gamma and beta cover the normalized axes: reshaped to broadcast unless they already do.
    weight_shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]

    def broadcastable(value):
        value = _tensor(value).astype(x.dtype)
        if value.ndim != x.ndim and not last_only:
            value = jnp.reshape(value, weight_shape)
        return value

    if rms_scaling:
        outputs = x * jax.lax.rsqrt(jnp.var(x, axis=tuple(axes), keepdims=True) + epsilon)
        if gamma is not None:
            outputs = outputs * broadcastable(gamma)
        return outputs.astype(original)
    mean = jnp.mean(x, axis=tuple(axes), keepdims=True)
    variance = jnp.var(x, axis=tuple(axes), keepdims=True)
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * broadcastable(gamma)
    shift = -mean * inv
    if beta is not None:
        shift = shift + broadcastable(beta)
    return (x * inv + shift).astype(original)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """`x / sqrt(mean(x ** 2 over axis) + epsilon) * scale`, computed in at least float32."""
    epsilon = _epsilon() if epsilon is None else epsilon
    x = _tensor(x)
    original = x.dtype
    x = x.astype(jnp.result_type(x.dtype, jnp.float32))
    if x.ndim == 0:
        x = x[None]
    axes = tuple(sorted(axis)) if isinstance(axis, (list, tuple)) else axis
    outputs = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=axes, keepdims=True) + epsilon)
    if scale is not None:
        outputs = outputs * _tensor(scale).astype(x.dtype)
    return outputs.astype(original)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm over `axis` (at least `epsilon`)."""
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: `order` must be an int >= 1, got order={order!r}.")
    epsilon = _epsilon() if epsilon is None else epsilon
    x = _tensor(x)
    if x.ndim == 0:
        x = x[None]
    if order == 2:
        # x * rsqrt(sum of squares), the inverse norm bounded by 1 / epsilon (as Keras).
        inverse = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inverse, 1.0 / epsilon)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, epsilon)


# -- encodings, metrics and complex numbers ------------------------------------------------------
def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 for every class present in each sample of integer `inputs` (batch, indices), else 0.

    `sparse=True` is accepted and gives the same dense array (JAX arrays are dense).
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot: unexpected arguments {sorted(kwargs)}.")
    if num_classes is None:
        raise ValueError("multi_hot: `num_classes` must be given.")
    inputs = _tensor(inputs)
    encoded = one_hot(inputs.astype("int32"), num_classes, axis=axis, dtype=dtype)
    # The indices of a sample sit on axis 1 of a batch (axis 0 of a single sample).
    return jnp.max(encoded, axis=1 if inputs.ndim > 1 else 0)


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB: `20 log10(max_val) - 10 log10(mean((x1 - x2) ** 2))`."""
    x1, x2 = _tensor(x1), _tensor(x2)
    if x1.shape != x2.shape:
        raise ValueError(
            f"psnr: x1 and x2 must have the same shape, got x1.shape={tuple(x1.shape)} and "
            f"x2.shape={tuple(x2.shape)}."
        )
    max_val = jnp.asarray(unwrap(max_val), dtype=x2.dtype)
    mse = jnp.mean(jnp.square(x1 - x2))
    return 20 * jnp.log10(max_val) - 10 * jnp.log10(mse)


def polar(abs_, angle):
    """The complex numbers of magnitude `abs_` and phase `angle`."""
    abs_, angle = _tensor(abs_), _tensor(angle)
    return jax.lax.complex(abs_ * jnp.cos(angle), abs_ * jnp.sin(angle))


# -- CTC ------------------------------------------------------------------------------------------
# Keras's JAX CTC marks unreachable states with a log-probability of -1e5 rather than -inf, so an
# alignment that cannot exist (labels too long for the frames) gives a large finite loss and
# finite gradients; jeras uses the same floor.
_CTC_LOG_ZERO = -1e5


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """-log p(target | output) per sequence, by the CTC forward algorithm.

    Args:
        target: integer labels `(batch, max_label_length)`; the first `target_length` count.
        output: logits `(batch, frames, num_classes)`; the first `output_length` frames count.
        target_length, output_length: `(batch,)` integers.
        mask_index: the class of the blank.
    """
    output = _tensor(output)
    target = _tensor(target)
    if target.ndim != 2 or output.ndim != 3 or target.shape[0] != output.shape[0]:
        raise ValueError(
            "ctc_loss: expected target of shape (batch, max_label_length) and output of shape "
            f"(batch, frames, num_classes) with the same batch; got target.shape="
            f"{tuple(target.shape)} and output.shape={tuple(output.shape)}."
        )
    batch = output.shape[0]
    target_length = jnp.broadcast_to(_tensor(target_length).astype("int32"), (batch,))
    output_length = jnp.broadcast_to(_tensor(output_length).astype("int32"), (batch,))
    return _ctc_forward(target.astype("int32"), output, target_length, output_length, mask_index)


# Compiled once per shape: called eagerly, the scan would otherwise be traced anew every call.
@functools.partial(jax.jit, static_argnums=4)
def _ctc_forward(labels, logits, label_lengths, frame_lengths, blank):
    dtype = jnp.result_type(logits.dtype, jnp.float32)
    log_probs = jax.nn.log_softmax(logits.astype(dtype), axis=-1)
    batch, max_len = labels.shape
    num_states = 2 * max_len + 1
    # Extended sequence: blank, l1, blank, l2, ..., lL, blank.
    extended = jnp.full((batch, num_states), blank, "int32").at[:, 1::2].set(labels)
    # A label state may also be entered from the label two states back (skipping the blank
    # between them), unless the two labels are equal: a repeat needs the blank to separate it.
    previous = jnp.pad(labels, ((0, 0), (1, 0)), constant_values=-1)[:, :max_len]
    can_skip = jnp.zeros((batch, num_states), bool).at[:, 1::2].set(labels != previous)
    # emissions[b, t, s] = log p(extended[b, s] at frame t)
    emissions = jnp.take_along_axis(log_probs, extended[:, None, :], axis=2)
    floor = jnp.asarray(_CTC_LOG_ZERO, dtype)
    frames = jnp.arange(logits.shape[1])

    def step(alpha, inputs):
        emission, frame = inputs
        from_prev = jnp.pad(alpha, ((0, 0), (1, 0)), constant_values=floor)[:, :-1]
        from_skip = jnp.pad(alpha, ((0, 0), (2, 0)), constant_values=floor)[:, :-2]
        from_skip = jnp.where(can_skip, from_skip, floor)
        advanced = jnp.logaddexp(jnp.logaddexp(alpha, from_prev), from_skip) + emission
        # Frames past a sequence's length leave its probabilities as they are.
        return jnp.where((frame < frame_lengths)[:, None], advanced, alpha), None

    # Starting from a virtual frame where only state 0 is live lets one recursion cover frame 0:
    # it reaches the leading blank and the first label.
    start = jnp.full((batch, num_states), floor, dtype).at[:, 0].set(0.0)
    alpha, _ = jax.lax.scan(step, start, (jnp.swapaxes(emissions, 0, 1), frames))
    # A complete path ends on the trailing blank or on the last label.
    last = 2 * label_lengths
    end_blank = jnp.take_along_axis(alpha, last[:, None], axis=1)[:, 0]
    end_label = jnp.take_along_axis(alpha, jnp.maximum(last - 1, 0)[:, None], axis=1)[:, 0]
    end_label = jnp.where(label_lengths > 0, end_label, floor)
    return -jnp.logaddexp(end_blank, end_label)


def ctc_decode(
    inputs,
    sequence_lengths,
    strategy="greedy",
    beam_width=100,
    top_paths=1,
    merge_repeated=True,
    mask_index=0,
):
    """Decode CTC outputs `(batch, frames, num_classes)` into label sequences.

    Returns `(decoded, scores)`: `decoded` of shape `(top_paths, batch, frames)`, each sequence
    left-aligned and padded with -1; `scores` of shape `(batch, top_paths)`: for "greedy" minus
    the sum of the chosen entries of `inputs`; for "beam_search" the log-probability of each
    prefix (summed over its alignments), best first, with `inputs` taken as logits
    (log-softmaxed over classes). As in Keras, beam search always merges repeated labels
    (`merge_repeated` only affects "greedy"), and always reads the first frame, even where a
    sequence length is 0. Unused `top_paths` slots decode to all -1 with score -inf, and at
    most `2 * beam_width` paths are returned.
    """
    inputs = _tensor(inputs)
    if inputs.ndim != 3:
        raise ValueError(
            "ctc_decode: `inputs` must have shape (batch, frames, num_classes), got shape "
            f"{tuple(inputs.shape)}."
        )
    inputs = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
    lengths = jnp.broadcast_to(_tensor(sequence_lengths).astype("int32"), inputs.shape[:1])
    if mask_index is None:
        mask_index = inputs.shape[-1] - 1
    if strategy == "greedy":
        return _ctc_greedy_decode(inputs, lengths, bool(merge_repeated), int(mask_index))
    if strategy == "beam_search":
        num_classes = inputs.shape[-1]
        for name, value in (("beam_width", beam_width), ("top_paths", top_paths)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"ctc_decode: `{name}` must be a positive integer, got {name}={value!r}."
                )
        if not 0 <= int(mask_index) < num_classes:
            raise ValueError(
                f"ctc_decode: `mask_index` must be a class index in [0, {num_classes}) for "
                f"inputs with {num_classes} classes, got mask_index={mask_index!r}."
            )
        return _ctc_beam_search_decode(
            inputs, lengths, int(beam_width), int(top_paths), int(mask_index)
        )
    raise ValueError(
        f"ctc_decode: `strategy` must be 'greedy' or 'beam_search', got strategy={strategy!r}."
    )


def _ctc_greedy_decode(inputs, lengths, merge_repeated, blank):
    batch, frames, _ = inputs.shape
    best = jnp.argmax(inputs, axis=-1)
    past_end = jnp.arange(frames)[None, :] >= lengths[:, None]
    best = jnp.where(past_end, blank, best)
    scores = -jnp.sum(jnp.where(past_end, 0.0, jnp.max(inputs, axis=-1)), axis=1)[:, None]
    if merge_repeated:
        repeated = jnp.pad(best[:, 1:] == best[:, :-1], ((0, 0), (1, 0)))
        best = jnp.where(repeated, blank, best)
    dropped = best == blank
    # Keep the emitted labels in order, then the -1 padding: a stable sort on "dropped".
    order = jnp.argsort(dropped, axis=-1, stable=True)
    decoded = jnp.take_along_axis(jnp.where(dropped, -1, best), order, axis=-1)
    return decoded[None].astype("int32"), scores


def _ctc_beam_search_decode(inputs, lengths, beam_width, top_paths, blank):
    """CTC prefix beam search. Each beam is a label prefix with two log-probabilities: of the
    alignments that end in a label (`emit`) and of those that end in a blank (`rest`)."""
    _, frames, num_classes = inputs.shape
    log_probs = jax.nn.log_softmax(inputs, axis=-1)
    classes = jnp.arange(num_classes)
    beams = jnp.arange(beam_width)
    neg_inf = jnp.array(-jnp.inf, log_probs.dtype)

    def ranking_keys(paths, totals):
        # Keras ranks equal scores by the prefixes in lexicographic order, with labels read
        # in reverse class order and the -1 padding lowest: reproduce that, for equal ties.
        flipped = jnp.where(paths < 0, -1, num_classes - 1 - paths)
        return tuple(flipped[:, i] for i in range(frames - 1, -1, -1)) + (totals,)

    def best(paths, totals, count):
        order = jnp.lexsort(ranking_keys(paths, totals))
        return order[::-1][:count]

    def last_label(paths, length):
        return jnp.where(length > 0, paths[beams, jnp.maximum(length - 1, 0)], -1)

    def advance(state, x):
        paths, length, emit, rest = state
        total = jnp.logaddexp(emit, rest)
        alive = total > -jnp.inf
        tail = last_label(paths, length)
        # The same prefix again: a blank, or its last label repeated (merged into it).
        same_rest = total + x[blank]
        same_emit = jnp.where(length > 0, emit + x[jnp.maximum(tail, 0)], neg_inf)
        # A new label: after its own repeat only through a blank in between.
        grown = jnp.where(classes[None, :] == tail[:, None], rest[:, None], total[:, None])
        grown = jnp.where(classes[None, :] == blank, neg_inf, grown + x[None, :])
        # A grown prefix can be another beam: beam j is beam i plus label `tail[j]`. Its
        # probability moves into beam j and the duplicate candidate is dropped.
        trimmed = paths.at[beams, jnp.maximum(length - 1, 0)].set(
            jnp.where(length > 0, -1, paths[beams, 0])
        )
        parent = (
            jnp.all(trimmed[None, :, :] == paths[:, None, :], axis=-1)
            & (length[None, :] == length[:, None] + 1)
            & alive[:, None]
            & alive[None, :]
        )  # parent[i, j]: beam j is beam i plus one label
        inherited = jnp.where(parent, grown[:, jnp.maximum(tail, 0)], neg_inf)
        same_emit = jnp.logaddexp(same_emit, jax.nn.logsumexp(inherited, axis=0))
        taken = jnp.any(parent[:, :, None] & (tail[None, :, None] == classes), axis=1)
        grown = jnp.where(taken, neg_inf, grown)

        grown_paths = jnp.repeat(paths[:, None, :], num_classes, axis=1)
        grown_paths = jnp.where(
            jnp.arange(frames)[None, None, :] == length[:, None, None],
            classes[None, :, None],
            grown_paths,
        ).reshape(-1, frames)
        all_paths = jnp.concatenate([paths, grown_paths])
        all_length = jnp.concatenate([length, jnp.repeat(length + 1, num_classes)])
        all_emit = jnp.concatenate([same_emit, grown.reshape(-1)])
        all_rest = jnp.concatenate([same_rest, jnp.full(grown.size, neg_inf)])
        all_total = jnp.logaddexp(all_emit, all_rest)
        keep = best(all_paths, all_total, beam_width)
        # Fillers (score -inf) become empty, inert beams.
        dead = all_total[keep] == -jnp.inf
        return (
            jnp.where(dead[:, None], -1, all_paths[keep]),
            jnp.where(dead, 0, all_length[keep]),
            all_emit[keep],
            all_rest[keep],
        )

    def decode_one(x, length):
        state = (
            jnp.full((beam_width, frames), -1, "int32"),
            jnp.zeros((beam_width,), "int32"),
            jnp.full((beam_width,), neg_inf),
            jnp.full((beam_width,), neg_inf).at[0].set(0.0),  # the empty prefix, probability 1
        )

        def step(state, frame):
            moved = advance(state, x[frame])
            # Keras reads the first frame even for a length of 0.
            live = (frame < length) | (frame == 0)
            return jax.tree.map(lambda new, old: jnp.where(live, new, old), moved, state), None

        (paths, _, emit, rest), _ = jax.lax.scan(step, state, jnp.arange(frames))
        total = jnp.logaddexp(emit, rest)
        # Keras ranks twice `beam_width` slots, so it returns at most that many paths.
        count = min(top_paths, 2 * beam_width)
        if count > beam_width:
            extra = count - beam_width
            paths = jnp.concatenate([paths, jnp.full((extra, frames), -1, "int32")])
            total = jnp.concatenate([total, jnp.full((extra,), neg_inf)])
        chosen = best(paths, total, count)
        paths, total = paths[chosen], total[chosen]
        return jnp.where((total == -jnp.inf)[:, None], -1, paths), total

    decoded, scores = jax.vmap(decode_one)(log_probs, lengths)
    return jnp.transpose(decoded, (1, 0, 2)), scores


# -- patches and pixel shuffles -------------------------------------------------------------------
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding `kernel_size` blocks of a `(N, C, H, W)` batch as columns: `(N, C * kH * kW,
    L)`, L the number of block positions (PyTorch's `unfold`, as Keras)."""
    x = _tensor(x)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 4D input (N, C, H, W), got shape {tuple(x.shape)}.")
    kernel_size = _spatial_tuple(kernel_size, 2, "unfold", "kernel_size")
    dilation = _spatial_tuple(dilation, 2, "unfold", "dilation")
    padding = _spatial_tuple(padding, 2, "unfold", "padding", minimum=0)
    stride = _spatial_tuple(stride, 2, "unfold", "stride")
    patches = jax.lax.conv_general_dilated_patches(
        x,
        filter_shape=kernel_size,
        window_strides=stride,
        padding=[(p, p) for p in padding],
        rhs_dilation=dilation,
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
    )
    return jnp.reshape(patches, patches.shape[:2] + (-1,))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse arrangement of `unfold`: columns `(N, C * kH * kW, L)` summed back into an
    `(N, C, *output_size)` image (overlapping entries add up)."""
    x = _tensor(x)
    if x.ndim != 3:
        raise ValueError(
            f"fold: expected a 3D input (N, C * kH * kW, L), got shape {tuple(x.shape)}."
        )
    output_size = _spatial_tuple(output_size, 2, "fold", "output_size")
    kernel_size = _spatial_tuple(kernel_size, 2, "fold", "kernel_size")
    dilation = _spatial_tuple(dilation, 2, "fold", "dilation")
    padding = _spatial_tuple(padding, 2, "fold", "padding", minimum=0)
    stride = _spatial_tuple(stride, 2, "fold", "stride")
    window = kernel_size[0] * kernel_size[1]
    positions = [
        (size + 2 * pad - dil * (k - 1) - 1) // s + 1
        for size, pad, dil, k, s in zip(output_size, padding, dilation, kernel_size, stride)
    ]
    if x.shape[1] % window or positions[0] * positions[1] != x.shape[2]:
        raise ValueError(
            f"fold: x of shape {tuple(x.shape)} does not hold blocks of kernel_size={kernel_size} "
            f"at the {positions[0]} x {positions[1]} positions of output_size={output_size} "
            f"(padding={padding}, stride={stride}, dilation={dilation}); expected shape "
            f"(N, C * {window}, {positions[0] * positions[1]})."
        )
    n, channels = x.shape[0], x.shape[1] // window
    blocks = jnp.reshape(x, (n, channels, kernel_size[0], kernel_size[1], *positions))
    padded = jnp.zeros(
        (n, channels, output_size[0] + 2 * padding[0], output_size[1] + 2 * padding[1]), x.dtype
    )
    # Each kernel offset (i, j) adds its block values at the strided grid shifted by the offset.
    for i in range(kernel_size[0]):
        for j in range(kernel_size[1]):
            top, left = i * dilation[0], j * dilation[1]
            rows = np.s_[top : top + stride[0] * (positions[0] - 1) + 1 : stride[0]]
            cols = np.s_[left : left + stride[1] * (positions[1] - 1) + 1 : stride[1]]
            padded = padded.at[:, :, rows, cols].add(blocks[:, :, i, j])
    return padded[
        :, :, padding[0] : padding[0] + output_size[0], padding[1] : padding[1] + output_size[1]
    ]


def depth_to_space(x, block_size, data_format="channels_last"):
    """Move `block_size x block_size` groups of channels into space (pixel shuffle)."""
    data_format = _standard_data_format(data_format)
    x = _tensor(x)
    _check_block_size(x, block_size, "depth_to_space")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        _check_divisible(c, b * b, "depth_to_space", "channels", x)
        x = jnp.reshape(x, (n, h, w, b, b, c // (b * b)))
        x = jnp.transpose(x, (0, 1, 3, 2, 4, 5))
        return jnp.reshape(x, (n, h * b, w * b, c // (b * b)))
    n, c, h, w = x.shape
    _check_divisible(c, b * b, "depth_to_space", "channels", x)
    x = jnp.reshape(x, (n, c // (b * b), b, b, h, w))
    x = jnp.transpose(x, (0, 1, 4, 2, 5, 3))
    return jnp.reshape(x, (n, c // (b * b), h * b, w * b))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Move `block_size x block_size` blocks of pixels into channels (pixel unshuffle)."""
    data_format = _standard_data_format(data_format)
    x = _tensor(x)
    _check_block_size(x, block_size, "space_to_depth")
    b = block_size
    if data_format == "channels_last":
        n, h, w, c = x.shape
        _check_divisible(h, b, "space_to_depth", "height", x)
        _check_divisible(w, b, "space_to_depth", "width", x)
        x = jnp.reshape(x, (n, h // b, b, w // b, b, c))
        x = jnp.transpose(x, (0, 1, 3, 2, 4, 5))
        return jnp.reshape(x, (n, h // b, w // b, c * b * b))
    n, c, h, w = x.shape
    _check_divisible(h, b, "space_to_depth", "height", x)
    _check_divisible(w, b, "space_to_depth", "width", x)
    x = jnp.reshape(x, (n, c, h // b, b, w // b, b))
    x = jnp.transpose(x, (0, 1, 3, 5, 2, 4))
    return jnp.reshape(x, (n, c * b * b, h // b, w // b))


def _check_block_size(x, block_size, op_name):
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
        raise ValueError(f"{op_name}: `block_size` must be an int >= 2, got {block_size!r}.")
    if x.ndim != 4:
        raise ValueError(f"{op_name}: expected a 4D input, got shape {tuple(x.shape)}.")


def _check_divisible(size, by, op_name, what, x):
    if size % by:
        raise ValueError(
            f"{op_name}: the {what} ({size}) must be a multiple of {by} (block_size"
            f"{' squared' if what == 'channels' else ''}); got x of shape {tuple(x.shape)}."
        )


# -- argument helpers -----------------------------------------------------------------------------
def _tensor(x):
    """`x` as a JAX array (Variables give their value; Python floats are floatx)."""
    x = unwrap(x)
    if isinstance(x, jax.Array):
        return x
    if isinstance(x, float) or (isinstance(x, (list, tuple)) and _has_float(x)):
        return jnp.asarray(x, dtype=floatx())
    return jnp.asarray(x)


def _has_float(values):
    return any(
        isinstance(v, float) or (isinstance(v, (list, tuple)) and _has_float(v)) for v in values
    )


def _standard_data_format(value):
    if value is None:
        return _image_data_format()
    data_format = str(value).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first', got data_format={value!r}."
        )
    return data_format


def _standard_padding(value, op_name):
    padding = value.lower() if isinstance(value, str) else value
    if padding not in ("valid", "same"):
        raise ValueError(f"{op_name}: `padding` must be 'valid' or 'same', got {value!r}.")
    return padding


def _channel_axis(data_format):
    return -1 if data_format == "channels_last" else 1


def _spatial_shape(shape, data_format):
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def _spatial_tuple(value, n, op_name, arg_name, minimum=1):
    """An int or an n-sequence of ints (each >= minimum) as an n-tuple."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            values = ()
        if len(values) != n:
            raise ValueError(
                f"{op_name}: `{arg_name}` must be an int or a tuple of {n} ints (one per spatial "
                f"axis), got {arg_name}={value!r}."
            )
    if any(v < minimum for v in values):
        raise ValueError(
            f"{op_name}: every value of `{arg_name}` must be >= {minimum}, got "
            f"{arg_name}={value!r}."
        )
    return values


def _conv_dimension_numbers(rank, data_format, kernel_channels):
    """lax's layout strings: batch / channel / spatial of inputs and outputs, the kernel's
    spatial axes then its two channel axes (`"IO"` or `"OI"`)."""
    spatial = "DHW"[-rank:] if rank <= 3 else None
    if spatial is None:
        raise ValueError(f"Convolutions support 1 to 3 spatial axes, got {rank}.")
    layout = "N" + spatial + "C" if data_format == "channels_last" else "NC" + spatial
    return (layout, spatial + kernel_channels, layout)


def _spatial_rank(inputs, kernel, op_name):
    rank = inputs.ndim - 2
    if rank < 1 or kernel.ndim != rank + 2:
        raise ValueError(
            f"{op_name}: expected inputs (batch, spatial..., channels) of rank 3 to 5 and a "
            f"kernel with the same rank (spatial..., two channel axes); got inputs of shape "
            f"{tuple(inputs.shape)} and kernel of shape {tuple(kernel.shape)}."
        )
    return rank


def _matching_channels(inputs, kernel, data_format, kernel_axis, op_name):
    channels = inputs.shape[_channel_axis(data_format)]
    if channels != kernel.shape[kernel_axis]:
        raise ValueError(
            f"{op_name}: the input channels ({channels}) must equal the kernel's input channels "
            f"(kernel.shape[{kernel_axis}] = {kernel.shape[kernel_axis]}); got inputs of shape "
            f"{tuple(inputs.shape)} (data_format={data_format!r}) and kernel of shape "
            f"{tuple(kernel.shape)}."
        )
    return channels


def _check_window_fits(inputs, window, strides, dilation_rate, padding, data_format, op_name):
    """A "valid" window larger than the input would give an empty output: refuse it here."""
    if padding != "valid":
        return
    spatial = _spatial_shape(inputs.shape, data_format)
    spans = [d * (k - 1) + 1 for k, d in zip(window, dilation_rate)]
    if any(size < span for size, span in zip(spatial, spans)):
        raise ValueError(
            f"{op_name}: inputs of shape {tuple(inputs.shape)} (spatial {spatial}, "
            f"data_format={data_format!r}) are smaller than the window {tuple(window)} "
            f"(dilation_rate={tuple(dilation_rate)}) with padding='valid'; the output would be "
            "empty. Use larger inputs, a smaller window or padding='same'."
        )
