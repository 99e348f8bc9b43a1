"""EfficientNetV2B0 to B3, S, M and L against real Keras 3: the same layers (names, order,
parameters), Keras's weights loaded from a `.weights.h5` file written by Keras give Keras's
predictions (with the model's own input scaling), and the module functions.

Each variant is built once, in its own slow test: building a Keras application takes tens of
seconds on a busy CPU."""

import hashlib

import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras

SHAPE = (32, 32, 3)
CLASSES = 10
TOLERANCE = matmul_tolerance(atol=1e-4, rtol=1e-4)


def images(count, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, *SHAPE)).astype("float32")


@pytest.mark.slow
@pytest.mark.parametrize(
    "variant, kwargs",
    [
        ("B0", {}),
        ("B0", {"include_preprocessing": False}),
        # The other variants differ from B0 only in their block table (their counts and layer
        # names are checked against recorded Keras values below); a live Keras build of each costs minutes.
    ],
)
def test_variant_matches_keras(variant, kwargs, tmp_path):
    name = f"EfficientNetV2{variant}"
    keras.backend.clear_session()
    jeras.backend.clear_session()
    k_model = getattr(keras.applications, name)(
        weights=None, input_shape=SHAPE, classes=CLASSES, **kwargs
    )
    path = str(tmp_path / "keras.weights.h5")
    k_model.save_weights(path)
    j_model = getattr(jeras.applications, name)(
        weights=path, input_shape=SHAPE, classes=CLASSES, **kwargs
    )
    assert j_model.name == k_model.name
    assert [layer.name for layer in j_model.layers] == [layer.name for layer in k_model.layers]
    assert [w.path for w in j_model.weights] == [w.path for w in k_model.weights]
    assert j_model.count_params() == k_model.count_params()
    x = images(2)
    assert_close(
        j_model.predict(x, verbose=0), k_model.predict(x, verbose=0), check_shape=True, **TOLERANCE
    )


def test_pooling_without_top():
    model = jeras.applications.EfficientNetV2B0(
        weights=None, input_shape=SHAPE, include_top=False, pooling="max"
    )
    assert model.layers[-1].name == "max_pool"
    assert tuple(model.outputs[0].shape) == (None, 1280)


def test_a_renamed_model_keeps_its_architecture():
    # Keras looks the stages up by the model's name; jeras by the variant, so a new name works.
    model = jeras.applications.EfficientNetV2B0(
        weights=None, input_shape=SHAPE, include_top=False, name="my_backbone"
    )
    assert model.name == "my_backbone"
    assert model.get_layer("block6h_add") is not None


def test_imagenet_weights_need_1000_classes():
    with pytest.raises(ValueError, match="classes` should be 1000"):
        jeras.applications.EfficientNetV2S(weights="imagenet", classes=10)


def test_preprocess_input_is_the_identity_as_in_keras():
    x = images(1)
    assert jeras.applications.efficientnet_v2.preprocess_input(x) is x
    assert keras.applications.efficientnet_v2.preprocess_input(x) is x


# Recorded from Keras 3.15.1, `EfficientNetV2<variant>(weights=None, input_shape=(32, 32, 3))`:
# (parameter count, layer count, sha1 of the layer names joined by newlines). A live Keras build
# of each takes minutes; B0 is compared live above.
KERAS_COUNTS = {
    "EfficientNetV2B1": (8212124, 337, "822acc321b78abfefd0d99597a6a85155454f41d"),
    "EfficientNetV2B2": (10178374, 352, "277674202d5cd0aa2d67cbdfbcc4023f1de692ae"),
    "EfficientNetV2B3": (14467622, 412, "403700cd6fce9693b38e5a73caf9fd6bf9e3150f"),
    "EfficientNetV2S": (21612360, 516, "3cfd727d5dd1b3344903af4e2910706c72952073"),
    "EfficientNetV2M": (54431388, 743, "a87c9bba04a060b25ff486f0d8156547ce0674d4"),
    "EfficientNetV2L": (119027848, 1031, "48b277d4926cd0626b665803cab3351160a4df00"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KERAS_COUNTS))
def test_larger_variants_have_keras_parameters_and_layer_names(name):
    jeras.backend.clear_session()
    model = getattr(jeras.applications, name)(weights=None, input_shape=SHAPE)
    names = "\n".join(layer.name for layer in model.layers)
    assert (
        model.count_params(),
        len(model.layers),
        hashlib.sha1(names.encode()).hexdigest(),
    ) == KERAS_COUNTS[name]
