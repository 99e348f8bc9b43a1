"""MobileNet and MobileNetV2 against real Keras 3: the same layers (names, order, parameters),
Keras's weights loaded from a `.weights.h5` file written by Keras give Keras's predictions,
`include_top=False` with pooling, one short `fit` with the same losses, the module functions.

Building a Keras application takes tens of seconds on a busy CPU, so each architecture is built
once per module (Keras and jeras side by side) and the tests that need Keras are marked slow."""

import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, assert_keras_files_round_trip, matmul_tolerance

import jeras

SHAPE = (32, 32, 3)
CLASSES = 10
# A deep network's float32 rounding, summed over tens of layers.
TOLERANCE = matmul_tolerance(atol=1e-4, rtol=1e-4)


def images(count, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, *SHAPE)).astype("float32")


def application_pair(name, folder, **kwargs):
    """Keras's `name` with random weights, and jeras's built with `weights=` the file Keras
    saved them to (both with fresh automatic names)."""
    keras.backend.clear_session()
    jeras.backend.clear_session()
    k_model = getattr(keras.applications, name)(weights=None, **kwargs)
    path = str(folder / f"{name}.weights.h5")
    k_model.save_weights(path)
    j_model = getattr(jeras.applications, name)(weights=path, **kwargs)
    return k_model, j_model


def assert_same_architecture(k_model, j_model):
    assert j_model.name == k_model.name
    assert [layer.name for layer in j_model.layers] == [layer.name for layer in k_model.layers]
    assert [type(layer).__name__ for layer in j_model.layers] == [
        type(layer).__name__ for layer in k_model.layers
    ]
    assert [w.path for w in j_model.weights] == [w.path for w in k_model.weights]
    assert j_model.count_params() == k_model.count_params()


def assert_pooled_features_match(k_model, name, pooling, **kwargs):
    """jeras's `name(include_top=False, pooling=...)`, holding the Keras model's weights (by
    layer name), gives the global pooling of Keras's last feature map."""
    jeras.backend.clear_session()
    j_model = getattr(jeras.applications, name)(
        weights=None, include_top=False, pooling=pooling, **kwargs
    )
    for layer in j_model.layers:
        if layer.weights:
            layer.set_weights(k_model.get_layer(layer.name).get_weights())
    features = j_model.layers[-2].name
    k_features = keras.Model(k_model.input, k_model.get_layer(features).output)
    x = images(2, seed=1)
    feature_map = as_numpy(k_features(x, training=False))
    reduce = np.mean if pooling == "avg" else np.max
    expected = reduce(feature_map, axis=(1, 2))
    assert_close(j_model.predict(x, verbose=0), expected, check_shape=True, **TOLERANCE)


# -- MobileNet ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mobilenet(tmp_path_factory):
    return application_pair(
        "MobileNet", tmp_path_factory.mktemp("mobilenet"), input_shape=SHAPE, classes=CLASSES
    )


@pytest.mark.slow
def test_mobilenet_architecture_matches_keras(mobilenet):
    assert_same_architecture(*mobilenet)


@pytest.mark.slow
def test_mobilenet_with_keras_weights_predicts_as_keras(mobilenet):
    k_model, j_model = mobilenet
    x = images(3)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_mobilenet_without_top_pools_the_features(mobilenet, pooling):
    assert_pooled_features_match(mobilenet[0], "MobileNet", pooling, input_shape=SHAPE)


def test_mobilenet_alpha_and_depth_multiplier_parameters():
    # Recorded from Keras 3.15.1: MobileNet(weights=None, input_shape=(32, 32, 3), classes=10,
    # alpha=0.5, depth_multiplier=2): count_params(), number of layers, name.
    model = jeras.applications.MobileNet(
        weights=None, input_shape=SHAPE, classes=CLASSES, alpha=0.5, depth_multiplier=2
    )
    assert (model.count_params(), len(model.layers), model.name) == (
        1651802,
        91,
        "mobilenet_0.50_32",
    )


def test_mobilenet_preprocess_input_matches_keras():
    x = images(2)
    assert_close(
        jeras.applications.mobilenet.preprocess_input(x.copy()),
        keras.applications.mobilenet.preprocess_input(x.copy()),
    )


def test_mobilenet_imagenet_weights_need_supported_arguments():
    with pytest.raises(ValueError, match="classes` should be 1000"):
        jeras.applications.MobileNet(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        jeras.applications.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha can be one of"):
        jeras.applications.MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match="weights"):
        jeras.applications.MobileNet(weights="/no/such/file.h5")


# -- MobileNetV2 -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mobilenet_v2(tmp_path_factory):
    return application_pair(
        "MobileNetV2", tmp_path_factory.mktemp("mobilenet_v2"), input_shape=SHAPE, classes=CLASSES
    )


@pytest.mark.slow
def test_mobilenet_v2_architecture_matches_keras(mobilenet_v2):
    assert_same_architecture(*mobilenet_v2)


@pytest.mark.slow
def test_mobilenet_v2_with_keras_weights_predicts_as_keras(mobilenet_v2):
    k_model, j_model = mobilenet_v2
    x = images(3)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_mobilenet_v2_without_top_pools_the_features(mobilenet_v2, pooling):
    assert_pooled_features_match(mobilenet_v2[0], "MobileNetV2", pooling, input_shape=SHAPE)


@pytest.mark.slow
def test_mobilenet_v2_fit_matches_keras(tmp_path):
    # Fresh models (the module's pair is used for inference elsewhere): Keras's weights in
    # jeras, two SGD steps on the same batches, batch normalization in training mode.
    k_model, j_model = application_pair("MobileNetV2", tmp_path, input_shape=SHAPE, classes=CLASSES)
    x = images(8, seed=2)
    y = np.random.default_rng(3).integers(0, CLASSES, size=(8,))
    for model, lib in ((k_model, keras), (j_model, jeras)):
        model.compile(
            optimizer=lib.optimizers.SGD(learning_rate=0.05),
            loss="sparse_categorical_crossentropy",
        )
    k_history = k_model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    j_history = j_model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert_close(j_history.history["loss"], k_history.history["loss"], **TOLERANCE)
    assert_close(j_model.get_weights(), k_model.get_weights(), **TOLERANCE)


def test_mobilenet_v2_alpha_parameters():
    # Recorded from Keras 3.15.1: MobileNetV2(weights=None, input_shape=(32, 32, 3),
    # classes=10, alpha=...).count_params(); alpha > 1 widens the last convolution too.
    for alpha, expected in {0.35: 423018, 1.4: 4381642}.items():
        model = jeras.applications.MobileNetV2(
            weights=None, input_shape=SHAPE, classes=CLASSES, alpha=alpha
        )
        assert model.count_params() == expected, alpha
        assert model.name == f"mobilenetv2_{alpha:0.2f}_32"


def test_mobilenet_v2_preprocess_input_matches_keras():
    x = images(2)
    assert_close(
        jeras.applications.mobilenet_v2.preprocess_input(x.copy()),
        keras.applications.mobilenet_v2.preprocess_input(x.copy()),
    )


def test_mobilenet_v2_default_size_follows_the_input_tensor():
    # A square input tensor of a published size is taken as the default size (the size of the
    # weights file "imagenet" would load), which the name reports.
    inputs = jeras.Input((96, 96, 3))
    model = jeras.applications.MobileNetV2(weights=None, input_tensor=inputs, classes=CLASSES)
    assert model.name == "mobilenetv2_1.00_96"
    assert model.inputs[0] is inputs


@pytest.mark.slow
def test_mobilenet_v2_keras_files_round_trip(tmp_path):
    assert_keras_files_round_trip(
        lambda lib: lib.applications.MobileNetV2(weights=None, input_shape=SHAPE, classes=CLASSES),
        images(2),
        tmp_path,
        atol=1e-4,
        rtol=1e-4,
    )
