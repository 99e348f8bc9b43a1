"""Differential tests for the focal, overlap, CTC, circle and generalized cross-entropy losses,
for `get` / `serialize` / `deserialize` over every Keras loss name, and for custom losses:
jeras against real Keras 3 (JAX backend), or against NumPy formulas written here."""

import itertools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import keras

import jeras
from jeras.saving import object_registration
from oracle import assert_close, sample_weights, target_and_prediction

B = 6
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None]


def _unit_rows(rng, shape):
    x = rng.normal(size=shape).astype("float32")
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _data(kind, seed):
    """(y_true, y_pred) NumPy arrays of the kind a loss expects."""
    rng = np.random.default_rng(seed)
    if kind == "binary_probs":
        return target_and_prediction(kind, rng, (B, 3))
    if kind == "binary_extreme":
        # Probabilities of exactly 0 and 1 reach the epsilon clipping.
        return (rng.integers(0, 2, (B, 3)).astype("float32"),
                rng.choice([0.0, 1.0, 0.3], (B, 3)).astype("float32"))
    if kind == "binary_logits":
        return (rng.integers(0, 2, (B, 2, 3)).astype("float32"),
                3 * rng.normal(size=(B, 2, 3)).astype("float32"))
    if kind == "binary_col":
        return (rng.integers(0, 2, (B,)).astype("float32"),
                rng.uniform(0.02, 0.98, (B, 1)).astype("float32"))
    if kind == "onehot_probs":
        p = rng.uniform(0.05, 1.0, (B, 4)).astype("float32")
        return np.eye(4, dtype="float32")[rng.integers(0, 4, B)], p / p.sum(-1, keepdims=True)
    if kind == "onehot_unnormalized":
        return target_and_prediction(kind, rng, (B, 4))
    if kind == "onehot_logits":
        return (np.eye(4, dtype="float32")[rng.integers(0, 4, (B, 2))],
                2 * rng.normal(size=(B, 2, 4)).astype("float32"))
    if kind == "masks":
        # Segmentation-like targets: (batch, height, width, 1) in {0, 1}, soft predictions.
        return (rng.integers(0, 2, (B, 3, 3, 1)).astype("float32"),
                rng.uniform(0, 1, (B, 3, 3, 1)).astype("float32"))
    if kind == "soft_2d":
        return (rng.uniform(0, 1, (B, 5)).astype("float32"),
                rng.uniform(0, 1, (B, 5)).astype("float32"))
    if kind == "sparse_probs":
        p = rng.uniform(0.05, 1.0, (B, 4)).astype("float32")
        return rng.integers(0, 4, B), p / p.sum(-1, keepdims=True)
    if kind == "ctc":
        labels = rng.integers(1, 5, (B, 3))
        labels[1, 2:] = 0  # shorter sequence, zero-padded
        labels[2, 1] = labels[2, 0]  # a repeated label needs a blank between the two
        labels[3, :] = 0  # the empty sequence
        labels[4, 1:] = [labels[4, 0], 0]
        return labels, rng.normal(size=(B, 7, 5)).astype("float32")
    if kind == "circle":
        # Two samples share each of the first labels; the last labels are unique, so those rows
        # have no positives, a zero loss, and fall outside Keras's output mask.
        return np.array([0, 0, 1, 1, 2, 3]), _unit_rows(rng, (B, 4))
    if kind == "circle_col":
        return np.array([[1], [0], [1], [0], [1], [2]]), _unit_rows(rng, (B, 3))
    raise AssertionError(kind)


# (class name, class kwargs, function name, function kwargs, data kind)
CASES = [
    ("BinaryFocalCrossentropy", {}, "binary_focal_crossentropy", {}, "binary_probs"),
    ("BinaryFocalCrossentropy", {}, "binary_focal_crossentropy", {}, "binary_extreme"),
    ("BinaryFocalCrossentropy", {"gamma": 0.0}, "binary_focal_crossentropy", {"gamma": 0.0},
     "binary_probs"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
     "binary_focal_crossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
     "binary_probs"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.2},
     "binary_focal_crossentropy", {"from_logits": True, "label_smoothing": 0.2},
     "binary_logits"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "axis": 1, "apply_class_balancing": True},
     "binary_focal_crossentropy", {"from_logits": True, "axis": 1, "apply_class_balancing": True},
     "binary_logits"),
    ("BinaryFocalCrossentropy", {}, "binary_focal_crossentropy", {}, "binary_col"),
    ("CategoricalFocalCrossentropy", {}, "categorical_focal_crossentropy", {}, "onehot_probs"),
    ("CategoricalFocalCrossentropy", {"gamma": 0.5}, "categorical_focal_crossentropy",
     {"gamma": 0.5}, "onehot_unnormalized"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1},
     "categorical_focal_crossentropy", {"from_logits": True, "label_smoothing": 0.1},
     "onehot_logits"),
    ("CategoricalFocalCrossentropy", {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 3.0},
     "categorical_focal_crossentropy", {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 3.0},
     "onehot_probs"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "axis": 1},
     "categorical_focal_crossentropy", {"from_logits": True, "axis": 1}, "onehot_logits"),
    ("Dice", {}, "dice", {}, "masks"),
    ("Dice", {"axis": (1, 2, 3)}, "dice", {"axis": (1, 2, 3)}, "masks"),
    ("Dice", {"axis": [1, 2]}, "dice", {"axis": [1, 2]}, "masks"),
    ("Dice", {"axis": -1}, "dice", {"axis": -1}, "soft_2d"),
    ("Tversky", {}, "tversky", {}, "masks"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}, "tversky",
     {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)}, "masks"),
    ("Tversky", {"alpha": 0.9, "beta": 0.1, "axis": 1}, "tversky",
     {"alpha": 0.9, "beta": 0.1, "axis": 1}, "soft_2d"),
    ("CTC", {}, "ctc", {}, "ctc"),
    ("Circle", {}, "circle", {}, "circle"),
    ("Circle", {"gamma": 2.0, "margin": 0.1}, "circle", {"gamma": 2.0, "margin": 0.1}, "circle"),
    ("Circle", {"remove_diagonal": False, "gamma": 10.0}, "circle",
     {"remove_diagonal": False, "gamma": 10.0}, "circle"),
    ("Circle", {"margin": 0.25}, "circle", {"margin": 0.25}, "circle_col"),
    ("CategoricalGeneralizedCrossEntropy", {}, "categorical_generalized_cross_entropy",
     {"q": 0.5}, "sparse_probs"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2}, "categorical_generalized_cross_entropy",
     {"q": 0.2}, "sparse_probs"),
]
CASE_IDS = [f"{c[0]}-{'_'.join(f'{k}={v}' for k, v in c[1].items()) or 'default'}-{c[4]}"
            for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_function_matches_keras(case):
    cls_name, kwargs, fn_name, fn_kwargs, kind = case
    y_true, y_pred = _data(kind, 0)
    if kind == "binary_col":
        # Keras's function refuses (B,) labels against (B, 1) predictions (its class aligns the
        # ranks first); jeras's functions align like their classes, as binary_crossentropy does.
        with pytest.raises(ValueError):
            getattr(keras.losses, fn_name)(y_true, y_pred, **fn_kwargs)
        expected = getattr(keras.losses, cls_name)(reduction=None, **kwargs)(y_true, y_pred)
    else:
        expected = getattr(keras.losses, fn_name)(y_true, y_pred, **fn_kwargs)
    actual = getattr(jeras.losses, fn_name)(y_true, y_pred, **fn_kwargs)
    assert np.shape(actual) == np.shape(expected)
    assert_close(actual, expected)


def _weights(kind, seed):
    return sample_weights(kind, np.random.default_rng(seed + 50), (B,))


# The reduction code is shared and tested in test_losses.py: every reduction runs on the losses
# with masks or batch-wide values; the rest run the default and None.
FULL_REDUCTION = {"Dice-axis=(1, 2, 3)-masks", "Circle-default-circle",
                  "BinaryFocalCrossentropy-from_logits=True_label_smoothing=0.2-binary_logits"}
# Sample-weight forms per reduction: none and (B,) under the default, (B, 1) under None, (B,)
# for the rest.
WEIGHT_KINDS = {"sum_over_batch_size": [None, "b"], None: ["b1"]}
CLASS_PARAMS = [
    pytest.param(case, reduction, id=f"{case_id}-{reduction}")
    for case, case_id in zip(CASES, CASE_IDS)
    for reduction in (REDUCTIONS if case_id in FULL_REDUCTION else ["sum_over_batch_size", None])
]


@pytest.mark.parametrize("case,reduction", CLASS_PARAMS)
def test_class_matches_keras(case, reduction):
    cls_name, kwargs, _, _, kind = case
    k_loss = getattr(keras.losses, cls_name)(reduction=reduction, **kwargs)
    j_loss = getattr(jeras.losses, cls_name)(reduction=reduction, **kwargs)
    for seed, wkind in enumerate(WEIGHT_KINDS.get(reduction, ["b"])):
        y_true, y_pred = _data(kind, seed + 1)
        sw = _weights(wkind, seed)
        try:
            expected = k_loss(y_true, y_pred, sample_weight=sw)
        except (TypeError, ValueError):
            # Keras cannot multiply (B, T) losses by (B,) weights; jeras applies them per
            # sample, which is what Keras computes for (B, 1) weights.
            assert wkind == "b"
            expected = k_loss(y_true, y_pred, sample_weight=sw[:, None])
        actual = j_loss(y_true, y_pred, sample_weight=sw)
        assert np.shape(actual) == np.shape(expected), (wkind, np.shape(actual))
        assert_close(actual, expected)


JIT_CASES = [3, 10, 13, 19, 20, 24]


@pytest.mark.parametrize("case", [CASES[i] for i in JIT_CASES], ids=[CASE_IDS[i] for i in JIT_CASES])
def test_class_under_jit_matches_keras(case):
    cls_name, kwargs, _, _, kind = case
    y_true, y_pred = _data(kind, 7)
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    actual = jax.jit(lambda t, p: j_loss(t, p))(y_true, y_pred)
    assert_close(actual, getattr(keras.losses, cls_name)(**kwargs)(y_true, y_pred))


# -- gradients ------------------------------------------------------------------------------------
GRAD_CASES = [("CategoricalFocalCrossentropy", {"from_logits": True}, "onehot_logits"),
              ("CTC", {}, "ctc"),
              # Two rows of _data("circle") have no positive pair: their gradient must be 0, not NaN.
              ("Circle", {"gamma": 4.0}, "circle")]


@pytest.mark.parametrize("cls_name,kwargs,kind", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_keras(cls_name, kwargs, kind):
    # Keras's JAX-backend ops differentiate with jax.grad, so the two gradients compare directly.
    y_true, y_pred = _data(kind, 3)
    k_loss = getattr(keras.losses, cls_name)(**kwargs)
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    expected = jax.jit(jax.grad(lambda p: k_loss(y_true, p)))(jnp.asarray(y_pred))
    actual = jax.jit(jax.grad(lambda p: j_loss(y_true, p)))(jnp.asarray(y_pred))
    assert np.all(np.isfinite(np.asarray(actual)))
    assert_close(actual, expected, atol=1e-5, rtol=1e-4)


# -- CTC --------------------------------------------------------------------------------------------
def _brute_force_ctc(labels, logits):
    """-log Σ over every frame-by-frame path that collapses (merge repeats, drop blanks = 0) to
    the label sequence (the non-zero entries of `labels`)."""
    target = tuple(int(v) for v in labels if v != 0)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    frames, classes = logits.shape
    total = 0.0
    for path in itertools.product(range(classes), repeat=frames):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or path[i - 1] != c)]
        if tuple(collapsed) == target:
            total += np.exp(sum(log_probs[t, c] for t, c in enumerate(path)))
    return -np.log(total)


def test_ctc_matches_brute_force_enumeration():
    rng = np.random.default_rng(11)
    labels = np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0], [0, 0, 0], [2, 1, 2]])
    logits = rng.normal(size=(5, 5, 3)).astype("float64")
    expected = [_brute_force_ctc(labels[b], logits[b]) for b in range(5)]
    assert_close(jeras.losses.ctc(labels, logits.astype("float32")), expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("seed", [1, 2])
def test_ctc_random_inputs_match_keras(seed):
    # The shapes of _data("ctc"), so that both libraries reuse their compiled code.
    rng = np.random.default_rng(seed)
    labels = rng.integers(1, 5, (B, 3))
    for b in range(B):
        labels[b, rng.integers(0, 4):] = 0  # random trailing padding
    logits = (2 * rng.normal(size=(B, 7, 5))).astype("float32")
    assert_close(jeras.losses.ctc(labels, logits), keras.losses.ctc(labels, logits), rtol=2e-5)


def test_ctc_follows_keras_length_convention():
    # Keras counts the non-zero entries as the length and uses that many leading entries, so
    # an interior zero makes a blank-valued label and drops the last label.
    rng = np.random.default_rng(5)
    labels = np.array([[3, 0, 2], [0, 1, 0], [0, 0, 4], [1, 0, 0], [2, 2, 0], [4, 0, 4]])
    logits = rng.normal(size=(B, 7, 5)).astype("float32")
    assert_close(jeras.losses.ctc(labels, logits), keras.losses.ctc(labels, logits))


def test_ctc_impossible_alignment_is_large_and_finite():
    # Three labels with a repeat need five frames; with three there is no alignment. Keras
    # floors log-probabilities at -1e5 instead of -inf: a huge, finite loss and finite gradient.
    labels = np.array([[1, 1, 2]])
    logits = np.zeros((1, 3, 3), "float32")
    value = np.asarray(jeras.losses.ctc(labels, logits))
    assert np.all(np.isfinite(value)) and value[0] > 1e4
    assert np.asarray(keras.losses.ctc(labels, logits))[0] > 1e4
    grad = jax.grad(lambda p: jeras.losses.ctc(labels, p).sum())(jnp.asarray(logits))
    assert np.all(np.isfinite(np.asarray(grad)))


@pytest.mark.parametrize("t_shape,p_shape", [((4,), (4, 5, 3)), ((4, 2), (4, 5)),
                                             ((3, 2), (4, 5, 3))])
def test_ctc_bad_shapes_raise_value_error(t_shape, p_shape):
    y_true, y_pred = np.ones(t_shape, "int32"), np.zeros(p_shape, "float32")
    with pytest.raises(ValueError):
        if len(t_shape) == 2 and len(p_shape) == 3:
            keras.losses.ctc(y_true, y_pred).block_until_ready()
            raise ValueError("Keras gave no error")  # batch mismatch: reported by jeras only
        keras.losses.ctc(y_true, y_pred)
    with pytest.raises(ValueError) as info:
        jeras.losses.ctc(y_true, y_pred)
    assert str(t_shape) in str(info.value) and str(p_shape) in str(info.value)


# -- Circle -------------------------------------------------------------------------------------
def test_circle_output_mask_averages_over_positive_rows():
    # Rows without a positive pair have loss 0 and Keras leaves them out of the mean.
    y_true, y_pred = _data("circle", 4)
    values = np.asarray(keras.losses.circle(y_true, y_pred))
    assert (values == 0).sum() == 2
    expected = values[values > 0].mean()
    assert_close(jeras.losses.Circle()(y_true, y_pred), expected)
    # The function compiled as a loss (wrapped, as compile() does) keeps that behaviour.
    assert_close(jeras.losses.LossFunctionWrapper(jeras.losses.circle)(y_true, y_pred), expected)
    assert float(jeras.losses.Circle()(np.arange(B), y_pred)) == 0.0


def test_circle_with_reference_embeddings_matches_keras():
    rng = np.random.default_rng(8)
    y_true, y_pred = _data("circle", 8)
    refs, ref_labels = _unit_rows(rng, (5, 4)), np.array([0, 1, 2, 2, 4])
    kwargs = {"ref_labels": ref_labels, "ref_embeddings": refs, "remove_diagonal": False}
    assert_close(jeras.losses.circle(y_true, y_pred, **kwargs),
           keras.losses.circle(y_true, y_pred, **kwargs))


# -- fit()'s padded last batch: the row mask must reproduce the loss of the real rows --------------
PADDED = [("Dice", {}, "masks"), ("Tversky", {"alpha": 0.2, "beta": 0.8, "axis": (1, 2)}, "masks"),
          ("Circle", {"reduction": "sum"}, "circle"), ("CTC", {}, "ctc")]


@pytest.mark.parametrize("cls_name,kwargs,kind", PADDED,
                         ids=[f"{c[0]}-{c[1]}" for c in PADDED])
def test_row_mask_gives_loss_of_real_rows(cls_name, kwargs, kind):
    y_true, y_pred = _data(kind, 12)
    # Two padding rows, repeating real samples (any values must do), after the B real rows.
    t_pad = np.concatenate([y_true, y_true[:2]])
    p_pad = np.concatenate([y_pred, y_pred[:2]])
    mask = jnp.asarray([1.0] * B + [0.0] * 2)
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    actual = jax.jit(lambda t, p, m: j_loss._loss_with_mask(t, p, None, m))(t_pad, p_pad, mask)
    expected = getattr(keras.losses, cls_name)(**kwargs)(y_true, y_pred)
    assert_close(actual, expected)
    assert j_loss._row_mask_exact


def test_scalar_custom_loss_ignores_row_mask_instead_of_failing():
    # A plain function that averages over the batch itself has no rows left to mask.
    loss = jeras.losses.LossFunctionWrapper(lambda t, p: jnp.mean(jnp.square(t - p)), name="m")
    y_true, y_pred = _data("soft_2d", 2)
    value = loss._loss_with_mask(y_true, y_pred, None, jnp.ones(B))
    assert_close(value, np.mean((y_true - y_pred) ** 2))
    assert not loss._row_mask_exact


# -- names, configs, positional order --------------------------------------------------------------
NEW_CLASSES = ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky", "CTC",
               "Circle", "CategoricalGeneralizedCrossEntropy"]


@pytest.mark.parametrize("cls_name", NEW_CLASSES)
def test_default_name_and_config_match_keras(cls_name):
    k_loss, j_loss = getattr(keras.losses, cls_name)(), getattr(jeras.losses, cls_name)()
    assert j_loss.name == k_loss.name
    assert j_loss.reduction == k_loss.reduction
    # Same keys in the same order (configs are written to JSON in this order).
    assert list(j_loss.get_config().items()) == list(k_loss.get_config().items())


NON_DEFAULT = [
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.1, "gamma": 3.0,
                                 "from_logits": True, "label_smoothing": 0.05, "axis": 1,
                                 "reduction": "sum", "name": "bf"}),
    ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0, "from_logits": True,
                                      "label_smoothing": 0.1, "axis": 0, "reduction": None}),
    ("Dice", {"axis": (1, 2), "reduction": "mean", "name": "d"}),
    ("Tversky", {"alpha": 0.7, "beta": 0.3, "axis": 1, "name": "tv"}),
    ("CTC", {"reduction": "sum", "name": "c"}),
    ("Circle", {"gamma": 32.0, "margin": 0.25, "remove_diagonal": False,
                "reduction": "mean_with_sample_weight"}),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7, "reduction": "sum", "name": "g"}),
]


@pytest.mark.parametrize("cls_name,kwargs", NON_DEFAULT, ids=[c[0] for c in NON_DEFAULT])
def test_non_default_config_matches_keras(cls_name, kwargs):
    k_cfg = getattr(keras.losses, cls_name)(**kwargs).get_config()
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    assert list(j_loss.get_config().items()) == list(k_cfg.items())
    assert type(j_loss).from_config(j_loss.get_config()).get_config() == k_cfg


POSITIONAL = [
    ("BinaryFocalCrossentropy", (True, 0.3, 1.0, True, 0.1, 1, "sum", "bfp")),
    ("CategoricalFocalCrossentropy", (0.3, 1.0, True, 0.1, -1, "sum", "cfp")),
    ("Dice", ("sum", "dp", (1, 2))),
    ("Tversky", (0.2, 0.8, None, "tp", 1)),
    ("CTC", ("sum", "ctcp")),
    ("Circle", (10.0, 0.2, False, "sum", "cp")),
    ("CategoricalGeneralizedCrossEntropy", (0.25, "sum", "gp")),
]


@pytest.mark.parametrize("cls_name,args", POSITIONAL, ids=[c[0] for c in POSITIONAL])
def test_positional_arguments_follow_keras_order(cls_name, args):
    k_loss = getattr(keras.losses, cls_name)(*args)
    j_loss = getattr(jeras.losses, cls_name)(*args)
    assert j_loss.get_config() == k_loss.get_config()
    assert j_loss.name == k_loss.name and j_loss.reduction == k_loss.reduction


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5, 2.0])
def test_generalized_cross_entropy_rejects_q_outside_open_interval(q):
    with pytest.raises(ValueError):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=q)
    with pytest.raises(ValueError, match="q"):
        jeras.losses.CategoricalGeneralizedCrossEntropy(q=q)


def test_generalized_cross_entropy_column_labels_give_per_sample_values():
    # Keras documents labels of shape (batch,) or (batch, 1); for (batch, 1) Keras itself
    # broadcasts into a (batch, batch) matrix. jeras computes the documented value.
    y_true, y_pred = _data("sparse_probs", 6)
    expected = (1.0 - y_pred[np.arange(B), y_true] ** 0.5) / 0.5
    assert_close(jeras.losses.categorical_generalized_cross_entropy(y_true[:, None], y_pred, 0.5),
           expected)
    assert_close(jeras.losses.CategoricalGeneralizedCrossEntropy()(y_true[:, None], y_pred),
           expected.mean())


@pytest.mark.parametrize("fn_name", ["categorical_focal_crossentropy", "categorical_crossentropy"])
def test_single_class_warns_like_keras(fn_name):
    y = np.ones((3, 1), "float32")
    for module in (keras.losses, jeras.losses):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(module, fn_name)(y, y)
        assert any(issubclass(w.category, SyntaxWarning) for w in caught), module


BROADCAST_ERRORS = [
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy", (4, 3), (4, 2)),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy", (4, 1), (4, 3)),
    ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy", (4, 3), (4, 2)),
    ("Dice", "dice", (4, 3), (5, 3)),
    ("Tversky", "tversky", (4, 3), (4, 2)),
    ("CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy", (5,), (4, 3)),
    ("Circle", "circle", (5,), (4, 3)),
]


@pytest.mark.parametrize("cls_name,fn_name,t_shape,p_shape", BROADCAST_ERRORS,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in BROADCAST_ERRORS])
def test_unbroadcastable_shapes_raise_value_error_naming_both(cls_name, fn_name, t_shape, p_shape):
    y_true = np.zeros(t_shape, "float32")
    y_pred = np.full(p_shape, 0.5, "float32")
    with pytest.raises((ValueError, TypeError)):
        np.asarray(getattr(keras.losses, cls_name)()(y_true, y_pred))
    for call in (getattr(jeras.losses, cls_name)(),
                 lambda t, p: getattr(jeras.losses, fn_name)(
                     t, p, **({"q": 0.5} if "generalized" in fn_name else {}))):
        with pytest.raises(ValueError) as info:
            call(y_true, y_pred)
        message = str(info.value)
        assert str(t_shape) in message and str(p_shape) in message, message
        assert fn_name in message or cls_name in message, message


# -- get: every string Keras accepts, and the ones it refuses --------------------------------------
def _keras_names():
    from keras.src.losses import ALL_OBJECTS_DICT

    return sorted(ALL_OBJECTS_DICT)


@pytest.mark.parametrize("identifier", [n for n in _keras_names() if n != "LossFunctionWrapper"])
def test_get_every_keras_string(identifier):
    k_obj, j_obj = keras.losses.get(identifier), jeras.losses.get(identifier)
    if isinstance(k_obj, keras.losses.Loss):
        assert isinstance(j_obj, jeras.losses.Loss)
        assert type(j_obj).__name__ == type(k_obj).__name__
        if identifier != "Loss":  # the base class's auto name counts instances per library
            assert j_obj.get_config() == k_obj.get_config()
    else:
        assert callable(j_obj) and not isinstance(j_obj, jeras.losses.Loss)
        assert j_obj.__name__ == k_obj.__name__
        assert j_obj is getattr(jeras.losses, k_obj.__name__)


def test_get_loss_function_wrapper_name_fails_like_keras():
    with pytest.raises(TypeError):
        keras.losses.get("LossFunctionWrapper")
    with pytest.raises(TypeError):
        jeras.losses.get("LossFunctionWrapper")


@pytest.mark.parametrize("identifier", ["categorical_generalized_cross_entropy",
                                        "CategoricalGeneralizedCrossEntropy", "logcosh",
                                        "kullback_leibler_divergence", "huber_loss", "Dice_",
                                        "serialize", "get"])
def test_get_names_keras_refuses(identifier):
    with pytest.raises(ValueError):
        keras.losses.get(identifier)
    with pytest.raises(ValueError) as info:
        jeras.losses.get(identifier)
    message = str(info.value)
    assert identifier in message and "'circle'" in message and "'Tversky'" in message


def test_get_config_dict_class_and_instance():
    cfg = {"class_name": "Tversky", "config": {"alpha": 0.1, "beta": 0.9, "name": "t"}}
    assert jeras.losses.get(cfg).get_config() == keras.losses.get(cfg).get_config()
    obj = jeras.losses.get(jeras.losses.Dice)
    assert isinstance(obj, jeras.losses.Dice) and obj.name == "dice"
    loss = jeras.losses.CTC()
    assert jeras.losses.get(loss) is loss
    with pytest.raises(ValueError):
        jeras.losses.get(3)


# -- serialize / deserialize -------------------------------------------------------------------
SERIALIZED = NON_DEFAULT + [(name, {}) for name in NEW_CLASSES] + [
    ("MeanSquaredError", {}), ("Huber", {"delta": 2.0}),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}),
]


def _keras_deserialize(config):
    # keras.losses.deserialize does not know the generalized cross-entropy (it is missing from
    # Keras's name table) and hands back the bare name string, for Keras's own dicts too; Keras's
    # generic deserializer finds it through the module.
    if "generalized" in str(config).lower():
        return keras.saving.deserialize_keras_object(config)
    return keras.losses.deserialize(config)


@pytest.mark.parametrize("cls_name,kwargs", SERIALIZED,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SERIALIZED)])
def test_serialize_class_matches_keras_and_round_trips(cls_name, kwargs):
    k_loss = getattr(keras.losses, cls_name)(**kwargs)
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    k_dict, j_dict = keras.losses.serialize(k_loss), jeras.losses.serialize(j_loss)
    assert j_dict == k_dict
    back = jeras.losses.deserialize(j_dict)
    assert type(back) is type(j_loss) and back.get_config() == j_loss.get_config()
    # Each library reads the other's dict.
    assert jeras.losses.deserialize(k_dict).get_config() == k_loss.get_config()
    assert _keras_deserialize(j_dict).get_config() == k_loss.get_config()


@pytest.mark.parametrize("fn_name", ["dice", "tversky", "ctc", "circle", "binary_focal_crossentropy",
                                     "categorical_focal_crossentropy", "mean_squared_error",
                                     "categorical_generalized_cross_entropy"])
def test_serialize_function_matches_keras_and_round_trips(fn_name):
    k_dict = keras.losses.serialize(getattr(keras.losses, fn_name))
    j_dict = jeras.losses.serialize(getattr(jeras.losses, fn_name))
    assert j_dict == k_dict
    assert jeras.losses.deserialize(j_dict) is getattr(jeras.losses, fn_name)
    assert _keras_deserialize(j_dict) is getattr(keras.losses, fn_name)


def test_loss_function_wrapper_config_holds_the_function_like_keras():
    from keras.src.losses import LossFunctionWrapper as KerasWrapper

    k_cfg = KerasWrapper(keras.losses.tversky, name="w", alpha=0.2, axis=(1, 2)).get_config()
    j_loss = jeras.losses.LossFunctionWrapper(jeras.losses.tversky, name="w", alpha=0.2,
                                              axis=(1, 2))
    assert j_loss.get_config() == k_cfg
    back = jeras.losses.LossFunctionWrapper.from_config(j_loss.get_config())
    assert back.fn is jeras.losses.tversky and back.get_config() == k_cfg
    y_true, y_pred = _data("masks", 3)
    assert_close(back(y_true, y_pred), KerasWrapper(keras.losses.tversky, alpha=0.2,
                                              axis=(1, 2))(y_true, y_pred))
    assert KerasWrapper(keras.losses.dice).name.startswith("loss_function_wrapper")
    assert jeras.losses.LossFunctionWrapper(jeras.losses.dice).name.startswith(
        "loss_function_wrapper")


# -- custom losses, as in the guide ------------------------------------------------------------
@pytest.fixture
def restore_registries():
    """Registrations made by a test stay in that test (another file registers the same names)."""
    jeras_objects = dict(object_registration._GLOBAL_CUSTOM_OBJECTS)
    jeras_names = dict(object_registration._GLOBAL_CUSTOM_NAMES)
    keras_objects = dict(keras.saving.get_custom_objects())
    from keras.src.saving import object_registration as keras_registration

    keras_names = dict(keras_registration.GLOBAL_CUSTOM_NAMES)
    yield
    for current, saved in ((object_registration._GLOBAL_CUSTOM_OBJECTS, jeras_objects),
                           (object_registration._GLOBAL_CUSTOM_NAMES, jeras_names),
                           (keras.saving.get_custom_objects(), keras_objects),
                           (keras_registration.GLOBAL_CUSTOM_NAMES, keras_names)):
        current.clear()
        current.update(saved)


def _custom_mse_class(lib, ops):
    @lib.saving.register_keras_serializable()
    class CustomMSE(lib.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse", **kwargs):
            super().__init__(name=name, **kwargs)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

        def get_config(self):
            config = super().get_config()
            config["regularization_factor"] = self.regularization_factor
            return config

    return CustomMSE


def test_custom_loss_subclass_round_trips_like_keras(restore_registries):
    KerasMSE = _custom_mse_class(keras, keras.ops)
    JerasMSE = _custom_mse_class(jeras, jeras.ops)
    k_loss, j_loss = KerasMSE(0.3, reduction="sum"), JerasMSE(0.3, reduction="sum")
    k_dict, j_dict = keras.losses.serialize(k_loss), jeras.losses.serialize(j_loss)
    assert j_dict == k_dict
    assert j_dict["registered_name"] == "Custom>CustomMSE"
    back = jeras.losses.deserialize(j_dict)
    assert type(back) is JerasMSE and back.get_config() == j_loss.get_config()
    assert type(jeras.losses.get(j_dict)) is JerasMSE
    y_true, y_pred = _data("soft_2d", 4)
    expected = np.sum(np.mean((y_true - y_pred) ** 2, -1) + 0.3 * np.mean((0.5 - y_pred) ** 2, -1))
    assert_close(back(y_true, y_pred), expected)
    assert_close(back(y_true, y_pred), k_loss(y_true, y_pred))
    assert not back._row_mask_exact


def test_custom_loss_function_round_trips_like_keras(restore_registries):
    def make(lib, ops):
        @lib.saving.register_keras_serializable(package="my_package")
        def weighted_mae(y_true, y_pred):
            return ops.mean(ops.abs(y_true - y_pred) * 2.0, axis=-1)

        return weighted_mae

    k_fn, j_fn = make(keras, keras.ops), make(jeras, jeras.ops)
    assert jeras.losses.serialize(j_fn) == keras.losses.serialize(k_fn)
    assert jeras.losses.deserialize(jeras.losses.serialize(j_fn)) is j_fn
    assert jeras.losses.get("my_package>weighted_mae") is j_fn

    # Unregistered, a plain function serializes by name and comes back through custom_objects.
    def plain(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)

    j_dict = jeras.losses.serialize(plain)
    assert j_dict == {"module": "builtins", "class_name": "function", "config": "plain",
                      "registered_name": "function"}
    assert jeras.losses.deserialize(j_dict, custom_objects={"plain": plain}) is plain
    y_true, y_pred = _data("soft_2d", 5)
    assert_close(jeras.losses.get(plain)(y_true, y_pred), np.mean(np.abs(y_true - y_pred), -1))


# -- in a compiled model: the fused training step with a padded last batch -------------------------
def _twin_models(units, seed, activation=None, scale=0.5):
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(3, units)).astype("float32") * scale
    bias = rng.normal(size=(units,)).astype("float32") * 0.1
    models = []
    for lib in (keras, jeras):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(units, activation=activation)])
        model.layers[-1].set_weights([kernel, bias])
        models.append(model)
    return models


MODEL_CASES = [
    ("Dice", {}, "sigmoid_units"),
    ("Circle", {"gamma": 1.0}, "embedding"),
]


@pytest.mark.parametrize("cls_name,kwargs,kind", MODEL_CASES, ids=[c[0] for c in MODEL_CASES])
def test_fit_and_evaluate_match_keras(cls_name, kwargs, kind):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(10, 3)).astype("float32")
    if kind == "embedding":
        y = np.array([0, 1, 0, 1, 2, 2, 0, 1, 2, 0])
    else:
        y = rng.integers(0, 2, (10, 2)).astype("float32")
    # Circle compares embeddings by dot products: small weights keep them near the unit scale.
    k_model, j_model = _twin_models(2, 3, "sigmoid" if cls_name == "Dice" else None,
                                    0.1 if kind == "embedding" else 0.5)
    for model, lib in ((k_model, keras), (j_model, jeras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1),
                      loss=getattr(lib.losses, cls_name)(**kwargs))
    # batch_size 4 leaves a last batch of 2: Keras runs it short, jeras pads it.
    k_hist = k_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    j_hist = j_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    assert_close(j_hist["loss"], k_hist["loss"], rtol=1e-4)
    for k_w, j_w in zip(k_model.get_weights(), j_model.get_weights()):
        assert_close(j_w, k_w, rtol=1e-4)
