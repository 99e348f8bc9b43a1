"""PyDatasets for the worker-process tests. They live in an importable module because spawned
worker processes load a dataset's class by module and name."""

import math
import os
import time

import numpy as np

import jeras

rng = np.random.default_rng(0)
X = rng.normal(size=(203, 12)).astype("float32")
Y = rng.integers(0, 4, 203).astype("float32")


def dataset_class(base):
    """The dataset class on `base`: jeras's PyDataset, or Keras's for the tests that compare."""

    class Batches(base):
        """Batches of X, Y through an index order that `on_epoch_end` may reshuffle (the new order
        must reach worker processes). `fail_at` raises at that index; `exit_at` kills the worker
        process computing it; `slow_from` makes every index from there sleep, after touching
        `marker` (so a test knows training is under way)."""

        def __init__(
            self,
            batch_size=16,
            reshuffle=False,
            fail_at=None,
            exit_at=None,
            slow_from=None,
            marker=None,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.batch_size = batch_size
            self.reshuffle = reshuffle
            self.fail_at = fail_at
            self.exit_at = exit_at
            self.slow_from = slow_from
            self.marker = marker
            self.order = np.arange(len(X))
            self.main_pid = os.getpid()
            self.epochs_ended = 0

        def __len__(self):
            return math.ceil(len(X) / self.batch_size)

        def __getitem__(self, index):
            if index == self.fail_at:
                raise KeyError(f"batch {index} is broken")
            if index == self.exit_at and os.getpid() != self.main_pid:
                os._exit(3)
            if self.slow_from is not None and index >= self.slow_from:
                with open(self.marker, "a") as f:
                    f.write(f"{os.getpid()}\n")
                time.sleep(600)
            rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
            return X[rows], Y[rows]

        def on_epoch_end(self):
            self.epochs_ended += 1
            if self.reshuffle:
                self.order = np.random.default_rng(self.epochs_ended).permutation(len(X))

    return Batches


# Spawned workers find the class by module and name, so it must be reachable as `Batches`.
Batches = dataset_class(jeras.utils.PyDataset)
Batches.__qualname__ = "Batches"


class LoadsOnlyHere(Batches):
    """Pickles, but refuses to be unpickled in another process (as a class defined in an
    interactive session would)."""

    def __setstate__(self, state):
        if os.getpid() != state["main_pid"]:
            raise AttributeError("Can't get attribute 'LoadsOnlyHere' on <module '__main__'>")
        self.__dict__.update(state)
