"""Every metric class is a real class with Keras 3's constructor and config, and states
explicitly whether fit() may pad its batches (`exact_under_padding`); the engine pads only when
every compiled metric states it. Oracle: real Keras 3 (JAX backend)."""

import inspect
import warnings

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jeras

B = 6
PAD = 3

# The classes the factories used to build: their config and serialized form must be Keras's.
LOSS_METRICS = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "LogCoshError",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "CosineSimilarity",
]
ALL = sorted(cls.__name__ for cls in jeras.metrics._CLASSES) + ["Metric", "MeanMetricWrapper"]


def _parameters(cls):
    return [
        (p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()
    ]


@pytest.mark.parametrize("name", ALL)
def test_signature_matches_keras(name):
    cls = getattr(jeras.metrics, name)
    params = _parameters(cls)
    # A real signature, not a factory's (*args, **kwargs).
    assert any(kind == inspect.Parameter.POSITIONAL_OR_KEYWORD for _, _, kind in params[1:])
    assert params == _parameters(getattr(keras.metrics, name))


@pytest.mark.parametrize("name", LOSS_METRICS)
def test_loss_metric_config_and_serialized_form_match_keras(name):
    j_metric, k_metric = getattr(jeras.metrics, name)(), getattr(keras.metrics, name)()
    assert list(j_metric.get_config().items()) == list(k_metric.get_config().items())
    assert getattr(jeras.metrics, name).__doc__ and "Args" in getattr(jeras.metrics, name).__doc__
    j_dict, k_dict = jeras.metrics.serialize(j_metric), keras.metrics.serialize(k_metric)
    assert j_dict == k_dict
    back = jeras.metrics.deserialize(j_dict)
    assert type(back) is type(j_metric) and back.get_config() == j_metric.get_config()
    assert keras.metrics.deserialize(j_dict).get_config() == k_metric.get_config()


@pytest.mark.parametrize(
    "name,args",
    [
        ("MeanSquaredError", ("m", "float32")),
        ("BinaryCrossentropy", ("b", "float32", True, 0.1)),
        ("CategoricalCrossentropy", ("c", "float32", True, 0.2, 0)),
        ("SparseCategoricalCrossentropy", ("s", "float32", True, 2, 0)),
        ("CosineSimilarity", ("cos", "float32", 0)),
    ],
)
def test_positional_arguments_give_keras_config(name, args):
    assert (
        getattr(jeras.metrics, name)(*args).get_config()
        == getattr(keras.metrics, name)(*args).get_config()
    )


def test_unknown_arguments_fail_like_keras():
    for lib in (keras, jeras):
        with pytest.raises(TypeError):
            lib.metrics.Hinge(axis=0)
        with pytest.raises(TypeError):
            lib.metrics.MeanSquaredError("m", "float32", "extra")


# -- exact under padding -----------------------------------------------------------------------
def _data(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "positive":
        return (
            rng.uniform(0.1, 2, (B, 3)).astype("float32"),
            rng.uniform(0.1, 2, (B, 3)).astype("float32"),
        )
    if kind == "regression":
        return (
            rng.normal(size=(B, 5)).astype("float32"),
            rng.normal(size=(B, 5)).astype("float32"),
        )
    if kind == "binary":
        return (
            rng.integers(0, 2, (B, 3)).astype("float32"),
            rng.uniform(0.05, 0.95, (B, 3)).astype("float32"),
        )
    if kind == "onehot":
        p = rng.uniform(0.05, 1.0, (B, 4)).astype("float32")
        return np.eye(4, dtype="float32")[rng.integers(0, 4, B)], p / p.sum(-1, keepdims=True)
    if kind == "sparse":
        p = rng.uniform(0.05, 1.0, (B, 4)).astype("float32")
        return rng.integers(0, 4, B), p / p.sum(-1, keepdims=True)
    if kind == "classes":
        return rng.integers(0, 3, (B, 1)), rng.integers(0, 3, (B, 1))
    if kind == "values":
        return None, rng.normal(size=(B, 2)).astype("float32")
    raise AssertionError(kind)


# (class name, constructor kwargs, data kind): every jeras metric class but PearsonCorrelation,
# each of which claims to be exact under padding.
EXACT = [
    ("Accuracy", {}, "classes"),
    ("BinaryAccuracy", {}, "binary"),
    ("CategoricalAccuracy", {}, "onehot"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("TopKCategoricalAccuracy", {"k": 2}, "onehot"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("BinaryCrossentropy", {}, "binary"),
    ("CategoricalCrossentropy", {}, "onehot"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("CategoricalHinge", {}, "onehot"),
    ("CosineSimilarity", {}, "regression"),
    ("Hinge", {}, "binary"),
    ("KLDivergence", {}, "onehot"),
    ("LogCoshError", {}, "regression"),
    ("MeanAbsoluteError", {}, "regression"),
    ("MeanAbsolutePercentageError", {}, "positive"),
    ("MeanSquaredError", {}, "regression"),
    ("MeanSquaredLogarithmicError", {}, "positive"),
    ("Poisson", {}, "positive"),
    ("RootMeanSquaredError", {}, "regression"),
    ("SquaredHinge", {}, "binary"),
    ("Mean", {}, "values"),
    ("Sum", {}, "values"),
    ("R2Score", {}, "regression"),
    ("AUC", {}, "binary"),
    ("AUC", {"multi_label": True, "curve": "PR"}, "binary"),
    ("FalseNegatives", {}, "binary"),
    ("FalsePositives", {}, "binary"),
    ("Precision", {}, "binary"),
    ("Recall", {"top_k": 2}, "binary"),
    ("PrecisionAtRecall", {"recall": 0.5}, "binary"),
    ("RecallAtPrecision", {"precision": 0.5}, "binary"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}, "binary"),
    ("TrueNegatives", {}, "binary"),
    ("TruePositives", {}, "binary"),
    ("ConcordanceCorrelation", {}, "regression"),
    ("F1Score", {"average": "macro"}, "onehot"),
    ("FBetaScore", {"beta": 2.0, "average": "weighted", "threshold": 0.3}, "onehot"),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "classes"),
    ("BinaryIoU", {}, "binary"),
    ("MeanIoU", {"num_classes": 3}, "classes"),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [1, 3]}, "onehot"),
    ("OneHotMeanIoU", {"num_classes": 4}, "onehot"),
]


def test_every_metric_class_is_checked():
    assert {name for name, _, _ in EXACT} | {"PearsonCorrelation"} == {
        cls.__name__ for cls in jeras.metrics._CLASSES
    }


def _padded(array, how):
    """`array` with PAD rows appended: zeros (a generator's short batch is filled with zeros)
    or copies of row 0 (an in-memory dataset gathers sample 0 for padding)."""
    array = np.asarray(array)
    rows = np.zeros_like(array[:PAD]) if how == "zeros" else np.repeat(array[:1], PAD, axis=0)
    return np.concatenate([array, rows])


def _update(metric, y_true, y_pred, sample_weight=None):
    if y_true is None:  # Mean and Sum take the values themselves
        metric.update_state(y_pred, sample_weight=sample_weight)
    else:
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)


@pytest.mark.parametrize("how", ["zeros", "copies"])
@pytest.mark.parametrize(
    "name,kwargs,kind", EXACT, ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k, _ in EXACT]
)
def test_metric_is_exact_under_padding(name, kwargs, kind, how):
    """As fit() feeds it with exact padding: a full batch with weights of ones, then a short
    batch padded with rows of weight 0. Keras sees the real rows, unweighted."""
    j_metric = getattr(jeras.metrics, name)(**kwargs)
    assert j_metric.exact_under_padding is True
    k_metric = getattr(keras.metrics, name)(**kwargs)
    first, second = _data(kind, 1), _data(kind, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # integer IoU warns about float weights
        _update(k_metric, *first)
        _update(k_metric, *second)
        _update(j_metric, *first, sample_weight=np.ones(B, "float32"))
        y_true, y_pred = second
        # The labels are padded as the data is; the predictions are the model's outputs on the
        # padded inputs, valid predictions whatever those are (copies of row 0 here).
        y_true = None if y_true is None else _padded(y_true, how)
        _update(
            j_metric,
            y_true,
            _padded(y_pred, "copies"),
            sample_weight=np.asarray([1.0] * B + [0.0] * PAD, "float32"),
        )
    np.testing.assert_allclose(
        np.asarray(j_metric.result()), np.asarray(k_metric.result()), rtol=1e-5, atol=1e-5
    )


def test_metrics_that_count_padding_rows_do_not_claim_exactness():
    # Adjusted R2 counts every entry it is given, whatever its weight.
    r2 = jeras.metrics.R2Score(num_regressors=2)
    assert not r2.exact_under_padding
    y_true, y_pred = _data("regression", 3)
    weights = np.asarray([1.0] * B + [0.0] * PAD, "float32")
    r2.update_state(_padded(y_true, "copies"), _padded(y_pred, "copies"), sample_weight=weights)
    k_r2 = keras.metrics.R2Score(num_regressors=2)
    k_r2.update_state(y_true, y_pred)
    assert not np.allclose(np.asarray(r2.result()), np.asarray(k_r2.result()), atol=1e-4)
    # With `ignore_class`, weights of ones differ from no weights in Keras (ignored entries
    # leave the count only when weighted), so padding (which weights every batch) is not exact.
    scce = jeras.metrics.SparseCategoricalCrossentropy(ignore_class=1)
    assert not scce.exact_under_padding
    y_true, y_pred = _data("sparse", 4)
    y_true[:2] = 1
    scce.update_state(y_true, y_pred, sample_weight=np.ones(B, "float32"))
    k_scce = keras.metrics.SparseCategoricalCrossentropy(ignore_class=1)
    k_scce.update_state(y_true, y_pred)
    assert not np.allclose(np.asarray(scce.result()), np.asarray(k_scce.result()), atol=1e-4)


def test_pearson_correlation_does_not_claim_exactness():
    # A constant row (a generator's padding row of zeros) gives r = NaN, and NaN * 0 is NaN.
    metric = jeras.metrics.PearsonCorrelation()
    assert not metric.exact_under_padding
    assert not jeras.metrics.MeanMetricWrapper(
        jeras.metrics.pearson_correlation, name="r"
    ).exact_under_padding
    y_true, y_pred = _data("regression", 5)
    metric.update_state(
        _padded(y_true, "zeros"),
        _padded(y_pred, "copies"),
        sample_weight=np.asarray([1.0] * B + [0.0] * PAD, "float32"),
    )
    assert np.isnan(np.asarray(metric.result()))


def test_wrapped_function_is_exact_only_for_jeras_functions():
    # Named: the automatic "mean_metric_wrapper" name counts instances, which other tests read.
    def wrapper(fn):
        return jeras.metrics.MeanMetricWrapper(fn, name="wrapped")

    assert wrapper(jeras.metrics.binary_accuracy).exact_under_padding
    assert wrapper(jeras.losses.mean_squared_error).exact_under_padding
    assert not wrapper(lambda t, p: jnp.mean(jnp.abs(t - p))).exact_under_padding


def test_capability_is_stated_per_class_not_inherited():
    assert jeras.metrics.Metric.exact_under_padding is False

    class UserMean(jeras.metrics.Mean):
        def update_state(self, values, sample_weight=None):
            super().update_state(values)  # drops the weights

    class UserWrapper(jeras.metrics.MeanMetricWrapper):
        pass

    class Declared(jeras.metrics.Mean):
        exact_under_padding = True

    assert not UserMean().exact_under_padding
    assert not UserWrapper(jeras.metrics.accuracy, name="user").exact_under_padding
    assert Declared().exact_under_padding
    # The capability is what the class says, wherever it is defined.
    Declared.__module__ = "elsewhere"
    UserMean.__module__ = "jeras.metrics.reduction_metrics"
    assert Declared().exact_under_padding and not UserMean().exact_under_padding


# -- the engine reads the capability -----------------------------------------------------------
N, BATCH = 10, 4  # batches of 4, 4 and 2: the last is short


def _batch_max_metric(lib):
    """A user metric that ignores sample_weight: the largest |y_pred| over the batches seen.
    Padding rows (copies of sample 0, or zeros) would not change a max, so it also tracks the
    number of rows seen, which padding would change."""

    class RowsAndMax(lib.metrics.Metric):
        def __init__(self, name="rows_and_max", **kwargs):
            super().__init__(name=name, **kwargs)
            self.rows = self.add_variable(shape=(), initializer="zeros", name="rows")
            self.peak = self.add_variable(shape=(), initializer="zeros", name="peak")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.rows.assign(self.rows + lib.ops.cast(lib.ops.shape(y_pred)[0], "float32"))
            self.peak.assign(lib.ops.maximum(self.peak, lib.ops.max(lib.ops.abs(y_pred))))

        def result(self):
            return self.rows * 1000.0 + self.peak

    return RowsAndMax


def _fit(lib, metric_cls, x, y, weights):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
    model.set_weights(weights)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=[metric_cls(), "mae"])
    history = model.fit(x, y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    evaluated = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    return model, history.history, evaluated


def test_user_metric_without_the_capability_is_fed_unpadded_batches():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 3)).astype("float32")
    y = rng.normal(size=(N, 2)).astype("float32")
    weights = [rng.normal(size=(3, 2)).astype("float32"), np.zeros(2, "float32")]
    j_model, j_history, j_eval = _fit(jeras, _batch_max_metric(jeras), x, y, weights)
    assert not j_model._engine.spec.exact_padding
    _, k_history, k_eval = _fit(keras, _batch_max_metric(keras), x, y, weights)
    for key in ("loss", "mae", "rows_and_max"):
        np.testing.assert_allclose(
            j_history[key], k_history[key], rtol=1e-5, atol=1e-5, err_msg=key
        )
        np.testing.assert_allclose(j_eval[key], k_eval[key], rtol=1e-5, atol=1e-5, err_msg=key)


def test_engine_pads_only_when_every_metric_and_loss_states_exactness():
    def engine_for(metrics, loss="mse"):
        model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(2)])
        model.compile(optimizer="sgd", loss=loss, metrics=metrics)
        model.evaluate(np.zeros((4, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
        return model._engine.spec

    assert engine_for(["mae", jeras.metrics.R2Score()]).exact_padding
    assert not engine_for([_batch_max_metric(jeras)()]).exact_padding
    assert not engine_for([jeras.metrics.R2Score(num_regressors=1)]).exact_padding
    assert not engine_for(["mae"], loss=lambda t, p: jnp.mean(jnp.square(t - p))).exact_padding
