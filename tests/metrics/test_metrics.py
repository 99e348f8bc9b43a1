"""Differential tests: jeras.metrics against real Keras 3 (JAX backend)."""

import keras
import numpy as np
import pytest
from oracle import (
    assert_close,
    assert_metric_sequence_matches,
    sample_weights,
    target_and_prediction,
)

import jeras

B, C = 4, 5


def _data(kind, rng, shape):
    """(y_true, y_pred) of `kind`: the shared catalogue plus the kinds only metrics need."""
    if kind == "int_equal":
        # Small integer alphabet so that matches and mismatches both occur.
        return rng.integers(0, 3, size=shape), rng.integers(0, 3, size=shape).astype("float32")
    if kind == "binary":
        # Includes exactly 0.5 and 0.7, where the strict `>` threshold matters.
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            rng.choice([0.1, 0.5, 0.7, 0.9, 0.3], size=shape).astype("float32"),
        )
    if kind == "sorted_ids":
        ids = np.argsort(-rng.uniform(size=shape), axis=-1).astype("float32")
        return rng.integers(0, shape[-1], size=shape[:-1]), ids
    if kind == "nonzero_true":
        return (
            rng.uniform(0.5, 2.0, size=shape).astype("float32"),
            rng.normal(size=shape).astype("float32"),
        )
    return target_and_prediction(kind, rng, shape)


# (class name, constructor kwargs, data kind, shape)
CASES = [
    ("Accuracy", {}, "int_equal", (B, 3)),
    ("Accuracy", {}, "int_equal", (B,)),
    ("BinaryAccuracy", {}, "binary", (B, 1)),
    ("BinaryAccuracy", {}, "binary", (B, 3)),
    ("BinaryAccuracy", {"threshold": 0.7}, "binary", (B, 3)),
    ("CategoricalAccuracy", {}, "onehot_probs", (B, C)),
    ("CategoricalAccuracy", {}, "onehot_probs", (B, 2, C)),
    ("SparseCategoricalAccuracy", {}, "sparse_probs", (B, C)),
    ("SparseCategoricalAccuracy", {}, "sparse_probs_col", (B, C)),
    ("SparseCategoricalAccuracy", {}, "sparse_probs", (B, 2, C)),
    ("TopKCategoricalAccuracy", {}, "onehot_probs", (B, C)),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot_probs", (B, C)),
    ("TopKCategoricalAccuracy", {"k": 1}, "onehot_probs", (B, 2, C)),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse_probs", (B, C)),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "sparse_probs_col", (B, C)),
    ("SparseTopKCategoricalAccuracy", {"k": 1}, "sparse_probs", (B, 2, C)),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True}, "sorted_ids", (B, C)),
    ("MeanSquaredError", {}, "regression", (B, 3)),
    ("MeanSquaredError", {}, "regression", (B, 2, 3)),
    ("MeanAbsoluteError", {}, "regression", (B, 3)),
    ("MeanAbsolutePercentageError", {}, "nonzero_true", (B, 3)),
    ("MeanSquaredLogarithmicError", {}, "positive", (B, 3)),
    ("RootMeanSquaredError", {}, "regression", (B, 3)),
    ("RootMeanSquaredError", {}, "regression", (B, 2, 3)),
    ("LogCoshError", {}, "regression", (B, 3)),
    ("CosineSimilarity", {}, "regression", (B, 3)),
    ("CosineSimilarity", {"axis": 1}, "regression", (B, 3, 2)),
    ("Hinge", {}, "hinge01", (B, 3)),
    ("SquaredHinge", {}, "hinge01", (B, 3)),
    ("CategoricalHinge", {}, "onehot_logits", (B, C)),
    ("KLDivergence", {}, "probs", (B, C)),
    ("Poisson", {}, "positive", (B, 3)),
    ("BinaryCrossentropy", {}, "binary_probs", (B, 3)),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary_logits", (B, 3)),
    ("CategoricalCrossentropy", {}, "onehot_probs", (B, C)),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "onehot_logits",
        (B, C),
    ),
    ("SparseCategoricalCrossentropy", {}, "sparse_probs", (B, C)),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits", (B, 2, C)),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "ignore_class": 1},
        "sparse_logits",
        (B, C),
    ),
]
CASE_IDS = [
    f"{c[0]}-{'_'.join(f'{k}={v}' for k, v in c[1].items()) or 'default'}-"
    f"{c[2]}-{'x'.join(map(str, c[3]))}"
    for c in CASES
]


def _weights(kind, rng):
    return sample_weights(kind, rng, (B,))


def _run_sequence(k_metric, j_metric, make_batch, weight_kinds, seed=0):
    assert_metric_sequence_matches(
        k_metric, j_metric, make_batch, weight_kinds, _weights, seed=seed
    )


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_metric_matches_keras(case):
    cls_name, kwargs, kind, shape = case
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    _run_sequence(k_metric, j_metric, lambda rng: _data(kind, rng, shape), [None, "b", "b1", None])


@pytest.mark.parametrize("cls_name", ["Mean", "Sum"])
@pytest.mark.parametrize("shape", [(B,), (B, 3), (B, 2, 3)], ids=lambda s: "x".join(map(str, s)))
def test_reduction_metrics_match_keras(cls_name, shape):
    k_metric, j_metric = getattr(keras.metrics, cls_name)(), getattr(jeras.metrics, cls_name)()
    rng = np.random.default_rng(1)
    for wkind in [None, "b", "b1", "full"]:
        values = rng.normal(size=shape).astype("float32")
        if wkind == "full":
            sw = rng.uniform(0, 2, size=shape).astype("float32")
        else:
            sw = _weights(wkind, rng)
        k_metric.update_state(values, sample_weight=sw)
        j_metric.update_state(values, sample_weight=sw)
        assert_close(j_metric.result(), k_metric.result())
        assert_close([v.value for v in j_metric.variables], [v.value for v in k_metric.variables])
    k_metric.reset_state()
    j_metric.reset_state()
    assert_close(j_metric.result(), k_metric.result())
    # A scalar value counts as one sample.
    k_metric.update_state(3.0)
    j_metric.update_state(3.0)
    assert_close(j_metric.result(), k_metric.result())


def test_mean_metric_wrapper_with_custom_fn():
    def half_squared(y_true, y_pred, scale=1.0):
        return jeras.ops.mean(jeras.ops.square(y_true - y_pred), axis=-1) * 0.5 * scale

    def half_squared_keras(y_true, y_pred, scale=1.0):
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1) * 0.5 * scale

    k_metric = keras.metrics.MeanMetricWrapper(half_squared_keras, name="hs", scale=3.0)
    j_metric = jeras.metrics.MeanMetricWrapper(half_squared, name="hs", scale=3.0)
    assert j_metric.name == k_metric.name == "hs"
    _run_sequence(
        k_metric, j_metric, lambda rng: _data("regression", rng, (B, 3)), [None, "b", "b1"]
    )
    # Without a name Keras uses the class's snake-case name.
    assert (
        jeras.metrics.MeanMetricWrapper(half_squared).name.split("_1")[0]
        == keras.metrics.MeanMetricWrapper(half_squared_keras).name.split("_1")[0]
        == "mean_metric_wrapper"
    )


# -- names, configs, lookups ----------------------------------------------------------------
CLASS_NAMES = sorted({c[0] for c in CASES} | {"Mean", "Sum"})

# Keras's default names, written out: LogCoshError is the odd one.
DEFAULT_NAMES = {
    "Accuracy": "accuracy",
    "BinaryAccuracy": "binary_accuracy",
    "CategoricalAccuracy": "categorical_accuracy",
    "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
    "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
    "SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
    "MeanSquaredError": "mean_squared_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "RootMeanSquaredError": "root_mean_squared_error",
    "LogCoshError": "logcosh",
    "CosineSimilarity": "cosine_similarity",
    "Hinge": "hinge",
    "SquaredHinge": "squared_hinge",
    "CategoricalHinge": "categorical_hinge",
    "KLDivergence": "kl_divergence",
    "Poisson": "poisson",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "Mean": "mean",
    "Sum": "sum",
}


@pytest.mark.parametrize("cls_name", CLASS_NAMES)
def test_default_name_config_and_variables_match_keras(cls_name):
    k_metric, j_metric = getattr(keras.metrics, cls_name)(), getattr(jeras.metrics, cls_name)()
    # Class defaults are fixed strings (not uniquified), so repeated construction keeps them.
    assert j_metric.name == k_metric.name == DEFAULT_NAMES[cls_name]
    assert j_metric.get_config() == k_metric.get_config()
    assert [v.path for v in j_metric.variables] == [v.path for v in k_metric.variables]
    assert getattr(j_metric, "_direction", None) == getattr(k_metric, "_direction", None)
    assert j_metric.dtype == k_metric.dtype


NON_DEFAULT = [
    ("BinaryAccuracy", {"threshold": 0.7, "name": "ba"}),
    ("TopKCategoricalAccuracy", {"k": 2}),
    ("SparseTopKCategoricalAccuracy", {"k": 3, "from_sorted_ids": True}),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2, "axis": 0}),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 2, "axis": 0}),
    ("CosineSimilarity", {"axis": 0, "name": "cs"}),
]


@pytest.mark.parametrize("cls_name,kwargs", NON_DEFAULT, ids=[c[0] for c in NON_DEFAULT])
def test_non_default_config_matches_keras(cls_name, kwargs):
    k_cfg = getattr(keras.metrics, cls_name)(**kwargs).get_config()
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    assert j_metric.get_config() == k_cfg
    assert type(j_metric).from_config(j_metric.get_config()).get_config() == k_cfg


POSITIONAL = [
    ("MeanSquaredError", ("pos_mse",)),
    ("Accuracy", ("acc_pos", "float32")),
    ("BinaryAccuracy", ("ba", "float32", 0.3)),
    ("TopKCategoricalAccuracy", (2, "topk")),
    ("BinaryCrossentropy", ("bce_pos", None, True, 0.2)),
    ("CategoricalCrossentropy", ("cce_pos", None, True, 0.1, -1)),
    ("SparseCategoricalCrossentropy", ("scce_pos", None, True, 3)),
    ("CosineSimilarity", ("cos_pos", None, 0)),
    ("Mean", ("my_mean",)),
]


@pytest.mark.parametrize("cls_name,args", POSITIONAL, ids=[c[0] for c in POSITIONAL])
def test_positional_arguments_follow_keras_order(cls_name, args):
    k_metric = getattr(keras.metrics, cls_name)(*args)
    j_metric = getattr(jeras.metrics, cls_name)(*args)
    assert j_metric.name == k_metric.name
    assert j_metric.get_config() == k_metric.get_config()


def test_unknown_keyword_raises_like_keras():
    with pytest.raises(TypeError):
        keras.metrics.BinaryCrossentropy(axis=0)
    with pytest.raises(TypeError):
        jeras.metrics.BinaryCrossentropy(axis=0)


# Strings compile() accepts; jeras names the metric as written (the name compile() gives it).
LOOKUPS = {
    "mse": "MeanSquaredError",
    "MSE": "MeanSquaredError",
    "mae": "MeanAbsoluteError",
    "MAE": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError",
    "MAPE": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError",
    "MSLE": "MeanSquaredLogarithmicError",
    "bce": "BinaryCrossentropy",
    "BCE": "BinaryCrossentropy",
    "mean_squared_error": "MeanSquaredError",
    "root_mean_squared_error": "RootMeanSquaredError",
    "log_cosh_error": "LogCoshError",
    "LogCoshError": "LogCoshError",
    "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
    "sparse_categorical_accuracy": "SparseCategoricalAccuracy",
    "accuracy": "Accuracy",
    "CategoricalCrossentropy": "CategoricalCrossentropy",
    "kl_divergence": "KLDivergence",
    "Mean": "Mean",
    "sum": "Sum",
}


@pytest.mark.parametrize("identifier", sorted(LOOKUPS))
def test_get_string_gives_keras_class_named_as_written(identifier):
    k_metric = keras.metrics.get(identifier)
    j_metric = jeras.metrics.get(identifier)
    assert type(j_metric).__name__ == type(k_metric).__name__ == LOOKUPS[identifier]
    assert j_metric.name == identifier
    j_cfg = dict(j_metric.get_config(), name=None)
    assert j_cfg == dict(k_metric.get_config(), name=None)


def test_get_mse_is_mean_squared_error_named_mse():
    metric = jeras.metrics.get("mse")
    assert isinstance(metric, jeras.metrics.MeanSquaredError)
    assert metric.name == "mse"
    metric.update_state(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    assert_close(metric.result(), 2.5)


@pytest.mark.parametrize("identifier", ["nope", "mean_square_error", "acc", "crossentropy"])
def test_get_unknown_identifier_raises_value_error(identifier):
    with pytest.raises(ValueError):
        keras.metrics.get(identifier)
    with pytest.raises(ValueError, match=identifier):
        jeras.metrics.get(identifier)


def test_get_passes_objects_and_wraps_functions():
    metric = jeras.metrics.Mean()
    assert jeras.metrics.get(metric) is metric
    assert jeras.metrics.get(None) is None

    def my_fn(y_true, y_pred):
        return jeras.ops.abs(y_true - y_pred)

    wrapped = jeras.metrics.get(my_fn)
    assert isinstance(wrapped, jeras.metrics.MeanMetricWrapper) and wrapped.name == "my_fn"
    wrapped.update_state(np.array([[1.0, 3.0]]), np.array([[0.0, 0.0]]))
    assert_close(wrapped.result(), 2.0)


# -- the guide's custom metric pattern ------------------------------------------------------
class CountPositives(jeras.metrics.Metric):
    """Weighted count of predictions above 0.5 whose label is 1, and the fraction it makes."""

    def __init__(self, name="count_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_weight(name="tp", initializer="zeros")
        self.seen = self.add_weight(name="seen", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jeras.ops.cast(y_true, "bool")
        y_pred = jeras.ops.greater(y_pred, 0.5)
        values = jeras.ops.cast(jeras.ops.logical_and(y_true, y_pred), self.dtype)
        weights = jeras.ops.ones_like(values)
        if sample_weight is not None:
            sample_weight = jeras.ops.cast(sample_weight, self.dtype)
            values = jeras.ops.multiply(values, sample_weight)
            weights = jeras.ops.multiply(weights, sample_weight)
        self.true_positives.assign_add(jeras.ops.sum(values))
        self.seen.assign_add(jeras.ops.sum(weights))

    def result(self):
        return self.true_positives / self.seen


def test_custom_metric_subclass_matches_hand_count():
    metric = CountPositives()
    assert [v.path for v in metric.variables] == ["count_positives/tp", "count_positives/seen"]
    assert all(not v.trainable for v in metric.variables)
    y_true = np.array([1, 1, 0, 1, 0, 1], "float32")
    y_pred = np.array([0.9, 0.2, 0.8, 0.6, 0.1, 0.51], "float32")
    metric.update_state(y_true, y_pred)
    # True positives: indices 0, 3, 5 -> 3 of 6.
    assert_close(metric.true_positives.value, 3.0)
    assert_close(metric.result(), 3.0 / 6.0)
    weights = np.array([2.0, 1.0, 1.0, 0.0, 1.0, 0.5], "float32")
    metric.update_state(y_true, y_pred, sample_weight=weights)
    # Weighted true positives: 2 (idx 0) + 0 (idx 3) + 0.5 (idx 5); weight sum 5.5.
    assert_close(metric.true_positives.value, 3.0 + 2.5)
    assert_close(metric.result(), 5.5 / (6.0 + 5.5))
    metric.reset_state()
    assert_close(metric.true_positives.value, 0.0)
    assert_close(metric.seen.value, 0.0)
    metric.update_state(y_true[:2], y_pred[:2])
    assert_close(metric.result(), 0.5)
    assert metric.get_config() == {"name": "count_positives", "dtype": "float32"}


def test_custom_metric_runs_eagerly_in_fit():
    model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer="sgd", loss="binary_crossentropy", metrics=[CountPositives()], run_eagerly=True
    )
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    pred = np.asarray(model.predict(x, verbose=0))
    expected = np.sum((y[:, 0] == 1) & (pred[:, 0] > 0.5)) / 8.0
    assert_close(logs["count_positives"], expected)
