"""The contestants, as they run inside a child process (see bench_harness.py).

  jeras  `import jeras as keras`, then the workload's Keras-API code and `model.fit`
  keras  `import keras` (Keras 3, KERAS_BACKEND=jax), then literally the same code
  jax    the "floor": the workload's hand-written JAX model in the cheapest sensible loop
         (device-resident data gathered by index; one compiled call per epoch that
         `lax.scan`s over the steps, or one compiled call per step where XLA runs the
         model faster that way)

Each measures itself and returns a dict of measurements; benchmarks/README.md says what
every field means. Only the standard library is imported at module level: the contestant's
own import is the first thing timed.
"""

import contextlib
import os
import time

from bench_data import prepare
from bench_harness import epoch_times, median_ms, steady_epoch_s
from bench_workloads import WORKLOADS


def run(job):
    """The child's entry point (`"worker": "bench_contestants:run"`)."""
    workload = WORKLOADS[job["workload"]]
    if job["contestant"] == "jax":
        return jax_floor(job, workload)
    return keras_api(job, workload)


def _history_rows(history):
    keys = sorted(history)
    n = len(history[keys[0]]) if keys else 0
    return [{k: float(history[k][i]) for k in keys} for i in range(n)]


# --------------------------------------------------------------------------
# jeras and Keras: the same code, given the imported module
# --------------------------------------------------------------------------


def keras_api(job, workload):
    t0 = time.perf_counter()
    if job["contestant"] == "jeras":
        import jeras as keras
    else:
        import keras
    import_s = time.perf_counter() - t0

    import numpy as np

    t_data = time.perf_counter()
    x_train, y_train, x_val, y_val, x_test = prepare(job, workload)
    data_s = time.perf_counter() - t_data

    model = workload.build(keras)

    class EpochTimer(keras.callbacks.Callback):
        """Timestamps the end of every epoch, after blocking on its results."""

        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            # Converting every logged value to a Python float waits for the epoch's
            # computation (training metrics depend on every step, validation metrics on
            # the final weights), so JAX's async dispatch cannot hide work past the stamp.
            for value in (logs or {}).values():
                float(value)
            self.ends.append(time.perf_counter())

    timer = EpochTimer()
    # With verbose=1 the progress bar goes to a file: what a user sees in a log or a pipe,
    # and it keeps the child's stdout for the result line.
    progress_path = os.path.join(
        os.path.dirname(job["data"]), f"progress-{workload.name}-{job['contestant']}.txt"
    )
    fit_start = time.perf_counter()
    with open(progress_path, "w") as progress, contextlib.redirect_stdout(progress):
        history = model.fit(
            x_train,
            y_train,
            batch_size=workload.batch_size,
            epochs=job["epochs"],
            validation_data=(x_val, y_val),
            verbose=workload.verbose,
            callbacks=workload.callbacks(keras) + [timer],
        )
    cold_s = time.perf_counter() - t0
    times = epoch_times(fit_start, timer.ends)

    x3 = x_test[:3]
    predict3_ms = median_ms(lambda: model.predict(x3, verbose=0))
    call_ms = median_ms(lambda: np.asarray(model(x3)))

    rows = _history_rows(history.history)
    last = rows[-1] if rows else {}
    import jax

    return {
        "import_s": import_s,
        "cold_s": cold_s,
        "data_s": data_s,
        "setup_s": fit_start - t_data - data_s,
        "fit_s": timer.ends[-1] - fit_start if timer.ends else None,
        "epoch_times_s": times,
        "epoch_s": steady_epoch_s(times),
        "predict3_ms": predict3_ms,
        "call_ms": call_ms,
        "val_acc": last.get("val_" + workload.accuracy_key),
        "val_loss": last.get("val_loss"),
        "history": rows,
        "train_samples": len(x_train),
        "val_samples": len(x_val),
        "progress_bytes": os.path.getsize(progress_path),
        "version": getattr(keras, "__version__", None),
        "device": str(jax.devices()[0]),
    }


# --------------------------------------------------------------------------
# The hand-written JAX floor
# --------------------------------------------------------------------------


def jax_floor(job, workload):
    t0 = time.perf_counter()
    import jax
    import optax

    import_s = time.perf_counter() - t0

    import jax.numpy as jnp
    import numpy as np

    t_data = time.perf_counter()
    x_train, y_train, x_val, y_val, x_test = prepare(job, workload)
    data_s = time.perf_counter() - t_data

    floor = workload.floor
    batch = workload.batch_size
    n_train, n_val = len(x_train), len(x_val)
    train_steps = -(-n_train // batch)
    val_steps = -(-n_val // batch)
    fused = jax.default_backend() != "cpu" or floor.scan_on_cpu
    one_hot = workload.labels == "one_hot"
    label_dtype = np.float32 if one_hot else np.int32

    # Training data stays on the device for the whole run; batches are gathered from it
    # by index inside the compiled code.
    x_train_d = jax.device_put(x_train)
    y_train_d = jax.device_put(y_train.astype(label_dtype))
    # Validation order never changes, so its batches are laid out once: zero-padded to a
    # whole number of batches, with a 0/1 mask.
    val_pad = val_steps * batch - n_val

    def padded_batches(a, dtype):
        a = np.concatenate([a.astype(dtype), np.zeros((val_pad,) + a.shape[1:], dtype)])
        return jax.device_put(a.reshape((val_steps, batch) + a.shape[1:]))

    x_val_d = padded_batches(x_val, np.float32)
    y_val_d = padded_batches(y_val, label_dtype)
    m_val_d = padded_batches(np.ones(n_val, np.float32), np.float32)
    # The last partial training batch is padded with index 0 and masked out, so its loss
    # is the mean over its real samples, as Keras's smaller last batch gives.
    train_mask = (np.arange(train_steps * batch) < n_train).astype(np.float32)
    train_mask_d = jax.device_put(train_mask.reshape(train_steps, batch))

    optimizer = floor.optimizer()
    # One signature for every floor: a stateless model carries an empty state.
    if floor.init_state is None:

        def forward(params, state, x, training, key):
            return floor.forward(params, x, training, key), state

    else:
        forward = floor.forward

    def per_sample(probs, labels):
        # Cross-entropy on probabilities, clipped as Keras does (epsilon 1e-7).
        log_p = jnp.log(jnp.clip(probs, 1e-7, 1.0 - 1e-7))
        if one_hot:
            nll = -jnp.sum(labels * log_p, axis=-1)
            target = jnp.argmax(labels, axis=-1)
        else:
            nll = -jnp.take_along_axis(log_p, labels[:, None], axis=-1)[:, 0]
            target = labels
        correct = (jnp.argmax(probs, axis=-1) == target).astype(jnp.float32)
        return nll, correct

    # The data goes into the compiled functions as arguments: arrays closed over would be
    # baked into the executable as constants.
    data = (x_train_d, y_train_d, train_mask_d, x_val_d, y_val_d, m_val_d)

    def train_step(params, state, opt_state, sums, data, bidx, i, key):
        x_all, y_all, mask = data[:3]
        xb, yb, bmask = x_all[bidx], y_all[bidx], mask[i]
        count = jnp.sum(bmask)
        step_key = jax.random.fold_in(key, i)

        def loss_fn(p):
            probs, new_state = forward(p, state, xb, True, step_key)
            nll, correct = per_sample(probs, yb)
            return jnp.sum(nll * bmask) / count, (jnp.sum(correct * bmask), new_state)

        (loss, (correct, state)), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        # Keras's loss tracker weights each batch's mean loss by its size.
        return params, state, opt_state, (sums[0] + loss * count, sums[1] + correct)

    def val_step(params, state, sums, data, i):
        xv, yv, mv = data[3:]
        probs, _ = forward(params, state, xv[i], False, None)
        nll, correct = per_sample(probs, yv[i])
        return sums[0] + jnp.sum(nll * mv[i]), sums[1] + jnp.sum(correct * mv[i])

    def epoch_metrics(train_sums, val_sums):
        return {
            "loss": train_sums[0] / n_train,
            workload.accuracy_key: train_sums[1] / n_train,
            "val_loss": val_sums[0] / n_val,
            "val_" + workload.accuracy_key: val_sums[1] / n_val,
        }

    zero = (jnp.zeros((), jnp.float32), jnp.zeros((), jnp.float32))

    def fused_epoch(params, state, opt_state, data, idx, key):
        def scan_train(carry, step):
            params, state, opt_state, sums = carry
            bidx, i = step
            return train_step(params, state, opt_state, sums, data, bidx, i, key), None

        (params, state, opt_state, train_sums), _ = jax.lax.scan(
            scan_train, (params, state, opt_state, zero), (idx, jnp.arange(train_steps))
        )
        val_sums, _ = jax.lax.scan(
            lambda sums, i: (val_step(params, state, sums, data, i), None),
            zero,
            jnp.arange(val_steps),
        )
        return params, state, opt_state, epoch_metrics(train_sums, val_sums)

    if fused:
        fused_epoch_jit = jax.jit(fused_epoch, donate_argnums=(0, 1, 2))
    else:
        train_step_jit = jax.jit(train_step, donate_argnums=(0, 1, 2))
        val_step_jit = jax.jit(val_step)
        epoch_metrics_jit = jax.jit(epoch_metrics)

    def run_epoch(params, state, opt_state, idx, key):
        if fused:
            return fused_epoch_jit(params, state, opt_state, data, idx, key)
        train_sums = val_sums = zero
        for i in range(train_steps):
            params, state, opt_state, train_sums = train_step_jit(
                params, state, opt_state, train_sums, data, idx[i], np.int32(i), key
            )
        for i in range(val_steps):
            val_sums = val_step_jit(params, state, val_sums, data, np.int32(i))
        return params, state, opt_state, epoch_metrics_jit(train_sums, val_sums)

    def epoch_indices(rng):
        # The per-epoch shuffle is drawn on the host: numpy permutes 50,000 indices in
        # about a millisecond, XLA:CPU's sort-based jax.random.permutation takes tens of
        # milliseconds. Only this (steps, batch) int32 matrix goes to the device (row by
        # row when the floor steps from Python).
        idx = np.zeros(train_steps * batch, np.int32)
        idx[:n_train] = rng.permutation(n_train)
        return idx.reshape(train_steps, batch)

    rng = np.random.default_rng(1337)
    params = jax.device_put(floor.init_params(rng))
    state = jax.device_put(floor.init_state() if floor.init_state is not None else ())
    opt_state = optimizer.init(params)
    base_key = jax.random.key(1337)

    fit_start = time.perf_counter()
    ends, rows = [], []
    for epoch in range(job["epochs"]):
        params, state, opt_state, metrics = run_epoch(
            params, state, opt_state, epoch_indices(rng), jax.random.fold_in(base_key, epoch)
        )
        # float() blocks on the epoch's results, as the Keras-API contestants' timer does.
        rows.append({k: float(v) for k, v in metrics.items()})
        ends.append(time.perf_counter())
    cold_s = time.perf_counter() - t0
    times = epoch_times(fit_start, ends)

    forward_jit = jax.jit(lambda p, s, x: forward(p, s, x, False, None)[0])
    x3 = x_test[:3]
    predict3_ms = median_ms(lambda: np.asarray(forward_jit(params, state, x3)))
    call_ms = median_ms(lambda: np.asarray(forward_jit(params, state, x3)))

    last = rows[-1]
    return {
        "import_s": import_s,
        "cold_s": cold_s,
        "data_s": data_s,
        "setup_s": fit_start - t_data - data_s,
        "fit_s": ends[-1] - fit_start,
        "epoch_times_s": times,
        "epoch_s": steady_epoch_s(times),
        "predict3_ms": predict3_ms,
        "call_ms": call_ms,
        "val_acc": last["val_" + workload.accuracy_key],
        "val_loss": last["val_loss"],
        "history": rows,
        "train_samples": n_train,
        "val_samples": n_val,
        "floor_loop": "one lax.scan per epoch" if fused else "one compiled call per step",
        "version": f"jax {jax.__version__}, optax {optax.__version__}",
        "device": str(jax.devices()[0]),
    }
