"""ResNet (v1 and v2) and VGG against Keras 3: the same layers, names and weights; Keras's weight
files (`.weights.h5`, and Keras 2's legacy `.h5` as published) give Keras's predictions; the
feature extractors with pooling; and a short `fit` to Keras's losses."""

import keras
import numpy as np
import pytest
from family_pairs import (
    assert_same_predictions,
    assert_same_structure,
    build_pair,
    images,
    keras_feature_extractor,
    write_legacy_h5,
)
from oracle import assert_close

import jeras

pytestmark = pytest.mark.slow  # each Keras model takes tens of seconds to build

SIZE = 32  # the smallest input ResNet and VGG accept


@pytest.fixture(scope="module")
def resnet50_pair():
    return build_pair("ResNet50", SIZE)


@pytest.fixture(scope="module")
def resnet50v2_pair():
    return build_pair("ResNet50V2", SIZE)


@pytest.fixture(scope="module")
def vgg16_pair():
    return build_pair("VGG16", SIZE)


@pytest.fixture(params=["resnet50_pair", "resnet50v2_pair", "vgg16_pair"])
def pair(request):
    return request.getfixturevalue(request.param)


def test_same_layers_names_and_weights_as_keras(pair):
    keras_model, jeras_model = pair
    assert_same_structure(jeras_model, keras_model)
    assert jeras_model.name == keras_model.name


def test_keras_weights_file_gives_keras_predictions(pair, tmp_path):
    keras_model, jeras_model = pair
    path = str(tmp_path / "family.weights.h5")
    keras_model.save_weights(path)
    jeras_model.load_weights(path)
    assert_same_predictions(jeras_model, keras_model, images(SIZE))


def test_published_legacy_h5_layout_loads_through_the_weights_argument(resnet50_pair, tmp_path):
    # The layout of `resnet50_weights_tf_dim_ordering_tf_kernels.h5`, from Keras's own writer.
    keras_model, _ = resnet50_pair
    path = write_legacy_h5(keras_model, tmp_path / "resnet50_weights_tf_dim_ordering_tf_kernels.h5")
    model = jeras.applications.ResNet50(
        weights=path, input_shape=(SIZE, SIZE, 3), classes=5, classifier_activation=None
    )
    assert_same_predictions(model, keras_model, images(SIZE, seed=1))


@pytest.mark.parametrize("pooling", [None, "avg", "max"])
def test_resnet50_without_top(resnet50_pair, tmp_path, pooling):
    keras_model, _ = resnet50_pair
    features = keras_feature_extractor(keras_model, "conv5_block3_out")
    path = write_legacy_h5(features, tmp_path / "notop.h5")
    model = jeras.applications.ResNet50(
        include_top=False, weights=path, input_shape=(48, 40, 3), pooling=pooling
    )
    assert [layer.name for layer in model.layers][-1] == {
        None: "conv5_block3_out",
        "avg": "avg_pool",
        "max": "max_pool",
    }[pooling]
    x = np.random.default_rng(3).uniform(-1, 1, (2, 48, 40, 3)).astype("float32")
    maps = np.asarray(features.predict(x, verbose=0))  # Keras, (2, 2, 2, 2048)
    expected = {None: maps, "avg": maps.mean(axis=(1, 2)), "max": maps.max(axis=(1, 2))}[pooling]
    assert_close(model.predict(x, verbose=0), expected, atol=1e-4 * np.abs(maps).max(), rtol=1e-4)


def test_vgg16_without_top_and_free_input_size(vgg16_pair, tmp_path):
    keras_model, _ = vgg16_pair
    features = keras_feature_extractor(keras_model, "block5_pool")
    path = write_legacy_h5(features, tmp_path / "vgg16_notop.h5")
    model = jeras.applications.VGG16(include_top=False, weights=path, pooling="avg")
    assert model.input_shape == (None, None, None, 3)
    x = np.random.default_rng(4).uniform(-1, 1, (2, 64, 32, 3)).astype("float32")
    expected = np.asarray(features.predict(x, verbose=0)).mean(axis=(1, 2))
    assert_close(
        model.predict(x, verbose=0), expected, atol=1e-4 * np.abs(expected).max(), rtol=1e-4
    )


def test_resnet50_fit_matches_keras(resnet50_pair):
    # The last test of the module on this pair: training changes both models.
    keras_model, jeras_model = resnet50_pair
    jeras_model.set_weights(keras_model.get_weights())
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (8, SIZE, SIZE, 3)).astype("float32")
    y = rng.integers(0, 5, (8,))
    histories = []
    for lib, model in ((keras, keras_model), (jeras, jeras_model)):
        model.compile(
            optimizer=lib.optimizers.SGD(0.01),
            loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        histories.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history)
    assert_close(histories[1]["loss"], histories[0]["loss"], atol=1e-4, rtol=1e-4)
    # Training moved the batch-normalization statistics the same way.
    assert_close(
        jeras_model.get_layer("conv1_bn").moving_mean,
        keras_model.get_layer("conv1_bn").moving_mean,
        atol=1e-4,
        rtol=1e-4,
    )


def test_input_tensor_makes_earlier_layers_part_of_the_model():
    inputs = jeras.Input((SIZE, SIZE, 3))
    scaled = jeras.layers.Rescaling(1 / 127.5, offset=-1.0, name="scale")(inputs)
    model = jeras.applications.ResNet50V2(weights=None, include_top=False, input_tensor=scaled)
    assert model.inputs[0] is inputs
    assert model.layers[1].name == "scale"
    assert model.output_shape == (None, 1, 1, 2048)


# Parameter counts of the larger variants, with the 1000-class top, as Keras 3.15.1 builds them
# (measured with Keras; they match keras.io's table). The blocks are those checked above.
@pytest.mark.parametrize(
    "name, params, layers, kwargs",
    [
        ("ResNet101", 44_707_176, 347, {}),
        ("ResNet152", 60_419_944, 517, {}),
        ("ResNet101V2", 44_675_560, 379, {}),
        ("ResNet152V2", 60_380_648, 566, {}),
        ("VGG19", 20_024_384, 22, {"include_top": False}),
    ],
)
def test_larger_variants_have_keras_parameter_counts(name, params, layers, kwargs):
    model = getattr(jeras.applications, name)(weights=None, input_shape=(SIZE, SIZE, 3), **kwargs)
    assert model.count_params() == params
    assert len(model.layers) == layers


def test_a_jeras_application_saved_as_keras_file_opens_in_keras(vgg16_pair, tmp_path):
    keras_model, jeras_model = vgg16_pair
    jeras_model.set_weights(keras_model.get_weights())
    path = str(tmp_path / "vgg16.keras")
    jeras_model.save(path)
    reloaded = keras.saving.load_model(path)
    assert [layer.name for layer in reloaded.layers] == [layer.name for layer in jeras_model.layers]
    assert_same_predictions(jeras_model, reloaded, images(SIZE, seed=6))
