"""`jeras.ops` control flow and structural ops (Keras's `ops.core`) against `keras.ops` on
the same inputs and functions."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close

import jeras

X = np.arange(12, dtype="float32").reshape(3, 4) / 7.0


def _both(fn):
    return fn(jeras.ops), fn(keras.ops)


CASES = {
    "cond": lambda ops: ops.cond(X.sum() > 3, lambda: X * 2, lambda: X - 1),
    "cond_false": lambda ops: ops.cond(jnp.asarray(False), lambda: X * 2, lambda: X - 1),
    "switch": lambda ops: ops.switch(2, [lambda x: x, lambda x: -x, jnp.sin], X),
    "scan": lambda ops: ops.scan(lambda c, x: (c + x, c * x), jnp.zeros(4), X),
    "scan_reverse": lambda ops: ops.scan(
        lambda c, x: (c + x, c * x), jnp.zeros(4), X, reverse=True, unroll=2
    ),
    "scan_length": lambda ops: ops.scan(lambda c, _: (c * 2, c), 1.0, length=5),
    "associative_scan": lambda ops: ops.associative_scan(jnp.add, X, axis=1),
    "associative_scan_reverse": lambda ops: ops.associative_scan(
        jnp.maximum, X[::-1], reverse=True
    ),
    "while_loop_tuple": lambda ops: ops.while_loop(
        lambda i, x: i < 5, lambda i, x: (i + 1, x * 2), (0, X)
    ),
    "while_loop_single": lambda ops: ops.while_loop(lambda x: x < 100, lambda x: x * 3, 1),
    "while_loop_maximum": lambda ops: ops.while_loop(
        lambda i, x: i < 10, lambda i, x: (i + 1, x + 1), [0, X], maximum_iterations=4
    ),
    "fori_loop": lambda ops: ops.fori_loop(0, 4, lambda i, x: x * i + 1, X),
    "map": lambda ops: ops.map(lambda row: jnp.sum(row**2), X),
    "vectorized_map": lambda ops: ops.vectorized_map(lambda row: jnp.outer(row, row), X),
    "jvp": lambda ops: ops.jvp(jnp.sin, (X,), (jnp.ones_like(X),)),
    "jvp_aux": lambda ops: ops.jvp(lambda x: (jnp.sin(x), x * 2), (X,), (X,), has_aux=True),
    "scatter": lambda ops: ops.scatter(np.array([[0, 1], [2, 3], [0, 1]]), np.ones(3), (3, 4)),
    "scatter_rows": lambda ops: ops.scatter(np.array([[2], [0]]), X[:2], (3, 4)),
    "scatter_update": lambda ops: ops.scatter_update(X, np.array([[0, 1], [2, 3]]), [7.0, 8.0]),
    "scatter_update_rows": lambda ops: ops.scatter_update(X, np.array([[1]]), -X[:1]),
    "slice_update": lambda ops: ops.slice_update(X, (1, 2), np.full((2, 2), 9.0, "float32")),
    "unstack": lambda ops: ops.unstack(X),
    "unstack_axis": lambda ops: ops.unstack(X, num=4, axis=1),
    "saturate_cast_uint8": lambda ops: ops.saturate_cast(
        np.array([-3.0, 0.4, 255.9, 900.0]), "uint8"
    ),
    "saturate_cast_int32": lambda ops: ops.saturate_cast(np.array([-1e12, 1e12, 5.0]), "int32"),
    "saturate_cast_float16": lambda ops: ops.saturate_cast(np.array([1e6, -1e6, 1.5]), "float16"),
    "saturate_cast_from_int": lambda ops: ops.saturate_cast(np.array([-300, 300], "int32"), "int8"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    actual, expected = _both(CASES[name])
    assert_close(actual, expected, check_shape=True)
    for a, e in zip(jax.tree_util.tree_leaves(actual), jax.tree_util.tree_leaves(expected)):
        assert jnp.asarray(a).dtype == jnp.asarray(e).dtype, name
    assert type(actual) is type(expected) or isinstance(actual, (jax.Array, np.ndarray)), name


@pytest.mark.parametrize("reduction", ["add", "max", "min", "mul"])
def test_scatter_update_reductions_match_keras(reduction):
    indices, updates = np.array([[0, 1], [2, 3], [0, 1]]), np.array([5.0, -1.0, 2.0], "float32")
    assert_close(
        jeras.ops.scatter_update(X, indices, updates, reduction=reduction),
        keras.ops.scatter_update(X, indices, updates, reduction=reduction),
    )


def test_custom_gradient_takes_upstream_positionally_as_keras_on_jax():
    def make(ops):
        @ops.custom_gradient
        def log1pexp(x):
            e = ops.exp(x)

            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

            return ops.log(1 + e), grad

        return log1pexp

    x = jnp.asarray([0.0, 5.0, 100.0])
    actual = jax.grad(lambda v: jnp.sum(make(jeras.ops)(v)))(x)
    expected = jax.grad(lambda v: jnp.sum(make(keras.ops)(v)))(x)
    assert_close(actual, expected)
    assert np.all(np.isfinite(actual))
    variable = jeras.Variable(np.array([1.0, 2.0], "float32"))
    assert_close(make(jeras.ops)(variable), np.log1p(np.exp([1.0, 2.0])))


def test_loops_accept_variables_and_run_under_jit():
    variable = jeras.Variable(X)
    total, _ = jeras.ops.scan(lambda c, x: (c + x, None), jnp.zeros(4), variable)
    assert_close(total, X.sum(0))
    jitted = jax.jit(
        lambda x: jeras.ops.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2), (0, x))
    )
    assert_close(jitted(X)[1], X * 8)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: jeras.ops.scan(lambda c, x: (c, x), 0.0, X, unroll=0), "scan: `unroll`"),
        (
            lambda: jeras.ops.scatter_update(X, [[0, 1]], [1.0], reduction="sum"),
            "scatter_update: `reduction`",
        ),
        (
            lambda: jeras.ops.scatter(np.zeros((2, 3), "int32"), np.ones(2), (4, 4)),
            r"scatter: `indices`",
        ),
        (lambda: jeras.ops.slice_update(X, (0,), X), "slice_update"),
        (lambda: jeras.ops.unstack(X, num=2), r"unstack: num=2 does not match the size 3"),
    ],
)
def test_bad_input_errors_name_the_function(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_keras_core_names_are_all_present():
    import keras.src.ops.core as keras_core

    names = {n for n in dir(keras.ops) if not n.startswith("_") and hasattr(keras_core, n)}
    assert not sorted(n for n in names | {"jvp"} if not hasattr(jeras.ops, n))
