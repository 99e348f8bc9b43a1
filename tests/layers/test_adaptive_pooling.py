"""`AdaptiveAveragePooling1D/2D/3D` and `AdaptiveMaxPooling1D/2D/3D` against Keras: outputs,
symbolic shapes, configs, `.keras` files both ways, bad arguments."""

import keras
import numpy as np
import pytest
from oracle import (
    assert_config_matches_keras,
    assert_keras_files_round_trip,
    assert_layer_matches_keras,
)

import jeras

RNG = np.random.default_rng(9)

CASES = [
    ("AdaptiveAveragePooling1D", (2, 9, 3), {"output_size": 4}),
    ("AdaptiveAveragePooling1D", (2, 3, 10), {"output_size": 3, "data_format": "channels_first"}),
    ("AdaptiveAveragePooling2D", (2, 7, 6, 3), {"output_size": (3, 4)}),
    ("AdaptiveAveragePooling2D", (2, 3, 8, 5), {"output_size": 2, "data_format": "channels_first"}),
    ("AdaptiveAveragePooling3D", (1, 5, 6, 4, 2), {"output_size": (2, 3, 3)}),
    ("AdaptiveMaxPooling1D", (2, 9, 3), {"output_size": 4}),
    ("AdaptiveMaxPooling2D", (2, 7, 6, 3), {"output_size": (3, 4)}),
    (
        "AdaptiveMaxPooling2D",
        (2, 3, 8, 5),
        {"output_size": (3, 2), "data_format": "channels_first"},
    ),
    ("AdaptiveMaxPooling3D", (1, 5, 6, 4, 2), {"output_size": 2}),
    (
        "AdaptiveMaxPooling3D",
        (1, 2, 5, 6, 7),
        {"output_size": (4, 5, 3), "data_format": "channels_first"},
    ),
]


@pytest.mark.parametrize("name, shape, kwargs", CASES)
def test_outputs_and_configs_match_keras(name, shape, kwargs):
    inputs = RNG.normal(size=shape).astype("float32")
    assert_layer_matches_keras(name, inputs, **kwargs)
    assert_config_matches_keras(name, **kwargs)


@pytest.mark.parametrize("name, shape, kwargs", CASES[::3])
def test_symbolic_shapes_match_keras(name, shape, kwargs):
    k_out = getattr(keras.layers, name)(**kwargs)(keras.Input(shape[1:]))
    j_out = getattr(jeras.layers, name)(**kwargs)(jeras.Input(shape[1:]))
    assert tuple(j_out.shape) == tuple(k_out.shape)


@pytest.mark.parametrize("name", ["AdaptiveAveragePooling2D", "AdaptiveMaxPooling2D"])
def test_keras_files_round_trip(name, tmp_path):
    x = RNG.normal(size=(3, 8, 7, 2)).astype("float32")

    def build(lib):
        inputs = lib.Input((8, 7, 2))
        hidden = lib.layers.Conv2D(3, 2, name="conv")(inputs)
        pooled = getattr(lib.layers, name)((3, 2), name="pool")(hidden)
        outputs = lib.layers.Dense(1, name="head")(lib.layers.Flatten(name="flat")(pooled))
        model = lib.Model(inputs, outputs)
        model.get_layer("conv").set_weights(
            [np.linspace(-1, 1, 2 * 2 * 2 * 3).reshape(2, 2, 2, 3), np.zeros(3)]
        )
        model.get_layer("head").set_weights([np.linspace(-1, 1, 18).reshape(18, 1), np.ones(1)])
        return model

    assert_keras_files_round_trip(build, x, tmp_path)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"output_size": (2, 2)},
            TypeError,
            "AdaptiveAveragePooling1D layer .* `output_size` must be an int or a tuple of 1",
        ),
        ({"output_size": 0}, ValueError, "must be > 0"),
        ({"output_size": 2, "data_format": "channels_middle"}, ValueError, "data_format"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        jeras.layers.AdaptiveAveragePooling1D(**kwargs)


def test_wrong_rank_names_the_layer():
    layer = jeras.layers.AdaptiveMaxPooling2D(2, name="pool")
    with pytest.raises(ValueError, match="pool"):
        layer(np.zeros((2, 5, 3), "float32"))
