"""The shared part of `jeras.applications` against real Keras: input-shape rules, the `weights`
argument, `preprocess_input` in every mode, `decode_predictions`, and the legacy HDF5 weights
reader (files written by Keras's own legacy writer)."""

import json
import os
import warnings

import h5py
import keras
import numpy as np
import pytest
from keras.src.applications import imagenet_utils as keras_imagenet_utils
from keras.src.legacy.saving import legacy_h5_format
from oracle import assert_close, matmul_tolerance

import jeras
from jeras.applications import imagenet_utils
from jeras.applications.application_base import source_inputs


# -- obtain_input_shape -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "input_shape, require_flatten, weights",
    [
        (None, True, None),
        (None, False, None),
        (None, True, "imagenet"),
        ((64, 48, 3), False, None),
        ((64, 48, 1), True, None),
        ((None, None, 3), False, "imagenet"),
        ((224, 224, 3), True, "imagenet"),
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_obtain_input_shape_matches_keras(input_shape, require_flatten, weights, data_format):
    if input_shape is not None and data_format == "channels_first":
        input_shape = (input_shape[2], input_shape[0], input_shape[1])
    args = (input_shape, 224, 32, data_format, require_flatten, weights)
    assert imagenet_utils.obtain_input_shape(*args) == keras_imagenet_utils.obtain_input_shape(
        *args
    )


@pytest.mark.parametrize(
    "input_shape, require_flatten, weights, message",
    [
        ((16, 16, 3), False, None, "at least 32x32"),
        ((64, 64), False, None, "three integers"),
        ((64, 64, 1), False, "imagenet", "3 channels"),
        ((None, None, 3), True, None, "static `input_shape`"),
        ((100, 100, 3), True, "imagenet", "should be \\(224, 224, 3\\)"),
    ],
)
def test_obtain_input_shape_errors(input_shape, require_flatten, weights, message):
    args = (input_shape, 224, 32, "channels_last", require_flatten, weights)
    with pytest.raises(ValueError):
        keras_imagenet_utils.obtain_input_shape(*args)
    with pytest.raises(ValueError, match=message):
        imagenet_utils.obtain_input_shape(*args)


def test_correct_pad_matches_keras():
    for shape in [(None, 33, 33, 3), (None, 32, 31, 3), (None, None, None, 3)]:
        for kernel in [3, (5, 3)]:
            expected = keras_imagenet_utils.correct_pad(keras.KerasTensor(shape), kernel)
            assert imagenet_utils.correct_pad(jeras.models.KerasTensor(shape), kernel) == expected


# -- preprocess_input ---------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank", [3, 4])
def test_preprocess_input_matches_keras(mode, data_format, rank):
    rng = np.random.default_rng(0)
    shape = (2, 5, 4, 3) if data_format == "channels_last" else (2, 3, 5, 4)
    images = rng.uniform(0, 255, shape[4 - rank :]).astype("float32")
    expected = keras_imagenet_utils.preprocess_input(images.copy(), data_format, mode)
    # NumPy in place, as Keras, and a JAX array through the tensor path.
    given = images.copy()
    actual = imagenet_utils.preprocess_input(given, data_format, mode)
    assert actual.dtype == np.float32
    assert_close(actual, expected, check_shape=True)
    tensor_result = imagenet_utils.preprocess_input(
        jeras.ops.convert_to_tensor(images), data_format, mode
    )
    assert_close(tensor_result, expected, atol=1e-4, check_shape=True)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_preprocess_input_inside_a_model(mode):
    # On a symbolic tensor it becomes part of the model, as in Keras.
    inputs = jeras.Input((5, 4, 3))
    model = jeras.Model(inputs, imagenet_utils.preprocess_input(inputs, mode=mode))
    images = np.random.default_rng(3).uniform(0, 255, (2, 5, 4, 3)).astype("float32")
    expected = keras_imagenet_utils.preprocess_input(images.copy(), mode=mode)
    assert_close(model.predict(images, verbose=0), expected, atol=1e-4)


def test_preprocess_input_integer_images_become_float32():
    images = np.arange(2 * 4 * 4 * 3).reshape(2, 4, 4, 3).astype("uint8")
    expected = keras_imagenet_utils.preprocess_input(images.copy(), mode="tf")
    actual = imagenet_utils.preprocess_input(images.copy(), mode="tf")
    assert actual.dtype == np.float32
    assert_close(actual, expected)


def test_preprocess_input_bad_arguments():
    images = np.zeros((1, 4, 4, 3), "float32")
    with pytest.raises(ValueError, match="mode.*caffe.*tf.*torch.*Received: mode=bgr"):
        imagenet_utils.preprocess_input(images, mode="bgr")
    with pytest.raises(ValueError, match="data_format=nhwc"):
        imagenet_utils.preprocess_input(images, data_format="nhwc")


def test_family_preprocess_input_is_caffe_mode():
    images = np.random.default_rng(1).uniform(0, 255, (1, 4, 4, 3)).astype("float32")
    assert_close(
        jeras.applications.resnet.preprocess_input(images.copy()),
        keras.applications.resnet.preprocess_input(images.copy()),
    )


# -- decode_predictions ------------------------------------------------------------------------
@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty Keras home, no download possible, and no class index read before."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(imagenet_utils, "_class_index", None)

    def no_network(*args, **kwargs):
        raise OSError("no network in the tests")

    monkeypatch.setattr(jeras.utils, "get_file", no_network, raising=False)
    return tmp_path


def test_decode_predictions_reads_the_cached_class_index(keras_home):
    os.makedirs(keras_home / "models")
    class_index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (keras_home / "models" / "imagenet_class_index.json").write_text(json.dumps(class_index))
    preds = np.random.default_rng(0).uniform(size=(2, 1000)).astype("float32")
    decoded = jeras.applications.resnet.decode_predictions(preds, top=3)
    best = np.argsort(-preds, axis=1)[:, :3]
    assert [[entry[:2] for entry in row] for row in decoded] == [
        [(f"n{i:08d}", f"class_{i}") for i in row] for row in best
    ]
    assert_close(
        [[entry[2] for entry in row] for row in decoded], np.sort(preds, axis=1)[:, ::-1][:, :3]
    )


def test_decode_predictions_offline_without_the_file_says_which_file(keras_home):
    with pytest.raises(ValueError, match="imagenet_class_index.json.*pass its local path"):
        imagenet_utils.decode_predictions(np.zeros((1, 1000), "float32"))


def test_decode_predictions_checks_the_shape():
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        imagenet_utils.decode_predictions(np.zeros((2, 10), "float32"))


# -- the weights argument and the input tensor ---------------------------------------------------
def test_weights_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="weights=/no/such/file.h5"):
        jeras.applications.ResNet50(weights="/no/such/file.h5")
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        jeras.applications.ResNet50(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        jeras.applications.ResNet50(
            weights=str(tmp_path), input_shape=(32, 32, 3), classes=10, classifier_activation="relu"
        )


def test_imagenet_weights_offline_name_the_file_and_the_way_out(keras_home):
    with pytest.raises(ValueError) as info:
        jeras.applications.ResNet50(weights="imagenet", include_top=False, input_shape=(32, 32, 3))
    message = str(info.value)
    assert "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert "storage.googleapis.com" in message and "pass its local path" in message


def test_input_tensor_must_be_symbolic():
    with pytest.raises(ValueError, match="`input_tensor` must be a symbolic tensor"):
        jeras.applications.ResNet50(weights=None, input_tensor=np.zeros((1, 32, 32, 3)))


def test_source_inputs_walks_back_to_the_inputs():
    first, second = jeras.Input((4,)), jeras.Input((4,))
    merged = jeras.layers.Add()([jeras.layers.Dense(4)(first), second])
    assert source_inputs(first) is first
    found = source_inputs(jeras.layers.Dense(2)(merged))
    assert len(found) == 2 and found[0] is first and found[1] is second


# -- the legacy HDF5 weights reader ---------------------------------------------------------------
def _small_cnn(lib, name_prefix=""):
    inputs = lib.Input((8, 8, 3))
    x = lib.layers.Conv2D(4, 3, name=f"{name_prefix}conv")(inputs)
    x = lib.layers.BatchNormalization(name=f"{name_prefix}bn")(x)
    x = lib.layers.Activation("relu")(x)
    x = lib.layers.GlobalAveragePooling2D()(x)
    outputs = lib.layers.Dense(3, name=f"{name_prefix}dense")(x)
    return lib.Model(inputs, outputs)


def _randomized_keras_cnn(name_prefix=""):
    model = _small_cnn(keras, name_prefix)
    rng = np.random.default_rng(0)
    # Non-default moving statistics, so that loading them is visible in inference.
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    bn = model.get_layer(f"{name_prefix}bn")
    bn.moving_variance.assign(np.abs(bn.moving_variance.numpy()) + 0.5)
    return model


def _write_legacy_weights(model, path):
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


def test_legacy_h5_from_keras_loads_in_order(tmp_path):
    source = _randomized_keras_cnn()
    path = str(tmp_path / "legacy.h5")
    _write_legacy_weights(source, path)
    target = _small_cnn(jeras, "other_")  # different names: matched by order
    target.load_weights(path)
    x = np.random.default_rng(1).normal(size=(2, 8, 8, 3)).astype("float32")
    assert_close(target.predict(x, verbose=0), source.predict(x, verbose=0), **matmul_tolerance())


def test_legacy_h5_by_name_and_whole_model_file(tmp_path):
    source = _randomized_keras_cnn()
    path = str(tmp_path / "model.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source.save(path)  # Keras's legacy whole-model file: weights under `model_weights`
    target = _small_cnn(jeras)
    target.load_weights(path, by_name=True)
    x = np.random.default_rng(2).normal(size=(2, 8, 8, 3)).astype("float32")
    assert_close(target.predict(x, verbose=0), source.predict(x, verbose=0), **matmul_tolerance())
    # By name, layers that the file lacks keep their values.
    renamed = _small_cnn(jeras, "other_")
    before = [np.asarray(w) for w in renamed.get_weights()]
    renamed.load_weights(path, by_name=True)
    assert_close(renamed.get_weights(), before)


def test_legacy_h5_mismatches_are_clear_errors(tmp_path):
    path = str(tmp_path / "legacy.h5")
    _write_legacy_weights(_randomized_keras_cnn(), path)
    inputs = jeras.Input((8, 8, 3))
    wider = jeras.Model(
        inputs,
        jeras.layers.Dense(3, name="dense")(
            jeras.layers.GlobalAveragePooling2D()(
                jeras.layers.BatchNormalization(name="bn")(
                    jeras.layers.Conv2D(5, 3, name="conv")(inputs)
                )
            )
        ),
    )
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #0 .*'conv'.*\(3, 3, 3, 5\)"):
        wider.load_weights(path)
    with pytest.warns(UserWarning, match="Skipping"):
        wider.load_weights(path, skip_mismatch=True)
    fewer = jeras.Model(inputs, jeras.layers.Dense(3)(jeras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="Layer count mismatch.*1 layers with weights.*found 3"):
        fewer.load_weights(path)
    with pytest.raises(ValueError, match="`by_name` only supports loading legacy"):
        fewer.load_weights(str(tmp_path / "x.weights.h5"), by_name=True)


def test_a_keras_3_weights_file_named_h5_is_refused_clearly(tmp_path):
    path = str(tmp_path / "new_format.h5")
    model = _small_cnn(keras)
    model.save_weights(str(tmp_path / "m.weights.h5"))
    os.rename(tmp_path / "m.weights.h5", path)
    with pytest.raises(ValueError, match="not a legacy Keras HDF5 weights file"):
        _small_cnn(jeras).load_weights(path)


def test_keras_2_style_file_with_tensor_names_and_split_attributes(tmp_path):
    # As Keras 2 wrote the published files: `name:0` weight names, byte strings, version
    # attributes, and a `layer_names` list split over `layer_names0`, `layer_names1`, ...
    source = _randomized_keras_cnn()
    path = str(tmp_path / "keras2.h5")
    layer_names = [layer.name.encode("utf8") for layer in source.layers]
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.2.4"
        f.attrs["backend"] = b"tensorflow"
        half = len(layer_names) // 2
        f.attrs["layer_names0"] = np.array(layer_names[:half])
        f.attrs["layer_names1"] = np.array(layer_names[half:])
        for layer in source.layers:
            group = f.create_group(layer.name)
            variables = layer.trainable_weights + layer.non_trainable_weights
            names = [f"{layer.name}/{v.name}:0".encode("utf8") for v in variables]
            group.attrs["weight_names"] = np.array(names, dtype="S")
            for name, variable in zip(names, variables):
                group.create_dataset(name.decode(), data=np.asarray(variable))
    target = _small_cnn(jeras)
    target.load_weights(path)
    x = np.random.default_rng(3).normal(size=(2, 8, 8, 3)).astype("float32")
    assert_close(target.predict(x, verbose=0), source.predict(x, verbose=0), **matmul_tolerance())
