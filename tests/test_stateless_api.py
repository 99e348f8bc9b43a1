"""Keras's stateless API on jeras, against Keras (JAX backend) from the same weights: the keras.io
guide "Writing a training loop from scratch in JAX" snippet by snippet, `stateless_call`,
`Optimizer.stateless_apply`, the metrics' stateless methods, `StatelessScope`, state trees,
`keras.tree`, and `keras.random` inside compiled steps."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras


# -- the guide ------------------------------------------------------------------------------------
def _guide_data(lib, n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784)).astype("float32")
    y = lib.utils.to_categorical(rng.integers(0, 10, n), 10)
    return x, y


def get_model(keras):
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = keras.layers.Dense(64, activation="relu")(inputs)
    x2 = keras.layers.Dense(64, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def run_training_loop_guide(keras, weights):
    """The guide's loop with metrics ("Low-level handling of metrics"), as written except that
    the state holds the variables' values (`v.value`): this JAX no longer turns Variables into
    arrays when `jax.jit` receives them, in Keras as in jeras."""
    model = get_model(keras)
    model.set_weights(weights)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.CategoricalAccuracy()
    val_acc_metric = keras.metrics.CategoricalAccuracy()

    def compute_loss_and_updates(
        trainable_variables, non_trainable_variables, metric_variables, x, y
    ):
        y_pred, non_trainable_variables = model.stateless_call(
            trainable_variables, non_trainable_variables, x
        )
        loss = loss_fn(y, y_pred)
        metric_variables = train_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (non_trainable_variables, metric_variables)

    grad_fn = jax.value_and_grad(compute_loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metric_variables,
        ) = state
        x, y = data
        (loss, (non_trainable_variables, metric_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, metric_variables, x, y
        )
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )
        return loss, (
            trainable_variables,
            non_trainable_variables,
            optimizer_variables,
            metric_variables,
        )

    @jax.jit
    def eval_step(state, data):
        trainable_variables, non_trainable_variables, metric_variables = state
        x, y = data
        y_pred, non_trainable_variables = model.stateless_call(
            trainable_variables, non_trainable_variables, x
        )
        loss = loss_fn(y, y_pred)
        metric_variables = val_acc_metric.stateless_update_state(metric_variables, y, y_pred)
        return loss, (trainable_variables, non_trainable_variables, metric_variables)

    optimizer.build(model.trainable_variables)
    values = lambda variables: [v.value for v in variables]  # noqa: E731
    state = (
        values(model.trainable_variables),
        values(model.non_trainable_variables),
        values(optimizer.variables),
        values(train_acc_metric.variables),
    )
    x_train, y_train = _guide_data(keras)
    x_val, y_val = _guide_data(keras, n=64, seed=1)
    losses, accuracies = [], []
    for step in range(3):
        data = (x_train[step * 32 : (step + 1) * 32], y_train[step * 32 : (step + 1) * 32])
        loss, state = train_step(state, data)
        losses.append(float(loss))
        _, _, _, metric_variables = state
        for variable, value in zip(train_acc_metric.variables, metric_variables):
            variable.assign(value)
        accuracies.append(float(train_acc_metric.result()))
    trainable_variables, non_trainable_variables, optimizer_variables, metric_variables = state
    state = trainable_variables, non_trainable_variables, values(val_acc_metric.variables)
    val_losses = []
    for step in range(2):
        data = (x_val[step * 32 : (step + 1) * 32], y_val[step * 32 : (step + 1) * 32])
        loss, state = eval_step(state, data)
        val_losses.append(float(loss))
    _, _, metric_variables = state
    for variable, value in zip(val_acc_metric.variables, metric_variables):
        variable.assign(value)
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    return {
        "losses": losses,
        "accuracies": accuracies,
        "val_losses": val_losses,
        "val_accuracy": float(val_acc_metric.result()),
        "weights": model.get_weights(),
        "optimizer": [np.asarray(v) for v in optimizer_variables],
    }


@pytest.mark.slow
def test_training_loop_from_scratch_matches_keras():
    weights = get_model(keras).get_weights()
    want = run_training_loop_guide(keras, weights)
    got = run_training_loop_guide(jeras, weights)
    assert_close(got, want, **matmul_tolerance())
    assert want["losses"][0] != want["losses"][-1]


def test_losses_tracked_by_the_model_come_back_from_stateless_call():
    def build(keras):
        class ActivityRegularizationLayer(keras.layers.Layer):
            def call(self, inputs):
                self.add_loss(1e-2 * jax.numpy.sum(inputs))
                return inputs

        inputs = keras.Input(shape=(784,), name="digits")
        x = keras.layers.Dense(64, activation="relu")(inputs)
        x = ActivityRegularizationLayer()(x)
        x = keras.layers.Dense(64, activation="relu")(x)
        outputs = keras.layers.Dense(10, name="predictions")(x)
        return keras.Model(inputs=inputs, outputs=outputs)

    k_model = build(keras)
    j_model = build(jeras)
    j_model.set_weights(k_model.get_weights())
    x, _ = _guide_data(keras, n=8)
    results = []
    for model in (k_model, j_model):
        values = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
        )
        fn = jax.jit(lambda t, n, x, model=model: model.stateless_call(t, n, x, return_losses=True))
        y_pred, _, losses = fn(*values, x)
        results.append((np.asarray(y_pred), [np.asarray(v) for v in losses]))
    assert_close(results[1], results[0], **matmul_tolerance())
    assert len(results[1][1]) == 1
    assert j_model.losses == []  # nothing of the traced call stays on the layers


# -- stateless pieces ------------------------------------------------------------------------------
def _dense_model(keras):
    inputs = keras.Input(shape=(6,))
    x = keras.layers.Dense(5)(inputs)
    outputs = keras.layers.Dense(2)(x)
    return keras.Model(inputs, outputs)


def test_stateless_call_does_not_touch_the_variables():
    model = _dense_model(jeras)
    before = model.get_weights()
    trainable = [v.value * 0.5 for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    x = np.ones((3, 6), "float32")
    out, new_non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
    assert_close(model.get_weights(), before)
    assert len(new_non_trainable) == len(non_trainable)
    halved = get_kernel_product(model, 0.5, x)
    assert_close(out, halved, **matmul_tolerance())


def get_kernel_product(model, scale, x):
    # The expected output from NumPy, for a model of Dense layers only.
    out = np.asarray(x)
    for layer in model.layers[1:]:
        kernel, bias = (np.asarray(w) * scale for w in layer.get_weights())
        out = out @ kernel + bias
    return out


def test_stateless_call_checks_its_arguments():
    model = _dense_model(jeras)
    trainable = [v.value for v in model.trainable_variables]
    with pytest.raises(ValueError, match="trainable_variables.*length 3.*expected 4"):
        model.stateless_call(trainable[:3], [], np.ones((1, 6)))
    trainable[1] = jnp.zeros((7,))
    with pytest.raises(ValueError, match=r"element 1.*shape \(7,\), expected \(5,\)"):
        model.stateless_call(trainable, [], np.ones((1, 6)))


def test_optimizer_stateless_apply_has_keras_signature_and_numbers():
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
    grads = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
    results = []
    for lib in (keras, jeras):
        variables = [lib.Variable(v) for v in values]
        optimizer = lib.optimizers.Adam(learning_rate=0.1)
        optimizer.build(variables)
        state = [v.value for v in optimizer.variables]
        trainable = [v.value for v in variables]
        for _ in range(3):
            trainable, state = jax.jit(optimizer.stateless_apply)(state, grads, trainable)
        results.append(([np.asarray(t) for t in trainable], [np.asarray(s) for s in state]))
        assert_close([v.numpy() for v in variables], values)  # untouched
    assert_close(results[1], results[0])


def test_optimizer_stateless_apply_needs_a_built_optimizer():
    optimizer = jeras.optimizers.SGD()
    with pytest.raises(ValueError, match=r"must be built.*optimizer.build"):
        optimizer.stateless_apply([], [], [])
    optimizer.build([jeras.Variable(np.zeros(2, "float32"))])
    with pytest.raises(ValueError, match="`grads` with 1 values.*received 2"):
        optimizer.stateless_apply([v.value for v in optimizer.variables], [1, 2], [1])


def test_metric_stateless_methods_match_keras():
    y_true = np.array([[0, 1], [1, 0], [1, 0]], "float32")
    y_pred = np.array([[0.2, 0.8], [0.3, 0.7], [0.9, 0.1]], "float32")
    results = []
    for lib in (keras, jeras):
        metric = lib.metrics.CategoricalAccuracy()
        values = metric.stateless_reset_state()
        values = jax.jit(metric.stateless_update_state)(values, y_true, y_pred)
        values = metric.stateless_update_state(values, y_true[:1], y_pred[:1])
        results.append(float(metric.stateless_result(values)))
        assert float(metric.result()) == 0.0  # the metric object itself is untouched
    assert results[1] == pytest.approx(results[0])
    metric = jeras.metrics.Mean()
    with pytest.raises(ValueError, match="expects `metric_variables` with 2 values"):
        metric.stateless_result([1.0])


def test_stateless_scope_reads_and_collects_assignments():
    variable = jeras.Variable(np.zeros(3, "float32"))
    with jeras.StatelessScope(state_mapping=[(variable, jnp.ones(3))]) as scope:
        assert_close(variable.value, np.ones(3))
        variable.assign_add(jnp.ones(3))
    assert_close(scope.get_current_value(variable), 2 * np.ones(3))
    assert_close(variable.numpy(), np.zeros(3))
    with pytest.raises(ValueError, match=r"shape \(2,\).*\(3,\)"):
        jeras.StatelessScope(state_mapping=[(variable, jnp.ones(2))])


def test_layer_metrics_path_and_metrics_variables_as_keras():
    def build(keras):
        class M(keras.Model):
            def __init__(self):
                super().__init__(name="m")
                self.dense = keras.layers.Dense(2, name="dense")
                self.tracker = keras.metrics.Mean(name="t")

            def call(self, x):
                return self.dense(x)

        model = M()
        model(np.ones((1, 3), "float32"))
        return model

    k_model, j_model = build(keras), build(jeras)
    assert [m.name for m in j_model.metrics] == [m.name for m in k_model.metrics] == ["t"]
    assert j_model.dense.path == k_model.dense.path == "m/dense"
    assert [v.path for v in j_model.variables] == [v.path for v in k_model.variables]
    for model in (k_model, j_model):
        model.compile(optimizer="adam")
    assert [m.name for m in j_model.metrics] == [m.name for m in k_model.metrics]
    assert len(j_model.metrics_variables) == len(k_model.metrics_variables) == 4


def test_state_tree_round_trip():
    model = _dense_model(jeras)
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 6)), np.ones((4, 2)), verbose=0)
    tree = model.get_state_tree(value_format="numpy_array")
    assert sorted(tree) == [
        "metrics_variables",
        "non_trainable_variables",
        "optimizer_variables",
        "trainable_variables",
    ]
    kernel_path = model.trainable_variables[0].path.split("/")
    node = tree["trainable_variables"]
    for part in kernel_path:
        node = node[part]
    assert_close(node, model.trainable_variables[0].numpy())
    doubled = jax.tree_util.tree_map(lambda a: a * 2, tree["trainable_variables"])
    model.set_state_tree({"trainable_variables": doubled})
    assert_close(model.trainable_variables[0].numpy(), 2 * node)
    with pytest.raises(ValueError, match="no variable at path 'nope'"):
        model.set_state_tree({"trainable_variables": {"nope": 1.0}})


# -- keras.tree ------------------------------------------------------------------------------------
def test_tree_functions_match_keras():
    structure = {"b": [1, (2, None)], "a": 3}
    assert jeras.tree.flatten(structure) == keras.tree.flatten(structure)
    assert jeras.tree.map_structure(lambda v: v, structure) == keras.tree.map_structure(
        lambda v: v, structure
    )
    assert jeras.tree.pack_sequence_as(structure, [10, 20, 30, 40]) == keras.tree.pack_sequence_as(
        structure, [10, 20, 30, 40]
    )
    assert jeras.tree.is_nested(structure) and not jeras.tree.is_nested(1)
    assert [p for p, _ in jeras.tree.flatten_with_path(structure)] == [
        p for p, _ in keras.tree.flatten_with_path(structure)
    ]
    assert jeras.tree.lists_to_tuples([1, [2]]) == keras.tree.lists_to_tuples([1, [2]])
    with pytest.raises(ValueError):
        jeras.tree.assert_same_structure([1, 2], [1])


# -- keras.random ----------------------------------------------------------------------------------
RANDOM_DRAWS = {
    "normal": lambda r, g: r.normal((2000,), seed=g),
    "uniform": lambda r, g: r.uniform((2000,), seed=g),
    "randint": lambda r, g: r.randint((2000,), 0, 10, seed=g),
    "truncated_normal": lambda r, g: r.truncated_normal((2000,), seed=g),
    "dropout": lambda r, g: r.dropout(jnp.ones((2000,)), 0.5, seed=g),
    "shuffle": lambda r, g: r.shuffle(jnp.arange(2000), seed=g),
    "categorical": lambda r, g: r.categorical(jnp.zeros((1, 4)), 2000, seed=g),
    "gamma": lambda r, g: r.gamma((2000,), 2.0, seed=g),
    "beta": lambda r, g: r.beta((2000,), 2.0, 3.0, seed=g),
    "binomial": lambda r, g: r.binomial((2000,), 5, 0.3, seed=g),
}


# jax.random's gamma, beta and binomial samplers take seconds to compile on a CPU.
SLOW_DRAWS = {"beta", "gamma", "binomial"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.slow) if name in SLOW_DRAWS else name
        for name in sorted(RANDOM_DRAWS)
    ],
)
def test_random_in_a_compiled_step_advances_and_matches_keras_statistics(name):
    draw = RANDOM_DRAWS[name]
    generator = jeras.random.SeedGenerator(7)
    state = generator.state

    @jax.jit
    def step(seed_state):
        with jeras.StatelessScope(state_mapping=[(state, seed_state)]) as scope:
            out = draw(jeras.random, generator)
        return out, scope.get_current_value(state)

    first, seed_state = step(state.value)
    second, _ = step(seed_state)
    assert not np.array_equal(first, second), "the seed state did not advance"
    want = np.asarray(draw(keras.random, keras.random.SeedGenerator(7)))
    got = np.asarray(first)
    assert got.shape == want.shape and got.dtype == want.dtype
    # Same distribution (each library turns a seed into a key its own way).
    assert abs(got.mean() - want.mean()) < 0.15 * (abs(want.mean()) + want.std() + 1e-6)
    assert abs(got.std() - want.std()) < 0.15 * (want.std() + 1e-6)


def test_unseeded_random_inside_a_traced_call_is_refused():
    with pytest.raises(ValueError, match="SeedGenerator"):
        jax.jit(lambda: jeras.random.normal((2,)))()
    assert jeras.random.normal((2,)).shape == (2,)  # eagerly, fresh draws are fine
