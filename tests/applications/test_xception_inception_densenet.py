"""Xception, InceptionV3 and DenseNet against Keras 3: the same layers, names and weights, Keras's
weight files give Keras's predictions, the feature extractors, and each module's preprocessing."""

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

# Each family at its smallest accepted input size.
SIZES = {"Xception": 71, "InceptionV3": 75, "DenseNet121": 32}


@pytest.fixture(scope="module", params=sorted(SIZES))
def pair(request):
    return request.param, build_pair(request.param, SIZES[request.param])


@pytest.mark.slow
def test_same_layers_names_and_weights_as_keras(pair):
    _, (keras_model, jeras_model) = pair
    assert_same_structure(jeras_model, keras_model)
    assert jeras_model.name == keras_model.name


@pytest.mark.slow
def test_keras_weights_file_gives_keras_predictions(pair, tmp_path):
    name, (keras_model, jeras_model) = pair
    path = str(tmp_path / "family.weights.h5")
    keras_model.save_weights(path)
    jeras_model.load_weights(path)
    assert_same_predictions(jeras_model, keras_model, images(SIZES[name]))


# The last layer before the top, per family.
LAST_FEATURES = {
    "Xception": "block14_sepconv2_act",
    "InceptionV3": "mixed10",
    "DenseNet121": "relu",
}


@pytest.mark.slow
def test_without_top_and_max_pooling_from_a_legacy_file(pair, tmp_path):
    name, (keras_model, _) = pair
    features = keras_feature_extractor(keras_model, LAST_FEATURES[name])
    path = write_legacy_h5(features, tmp_path / "notop.h5")
    size = SIZES[name] + 8
    model = getattr(jeras.applications, name)(
        include_top=False, weights=path, input_shape=(size, size, 3), pooling="max"
    )
    x = np.random.default_rng(1).uniform(-1, 1, (2, size, size, 3)).astype("float32")
    maps = np.asarray(features.predict(x, verbose=0))
    expected = maps.max(axis=(1, 2))
    assert_close(model.predict(x, verbose=0), expected, atol=1e-4 * np.abs(maps).max(), rtol=1e-4)


def test_minimum_input_sizes_as_keras():
    with pytest.raises(ValueError, match="at least 71x71"):
        jeras.applications.Xception(weights=None, include_top=False, input_shape=(70, 70, 3))
    with pytest.raises(ValueError, match="at least 75x75"):
        jeras.applications.InceptionV3(weights=None, include_top=False, input_shape=(74, 74, 3))


def test_densenet_with_imagenet_needs_a_published_layout():
    with pytest.raises(ValueError, match="no ImageNet weights for a DenseNet with blocks"):
        jeras.applications.densenet.DenseNet(
            [2, 2, 2, 2], include_top=False, weights="imagenet", input_shape=(32, 32, 3)
        )


# Documented by Keras (keras.io's table) and measured with Keras 3.15.1: the 1000-class models.
@pytest.mark.slow
@pytest.mark.parametrize(
    "name, params, layers",
    [("DenseNet169", 14_307_880, 597), ("DenseNet201", 20_242_984, 709)],
)
def test_larger_densenets_have_keras_parameter_counts(name, params, layers):
    model = getattr(jeras.applications, name)(weights=None, input_shape=(32, 32, 3))
    assert model.count_params() == params
    assert len(model.layers) == layers


@pytest.mark.parametrize(
    "module", ["xception", "inception_v3", "densenet", "resnet_v2", "vgg16", "vgg19", "resnet50"]
)
def test_each_module_preprocesses_as_keras(module):
    x = np.random.default_rng(2).uniform(0, 255, (2, 6, 5, 3)).astype("float32")
    expected = getattr(keras.applications, module).preprocess_input(x.copy())
    assert_close(getattr(jeras.applications, module).preprocess_input(x.copy()), expected)
    assert_close(
        getattr(jeras.applications, module).preprocess_input(jeras.ops.convert_to_tensor(x)),
        expected,
        atol=1e-4,
    )
