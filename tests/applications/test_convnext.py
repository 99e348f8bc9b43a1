"""ConvNeXtTiny to XLarge against real Keras 3: the same layers (names, order, parameters; the
nested stem and downsampling models, the LayerScale layers), Keras's weights loaded from a
`.weights.h5` file written by Keras give Keras's predictions, the built-in normalization
(`include_preprocessing`), `include_top=False` with pooling, and the module functions.

Tiny is built once per module (Keras and jeras side by side); the larger sizes each once, in
their own slow test. Building a Keras application takes tens of seconds on a busy CPU, so every
test that needs a Keras model is marked slow."""

import hashlib

import h5py
import keras
import numpy as np
import pytest
from keras.src.applications import convnext as keras_convnext
from keras.src.legacy.saving import legacy_h5_format
from oracle import as_numpy, assert_close, matmul_tolerance

import jeras
from jeras.applications import convnext

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


def jeras_with_keras_weights(k_model, **kwargs):
    """jeras's ConvNeXtTiny(**kwargs) holding the Keras model's weights, layer by layer name;
    without the top, the last layer (a layer normalization Keras's top model lacks) stays
    fresh."""
    jeras.backend.clear_session()
    j_model = jeras.applications.ConvNeXtTiny(weights=None, **kwargs)
    own_layers = j_model.layers if kwargs.get("include_top", True) else j_model.layers[:-1]
    for layer in own_layers:
        if layer.weights:
            layer.set_weights(k_model.get_layer(layer.name).get_weights())
    return j_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return application_pair(
        "ConvNeXtTiny", tmp_path_factory.mktemp("tiny"), input_shape=SHAPE, classes=CLASSES
    )


@pytest.mark.slow
def test_tiny_architecture_matches_keras(tiny):
    k_model, j_model = tiny
    assert_same_architecture(k_model, j_model)
    stem = j_model.get_layer("convnext_tiny_stem")
    assert [layer.name for layer in stem.layers] == [
        layer.name for layer in k_model.get_layer("convnext_tiny_stem").layers
    ]


@pytest.mark.slow
def test_tiny_with_keras_weights_predicts_as_keras(tiny):
    k_model, j_model = tiny
    # The layer scales start at 1e-6, which hides the blocks: give them Keras values of size 1.
    rng = np.random.default_rng(6)
    for layer in k_model.layers:
        if isinstance(layer, keras_convnext.LayerScale):
            layer.set_weights([rng.uniform(0.5, 1.5, layer.projection_dim).astype("float32")])
            j_model.get_layer(layer.name).set_weights(layer.get_weights())
    x = images(3)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


@pytest.mark.slow
def test_tiny_without_preprocessing_expects_normalized_inputs(tiny):
    k_model, _ = tiny
    j_model = jeras_with_keras_weights(
        k_model, input_shape=SHAPE, classes=CLASSES, include_preprocessing=False
    )
    mean = np.array([0.485, 0.456, 0.406]) * 255
    std = np.array([0.229, 0.224, 0.225]) * 255
    x = images(2, seed=4)
    assert_close(
        j_model.predict(((x - mean) / std).astype("float32"), verbose=0),
        k_model.predict(x, verbose=0),
        check_shape=True,
        **TOLERANCE,
    )


@pytest.mark.slow
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_tiny_without_top_pools_and_normalizes_the_features(tiny, pooling):
    k_model, _ = tiny
    j_model = jeras_with_keras_weights(
        k_model, input_shape=SHAPE, include_top=False, pooling=pooling
    )
    # The pooled features go through a fresh (untrained) layer normalization: gamma 1, beta 0.
    # The last block's residual sum is what the head pools.
    k_features = keras.Model(k_model.input, k_model.get_layer("convnext_tiny_head_gap").input)
    x = images(2, seed=1)
    reduce = np.mean if pooling == "avg" else np.max
    pooled = reduce(as_numpy(k_features(x, training=False)), axis=(1, 2))
    mean = pooled.mean(axis=-1, keepdims=True)
    variance = pooled.var(axis=-1, keepdims=True)
    expected = (pooled - mean) / np.sqrt(variance + 1e-6)
    assert_close(j_model.predict(x, verbose=0), expected, check_shape=True, **TOLERANCE)


def test_layer_scale_matches_keras():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    k_layer = keras_convnext.LayerScale(1e-6, 4)
    j_layer = convnext.LayerScale(1e-6, 4)
    expected = as_numpy(k_layer(x))
    j_layer(x)
    assert_close(j_layer.get_weights(), k_layer.get_weights())
    gamma = np.array([0.5, -1.0, 2.0, 3.0], "float32")
    k_layer.set_weights([gamma])
    j_layer.set_weights([gamma])
    assert_close(j_layer(x), k_layer(x))
    assert not np.allclose(expected, as_numpy(k_layer(x)))
    for key in ("init_values", "projection_dim", "trainable"):
        assert j_layer.get_config()[key] == k_layer.get_config()[key]


def test_stochastic_depth_drops_whole_samples_in_training_only():
    layer = convnext.StochasticDepth(0.5, seed=1)
    x = np.ones((2000, 3, 2), "float32")
    assert_close(layer(x), x)
    dropped = as_numpy(layer(x, training=True))
    per_sample = dropped.reshape(2000, -1)
    # Each sample is all 0 or all 1 / (1 - rate) = 2, kept with probability 1 / 2.
    assert set(np.unique(per_sample)) <= {0.0, 2.0}
    assert (per_sample.min(axis=1) == per_sample.max(axis=1)).all()
    assert abs((per_sample[:, 0] > 0).mean() - 0.5) < 0.05


def test_channels_first_is_refused():
    jeras.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="channels_first"):
            jeras.applications.ConvNeXtTiny(weights=None)
    finally:
        jeras.config.set_image_data_format("channels_last")


def test_imagenet_weights_need_1000_classes():
    with pytest.raises(ValueError, match="classes` should be 1000"):
        jeras.applications.ConvNeXtTiny(weights="imagenet", classes=10)


def test_preprocess_input_is_the_identity_as_in_keras():
    x = images(1)
    assert jeras.applications.convnext.preprocess_input(x) is x
    assert keras.applications.convnext.preprocess_input(x) is x


@pytest.mark.slow
def test_loads_keras_legacy_h5_weights(tiny, tmp_path):
    # Keras's published ImageNet files are Keras 2 HDF5 files, as Keras's legacy writer makes.
    k_model, _ = tiny
    name = "ConvNeXtTiny"
    path = str(tmp_path / "legacy.h5")
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, k_model)
    jeras.backend.clear_session()
    j_model = getattr(jeras.applications, name)(weights=path, input_shape=SHAPE, classes=CLASSES)
    x = images(2, seed=7)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


# Recorded from Keras 3.15.1, `ConvNeXtXLarge(weights=None, input_shape=(32, 32, 3))`:
# count_params(), number of layers, SHA-1 of the layer names joined by newlines. A jeras-only
# check of the sizes whose live comparison (above) is slowest.
KERAS_COUNTS = {
    "ConvNeXtSmall": (50223688, 261, "50316de3cea22fb1092f9b1645af14a37720787e"),
    "ConvNeXtBase": (88591464, 261, "476326f448b467dca018d64b7524c6cec62d96f1"),
    "ConvNeXtLarge": (197767336, 261, "7e6f9d0bf1dc086b8104b5aa7c4a8e0ee01d77f1"),
    "ConvNeXtXLarge": (350196968, 261, "1f40b975d306e0953a3d1184bbbb75b5d9c1cfd5"),
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


def _scaled_model(lib, convnext_module):
    inputs = lib.Input((3, 4))
    x = convnext_module.LayerScale(0.5, 4, name="scale")(inputs)
    x = convnext_module.StochasticDepth(0.1, name="drop_path")(x)
    return lib.Model(inputs, lib.layers.Add()([inputs, x]))


def test_keras_files_with_convnext_layers_cross_both_ways(tmp_path):
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    ours = _scaled_model(jeras, convnext)
    ours.save(tmp_path / "jeras.keras")
    in_keras = keras.saving.load_model(tmp_path / "jeras.keras")
    assert type(in_keras.get_layer("scale")) is keras_convnext.LayerScale
    assert_close(in_keras.predict(x, verbose=0), ours.predict(x, verbose=0), **TOLERANCE)

    theirs = _scaled_model(keras, keras_convnext)
    theirs.save(tmp_path / "keras.keras")
    in_jeras = jeras.saving.load_model(tmp_path / "keras.keras")
    assert type(in_jeras.get_layer("drop_path")) is convnext.StochasticDepth
    assert_close(in_jeras.predict(x, verbose=0), theirs.predict(x, verbose=0), **TOLERANCE)
