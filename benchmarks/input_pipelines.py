"""The guide's MLP trained from in-memory arrays, from a PyDataset (1 and 4 worker threads) and
from a Python generator, on the same Fashion-MNIST data, in one process; prints the steady-state
epoch time of each and its ratio to the in-memory path.

    python benchmarks/input_pipelines.py [--epochs 3] [--quick]
"""

import argparse
import math
import statistics
import time

import numpy as np

import jeras as keras
from jeras import layers


def build():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.ends = [time.perf_counter()]

    def on_epoch_end(self, epoch, logs=None):
        float(logs["loss"])  # the logs are host floats: the epoch's work is done
        self.ends.append(time.perf_counter())


def batches_dataset(x, y, batch_size, workers):
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return math.ceil(len(x) / batch_size)

        def __getitem__(self, index):
            s = slice(index * batch_size, (index + 1) * batch_size)
            return x[s], y[s]

    return Batches(workers=workers)


def endless_generator(x, y, batch_size):
    while True:
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    (x, y), _ = keras.datasets.fashion_mnist.load_data()
    n = 5000 if args.quick else 50000
    x = x[:n].reshape(n, 784).astype("float32") / 255
    y = y[:n].astype("float32")
    batch_size = 64
    steps = math.ceil(n / batch_size)
    runs = {
        "arrays": lambda m, cb: m.fit(x, y, batch_size=batch_size, epochs=args.epochs,
                                      shuffle=False, verbose=0, callbacks=[cb]),
        "pydataset_1_worker": lambda m, cb: m.fit(batches_dataset(x, y, batch_size, 1),
                                                  epochs=args.epochs, shuffle=False, verbose=0,
                                                  callbacks=[cb]),
        "pydataset_4_workers": lambda m, cb: m.fit(batches_dataset(x, y, batch_size, 4),
                                                   epochs=args.epochs, shuffle=False, verbose=0,
                                                   callbacks=[cb]),
        "generator": lambda m, cb: m.fit(endless_generator(x, y, batch_size),
                                         steps_per_epoch=steps, epochs=args.epochs, verbose=0,
                                         callbacks=[cb]),
    }
    results = {}
    for name, run in runs.items():
        timer = EpochTimer()
        run(build(), timer)
        epochs = np.diff(timer.ends)[1:]  # the first epoch includes compilation
        results[name] = statistics.median(epochs)
    base = results["arrays"]
    print(f"guide MLP, {n} samples, batch {batch_size}, median epoch of epochs 2..{args.epochs}")
    for name, seconds in results.items():
        print(f"  {name:22s} {seconds:7.3f} s   {seconds / base:5.2f}x arrays")
    print("target: PyDataset with workers <= 1.30x arrays ->",
          "PASS" if results["pydataset_4_workers"] / base <= 1.3 else "FAIL")


if __name__ == "__main__":
    main()
