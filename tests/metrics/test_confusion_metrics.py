"""Differential tests of the confusion-matrix metrics (TP/FP/TN/FN, Precision, Recall, the
sensitivity/specificity family, AUC) against real Keras 3, plus NumPy formulas."""

import jax
import keras
import numpy as np
import pytest
from oracle import assert_close, assert_metric_sequence_matches, sample_weights

import jeras
from jeras.backend.state_scope import StateScope

B = 6


# Prediction values that sit exactly on thresholds of the default grids (0, 0.25, 0.5, 0.75,
# 1) as well as between them, so that the strict ">" and the bucketing are exercised.
_ON_GRID = np.array([0.0, 0.1, 0.25, 0.33, 0.5, 0.62, 0.75, 0.9, 1.0], "float32")


def _data(kind, rng, shape):
    if kind == "binary":
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            rng.choice(_ON_GRID, size=shape).astype("float32"),
        )
    if kind == "wild":
        # Non-binary labels (any non-zero label is positive) and predictions outside [0, 1]
        # (the bucketed path clips them, the direct comparison does not).
        return (
            rng.choice([0.0, 0.3, 1.0, 2.0], size=shape).astype("float32"),
            rng.choice([-0.5, 0.0, 0.4, 0.5, 1.0, 1.5], size=shape).astype("float32"),
        )
    if kind == "uniform":
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            rng.uniform(0, 1, size=shape).astype("float32"),
        )
    if kind == "logits":
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            (3 * rng.normal(size=shape)).astype("float32"),
        )
    if kind == "int_labels":
        return rng.integers(0, 2, size=shape), rng.choice(_ON_GRID, size=shape)
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


ALL_W = [None, "b", "b1", "full"]
VEC_W = [None, "b"]
EVEN5 = [0.0, 0.25, 0.5, 0.75, 1.0]

# (class name, kwargs, data kind, shape, weight kinds)
CASES = [
    ("TruePositives", {}, "binary", (B,), VEC_W),
    ("TruePositives", {"thresholds": [0.15, 0.5, 0.8]}, "binary", (B, 3), ALL_W),
    ("TruePositives", {"thresholds": EVEN5}, "binary", (B, 3), ALL_W),
    ("FalsePositives", {}, "binary", (B, 3), VEC_W),
    ("TrueNegatives", {"thresholds": 0.25}, "binary", (B, 1), [None, "b", "b1"]),
    ("FalseNegatives", {}, "wild", (B, 3), VEC_W),
    ("FalseNegatives", {"thresholds": EVEN5}, "int_labels", (B,), VEC_W),
    ("Precision", {}, "binary", (B, 3), ALL_W),
    ("Precision", {}, "wild", (B,), VEC_W),
    ("Precision", {"thresholds": EVEN5}, "binary", (B, 3), VEC_W),
    ("Precision", {"top_k": 2}, "uniform", (B, 3), [None, "b", "b1"]),
    ("Precision", {"class_id": 2}, "binary", (B, 3), [None, "b", "b1"]),
    ("Precision", {"top_k": 2, "class_id": 1}, "uniform", (B, 3), VEC_W),
    ("Recall", {"thresholds": [0.25, 0.7]}, "wild", (B, 3), VEC_W),
    ("Recall", {"top_k": 2}, "uniform", (B, 3), VEC_W),
    ("Recall", {"thresholds": 0.3, "top_k": 1}, "uniform", (B, 3), VEC_W),
    ("Recall", {"class_id": 0, "thresholds": EVEN5}, "binary", (B, 3), VEC_W),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary", (B, 3), ALL_W),
    (
        "SensitivityAtSpecificity",
        {"specificity": 0.8, "num_thresholds": 1},
        "uniform",
        (B, 3),
        VEC_W,
    ),
    (
        "SpecificityAtSensitivity",
        {"sensitivity": 0.6, "num_thresholds": 5},
        "binary",
        (B, 3),
        VEC_W,
    ),
    ("PrecisionAtRecall", {"recall": 0.7}, "wild", (B, 3), VEC_W),
    ("PrecisionAtRecall", {"recall": 0.3, "num_thresholds": 2}, "binary", (B, 3), VEC_W),
    ("RecallAtPrecision", {"precision": 0.6}, "binary", (B, 3), VEC_W),
    (
        "RecallAtPrecision",
        {"precision": 0.9, "class_id": 2, "num_thresholds": 5},
        "uniform",
        (B, 3),
        VEC_W,
    ),
    ("AUC", {}, "binary", (B, 3), ALL_W),
    ("AUC", {}, "wild", (B,), VEC_W),
    ("AUC", {"summation_method": "majoring", "num_thresholds": 5}, "binary", (B, 3), VEC_W),
    ("AUC", {"summation_method": "minoring", "curve": "PR"}, "uniform", (B, 3), VEC_W),
    ("AUC", {"curve": "PR"}, "binary", (B, 3), [None, "b", "b1"]),
    ("AUC", {"curve": "pr", "summation_method": "Majoring"}, "uniform", (B, 3), VEC_W),
    ("AUC", {"curve": "PRGAIN"}, "uniform", (B, 3), VEC_W),
    ("AUC", {"thresholds": [0.7, 0.2, 0.45]}, "binary", (B, 3), [None, "b", "b1"]),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75], "curve": "PR"}, "binary", (B, 3), VEC_W),
    ("AUC", {"label_weights": [1.0, 2.0, 0.5]}, "binary", (B, 3), VEC_W),
    ("AUC", {"multi_label": True}, "binary", (B, 3), [None, "full"]),
    (
        "AUC",
        {"multi_label": True, "num_labels": 3, "curve": "PR", "label_weights": [1.0, 0.0, 3.0]},
        "uniform",
        (B, 3),
        VEC_W,
    ),
    ("AUC", {"multi_label": True, "thresholds": [0.3, 0.6]}, "binary", (B, 3), VEC_W),
    ("AUC", {"from_logits": True}, "logits", (B, 3), VEC_W),
]
CASE_IDS = [
    f"{c[0]}-{'_'.join(f'{k}={v}' for k, v in c[1].items()) or 'default'}-{c[2]}-"
    f"{'x'.join(map(str, c[3]))}"
    for c in CASES
]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_confusion_metric_matches_keras(case):
    cls_name, kwargs, kind, shape, weight_kinds = case
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    _run_sequence(k_metric, j_metric, kind, shape, weight_kinds)


# -- NumPy formulas --------------------------------------------------------------------------
def _np_counts(y_true, y_pred, thresholds, weights=None):
    y_true, y_pred = np.ravel(y_true) != 0, np.ravel(y_pred)
    w = np.ones_like(y_pred) if weights is None else np.ravel(weights)
    above = y_pred[None, :] > np.asarray(thresholds)[:, None]
    return {
        "tp": (w * (above & y_true)).sum(1),
        "fp": (w * (above & ~y_true)).sum(1),
        "tn": (w * (~above & ~y_true)).sum(1),
        "fn": (w * (~above & y_true)).sum(1),
    }


def test_threshold_counts_follow_strict_comparison():
    rng = np.random.default_rng(3)
    y_true, y_pred = _data("binary", rng, (B, 3))
    sw = rng.uniform(0, 2, size=(B, 3)).astype("float32")
    for thresholds in ([0.25, 0.5, 0.9], EVEN5):
        expected = _np_counts(y_true, y_pred, thresholds, sw)
        for cls, key in (
            (jeras.metrics.TruePositives, "tp"),
            (jeras.metrics.FalsePositives, "fp"),
            (jeras.metrics.TrueNegatives, "tn"),
            (jeras.metrics.FalseNegatives, "fn"),
        ):
            metric = cls(thresholds=thresholds)
            metric.update_state(y_true, y_pred, sample_weight=sw)
            assert_close(metric.result(), expected[key])
    # A single threshold gives a scalar.
    metric = jeras.metrics.TruePositives()
    metric.update_state(y_true, y_pred)
    assert np.shape(metric.result()) == ()
    assert_close(metric.result(), _np_counts(y_true, y_pred, [0.5])["tp"][0])


def test_precision_recall_formula_and_zero_division():
    y_true = np.array([1, 0, 1, 1, 0, 0], "float32")
    y_pred = np.array([0.9, 0.8, 0.5, 0.2, 0.4, 0.6], "float32")
    precision, recall = jeras.metrics.Precision(), jeras.metrics.Recall()
    precision.update_state(y_true, y_pred)
    recall.update_state(y_true, y_pred)
    # Above 0.5: indices 0, 1, 5 -> one true positive; positives: 0, 2, 3.
    assert_close(precision.result(), 1 / 3)
    assert_close(recall.result(), 1 / 3)
    # Nothing predicted positive: precision is 0 rather than NaN.
    empty = jeras.metrics.Precision(thresholds=[0.5, 1.0])
    empty.update_state(y_true, np.zeros(6, "float32"))
    assert_close(empty.result(), [0.0, 0.0])


def test_precision_top_k_keeps_only_top_predictions():
    rng = np.random.default_rng(4)
    y_true, y_pred = _data("uniform", rng, (B, 3))
    top2 = np.argsort(-y_pred, axis=-1)[:, :2]
    hits = np.take_along_axis(y_true, top2, axis=-1)
    metric = jeras.metrics.Precision(top_k=2)
    metric.update_state(y_true, y_pred)
    assert_close(metric.result(), hits.mean())
    # With a threshold too, a top-k prediction must also exceed it.
    kept = np.take_along_axis(y_pred, top2, axis=-1) > 0.5
    metric = jeras.metrics.Precision(top_k=2, thresholds=0.5)
    metric.update_state(y_true, y_pred)
    assert_close(metric.result(), (hits * kept).sum() / kept.sum())


def test_auc_known_value_and_numpy_trapezoid():
    y_true = np.array([0, 0, 1, 1], "float32")
    y_pred = np.array([0.1, 0.4, 0.35, 0.8], "float32")
    assert_close(jeras.metrics.AUC()(y_true, y_pred), 0.75)
    # On explicit thresholds, ROC-AUC is the trapezoid rule over (FPR, TPR) points taken at
    # [-eps, thresholds..., 1 + eps].
    rng = np.random.default_rng(5)
    y_true, y_pred = _data("uniform", rng, (B, 3))
    thresholds = [0.1, 0.3, 0.35, 0.6, 0.8]
    counts = _np_counts(y_true, y_pred, [-1e-7] + thresholds + [1 + 1e-7])
    tpr = counts["tp"] / (counts["tp"] + counts["fn"])
    fpr = counts["fp"] / (counts["fp"] + counts["tn"])
    expected = np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)
    assert_close(jeras.metrics.AUC(thresholds=thresholds)(y_true, y_pred), expected)


def test_sensitivity_at_specificity_numpy():
    rng = np.random.default_rng(6)
    y_true, y_pred = _data("uniform", rng, (B, 3))
    metric = jeras.metrics.SensitivityAtSpecificity(0.7, num_thresholds=5)
    metric.update_state(y_true, y_pred)
    counts = _np_counts(y_true, y_pred, np.arange(5) / 4)
    sensitivity = counts["tp"] / (counts["tp"] + counts["fn"])
    specificity = counts["tn"] / (counts["tn"] + counts["fp"])
    assert_close(metric.result(), np.max(np.where(specificity >= 0.7, sensitivity, 0)))


# -- compiled use ----------------------------------------------------------------------------
JIT_CASES = [
    ("AUC", {"curve": "PR", "multi_label": True, "num_labels": 3}),
    ("AUC", {"thresholds": [0.2, 0.45, 0.7]}),
    ("Precision", {"top_k": 2}),
    ("SensitivityAtSpecificity", {"specificity": 0.5}),
]


@pytest.mark.parametrize("cls_name,kwargs", JIT_CASES, ids=[c[0] for c in JIT_CASES])
def test_stateless_forms_under_jit_match_keras(cls_name, kwargs):
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    update = jax.jit(j_metric.stateless_update_state)
    result = jax.jit(j_metric.stateless_result)
    values = [v.value for v in j_metric.variables]
    rng = np.random.default_rng(7)
    for wkind in [None, "b", None]:
        y_true, y_pred = _data("uniform", rng, (B, 3))
        sw = sample_weights(wkind, rng, (B, 3))
        k_metric.update_state(y_true, y_pred, sample_weight=sw)
        values = update(values, y_true, y_pred, sample_weight=sw)
        assert_close(result(values), k_metric.result())
    # The variables themselves were not touched.
    assert all(float(np.abs(np.asarray(v.value)).sum()) == 0 for v in j_metric.variables)
    assert_close(
        result(jax.jit(j_metric.stateless_reset_state)()), 0.0 * np.asarray(k_metric.result())
    )


def _equation_count(metric, shape=(B, 3)):
    y = jax.ShapeDtypeStruct(shape, "float32")
    values = [jax.ShapeDtypeStruct(v.shape, v.dtype) for v in metric.variables]

    def step(values, y_true, y_pred):
        return metric.stateless_result(metric.stateless_update_state(values, y_true, y_pred))

    return len(jax.make_jaxpr(step)(values, y, y).jaxpr.eqns)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"curve": "PR"}, {"multi_label": True, "num_labels": 3}],
    ids=["roc", "pr", "multi_label"],
)
def test_auc_step_is_vectorised_over_thresholds(kwargs):
    # The traced program must not grow with the number of thresholds (no Python loop).
    small = _equation_count(jeras.metrics.AUC(num_thresholds=5, **kwargs))
    large = _equation_count(jeras.metrics.AUC(num_thresholds=1000, **kwargs))
    assert small == large


def test_explicit_thresholds_are_vectorised():
    small = _equation_count(jeras.metrics.Precision(thresholds=[0.1, 0.2]))
    large = _equation_count(jeras.metrics.Precision(thresholds=list(np.linspace(0.01, 0.9, 60))))
    assert small == large


def test_multi_label_auc_builds_from_a_symbolic_update():
    """Without `num_labels`, a multi-label AUC creates its state at the first update (as
    Keras). A symbolic update (what a trainer runs to build metrics, as Keras's
    `compute_output_spec` pass) must leave concrete zero variables behind, usable in jit."""
    metric = jeras.metrics.AUC(multi_label=True)
    assert metric.variables == []

    def build(y_true, y_pred):
        with StateScope():
            metric.update_state(y_true, y_pred)
        return 0

    spec = jax.ShapeDtypeStruct((B, 3), "float32")
    jax.eval_shape(build, spec, spec)
    assert [(v.path, v.shape) for v in metric.variables] == [
        (f"{metric.name}/{n}", (200, 3))
        for n in ("true_positives", "false_positives", "true_negatives", "false_negatives")
    ]
    assert all(
        isinstance(v.value, jax.Array) and not isinstance(v.value, jax.core.Tracer)
        for v in metric.variables
    )
    k_metric = keras.metrics.AUC(multi_label=True)
    rng = np.random.default_rng(8)
    y_true, y_pred = _data("uniform", rng, (B, 3))
    values = jax.jit(metric.stateless_update_state)(
        [v.value for v in metric.variables], y_true, y_pred
    )
    k_metric.update_state(y_true, y_pred)
    assert_close(metric.stateless_result(values), k_metric.result())


# -- names, configs, lookups -----------------------------------------------------------------
DEFAULTS = [
    ("TruePositives", {}, "true_positives"),
    ("FalsePositives", {}, "false_positives"),
    ("TrueNegatives", {}, "true_negatives"),
    ("FalseNegatives", {}, "false_negatives"),
    ("Precision", {}, "precision"),
    ("Recall", {}, "recall"),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "sensitivity_at_specificity"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.5}, "specificity_at_sensitivity"),
    ("PrecisionAtRecall", {"recall": 0.5}, "precision_at_recall"),
    ("RecallAtPrecision", {"precision": 0.5}, "recall_at_precision"),
    ("AUC", {}, "auc"),
]


def _base(name):
    # Without a name these metrics are auto-named, so a suffix may follow the class name.
    head, _, tail = name.rpartition("_")
    return head if tail.isdigit() else name


@pytest.mark.parametrize("cls_name,kwargs,default", DEFAULTS, ids=[c[0] for c in DEFAULTS])
def test_default_name_config_and_variables_match_keras(cls_name, kwargs, default):
    k_metric = getattr(keras.metrics, cls_name)(**kwargs)
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    assert _base(j_metric.name) == _base(k_metric.name) == default
    j_cfg, k_cfg = j_metric.get_config(), k_metric.get_config()
    assert _base(j_cfg.pop("name")) == _base(k_cfg.pop("name"))
    assert j_cfg == k_cfg
    assert [(v.name, v.shape, v.dtype) for v in j_metric.variables] == [
        (v.name, tuple(v.shape), v.dtype) for v in k_metric.variables
    ]
    assert [v.path for v in j_metric.variables] == [
        f"{j_metric.name}/{v.name}" for v in k_metric.variables
    ]
    assert getattr(j_metric, "_direction", None) == getattr(k_metric, "_direction", None)
    assert j_metric.dtype == k_metric.dtype


def test_auto_naming_counts_up():
    first, second = jeras.metrics.AUC(), jeras.metrics.AUC()
    n = 0 if first.name == "auc" else int(first.name.rsplit("_", 1)[1])
    assert second.name == f"auc_{n + 1}"
    # Keras does the same with its own counter.
    k_first, k_second = keras.metrics.AUC(), keras.metrics.AUC()
    k_n = 0 if k_first.name == "auc" else int(k_first.name.rsplit("_", 1)[1])
    assert k_second.name == f"auc_{k_n + 1}"
    assert jeras.metrics.Precision(name="p").name == "p"


NON_DEFAULT = [
    ("TruePositives", {"thresholds": [0.2, 0.6], "name": "tp"}),
    ("FalseNegatives", {"thresholds": 0.3, "name": "fn"}),
    ("Precision", {"thresholds": [0.3], "top_k": 2, "class_id": 1, "name": "p"}),
    ("Recall", {"top_k": 3, "name": "r"}),
    (
        "SensitivityAtSpecificity",
        {"specificity": 0.3, "num_thresholds": 7, "class_id": 2, "name": "s"},
    ),
    ("SpecificityAtSensitivity", {"sensitivity": 0.2, "name": "s"}),
    ("PrecisionAtRecall", {"recall": 0.9, "num_thresholds": 3, "name": "s"}),
    ("RecallAtPrecision", {"precision": 0.4, "class_id": 0, "name": "s"}),
    ("AUC", {"num_thresholds": 50, "curve": "pr", "summation_method": "minoring", "name": "a"}),
    (
        "AUC",
        {
            "thresholds": [0.6, 0.1, 0.3],
            "multi_label": True,
            "num_labels": 2,
            "from_logits": True,
            "name": "a",
        },
    ),
    ("AUC", {"curve": "PRGAIN", "summation_method": "Majoring", "name": "a", "multi_label": True}),
]


@pytest.mark.parametrize("cls_name,kwargs", NON_DEFAULT, ids=[c[0] for c in NON_DEFAULT])
def test_non_default_config_matches_keras(cls_name, kwargs):
    k_cfg = getattr(keras.metrics, cls_name)(**kwargs).get_config()
    j_metric = getattr(jeras.metrics, cls_name)(**kwargs)
    assert j_metric.get_config() == k_cfg
    assert type(j_metric).from_config(j_metric.get_config()).get_config() == k_cfg


def test_auc_label_weights_config_round_trips():
    kwargs = {
        "label_weights": [1.0, 2.0, 0.5],
        "multi_label": True,
        "num_labels": 3,
        "name": "auc_lw",
    }
    k_cfg = keras.metrics.AUC(**kwargs).get_config()
    j_metric = jeras.metrics.AUC(**kwargs)
    j_cfg = j_metric.get_config()
    # Keras reports the weights as an array of the metric's dtype.
    assert_close(j_cfg.pop("label_weights"), k_cfg.pop("label_weights"))
    assert j_cfg == k_cfg
    restored = jeras.metrics.deserialize(jeras.metrics.serialize(j_metric))
    assert_close(restored.label_weights, [1.0, 2.0, 0.5])
    # A config written by Keras's serializer holds the weights as a "__tensor__" dict (Keras
    # itself cannot read that back); jeras accepts it.
    written = keras.metrics.serialize(keras.metrics.AUC(**kwargs))
    assert_close(jeras.metrics.deserialize(written).label_weights, [1.0, 2.0, 0.5])


POSITIONAL = [
    ("TruePositives", (0.3, "tp_pos")),
    ("FalsePositives", ([0.1, 0.4], "fp_pos", "float32")),
    ("Precision", (0.4, 2, 1, "p_pos")),
    ("Recall", (None, None, 2, "r_pos", "float32")),
    ("SensitivityAtSpecificity", (0.4, 20, 1, "s_pos")),
    ("SpecificityAtSensitivity", (0.4, 20, None, "s_pos")),
    ("PrecisionAtRecall", (0.6, 10, 0, "s_pos")),
    ("RecallAtPrecision", (0.6, 10, None, "s_pos", "float32")),
    ("AUC", (30, "PR", "majoring", "auc_pos", None, None, True, 2, None, True)),
]


@pytest.mark.parametrize("cls_name,args", POSITIONAL, ids=[c[0] for c in POSITIONAL])
def test_positional_arguments_follow_keras_order(cls_name, args):
    k_metric = getattr(keras.metrics, cls_name)(*args)
    j_metric = getattr(jeras.metrics, cls_name)(*args)
    assert j_metric.name == k_metric.name
    assert j_metric.get_config() == k_metric.get_config()


SERIALIZED = [
    jeras.metrics.Precision(thresholds=[0.2, 0.7], class_id=1, name="prec"),
    jeras.metrics.AUC(curve="PR", num_thresholds=20, name="pr_auc"),
    jeras.metrics.AUC(thresholds=[0.1, 0.5], name="auc_t"),
    jeras.metrics.SpecificityAtSensitivity(0.3, num_thresholds=8, name="sas"),
    jeras.metrics.FalsePositives(thresholds=[0.4], name="fp"),
]


@pytest.mark.parametrize("metric", SERIALIZED, ids=lambda m: m.name)
def test_serialize_deserialize_round_trip(metric):
    config = jeras.metrics.serialize(metric)
    k_metric = keras.metrics.deserialize(config)
    # Keras reads what jeras writes, with the same class and config.
    assert type(k_metric).__name__ == type(metric).__name__
    assert config == keras.metrics.serialize(k_metric)
    restored = jeras.metrics.deserialize(config)
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()
    assert jeras.metrics.get(config).get_config() == metric.get_config()


LOOKUPS = {
    "auc": "AUC",
    "AUC": "AUC",
    "precision": "Precision",
    "Recall": "Recall",
    "recall": "Recall",
    "true_positives": "TruePositives",
    "false_negatives": "FalseNegatives",
    "TrueNegatives": "TrueNegatives",
    "false_positives": "FalsePositives",
}


@pytest.mark.parametrize("identifier", sorted(LOOKUPS))
def test_get_string_gives_keras_class(identifier):
    k_metric = keras.metrics.get(identifier)
    j_metric = jeras.metrics.get(identifier)
    assert type(j_metric).__name__ == type(k_metric).__name__ == LOOKUPS[identifier]
    assert j_metric.name == identifier
    assert dict(j_metric.get_config(), name=None) == dict(k_metric.get_config(), name=None)


@pytest.mark.parametrize("identifier", ["precision_at_recall", "sensitivity_at_specificity"])
def test_get_string_of_class_with_required_argument_raises_like_keras(identifier):
    with pytest.raises(TypeError):
        keras.metrics.get(identifier)
    with pytest.raises(TypeError):
        jeras.metrics.get(identifier)


BAD = [
    ("TruePositives", {"thresholds": [0.5, 1.2]}, ValueError),
    ("Precision", {"thresholds": -0.1}, ValueError),
    ("SensitivityAtSpecificity", {"specificity": 1.5}, ValueError),
    ("PrecisionAtRecall", {"recall": 0.5, "num_thresholds": 0}, ValueError),
    ("AUC", {"num_thresholds": 1}, ValueError),
    ("AUC", {"curve": "XY"}, ValueError),
    ("AUC", {"summation_method": "left"}, ValueError),
    ("AUC", {"num_labels": 3}, ValueError),
]


@pytest.mark.parametrize("cls_name,kwargs,error", BAD, ids=[f"{c[0]}-{c[1]}" for c in BAD])
def test_invalid_arguments_raise_like_keras(cls_name, kwargs, error):
    with pytest.raises(error):
        getattr(keras.metrics, cls_name)(**kwargs)
    with pytest.raises(error):
        getattr(jeras.metrics, cls_name)(**kwargs)


def test_invalid_inputs_raise_like_keras():
    for module in (keras, jeras):
        with pytest.raises(ValueError, match="class_id"):
            module.metrics.Precision(class_id=0).update_state(np.ones(4), np.ones(4))
        with pytest.raises(ValueError, match="rank 2"):
            module.metrics.AUC(multi_label=True).update_state(
                np.ones((2, 2, 2)), np.ones((2, 2, 2))
            )


@pytest.mark.parametrize(
    "cls_name,kwargs", [("Precision", {}), ("AUC", {}), ("Mean", {}), ("Sum", {}), ("F1Score", {})]
)
def test_variable_dtype_follows_keras_for_non_default_metric_dtype(cls_name, kwargs):
    # Keras's add_variable defaults to floatx: the confusion counts stay float32 under a
    # bfloat16 metric, while Mean/Sum/F1Score pass their own dtype.
    def variables(module):
        metric = getattr(module.metrics, cls_name)(dtype="bfloat16", **kwargs)
        if cls_name == "F1Score":
            metric.update_state(np.eye(3, dtype="float32"), np.eye(3, dtype="float32"))
        return metric.dtype, [v.dtype for v in metric.variables]

    assert variables(jeras) == variables(keras)
