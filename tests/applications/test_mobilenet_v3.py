"""MobileNetV3Small and MobileNetV3Large against real Keras 3: the same layers (names, order,
parameters), Keras's weights loaded from a `.weights.h5` file written by Keras give Keras's
predictions, the built-in input scaling (`include_preprocessing`), `include_top=False` with
pooling, and the module functions.

Each architecture is built once per module (Keras and jeras side by side); the tests that need
Keras are marked slow (building a Keras application takes tens of seconds on a busy CPU)."""

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format
from oracle import as_numpy, assert_close, matmul_tolerance

import jeras

SHAPE = (32, 32, 3)
CLASSES = 10
TOLERANCE = matmul_tolerance(atol=1e-4, rtol=1e-4)

# Recorded from Keras 3.15.1 (`count_params()`, number of layers, output shape) for variants
# the slow tests do not build in Keras.
KERAS_VARIANTS = {
    "small_minimalistic": (
        dict(name="MobileNetV3Small", minimalistic=True, classes=CLASSES),
        (1042098, 110, (None, CLASSES)),
    ),
    "large_alpha_0.75": (
        dict(name="MobileNetV3Large", alpha=0.75, classes=CLASSES),
        (2744426, 194, (None, CLASSES)),
    ),
    "large_minimalistic_no_top": (
        dict(name="MobileNetV3Large", minimalistic=True, include_top=False, pooling="avg"),
        (1437608, 140, (None, 960)),
    ),
}


def images(count, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, *SHAPE)).astype("float32")


def application_pair(name, folder, **kwargs):
    keras.backend.clear_session()
    jeras.backend.clear_session()
    k_model = getattr(keras.applications, name)(weights=None, **kwargs)
    path = str(folder / f"{name}.weights.h5")
    k_model.save_weights(path)
    j_model = getattr(jeras.applications, name)(weights=path, **kwargs)
    return k_model, j_model


def jeras_with_keras_weights(k_model, name, **kwargs):
    """jeras's `name(**kwargs)` holding the Keras model's weights, layer by layer name."""
    jeras.backend.clear_session()
    j_model = getattr(jeras.applications, name)(weights=None, **kwargs)
    for layer in j_model.layers:
        if layer.weights:
            layer.set_weights(k_model.get_layer(layer.name).get_weights())
    return j_model


@pytest.fixture(scope="module", params=["MobileNetV3Small", "MobileNetV3Large"])
def pair(request, tmp_path_factory):
    name = request.param
    k_model, j_model = application_pair(
        name, tmp_path_factory.mktemp(name), input_shape=SHAPE, classes=CLASSES
    )
    return name, k_model, j_model


@pytest.mark.slow
def test_architecture_matches_keras(pair):
    _, k_model, j_model = pair
    assert j_model.name == k_model.name
    assert [layer.name for layer in j_model.layers] == [layer.name for layer in k_model.layers]
    assert [w.path for w in j_model.weights] == [w.path for w in k_model.weights]
    assert j_model.count_params() == k_model.count_params()


@pytest.mark.slow
def test_with_keras_weights_predicts_as_keras(pair):
    _, k_model, j_model = pair
    x = images(3)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


@pytest.mark.slow
def test_without_preprocessing_expects_scaled_inputs(pair):
    # The Rescaling layer maps [0, 255] to [-1, 1]; without it the caller does that.
    name, k_model, _ = pair
    j_model = jeras_with_keras_weights(
        k_model, name, input_shape=SHAPE, classes=CLASSES, include_preprocessing=False
    )
    assert "rescaling" not in [type(layer).__name__.lower() for layer in j_model.layers]
    x = images(2, seed=4)
    assert_close(
        j_model.predict(x / 127.5 - 1.0, verbose=0),
        k_model.predict(x, verbose=0),
        check_shape=True,
        **TOLERANCE,
    )


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_without_top_pools_the_features(pair, pooling):
    name, k_model, _ = pair
    j_model = jeras_with_keras_weights(
        k_model, name, input_shape=SHAPE, include_top=False, pooling=pooling
    )
    assert j_model.layers[-1].name == f"{pooling}_pool"
    features = j_model.layers[-2].name
    k_features = keras.Model(k_model.input, k_model.get_layer(features).output)
    x = images(2, seed=1)
    reduce = np.mean if pooling == "avg" else np.max
    expected = reduce(as_numpy(k_features(x, training=False)), axis=(1, 2))
    assert_close(j_model.predict(x, verbose=0), expected, check_shape=True, **TOLERANCE)


@pytest.mark.parametrize("variant", sorted(KERAS_VARIANTS))
def test_variant_parameters_match_keras(variant):
    kwargs, expected = KERAS_VARIANTS[variant]
    kwargs = dict(kwargs)
    name = kwargs.pop("name")
    model = getattr(jeras.applications, name)(weights=None, input_shape=SHAPE, **kwargs)
    assert (model.count_params(), len(model.layers), tuple(model.outputs[0].shape)) == expected


def test_any_image_size_by_default():
    model = jeras.applications.MobileNetV3Small(weights=None, include_top=False)
    assert tuple(model.inputs[0].shape) == (None, None, None, 3)
    # Five stride-2 stages: 64x96 images give 2x3 feature maps of 6 * 96 channels.
    assert model(np.zeros((1, 64, 96, 3), "float32")).shape == (1, 2, 3, 576)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 32x32"):
        jeras.applications.MobileNetV3Small(weights=None, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        jeras.applications.MobileNetV3Large(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="alpha can be one of"):
        jeras.applications.MobileNetV3Large(weights="imagenet", alpha=0.5)


def test_preprocess_input_is_the_identity_as_in_keras():
    x = images(1)
    assert jeras.applications.mobilenet_v3.preprocess_input(x) is x
    assert keras.applications.mobilenet_v3.preprocess_input(x) is x


@pytest.mark.slow
def test_loads_keras_legacy_h5_weights(pair, tmp_path):
    # Keras's published ImageNet files are Keras 2 HDF5 files, as Keras's legacy writer makes.
    name, k_model, _ = pair
    path = str(tmp_path / "legacy.h5")
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    jeras.backend.clear_session()
    j_model = getattr(jeras.applications, name)(weights=path, input_shape=SHAPE, classes=CLASSES)
    x = images(2, seed=7)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )
