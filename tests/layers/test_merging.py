"""Merging layers and their functional forms against real Keras; the guide's multi-input,
multi-output model (Conv2D / Conv1D / global pooling / concatenate) built and predicting as in
Keras with the same weights; bad input."""

import keras
import numpy as np
import pytest
from oracle import assert_layer_matches_keras

import jeras

RNG = np.random.default_rng(5)
# Elementwise float32 results: a few ulps at most.
TOLERANCE = {"atol": 1e-6, "rtol": 1e-6}
ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


_SHAPES = {
    "two": [(3, 4), (3, 4)],
    "three": [(2, 3, 4), (2, 3, 4), (2, 3, 4)],
    "broadcast": [(2, 1, 4), (2, 3, 4)],  # over a length-1 axis
    "rank": [(2, 4), (2, 3, 4)],  # lower rank: axes inserted after the batch axis
}


@pytest.mark.parametrize(
    "name, case",
    [
        (name, case)
        for name in ELEMENTWISE
        for case in _SHAPES
        if not (name == "Subtract" and len(_SHAPES[case]) != 2)
    ],
)
def test_elementwise_merge_matches_keras(name, case):
    assert_layer_matches_keras(name, [_x(*s) for s in _SHAPES[case]], **TOLERANCE)


def test_elementwise_formulas_numpy():
    a, b, c = _x(2, 3), _x(2, 3), _x(2, 3)
    layers = jeras.layers
    np.testing.assert_allclose(np.asarray(layers.Add()([a, b, c])), a + b + c, atol=1e-6)
    np.testing.assert_allclose(np.asarray(layers.Subtract()([a, b])), a - b, atol=1e-6)
    np.testing.assert_allclose(np.asarray(layers.Multiply()([a, b, c])), a * b * c, atol=1e-6)
    np.testing.assert_allclose(np.asarray(layers.Average()([a, b, c])), (a + b + c) / 3, atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(layers.Maximum()([a, b, c])), np.maximum(np.maximum(a, b), c)
    )
    np.testing.assert_allclose(
        np.asarray(layers.Minimum()([a, b, c])), np.minimum(np.minimum(a, b), c)
    )


@pytest.mark.parametrize(
    "axis, shapes",
    [
        (-1, [(2, 3), (2, 5)]),
        (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
        (2, [(2, 3, 4), (2, 3, 1)]),
        (-2, [(2, 3, 4), (2, 5, 4)]),
    ],
)
def test_concatenate_matches_keras(axis, shapes):
    assert_layer_matches_keras("Concatenate", [_x(*s) for s in shapes], axis=axis, **TOLERANCE)


@pytest.mark.parametrize(
    "axes, normalize, shapes",
    [
        (1, False, [(3, 4), (3, 4)]),
        (-1, True, [(3, 4), (3, 4)]),
        ((2, 2), False, [(2, 3, 4), (2, 5, 4)]),
        ((1, 2), False, [(2, 3, 4), (2, 5, 3)]),
        ((2, 1), True, [(2, 3, 4), (2, 4, 5)]),
        (1, False, [(2, 4), (2, 4, 3)]),
        (-1, False, [(2, 3, 4), (2, 4)]),
        ((3, 1), True, [(2, 2, 3, 4), (2, 4, 5)]),
    ],
)
def test_dot_matches_keras(axes, normalize, shapes):
    assert_layer_matches_keras(
        "Dot", [_x(*s) for s in shapes], axes=axes, normalize=normalize, **TOLERANCE
    )


def test_dot_normalized_is_cosine_similarity_and_zero_vector_stays_zero():
    a, b = _x(4, 6), _x(4, 6)
    a[0] = 0.0
    out = np.asarray(jeras.layers.Dot(axes=1, normalize=True)([a, b]))
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-30)
    np.testing.assert_allclose(out[:, 0], cos, atol=1e-6)
    assert out.shape == (4, 1)


@pytest.mark.parametrize(
    "fn, kwargs, n",
    [
        ("add", {}, 3),
        ("subtract", {}, 2),
        ("multiply", {}, 2),
        ("average", {}, 3),
        ("maximum", {}, 2),
        ("minimum", {}, 3),
        ("concatenate", {"axis": 1}, 3),
        ("dot", {"axes": (2, 2)}, 2),
        ("dot", {}, 2),
    ],
)
def test_functional_forms_in_models_match_keras(fn, kwargs, n):
    def build(lib):
        inputs = [lib.Input((3, 4), name=f"in_{i}") for i in range(n)]
        out = getattr(lib.layers, fn)(inputs, name="merge", **kwargs)
        return lib.Model(inputs, out)

    k_model, j_model = build(keras), build(jeras)
    assert tuple(j_model.output.shape) == tuple(k_model.output.shape)
    assert type(j_model.get_layer("merge")).__name__ == type(k_model.get_layer("merge")).__name__
    xs = [_x(2, 3, 4) for _ in range(n)]
    np.testing.assert_allclose(np.asarray(j_model(xs)), np.asarray(k_model(xs)), atol=1e-5)


@pytest.mark.parametrize(
    "name, kwargs, shapes",
    [
        ("Add", {}, [(None, 3), (None, 3)]),
        ("Multiply", {}, [(None, 1, 4), (None, 5, 4)]),
        ("Maximum", {}, [(None, 4), (None, 5, 4)]),
        ("Concatenate", {"axis": 1}, [(None, None, 4), (None, 2, 4)]),
        ("Concatenate", {}, [(None, None, 4), (None, None, 6)]),
        ("Dot", {"axes": (2, 2)}, [(None, None, 4), (None, 3, 4)]),
        ("Dot", {"axes": 1}, [(None, 4), (None, 4)]),
    ],
)
def test_symbolic_output_shapes_match_keras(name, kwargs, shapes):
    k_out = getattr(keras.layers, name)(**kwargs)([keras.Input(batch_shape=s) for s in shapes])
    j_out = getattr(jeras.layers, name)(**kwargs)([jeras.Input(batch_shape=s) for s in shapes])
    assert tuple(j_out.shape) == tuple(k_out.shape)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Add", {}),
        ("Subtract", {}),
        ("Multiply", {}),
        ("Average", {}),
        ("Maximum", {}),
        ("Minimum", {}),
        ("Concatenate", {}),
        ("Concatenate", {"axis": 1}),
        ("Dot", {"axes": 1}),
        ("Dot", {"axes": (1, 2), "normalize": True}),
    ],
)
def test_get_config_matches_keras(name, kwargs):
    k_config = getattr(keras.layers, name)(name="m", **kwargs).get_config()
    j_layer = getattr(jeras.layers, name)(name="m", **kwargs)
    assert j_layer.get_config() == k_config
    assert type(j_layer).from_config(k_config).get_config() == k_config


# -- the guide's multi-input, multi-output model --------------------------------------------------
def _guide_model(lib, init="glorot_uniform"):
    image_input = lib.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = lib.Input(shape=(None, 10), name="ts_input")
    x1 = lib.layers.Conv2D(3, 3, kernel_initializer=init)(image_input)
    x1 = lib.layers.GlobalMaxPooling2D()(x1)
    x2 = lib.layers.Conv1D(3, 3, kernel_initializer=init)(timeseries_input)
    x2 = lib.layers.GlobalMaxPooling1D()(x2)
    x = lib.layers.concatenate([x1, x2])
    score_output = lib.layers.Dense(1, name="score_output", kernel_initializer=init)(x)
    class_output = lib.layers.Dense(5, name="class_output", kernel_initializer=init)(x)
    return lib.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


def _guide_pair():
    """The guide's model in Keras and jeras with the same random weights. Keras starts from
    zeros: its random initializers compile once per weight shape, seconds for nothing here."""
    k_model, j_model = _guide_model(keras, init="zeros"), _guide_model(jeras)
    weights = [0.3 * RNG.standard_normal(w.shape).astype("float32") for w in k_model.get_weights()]
    k_model.set_weights(weights)
    j_model.set_weights(weights)
    return k_model, j_model


def test_guide_multi_input_multi_output_model_matches_keras():
    k_model, j_model = _guide_pair()
    assert [type(l).__name__ for l in j_model.layers] == [type(l).__name__ for l in k_model.layers]
    assert [tuple(t.shape) for t in j_model.outputs] == [tuple(t.shape) for t in k_model.outputs]
    assert tuple(j_model.get_layer(index=3).output.shape) == (None, None, 3)
    assert [tuple(w.shape) for w in j_model.weights] == [tuple(w.shape) for w in k_model.weights]
    assert j_model.count_params() == k_model.count_params()
    images = RNG.random((6, 32, 32, 3)).astype("float32")
    for steps in (20, 9):
        series = RNG.random((6, steps, 10)).astype("float32")
        k_pred = k_model.predict([images, series], verbose=0)
        j_pred = j_model.predict([images, series], verbose=0)
        assert len(j_pred) == 2
        for j_out, k_out in zip(j_pred, k_pred):
            assert j_out.shape == k_out.shape
            np.testing.assert_allclose(j_out, k_out, atol=1e-5, rtol=1e-5)


def test_guide_model_trains_like_keras():
    k_model, j_model = _guide_pair()
    images = RNG.random((16, 32, 32, 3)).astype("float32")
    series = RNG.random((16, 12, 10)).astype("float32")
    score = RNG.random((16, 1)).astype("float32")
    classes = RNG.random((16, 5)).astype("float32")
    for model, lib in ((k_model, keras), (j_model, jeras)):
        model.compile(
            optimizer=lib.optimizers.SGD(0.05),
            loss=[lib.losses.MeanSquaredError(), lib.losses.MeanSquaredError()],
        )
        model.fit(
            [images, series], [score, classes], batch_size=8, epochs=1, shuffle=False, verbose=0
        )
    for j_w, k_w in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(j_w, k_w, atol=1e-5, rtol=1e-4)


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kwargs, shapes",
    [
        ("Add", {}, [(2, 3), (2, 4)]),
        ("Average", {}, [(2, 3, 4), (2, 2, 4)]),
        ("Concatenate", {}, [(2, 3, 4), (2, 5, 6)]),
        ("Concatenate", {"axis": 1}, [(2, 3), (2, 3, 1)]),
        ("Dot", {"axes": 1}, [(2, 3), (2, 4)]),
        ("Subtract", {}, [(2, 3), (2, 3), (2, 3)]),
        ("Dot", {"axes": 1}, [(2, 3)]),
    ],
)
def test_mismatched_shapes_name_layer_and_shapes(name, kwargs, shapes):
    layer = getattr(jeras.layers, name)(name="bad_merge", **kwargs)
    with pytest.raises(ValueError, match="bad_merge") as info:
        layer([_x(*s) for s in shapes])
    assert all(str(s) in str(info.value) for s in shapes)
    symbolic = [(None,) + s[1:] for s in shapes]
    layer = getattr(jeras.layers, name)(name="bad_merge_sym", **kwargs)
    with pytest.raises(ValueError, match="bad_merge_sym") as info:
        layer([jeras.Input(s[1:]) for s in shapes])
    assert all(str(s) in str(info.value) for s in symbolic)


def test_built_layer_rejects_new_incompatible_shapes():
    layer = jeras.layers.Add(name="add_again")
    layer([_x(2, 3), _x(2, 3)])
    with pytest.raises(ValueError, match=r"add_again.*\(2, 5\)"):
        layer([_x(2, 3), _x(2, 5)])


def test_single_tensor_instead_of_list():
    with pytest.raises(ValueError, match="not_a_list"):
        jeras.layers.Concatenate(name="not_a_list")(_x(2, 3))


def test_dot_bad_axes_argument():
    with pytest.raises(ValueError):
        jeras.layers.Dot(axes=(1, 2, 3))
    with pytest.raises(TypeError):
        jeras.layers.Dot(axes="1")
