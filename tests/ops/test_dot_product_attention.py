"""`ops.dot_product_attention` against a NumPy formula written here and against
`keras.ops.dot_product_attention`: scale, bias, masks of every rank, causal masking, grouped
query heads, value heads of another width, and the errors for inputs that cannot work."""

import keras
import numpy as np
import pytest
from oracle import assert_close, float32_normal, matmul_tolerance, on_gpu

import jeras

RNG = np.random.default_rng(17)
TOLERANCE = matmul_tolerance(atol=1e-5, rtol=1e-5)


def _numpy_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False):
    """softmax(scale * q.k + bias, masked) . v per head, in float64; query head n reads key
    head n // (N // K)."""
    query, key, value = (np.asarray(t, "float64") for t in (query, key, value))
    batch, query_length, num_heads, head_size = query.shape
    key_length, num_key_heads = key.shape[1], key.shape[2]
    scale = 1 / np.sqrt(head_size) if scale is None else scale
    heads = np.arange(num_heads) // (num_heads // num_key_heads)
    logits = np.einsum("btnh,bsnh->bnts", query, key[:, :, heads]) * scale
    if bias is not None:
        logits = logits + bias
    allowed = np.ones(logits.shape, bool)
    if mask is not None:
        allowed &= np.broadcast_to(mask, logits.shape)
    if is_causal:
        allowed &= np.tril(np.ones((query_length, key_length), bool))
    logits = np.where(allowed, logits, -1e30)
    probabilities = np.exp(logits - logits.max(-1, keepdims=True))
    probabilities /= probabilities.sum(-1, keepdims=True)
    return np.einsum("bnts,bsnh->btnh", probabilities, value[:, :, heads])


def _qkv(query_heads=4, key_heads=4, query_length=5, key_length=6, head_size=8, value_size=None):
    return (
        float32_normal(RNG, 2, query_length, query_heads, head_size),
        float32_normal(RNG, 2, key_length, key_heads, head_size),
        float32_normal(RNG, 2, key_length, key_heads, value_size or head_size),
    )


def _mask(*shape):
    mask = RNG.random(shape) < 0.6
    mask[..., 0] = True
    return mask


CASES = {
    "plain": ({}, {}),
    "scale": ({}, dict(scale=0.3)),
    "causal": ({}, dict(is_causal=True)),
    "causal_square": (dict(key_length=5), dict(is_causal=True)),
    "bias": ({}, dict(bias="bias")),
    "mask_4d": ({}, dict(mask=(2, 4, 5, 6))),
    "mask_heads_broadcast": ({}, dict(mask=(2, 1, 5, 6))),
    "mask_3d": ({}, dict(mask=(4, 5, 6))),
    "mask_2d_causal_bias": ({}, dict(mask=(5, 6), is_causal=True, bias="bias")),
    "grouped": (dict(query_heads=4, key_heads=2), dict(mask=(2, 1, 5, 6))),
    "multi_query": (dict(query_heads=3, key_heads=1), dict(is_causal=True)),
}


def _arguments(call):
    arguments = dict(call)
    if arguments.get("bias") == "bias":
        arguments["bias"] = float32_normal(RNG, 2, 1, 5, 6)
    if "mask" in arguments:
        arguments["mask"] = _mask(*arguments["mask"])
    return arguments


@pytest.mark.parametrize("case", list(CASES))
def test_matches_numpy_and_keras(case):
    shapes, call = CASES[case]
    query, key, value = _qkv(**shapes)
    arguments = _arguments(call)
    got = np.asarray(jeras.ops.dot_product_attention(query, key, value, **arguments))
    assert got.shape == query.shape
    assert_close(got, _numpy_attention(query, key, value, **arguments), **TOLERANCE)
    expected = np.asarray(keras.ops.dot_product_attention(query, key, value, **arguments))
    assert_close(got, expected, **TOLERANCE)


def test_value_heads_wider_than_key_heads():
    # jax.nn.dot_product_attention refuses these (Keras falls back to a reshape that fails),
    # so the oracle is the formula alone.
    query, key, value = _qkv(query_heads=4, key_heads=2, value_size=5)
    mask = _mask(2, 1, 5, 6)
    got = jeras.ops.dot_product_attention(query, key, value, mask=mask, is_causal=True)
    assert got.shape == (2, 5, 4, 5)
    expected = _numpy_attention(query, key, value, mask=mask, is_causal=True)
    assert_close(np.asarray(got), expected, **TOLERANCE)


def test_float16_inputs_keep_their_dtype():
    query, key, value = (t.astype("float16") for t in _qkv())
    got = jeras.ops.dot_product_attention(query, key, value, flash_attention=False)
    assert got.dtype == np.float16
    assert_close(
        np.asarray(got, "float32"), _numpy_attention(query, key, value), atol=2e-2, rtol=2e-2
    )


@pytest.mark.skipif(not on_gpu(), reason="cuDNN's fused attention needs a GPU")
def test_flash_attention_on_gpu_matches_the_formula():
    query, key, value = (t.astype("bfloat16") for t in _qkv(head_size=64))
    for flash in (True, None):
        got = jeras.ops.dot_product_attention(
            query, key, value, is_causal=True, flash_attention=flash
        )
        expected = _numpy_attention(query, key, value, is_causal=True)
        assert_close(np.asarray(got, "float32"), expected, atol=3e-2, rtol=3e-2)


@pytest.mark.skipif(on_gpu(), reason="on a GPU the fused kernel may apply")
def test_flash_attention_required_where_it_cannot_run():
    query, key, value = _qkv()
    with pytest.raises(ValueError, match="flash_attention=True needs cuDNN"):
        jeras.ops.dot_product_attention(query, key, value, flash_attention=True)


def test_bad_inputs():
    query, key, value = _qkv()
    with pytest.raises(ValueError, match=r"only supports 4D inputs.*query of shape \(5, 4, 8\)"):
        jeras.ops.dot_product_attention(query[0], key, value)
    with pytest.raises(ValueError, match="multiple of the number of key/value heads"):
        jeras.ops.dot_product_attention(*_qkv(query_heads=3, key_heads=2))
    with pytest.raises(ValueError, match=r"`mask` of shape \(2, 4, 5, 5\) does not broadcast"):
        jeras.ops.dot_product_attention(query, key, value, mask=np.ones((2, 4, 5, 5), bool))
    with pytest.raises(ValueError, match="key the head size"):
        jeras.ops.dot_product_attention(query, key[..., :4], value)
    with pytest.raises(ValueError, match="attn_logits_soft_cap"):
        jeras.ops.dot_product_attention(query, key, value, attn_logits_soft_cap=30.0)
