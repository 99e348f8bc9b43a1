"""`Model.summary()` prints, character for character, what Keras 3 prints for the same model."""

import functools

import keras
import numpy as np
import pytest

import jeras

# Zero kernels: Keras compiles a random initializer for every weight shape, which would make up
# most of this file's run time, and a summary does not depend on the values.
_ZEROS = {"kernel_initializer": "zeros"}


def _guide_mlp(lib):
    inputs = lib.Input(shape=(784,), name="digits")
    x = lib.layers.Dense(64, activation="relu", **_ZEROS, name="dense_1")(inputs)
    x = lib.layers.Dense(64, activation="relu", **_ZEROS, name="dense_2")(x)
    outputs = lib.layers.Dense(10, activation="softmax", **_ZEROS, name="predictions")(x)
    return lib.Model(inputs=inputs, outputs=outputs)


def _sequential(lib):
    layers = lib.layers
    return lib.Sequential(
        [
            layers.Dense(32, activation="relu", **_ZEROS),
            layers.Dropout(0.5),
            layers.Dense(10, **_ZEROS),
        ]
    )


def _multi_io(lib):
    layers = lib.layers
    image_input = lib.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = lib.Input(shape=(None, 10), name="ts_input")
    x1 = layers.GlobalMaxPooling2D()(layers.Conv2D(3, 3, **_ZEROS)(image_input))
    x2 = layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3, **_ZEROS)(timeseries_input))
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, **_ZEROS, name="score_output")(x)
    class_output = layers.Dense(5, **_ZEROS, name="class_output")(x)
    return lib.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


def _nested(lib):
    layers = lib.layers
    inner_input = lib.Input(shape=(8,))
    hidden = layers.Dense(16, activation="relu", **_ZEROS)(inner_input)
    encoder = lib.Model(inner_input, layers.Dense(4, **_ZEROS)(hidden), name="encoder")
    outer_input = lib.Input(shape=(8,))
    return lib.Model(outer_input, layers.Dense(1, **_ZEROS)(encoder(outer_input)), name="outer")


def _operators_and_long_names(lib):
    # Two inputs summed by an operator (a Keras operation, not a layer), names longer than
    # their cells, and one tensor feeding two layers.
    a = lib.Input((4,), name="an_input_whose_name_is_far_too_long_for_its_column")
    b = lib.Input((4,), name="b")
    total = a + b
    left = lib.layers.Dense(3, **_ZEROS, name="left")(total)
    right = lib.layers.Dense(3, **_ZEROS, name="right")(total)
    return lib.Model([a, b], [left, right], name="operators_" + "x" * 90)


def _printed(model, **kwargs):
    calls = []
    model.summary(print_fn=calls.append, **kwargs)
    # Keras hands the whole summary over in a single call.
    assert len(calls) == 1
    return calls[0]


@functools.lru_cache(maxsize=None)
def _pair(build, prepare=None):
    """The model built by Keras and by jeras, each from fresh auto-names; built once per module
    because building (not printing) is what takes time."""
    models = []
    for lib in (keras, jeras):
        lib.backend.clear_session()
        model = build(lib)
        if prepare is not None:
            prepare(model)
        models.append(model)
    return tuple(models)


def _assert_same(models, **kwargs):
    expected, got = (_printed(model, **kwargs) for model in models)
    assert got.splitlines() == expected.splitlines()
    assert got == expected


@pytest.fixture(params=[None, "200", "60"], ids=["env-width", "cols200", "cols60"])
def columns(request, monkeypatch):
    # Both sides size the table from the terminal (or COLUMNS); try a wide and a narrow one.
    if request.param is not None:
        monkeypatch.setenv("COLUMNS", request.param)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"line_length": 60},
        {"line_length": 130},
        {"positions": [0.2, 0.5, 1.0]},
        {"layer_range": ["dense_1", "dense_2"]},
        {"layer_range": ["pred", "dense"]},
        {"show_trainable": True, "line_length": 50},
    ],
    ids=lambda kwargs: ",".join(kwargs) or "default",
)
def test_guide_mlp(kwargs, columns):
    _assert_same(_pair(_guide_mlp), **kwargs)


def test_sequential_unbuilt_then_built(columns):
    models = []
    for lib in (keras, jeras):
        lib.backend.clear_session()
        models.append(_sequential(lib))
    _assert_same(models)
    for model in models:
        model.build((None, 20))
    _assert_same(models)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"show_trainable": True}, {"line_length": 150}],
    ids=["default", "show_trainable", "wide"],
)
def test_multi_input_multi_output(kwargs, columns):
    _assert_same(_pair(_multi_io), **kwargs)


def test_operators_long_names_and_model_title(columns):
    _assert_same(_pair(_operators_and_long_names))


def _train_one_epoch(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(np.zeros((8, 784), "float32"), np.zeros((8,), "float32"), epochs=1, verbose=0)


def _compile(model):
    model.compile(optimizer="adam", loss="mse")


def test_compiled_and_trained_model_counts_optimizer_params():
    _assert_same(_pair(_guide_mlp, _train_one_epoch))


def test_compiled_before_training_has_no_optimizer_line():
    _assert_same(_pair(_guide_mlp, _compile))


def _freeze_dense_1(model):
    model.get_layer("dense_1").trainable = False


def test_show_trainable_with_a_frozen_layer(columns):
    _assert_same(_pair(_guide_mlp, _freeze_dense_1), show_trainable=True)


@pytest.mark.parametrize("expand_nested", [False, True])
def test_nested_model(expand_nested, columns):
    models = _pair(_nested)
    _assert_same(models, expand_nested=expand_nested)
    _assert_same(models, expand_nested=expand_nested, show_trainable=True, line_length=70)


def test_printed_to_stdout_as_keras(capsys):
    printed = []
    for model in _pair(_multi_io):
        model.summary()
        printed.append(capsys.readouterr().out)
    assert printed[1] == printed[0]


def test_bad_layer_range():
    model = _guide_mlp(jeras)
    with pytest.raises(ValueError, match="do not match"):
        model.summary(layer_range=["nothing_like_this", "dense"])
    with pytest.raises(ValueError, match="length 2"):
        model.summary(layer_range=["dense_1"])
