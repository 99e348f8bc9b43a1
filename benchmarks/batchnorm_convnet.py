"""A small convnet with and without BatchNormalization, jeras vs Keras 3, measured side by side.

The question: does BatchNormalization (moving statistics written inside the compiled step, a
short last batch run at its own size) cost jeras more than it costs Keras? The printed ratio
`keras/jeras` with BatchNormalization should not be below the one without.

    python benchmarks/batchnorm_convnet.py [--samples 1000] [--epochs 2]

Each (library, model) pair runs one warm-up epoch (compilation) and then `--epochs` timed
epochs, in this process, one after the other. Not a test: nothing is asserted.
"""

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import jeras  # noqa: E402


def build(lib, batch_norm):
    inputs = lib.Input((28, 28, 1))
    hidden = inputs
    for filters in (16, 32):
        hidden = lib.layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm)(hidden)
        if batch_norm:
            hidden = lib.layers.BatchNormalization()(hidden)
        hidden = lib.layers.Activation("relu")(hidden)
        hidden = lib.layers.MaxPooling2D(2)(hidden)
    hidden = lib.layers.GlobalAveragePooling2D()(hidden)
    model = lib.Model(inputs, lib.layers.Dense(10, activation="softmax")(hidden))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def epoch_seconds(lib, batch_norm, x, y, epochs, batch_size):
    lib.utils.set_random_seed(0)
    model = build(lib, batch_norm)
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)  # compiles
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return (time.perf_counter() - start) / epochs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, args.samples)
    times = {}
    for batch_norm in (False, True):
        for lib in (keras, jeras):
            seconds = epoch_seconds(lib, batch_norm, x, y, args.epochs, args.batch_size)
            times[lib.__name__, batch_norm] = seconds
            label = "with" if batch_norm else "without"
            print(f"{lib.__name__:6s} {label:7s} BatchNormalization: {seconds:.3f} s/epoch")
    for batch_norm in (False, True):
        ratio = times["keras", batch_norm] / times["jeras", batch_norm]
        label = "with" if batch_norm else "without"
        print(f"keras/jeras {label:7s} BatchNormalization: {ratio:.2f}")


if __name__ == "__main__":
    main()
