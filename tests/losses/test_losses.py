"""Differential tests: jeras.losses against real Keras 3 (JAX backend) on random inputs."""

import keras
import numpy as np
import pytest
from oracle import assert_close, one_hot_labels, sample_weights, target_and_prediction

import jeras

B, C = 4, 3
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]
WEIGHTS = ["none", "b", "b1"]


def _data(kind, seed, shape=(B, C)):
    """(y_true, y_pred) of `kind`: the shared catalogue plus the kinds only losses need."""
    rng = np.random.default_rng(seed)
    normal = lambda: rng.normal(size=shape).astype("float32")  # noqa: E731
    if kind == "nonzero_true":
        # MAPE divides by |y_true|: keep it away from 0 so float rounding stays small.
        t = rng.uniform(0.5, 2.0, size=shape).astype("float32") * rng.choice([-1, 1], size=shape)
        return t.astype("float32"), normal()
    if kind == "msle_mixed":
        return normal() + 0.5, normal() + 0.5
    if kind == "onehot_scores":
        return one_hot_labels(rng, shape), normal()
    if kind == "soft_binary_probs":
        return (
            rng.uniform(0, 1, size=shape).astype("float32"),
            rng.uniform(0.02, 0.98, size=shape).astype("float32"),
        )
    if kind == "binary_extreme":
        # Probabilities at exactly 0 and 1 exercise the epsilon clipping.
        return (
            rng.integers(0, 2, size=shape).astype("float32"),
            rng.choice([0.0, 1.0, 0.5], size=shape).astype("float32"),
        )
    return target_and_prediction(kind, rng, shape)


# (class name, constructor kwargs, function name, data kind, shape)
CASES = [
    ("MeanSquaredError", {}, "mean_squared_error", "regression", (B, C)),
    ("MeanSquaredError", {}, "mean_squared_error", "regression", (B, 1)),
    ("MeanSquaredError", {}, "mean_squared_error", "regression", (B, 2, C)),
    ("MeanAbsoluteError", {}, "mean_absolute_error", "regression", (B, C)),
    ("MeanAbsolutePercentageError", {}, "mean_absolute_percentage_error", "nonzero_true", (B, C)),
    ("MeanSquaredLogarithmicError", {}, "mean_squared_logarithmic_error", "msle_mixed", (B, C)),
    ("Huber", {}, "huber", "regression", (B, C)),
    ("Huber", {"delta": 0.3}, "huber", "regression", (B, C)),
    ("Huber", {"delta": 2.5}, "huber", "regression", (B, 2, C)),
    ("LogCosh", {}, "log_cosh", "regression", (B, C)),
    ("Hinge", {}, "hinge", "hinge01", (B, C)),
    ("Hinge", {}, "hinge", "hinge_pm1", (B, C)),
    ("SquaredHinge", {}, "squared_hinge", "hinge01", (B, C)),
    ("SquaredHinge", {}, "squared_hinge", "hinge_pm1", (B, C)),
    ("CategoricalHinge", {}, "categorical_hinge", "onehot_scores", (B, C)),
    ("KLDivergence", {}, "kl_divergence", "probs", (B, C)),
    ("Poisson", {}, "poisson", "positive", (B, C)),
    ("CosineSimilarity", {}, "cosine_similarity", "regression", (B, C)),
    ("CosineSimilarity", {"axis": 0}, "cosine_similarity", "regression", (B, C)),
    ("CosineSimilarity", {"axis": 1}, "cosine_similarity", "regression", (B, C, 2)),
    ("BinaryCrossentropy", {}, "binary_crossentropy", "binary_probs", (B, C)),
    ("BinaryCrossentropy", {}, "binary_crossentropy", "soft_binary_probs", (B, 1)),
    ("BinaryCrossentropy", {}, "binary_crossentropy", "binary_extreme", (B, C)),
    ("BinaryCrossentropy", {"from_logits": True}, "binary_crossentropy", "binary_logits", (B, C)),
    ("BinaryCrossentropy", {"label_smoothing": 0.2}, "binary_crossentropy", "binary_probs", (B, C)),
    (
        "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1, "axis": 0},
        "binary_crossentropy",
        "binary_logits",
        (B, C),
    ),
    ("CategoricalCrossentropy", {}, "categorical_crossentropy", "onehot_probs", (B, C)),
    ("CategoricalCrossentropy", {}, "categorical_crossentropy", "onehot_unnormalized", (B, C)),
    (
        "CategoricalCrossentropy",
        {"from_logits": True},
        "categorical_crossentropy",
        "onehot_logits",
        (B, C),
    ),
    (
        "CategoricalCrossentropy",
        {"label_smoothing": 0.3},
        "categorical_crossentropy",
        "onehot_probs",
        (B, C),
    ),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "categorical_crossentropy",
        "onehot_logits",
        (B, 2, C),
    ),
    (
        "CategoricalCrossentropy",
        {"from_logits": True, "axis": 0},
        "categorical_crossentropy",
        "onehot_logits",
        (B, C),
    ),
    (
        "SparseCategoricalCrossentropy",
        {},
        "sparse_categorical_crossentropy",
        "sparse_probs",
        (B, C),
    ),
    (
        "SparseCategoricalCrossentropy",
        {},
        "sparse_categorical_crossentropy",
        "sparse_probs_col",
        (B, C),
    ),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True},
        "sparse_categorical_crossentropy",
        "sparse_logits",
        (B, C),
    ),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True},
        "sparse_categorical_crossentropy",
        "sparse_logits",
        (B, 2, C),
    ),
    (
        "SparseCategoricalCrossentropy",
        {"ignore_class": 1},
        "sparse_categorical_crossentropy",
        "sparse_probs",
        (B, C),
    ),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "ignore_class": 0},
        "sparse_categorical_crossentropy",
        "sparse_logits",
        (B, 2, C),
    ),
]
CASE_IDS = [
    f"{c[0]}-{'_'.join(f'{k}={v}' for k, v in c[1].items()) or 'default'}-{c[3]}-"
    f"{'x'.join(map(str, c[4]))}"
    for c in CASES
]


def _weights(kind, seed):
    # A zero weight in the first row, as a padding row would have.
    return sample_weights(kind, np.random.default_rng(seed + 100), (B,), zero_at=0)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_loss_function_matches_keras(case):
    _, kwargs, fn_name, kind, shape = case
    y_true, y_pred = _data(kind, 0, shape)
    # Functions take only the function-level arguments (not reduction/name).
    expected = getattr(keras.losses, fn_name)(y_true, y_pred, **kwargs)
    actual = getattr(jeras.losses, fn_name)(y_true, y_pred, **kwargs)
    assert np.shape(actual) == np.shape(expected)
    assert_close(actual, expected)


# The reduction code is shared by all classes: every reduction runs on the cases whose values
# are rank 2 or carry a mask (ignore_class); the rest run the default and None.
FULL_REDUCTION = {"MeanSquaredError", "Huber", "SparseCategoricalCrossentropy"}
CLASS_PARAMS = [
    pytest.param(case, reduction, id=f"{case_id}-{reduction}")
    for case, case_id in zip(CASES, CASE_IDS)
    for reduction in (
        REDUCTIONS
        if case[0] in FULL_REDUCTION or len(case[4]) == 3
        else ["sum_over_batch_size", None]
    )
]


@pytest.mark.parametrize("case,reduction", CLASS_PARAMS)
def test_loss_class_matches_keras(case, reduction):
    cls_name, kwargs, _, kind, shape = case
    k_loss = getattr(keras.losses, cls_name)(reduction=reduction, **kwargs)
    j_loss = getattr(jeras.losses, cls_name)(reduction=reduction, **kwargs)
    for seed, wkind in enumerate(WEIGHTS):
        y_true, y_pred = _data(kind, seed + 1, shape)
        sw = _weights(wkind, seed)
        if kwargs.get("axis") == 0 and sw is not None:
            continue  # reducing over the batch axis leaves nothing per-sample to weight
        try:
            expected = k_loss(y_true, y_pred, sample_weight=sw)
        except (TypeError, ValueError):
            # Keras cannot multiply (B, T) losses by (B,) weights; jeras applies them per
            # sample, which is what Keras computes for (B, 1) weights.
            assert wkind == "b" and len(shape) == 3
            expected = k_loss(y_true, y_pred, sample_weight=sw[:, None])
        actual = j_loss(y_true, y_pred, sample_weight=sw)
        assert np.shape(actual) == np.shape(expected), (wkind, np.shape(actual), np.shape(expected))
        assert_close(actual, expected)


def test_loss_reduction_none_string_matches_keras():
    y_true, y_pred = _data("regression", 3)
    sw = _weights("b", 3)
    expected = keras.losses.MeanAbsoluteError(reduction="none")(y_true, y_pred, sample_weight=sw)
    actual = jeras.losses.MeanAbsoluteError(reduction="none")(y_true, y_pred, sample_weight=sw)
    assert_close(actual, expected)


def test_sample_weight_does_not_renormalize():
    # Keras divides by the element count, not by the weight sum (reference: ln2 / 4).
    loss = jeras.losses.BinaryCrossentropy()
    y_true = np.array([[1.0], [1.0], [1.0], [1.0]], "float32")
    y_pred = np.full((4, 1), 0.5, "float32")
    value = loss(y_true, y_pred, sample_weight=np.array([1.0, 0.0, 0.0, 0.0], "float32"))
    assert_close(value, np.log(2.0) / 4)


def test_integer_inputs_are_cast_like_keras():
    y_true = np.array([[0, 1], [1, 1]])
    y_pred = np.array([[1, 3], [2, 0]])
    for name in ("MeanSquaredError", "MeanAbsoluteError", "Hinge"):
        assert_close(
            getattr(jeras.losses, name)()(y_true, y_pred),
            getattr(keras.losses, name)()(y_true, y_pred),
        )


def test_bce_known_value():
    # Reference: BCE(1, p=0) = -log(1e-7).
    assert_close(
        jeras.losses.binary_crossentropy(np.array([[1.0]]), np.array([[0.0]])), [-np.log(1e-7)]
    )


# -- names, configs, lookups ---------------------------------------------------------------------
CLASS_NAMES = sorted({c[0] for c in CASES})


@pytest.mark.parametrize("cls_name", CLASS_NAMES)
def test_default_name_and_config_match_keras(cls_name):
    k_loss, j_loss = getattr(keras.losses, cls_name)(), getattr(jeras.losses, cls_name)()
    assert j_loss.name == k_loss.name
    assert j_loss.get_config() == k_loss.get_config()
    assert j_loss.reduction == k_loss.reduction


NON_DEFAULT = [
    ("Huber", {"delta": 0.5, "reduction": "sum", "name": "h"}),
    ("CosineSimilarity", {"axis": 0, "reduction": None}),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1, "axis": 0}),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2, "reduction": "mean"}),
    (
        "SparseCategoricalCrossentropy",
        {"from_logits": True, "ignore_class": 3, "axis": 0, "reduction": "mean_with_sample_weight"},
    ),
    ("MeanSquaredError", {"reduction": "sum", "name": "my_mse"}),
]


@pytest.mark.parametrize("cls_name,kwargs", NON_DEFAULT, ids=[c[0] for c in NON_DEFAULT])
def test_non_default_config_matches_keras(cls_name, kwargs):
    k_cfg = getattr(keras.losses, cls_name)(**kwargs).get_config()
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    assert j_loss.get_config() == k_cfg
    # from_config of the config gives back an equal config.
    assert type(j_loss).from_config(j_loss.get_config()).get_config() == k_cfg


POSITIONAL = [
    ("MeanSquaredError", ("sum", "pos_name")),
    ("Huber", (0.7, "sum", "pos_huber")),
    ("CosineSimilarity", (0, None)),
    ("BinaryCrossentropy", (True, 0.1, -1, "sum")),
    ("CategoricalCrossentropy", (True, 0.0, -1, "mean", "cce")),
    ("SparseCategoricalCrossentropy", (True, None, "sum", -1, "scce")),
]


@pytest.mark.parametrize("cls_name,args", POSITIONAL, ids=[c[0] for c in POSITIONAL])
def test_positional_arguments_follow_keras_order(cls_name, args):
    k_loss = getattr(keras.losses, cls_name)(*args)
    j_loss = getattr(jeras.losses, cls_name)(*args)
    assert j_loss.get_config() == k_loss.get_config()
    assert j_loss.name == k_loss.name and j_loss.reduction == k_loss.reduction


LOOKUPS = [
    "mse",
    "MSE",
    "mae",
    "MAE",
    "mape",
    "MAPE",
    "msle",
    "MSLE",
    "kld",
    "KLD",
    "bce",
    "BCE",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
    "cosine_similarity",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
]


@pytest.mark.parametrize("identifier", LOOKUPS)
def test_get_string_returns_function_like_keras(identifier):
    k_fn, j_fn = keras.losses.get(identifier), jeras.losses.get(identifier)
    assert callable(j_fn) and not isinstance(j_fn, jeras.losses.Loss)
    assert j_fn.__name__ == k_fn.__name__
    assert j_fn is getattr(jeras.losses, k_fn.__name__)
    y_true, y_pred = _data("sparse_probs" if identifier.startswith("sparse") else "probs", 5)
    assert_close(j_fn(y_true, y_pred), k_fn(y_true, y_pred))


@pytest.mark.parametrize("identifier", CLASS_NAMES)
def test_get_class_name_returns_instance_like_keras(identifier):
    k_obj, j_obj = keras.losses.get(identifier), jeras.losses.get(identifier)
    assert isinstance(j_obj, getattr(jeras.losses, identifier))
    assert j_obj.get_config() == k_obj.get_config()


def test_get_passthrough_and_config_dict():
    fn = lambda y_true, y_pred: y_pred  # noqa: E731
    assert jeras.losses.get(fn) is fn
    loss = jeras.losses.Huber(delta=2.0)
    assert jeras.losses.get(loss) is loss
    assert jeras.losses.get(None) is None
    cfg = {"class_name": "MeanAbsoluteError", "config": {"name": "m", "reduction": "sum"}}
    obj = jeras.losses.get(cfg)
    assert isinstance(obj, jeras.losses.MeanAbsoluteError)
    assert obj.get_config() == keras.losses.get(cfg).get_config()


@pytest.mark.parametrize("identifier", ["nope", "crossentropy_xyz", "Mse", "binary_cross_entropy"])
def test_get_unknown_identifier_raises_value_error(identifier):
    with pytest.raises(ValueError):
        keras.losses.get(identifier)
    with pytest.raises(ValueError, match=identifier):
        jeras.losses.get(identifier)


def test_invalid_reduction_raises_like_keras():
    with pytest.raises(ValueError):
        keras.losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        jeras.losses.MeanSquaredError(reduction="avg")


BROADCAST_ERRORS = [
    ("MeanSquaredError", "mean_squared_error", (4, 3), (4, 5)),
    ("MeanAbsoluteError", "mean_absolute_error", (4, 2), (4, 3)),
    ("BinaryCrossentropy", "binary_crossentropy", (5, 3), (4, 3)),
    ("Huber", "huber", (4, 3), (4, 2)),
    ("LogCosh", "log_cosh", (4, 3), (4, 2)),
    ("Hinge", "hinge", (4, 3), (4, 2)),
    ("Poisson", "poisson", (4, 3), (4, 2)),
    ("KLDivergence", "kl_divergence", (4, 3), (4, 2)),
    ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", (4, 3), (4, 2)),
    ("CategoricalCrossentropy", "categorical_crossentropy", (4, 3), (4, 2)),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", (4, 2), (4, 3)),
]


@pytest.mark.parametrize(
    "cls_name,fn_name,t_shape,p_shape", BROADCAST_ERRORS, ids=[c[0] for c in BROADCAST_ERRORS]
)
def test_unbroadcastable_shapes_raise_value_error_naming_both(cls_name, fn_name, t_shape, p_shape):
    y_true = np.zeros(t_shape, "float32")
    y_pred = np.full(p_shape, 0.5, "float32")
    # Keras refuses them too, though often with JAX's TypeError rather than a ValueError.
    with pytest.raises((ValueError, TypeError)):
        keras.losses.get(cls_name)(y_true, y_pred)
    for call in (getattr(jeras.losses, cls_name)(), getattr(jeras.losses, fn_name)):
        with pytest.raises(ValueError) as info:
            call(y_true, y_pred)
        message = str(info.value)
        assert str(t_shape) in message and str(p_shape) in message, message
