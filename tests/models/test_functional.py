"""The functional graph, Sequential and subclassed models, checked against real Keras.

Each model is built twice by the same function, once with `keras` and once with `jeras`, with
explicit names (or after `clear_session()` in both) so that names are deterministic. Structure
(layer names, weight paths, weight shapes, output names) must be equal; after copying Keras's
weights into the jeras model, predictions must agree.
"""

import contextlib
import io

import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, keras_and_jeras, matmul_tolerance

import jeras

RNG = np.random.default_rng(0)
# float32: a few ulps apart when XLA fuses differently, hence the relative term.
PREDICTION_TOLERANCE = matmul_tolerance(atol=1e-6, rtol=1e-6)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _fresh_pair(builder):
    return keras_and_jeras(builder, same_weights=False, clear_session=True)


def _assert_same_structure(k_model, j_model):
    assert [l.name for l in j_model.layers] == [l.name for l in k_model.layers]
    assert [w.path for w in j_model.weights] == [w.path for w in k_model.weights]
    k_weights, j_weights = k_model.get_weights(), j_model.get_weights()
    assert [w.shape for w in j_weights] == [w.shape for w in k_weights]
    assert j_model.count_params() == k_model.count_params()


def _assert_same_predictions(k_model, j_model, x):
    j_model.set_weights(k_model.get_weights())
    # Keras's eager call (op by op) is its reference forward pass; it avoids compiling Keras's
    # predict function in every test.
    expected = as_numpy(k_model(x, training=False))
    predicted = j_model.predict(x, verbose=0)
    assert_close(predicted, expected, check_shape=True, **PREDICTION_TOLERANCE)
    # The eager call gives what predict gives.
    assert_close(j_model(x), expected, check_shape=True, **PREDICTION_TOLERANCE)
    return predicted


# -- multi-input / multi-output -----------------------------------------------------------------
def _two_in_two_out(K):
    a = K.Input((4,), name="in_a")
    b = K.Input((3,), name="in_b")
    ha = K.layers.Dense(5, activation="relu", name="proj_a")(a)
    hb = K.layers.Dense(5, activation="tanh", name="proj_b")(b)
    shared = K.layers.Dense(6, name="shared")
    sa, sb = shared(ha), shared(hb)
    out_1 = K.layers.Dense(2, name="head_1")(sa)
    out_2 = K.layers.Dense(1, activation="sigmoid", name="head_2")(sb)
    return K.Model(inputs=[a, b], outputs=[out_1, out_2], name="two_by_two")


def test_multi_input_multi_output_lists():
    k_model, j_model = _fresh_pair(_two_in_two_out)
    _assert_same_structure(k_model, j_model)
    assert j_model.output_names == k_model.output_names == ["head_1", "head_2"]
    assert j_model.name == "two_by_two"
    x = [_x(7, 4), _x(7, 3)]
    out = _assert_same_predictions(k_model, j_model, x)
    assert [o.shape for o in out] == [(7, 2), (7, 1)]


def test_shared_layer_is_one_layer_with_one_set_of_weights():
    k_model, j_model = _fresh_pair(_two_in_two_out)
    names = [l.name for l in j_model.layers]
    assert names.count("shared") == 1
    shared = j_model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    assert [w.path for w in shared.weights] == ["shared/kernel", "shared/bias"]
    # The shared kernel really is used by both branches: a NumPy forward pass agrees.
    j_model.set_weights(k_model.get_weights())
    w = {v.path: np.asarray(v.value) for v in j_model.weights}
    a, b = _x(5, 4), _x(5, 3)
    ha = np.maximum(a @ w["proj_a/kernel"] + w["proj_a/bias"], 0)
    hb = np.tanh(b @ w["proj_b/kernel"] + w["proj_b/bias"])
    sa = ha @ w["shared/kernel"] + w["shared/bias"]
    sb = hb @ w["shared/kernel"] + w["shared/bias"]
    out_1 = sa @ w["head_1/kernel"] + w["head_1/bias"]
    out_2 = 1 / (1 + np.exp(-(sb @ w["head_2/kernel"] + w["head_2/bias"])))
    assert_close(
        j_model([a, b]), [out_1, out_2], check_shape=True, **matmul_tolerance(atol=1e-5, rtol=1e-6)
    )


def _dict_model(K):
    a = K.Input((4,), name="a")
    b = K.Input((3,), name="b")
    h1 = K.layers.Dense(3, name="h1")(a)
    h2 = K.layers.Dense(3, name="h2")(b)
    merged = h1 + h2  # an operation, not a layer
    return K.Model(
        inputs={"a": a, "b": b},
        outputs={
            "zeta": K.layers.Dense(1, name="z_head")(h1),
            "ypsilon": K.layers.Dense(2, name="y_head")(merged),
        },
        name="dict_model",
    )


def test_dict_inputs_and_outputs():
    k_model, j_model = _fresh_pair(_dict_model)
    _assert_same_structure(k_model, j_model)
    # Keras: output layer names, in the flattened (sorted-key) order of the output dict.
    assert j_model.output_names == k_model.output_names == ["y_head", "z_head"]
    x = {"a": _x(6, 4), "b": _x(6, 3)}
    out = _assert_same_predictions(k_model, j_model, x)
    assert out["zeta"].shape == (6, 1) and out["ypsilon"].shape == (6, 2)


def test_dict_outputs_train_with_dict_losses():
    jeras.backend.clear_session()
    model = _dict_model(jeras)
    model.compile(optimizer="sgd", loss={"zeta": "mse", "ypsilon": "mse"})
    x = {"a": _x(16, 4), "b": _x(16, 3)}
    y = {"zeta": _x(16, 1), "ypsilon": _x(16, 2)}
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# -- nested models --------------------------------------------------------------------------------
def _nested(K):
    inner_in = K.Input((4,), name="inner_in")
    inner_h = K.layers.Dense(3, activation="relu", name="inner_dense")(inner_in)
    inner = K.Model(inner_in, K.layers.Dense(4, name="inner_out")(inner_h), name="inner")
    outer_in = K.Input((5,), name="outer_in")
    h = K.layers.Dense(4, name="pre")(outer_in)
    h = inner(h)
    out = K.layers.Dense(2, name="post")(h)
    return K.Model(outer_in, out, name="outer")


def test_nested_functional_model():
    k_model, j_model = _fresh_pair(_nested)
    _assert_same_structure(k_model, j_model)
    assert [l.name for l in j_model.layers] == ["outer_in", "pre", "inner", "post"]
    assert [l.name for l in j_model.get_layer("inner").layers] == [
        l.name for l in k_model.get_layer("inner").layers
    ]
    assert j_model.output_names == k_model.output_names
    _assert_same_predictions(k_model, j_model, _x(8, 5))


# -- Sequential -----------------------------------------------------------------------------------
def _seq_with_input(K):
    return K.Sequential(
        [
            K.Input((4,)),
            K.layers.Dense(3, activation="relu", name="a"),
            K.layers.Dropout(0.5, name="drop"),
            K.layers.Dense(2, name="b"),
        ],
        name="seq_input",
    )


def _seq_with_input_shape(K):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras warns that `input_shape` is discouraged.
        first = K.layers.Dense(3, activation="relu", input_shape=(4,), name="a")
    return K.Sequential([first, K.layers.Dense(2, name="b")], name="seq_shape")


def _seq_lazy(K):
    return K.Sequential(
        [K.layers.Dense(3, activation="relu", name="a"), K.layers.Dense(2, name="b")],
        name="seq_lazy",
    )


@pytest.mark.parametrize("builder", [_seq_with_input, _seq_with_input_shape])
def test_sequential_with_known_input(builder):
    k_model, j_model = _fresh_pair(builder)
    assert j_model.built and k_model.built
    _assert_same_structure(k_model, j_model)
    assert all(w.path.startswith(j_model.name + "/") for w in j_model.weights)
    _assert_same_predictions(k_model, j_model, _x(9, 4))


def test_sequential_built_lazily_on_first_call():
    k_model, j_model = _fresh_pair(_seq_lazy)
    assert not j_model.built and not k_model.built
    assert j_model.weights == [] and k_model.weights == []
    x = _x(5, 4)
    k_model(x)
    first = np.asarray(j_model(x))
    assert j_model.built
    assert first.shape == (5, 2)
    _assert_same_structure(k_model, j_model)
    _assert_same_predictions(k_model, j_model, x)


def test_sequential_add_and_pop():
    def build(K):
        model = K.Sequential(name="grow")
        model.add(K.Input((4,)))
        model.add(K.layers.Dense(3, name="a"))
        model.add(K.layers.Dense(2, name="b"))
        model.add(K.layers.Dense(1, name="c"))
        model.pop()
        return model

    k_model, j_model = _fresh_pair(build)
    _assert_same_structure(k_model, j_model)
    _assert_same_predictions(k_model, j_model, _x(3, 4))


# -- subclassed models ------------------------------------------------------------------------------
def _subclassed(K):
    class TwoLayer(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = K.layers.Dense(4, activation="relu", name="hidden")
            self.dropout = K.layers.Dropout(0.5, name="dropout")
            self.out = K.layers.Dense(2, name="out")

        def call(self, inputs, training=False):
            return self.out(self.dropout(self.hidden(inputs), training=training))

    return TwoLayer(name="two_layer")


def test_subclassed_model():
    k_model, j_model = _fresh_pair(_subclassed)
    assert not j_model.built
    assert [l.name for l in j_model.layers] == [l.name for l in k_model.layers]
    x = _x(6, 3)
    k_model(x)
    j_model(x)
    assert j_model.built
    _assert_same_structure(k_model, j_model)
    assert [w.path for w in j_model.weights][0] == "two_layer/hidden/kernel"
    _assert_same_predictions(k_model, j_model, x)
    # training=True really routes to the Dropout layer: some units are dropped.
    assert not np.allclose(np.asarray(j_model(x, training=True)), j_model.predict(x, verbose=0))


def test_subclassed_model_build_with_shape():
    jeras.backend.clear_session()
    model = _subclassed(jeras)
    model.build((None, 3))
    assert model.built
    assert [w.shape for w in model.weights] == [(3, 4), (4,), (4, 2), (2,)]
    assert np.asarray(model(_x(2, 3))).shape == (2, 2)


def test_subclassed_model_inside_functional_and_sequential():
    def functional(K):
        inputs = K.Input((3,), name="x")
        outputs = K.layers.Dense(1, name="head")(_subclassed(K)(inputs))
        return K.Model(inputs, outputs, name="wrapper")

    def sequential(K):
        return K.Sequential(
            [K.Input((3,)), _subclassed(K), K.layers.Dense(1, name="head")], name="stack"
        )

    for builder in (functional, sequential):
        k_model, j_model = _fresh_pair(builder)
        _assert_same_structure(k_model, j_model)
        _assert_same_predictions(k_model, j_model, _x(4, 3))


# -- names --------------------------------------------------------------------------------------
def test_duplicate_layer_names_raise():
    for K in (keras, jeras):
        inputs = K.Input((3,))
        hidden = K.layers.Dense(3, name="same")(inputs)
        with pytest.raises(ValueError, match="same"):
            K.Model(inputs, K.layers.Dense(2, name="same")(hidden))
        with pytest.raises(ValueError, match="same"):
            K.Sequential(
                [K.Input((3,)), K.layers.Dense(2, name="same"), K.layers.Dense(2, name="same")]
            )


def test_automatic_names_after_clear_session():
    def build(K):
        inputs = K.Input((4,))
        hidden = K.layers.Dense(3)(inputs)
        outputs = K.layers.Dense(2)(hidden)
        functional = K.Model(inputs, outputs)
        second = K.Model(inputs, hidden)
        sequential = K.Sequential([K.Input((4,)), K.layers.Dense(2)])
        subclassed = _subclassed(K)
        plain = K.layers.Dense(1)
        return functional, second, sequential, subclassed, plain

    k_models, j_models = _fresh_pair(build)
    k_f, k_second, k_s, _, k_plain = k_models
    j_f, j_second, j_s, _, j_plain = j_models
    assert (
        (j_f.name, j_second.name, j_s.name)
        == (k_f.name, k_second.name, k_s.name)
        == ("functional", "functional_1", "sequential")
    )
    assert (
        [l.name for l in j_f.layers]
        == [l.name for l in k_f.layers]
        == ["input_layer", "dense", "dense_1"]
    )
    assert [w.path for w in j_f.weights] == [w.path for w in k_f.weights]
    assert [l.name for l in j_s.layers] == [l.name for l in k_s.layers] == ["dense_2"]
    assert (
        [w.path for w in j_s.weights]
        == [w.path for w in k_s.weights]
        == ["sequential/dense_2/kernel", "sequential/dense_2/bias"]
    )
    assert j_plain.name == k_plain.name == "dense_3"
    assert j_f.output_names == k_f.output_names == ["dense_1"]


def test_get_layer_by_name_and_index():
    k_model, j_model = _fresh_pair(_two_in_two_out)
    assert j_model.get_layer("head_2").name == k_model.get_layer("head_2").name
    assert j_model.get_layer(index=2).name == k_model.get_layer(index=2).name
    with pytest.raises(ValueError, match="nope"):
        j_model.get_layer("nope")


# -- summary --------------------------------------------------------------------------------------
@pytest.mark.parametrize("builder", [_two_in_two_out, _nested, _seq_with_input])
def test_summary_lists_layers_and_total_params(builder):
    k_model, j_model = _fresh_pair(builder)
    lines = []
    j_model.summary(print_fn=lambda line, **kwargs: lines.append(line))
    text = "\n".join(lines)
    for layer in k_model.layers:
        assert layer.name in text
    total = k_model.count_params()
    assert f"Total params: {total:,}" in text
    # Printing to stdout works too.
    with contextlib.redirect_stdout(io.StringIO()) as captured:
        j_model.summary()
    assert j_model.name in captured.getvalue()


# -- input checks ---------------------------------------------------------------------------------
def test_wrong_input_shape_raises_naming_the_input():
    jeras.backend.clear_session()
    model = _two_in_two_out(jeras)
    with pytest.raises(ValueError, match="in_a"):
        model([_x(2, 5), _x(2, 3)])
    with pytest.raises(ValueError, match="2"):
        model([_x(2, 4)])


def test_graph_disconnected_raises():
    for K in (keras, jeras):
        a = K.Input((3,))
        b = K.Input((3,))
        out = K.layers.Dense(1)(a + b)
        with pytest.raises(ValueError):
            K.Model(a, out)


def test_operators_on_symbolic_tensors_are_named_as_keras_operations():
    def build(K):
        inputs = K.Input((4,), name="x")
        hidden = K.layers.Dense(3, name="h")(inputs)
        outputs = [
            hidden * 2.0,
            -hidden,
            hidden - 1.0,
            hidden / 2.0,
            abs(hidden) ** 2,
            hidden[:, :2],
        ]
        return K.Model(inputs, outputs, name="ops_model")

    k_model, j_model = _fresh_pair(build)
    assert [l.name for l in j_model.layers] == [l.name for l in k_model.layers] == ["x", "h"]
    assert j_model.output_names == k_model.output_names
    _assert_same_predictions(k_model, j_model, _x(5, 4))


def test_single_element_lists_kept_in_input_and_output():
    def build(K):
        inputs = K.Input((4,), name="x")
        return K.Model([inputs], [K.layers.Dense(2, name="d")(inputs)])

    k_model, j_model = _fresh_pair(build)
    assert type(j_model.input) is type(k_model.input) is list
    assert type(j_model.output) is type(k_model.output) is list
    x = _x(3, 4)
    j_model.set_weights(k_model.get_weights())
    # Calls unwrap the single output, in both.
    np.testing.assert_allclose(np.asarray(j_model(x)), np.asarray(k_model(x)), atol=1e-6)
    assert j_model.predict(x, verbose=0).shape == (3, 2)


def test_unbuilt_sequential_called_inside_a_functional_model():
    def build(K):
        inner = K.Sequential(
            [K.layers.Dense(3, name="ia"), K.layers.Dense(2, name="ib")], name="inner_seq"
        )
        inputs = K.Input((4,), name="i")
        return K.Model(inputs, K.layers.Dense(1, name="head")(inner(inputs)), name="outer")

    k_model, j_model = _fresh_pair(build)
    _assert_same_structure(k_model, j_model)
    assert [w.path for w in j_model.weights][0] == "inner_seq/ia/kernel"
    _assert_same_predictions(k_model, j_model, _x(3, 4))


def test_subclass_that_passes_inputs_and_outputs_is_functional():
    def build(K):
        class Built(K.Model):
            def __init__(self, units=2, **kwargs):
                inputs = K.Input((4,), name="fi")
                outputs = K.layers.Dense(units, name="fd")(inputs)
                super().__init__(inputs=inputs, outputs=outputs, **kwargs)
                self.units = units

        return Built(units=3, name="built"), Built(name="built_again")

    (k_model, k_second), (j_model, j_second) = _fresh_pair(build)
    assert isinstance(j_model, jeras.models.Functional)
    assert j_model.units == 3 and j_second.units == 2
    _assert_same_structure(k_model, j_model)
    assert j_model.output_names == k_model.output_names
    _assert_same_predictions(k_model, j_model, _x(5, 4))
    _assert_same_predictions(k_second, j_second, _x(5, 4))


def test_dict_inputs_written_out_of_key_order_reach_their_own_inputs():
    # The dict's order ("z" before "b") is not the flattening order (sorted keys): each value
    # must still reach the Input under its key, as in Keras.
    z, b = jeras.Input((1,), name="z"), jeras.Input((1,), name="b")
    model = jeras.Model({"z": z, "b": b}, jeras.layers.Concatenate()([z, b]))
    data = {"z": np.array([[10.0]], "float32"), "b": np.array([[0.0]], "float32")}
    np.testing.assert_array_equal(model(data), [[10.0, 0.0]])
    np.testing.assert_array_equal(model.predict(data, verbose=0), [[10.0, 0.0]])
    model.compile("sgd", "mse")
    assert model.evaluate(data, np.array([[10.0, 0.0]], "float32"), verbose=0) == 0.0
