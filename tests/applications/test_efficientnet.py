"""EfficientNetB0 to B7 against real Keras 3: the same layers (names, order, parameters), Keras's
weights loaded from a `.weights.h5` file written by Keras give Keras's predictions (the model's
own Rescaling and Normalization layers included), `include_top=False` with pooling, training
from scratch (`weights=None`) and the module functions.

B0 is built once per module (Keras and jeras side by side); B1 to B7 are each built once, in
their own slow test. Building a Keras application takes tens of seconds on a busy CPU, so every
test that needs Keras is marked slow."""

import hashlib

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


def assert_same_architecture(k_model, j_model):
    assert j_model.name == k_model.name
    assert [layer.name for layer in j_model.layers] == [layer.name for layer in k_model.layers]
    assert [w.path for w in j_model.weights] == [w.path for w in k_model.weights]
    assert j_model.count_params() == k_model.count_params()


@pytest.fixture(scope="module")
def b0(tmp_path_factory):
    return application_pair(
        "EfficientNetB0", tmp_path_factory.mktemp("b0"), input_shape=SHAPE, classes=CLASSES
    )


@pytest.mark.slow
def test_b0_architecture_matches_keras(b0):
    assert_same_architecture(*b0)


@pytest.mark.slow
def test_b0_with_keras_weights_predicts_as_keras(b0):
    k_model, j_model = b0
    # Keras's file carries the Normalization statistics too: give them values of their own.
    normalization = next(
        layer for layer in k_model.layers if isinstance(layer, keras.layers.Normalization)
    )
    normalization.adapt(images(16, seed=5))
    j_model.get_layer(normalization.name).set_weights(normalization.get_weights())
    x = images(3)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_b0_without_top_pools_the_features(b0, pooling):
    k_model, _ = b0
    jeras.backend.clear_session()
    j_model = jeras.applications.EfficientNetB0(
        weights=None, input_shape=SHAPE, include_top=False, pooling=pooling
    )
    for layer in j_model.layers:
        if layer.weights:
            layer.set_weights(k_model.get_layer(layer.name).get_weights())
    assert j_model.layers[-1].name == f"{pooling}_pool"
    k_features = keras.Model(k_model.input, k_model.get_layer("top_activation").output)
    x = images(2, seed=1)
    reduce = np.mean if pooling == "avg" else np.max
    expected = reduce(as_numpy(k_features(x, training=False)), axis=(1, 2))
    assert_close(j_model.predict(x, verbose=0), expected, check_shape=True, **TOLERANCE)


@pytest.mark.slow
def test_b0_trains_from_scratch_as_keras(tmp_path):
    # weights=None: the Normalization layer runs on its initial statistics, as in Keras, and
    # the blocks' stochastic-depth dropout is active; one step on the same batch.
    k_model, j_model = application_pair("EfficientNetB0", tmp_path, input_shape=SHAPE, classes=3)
    # Without dropout randomness the two libraries' losses are comparable.
    for model in (k_model, j_model):
        for layer in model.layers:
            if type(layer).__name__ == "Dropout":
                layer.rate = 0.0
    x = images(4, seed=2)
    y = np.array([0, 1, 2, 1])
    for model, lib in ((k_model, keras), (j_model, jeras)):
        model.compile(optimizer=lib.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    k_loss = k_model.train_on_batch(x, y)
    j_loss = j_model.train_on_batch(x, y)
    assert_close(j_loss, k_loss, **TOLERANCE)


def test_imagenet_weights_need_1000_classes():
    with pytest.raises(ValueError, match="classes` should be 1000"):
        jeras.applications.EfficientNetB0(weights="imagenet", classes=10)


def test_preprocess_input_is_the_identity_as_in_keras():
    x = images(1)
    assert jeras.applications.efficientnet.preprocess_input(x) is x
    assert keras.applications.efficientnet.preprocess_input(x) is x


def test_public_names_as_keras():
    for size in range(8):
        name = f"EfficientNetB{size}"
        constructor = getattr(jeras.applications, name)
        assert constructor is getattr(jeras.applications.efficientnet, name)
        assert constructor.__name__ == name
        assert "Args:" in constructor.__doc__


@pytest.mark.slow
def test_loads_keras_legacy_h5_weights(b0, tmp_path):
    # Keras's published ImageNet files are Keras 2 HDF5 files, as Keras's legacy writer makes.
    k_model, _ = b0
    name = "EfficientNetB0"
    path = str(tmp_path / "legacy.h5")
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    jeras.backend.clear_session()
    j_model = getattr(jeras.applications, name)(weights=path, input_shape=SHAPE, classes=CLASSES)
    x = images(2, seed=7)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


# Recorded from Keras 3.15.1, `EfficientNetB7(weights=None, input_shape=(32, 32, 3))`:
# count_params(), number of layers, SHA-1 of the layer names joined by newlines. A jeras-only
# check of the sizes whose live comparison (above) is slowest.
KERAS_COUNTS = {
    "EfficientNetB1": (7856239, 342, "538f6984928f5b5a2380ff176bc36e2786405086"),
    "EfficientNetB2": (9177569, 342, "538f6984928f5b5a2380ff176bc36e2786405086"),
    "EfficientNetB3": (12320535, 387, "766d919f0e6e65291c07432c2ff56d780f18fcb8"),
    "EfficientNetB4": (19466823, 477, "4037d14e1a3a9ddfebd2e04a42019daec4f7b51c"),
    "EfficientNetB5": (30562527, 579, "35faf63679025db4e096f4037b2381f24ca93275"),
    "EfficientNetB6": (43265143, 669, "e24acb4baae7ccf355ed0dfe46b1e012e0f6d51e"),
    "EfficientNetB7": (66658687, 816, "9513a207b61de93d803e4d664da46dac885b9b37"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KERAS_COUNTS))
def test_larger_sizes_have_keras_parameters_and_layer_names(name):
    jeras.backend.clear_session()
    model = getattr(jeras.applications, name)(weights=None, input_shape=SHAPE)
    names = "\n".join(layer.name for layer in model.layers)
    assert (
        model.count_params(),
        len(model.layers),
        hashlib.sha1(names.encode()).hexdigest(),
    ) == KERAS_COUNTS[name]
