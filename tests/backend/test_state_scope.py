"""The state scope's contract, tested directly: while a `StateScope` is active, reads of its
variables return the scope's values and every `assign*` writes into the scope, never into the
variable; scopes nest; and the same holds while JAX traces (`jax.jit`, `jax.grad`).

Oracle: the values put in, and NumPy arithmetic on them."""

import threading

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

from jeras.backend import StateScope, Variable, current_scope, in_stateless_scope


def _variable(values, name):
    return Variable(np.asarray(values, "float32"), name=name)


@pytest.fixture
def kernel():
    return _variable([[1.0, 2.0], [3.0, 4.0]], "kernel")


@pytest.fixture
def bias():
    return _variable([0.5, -0.5], "bias")


# -- reads and writes --------------------------------------------------------------------------
def test_read_inside_a_scope_returns_the_scope_value(kernel):
    scoped = np.full((2, 2), 7.0, "float32")
    with StateScope([(kernel, scoped)]):
        assert_close(kernel.value, scoped)
        assert_close(kernel.numpy(), scoped)
        assert_close(np.asarray(kernel), scoped)
        # Operators and indexing read through the scope as well.
        assert_close(kernel + 1.0, scoped + 1.0)
        assert_close(kernel[0], scoped[0])
    assert_close(kernel.value, [[1.0, 2.0], [3.0, 4.0]])


def test_assign_writes_into_the_scope_not_the_variable(kernel):
    with StateScope([(kernel, np.zeros((2, 2), "float32"))]) as scope:
        kernel.assign(np.ones((2, 2), "float32"))
        assert_close(kernel.value, np.ones((2, 2)))
        assert_close(scope.value_of(kernel), np.ones((2, 2)))
        kernel.assign_add(np.full((2, 2), 2.0, "float32"))
        kernel.assign_sub(np.full((2, 2), 0.5, "float32"))
        assert_close(kernel.value, np.full((2, 2), 2.5))
    # After the scope the variable holds what it held before it.
    assert_close(kernel.value, [[1.0, 2.0], [3.0, 4.0]])
    assert_close(scope.value_of(kernel), np.full((2, 2), 2.5))


def test_assign_add_starts_from_the_scope_value_not_the_variable(bias):
    with StateScope([(bias, np.array([10.0, 20.0], "float32"))]) as scope:
        bias.assign_add(np.array([1.0, 1.0], "float32"))
    assert_close(scope.value_of(bias), [11.0, 21.0])
    assert_close(bias.value, [0.5, -0.5])


def test_variable_outside_the_scope_reads_its_own_value_and_its_writes_stay_in_the_scope(
    kernel, bias
):
    with StateScope([(kernel, np.zeros((2, 2), "float32"))]) as scope:
        # `bias` was not given to the scope: it reads its own value...
        assert_close(bias.value, [0.5, -0.5])
        assert_close(scope.value_of(bias), [0.5, -0.5])
        # ...and an assignment inside the scope is still captured by the scope.
        bias.assign_add(np.array([1.0, 1.0], "float32"))
        assert_close(bias.value, [1.5, 0.5])
    assert_close(bias.value, [0.5, -0.5])
    assert_close(scope.value_of(bias), [1.5, 0.5])


def test_values_of_follows_the_order_asked_and_falls_back_to_own_values(kernel, bias):
    other = _variable([3.0], "other")
    with StateScope([(bias, np.array([9.0, 8.0], "float32"))]) as scope:
        other.assign(np.array([4.0], "float32"))
    values = scope.values_of([other, kernel, bias])
    assert len(values) == 3
    assert_close(values[0], [4.0])
    assert_close(values[1], [[1.0, 2.0], [3.0, 4.0]])
    assert_close(values[2], [9.0, 8.0])


def test_assigned_lists_the_given_and_the_written_variables(kernel, bias):
    with StateScope([(kernel, np.zeros((2, 2), "float32"))]) as scope:
        bias.assign(np.array([2.0, 3.0], "float32"))
    pairs = scope.assigned()
    assert [variable for variable, _ in pairs] == [kernel, bias]
    assert_close(pairs[0][1], np.zeros((2, 2)))
    assert_close(pairs[1][1], [2.0, 3.0])


def test_a_variable_is_found_by_identity_not_by_name():
    first, second = _variable([1.0], "same"), _variable([2.0], "same")
    with StateScope([(first, np.array([5.0], "float32"))]):
        assert_close(first.value, [5.0])
        assert_close(second.value, [2.0])


def test_assign_checks_the_shape_inside_a_scope_too(bias):
    with StateScope([(bias, np.zeros(2, "float32"))]) as scope:
        with pytest.raises(ValueError, match=r"shape \(3,\).*'bias'.*\(2,\)"):
            bias.assign(np.zeros(3, "float32"))
    assert_close(scope.value_of(bias), [0.0, 0.0])


def test_assign_casts_to_the_variable_dtype(bias):
    counter = Variable(np.int32(0), name="counter")
    with StateScope() as scope:
        counter.assign_add(2.7)
        bias.assign(np.array([1, 2]))
    assert np.asarray(scope.value_of(counter)).dtype == np.int32
    assert int(scope.value_of(counter)) == 2
    assert np.asarray(scope.value_of(bias)).dtype == np.float32


# -- the stack of scopes -----------------------------------------------------------------------
def test_current_scope_and_in_stateless_scope_follow_the_stack():
    assert current_scope() is None and not in_stateless_scope()
    with StateScope() as outer:
        assert current_scope() is outer and in_stateless_scope()
        with StateScope() as inner:
            assert current_scope() is inner
        assert current_scope() is outer
    assert current_scope() is None and not in_stateless_scope()


def test_nested_scope_reads_through_to_the_outer_one_and_writes_only_to_itself(kernel, bias):
    with StateScope(
        [(kernel, np.full((2, 2), 5.0, "float32")), (bias, np.array([1.0, 1.0], "float32"))]
    ) as outer:
        with StateScope([(bias, np.array([7.0, 7.0], "float32"))]) as inner:
            # Read falls back to the outer scope for `kernel`; the inner value wins for `bias`.
            assert_close(kernel.value, np.full((2, 2), 5.0))
            assert_close(bias.value, [7.0, 7.0])
            kernel.assign_add(np.ones((2, 2), "float32"))
            assert_close(kernel.value, np.full((2, 2), 6.0))
        # The inner write stayed in the inner scope.
        assert_close(kernel.value, np.full((2, 2), 5.0))
        assert_close(bias.value, [1.0, 1.0])
        assert_close(inner.value_of(kernel), np.full((2, 2), 6.0))
        assert_close(outer.value_of(kernel), np.full((2, 2), 5.0))
    assert_close(kernel.value, [[1.0, 2.0], [3.0, 4.0]])
    assert_close(bias.value, [0.5, -0.5])


def test_a_scope_that_exits_with_an_exception_leaves_the_stack_clean(bias):
    with pytest.raises(RuntimeError, match="boom"):
        with StateScope([(bias, np.zeros(2, "float32"))]):
            raise RuntimeError("boom")
    assert current_scope() is None
    assert_close(bias.value, [0.5, -0.5])


def test_scopes_are_per_thread(bias):
    seen = {}

    def read_in_another_thread():
        seen["scope"] = current_scope()
        seen["value"] = np.asarray(bias.value)

    with StateScope([(bias, np.array([9.0, 9.0], "float32"))]):
        worker = threading.Thread(target=read_in_another_thread)
        worker.start()
        worker.join()
        assert_close(bias.value, [9.0, 9.0])
    assert seen["scope"] is None
    assert_close(seen["value"], [0.5, -0.5])


# -- under JAX tracing -------------------------------------------------------------------------
def test_jit_step_reads_traced_values_and_returns_the_written_ones(kernel, bias):
    def step(kernel_value, bias_value, x):
        with StateScope([(kernel, kernel_value), (bias, bias_value)]) as scope:
            y = x @ kernel.value + bias.value
            kernel.assign_sub(0.1 * jnp.outer(x, y))
            bias.assign_add(y)
        return y, scope.values_of([kernel, bias])

    k0 = np.array([[0.0, 1.0], [2.0, -1.0]], "float32")
    b0 = np.array([1.0, 0.0], "float32")
    x = np.array([1.0, 2.0], "float32")
    y, (k1, b1) = jax.jit(step)(k0, b0, x)
    expected_y = x @ k0 + b0
    assert_close(y, expected_y, **matmul_tolerance())
    assert_close(k1, k0 - 0.1 * np.outer(x, expected_y), **matmul_tolerance())
    assert_close(b1, b0 + expected_y, **matmul_tolerance())
    # Nothing traced leaked into the variables, which keep their own values.
    assert_close(kernel.value, [[1.0, 2.0], [3.0, 4.0]])
    assert_close(bias.value, [0.5, -0.5])
    assert not isinstance(kernel.value, jax.core.Tracer)


def test_jit_step_runs_again_with_new_values_without_retracing_the_variables(bias):
    traces = []

    @jax.jit
    def step(bias_value):
        traces.append(1)
        with StateScope([(bias, bias_value)]) as scope:
            bias.assign(bias.value * 2.0)
        return scope.value_of(bias)

    value = np.array([1.0, -3.0], "float32")
    for _ in range(3):
        value = step(value)
    assert_close(value, [8.0, -24.0])
    assert len(traces) == 1


def test_grad_through_a_scope_matches_the_formula(kernel, bias):
    x = np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], "float32")
    target = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "float32")

    def loss(kernel_value, bias_value):
        with StateScope([(kernel, kernel_value), (bias, bias_value)]):
            error = x @ kernel.value + bias.value - target
            return jnp.mean(error**2)

    k0 = np.array([[0.2, -0.4], [0.1, 0.3]], "float32")
    b0 = np.array([0.05, -0.1], "float32")
    grad_k, grad_b = jax.grad(loss, argnums=(0, 1))(k0, b0)
    error = x @ k0 + b0 - target
    assert_close(grad_k, 2.0 * x.T @ error / error.size, **matmul_tolerance())
    assert_close(grad_b, 2.0 * error.sum(0) / error.size, **matmul_tolerance())
    assert_close(kernel.value, [[1.0, 2.0], [3.0, 4.0]])


def test_assigning_a_tracer_outside_a_scope_is_refused_and_names_the_variable(bias):
    def step(value):
        bias.assign(value)
        return value

    with pytest.raises(RuntimeError, match=r"'bias'.*StateScope"):
        jax.jit(step)(np.zeros(2, "float32"))
    assert_close(bias.value, [0.5, -0.5])
