"""Differential tests of the task-specific losses: focal cross-entropies (class imbalance),
Dice and Tversky (segmentation overlap), CTC (sequences), Circle (metric learning) and the
generalized cross-entropy (noisy labels), as functions, classes, under jit, in gradients and in
a compiled fit: jeras against real Keras 3 (JAX backend), or against NumPy formulas written
here."""

import itertools
import warnings

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close, sample_weights, target_and_prediction

import jeras

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
        return (
            rng.integers(0, 2, (B, 3)).astype("float32"),
            rng.choice([0.0, 1.0, 0.3], (B, 3)).astype("float32"),
        )
    if kind == "binary_logits":
        return (
            rng.integers(0, 2, (B, 2, 3)).astype("float32"),
            3 * rng.normal(size=(B, 2, 3)).astype("float32"),
        )
    if kind == "binary_col":
        return (
            rng.integers(0, 2, (B,)).astype("float32"),
            rng.uniform(0.02, 0.98, (B, 1)).astype("float32"),
        )
    if kind == "onehot_probs":
        p = rng.uniform(0.05, 1.0, (B, 4)).astype("float32")
        return np.eye(4, dtype="float32")[rng.integers(0, 4, B)], p / p.sum(-1, keepdims=True)
    if kind == "onehot_unnormalized":
        return target_and_prediction(kind, rng, (B, 4))
    if kind == "onehot_logits":
        return (
            np.eye(4, dtype="float32")[rng.integers(0, 4, (B, 2))],
            2 * rng.normal(size=(B, 2, 4)).astype("float32"),
        )
    if kind == "masks":
        # Segmentation-like targets: (batch, height, width, 1).
        return target_and_prediction("masks", rng, (B, 3, 3, 1))
    if kind == "soft_2d":
        return target_and_prediction("soft", rng, (B, 5))
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
    (
        "BinaryFocalCrossentropy",
        {"gamma": 0.0},
        "binary_focal_crossentropy",
        {"gamma": 0.0},
        "binary_probs",
    ),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
        "binary_focal_crossentropy",
        {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
        "binary_probs",
    ),
    (
        "BinaryFocalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "binary_focal_crossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "binary_logits",
    ),
    (
        "BinaryFocalCrossentropy",
        {"from_logits": True, "axis": 1, "apply_class_balancing": True},
        "binary_focal_crossentropy",
        {"from_logits": True, "axis": 1, "apply_class_balancing": True},
        "binary_logits",
    ),
    ("BinaryFocalCrossentropy", {}, "binary_focal_crossentropy", {}, "binary_col"),
    ("CategoricalFocalCrossentropy", {}, "categorical_focal_crossentropy", {}, "onehot_probs"),
    (
        "CategoricalFocalCrossentropy",
        {"gamma": 0.5},
        "categorical_focal_crossentropy",
        {"gamma": 0.5},
        "onehot_unnormalized",
    ),
    (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "categorical_focal_crossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "onehot_logits",
    ),
    (
        "CategoricalFocalCrossentropy",
        {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 3.0},
        "categorical_focal_crossentropy",
        {"alpha": [0.1, 0.2, 0.3, 0.4], "gamma": 3.0},
        "onehot_probs",
    ),
    (
        "CategoricalFocalCrossentropy",
        {"from_logits": True, "axis": 1},
        "categorical_focal_crossentropy",
        {"from_logits": True, "axis": 1},
        "onehot_logits",
    ),
    ("Dice", {}, "dice", {}, "masks"),
    ("Dice", {"axis": (1, 2, 3)}, "dice", {"axis": (1, 2, 3)}, "masks"),
    ("Dice", {"axis": [1, 2]}, "dice", {"axis": [1, 2]}, "masks"),
    ("Dice", {"axis": -1}, "dice", {"axis": -1}, "soft_2d"),
    ("Tversky", {}, "tversky", {}, "masks"),
    (
        "Tversky",
        {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)},
        "tversky",
        {"alpha": 0.3, "beta": 0.7, "axis": (1, 2, 3)},
        "masks",
    ),
    (
        "Tversky",
        {"alpha": 0.9, "beta": 0.1, "axis": 1},
        "tversky",
        {"alpha": 0.9, "beta": 0.1, "axis": 1},
        "soft_2d",
    ),
    ("CTC", {}, "ctc", {}, "ctc"),
    ("Circle", {}, "circle", {}, "circle"),
    ("Circle", {"gamma": 2.0, "margin": 0.1}, "circle", {"gamma": 2.0, "margin": 0.1}, "circle"),
    (
        "Circle",
        {"remove_diagonal": False, "gamma": 10.0},
        "circle",
        {"remove_diagonal": False, "gamma": 10.0},
        "circle",
    ),
    ("Circle", {"margin": 0.25}, "circle", {"margin": 0.25}, "circle_col"),
    (
        "CategoricalGeneralizedCrossEntropy",
        {},
        "categorical_generalized_cross_entropy",
        {"q": 0.5},
        "sparse_probs",
    ),
    (
        "CategoricalGeneralizedCrossEntropy",
        {"q": 0.2},
        "categorical_generalized_cross_entropy",
        {"q": 0.2},
        "sparse_probs",
    ),
]
CASE_IDS = [
    f"{c[0]}-{'_'.join(f'{k}={v}' for k, v in c[1].items()) or 'default'}-{c[4]}" for c in CASES
]


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
FULL_REDUCTION = {
    "Dice-axis=(1, 2, 3)-masks",
    "Circle-default-circle",
    "BinaryFocalCrossentropy-from_logits=True_label_smoothing=0.2-binary_logits",
}
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


@pytest.mark.parametrize(
    "case", [CASES[i] for i in JIT_CASES], ids=[CASE_IDS[i] for i in JIT_CASES]
)
def test_class_under_jit_matches_keras(case):
    cls_name, kwargs, _, _, kind = case
    y_true, y_pred = _data(kind, 7)
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    actual = jax.jit(lambda t, p: j_loss(t, p))(y_true, y_pred)
    assert_close(actual, getattr(keras.losses, cls_name)(**kwargs)(y_true, y_pred))


# -- gradients ------------------------------------------------------------------------------------
GRAD_CASES = [
    ("CategoricalFocalCrossentropy", {"from_logits": True}, "onehot_logits"),
    ("CTC", {}, "ctc"),
    # Two rows of _data("circle") have no positive pair: their gradient must be 0, not NaN.
    ("Circle", {"gamma": 4.0}, "circle"),
]


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
        labels[b, rng.integers(0, 4) :] = 0  # random trailing padding
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


@pytest.mark.parametrize(
    "t_shape,p_shape", [((4,), (4, 5, 3)), ((4, 2), (4, 5)), ((3, 2), (4, 5, 3))]
)
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
    assert_close(
        jeras.losses.circle(y_true, y_pred, **kwargs), keras.losses.circle(y_true, y_pred, **kwargs)
    )


# -- fit()'s padded last batch: the row mask must reproduce the loss of the real rows --------------
PADDED = [
    ("Dice", {}, "masks"),
    ("Tversky", {"alpha": 0.2, "beta": 0.8, "axis": (1, 2)}, "masks"),
    ("Circle", {"reduction": "sum"}, "circle"),
    ("CTC", {}, "ctc"),
]


@pytest.mark.parametrize("cls_name,kwargs,kind", PADDED, ids=[f"{c[0]}-{c[1]}" for c in PADDED])
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
    assert j_loss.exact_under_padding


def test_scalar_custom_loss_ignores_row_mask_instead_of_failing():
    # A plain function that averages over the batch itself has no rows left to mask.
    loss = jeras.losses.LossFunctionWrapper(lambda t, p: jnp.mean(jnp.square(t - p)), name="m")
    y_true, y_pred = _data("soft_2d", 2)
    value = loss._loss_with_mask(y_true, y_pred, None, jnp.ones(B))
    assert_close(value, np.mean((y_true - y_pred) ** 2))
    assert not loss.exact_under_padding


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
    assert_close(
        jeras.losses.categorical_generalized_cross_entropy(y_true[:, None], y_pred, 0.5), expected
    )
    assert_close(
        jeras.losses.CategoricalGeneralizedCrossEntropy()(y_true[:, None], y_pred), expected.mean()
    )


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


@pytest.mark.parametrize(
    "cls_name,fn_name,t_shape,p_shape",
    BROADCAST_ERRORS,
    ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in BROADCAST_ERRORS],
)
def test_unbroadcastable_shapes_raise_value_error_naming_both(cls_name, fn_name, t_shape, p_shape):
    y_true = np.zeros(t_shape, "float32")
    y_pred = np.full(p_shape, 0.5, "float32")
    with pytest.raises((ValueError, TypeError)):
        np.asarray(getattr(keras.losses, cls_name)()(y_true, y_pred))
    for call in (
        getattr(jeras.losses, cls_name)(),
        lambda t, p: getattr(jeras.losses, fn_name)(
            t, p, **({"q": 0.5} if "generalized" in fn_name else {})
        ),
    ):
        with pytest.raises(ValueError) as info:
            call(y_true, y_pred)
        message = str(info.value)
        assert str(t_shape) in message and str(p_shape) in message, message
        assert fn_name in message or cls_name in message, message


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
    k_model, j_model = _twin_models(
        2, 3, "sigmoid" if cls_name == "Dice" else None, 0.1 if kind == "embedding" else 0.5
    )
    for model, lib in ((k_model, keras), (j_model, jeras)):
        model.compile(
            optimizer=lib.optimizers.SGD(0.1), loss=getattr(lib.losses, cls_name)(**kwargs)
        )
    # batch_size 4 leaves a last batch of 2: Keras runs it short, jeras pads it.
    k_hist = k_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    j_hist = j_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    assert_close(j_hist["loss"], k_hist["loss"], rtol=1e-4)
    for k_w, j_w in zip(k_model.get_weights(), j_model.get_weights()):
        assert_close(j_w, k_w, rtol=1e-4)
