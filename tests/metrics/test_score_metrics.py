"""Differential tests of F1Score / FBetaScore, the IoU family, R2Score and the correlation
metrics against real Keras 3, plus NumPy formulas."""

import warnings

import jax
import keras
import numpy as np
import pytest
from oracle import assert_close, assert_metric_sequence_matches, sample_weights

import jeras
from jeras.backend.state_scope import StateScope

B = 6


def _data(kind, rng, shape):
    if kind == "onehot_probs":
        return (
            np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[0])],
            rng.uniform(0, 1, size=shape).astype("float32"),
        )
    if kind == "multihot_zero_rows":
        # Multi-hot labels; some prediction rows all zero (they predict nothing) and ties.
        y_pred = rng.choice([0.0, 0.2, 0.6, 0.6, 0.9], size=shape).astype("float32")
        y_pred[::3] = 0.0
        return rng.integers(0, 2, size=shape).astype("float32"), y_pred
    if kind == "regression":
        return (rng.normal(size=shape).astype("float32"), rng.normal(size=shape).astype("float32"))
    if kind == "correlated":
        y_true = rng.normal(size=shape).astype("float32")
        return y_true, (0.7 * y_true + 0.5 * rng.normal(size=shape)).astype("float32")
    if kind == "sparse":
        # Class ids with out-of-range values on both sides (-1 and 3 for 3 classes).
        return rng.integers(-1, 4, size=shape), rng.integers(-1, 4, size=shape)
    if kind == "sparse_float_pred":
        # Float class ids truncate toward zero (2.7 -> 2, -0.5 -> 0).
        return rng.integers(0, 3, size=shape), rng.choice([0.0, -0.5, 1.2, 2.7], size=shape)
    if kind == "binary_probs":
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            rng.choice([0.1, 0.3, 0.5, 0.8], size=shape).astype("float32"),
        )
    if kind == "onehot_both":
        return (
            np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[:-1])],
            rng.uniform(0, 1, size=shape).astype("float32"),
        )
    if kind == "onehot_sparse_pred":
        return (
            np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[:-1])],
            rng.integers(0, shape[-1], size=shape[:-1]),
        )
    raise AssertionError(kind)


def _run_sequence(k_metric, j_metric, kind, shape, weight_kinds, seed=0):
    assert_metric_sequence_matches(
        k_metric,
        j_metric,
        lambda rng: _data(kind, rng, shape),
        weight_kinds,
        lambda wkind, rng: sample_weights(wkind, rng, shape),
        seed=seed,
    )


VEC_W = [None, "b"]

# (class name, kwargs, data kind, shape, weight kinds)
CASES = [
    ("F1Score", {}, "onehot_probs", (B, 3), VEC_W),
    ("F1Score", {"average": "micro"}, "multihot_zero_rows", (B, 3), VEC_W),
    ("F1Score", {"average": "macro", "threshold": 0.5}, "multihot_zero_rows", (B, 3), VEC_W),
    ("F1Score", {"average": "weighted"}, "onehot_probs", (B, 3), VEC_W),
    ("FBetaScore", {"beta": 2.0, "threshold": 0.3}, "onehot_probs", (B, 3), VEC_W),
    ("FBetaScore", {"beta": 0.5, "average": "weighted"}, "multihot_zero_rows", (B, 3), VEC_W),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 2]}, "sparse", (B, 3), [None, "int"]),
    (
        "IoU",
        {"num_classes": 3, "target_class_ids": [1], "dtype": "float32"},
        "sparse",
        (B, 3),
        [None, "full"],
    ),
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 1, 2]}, "sparse_float_pred", (B, 3), [None]),
    ("MeanIoU", {"num_classes": 3}, "sparse", (B, 3), [None, "int", "full"]),
    ("MeanIoU", {"num_classes": 3, "ignore_class": 1}, "sparse", (B, 3), [None, "int"]),
    ("BinaryIoU", {}, "binary_probs", (B, 3), [None, "int"]),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary_probs", (B, 3), [None]),
    (
        "OneHotIoU",
        {"num_classes": 3, "target_class_ids": [0, 2]},
        "onehot_both",
        (B, 3),
        [None, "int_rows"],
    ),
    (
        "OneHotIoU",
        {"num_classes": 3, "target_class_ids": [1], "sparse_y_pred": True},
        "onehot_sparse_pred",
        (B, 3),
        [None],
    ),
    ("OneHotMeanIoU", {"num_classes": 3, "ignore_class": 0}, "onehot_both", (B, 2, 3), [None]),
    ("R2Score", {}, "regression", (B, 3), [None, "b", "b1", "full"]),
    ("R2Score", {"class_aggregation": None}, "correlated", (B, 3), VEC_W),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "correlated", (B, 3), VEC_W),
    # n counts entries (18 per update): adjusted at once with p = 5; with p = 17 the first
    # update falls back (n - 1 == p) and the second adjusts; with p = 40, two fall back.
    ("R2Score", {"num_regressors": 5}, "correlated", (B, 3), VEC_W),
    ("R2Score", {"num_regressors": 17, "class_aggregation": None}, "correlated", (B, 3), VEC_W),
    ("R2Score", {"num_regressors": 40}, "correlated", (B, 3), [None, "b", None]),
    ("R2Score", {}, "regression", (B, 1), VEC_W),
    ("PearsonCorrelation", {}, "correlated", (B, 3), [None, "b", "b1"]),
    ("PearsonCorrelation", {"axis": 1}, "correlated", (B, 3, 2), [None]),
    ("ConcordanceCorrelation", {}, "correlated", (B, 3), [None, "b", "b1"]),
    ("ConcordanceCorrelation", {"axis": 1}, "regression", (B, 3, 2), [None]),
]
CASE_IDS = [
    f"{c[0]}-{'_'.join(f'{k}={v}' for k, v in c[1].items()) or 'default'}-{c[2]}-"
    f"{'x'.join(map(str, c[3]))}"
    for c in CASES
]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_score_metric_matches_keras(case):
    cls_name, kwargs, kind, shape, weight_kinds = case
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    _run_sequence(k_metric, j_metric, kind, shape, weight_kinds)


# -- NumPy formulas --------------------------------------------------------------------------
def test_f1_score_numpy_formula():
    rng = np.random.default_rng(1)
    y_true, y_pred = _data("multihot_zero_rows", rng, (B, 3))
    sw = rng.uniform(0.5, 2, size=B).astype("float32")
    predicted = (y_pred >= y_pred.max(-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
    w = sw[:, None]
    tp = (w * (predicted & (y_true == 1))).sum(0)
    fp = (w * (predicted & (y_true == 0))).sum(0)
    fn = (w * (~predicted & (y_true == 1))).sum(0)
    precision, recall = tp / (tp + fp + 1e-7), tp / (tp + fn + 1e-7)
    per_class = 5 * precision * recall / (4 * precision + recall + 1e-7)
    metric = jeras.metrics.FBetaScore(beta=2.0)
    metric.update_state(y_true, y_pred, sample_weight=sw)
    assert_close(metric.result(), per_class)
    weighted = jeras.metrics.FBetaScore(beta=2.0, average="weighted")
    weighted.update_state(y_true, y_pred, sample_weight=sw)
    support = (w * y_true).sum(0)
    assert_close(weighted.result(), np.sum(per_class * support / (support.sum() + 1e-7)))


def test_iou_drops_out_of_range_labels_and_predictions():
    """As Keras: a pair whose label or prediction is outside [0, num_classes) is silently left
    out of the confusion matrix (no error, no clipping into a valid class)."""
    y_true = np.array([0, 1, 2, -1, 5, 1, 2, 0])
    y_pred = np.array([0, 2, 2, 0, 1, 9, -3, 1])
    k_metric = keras.metrics.IoU(num_classes=3, target_class_ids=[0, 1, 2])
    j_metric = jeras.metrics.IoU(num_classes=3, target_class_ids=[0, 1, 2])
    k_metric.update_state(y_true, y_pred)
    j_metric.update_state(y_true, y_pred)
    cm = np.zeros((3, 3), "int64")
    for t, p in zip(y_true, y_pred):
        if 0 <= t < 3 and 0 <= p < 3:
            cm[t, p] += 1
    np.testing.assert_array_equal(np.asarray(j_metric.total_cm.value), cm)
    np.testing.assert_array_equal(np.asarray(k_metric.total_cm.value), cm)
    tp = np.diag(cm)
    union = cm.sum(0) + cm.sum(1) - tp
    assert_close(j_metric.result(), np.mean(tp / union))
    assert_close(j_metric.result(), k_metric.result())


def test_iou_integer_weights_truncate_float_weights_like_keras():
    # With the default int dtype a weight of 1.9 counts as 1 (Keras warns about it).
    y = np.array([0, 1, 1, 2])
    weights = np.array([1.9, 0.5, 2.2, 1.0], "float32")
    for module in (keras, jeras):
        metric = module.metrics.MeanIoU(num_classes=3)
        with pytest.warns(UserWarning, match="weight as `float`"):
            metric.update_state(y, y, sample_weight=weights)
        np.testing.assert_array_equal(np.asarray(metric.total_cm.value), np.diag([1, 2, 1]))


def test_r2_score_numpy_formula_and_constant_column():
    rng = np.random.default_rng(2)
    y_true, y_pred = _data("correlated", rng, (B, 3))
    y_true[:, 2] = 1.5  # SS_tot = 0 for this column: its score is reported as 0
    metric = jeras.metrics.R2Score(class_aggregation=None)
    metric.update_state(y_true, y_pred)
    ss_res = ((y_true - y_pred) ** 2).sum(0)
    ss_tot = ((y_true - y_true.mean(0)) ** 2).sum(0)
    expected = 1 - ss_res[:2] / ss_tot[:2]
    assert_close(metric.result(), [expected[0], expected[1], 0.0], atol=1e-4)
    adjusted = jeras.metrics.R2Score(num_regressors=2)
    adjusted.update_state(y_true[:, :2], y_pred[:, :2])
    n = 2 * B
    assert_close(adjusted.result(), 1 - (1 - expected.mean()) * (n - 1) / (n - 2 - 1), atol=1e-4)


def test_r2_score_fallback_warns_like_keras():
    y = np.random.default_rng(3).normal(size=(2, 2)).astype("float32")
    for module in (keras, jeras):
        metric = module.metrics.R2Score(num_regressors=3)
        metric.update_state(y, y * 0.5)
        with pytest.warns(UserWarning, match="Division by zero"):
            metric.result()
        metric = module.metrics.R2Score(num_regressors=9)
        metric.update_state(y, y * 0.5)
        with pytest.warns(UserWarning, match="More independent predictors"):
            metric.result()


def test_correlations_numpy_formula():
    rng = np.random.default_rng(4)
    y_true, y_pred = _data("correlated", rng, (B, 4))
    pearson = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true, y_pred)]
    assert_close(jeras.metrics.PearsonCorrelation()(y_true, y_pred), np.mean(pearson), atol=1e-5)
    assert_close(jeras.metrics.pearson_correlation(y_true, y_pred), pearson, atol=1e-5)
    # Lin's concordance with the textbook covariance.
    mt, mp = y_true.mean(-1, keepdims=True), y_pred.mean(-1, keepdims=True)
    norm = y_true.var(-1, keepdims=True) + y_pred.var(-1, keepdims=True) + (mt - mp) ** 2
    concordance = np.mean(2 * (y_true - mt) * (y_pred - mp) / (norm + 1e-7), axis=-1)
    assert_close(jeras.metrics.concordance_correlation(y_true, y_pred), concordance)


# -- compiled use ----------------------------------------------------------------------------
JIT_CASES = [
    ("F1Score", {"average": "macro"}, "onehot_probs"),
    ("R2Score", {"num_regressors": 17}, "correlated"),
    ("MeanIoU", {"num_classes": 3}, "sparse"),
    ("PearsonCorrelation", {}, "correlated"),
]


@pytest.mark.parametrize("cls_name,kwargs,kind", JIT_CASES, ids=[c[0] for c in JIT_CASES])
def test_symbolic_build_then_jit_matches_keras(cls_name, kwargs, kind):
    """Metrics whose state depends on the data's shape are built by a symbolic update (what a
    trainer runs first, as Keras does); the jitted stateless forms then match Keras."""
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    rng = np.random.default_rng(5)
    y_true, y_pred = _data(kind, rng, (B, 3))

    def build(a, b):
        with StateScope():
            j_metric.update_state(a, b)
        return 0

    jax.eval_shape(build, y_true, y_pred)
    update = jax.jit(j_metric.stateless_update_state)
    result = jax.jit(j_metric.stateless_result)
    values = [v.value for v in j_metric.variables]
    for wkind in [None, None]:
        sw = sample_weights(wkind, rng, (B, 3))
        k_metric.update_state(y_true, y_pred, sample_weight=sw)
        values = update(values, y_true, y_pred, sample_weight=sw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_close(result(values), k_metric.result())
        y_true, y_pred = _data(kind, rng, (B, 3))
    assert [v.path for v in j_metric.variables] == [
        f"{j_metric.name}/{v.name}" for v in k_metric.variables
    ]


# -- names, configs, lookups -----------------------------------------------------------------
def _base(name):
    head, _, tail = name.rpartition("_")
    return head if tail.isdigit() else name


BUILD_DATA = {"F1Score": "onehot_probs", "FBetaScore": "onehot_probs", "R2Score": "regression"}
DEFAULTS = [
    ("F1Score", {}, "f1_score"),
    ("FBetaScore", {}, "fbeta_score"),
    ("IoU", {"num_classes": 3, "target_class_ids": [1]}, "io_u"),
    ("MeanIoU", {"num_classes": 4}, "mean_io_u"),
    ("BinaryIoU", {}, "binary_io_u"),
    ("OneHotIoU", {"num_classes": 3, "target_class_ids": [0]}, "one_hot_io_u"),
    ("OneHotMeanIoU", {"num_classes": 2}, "one_hot_mean_io_u"),
    ("R2Score", {}, "r2_score"),
    ("PearsonCorrelation", {}, "pearson_correlation"),
    ("ConcordanceCorrelation", {}, "concordance_correlation"),
]


@pytest.mark.parametrize("cls_name,kwargs,default", DEFAULTS, ids=[c[0] for c in DEFAULTS])
def test_default_name_config_and_variables_match_keras(cls_name, kwargs, default):
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    assert _base(j_metric.name) == _base(k_metric.name) == default
    j_cfg, k_cfg = j_metric.get_config(), k_metric.get_config()
    assert _base(j_cfg.pop("name")) == _base(k_cfg.pop("name"))
    assert j_cfg == k_cfg
    assert getattr(j_metric, "_direction", None) == getattr(k_metric, "_direction", None)
    assert j_metric.dtype == k_metric.dtype
    if cls_name in BUILD_DATA:
        # Their state is created by the first update, from the data's shape.
        assert len(j_metric.variables) == len(k_metric.variables)
        y_true, y_pred = _data(BUILD_DATA[cls_name], np.random.default_rng(0), (B, 3))
        k_metric.update_state(y_true, y_pred)
        j_metric.update_state(y_true, y_pred)
    assert [(v.name, v.shape, v.dtype) for v in j_metric.variables] == [
        (v.name, tuple(v.shape), v.dtype) for v in k_metric.variables
    ]
    assert [v.path for v in j_metric.variables] == [
        f"{j_metric.name}/{v.name}" for v in k_metric.variables
    ]


NON_DEFAULT = [
    ("F1Score", {"average": "micro", "threshold": 0.4, "name": "f1", "dtype": "float32"}),
    ("FBetaScore", {"average": "weighted", "beta": 0.5, "threshold": 1.0, "name": "fb"}),
    (
        "IoU",
        {
            "num_classes": 4,
            "target_class_ids": (3, 1),
            "ignore_class": 0,
            "sparse_y_true": False,
            "sparse_y_pred": False,
            "axis": 1,
            "name": "iou",
        },
    ),
    ("IoU", {"num_classes": 2, "target_class_ids": [0], "dtype": "float32", "name": "iou"}),
    ("MeanIoU", {"num_classes": 5, "ignore_class": -1, "sparse_y_pred": False, "name": "m"}),
    ("BinaryIoU", {"target_class_ids": [0], "threshold": 0.2, "name": "b"}),
    (
        "OneHotIoU",
        {
            "num_classes": 3,
            "target_class_ids": [2],
            "sparse_y_pred": True,
            "ignore_class": 1,
            "name": "o",
        },
    ),
    ("OneHotMeanIoU", {"num_classes": 3, "axis": 0, "name": "o"}),
    ("R2Score", {"class_aggregation": None, "num_regressors": 3, "name": "r2"}),
    ("PearsonCorrelation", {"axis": 0, "name": "pc"}),
    ("ConcordanceCorrelation", {"axis": 1, "name": "cc"}),
]


@pytest.mark.parametrize("cls_name,kwargs", NON_DEFAULT, ids=[c[0] for c in NON_DEFAULT])
def test_non_default_config_matches_keras(cls_name, kwargs):
    k_cfg = getattr(keras.metrics, cls_name)(**kwargs).get_config()
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    assert j_metric.get_config() == k_cfg
    assert type(j_metric).from_config(j_metric.get_config()).get_config() == k_cfg


POSITIONAL = [
    ("F1Score", ("macro", 0.5, "f1_pos", "float32")),
    ("FBetaScore", ("micro", 2.0, None, "fb_pos")),
    ("IoU", (3, [0, 2], "iou_pos", None, 1, False, True, -1)),
    ("MeanIoU", (3, "miou_pos", None, 2, True, False, 1)),
    ("BinaryIoU", ([1], 0.7, "biou_pos")),
    ("OneHotIoU", (3, [1], "ohiou_pos", None, 0, True, -1)),
    ("OneHotMeanIoU", (4, "ohmiou_pos", "float32", None, True)),
    ("R2Score", ("variance_weighted_average", 2, "r2_pos")),
    ("PearsonCorrelation", ("pc_pos", None, 0)),
    ("ConcordanceCorrelation", ("cc_pos", "float32", 1)),
]


@pytest.mark.parametrize("cls_name,args", POSITIONAL, ids=[c[0] for c in POSITIONAL])
def test_positional_arguments_follow_keras_order(cls_name, args):
    k_metric = getattr(keras.metrics, cls_name)(*args)
    j_metric = getattr(jeras.metrics, cls_name)(*args)
    assert j_metric.name == k_metric.name
    assert j_metric.get_config() == k_metric.get_config()


SERIALIZED = [
    jeras.metrics.F1Score(average="macro", threshold=0.3, name="f1"),
    jeras.metrics.FBetaScore(beta=3.0, name="fb"),
    jeras.metrics.IoU(4, [1, 3], ignore_class=0, name="iou"),
    jeras.metrics.MeanIoU(3, sparse_y_pred=False, name="miou"),
    jeras.metrics.BinaryIoU([1], 0.6, name="biou"),
    jeras.metrics.OneHotIoU(3, [0], name="ohiou"),
    jeras.metrics.OneHotMeanIoU(5, name="ohmiou"),
    jeras.metrics.R2Score(None, 2, name="r2"),
    jeras.metrics.PearsonCorrelation(axis=0, name="pc"),
    jeras.metrics.ConcordanceCorrelation(name="cc"),
]


@pytest.mark.parametrize("metric", SERIALIZED, ids=lambda m: m.name)
def test_serialize_deserialize_round_trip(metric):
    config = jeras.metrics.serialize(metric)
    k_metric = keras.metrics.deserialize(config)
    # Keras reads what jeras writes, and writes the same thing back.
    assert type(k_metric).__name__ == type(metric).__name__
    assert config == keras.metrics.serialize(k_metric)
    restored = jeras.metrics.deserialize(config)
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()


LOOKUPS = {
    "f1_score": "F1Score",
    "F1Score": "F1Score",
    "f_beta_score": "FBetaScore",
    "r2_score": "R2Score",
    "binary_io_u": "BinaryIoU",
    "BinaryIoU": "BinaryIoU",
    "pearson_correlation": "PearsonCorrelation",
    "concordance_correlation": "ConcordanceCorrelation",
}


@pytest.mark.parametrize("identifier", sorted(LOOKUPS))
def test_get_string_gives_keras_class(identifier):
    k_metric = keras.metrics.get(identifier)
    j_metric = jeras.metrics.get(identifier)
    assert type(j_metric).__name__ == type(k_metric).__name__ == LOOKUPS[identifier]
    assert j_metric.name == identifier
    assert dict(j_metric.get_config(), name=None) == dict(k_metric.get_config(), name=None)


@pytest.mark.parametrize(
    "identifier,error",
    [
        ("io_u", TypeError),
        ("mean_io_u", TypeError),
        ("one_hot_io_u", TypeError),
        ("one_hot_mean_io_u", TypeError),
        ("fbeta_score", ValueError),
    ],
)
def test_get_unusable_strings_raise_like_keras(identifier, error):
    # The IoU classes need num_classes; "fbeta_score" (the default name) is not a key.
    with pytest.raises(error):
        keras.metrics.get(identifier)
    with pytest.raises(error):
        jeras.metrics.get(identifier)


BAD = [
    ("F1Score", {"average": "mean"}),
    ("FBetaScore", {"beta": 2}),
    ("FBetaScore", {"beta": -1.0}),
    ("F1Score", {"threshold": 1}),
    ("F1Score", {"threshold": 1.5}),
    ("IoU", {"num_classes": 3, "target_class_ids": [3]}),
    ("R2Score", {"class_aggregation": "mean"}),
    ("R2Score", {"num_regressors": -1}),
]


@pytest.mark.parametrize("cls_name,kwargs", BAD, ids=[f"{c[0]}-{c[1]}" for c in BAD])
def test_invalid_arguments_raise_value_error_like_keras(cls_name, kwargs):
    with pytest.raises(ValueError):
        getattr(keras.metrics, cls_name)(**kwargs)
    with pytest.raises(ValueError):
        getattr(jeras.metrics, cls_name)(**kwargs)


def test_non_2d_inputs_raise_like_keras():
    for module in (keras, jeras):
        with pytest.raises(ValueError, match="2D inputs"):
            module.metrics.F1Score().update_state(np.ones((2, 2, 2)), np.ones((2, 2, 2)))
        with pytest.raises(ValueError, match="2D inputs"):
            module.metrics.R2Score().update_state(np.ones(4), np.ones(4))


def test_one_hot_iou_class_axis_other_than_last():
    """Keras argmaxes along `axis` but then also sums the per-class IoU vector along `axis`,
    so any axis but -1/0 raises in Keras's result(); jeras averages the vector, giving the
    value Keras gives for the same data laid out with classes last."""
    rng = np.random.default_rng(9)
    y_true, y_pred = _data("onehot_both", rng, (B, 3))
    k_metric = keras.metrics.OneHotMeanIoU(num_classes=3, axis=1)
    k_metric.update_state(y_true[:, None, :].swapaxes(1, 2), y_pred[:, None, :].swapaxes(1, 2))
    with pytest.raises(ValueError):
        k_metric.result()
    j_metric = jeras.metrics.OneHotMeanIoU(num_classes=3, axis=1)
    j_metric.update_state(y_true[:, None, :].swapaxes(1, 2), y_pred[:, None, :].swapaxes(1, 2))
    k_last = keras.metrics.OneHotMeanIoU(num_classes=3)
    k_last.update_state(y_true, y_pred)
    assert_close(j_metric.result(), k_last.result())
