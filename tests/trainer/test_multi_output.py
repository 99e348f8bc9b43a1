"""Multi-input / multi-output compile and fit against real Keras 3: loss and metric structures,
loss weights, per-output sample weights, and log key names."""

import keras
import numpy as np
import pytest
from oracle import assert_same_history, for_library, keras_and_jeras, matmul_tolerance

import jeras

HISTORY_TOLERANCE = matmul_tolerance(atol=1e-4, rtol=1e-4)


def _model(lib):
    title = lib.Input(shape=(8,), name="title")
    body = lib.Input(shape=(5,), name="body")
    h = lib.layers.Dense(12, activation="relu", name="h")(title)
    g = lib.layers.Dense(12, activation="relu", name="g")(body)
    merged = lib.layers.Dense(12, activation="tanh", name="merged")(h)
    score = lib.layers.Dense(1, name="score_output")(merged)
    classes = lib.layers.Dense(5, activation="softmax", name="class_output")(g)
    return lib.Model([title, body], [score, classes])


def _data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    xa = rng.normal(size=(n, 8)).astype("float32")
    xb = rng.normal(size=(n, 5)).astype("float32")
    ys = rng.normal(size=(n, 1)).astype("float32")
    yc = np.eye(5, dtype="float32")[rng.integers(0, 5, n)]
    return xa, xb, ys, yc


def _fit_both(compile_kwargs, fit_kwargs, x=None, y=None):
    xa, xb, ys, yc = _data()
    x = x or (lambda d: [d[0], d[1]])
    y = y or (lambda d: [d[2], d[3]])
    data = (xa, xb, ys, yc)
    histories = []
    for model, lib in zip(keras_and_jeras(_model), (keras, jeras)):
        model.compile(
            optimizer="rmsprop", **{k: for_library(v, lib) for k, v in compile_kwargs.items()}
        )
        kwargs = {k: (v(data) if callable(v) else v) for k, v in fit_kwargs.items()}
        histories.append(
            model.fit(
                x(data), y(data), batch_size=16, epochs=2, shuffle=False, verbose=0, **kwargs
            ).history
        )
    return histories


CASES = {
    "list_losses_nested_metrics_weights": dict(
        loss=lambda lib: [lib.losses.MeanSquaredError(), lib.losses.CategoricalCrossentropy()],
        metrics=lambda lib: [
            [lib.metrics.MeanAbsolutePercentageError(), lib.metrics.MeanAbsoluteError()],
            [lib.metrics.CategoricalAccuracy()],
        ],
        loss_weights=[2.0, 0.5],
    ),
    "dict_losses_and_metrics": dict(
        loss={"score_output": "mse", "class_output": "categorical_crossentropy"},
        metrics={"class_output": ["accuracy", "acc"], "score_output": ["mae"]},
        weighted_metrics={"class_output": ["accuracy"]},
        loss_weights={"score_output": 1.0, "class_output": 0.2},
    ),
    "one_loss_for_all_outputs": dict(loss="mse", metrics=["mae", ["mse", "mae"]]),
    "none_for_an_output": dict(
        loss=[None, "categorical_crossentropy"], metrics=[None, ["accuracy"]]
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_multi_output_logs_match_keras(case):
    h_keras, h_jeras = _fit_both(CASES[case], {"validation_split": 0.2})
    assert_same_history(h_jeras, h_keras, **HISTORY_TOLERANCE)


def test_dict_inputs_and_targets_by_name_match_keras():
    h_keras, h_jeras = _fit_both(
        dict(loss=["mse", "categorical_crossentropy"], metrics=[["mae"], ["accuracy"]]),
        {},
        x=lambda d: {"title": d[0], "body": d[1]},
        y=lambda d: {"score_output": d[2], "class_output": d[3]},
    )
    assert_same_history(h_jeras, h_keras, **HISTORY_TOLERANCE)


def test_per_output_sample_weights_match_keras():
    rng = np.random.default_rng(9)
    sw_score = rng.uniform(0, 2, 90).astype("float32")
    sw_class = rng.uniform(0, 2, 90).astype("float32")
    h_keras, h_jeras = _fit_both(
        dict(loss=["mse", "categorical_crossentropy"], weighted_metrics=[["mae"], ["accuracy"]]),
        {"sample_weight": lambda d: [sw_score, sw_class]},
    )
    assert_same_history(h_jeras, h_keras, **HISTORY_TOLERANCE)
    h_keras, h_jeras = _fit_both(
        dict(loss=["mse", "categorical_crossentropy"]), {"sample_weight": lambda d: sw_score}
    )
    assert_same_history(h_jeras, h_keras, **HISTORY_TOLERANCE)


def test_loss_dict_that_leaves_an_output_out_trains_like_none():
    # The guide's form (Keras 3 itself refuses it): an output missing from the loss dict has no
    # loss, exactly as `None` for that output in Keras.
    xa, xb, ys, yc = _data()
    k_model, j_model = keras_and_jeras(_model)
    k_model.compile(optimizer="rmsprop", loss=[None, "categorical_crossentropy"])
    j_model.compile(optimizer="rmsprop", loss={"class_output": "categorical_crossentropy"})
    h_keras = k_model.fit(
        [xa, xb], [ys, yc], batch_size=16, epochs=2, shuffle=False, verbose=0
    ).history
    h_jeras = j_model.fit(
        [xa, xb], {"class_output": yc}, batch_size=16, epochs=2, shuffle=False, verbose=0
    ).history
    assert_same_history(h_jeras, h_keras, **HISTORY_TOLERANCE)


def test_predict_returns_the_output_structure():
    xa, xb, _, _ = _data()
    k_model, j_model = keras_and_jeras(_model)
    p_keras = k_model.predict([xa, xb], verbose=0)
    p_jeras = j_model.predict([xa, xb], verbose=0)
    assert isinstance(p_jeras, list) and len(p_jeras) == 2
    for a, b in zip(p_jeras, p_keras):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_metrics_names_and_evaluate_order_match_keras():
    xa, xb, ys, yc = _data()
    results = []
    for model, lib in zip(keras_and_jeras(_model), (keras, jeras)):
        model.compile(
            optimizer="sgd",
            loss=["mse", "categorical_crossentropy"],
            metrics=[["mae"], ["accuracy"]],
        )
        values = model.evaluate([xa, xb], [ys, yc], verbose=0)
        results.append((model.metrics_names, values))
    (k_names, k_values), (j_names, j_values) = results
    assert j_names == k_names
    np.testing.assert_allclose(j_values, k_values, rtol=1e-5)


# -- bad input --------------------------------------------------------------------------------
def _compiled(**kwargs):
    model = _model(jeras)
    model.compile(optimizer="sgd", **kwargs)
    return model


def test_loss_dict_naming_an_unknown_output_lists_the_real_names():
    xa, xb, ys, yc = _data()
    model = _compiled(loss={"scores": "mse"})
    with pytest.raises(ValueError, match=r"scores.*score_output.*class_output"):
        model.fit([xa, xb], [ys, yc], verbose=0)


def test_loss_list_of_the_wrong_length():
    xa, xb, ys, yc = _data()
    model = _compiled(loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match="3 element"):
        model.fit([xa, xb], [ys, yc], verbose=0)


def test_metrics_dict_naming_an_unknown_output():
    xa, xb, ys, yc = _data()
    model = _compiled(loss="mse", metrics={"nope": ["mae"]})
    with pytest.raises(ValueError, match=r"nope.*score_output"):
        model.fit([xa, xb], [ys, yc], verbose=0)


def test_missing_input_key():
    xa, xb, ys, yc = _data()
    model = _compiled(loss="mse")
    with pytest.raises(ValueError, match=r"missing input.*body"):
        model.fit({"title": xa}, [ys, yc], verbose=0)


def test_class_weight_with_a_multi_output_model():
    xa, xb, ys, yc = _data()
    model = _compiled(loss="mse")
    with pytest.raises(ValueError, match="single output"):
        model.fit([xa, xb], [ys, yc], class_weight={0: 1.0}, verbose=0)


def test_sample_weight_of_a_wrong_shape():
    xa, xb, ys, yc = _data()
    model = _compiled(loss="mse")
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit([xa, xb], [ys, yc], sample_weight=np.ones((90, 3, 2)), verbose=0)
