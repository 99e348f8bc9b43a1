"""Helpers shared by the application family tests: a Keras model of a family with non-trivial
weights (batch-normalization statistics included), the same family built by jeras, weight files
written by Keras, and the comparison of their predictions.

Keras builds these models slowly (tens of seconds each on a CPU), so each test module builds one
Keras model per family, through a module-scoped fixture, and derives everything else from it.
"""

import h5py
import keras
import numpy as np
from keras.src.legacy.saving import legacy_h5_format
from oracle import assert_close

import jeras


def build_pair(name, input_size, **kwargs):
    """`(keras_model, jeras_model)` of family builder `name` with `weights=None`, logits out,
    same automatic names on both sides; the Keras model gets randomized batch-normalization
    parameters and statistics (the defaults would hide a mix-up of them)."""
    kwargs = {
        "weights": None,
        "input_shape": (input_size, input_size, 3),
        "classes": 5,
        "classifier_activation": None,
        **kwargs,
    }
    keras.backend.clear_session()
    keras_model = getattr(keras.applications, name)(**kwargs)
    randomize_batch_norms(keras_model)
    jeras.backend.clear_session()
    jeras_model = getattr(jeras.applications, name)(**kwargs)
    return keras_model, jeras_model


def randomize_batch_norms(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            size = layer.moving_mean.shape
            layer.moving_mean.assign(rng.normal(0.0, 0.1, size).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, size).astype("float32"))
            if layer.gamma is not None:
                layer.gamma.assign(rng.uniform(0.5, 1.5, size).astype("float32"))
            if layer.beta is not None:
                layer.beta.assign(rng.normal(0.0, 0.1, size).astype("float32"))


def images(input_size, batch=2, seed=0):
    """Preprocessed-looking images: values in [-1, 1]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (batch, input_size, input_size, 3)).astype("float32")


def assert_same_predictions(jeras_model, keras_model, x):
    expected = np.asarray(keras_model.predict(x, verbose=0))
    actual = np.asarray(jeras_model.predict(x, verbose=0))
    assert actual.shape == expected.shape
    # Not a trivially constant output (random weights can starve a deep ReLU network).
    spread = float(np.ptp(expected))
    assert spread > 0, "the Keras model's outputs are constant: the comparison would be empty"
    # A deep network amplifies float32 rounding: compare at the scale of the outputs.
    assert_close(actual, expected, atol=1e-4 * float(np.abs(expected).max()), rtol=1e-4)


def assert_same_structure(jeras_model, keras_model):
    assert [layer.name for layer in jeras_model.layers] == [
        layer.name for layer in keras_model.layers
    ]
    assert [w.path for w in jeras_model.weights] == [w.path for w in keras_model.weights]
    assert [tuple(w.shape) for w in jeras_model.weights] == [
        tuple(w.shape) for w in keras_model.weights
    ]
    assert jeras_model.count_params() == keras_model.count_params()


def write_legacy_h5(model, path):
    """Keras 2's weights layout (as the published `*_tf_kernels.h5` files), written by Keras's
    own legacy writer."""
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return str(path)


def keras_feature_extractor(keras_model, last_feature_layer):
    """The Keras model without its top: inputs to the output of `last_feature_layer`."""
    return keras.Model(keras_model.inputs, keras_model.get_layer(last_feature_layer).output)
