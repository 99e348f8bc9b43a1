"""The NumPy-like functions jeras writes itself (beyond plain `jax.numpy` passthroughs) against
real Keras 3's `keras.ops` on the JAX backend: the same NumPy inputs give the same values,
shapes and dtypes, and the differentiable ones the same gradients."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close

import jeras

RNG = np.random.default_rng(7)

X = RNG.uniform(-2, 2, (3, 4)).astype("float32")
Y = RNG.uniform(-2, 2, (3, 4)).astype("float32")
CUBE = RNG.uniform(-2, 2, (2, 3, 4)).astype("float32")
WITH_NAN = X.copy()
WITH_NAN[0, 1] = WITH_NAN[2, 3] = np.nan
EDGES = np.array([-np.inf, 0.0, np.inf, np.nan, 1.5], "float32")
I = RNG.integers(-6, 7, (3, 4)).astype("int32")
J = RNG.integers(1, 9, (3, 4)).astype("int32")
SMALL = RNG.integers(0, 4, (3, 4)).astype("int32")
U8 = RNG.integers(0, 255, (3, 4)).astype("uint8")
B = RNG.integers(0, 2, (3, 4)).astype(bool)
V = RNG.uniform(-2, 2, (5,)).astype("float32")
W = RNG.uniform(-2, 2, (3,)).astype("float32")
SQUARE = RNG.uniform(-1, 1, (3, 3)).astype("float32") + 3 * np.eye(3, dtype="float32")
BATCHED = RNG.uniform(-1, 1, (2, 3, 3)).astype("float32") + 3 * np.eye(3, dtype="float32")
SORTED = np.sort(RNG.uniform(-2, 2, (6,)).astype("float32"))
REPEATS = np.array([3, 1, 2, 1, 3, 5, 2], "int32")

# (name, arguments, keyword arguments); `GRADIENT` lists those whose gradient is compared too.
CASES = [
    ("allclose", (X, X + 1e-7), {}),
    ("allclose", (X, Y), {"atol": 5.0}),
    ("angle", (X,), {}),
    ("angle", (I,), {}),
    ("argpartition", (X, 2), {}),
    ("argpartition", (X, 1), {"axis": None}),
    ("array", (X,), {}),
    ("array", ([[1, 2], [3, 4]],), {"dtype": "float16"}),
    ("array_split", (V, 2), {}),
    ("array_split", (X, 3), {"axis": 1}),
    ("bartlett", (5,), {}),
    ("blackman", (6,), {}),
    ("hamming", (5,), {}),
    ("hanning", (7,), {}),
    ("kaiser", (6, 2.5), {}),
    ("bitwise_and", (I, J), {}),
    ("bitwise_or", (I, J), {}),
    ("bitwise_xor", (I, J), {}),
    ("bitwise_and", (B, B[::-1]), {}),
    ("bitwise_invert", (I,), {}),
    ("bitwise_invert", (U8,), {}),
    ("bitwise_not", (B,), {}),
    ("bitwise_left_shift", (I, SMALL), {}),
    ("bitwise_left_shift", (U8, 2), {}),
    ("bitwise_right_shift", (J, 1), {}),
    ("left_shift", (J, SMALL), {}),
    ("right_shift", (I, SMALL), {}),
    ("ceil", (X,), {}),
    ("ceil", (I,), {}),
    ("floor", (U8,), {}),
    ("floor", (B,), {}),
    ("corrcoef", (X,), {}),
    ("correlate", (V, W), {}),
    ("correlate", (V, W), {"mode": "full"}),
    ("correlate", (V, W), {"mode": "same"}),
    ("deg2rad", (X,), {}),
    ("rad2deg", (X,), {}),
    ("deg2rad", (I,), {}),
    ("diagflat", (W,), {}),
    ("diagflat", (np.array([[1, 2], [3, 4]], "int32"),), {"k": -1}),
    ("divide_no_nan", (X, np.where(B, Y, 0.0).astype("float32")), {}),
    ("divide_no_nan", (I, SMALL), {}),
    ("dsplit", (CUBE[..., None].repeat(2, -1).reshape(2, 3, 8), 2), {}),
    ("dstack", ([X, Y],), {}),
    ("empty_like", (X,), {"dtype": "int32"}),
    ("exp2", (X,), {}),
    ("exp2", (I,), {}),
    ("fabs", (X,), {}),
    ("fliplr", (X,), {}),
    ("flipud", (X,), {}),
    ("fmax", (WITH_NAN, Y), {}),
    ("fmin", (WITH_NAN, Y), {}),
    ("fmod", (X, Y), {}),
    ("fmod", (I, J), {}),
    ("gcd", (I, J), {}),
    ("lcm", (I, J), {}),
    ("geomspace", (1.0, 100.0, 5), {}),
    ("geomspace", (2.0, 32.0), {"num": 4, "endpoint": False}),
    ("get_item", (X, 1), {}),
    ("get_item", (X, (slice(0, 2), np.array([0, 3]))), {}),
    ("heaviside", (np.round(X), Y), {}),
    ("histogram", (V,), {}),
    ("histogram", (V,), {"bins": 3, "range": (-1.0, 1.0)}),
    ("hsplit", (X, 2), {}),
    ("vsplit", (CUBE.reshape(4, 6), [1, 3]), {}),
    ("hypot", (X, Y), {}),
    ("i0", (X,), {}),
    ("i0", (I,), {}),
    ("inner", (X, Y), {}),
    ("isin", (I, J), {}),
    ("isin", (I, J), {"invert": True}),
    ("isneginf", (EDGES,), {}),
    ("isposinf", (EDGES,), {}),
    ("isreal", (X,), {}),
    ("ldexp", (X, SMALL), {}),
    ("logaddexp2", (X, Y), {}),
    ("logaddexp2", (I, J), {}),
    ("nanargmax", (WITH_NAN,), {"axis": 1}),
    ("nanargmin", (WITH_NAN,), {"axis": 0, "keepdims": True}),
    ("nancumprod", (WITH_NAN,), {"axis": 1}),
    ("nancumsum", (WITH_NAN,), {}),
    ("nancumsum", (I,), {"axis": 0, "dtype": "float32"}),
    ("nanmax", (WITH_NAN,), {"axis": 1}),
    ("nanmin", (WITH_NAN,), {}),
    ("nanmean", (WITH_NAN,), {"axis": 0}),
    ("nanmean", (I,), {}),
    ("nanmedian", (WITH_NAN,), {"axis": 1, "keepdims": True}),
    ("nanpercentile", (WITH_NAN, 30.0), {"axis": 1}),
    ("nanquantile", (WITH_NAN, np.array([0.2, 0.9], "float32")), {"axis": 0}),
    ("nanprod", (WITH_NAN,), {"axis": 1}),
    ("nanstd", (WITH_NAN,), {"axis": 1}),
    ("nansum", (WITH_NAN,), {}),
    ("nansum", (I,), {"axis": 1}),
    ("nanvar", (WITH_NAN,), {"axis": 0, "keepdims": True}),
    ("nextafter", (X, Y), {}),
    ("percentile", (X, 75.0), {"axis": 0}),
    ("percentile", (X, np.array([10.0, 50.0], "float32")), {"method": "nearest"}),
    ("ptp", (X,), {"axis": 1}),
    ("ptp", (I,), {}),
    ("rot90", (X,), {}),
    ("rot90", (CUBE,), {"k": 3, "axes": (1, 2)}),
    ("searchsorted", (SORTED, X), {}),
    ("searchsorted", (SORTED, V), {"side": "right"}),
    ("select", ([X > 0.5, X < -0.5], [X, Y]), {}),
    ("select", ([B], [I]), {"default": -1}),
    ("signbit", (X,), {}),
    ("sinc", (X,), {}),
    ("sinc", (I,), {}),
    ("slogdet", (SQUARE,), {}),
    ("slogdet", (BATCHED,), {}),
    ("trapezoid", (X,), {}),
    ("trapezoid", (X, np.array([0.0, 1.0, 3.0], "float32")), {"axis": 0}),
    ("trapezoid", (I,), {"dx": 0.5}),
    ("trapezoid", (X.astype("float16"),), {}),
    ("trunc", (X,), {}),
    ("trunc", (I,), {}),
    ("unique", (REPEATS,), {}),
    ("unique", (REPEATS,), {"return_counts": True, "return_inverse": True}),
    ("unique", (REPEATS,), {"return_index": True, "size": 6}),
    ("unique", (REPEATS,), {"size": 2}),
    ("unique", (REPEATS.astype("float32"),), {"size": 6, "fill_value": -1.0}),
    ("unique", (np.array([[1, 0], [0, 1], [1, 0]], "int32"),), {"axis": 0}),
    ("unravel_index", (np.array([1, 5, 7], "int32"), (2, 4)), {}),
    ("vander", (W,), {}),
    ("vander", (np.array([1, 2, 3], "int32"),), {"N": 4, "increasing": True}),
    ("view", (X,), {"dtype": "int32"}),
    ("view", (U8.reshape(3, 2, 2),), {"dtype": "uint16"}),
]
GRADIENT = {
    "angle": (X,),
    "corrcoef": (X,),
    "correlate": (V, W),
    "deg2rad": (X,),
    "divide_no_nan": (X, np.where(B, Y, 0.0).astype("float32")),
    "exp2": (X,),
    "fabs": (X,),
    "fmax": (X, Y),
    "hypot": (X, Y),
    "i0": (X,),
    "inner": (X, Y),
    "logaddexp2": (X, Y),
    "nanmean": (WITH_NAN,),
    "nanstd": (WITH_NAN,),
    "nansum": (WITH_NAN,),
    "nanvar": (WITH_NAN,),
    "percentile": (X, 40.0),
    "ptp": (X,),
    "rot90": (X,),
    "sinc": (X,),
    "slogdet": (SQUARE,),
    "trapezoid": (X,),
    "vander": (W,),
}
NOT_DIFFERENTIABLE_OR_NOT_FLOAT = {
    # Integer, boolean or index results, constructors, and piecewise-constant functions.
    "allclose", "argpartition", "array", "array_split", "bartlett", "blackman", "hamming",
    "hanning", "kaiser", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert",
    "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift",
    "diagflat", "dsplit", "dstack", "empty_like", "fliplr", "flipud", "fmin", "fmod", "gcd",
    "lcm", "geomspace", "get_item", "heaviside", "histogram", "hsplit", "vsplit", "isin",
    "isneginf", "isposinf", "isreal", "ldexp", "nanargmax", "nanargmin", "nancumprod",
    "nancumsum", "nanmax", "nanmin", "nanmedian", "nanpercentile", "nanquantile", "nanprod",
    "nextafter", "rad2deg", "ceil", "floor", "searchsorted", "select", "signbit", "trunc", "unique",
    "unravel_index", "view",
}  # fmt: skip


def _case_id(case):
    name, args, kwargs = case
    shapes = "-".join(
        "x".join(map(str, np.shape(a))) + str(getattr(a, "dtype", type(a).__name__))
        if hasattr(a, "shape")
        else type(a).__name__
        for a in args
    )
    return f"{name}-{shapes}-{'_'.join(f'{k}={v}' for k, v in kwargs.items())}"


def _leaves(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _assert_same_result(got, expected):
    got, expected = _leaves(got), _leaves(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert np.shape(g) == np.shape(e), (np.shape(g), np.shape(e))
        assert jeras.ops.dtype(g) == keras.ops.dtype(e)
        g, e = np.asarray(g), np.asarray(e)
        if g.dtype.kind in "biu":
            np.testing.assert_array_equal(g, e)
        else:
            assert_close(g.astype("float64"), e.astype("float64"), atol=2e-5, rtol=2e-5)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_values_shapes_and_dtypes_match_keras(case):
    name, args, kwargs = case
    expected = getattr(keras.ops, name)(*args, **kwargs)
    got = getattr(jeras.ops, name)(*args, **kwargs)
    if name == "empty_like":  # only the shape and dtype of uninitialised memory are defined
        got, expected = jnp.zeros_like(got), jnp.zeros_like(expected)
    _assert_same_result(got, expected)


@pytest.mark.parametrize("name", sorted(GRADIENT))
def test_gradients_match_keras(name):
    args = GRADIENT[name]

    def summed(function):
        def total(*values):
            return sum(jnp.nansum(leaf) for leaf in _leaves(function(*values)))

        return total

    float_positions = tuple(i for i, a in enumerate(args) if np.asarray(a).dtype.kind == "f")
    expected = jax.grad(summed(getattr(keras.ops, name)), argnums=float_positions)(*args)
    got = jax.grad(summed(getattr(jeras.ops, name)), argnums=float_positions)(*args)
    assert_close(got, expected, atol=2e-5, rtol=2e-5)


def test_every_new_numpy_function_has_a_case_and_a_gradient_decision():
    named = {case[0] for case in CASES}
    keras_numpy = {n for n in dir(keras.ops.numpy) if not n.startswith("_")}
    written_here = {
        name
        for name in dir(jeras.ops.numpy)
        if not name.startswith("_")
        and getattr(getattr(jeras.ops.numpy, name), "__module__", "") == "jeras.ops.numpy"
    }
    # Tested in test_numpy_ops.py (core conversions and queries) or below (vectorize).
    tested_elsewhere = {"convert_to_tensor", "convert_to_numpy", "cast", "shape", "size",
                        "dtype", "is_tensor", "stop_gradient", "slice", "vectorize"}  # fmt: skip
    assert sorted(written_here - named - tested_elsewhere) == []
    assert sorted(named - keras_numpy) == []
    undecided = named - set(GRADIENT) - NOT_DIFFERENTIABLE_OR_NOT_FLOAT
    assert sorted(undecided) == []


def test_the_numpy_module_has_every_keras_numpy_function():
    keras_numpy = {n for n in dir(keras.ops.numpy) if not n.startswith("_")}
    assert sorted(keras_numpy - set(dir(jeras.ops.numpy))) == []


def test_vectorize_maps_a_python_function_like_keras():
    def scaled_dot(a, b):
        return jnp.dot(a, b) * 2.0

    expected = keras.ops.vectorize(scaled_dot, signature="(n),(n)->()")(X, Y)
    got = jeras.ops.vectorize(scaled_dot, signature="(n),(n)->()")(X, Y)
    _assert_same_result(got, expected)
    with pytest.raises(ValueError, match="vectorize: `pyfunc` must be a callable"):
        jeras.ops.vectorize(3)


def test_unique_with_a_size_runs_under_jit():
    got = jax.jit(lambda x: jeras.ops.unique(x, size=4, fill_value=0))(REPEATS)
    np.testing.assert_array_equal(np.asarray(got), [1, 2, 3, 5])


def test_variables_are_accepted():
    variable = jeras.Variable(X)
    assert_close(jeras.ops.nanmean(variable, axis=1), keras.ops.nanmean(X, axis=1))
    assert_close(jeras.ops.rot90(variable), np.rot90(X))
    assert_close(jeras.ops.get_item(variable, 2), X[2])


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: jeras.ops.histogram(X), r"histogram: the input must be 1-D.*\(3, 4\)"),
        (lambda: jeras.ops.histogram(V, bins=2.5), "histogram: `bins` must be"),
        (lambda: jeras.ops.histogram(V, range=(1.0, -1.0)), "histogram: `range`"),
        (lambda: jeras.ops.searchsorted(X, V), r"searchsorted: .*\(3, 4\)"),
        (lambda: jeras.ops.rot90(V), r"rot90: .*\(5,\)"),
        (lambda: jeras.ops.rot90(X, axes=(1, 1)), "rot90: `axes` must name two"),
        (lambda: jeras.ops.select(X > 0, [X]), "select: `condlist` and `choicelist` must be"),
        (lambda: jeras.ops.ldexp(X, Y), "ldexp: the exponent `x2` must have an integer"),
        (lambda: jeras.ops.slogdet(X), r"slogdet: expected square .*\(3, 4\)"),
        (lambda: jeras.ops.correlate(X, V), r"correlate: both inputs must be 1-D.*\(3, 4\)"),
    ],
)
def test_bad_input_gets_an_error_naming_the_function_and_shapes(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
