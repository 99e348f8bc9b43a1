"""The neural-network half of `jeras.ops` (activations, softmax, one_hot, cross-entropies)
against NumPy formulas written here, and against `keras.ops` for dtypes and for the
cross-entropies' clipping conventions."""

import math

import keras
import numpy as np
import pytest
from oracle import assert_close, one_hot_labels, probabilities

import jeras

RNG = np.random.default_rng(11)
# Values on both sides of every activation's kinks (0, +-3 for hard_sigmoid, 6 for relu6).
X = (
    np.concatenate(
        [np.array([-7.0, -3.0, -1.0, 0.0, 1e-3, 1.0, 3.0, 6.0, 8.0]), RNG.uniform(-8, 8, size=15)]
    )
    .astype("float32")
    .reshape(4, 6)
)
X64 = X.astype("float64")

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _erf(x):
    return np.vectorize(math.erf)(x)


# (name, keyword arguments, NumPy formula on float64)
ACTIVATIONS = [
    ("relu", {}, lambda x: np.maximum(x, 0)),
    ("relu6", {}, lambda x: np.clip(x, 0, 6)),
    ("sigmoid", {}, _sigmoid),
    ("softplus", {}, lambda x: np.log1p(np.exp(x))),
    ("softsign", {}, lambda x: x / (1 + np.abs(x))),
    ("silu", {}, lambda x: x * _sigmoid(x)),
    ("swish", {}, lambda x: x * _sigmoid(x)),
    ("tanh", {}, np.tanh),
    ("elu", {}, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu", {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("selu", {}, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    ("gelu", {}, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    ("gelu", {"approximate": False}, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    ("leaky_relu", {}, lambda x: np.where(x > 0, x, 0.2 * x)),
    ("leaky_relu", {"negative_slope": 0.05}, lambda x: np.where(x > 0, x, 0.05 * x)),
    ("hard_sigmoid", {}, lambda x: np.clip(x + 3, 0, 6) / 6),
    ("log_sigmoid", {}, lambda x: -np.log1p(np.exp(-x))),
]
ACTIVATION_IDS = [
    f"{n}-{'_'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw, _ in ACTIVATIONS
]


@pytest.mark.parametrize("name,kwargs,formula", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_matches_the_numpy_formula(name, kwargs, formula):
    got = getattr(jeras.ops, name)(X, **kwargs)
    assert np.shape(got) == X.shape
    assert_close(got, formula(X64), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name,kwargs,formula", ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_dtypes_match_keras(name, kwargs, formula):
    for dtype in ("float32", "float16"):
        values = X.astype(dtype)
        got = getattr(jeras.ops, name)(values, **kwargs)
        expected = getattr(keras.ops, name)(values, **kwargs)
        assert jeras.ops.dtype(got) == keras.ops.dtype(expected), dtype


@pytest.mark.parametrize("name", ["relu", "sigmoid", "gelu", "softmax"])
def test_activations_accept_variables(name):
    variable = jeras.Variable(X, name="x")
    assert_close(getattr(jeras.ops, name)(variable), getattr(jeras.ops, name)(X), atol=0, rtol=0)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax_match_the_formula(axis):
    shifted = X64 - X64.max(axis=axis, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=axis, keepdims=True)
    assert_close(jeras.ops.softmax(X, axis=axis), expected, atol=1e-6)
    assert_close(
        jeras.ops.log_softmax(X, axis=axis),
        shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)),
        atol=1e-5,
    )


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"dtype": "int32"}])
def test_one_hot_matches_numpy_eye(kwargs):
    labels = np.array([[0, 2], [3, 1], [1, 1]])
    got = jeras.ops.one_hot(labels, 4, **kwargs)
    expected = np.eye(4)[labels]
    if kwargs.get("axis") == 0:
        expected = np.moveaxis(expected, -1, 0)
    assert np.shape(got) == expected.shape
    assert_close(got, expected)
    assert jeras.ops.dtype(got) == keras.ops.dtype(keras.ops.one_hot(labels, 4, **kwargs))


def test_one_hot_of_float_labels_and_out_of_range_labels_like_keras():
    labels = np.array([0.0, 2.0, 5.0, -1.0], "float32")
    expected = keras.ops.one_hot(labels, 3)
    assert_close(jeras.ops.one_hot(labels, 3), expected)
    # Out-of-range labels give an all-zero row.
    assert_close(jeras.ops.one_hot(labels, 3)[2:], np.zeros((2, 3)))


def _clipped(p, eps=1e-7):
    return np.clip(p, eps, 1 - eps)


def test_binary_crossentropy_matches_the_formula_elementwise():
    target = RNG.integers(0, 2, size=(4, 3)).astype("float32")
    output = RNG.uniform(0.02, 0.98, size=(4, 3)).astype("float32")
    p = _clipped(output.astype("float64"))
    expected = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    assert_close(jeras.ops.binary_crossentropy(target, output), expected, rtol=1e-5)
    logits = np.log(output / (1 - output))
    assert_close(
        jeras.ops.binary_crossentropy(target, logits, from_logits=True),
        -(target * np.log(output) + (1 - target) * np.log(1 - output)),
        rtol=1e-4,
        atol=1e-5,
    )


def test_binary_crossentropy_clips_like_keras_at_zero_and_one():
    target = np.array([[1.0, 0.0, 1.0, 0.0]], "float32")
    output = np.array([[0.0, 1.0, 1.0, 0.0]], "float32")
    assert_close(
        jeras.ops.binary_crossentropy(target, output),
        keras.ops.binary_crossentropy(target, output),
        rtol=1e-5,
    )


@pytest.mark.parametrize("axis", [-1, 0])
def test_categorical_crossentropy_matches_the_formula(axis):
    target = one_hot_labels(RNG, (5, 4))
    output = probabilities(RNG, (5, 4))
    if axis == 0:
        target, output = target.T.copy(), output.T.copy()
    p = output.astype("float64")
    p = _clipped(p / p.sum(axis=axis, keepdims=True))
    expected = -(target * np.log(p)).sum(axis=axis)
    assert_close(jeras.ops.categorical_crossentropy(target, output, axis=axis), expected, rtol=1e-5)
    logits = 2 * RNG.normal(size=output.shape).astype("float32")
    log_probs = logits - np.log(np.exp(logits).sum(axis=axis, keepdims=True))
    assert_close(
        jeras.ops.categorical_crossentropy(target, logits, from_logits=True, axis=axis),
        -(target * log_probs).sum(axis=axis),
        rtol=1e-5,
        atol=1e-6,
    )


def test_sparse_categorical_crossentropy_matches_the_formula():
    labels = RNG.integers(0, 4, size=(6,))
    output = probabilities(RNG, (6, 4))
    expected = -np.log(_clipped(output.astype("float64"))[np.arange(6), labels])
    assert_close(jeras.ops.sparse_categorical_crossentropy(labels, output), expected, rtol=1e-5)
    logits = 2 * RNG.normal(size=(6, 4)).astype("float32")
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    assert_close(
        jeras.ops.sparse_categorical_crossentropy(labels, logits, from_logits=True),
        -log_probs[np.arange(6), labels],
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "name,target,output",
    [
        (
            "binary_crossentropy",
            np.array([[1.0, 0.0]], "float32"),
            np.array([[0.3, 0.6]], "float32"),
        ),
        (
            "categorical_crossentropy",
            np.array([[0.0, 1.0]], "float32"),
            np.array([[0.3, 0.7]], "float32"),
        ),
        ("sparse_categorical_crossentropy", np.array([1]), np.array([[0.3, 0.7]], "float32")),
    ],
    ids=["binary", "categorical", "sparse"],
)
def test_crossentropy_dtypes_and_values_match_keras(name, target, output):
    got = getattr(jeras.ops, name)(target, output)
    expected = getattr(keras.ops, name)(target, output)
    assert jeras.ops.dtype(got) == keras.ops.dtype(expected)
    assert np.shape(got) == np.shape(expected)
    assert_close(got, expected, rtol=1e-5)


def test_every_public_function_of_the_nn_module_is_tested_here():
    public = {
        name
        for name in dir(jeras.ops.nn)
        if not name.startswith("_")
        and callable(getattr(jeras.ops.nn, name))
        and getattr(getattr(jeras.ops.nn, name), "__module__", "") == "jeras.ops.nn"
    }
    tested = {name for name, _, _ in ACTIVATIONS} | {
        "softmax",
        "log_softmax",
        "one_hot",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        # In its own file, test_dot_product_attention.py.
        "dot_product_attention",
    }
    # Against Keras in test_nn_ops_keras.py (its tables and the moments / CTC tests).
    tested |= set(
        """adaptive_average_pool adaptive_max_pool average_pool batch_normalization celu conv
        conv_transpose ctc_decode ctc_loss depth_to_space depthwise_conv fold glu hard_shrink
        hard_silu hard_swish hard_tanh layer_normalization max_pool moments multi_hot normalize
        polar psnr rms_normalization separable_conv soft_shrink space_to_depth sparse_plus
        sparse_sigmoid sparsemax squareplus tanh_shrink threshold unfold""".split()
    )
    assert sorted(public - tested) == []
