"""The one home of the helpers the tests share: closeness assertions, Keras/jeras pairs built
with the same weights, metric sequences fed to both libraries, and synthetic data.

Every test checks jeras against something computed independently of it: a NumPy formula in the
test, or real Keras 3 on the JAX backend. The helpers here only build inputs and compare; they
never compute an expected value with jeras.

The test root is on `sys.path` (pytest puts the directory of the top `conftest.py` there), so
every test file imports this module as `import oracle` / `from oracle import ...`.
"""

import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np

import jeras

# -- closeness --------------------------------------------------------------------------------
# Two float32 computations of the same formula, in a different order of operations, agree to a
# few ulps (about 1e-7 relative) per operation; 1e-5 leaves room for a chain of them.
FLOAT32_ATOL = FLOAT32_RTOL = 1e-5

# A GPU multiplies float32 matrices in TF32 (10 mantissa bits, a relative rounding of about
# 5e-4 per product) by default, in JAX as in Keras on JAX. Two libraries that fuse the same model
# differently then agree to about 1e-3, not to float32's 1e-5.
TF32_ATOL = TF32_RTOL = 2e-3


def on_gpu():
    """Whether JAX runs on a GPU (matmuls in TF32 unless a test asks for more)."""
    return jax.default_backend() == "gpu"


def matmul_tolerance(atol=FLOAT32_ATOL, rtol=FLOAT32_RTOL):
    """`dict(atol=..., rtol=...)` for comparing against Keras where matmuls or convolutions
    are involved: the given float32 tolerance on a CPU, TF32's where it is looser on a GPU."""
    if on_gpu():
        return {"atol": max(atol, TF32_ATOL), "rtol": max(rtol, TF32_RTOL)}
    return {"atol": atol, "rtol": rtol}


def assert_close(
    actual, expected, atol=FLOAT32_ATOL, rtol=FLOAT32_RTOL, err_msg="", check_shape=False
):
    """`np.testing.assert_allclose` over nested dicts, lists and tuples of arrays.

    Structures must match (same keys, same lengths); with `check_shape`, every leaf's shape too
    (assert_allclose alone broadcasts a (1,) against a (3,)).
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{err_msg}: expected a dict, got {type(actual)}"
        assert sorted(actual) == sorted(expected), err_msg
        for key in expected:
            assert_close(actual[key], expected[key], atol, rtol, f"{err_msg}[{key!r}]", check_shape)
    elif isinstance(expected, (list, tuple)) and _is_structure(expected):
        assert isinstance(actual, (list, tuple)), f"{err_msg}: expected a list, got {type(actual)}"
        assert len(actual) == len(expected), err_msg
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, atol, rtol, f"{err_msg}[{index}]", check_shape)
    else:
        actual, expected = np.asarray(actual), np.asarray(expected)
        if check_shape:
            assert actual.shape == expected.shape, (
                f"{err_msg}: shape {actual.shape} != expected {expected.shape}"
            )
        np.testing.assert_allclose(actual, expected, atol=atol, rtol=rtol, err_msg=err_msg)


def _is_structure(values):
    # A list holding arrays (weights, outputs; shapes may differ) or dicts is a structure; a
    # list of numbers, nested or not (a history's per-epoch values, a literal matrix), is one
    # array.
    return any(
        isinstance(v, dict)
        or (hasattr(v, "shape") and np.ndim(v) > 0)
        or (isinstance(v, (list, tuple)) and _is_structure(v))
        for v in values
    )


def as_numpy(tree):
    """Nested dicts / lists / tuples of arrays with every leaf a NumPy array (tuples become
    lists, as `predict` returns lists)."""
    if isinstance(tree, dict):
        return {key: as_numpy(value) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [as_numpy(value) for value in tree]
    return np.asarray(tree)


def assert_same_history(actual, expected, atol=FLOAT32_ATOL, rtol=FLOAT32_RTOL):
    """Two `History.history` dicts: the same keys, each per-epoch list close."""
    assert sorted(actual) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(
            actual[key], expected[key], atol=atol, rtol=rtol, err_msg=f"log key {key}"
        )


# -- Keras / jeras pairs ---------------------------------------------------------------------
def for_library(recipe, lib):
    """A recipe's value for one library: `recipe(lib)` when callable (a loss, optimizer or
    metric object must come from the library that uses it), else the recipe itself."""
    return recipe(lib) if callable(recipe) else recipe


def keras_and_jeras(build, same_weights=True, clear_session=False):
    """`build(keras)` and `build(jeras)`; the jeras one takes Keras's initial weights.

    `clear_session` first resets both libraries' automatic names, so that the two sides get the
    same names whatever ran before.
    """
    if clear_session:
        keras.backend.clear_session()
        jeras.backend.clear_session()
    k_object, j_object = build(keras), build(jeras)
    if same_weights:
        j_object.set_weights(k_object.get_weights())
    return k_object, j_object


def compiled_keras_and_jeras(build, **compile_recipes):
    """A pair with the same weights, each compiled with its library's version of the recipes."""
    k_model, j_model = keras_and_jeras(build)
    k_model.compile(**{key: for_library(value, keras) for key, value in compile_recipes.items()})
    j_model.compile(**{key: for_library(value, jeras) for key, value in compile_recipes.items()})
    return k_model, j_model


def same_class_pair(module_path, cls_name, *args, **kwargs):
    """`keras.<module_path>.<cls_name>(...)` and the jeras one of the same name."""

    def lookup(lib):
        owner = lib
        for part in module_path.split("."):
            owner = getattr(owner, part)
        return getattr(owner, cls_name)(*args, **kwargs)

    return lookup(keras), lookup(jeras)


def assert_layer_matches_keras(cls_name, inputs, atol=FLOAT32_ATOL, rtol=FLOAT32_RTOL, **kwargs):
    """Call `keras.layers.<cls_name>(**kwargs)` and the jeras layer on the same inputs, the
    jeras layer holding Keras's weights (if it has any); the outputs must have the same shape
    and agree (within `matmul_tolerance(atol, rtol)`). Returns the jeras output as NumPy."""
    k_layer = getattr(keras.layers, cls_name)(**kwargs)
    j_layer = getattr(jeras.layers, cls_name)(**kwargs)
    expected = as_numpy(k_layer(inputs))
    if k_layer.weights:
        j_layer(inputs)  # builds the weights Keras's are copied into
        j_layer.set_weights(k_layer.get_weights())
    got = as_numpy(j_layer(inputs))
    assert_close(got, expected, check_shape=True, **matmul_tolerance(atol, rtol))
    return got


# -- metric sequences ------------------------------------------------------------------------
def assert_metric_sequence_matches(
    k_metric,
    j_metric,
    make_batch,
    weight_kinds,
    make_weights,
    seed=0,
    atol=FLOAT32_ATOL,
    rtol=FLOAT32_RTOL,
):
    """Feed the same batches to a Keras metric and a jeras metric.

    One update per entry of `weight_kinds` (`make_batch(rng)` gives `(y_true, y_pred)`,
    `make_weights(kind, rng)` the sample weight); after each, `result()` and every state
    variable must agree. Then both reset: the results agree and every jeras variable is zero;
    one more unweighted update must agree again.
    """
    rng = np.random.default_rng(seed)

    def compare():
        assert_close(j_metric.result(), k_metric.result(), atol, rtol, "result()")
        assert len(j_metric.variables) == len(k_metric.variables)
        for j_var, k_var in zip(j_metric.variables, k_metric.variables):
            assert_close(j_var.value, k_var.value, atol, rtol, f"variable {j_var.path}")

    # Keras warns on some inputs (a class absent from a batch, say) and jeras warns alike;
    # the values, not the warnings, are compared here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind in weight_kinds:
            y_true, y_pred = make_batch(rng)
            sample_weight = make_weights(kind, rng)
            k_metric.update_state(y_true, y_pred, sample_weight=sample_weight)
            j_metric.update_state(y_true, y_pred, sample_weight=sample_weight)
            compare()
        k_metric.reset_state()
        j_metric.reset_state()
        assert_close(j_metric.result(), k_metric.result(), atol, rtol, "result() after reset")
        for variable in j_metric.variables:
            assert_close(
                variable.value,
                np.zeros(variable.shape),
                atol,
                rtol,
                f"variable {variable.path} after reset",
            )
        y_true, y_pred = make_batch(rng)
        k_metric.update_state(y_true, y_pred)
        j_metric.update_state(y_true, y_pred)
        compare()


# -- synthetic data --------------------------------------------------------------------------
def float32_normal(rng, *shape, scale=1.0):
    """Standard normal float32 values (times `scale`)."""
    return (scale * rng.standard_normal(shape)).astype("float32")


def probabilities(rng, shape):
    """Rows on the last axis that sum to one, each entry at least about 0.05 / n."""
    x = rng.uniform(0.05, 1.0, size=shape).astype("float32")
    return x / x.sum(-1, keepdims=True)


def one_hot_labels(rng, shape):
    """One-hot float32 rows on the last axis."""
    return np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], size=shape[:-1])]


def target_and_prediction(kind, rng, shape):
    """`(y_true, y_pred)` NumPy arrays of a kind losses and metrics expect.

    The kinds are the ones several test files share; a file keeps its own special kinds and
    asks this catalogue for the rest.
    """
    normal = lambda: rng.normal(size=shape).astype("float32")  # noqa: E731
    if kind == "regression":
        return normal(), normal()
    if kind == "positive":
        return (
            rng.uniform(0, 3, size=shape).astype("float32"),
            rng.uniform(0.1, 3, size=shape).astype("float32"),
        )
    if kind == "hinge01":
        return rng.integers(0, 2, size=shape).astype("float32"), normal()
    if kind == "hinge_pm1":
        return rng.choice([-1.0, 1.0], size=shape).astype("float32"), normal()
    if kind == "probs":
        return probabilities(rng, shape), probabilities(rng, shape)
    if kind == "binary_probs":
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            rng.uniform(0.02, 0.98, size=shape).astype("float32"),
        )
    if kind == "binary_logits":
        return rng.integers(0, 2, size=shape).astype("float32"), 2 * normal()
    if kind == "onehot_probs":
        return one_hot_labels(rng, shape), probabilities(rng, shape)
    if kind == "onehot_unnormalized":
        return one_hot_labels(rng, shape), rng.uniform(0.1, 2.0, size=shape).astype("float32")
    if kind == "onehot_logits":
        return one_hot_labels(rng, shape), 2 * normal()
    if kind == "sparse_probs":
        return rng.integers(0, shape[-1], size=shape[:-1]), probabilities(rng, shape)
    if kind == "sparse_probs_col":
        return rng.integers(0, shape[-1], size=shape[:-1] + (1,)), probabilities(rng, shape)
    if kind == "masks":
        # Segmentation-like: {0, 1} targets, soft predictions in [0, 1).
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            rng.uniform(0, 1, size=shape).astype("float32"),
        )
    if kind == "soft":
        return (
            rng.uniform(0, 1, size=shape).astype("float32"),
            rng.uniform(0, 1, size=shape).astype("float32"),
        )
    if kind == "sparse_logits":
        return rng.integers(0, shape[-1], size=shape[:-1]), 2 * normal()
    raise AssertionError(f"unknown data kind {kind!r}")


def sample_weights(kind, rng, shape, zero_at=1):
    """A sample weight for `y_true` of `shape`, or None.

    Kinds: None; "b", one weight per sample, shape (batch,); "b1", the same as a column
    (batch, 1); "full", one weight per entry; "int_rows" / "int", integer weights per sample /
    per entry. The float kinds hold a zero (at row `zero_at`, or the first entry), as a padding
    row of fit()'s last batch would.
    """
    if kind is None or kind == "none":
        return None
    if kind == "full":
        w = rng.uniform(0.0, 2.0, size=shape).astype("float32")
        w.reshape(-1)[0] = 0.0
        return w
    if kind == "int_rows":
        return rng.integers(0, 3, size=(shape[0],))
    if kind == "int":
        return rng.integers(0, 3, size=shape)
    w = rng.uniform(0.0, 2.0, size=(shape[0],)).astype("float32")
    w[zero_at] = 0.0
    if kind == "b":
        return w
    if kind == "b1":
        return w[:, None]
    raise AssertionError(f"unknown sample weight kind {kind!r}")


def classification_data(n=203, features=12, classes=4, seed=0):
    """Features and sparse labels (float32) that a small MLP can learn: the argmax of a noisy
    random linear map."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    w = rng.normal(size=(features, classes))
    y = np.argmax(x @ w + 0.5 * rng.normal(size=(n, classes)), axis=1).astype("float32")
    return x, y


def regression_data(n=32, features=4, outputs=2, seed=0):
    """Features and targets (float32) from a random linear map plus a little noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = x @ rng.normal(size=(features, outputs)) + 0.1 * rng.normal(size=(n, outputs))
    return x, y.astype("float32")


# -- layer configs and `.keras` files, both ways ------------------------------------------------
def _json_ready(config):
    import json

    def drop_shared_ids(value):
        if isinstance(value, dict):
            return {k: drop_shared_ids(v) for k, v in value.items() if k != "shared_object_id"}
        if isinstance(value, list):
            return [drop_shared_ids(v) for v in value]
        return value

    return drop_shared_ids(json.loads(json.dumps(config)))


def assert_config_matches_keras(cls_name, *args, **kwargs):
    """`keras.layers.<cls_name>(*args, **kwargs)` and the jeras layer serialize to the same
    JSON, and each library rebuilds the other's config into a layer with the same config."""
    k_layer = getattr(keras.layers, cls_name)(*args, name="probe", **kwargs)
    j_layer = getattr(jeras.layers, cls_name)(*args, name="probe", **kwargs)
    k_config = _json_ready(keras.saving.serialize_keras_object(k_layer))
    j_config = _json_ready(jeras.saving.serialize_keras_object(j_layer))
    assert j_config == k_config
    rebuilt = jeras.saving.deserialize_keras_object(k_config)
    assert type(rebuilt) is type(j_layer)
    assert _json_ready(rebuilt.get_config()) == _json_ready(j_layer.get_config())
    k_rebuilt = keras.saving.deserialize_keras_object(j_config)
    assert _json_ready(k_rebuilt.get_config()) == _json_ready(k_layer.get_config())


def assert_keras_files_round_trip(build, x, tmp_path, **tolerance):
    """`build(lib)` makes the same model in either library. A jeras model saved to `.keras`
    loads in Keras with the same predictions, and a Keras file loads in jeras likewise
    (inference mode; predictions compared with `matmul_tolerance(**tolerance)`)."""
    tolerance = matmul_tolerance(**tolerance)
    j_model = build(jeras)
    j_path = str(tmp_path / "from_jeras.keras")
    j_model.save(j_path)
    k_loaded = keras.saving.load_model(j_path)
    assert [layer.name for layer in k_loaded.layers] == [layer.name for layer in j_model.layers]
    assert_close(
        as_numpy(k_loaded(x, training=False)), as_numpy(j_model.predict(x, verbose=0)), **tolerance
    )
    k_model = build(keras)
    k_path = str(tmp_path / "from_keras.keras")
    k_model.save(k_path)
    j_loaded = jeras.saving.load_model(k_path)
    assert [layer.name for layer in j_loaded.layers] == [layer.name for layer in k_model.layers]
    assert_close(
        as_numpy(j_loaded.predict(x, verbose=0)), as_numpy(k_model(x, training=False)), **tolerance
    )
