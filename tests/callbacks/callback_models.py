"""Shared models and data for the callback tests: the same small classifier built in Keras and
in jeras with identical initial weights, so a callback can be checked against Keras's own."""

import keras
import numpy as np

import jeras


def classifier(lib, features=6):
    inputs = lib.Input(shape=(features,), name="features")
    hidden = lib.layers.Dense(8, activation="relu", name="hidden")(inputs)
    outputs = lib.layers.Dense(1, activation="sigmoid", name="out")(hidden)
    return lib.Model(inputs, outputs)


def binary_data(n=96, features=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    w = rng.normal(size=(features,))
    y = ((x @ w + 0.7 * rng.normal(size=n)) > 0).astype("float32")[:, None]
    return x, y


def compiled_pair(
    optimizer=lambda lib: lib.optimizers.Adam(0.02), metrics=("accuracy", "mae"), seed=0
):
    """A Keras and a jeras classifier with the same weights, compiled alike."""
    keras.utils.set_random_seed(seed)
    k_model, j_model = classifier(keras), classifier(jeras)
    j_model.set_weights(k_model.get_weights())
    for model, lib in ((k_model, keras), (j_model, jeras)):
        model.compile(optimizer=optimizer(lib), loss="binary_crossentropy", metrics=list(metrics))
    return k_model, j_model
