"""The guide's MLP trained from in-memory arrays, from a PyDataset (no workers, 4 worker threads,
2 worker processes) and from a Python generator, on the same Fashion-MNIST data, in one process;
prints the steady-state epoch time of each (wall clock, and CPU time of this process: worker
processes are not counted) and its ratio to the in-memory path. The inputs are run in turn
`--repeats` times and the medians reported, so a busy machine disturbs each alike.

    python benchmarks/input_pipelines.py [--epochs 3] [--repeats 2] [--quick]
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
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.ends = [time.perf_counter()]
        self.cpu = [time.process_time()]

    def on_epoch_end(self, epoch, logs=None):
        float(logs["loss"])  # the logs are host floats: the epoch's work is done
        self.ends.append(time.perf_counter())
        self.cpu.append(time.process_time())


class Batches(keras.utils.PyDataset):
    """Cheap batches: slices of arrays. At module level so worker processes can load it."""

    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        s = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[s], self.y[s]


def endless_generator(x, y, batch_size):
    while True:
        for i in range(0, len(x), batch_size):
            yield x[i : i + batch_size], y[i : i + batch_size]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    (x, y), _ = keras.datasets.fashion_mnist.load_data()
    n = 5000 if args.quick else 50000
    x = x[:n].reshape(n, 784).astype("float32") / 255
    y = y[:n].astype("float32")
    batch_size = 64
    steps = math.ceil(n / batch_size)
    common = dict(epochs=args.epochs, shuffle=False, verbose=0)
    runs = {
        "arrays": lambda: ((x, y), dict(batch_size=batch_size)),
        "pydataset_no_workers": lambda: ((Batches(x, y, batch_size, workers=0),), {}),
        "pydataset_4_threads": lambda: ((Batches(x, y, batch_size, workers=4),), {}),
        "pydataset_2_processes": lambda: (
            (Batches(x, y, batch_size, workers=2, use_multiprocessing=True),),
            {},
        ),
        "generator": lambda: ((endless_generator(x, y, batch_size),), dict(steps_per_epoch=steps)),
    }
    wall = {name: [] for name in runs}
    cpu = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, make in runs.items():
            timer = EpochTimer()
            inputs, kwargs = make()
            build().fit(*inputs, callbacks=[timer], **kwargs, **common)
            # The first epoch includes compilation (and starting worker processes).
            wall[name] += list(np.diff(timer.ends)[1:])
            cpu[name] += list(np.diff(timer.cpu)[1:])
    base_wall = statistics.median(wall["arrays"])
    base_cpu = statistics.median(cpu["arrays"])
    print(
        f"guide MLP, {n} samples, batch {batch_size}, median epoch of epochs 2..{args.epochs}, "
        f"{args.repeats} runs each"
    )
    for name in runs:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"  {name:22s} wall {w:6.3f} s {w / base_wall:5.2f}x   "
            f"cpu {c:6.3f} s {c / base_cpu:5.2f}x"
        )
    ratio = statistics.median(wall["pydataset_4_threads"]) / base_wall
    print(
        "target: PyDataset with workers <= 1.30x arrays (wall) ->",
        "PASS" if ratio <= 1.3 else "FAIL",
    )


if __name__ == "__main__":
    main()
