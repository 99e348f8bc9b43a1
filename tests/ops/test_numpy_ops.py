"""Every NumPy-like function of `jeras.ops` against NumPy (values and shapes) and against real
Keras's `keras.ops` (result dtypes, and values where NumPy has no such function).

Each case gives a function name, how to build its NumPy arguments, and its keyword arguments;
the same arguments go to `numpy.<name>`, `jeras.ops.<name>` and `keras.ops.<name>`."""

import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras
from jeras.ops.numpy import _SAME_AS_JNP

RNG = np.random.default_rng(3)


def _floats(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape).astype("float32")


def _ints(*shape, low=-4, high=5):
    return RNG.integers(low, high, size=shape).astype("int32")


def _bools(*shape):
    return RNG.integers(0, 2, size=shape).astype(bool)


X = _floats(3, 4)
Y = _floats(3, 4)
UNIT = _floats(3, 4, low=-0.9, high=0.9)  # inside (-1, 1): arcsin, arccos, arctanh
POSITIVE = _floats(3, 4, low=0.1, high=3.0)
ABOVE_ONE = _floats(3, 4, low=1.1, high=3.0)  # arccosh
I = _ints(3, 4)
J = _ints(3, 4, low=1, high=4)  # non-zero divisors
B = _bools(3, 4)
C = _bools(3, 4)
V = _floats(5)
W = _floats(5)
SQUARE = _floats(4, 4)

UNARY_ANY = [
    "abs",
    "absolute",
    "negative",
    "sign",
    "square",
    "ceil",
    "floor",
    "round",
    "conj",
    "conjugate",
    "real",
    "imag",
    "isfinite",
    "isinf",
    "isnan",
    "copy",
    "ravel",
    "nan_to_num",
    "cbrt",
    "exp",
    "expm1",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "arctan",
    "arcsinh",
]
UNARY_POSITIVE = ["sqrt", "log", "log10", "log1p", "log2", "reciprocal"]
UNARY_UNIT = ["arcsin", "arccos", "arctanh"]
BINARY_FLOAT = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "true_divide",
    "maximum",
    "minimum",
    "arctan2",
    "logaddexp",
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "isclose",
    "power",
]
BINARY_INT = ["add", "subtract", "multiply", "floor_divide", "mod", "maximum", "minimum"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]
# Contractions run on a GPU's matrix units (TF32 by default), not in plain float32.
CONTRACTIONS = {"matmul", "dot", "vdot", "tensordot", "einsum"}
REDUCTIONS = ["sum", "mean", "max", "min", "amax", "amin", "prod", "std", "var", "median"]

# (name, arguments, keyword arguments)
CASES = (
    [(name, (X,), {}) for name in UNARY_ANY]
    + [(name, (POSITIVE,), {}) for name in UNARY_POSITIVE]
    + [(name, (UNIT,), {}) for name in UNARY_UNIT]
    + [("arccosh", (ABOVE_ONE,), {}), ("power", (POSITIVE, Y), {})]
    + [(name, (X, Y), {}) for name in BINARY_FLOAT if name != "power"]
    + [(name, (I, J), {}) for name in BINARY_INT]
    + [(name, (B, C), {}) for name in LOGICAL]
    + [("logical_not", (B,), {})]
    + [
        (name, (X,), kwargs)
        for name in REDUCTIONS
        for kwargs in ({}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": (0, 1)})
    ]
    + [
        (name, (X,), kwargs)
        for name in ("argmax", "argmin")
        for kwargs in ({}, {"axis": 0}, {"axis": 1})
    ]
    + [(name, (B,), kwargs) for name in ("all", "any") for kwargs in ({}, {"axis": 1})]
    + [
        ("sum", (I,), {"axis": 0}),
        ("mean", (I,), {}),
        ("prod", (J,), {"axis": 1}),
        ("count_nonzero", (I,), {}),
        ("count_nonzero", (I,), {"axis": 0}),
        ("average", (X,), {"axis": 1}),
        ("average", (X,), {"axis": 0, "weights": POSITIVE[:, 0]}),
        ("cumsum", (X,), {"axis": 1}),
        ("cumprod", (X,), {"axis": 0}),
        ("quantile", (X, 0.3), {"axis": 1}),
        ("diff", (X,), {"axis": 1}),
        ("sort", (X,), {"axis": 0}),
        ("argsort", (X,), {"axis": -1}),
        ("clip", (X, -0.5, 0.5), {}),
        ("where", (B, X, Y), {}),
        ("matmul", (X, SQUARE), {}),
        ("dot", (X, SQUARE), {}),
        ("vdot", (V, W), {}),
        ("outer", (V, W), {}),
        ("cross", (V[:3], W[:3]), {}),
        ("kron", (V[:2], W[:3]), {}),
        ("tensordot", (X, SQUARE), {"axes": 1}),
        ("einsum", ("ij,jk->ik", X, SQUARE), {}),
        ("trace", (SQUARE,), {}),
        ("diag", (V,), {}),
        ("diag", (SQUARE,), {}),
        ("diagonal", (SQUARE,), {"offset": 1}),
        ("tril", (SQUARE,), {}),
        ("triu", (SQUARE,), {"k": 1}),
        ("reshape", (X, (4, 3)), {}),
        ("reshape", (X, (-1,)), {}),
        ("transpose", (X,), {}),
        ("transpose", (X[None],), {"axes": (2, 0, 1)}),
        ("swapaxes", (X[None], 0, 2), {}),
        ("moveaxis", (X[None], 0, -1), {}),
        ("expand_dims", (X, 1), {}),
        ("squeeze", (X[:, None],), {"axis": 1}),
        ("flip", (X,), {"axis": 0}),
        ("roll", (X, 2), {"axis": 1}),
        ("repeat", (X, 2), {"axis": 0}),
        ("tile", (X, (2, 1)), {}),
        ("broadcast_to", (V, (2, 5)), {}),
        ("pad", (X, ((1, 0), (0, 2))), {}),
        ("concatenate", ([X, Y],), {"axis": 1}),
        ("stack", ([X, Y],), {"axis": 0}),
        ("hstack", ([X, Y],), {}),
        ("vstack", ([X, Y],), {}),
        ("append", (X, Y), {"axis": 0}),
        ("take", (X, np.array([2, 0])), {"axis": 1}),
        ("take_along_axis", (X, np.argsort(X, axis=1)), {"axis": 1}),
        ("nonzero", (I,), {}),
        ("bincount", (np.array([0, 1, 1, 3, 2, 1]),), {}),
        ("digitize", (X, np.array([-1.0, 0.0, 1.0], "float32")), {}),
        ("meshgrid", (V[:2], W[:3]), {}),
        ("around", (X,), {"decimals": 1}),
        ("round", (X,), {"decimals": 2}),
        ("arange", (1, 7, 2), {}),
        ("arange", (5,), {"dtype": "float32"}),
        ("linspace", (0.0, 1.0, 5), {}),
        ("logspace", (0.0, 2.0, 3), {}),
        ("eye", (3,), {}),
        ("eye", (3, 4), {"k": 1}),
        ("identity", (3,), {}),
        ("tri", (3,), {}),
        ("ones", ((2, 3),), {}),
        ("zeros", ((2, 3),), {"dtype": "int32"}),
        ("full", ((2, 2), 1.5), {}),
        ("full_like", (X, 7.0), {}),
        ("ones_like", (I,), {}),
        ("zeros_like", (X,), {}),
        ("empty", ((2, 3),), {}),
        ("ndim", (X,), {}),
        ("split", (X, 2), {"axis": 1}),
    ]
)


def _case_id(case):
    name, args, kwargs = case
    shapes = "-".join(
        "x".join(map(str, np.shape(a))) if hasattr(a, "shape") else type(a).__name__ for a in args
    )
    return f"{name}-{shapes}-{'_'.join(f'{k}={v}' for k, v in kwargs.items() if k != 'weights')}"


def test_every_function_named_like_jax_numpy_has_a_case():
    covered = {case[0] for case in CASES}
    assert sorted(set(_SAME_AS_JNP) - covered) == []


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_values_and_shapes_match_numpy(case):
    name, args, kwargs = case
    expected = getattr(np, name)(*args, **kwargs)
    got = getattr(jeras.ops, name)(*args, **kwargs)
    if name == "empty":  # only the shape and dtype of uninitialised memory are defined
        assert np.shape(got) == expected.shape
        return
    if isinstance(expected, (list, tuple)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert np.shape(g) == np.shape(e)
            assert_close(np.asarray(g, "float64"), np.asarray(e, "float64"))
        return
    assert np.shape(got) == np.shape(expected), (np.shape(got), np.shape(expected))
    tolerance = matmul_tolerance() if name in CONTRACTIONS else {"atol": 1e-5, "rtol": 1e-5}
    assert_close(np.asarray(got, "float64"), np.asarray(expected, "float64"), **tolerance)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if hasattr(keras.ops, c[0])],
    ids=[_case_id(c) for c in CASES if hasattr(keras.ops, c[0])],
)
def test_result_dtypes_match_keras(case):
    # NumPy computes in float64 and int64; Keras (and so jeras) keep float32 and int32.
    name, args, kwargs = case
    expected = getattr(keras.ops, name)(*args, **kwargs)
    got = getattr(jeras.ops, name)(*args, **kwargs)
    if isinstance(expected, (list, tuple)):
        assert [jeras.ops.dtype(g) for g in got] == [keras.ops.dtype(e) for e in expected]
    elif isinstance(expected, int):  # ndim
        assert type(got) is int and got == expected
    else:
        assert jeras.ops.dtype(got) == keras.ops.dtype(expected)


@pytest.mark.parametrize(
    "name",
    [
        "abs",
        "negative",
        "square",
        "sign",
        "sqrt",
        "exp",
        "log",
        "mean",
        "sum",
        "max",
        "cumsum",
        "reciprocal",
    ],
)
def test_integer_inputs_give_the_dtypes_keras_gives(name):
    values = np.array([[1, 2], [3, 4]], "int32")
    assert jeras.ops.dtype(getattr(jeras.ops, name)(values)) == keras.ops.dtype(
        getattr(keras.ops, name)(values)
    )
    # NumPy's own integer rules differ (1 // x for reciprocal): its float64 result is the value.
    assert_close(getattr(jeras.ops, name)(values), getattr(np, name)(values.astype("float64")))


@pytest.mark.parametrize(
    "name,args",
    [
        ("add", (1, 2.5)),
        ("multiply", (np.float32(2), 3)),
        ("maximum", (X, 0.0)),
        ("divide", (I, 2)),
        ("power", (J, 2)),
    ],
    ids=["int-float", "f32-int", "array-float", "int_array-int", "int_array-int_power"],
)
def test_python_scalars_promote_like_keras(name, args):
    got, expected = getattr(jeras.ops, name)(*args), getattr(keras.ops, name)(*args)
    assert jeras.ops.dtype(got) == keras.ops.dtype(expected)
    assert_close(got, expected)


@pytest.mark.parametrize(
    "name,args",
    [
        ("sum", lambda v: (v,)),
        ("matmul", lambda v: (v, SQUARE)),
        ("add", lambda v: (1.0, v)),
        ("concatenate", lambda v: ([v, v],)),
        ("where", lambda v: (B, v, 0.0)),
        ("reshape", lambda v: (v, (12,))),
    ],
    ids=["sum", "matmul", "add", "concatenate-list", "where", "reshape"],
)
def test_variables_are_accepted_wherever_arrays_are(name, args):
    variable = jeras.Variable(X, name="x")
    assert_close(
        getattr(jeras.ops, name)(*args(variable)), getattr(np, name)(*args(X)), **matmul_tolerance()
    )


# -- the functions jeras writes itself ---------------------------------------------------------
def test_convert_to_tensor_of_python_lists_gives_the_dtypes_keras_gives():
    assert jeras.ops.dtype(jeras.ops.convert_to_tensor([1, 2])) == "int32"
    tensor = jeras.ops.convert_to_tensor([[1.0, 2.0]])
    assert jeras.ops.dtype(tensor) == keras.ops.dtype(keras.ops.convert_to_tensor([[1.0, 2.0]]))
    assert_close(tensor, [[1.0, 2.0]])


def test_convert_to_tensor_and_back():
    tensor = jeras.ops.convert_to_tensor(X)
    assert jeras.ops.is_tensor(tensor) and not jeras.ops.is_tensor(np.zeros(2))
    assert jeras.ops.dtype(jeras.ops.convert_to_tensor(2.5)) == "float32"
    assert jeras.ops.dtype(jeras.ops.convert_to_tensor(X, dtype="float16")) == "float16"
    variable = jeras.Variable(X)
    assert_close(jeras.ops.convert_to_tensor(variable), X)
    as_numpy = jeras.ops.convert_to_numpy(variable)
    assert isinstance(as_numpy, np.ndarray)
    assert_close(as_numpy, X)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int32", "bool", "uint8"])
def test_cast_matches_numpy_and_names_the_dtype_like_keras(dtype):
    # Non-negative values: a negative float cast to uint8 is undefined in C, so in NumPy too.
    values = POSITIVE * 3
    got = jeras.ops.cast(values, dtype)
    assert jeras.ops.dtype(got) == keras.ops.dtype(keras.ops.cast(values, dtype)) == dtype
    if dtype != "bfloat16":
        assert_close(
            np.asarray(got, "float64"), values.astype(dtype).astype("float64"), atol=2e-3, rtol=2e-3
        )


def test_shape_size_and_dtype_queries():
    assert jeras.ops.shape(X) == (3, 4)
    assert jeras.ops.shape(jeras.Variable(V)) == (5,)
    assert int(jeras.ops.size(X)) == 12
    assert jeras.ops.dtype(I) == "int32"
    assert jeras.ops.dtype(np.zeros(2, "float64")) == keras.ops.dtype(np.zeros(2, "float64"))


def test_stop_gradient_passes_values_and_blocks_the_gradient():
    import jax

    assert_close(jeras.ops.stop_gradient(X), X)
    grad = jax.grad(lambda v: jeras.ops.sum(jeras.ops.stop_gradient(v) * v))(X)
    assert_close(grad, X)  # d/dv (c * v) with c held constant


def test_slice_matches_numpy_indexing():
    assert_close(jeras.ops.slice(X, (1, 1), (2, 3)), X[1:3, 1:4])


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_matches_numpy_sort(k):
    values, indices = jeras.ops.top_k(X, k)
    order = np.argsort(-X, axis=-1, kind="stable")[:, :k]
    assert_close(values, np.take_along_axis(X, order, -1))
    np.testing.assert_array_equal(np.asarray(indices), order)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"ord": 1, "axis": 0},
        {"axis": -1, "keepdims": True},
        {"ord": "fro"},
        {"ord": np.inf, "axis": 1},
    ],
)
def test_norm_matches_numpy(kwargs):
    assert_close(jeras.ops.norm(X, **kwargs), np.linalg.norm(X, **kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": -1, "keepdims": True}])
def test_logsumexp_matches_the_numpy_formula(kwargs):
    shifted = X * 30  # large values: the formula must not overflow
    peak = shifted.max(axis=kwargs.get("axis"), keepdims=True)
    expected = np.log(np.exp(shifted - peak).sum(axis=kwargs.get("axis"), keepdims=True)) + peak
    if not kwargs.get("keepdims"):
        expected = np.squeeze(expected, axis=kwargs.get("axis"))
    assert_close(jeras.ops.logsumexp(shifted, **kwargs), expected, rtol=1e-5)


def test_rsqrt_matches_numpy_and_gives_floats_for_integers():
    assert_close(jeras.ops.rsqrt(POSITIVE), 1 / np.sqrt(POSITIVE))
    got = jeras.ops.rsqrt(np.array([1, 4, 16], "int32"))
    assert jeras.ops.dtype(got) == "float32"
    assert_close(got, [1.0, 0.5, 0.25])


def test_erf_matches_the_math_module():
    import math

    expected = np.vectorize(math.erf)(X.astype("float64"))
    assert_close(jeras.ops.erf(X), expected, atol=1e-6)


# Every other function written in jeras/ops/numpy.py is compared with Keras in
# test_numpy_ops_keras.py, which also checks that none is left without a test.
