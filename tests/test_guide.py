"""The first sections of the guide "Training & evaluation with the built-in methods"
(/work/shared/guide/training-and-evaluation-with-built-in-methods.zh-TW.txt), written with
`import jeras as keras`.

The guide trains on MNIST; here the data are small and synthetic (784-d inputs in [0, 1], each
a noisy copy of one of ten random prototypes, the label), so the file runs in seconds. TensorFlow calls in the guide are
replaced by `keras.ops` (tf.math.reduce_mean -> ops.mean, tf.square -> ops.square,
tf.one_hot -> ops.one_hot, ...). Numbers are checked against NumPy formulas computed here.
"""

import numpy as np
import pytest

import jeras as keras
from jeras import layers, ops

EPS = 1e-7


def _make_data(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = (0.4 * _PROTOTYPES[labels] + 0.6 * rng.random((n, 784))).astype("float32")
    return x, labels.astype("float32")


_PROTOTYPES = np.random.default_rng(123).random((10, 784)).astype("float32")
x_train, y_train = _make_data(2000, 1)
x_val, y_val = _make_data(500, 2)
x_test, y_test = _make_data(500, 3)


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def _np_sparse_ce(probs, labels):
    # Keras on probabilities: renormalise, clip to [eps, 1 - eps], negative log of the true class.
    probs = probs / probs.sum(axis=-1, keepdims=True)
    probs = np.clip(probs, EPS, 1 - EPS)
    return -np.log(probs[np.arange(len(labels)), labels.astype(int)])


def _assert_history(history, keys, epochs):
    assert sorted(history.history) == sorted(keys)
    for key in keys:
        values = history.history[key]
        assert isinstance(values, list) and len(values) == epochs
        assert all(type(v) is float for v in values), (key, [type(v) for v in values])


# -- API overview: the first end-to-end example -----------------------------------------------
def test_end_to_end_example():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)

    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        # Loss function to minimize
        loss=keras.losses.SparseCategoricalCrossentropy(),
        # List of metrics to monitor
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=2,
        validation_data=(x_val, y_val),
        verbose=0,
    )
    _assert_history(
        history,
        ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"],
        epochs=2,
    )
    h = history.history
    assert h["loss"][1] < h["loss"][0]
    assert h["val_sparse_categorical_accuracy"][1] > 0.3  # chance is 0.1

    # The validation numbers are those of the final weights on (x_val, y_val).
    val_probs = model.predict(x_val, verbose=0)
    np.testing.assert_allclose(h["val_loss"][1], _np_sparse_ce(val_probs, y_val).mean(), rtol=1e-4)
    np.testing.assert_allclose(
        h["val_sparse_categorical_accuracy"][1],
        np.mean(val_probs.argmax(axis=1) == y_val),
        atol=1e-6,
    )

    # Evaluate the model on the test data using `evaluate`
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    assert isinstance(results, list) and len(results) == 2
    assert all(type(v) is float for v in results)
    test_probs = model.predict(x_test, verbose=0)
    test_loss, test_acc = results
    np.testing.assert_allclose(test_loss, _np_sparse_ce(test_probs, y_test).mean(), rtol=1e-4)
    np.testing.assert_allclose(test_acc, np.mean(test_probs.argmax(axis=1) == y_test), atol=1e-6)

    # Generate predictions (probabilities -- the output of the last layer)
    predictions = model.predict(x_test[:3], verbose=0)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions, test_probs[:3], atol=1e-6)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, atol=1e-5)


# -- compile(): string identifiers and the helper functions -----------------------------------
def test_compile_with_explicit_objects_then_string_identifiers():
    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 1e-3)

    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0, return_dict=True)
    assert sorted(results) == ["loss", "sparse_categorical_accuracy"]
    probs = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(results["loss"], _np_sparse_ce(probs, y_test).mean(), rtol=1e-4)


def test_get_compiled_model_helper():
    model = get_compiled_model()
    assert [l.name for l in model.layers] == ["digits", "dense_1", "dense_2", "predictions"]
    assert model.count_params() == 784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10
    before = model.evaluate(x_test, y_test, batch_size=250, verbose=0)
    model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    after = model.evaluate(x_test, y_test, batch_size=250, verbose=0)
    assert after[0] < before[0]
    assert after[1] > before[1]


# -- custom losses ----------------------------------------------------------------------------
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def test_custom_loss_function():
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

    # We need to one-hot encode the labels to use MSE
    y_train_one_hot = ops.one_hot(y_train, 10)
    assert y_train_one_hot.shape == (2000, 10)
    np.testing.assert_array_equal(np.asarray(y_train_one_hot).argmax(axis=1), y_train)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)
    _assert_history(history, ["loss"], epochs=1)

    y_test_one_hot = np.eye(10, dtype="float32")[y_test.astype(int)]
    loss = model.evaluate(x_test, y_test_one_hot, batch_size=128, verbose=0)
    probs = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(loss, np.mean((y_test_one_hot - probs) ** 2), rtol=1e-5)


@keras.saving.register_keras_serializable()
class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor

    def get_config(self):
        return {
            "regularization_factor": self.regularization_factor,
            "name": self.name,
        }


def _np_custom_mse(y_true, y_pred, factor):
    mse = np.mean((y_true - y_pred) ** 2, axis=-1)
    reg = np.mean((0.5 - y_pred) ** 2, axis=-1)
    return np.mean(mse + reg * factor)


def test_custom_loss_subclass():
    loss = CustomMSE()
    assert loss.name == "custom_mse"
    assert loss.get_config() == {"regularization_factor": 0.1, "name": "custom_mse"}
    rebuilt = CustomMSE.from_config({"regularization_factor": 0.3, "name": "again"})
    assert rebuilt.regularization_factor == 0.3 and rebuilt.name == "again"

    rng = np.random.default_rng(4)
    y_true = np.eye(10, dtype="float32")[rng.integers(0, 10, 6)]
    y_pred = rng.random((6, 10)).astype("float32")
    np.testing.assert_allclose(
        float(loss(y_true, y_pred)), _np_custom_mse(y_true, y_pred, 0.1), rtol=1e-6
    )
    np.testing.assert_allclose(
        float(rebuilt(y_true, y_pred)), _np_custom_mse(y_true, y_pred, 0.3), rtol=1e-6
    )

    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
    y_train_one_hot = ops.one_hot(y_train, 10)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1, verbose=0)
    _assert_history(history, ["loss"], epochs=1)

    y_test_one_hot = np.eye(10, dtype="float32")[y_test.astype(int)]
    value = model.evaluate(x_test, y_test_one_hot, batch_size=100, verbose=0)
    probs = model.predict(x_test, verbose=0)
    np.testing.assert_allclose(value, _np_custom_mse(y_test_one_hot, probs, 0.1), rtol=1e-5)


def test_registered_custom_loss_is_found_by_name():
    from jeras.saving import get_registered_object

    assert get_registered_object("Custom>CustomMSE") is CustomMSE


# -- custom metrics ---------------------------------------------------------------------------
def _categorical_true_positives_class(result_as_variable):
    @keras.saving.register_keras_serializable()
    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_weight(name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            if result_as_variable:
                return self.true_positives  # as the guide writes it
            return ops.convert_to_tensor(self.true_positives)

        def reset_state(self):
            # The state of the metric will be reset at the start of each epoch.
            self.true_positives.assign(0.0)

    return CategoricalTruePositives


_PADDING_MASK_AS_SAMPLE_WEIGHT = (
    "bug in trainer/compile_utils: user metrics get the padding mask as sample_weight (shape "
    "(batch,)) where Keras passes None, so (batch, 1) * (batch,) broadcasts to (batch, batch)"
)


@pytest.mark.parametrize(
    "result_as_variable",
    [
        True,
        False,
    ],
)
def test_custom_metric_counts_true_positives(result_as_variable):
    CategoricalTruePositives = _categorical_true_positives_class(result_as_variable)
    # The metric compares labels of shape (batch, 1) with argmax reshaped to (batch, 1); with
    # (batch,) labels the comparison would broadcast to (batch, batch) (as in Keras 3).
    y_train_col = y_train[:, None]
    y_test_col = y_test[:, None]

    metric = CategoricalTruePositives()
    probs = np.random.default_rng(5).random((8, 10)).astype("float32")
    labels = np.arange(8, dtype="float32")[:, None]
    metric.update_state(labels, probs)
    assert float(metric.result()) == float(np.sum(probs.argmax(axis=1) == labels[:, 0]))
    metric.reset_state()
    assert float(metric.result()) == 0.0

    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    # On a fixed set, the epoch value is the count of correct argmax predictions (the state is
    # reset at the start of evaluate and summed over all batches, the partial last one included).
    results = model.evaluate(x_test, y_test_col, batch_size=64, verbose=0, return_dict=True)
    probs = model.predict(x_test, verbose=0)
    assert results["categorical_true_positives"] == float(np.sum(probs.argmax(axis=1) == y_test))

    history = model.fit(x_train, y_train_col, batch_size=64, epochs=3, verbose=0)
    _assert_history(history, ["loss", "categorical_true_positives"], epochs=3)
    counts = history.history["categorical_true_positives"]
    assert all(0 <= c <= len(x_train) and c == int(c) for c in counts)
    assert counts[2] > counts[0]
    results = model.evaluate(x_test, y_test_col, batch_size=64, verbose=0, return_dict=True)
    probs = model.predict(x_test, verbose=0)
    assert results["categorical_true_positives"] == float(np.sum(probs.argmax(axis=1) == y_test))


# -- losses that do not fit the standard signature (add_loss) ---------------------------------
@keras.saving.register_keras_serializable()
class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


_ADD_LOSS_ON_PADDING = (
    "bug in trainer/engine: the last batch is padded with zero rows, and add_loss terms "
    "(which cannot be masked) are computed over those rows too"
)


@pytest.mark.parametrize(
    "batch_size",
    [
        100,  # 200 samples: no partial batch
        64,
    ],
)
def test_add_loss_in_a_layer(batch_size):
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )

    # Evaluate with known weights: the loss is the cross-entropy plus 0.1 * sum of the first
    # layer's activations over each batch, averaged over batches weighted by their size.
    rng = np.random.default_rng(6)
    weights = [0.05 * rng.standard_normal(w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    x_eval, y_eval = x_test[:200], y_test[:200]
    k1, b1, k2, b2, k3, b3 = weights
    h1 = np.maximum(x_eval @ k1 + b1, 0)
    logits = np.maximum(h1 @ k2 + b2, 0) @ k3 + b3
    log_probs = logits - logits.max(axis=1, keepdims=True)
    log_probs = log_probs - np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    ce = -log_probs[np.arange(200), y_eval.astype(int)]
    batch_losses, sizes = [], []
    for start in range(0, 200, batch_size):
        stop = min(start + batch_size, 200)
        batch_losses.append(ce[start:stop].mean() + 0.1 * h1[start:stop].sum())
        sizes.append(stop - start)
    expected = np.average(batch_losses, weights=sizes)
    loss = model.evaluate(x_eval, y_eval, batch_size=batch_size, verbose=0)
    np.testing.assert_allclose(loss, expected, rtol=1e-4)

    # The displayed loss will be much higher than before due to the regularization component.
    history = model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    _assert_history(history, ["loss"], epochs=1)
    assert history.history["loss"][0] > 0


@keras.saving.register_keras_serializable()
class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it
        # to the layer using `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        # Return the inference-time prediction tensor (for `.predict()`).
        return ops.softmax(logits)


@pytest.mark.parametrize(
    "batch_size",
    [
        3,  # the whole data set in one batch
        None,
    ],
)
def test_add_loss_endpoint_layer_without_compiled_loss(batch_size):
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!

    rng = np.random.default_rng(7)
    data = {
        "inputs": rng.random((3, 3)).astype("float32"),
        "targets": rng.random((3, 10)).astype("float32"),
    }
    kernel, bias = model.get_weights()
    z = data["inputs"] @ kernel + bias
    t = data["targets"]
    # Binary cross-entropy from logits, mean over classes then over samples.
    expected = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))

    history = model.fit(data, batch_size=batch_size, verbose=0)
    _assert_history(history, ["loss"], epochs=1)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    assert not np.allclose(model.get_weights()[0], kernel)  # the add_loss term was trained on


# -- automatically setting apart a validation holdout set --------------------------------------
def test_validation_split_holds_out_the_last_samples():
    model = get_compiled_model()
    history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1, verbose=0)
    _assert_history(
        history,
        ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"],
        epochs=1,
    )
    # Validation is the last 20% of the arrays, taken before any shuffling.
    x_holdout, y_holdout = x_train[1600:], y_train[1600:]
    probs = model.predict(x_holdout, verbose=0)
    np.testing.assert_allclose(
        history.history["val_loss"][0], _np_sparse_ce(probs, y_holdout).mean(), rtol=1e-4
    )
    np.testing.assert_allclose(
        history.history["val_sparse_categorical_accuracy"][0],
        np.mean(probs.argmax(axis=1) == y_holdout),
        atol=1e-6,
    )


def test_training_from_tf_data_dataset():
    tf = pytest.importorskip("tensorflow", reason="the tf.data section needs TensorFlow")
    model = get_compiled_model()
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(64)
    model.fit(train_dataset, epochs=1, verbose=0)
