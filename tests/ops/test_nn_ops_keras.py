"""The `keras.ops.nn` functions jeras added for issue 14 (convolutions, pooling, adaptive
pooling, normalizations, CTC, patches, the newer activations) against real Keras 3 on the same
inputs: values to float32 noise, dtypes, shapes, and gradients of the differentiable ones."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras

RNG = np.random.default_rng(3)


def normal(*shape, scale=1.0):
    return (RNG.normal(size=shape) * scale).astype("float32")


X = normal(2, 7)
IMAGES = normal(2, 7, 6, 4)
IMAGES_FIRST = np.moveaxis(IMAGES, -1, 1).copy()
SEQUENCE = normal(2, 9, 3)
VOLUME = normal(1, 5, 6, 4, 2)
# Values on both sides of the activations' kinks (+-0.5 shrink thresholds, +-1 hard_tanh, +-3).
KINKS = np.array(
    [[-4.0, -3.0, -1.5, -1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0, 1.5, 3.0, 4.0]], "float32"
)

# (name, positional arguments, keyword arguments)
ELEMENTWISE = [
    ("celu", (KINKS,), {}),
    ("celu", (KINKS,), {"alpha": 0.5}),
    ("glu", (X[:, :6],), {}),
    ("glu", (IMAGES,), {"axis": 2}),
    ("hard_shrink", (KINKS,), {}),
    ("hard_shrink", (KINKS,), {"threshold": 1.2}),
    ("hard_silu", (KINKS,), {}),
    ("hard_swish", (KINKS,), {}),
    ("hard_tanh", (KINKS,), {}),
    ("soft_shrink", (KINKS,), {}),
    ("soft_shrink", (KINKS,), {"threshold": 1.2}),
    ("sparse_plus", (KINKS,), {}),
    ("sparse_sigmoid", (KINKS,), {}),
    ("sparsemax", (X,), {}),
    ("sparsemax", (IMAGES,), {"axis": 1}),
    ("squareplus", (KINKS,), {}),
    ("squareplus", (KINKS,), {"b": 1}),
    ("tanh_shrink", (KINKS,), {}),
    ("threshold", (KINKS, 0.2, -9.0), {}),
    ("polar", (np.abs(X), X), {}),
    ("psnr", (X, X + 0.1 * normal(2, 7), 2.0), {}),
    ("normalize", (X,), {}),
    ("normalize", (IMAGES,), {"axis": (1, 2), "order": 1}),
    ("normalize", (np.zeros((2, 3), "float32"),), {}),
    ("rms_normalization", (IMAGES,), {}),
    ("rms_normalization", (IMAGES, normal(4)), {"epsilon": 0.1}),
    ("rms_normalization", (IMAGES, normal(7, 6, 1)), {"axis": [1, 2]}),
    ("layer_normalization", (IMAGES,), {}),
    ("layer_normalization", (IMAGES, normal(4), normal(4)), {"epsilon": 1e-2}),
    ("layer_normalization", (IMAGES, normal(7, 6), normal(7, 6)), {"axis": [1, 2]}),
    ("layer_normalization", (IMAGES.astype("float16"), normal(4)), {}),
    ("batch_normalization", (IMAGES, normal(4), np.abs(normal(4)), -1), {}),
    (
        "batch_normalization",
        (IMAGES, normal(7), np.abs(normal(7)), 1),
        {"offset": normal(7), "scale": normal(7), "epsilon": 0.1},
    ),
    ("multi_hot", (np.array([[0, 2, 2], [4, 1, 0]]), 5), {}),
    ("multi_hot", (np.array([3, 1]),), {"num_classes": 5, "dtype": "int32"}),
    ("depth_to_space", (normal(2, 3, 2, 8), 2), {}),
    ("depth_to_space", (normal(2, 8, 3, 2), 2), {"data_format": "channels_first"}),
    ("space_to_depth", (normal(2, 4, 6, 3), 2), {}),
    ("space_to_depth", (normal(2, 3, 6, 4), 2), {"data_format": "channels_first"}),
    ("unfold", (IMAGES_FIRST, 3), {}),
    ("unfold", (IMAGES_FIRST, (2, 3)), {"dilation": (2, 1), "padding": 1, "stride": (1, 2)}),
    ("fold", (normal(2, 12, 30), (6, 7), 2), {}),
    ("fold", (normal(2, 18, 12), (7, 6), 3), {"padding": 1, "stride": 2}),
    ("fold", (normal(1, 8, 15), (7, 7), 2), {"dilation": 2, "stride": (1, 2)}),
]

CONVOLUTIONS = [
    ("conv", (SEQUENCE, normal(3, 3, 5)), {}),
    ("conv", (SEQUENCE, normal(2, 3, 5)), {"strides": 2, "padding": "same"}),
    ("conv", (IMAGES, normal(3, 2, 4, 5)), {"dilation_rate": (2, 1)}),
    ("conv", (IMAGES, normal(3, 3, 2, 6)), {"padding": "same"}),  # 2 groups
    ("conv", (IMAGES_FIRST, normal(2, 2, 4, 3)), {"data_format": "channels_first", "strides": 2}),
    ("conv", (VOLUME, normal(2, 3, 2, 2, 3)), {"padding": "same"}),
    ("depthwise_conv", (IMAGES, normal(3, 3, 4, 2)), {}),
    ("depthwise_conv", (IMAGES, normal(2, 2, 4, 1)), {"strides": 2, "padding": "same"}),
    ("depthwise_conv", (SEQUENCE, normal(3, 3, 2)), {"dilation_rate": 2}),
    ("depthwise_conv", (IMAGES_FIRST, normal(3, 3, 4, 1)), {"data_format": "channels_first"}),
    ("separable_conv", (IMAGES, normal(3, 3, 4, 2), normal(1, 1, 8, 5)), {}),
    (
        "separable_conv",
        (IMAGES, normal(2, 2, 4, 1), normal(1, 1, 4, 3)),
        {"strides": 2, "padding": "same"},
    ),
    ("conv_transpose", (SEQUENCE, normal(3, 5, 3)), {}),
    ("conv_transpose", (SEQUENCE, normal(3, 5, 3)), {"strides": 2, "padding": "same"}),
    ("conv_transpose", (IMAGES, normal(3, 3, 2, 4)), {"strides": 2}),
    ("conv_transpose", (IMAGES, normal(3, 2, 2, 4)), {"strides": (2, 3), "output_padding": 1}),
    (
        "conv_transpose",
        (IMAGES, normal(4, 3, 2, 4)),
        {"strides": 2, "padding": "same", "output_padding": (1, 0)},
    ),
    ("conv_transpose", (IMAGES, normal(3, 3, 2, 4)), {"dilation_rate": 2, "padding": "same"}),
    (
        "conv_transpose",
        (IMAGES_FIRST, normal(2, 3, 3, 4)),
        {"strides": 2, "data_format": "channels_first"},
    ),
    ("conv_transpose", (VOLUME, normal(2, 2, 2, 3, 2)), {"strides": 2}),
]

POOLING = [
    ("max_pool", (SEQUENCE, 2), {"strides": 2}),
    ("max_pool", (SEQUENCE, 3), {"strides": 2, "padding": "same"}),
    ("max_pool", (IMAGES, (2, 3)), {"strides": 1}),
    ("max_pool", (IMAGES_FIRST, 2, 2), {"padding": "same", "data_format": "channels_first"}),
    ("max_pool", (VOLUME, 2, (1, 2, 2)), {"padding": "same"}),
    ("average_pool", (SEQUENCE, 2, 2), {}),
    ("average_pool", (IMAGES, 3), {"strides": 2, "padding": "same"}),
    ("average_pool", (IMAGES_FIRST, (2, 2), (2, 2)), {"data_format": "channels_first"}),
    ("average_pool", (VOLUME, 2), {"strides": 1, "padding": "same"}),
    ("adaptive_average_pool", (SEQUENCE, 4), {}),
    ("adaptive_average_pool", (SEQUENCE, 9), {}),
    ("adaptive_average_pool", (IMAGES, (3, 4)), {}),
    ("adaptive_average_pool", (IMAGES, (5, 2)), {}),
    ("adaptive_average_pool", (IMAGES_FIRST, 5), {"data_format": "channels_first"}),
    ("adaptive_average_pool", (VOLUME, (2, 4, 3)), {}),
    ("adaptive_max_pool", (SEQUENCE, 4), {}),
    ("adaptive_max_pool", (IMAGES, (3, 4)), {}),
    ("adaptive_max_pool", (IMAGES_FIRST, (4, 5)), {"data_format": "channels_first"}),
    ("adaptive_max_pool", (VOLUME, (3, 2, 3)), {}),
]


def _case_id(case):
    name, args, kwargs = case
    shapes = "x".join(str(np.shape(a)) for a in args if isinstance(a, np.ndarray))
    return f"{name}-{shapes}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}".replace(" ", "")


def _keras_and_jeras(name, args, kwargs):
    expected = getattr(keras.ops.nn, name)(*args, **kwargs)
    actual = getattr(jeras.ops.nn, name)(*args, **kwargs)
    return actual, expected


def _assert_matches(actual, expected, **tolerance):
    assert_close(actual, expected, check_shape=True, **tolerance)
    assert jeras.ops.dtype(actual) == keras.ops.dtype(expected)


@pytest.mark.parametrize("case", ELEMENTWISE + POOLING, ids=_case_id)
def test_matches_keras(case):
    name, args, kwargs = case
    actual, expected = _keras_and_jeras(name, args, kwargs)
    tolerance = {"atol": 2e-3, "rtol": 2e-3} if "float16" in str(args[0].dtype) else {}
    _assert_matches(actual, expected, **tolerance)


@pytest.mark.parametrize("case", CONVOLUTIONS, ids=_case_id)
def test_convolutions_match_keras(case):
    name, args, kwargs = case
    actual, expected = _keras_and_jeras(name, args, kwargs)
    _assert_matches(actual, expected, **matmul_tolerance())


# Gradients with respect to every float argument, of a weighted sum of the outputs.
DIFFERENTIABLE = [
    case
    for case in ELEMENTWISE + CONVOLUTIONS + POOLING
    if case[0] not in ("multi_hot", "polar", "threshold", "sparsemax")
    and "float16" not in str(case[1][0].dtype)
]


@pytest.mark.parametrize("case", DIFFERENTIABLE, ids=_case_id)
def test_gradients_match_keras(case):
    name, args, kwargs = case
    float_positions = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    weights = {}

    def loss(module, *floats):
        full = list(args)
        for i, value in zip(float_positions, floats):
            full[i] = value
        outputs = getattr(module, name)(*full, **kwargs)
        if name not in weights:
            weights[name] = np.asarray(RNG.normal(size=np.shape(outputs)), "float32")
        return jnp.sum(outputs * weights[name])

    floats = [jnp.asarray(args[i]) for i in float_positions]
    argnums = tuple(range(1, len(floats) + 1))
    expected = jax.grad(loss, argnums=argnums)(keras.ops.nn, *floats)
    actual = jax.grad(loss, argnums=argnums)(jeras.ops.nn, *floats)
    assert_close(actual, expected, **matmul_tolerance(atol=2e-5, rtol=2e-5))


def _numpy_adaptive_pool(x, output_size, reduce):
    """PyTorch's adaptive windows, one output cell at a time (channels_last)."""
    spatial = x.shape[1:-1]
    out = np.zeros((x.shape[0], *output_size, x.shape[-1]), x.dtype)
    for cell in np.ndindex(*output_size):
        window = tuple(
            slice((i * n) // o, -((-(i + 1) * n) // o))
            for i, n, o in zip(cell, spatial, output_size)
        )
        out[(slice(None), *cell)] = reduce(
            x[(slice(None), *window)], axis=tuple(range(1, x.ndim - 1))
        )
    return out


@pytest.mark.parametrize("output_size", [(7, 2), (7, 6), (1, 1), (3, 5)])
def test_adaptive_pools_match_numpy_windows(output_size):
    # Keras's own adaptive pooling is wrong where an output axis is as long as the input's
    # (NaN in its last row): jeras follows the windows Keras documents.
    for name, reduce in (("adaptive_average_pool", np.mean), ("adaptive_max_pool", np.max)):
        actual = getattr(jeras.ops.nn, name)(IMAGES, output_size)
        assert_close(actual, _numpy_adaptive_pool(IMAGES, output_size, reduce), check_shape=True)


def test_pool_strides_default_to_the_pool_size():
    for name in ("max_pool", "average_pool"):
        pool = getattr(jeras.ops.nn, name)
        assert_close(pool(IMAGES, (2, 3)), getattr(keras.ops.nn, name)(IMAGES, (2, 3), (2, 3)))
        assert pool(IMAGES, (2, 3)).shape == (2, 3, 2, 4)


def test_moments_match_keras():
    for x, axes, keepdims in [(IMAGES, [0, 1, 2], False), (X, [1], True)]:
        actual = jeras.ops.nn.moments(x, axes, keepdims)
        expected = keras.ops.nn.moments(x, axes, keepdims)
        for a, e in zip(actual, expected):
            _assert_matches(a, e)
    half = (IMAGES * 100).astype("float16")
    actual = jeras.ops.nn.moments(half, [1, 2])
    expected = keras.ops.nn.moments(half, [1, 2])
    assert [str(a.dtype) for a in actual] == ["float16", "float16"]
    assert_close(actual, expected, atol=1e-2, rtol=1e-3)


# -- CTC -------------------------------------------------------------------------------------
LOGITS = normal(3, 8, 5, scale=2.0)
LABELS = np.array([[1, 2, 2, 0], [3, 1, 4, 2], [4, 4, 0, 0]], "int32")


@pytest.mark.parametrize(
    "target_length, output_length, mask_index",
    [
        ([3, 4, 2], [8, 8, 8], 0),
        ([2, 4, 1], [5, 8, 3], 0),
        ([3, 4, 2], [8, 7, 6], 3),
        ([4, 4, 4], [8, 3, 8], 0),  # the second one cannot be aligned
    ],
)
def test_ctc_loss_and_gradient_match_keras(target_length, output_length, mask_index):
    lengths = (np.array(target_length, "int32"), np.array(output_length, "int32"))

    def loss(module, logits):
        return jnp.sum(module.ctc_loss(LABELS, logits, *lengths, mask_index=mask_index))

    expected = keras.ops.nn.ctc_loss(LABELS, LOGITS, *lengths, mask_index=mask_index)
    actual = jeras.ops.nn.ctc_loss(LABELS, LOGITS, *lengths, mask_index=mask_index)
    _assert_matches(actual, expected, atol=1e-4, rtol=1e-5)
    if min(output_length) < max(target_length):
        # An alignment that cannot exist: both give the large loss of the -1e5 floor, but
        # through different (equally meaningless) paths, so the gradients differ.
        return
    assert_close(
        jax.grad(loss, argnums=1)(jeras.ops.nn, LOGITS),
        jax.grad(loss, argnums=1)(keras.ops.nn, LOGITS),
        atol=1e-5,
    )


@pytest.mark.parametrize("merge_repeated", [True, False])
@pytest.mark.parametrize("mask_index", [0, 4, None])
def test_ctc_greedy_decode_matches_keras(merge_repeated, mask_index):
    logits = np.repeat(LOGITS, 2, axis=1)  # repeated frames, so merging matters
    lengths = np.array([16, 9, 4], "int32")
    kwargs = {"merge_repeated": merge_repeated, "mask_index": mask_index}
    actual = jeras.ops.nn.ctc_decode(logits, lengths, **kwargs)
    expected = keras.ops.nn.ctc_decode(logits, lengths, **kwargs)
    np.testing.assert_array_equal(actual[0], expected[0])
    assert str(actual[0].dtype) == str(expected[0].dtype)
    _assert_matches(actual[1], expected[1])


@pytest.mark.parametrize(
    "shape, lengths, beam_width, top_paths, mask_index, merge_repeated",
    [
        ((2, 5, 4), [5, 3], 1, 1, 0, True),
        ((3, 8, 6), [8, 0, 5], 3, 2, 0, False),
        ((2, 7, 5), [6, 7], 10, 3, 4, True),
        ((3, 6, 4), [2, 6, 4], 3, 3, 3, True),
        ((2, 6, 5), [6, 4], 1, 3, None, False),  # more paths asked than Keras ranks
    ],
)
def test_ctc_beam_search_decode_matches_keras(
    shape, lengths, beam_width, top_paths, mask_index, merge_repeated
):
    logits = normal(*shape, scale=2.0)
    lengths = np.array(lengths, "int32")
    kwargs = {
        "strategy": "beam_search",
        "beam_width": beam_width,
        "top_paths": top_paths,
        "mask_index": mask_index,
        "merge_repeated": merge_repeated,
    }
    actual = jeras.ops.nn.ctc_decode(logits, lengths, **kwargs)
    expected = keras.ops.nn.ctc_decode(logits, lengths, **kwargs)
    np.testing.assert_array_equal(actual[0], expected[0])
    assert str(actual[0].dtype) == str(expected[0].dtype)
    np.testing.assert_allclose(actual[1], expected[1], atol=1e-5, rtol=1e-5)


def test_ctc_beam_search_refuses_bad_arguments():
    with pytest.raises(ValueError, match="ctc_decode: `beam_width`"):
        jeras.ops.nn.ctc_decode(LOGITS, [8, 8, 8], strategy="beam_search", beam_width=0)
    with pytest.raises(ValueError, match="ctc_decode: `mask_index`"):
        jeras.ops.nn.ctc_decode(LOGITS, [8, 8, 8], strategy="beam_search", mask_index=9)


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: jeras.ops.conv(IMAGES, normal(3, 3, 3, 5)), r"conv: the input channels \(4\)"),
        (
            lambda: jeras.ops.depthwise_conv(IMAGES, normal(3, 3, 3, 1)),
            r"depthwise_conv: the input channels \(4\) must equal",
        ),
        (
            lambda: jeras.ops.conv_transpose(IMAGES, normal(3, 3, 4, 2)),
            r"conv_transpose: the input channels \(4\) must equal",
        ),
        (lambda: jeras.ops.conv(IMAGES, normal(3, 4, 5)), "conv: expected inputs"),
        (lambda: jeras.ops.conv(IMAGES, normal(9, 3, 4, 5)), "smaller than the window"),
        (lambda: jeras.ops.conv(IMAGES, normal(3, 3, 4, 5), padding="full"), "conv: `padding`"),
        (lambda: jeras.ops.max_pool(IMAGES, (2, 2, 2)), "max_pool: `pool_size`"),
        (lambda: jeras.ops.glu(X), r"glu: the size of `axis` \(-1\) must be even"),
        (lambda: jeras.ops.psnr(X, IMAGES, 1.0), "psnr: x1 and x2 must have the same shape"),
        (lambda: jeras.ops.normalize(X, order=0), "normalize: `order`"),
        (lambda: jeras.ops.depth_to_space(IMAGES, 3), r"depth_to_space: the channels \(4\)"),
        (lambda: jeras.ops.space_to_depth(IMAGES, 2), r"space_to_depth: the height \(7\)"),
        (lambda: jeras.ops.fold(normal(1, 8, 10), (6, 7), 2), r"fold: x of shape \(1, 8, 10\)"),
        (
            lambda: jeras.ops.ctc_decode(LOGITS, [8, 8, 8], strategy="best"),
            "ctc_decode: `strategy`",
        ),
        (lambda: jeras.ops.adaptive_max_pool(X, 2), "adaptive_max_pool: expected a 3D, 4D or 5D"),
        (lambda: jeras.ops.multi_hot([1, 2]), "multi_hot: `num_classes` must be given"),
    ],
)
def test_bad_input_errors_name_the_function(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_variables_are_accepted():
    kernel = jeras.Variable(normal(3, 3, 4, 5))
    expected = keras.ops.conv(IMAGES, np.asarray(kernel.value))
    assert_close(jeras.ops.conv(IMAGES, kernel), expected, **matmul_tolerance())
    assert_close(jeras.ops.layer_normalization(jeras.Variable(X)), keras.ops.layer_normalization(X))


def test_keras_ops_nn_names_are_all_present():
    public = {n for n in dir(keras.ops.nn) if not n.startswith("_")}
    missing = sorted(n for n in public if not hasattr(jeras.ops.nn, n))
    assert not missing
    missing = sorted(n for n in public if not hasattr(jeras.ops, n))
    assert not missing
