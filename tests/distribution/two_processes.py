"""One process of a data-parallel fit joined by `keras.distribution.initialize` (run by
test_distribution.py as two processes with 4 simulated CPU devices each, or as one process with
8): prints one JSON line with the history, evaluation and predictions."""

import json
import os
import sys

process_id, port, num_processes = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
# argv[4]: the BackupAndRestore folder (shared by the processes of one run).
os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={8 // num_processes}"

import jax  # noqa: E402
import numpy as np  # noqa: E402

import jeras as keras  # noqa: E402

if num_processes > 1:
    # XLA:CPU needs a collectives library to reduce across processes.
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    os.environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = f"localhost:{port}"
    os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"] = str(num_processes)
    os.environ["KERAS_DISTRIBUTION_PROCESS_ID"] = str(process_id)
    keras.distribution.initialize()

# Every process holds the same data and the same seed: each feeds its devices only its rows of
# every batch, and the result is the one-process result.
keras.utils.set_random_seed(3)
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 20)).astype("float32")
Y = rng.integers(0, 4, 200)


class Batches(keras.utils.PyDataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return X[i * 32 : (i + 1) * 32], Y[i * 32 : (i + 1) * 32]


keras.distribution.set_distribution(keras.distribution.DataParallel())
inputs = keras.Input((20,))
hidden = keras.layers.Dense(32, activation="relu")(inputs)
model = keras.Model(inputs, keras.layers.Dense(4)(hidden))
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
# BackupAndRestore across the processes: a first run of 2 epochs is backed up (by process 0)
# and kept; a second run asking for 3 epochs resumes from it in every process and runs one.
backup_dir = sys.argv[4]
backup = keras.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False)
result = {
    "processes": jax.process_count(),
    "devices": len(jax.devices()),
    "local_devices": len(jax.local_devices()),
    "history": model.fit(X, Y, batch_size=32, epochs=2, verbose=0).history,
    "py_dataset": model.fit(Batches(), epochs=1, shuffle=False, verbose=0).history,
    "evaluate": model.evaluate(X, Y, verbose=0),
    "predict": np.asarray(model.predict(X[:50], verbose=0)).tolist(),
    "weights": [w.tolist() for w in model.get_weights()],
}
model.fit(X, Y, batch_size=32, epochs=2, callbacks=[backup], verbose=0)
resumed = model.fit(X, Y, batch_size=32, epochs=3, callbacks=[backup], verbose=0)
result["resumed_epochs"] = resumed.epoch
result["resumed_history"] = resumed.history
result["resumed_weights"] = [w.tolist() for w in model.get_weights()]
print(json.dumps(result), flush=True)
