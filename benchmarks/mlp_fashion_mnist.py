#!/usr/bin/env python
"""Benchmark: the Keras guide's MLP on Fashion-MNIST, jeras vs Keras 3 vs raw JAX.

Three contestants train the same model -- Input(784) -> Dense(64, relu) ->
Dense(64, relu) -> Dense(10, softmax), RMSprop(1e-3), sparse categorical
cross-entropy, sparse categorical accuracy, batch 64, 50,000 training samples,
validation on 10,000 held-out samples at the end of every epoch:

  jeras  `import jeras as keras` + the guide's code (`fit(..., verbose=0)`)
  keras  `import keras` (Keras 3, KERAS_BACKEND=jax) + the same code
  jax    a hand-written jax.numpy/optax loop (the "floor"): one jitted call
         per epoch that scans over device-resident batches gathered by index,
         then scans over the validation batches.

Each contestant runs in its own fresh subprocess (this file with
`--worker NAME`), which prints a single JSON line prefixed with
`BENCH_RESULT ` on stdout. The parent collects them and prints a table of
absolute numbers, the ratios, and the targets with PASS/FAIL.

Usage:
    python benchmarks/mlp_fashion_mnist.py              # full run, ~minutes
    python benchmarks/mlp_fashion_mnist.py --quick      # 5,000 train samples
    python benchmarks/mlp_fashion_mnist.py --only jeras,jax --epochs 3

See benchmarks/README.md for what exactly is measured.
"""

# Only the standard library is imported at module level: a worker measures
# `import jeras` / `import keras` / `import jax, optax` from a clean process,
# so numpy (a dependency of all three) must not be imported before that.
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SRC = os.path.join(REPO, "src")

CONTESTANTS = ("jeras", "keras", "jax")
RESULT_PREFIX = "BENCH_RESULT "

BATCH_SIZE = 64
NUM_VAL = 10_000
QUICK_TRAIN = 5_000
LATENCY_WARMUP = 5
LATENCY_REPEATS = 50

# (label, numerator, denominator, metric, comparison, threshold)
# "ge": numerator/denominator must be >= threshold; "le": <= threshold.
TARGETS = (
    ("epoch    keras/jeras", "keras", "jeras", "epoch_s", "ge", 1.5),
    ("cold     keras/jeras", "keras", "jeras", "cold_s", "ge", 1.3),
    ("predict3 keras/jeras", "keras", "jeras", "predict3_ms", "ge", 3.0),
    ("call     keras/jeras", "keras", "jeras", "call_ms", "ge", 3.0),
    ("import   keras/jeras", "keras", "jeras", "import_s", "ge", 1.0),
    ("epoch    jeras/jax  ", "jeras", "jax", "epoch_s", "le", 1.15),
)


# --------------------------------------------------------------------------
# Helpers shared by the workers
# --------------------------------------------------------------------------


def _median_ms(fn, warmup=LATENCY_WARMUP, repeats=LATENCY_REPEATS):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(samples)


def _steady_epoch_s(epoch_times):
    # Epoch 1 contains tracing and compilation; epochs 2..N are steady state.
    steady = epoch_times[1:]
    return statistics.median(steady) if steady else None


def _prepare_data(path, quick):
    """The guide's preprocessing, applied to the uint8 arrays the parent saved."""
    import numpy as np

    with np.load(path) as data:
        x_train, y_train = data["x_train"], data["y_train"]
        x_test = data["x_test"]
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    y_train = y_train.astype("float32")
    # Hold out the last 10,000 training samples for validation.
    x_val, y_val = x_train[-NUM_VAL:], y_train[-NUM_VAL:]
    x_train, y_train = x_train[:-NUM_VAL], y_train[:-NUM_VAL]
    if quick:
        x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
    return x_train, y_train, x_val, y_val, x_test


def _history_rows(history):
    keys = sorted(history)
    n = len(history[keys[0]]) if keys else 0
    return [{k: float(history[k][i]) for k in keys} for i in range(n)]


# --------------------------------------------------------------------------
# Worker: jeras and Keras run literally the same code
# --------------------------------------------------------------------------


def worker_keras_api(name, args):
    t0 = time.perf_counter()
    if name == "jeras":
        import jeras as keras
    else:
        import keras
    import_s = time.perf_counter() - t0

    import numpy as np

    layers = keras.layers
    t_data = time.perf_counter()
    x_train, y_train, x_val, y_val, x_test = _prepare_data(args.data, args.quick)
    data_s = time.perf_counter() - t_data

    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)

    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )

    class EpochTimer(keras.callbacks.Callback):
        """Timestamps the end of every epoch, after blocking on its results."""

        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            # Converting every logged value to a Python float waits for the
            # epoch's computation (training metrics depend on every step,
            # validation metrics on the final weights), so JAX's async
            # dispatch cannot hide work past the timestamp.
            for value in (logs or {}).values():
                float(value)
            self.ends.append(time.perf_counter())

    timer = EpochTimer()
    fit_start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=args.epochs,
        validation_data=(x_val, y_val),
        verbose=0,
        callbacks=[timer],
    )
    cold_s = time.perf_counter() - t0

    marks = [fit_start] + timer.ends
    epoch_times = [b - a for a, b in zip(marks, marks[1:])]

    x3 = x_test[:3]
    predict3_ms = _median_ms(lambda: model.predict(x3, verbose=0))
    call_ms = _median_ms(lambda: np.asarray(model(x3)))

    rows = _history_rows(history.history)
    last = rows[-1] if rows else {}
    return {
        "import_s": import_s,
        "cold_s": cold_s,
        "data_s": data_s,
        "setup_s": fit_start - t_data - data_s,
        "fit_s": timer.ends[-1] - fit_start if timer.ends else None,
        "epoch_times_s": epoch_times,
        "epoch_s": _steady_epoch_s(epoch_times),
        "predict3_ms": predict3_ms,
        "call_ms": call_ms,
        "val_acc": last.get("val_sparse_categorical_accuracy"),
        "val_loss": last.get("val_loss"),
        "history": rows,
        "version": getattr(keras, "__version__", None),
    }


# --------------------------------------------------------------------------
# Worker: the hand-written JAX floor
# --------------------------------------------------------------------------


def worker_jax(args):
    t0 = time.perf_counter()
    import jax
    import optax
    import_s = time.perf_counter() - t0

    import jax.numpy as jnp
    import numpy as np

    t_data = time.perf_counter()
    x_train, y_train, x_val, y_val, x_test = _prepare_data(args.data, args.quick)
    data_s = time.perf_counter() - t_data
    n_train = len(x_train)
    train_steps = -(-n_train // BATCH_SIZE)
    val_steps = -(-len(x_val) // BATCH_SIZE)

    # Training data stays on the device for the whole run; batches are
    # gathered from it by index inside the compiled epoch.
    x_train_d = jax.device_put(x_train)
    y_train_d = jax.device_put(y_train.astype(np.int32))
    # Validation order never changes, so its batches are laid out once:
    # zero-padded to a whole number of batches, with a 0/1 mask.
    val_pad = val_steps * BATCH_SIZE - len(x_val)
    x_val_b = np.concatenate([x_val, np.zeros((val_pad, 784), np.float32)])
    y_val_b = np.concatenate([y_val.astype(np.int32), np.zeros(val_pad, np.int32)])
    m_val_b = np.concatenate([np.ones(len(x_val), np.float32), np.zeros(val_pad, np.float32)])
    x_val_d = jax.device_put(x_val_b.reshape(val_steps, BATCH_SIZE, 784))
    y_val_d = jax.device_put(y_val_b.reshape(val_steps, BATCH_SIZE))
    m_val_d = jax.device_put(m_val_b.reshape(val_steps, BATCH_SIZE))

    sizes = ((784, 64), (64, 64), (64, 10))

    def init_params(rng):
        # Glorot-uniform kernels and zero biases, drawn with numpy on the host:
        # compiling threefry-based jax.random.uniform costs seconds of cold
        # start on CPU, and the floor should be the cheapest sensible loop.
        params = []
        for fan_in, fan_out in sizes:
            limit = (6.0 / (fan_in + fan_out)) ** 0.5
            kernel = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
            params.append((jax.device_put(kernel), jax.device_put(np.zeros(fan_out, np.float32))))
        return params

    def forward(params, x):
        h = x
        for i, (kernel, bias) in enumerate(params):
            h = h @ kernel + bias
            h = jax.nn.relu(h) if i < len(params) - 1 else jax.nn.softmax(h, axis=-1)
        return h

    def per_sample(probs, labels):
        # Cross-entropy on probabilities, clipped like Keras does (eps=1e-7).
        p = jnp.clip(probs, 1e-7, 1.0 - 1e-7)
        nll = -jnp.take_along_axis(jnp.log(p), labels[:, None], axis=-1)[:, 0]
        correct = (jnp.argmax(probs, axis=-1) == labels).astype(jnp.float32)
        return nll, correct

    # Keras's RMSprop: rho=0.9, epsilon=1e-7 added *inside* the square root,
    # velocity initialised to zero, no momentum, not centered.
    optimizer = optax.rmsprop(
        learning_rate=1e-3, decay=0.9, eps=1e-7, initial_scale=0.0,
        eps_in_sqrt=True, centered=False, momentum=None,
    )

    def epoch_indices(rng):
        # Per-epoch shuffle, drawn on the host: numpy permutes 50,000 indices
        # in about a millisecond, XLA:CPU's sort-based jax.random.permutation
        # takes tens of milliseconds. Only this (steps, 64) int32 matrix is
        # transferred; the samples themselves stay on the device. The last
        # partial batch is padded with index 0 and masked out in epoch_fn.
        idx = np.zeros(train_steps * BATCH_SIZE, np.int32)
        idx[:n_train] = rng.permutation(n_train)
        return idx.reshape(train_steps, BATCH_SIZE)

    def epoch_fn(params, opt_state, idx, x_all, y_all, xv, yv, mv):
        # The padding's loss is masked out, so the last batch's loss is the
        # mean over its real samples (what Keras's last, smaller batch does).
        mask = (jnp.arange(train_steps * BATCH_SIZE) < n_train).astype(jnp.float32)
        mask = mask.reshape(train_steps, BATCH_SIZE)

        def train_step(carry, batch):
            params, opt_state, loss_sum, correct_sum = carry
            bidx, bmask = batch
            xb, yb = x_all[bidx], y_all[bidx]
            count = jnp.sum(bmask)

            def loss_fn(p):
                probs = forward(p, xb)
                nll, correct = per_sample(probs, yb)
                return jnp.sum(nll * bmask) / count, jnp.sum(correct * bmask)

            (loss, correct), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            params = optax.apply_updates(params, updates)
            # Keras's loss tracker weights each batch's mean loss by its size.
            return (params, opt_state, loss_sum + loss * count, correct_sum + correct), None

        zero = jnp.zeros((), jnp.float32)
        (params, opt_state, loss_sum, correct_sum), _ = jax.lax.scan(
            train_step, (params, opt_state, zero, zero), (idx, mask))

        def val_step(carry, batch):
            loss_sum, correct_sum = carry
            xb, yb, mb = batch
            nll, correct = per_sample(forward(params, xb), yb)
            return (loss_sum + jnp.sum(nll * mb), correct_sum + jnp.sum(correct * mb)), None

        (val_loss_sum, val_correct_sum), _ = jax.lax.scan(val_step, (zero, zero), (xv, yv, mv))
        n_val = jnp.sum(mv)
        metrics = {
            "loss": loss_sum / n_train,
            "sparse_categorical_accuracy": correct_sum / n_train,
            "val_loss": val_loss_sum / n_val,
            "val_sparse_categorical_accuracy": val_correct_sum / n_val,
        }
        return params, opt_state, metrics

    run_epoch = jax.jit(epoch_fn, donate_argnums=(0, 1))

    rng = np.random.default_rng(1337)
    params = init_params(rng)
    opt_state = optimizer.init(params)

    fit_start = time.perf_counter()
    ends, rows = [], []
    for _ in range(args.epochs):
        params, opt_state, metrics = run_epoch(
            params, opt_state, epoch_indices(rng), x_train_d, y_train_d,
            x_val_d, y_val_d, m_val_d)
        # float() blocks on the epoch's results (see EpochTimer above).
        rows.append({k: float(v) for k, v in metrics.items()})
        ends.append(time.perf_counter())
    cold_s = time.perf_counter() - t0

    marks = [fit_start] + ends
    epoch_times = [b - a for a, b in zip(marks, marks[1:])]

    forward_jit = jax.jit(forward)
    x3 = x_test[:3]
    predict3_ms = _median_ms(lambda: np.asarray(forward_jit(params, x3)))
    call_ms = _median_ms(lambda: np.asarray(forward_jit(params, x3)))

    last = rows[-1]
    return {
        "import_s": import_s,
        "cold_s": cold_s,
        "data_s": data_s,
        "setup_s": fit_start - t_data - data_s,
        "fit_s": ends[-1] - fit_start,
        "epoch_times_s": epoch_times,
        "epoch_s": _steady_epoch_s(epoch_times),
        "predict3_ms": predict3_ms,
        "call_ms": call_ms,
        "val_acc": last["val_sparse_categorical_accuracy"],
        "val_loss": last["val_loss"],
        "history": rows,
        "version": f"jax {jax.__version__}, optax {optax.__version__}",
    }


def worker_main(args):
    name = args.worker
    try:
        if name == "warm":
            # Pre-warms the OS file cache and __pycache__ so that the first
            # contestant's import is not penalised; nothing is measured.
            import jax, optax, numpy  # noqa: F401,E401
            for mod in ("keras", "jeras"):
                try:
                    __import__(mod)
                except Exception:  # reported by the real worker
                    pass
            result = {}
        elif name == "jax":
            result = worker_jax(args)
        else:
            result = worker_keras_api(name, args)
        result["ok"] = True
    except BaseException:  # noqa: BLE001 - reported to the parent
        result = {"ok": False, "traceback": traceback.format_exc()}
    result["contestant"] = name
    sys.stdout.flush()
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------


def _read_idx(path):
    import gzip
    import numpy as np

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _load_fashion_mnist():
    """jeras's loader; raw IDX reading of Debian's files only if jeras is broken."""
    sys.path.insert(0, SRC)
    try:
        from jeras.datasets import fashion_mnist

        return fashion_mnist.load_data(), "jeras.datasets.fashion_mnist"
    except Exception:
        print("warning: jeras.datasets.fashion_mnist.load_data() failed; reading "
              "/usr/share/datasets/fashion-mnist directly:\n" + traceback.format_exc(),
              file=sys.stderr)
        base = "/usr/share/datasets/fashion-mnist"
        parts = [_read_idx(os.path.join(base, f)) for f in (
            "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
        return ((parts[0], parts[1]), (parts[2], parts[3])), base


def _child_env(pycache):
    env = dict(os.environ)
    # Every package imports from freshly written bytecode in a private cache:
    # site-packages ship .pyc files but a source checkout under
    # PYTHONDONTWRITEBYTECODE=1 has none, which would charge jeras (only)
    # for compiling its sources on every import.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["KERAS_BACKEND"] = "jax"
    # Benchmark the working tree's jeras, whatever is installed.
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def _run_child(name, args, tmp):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name,
           "--data", os.path.join(tmp, "fashion_mnist.npz"), "--epochs", str(args.epochs)]
    if args.quick:
        cmd.append("--quick")
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=_child_env(os.path.join(tmp, "pycache")), cwd=REPO, capture_output=True,
                              text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"contestant": name, "ok": False,
                "traceback": f"timed out after {args.timeout} s"}
    wall = time.perf_counter() - start
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
    if result is None:
        result = {"contestant": name, "ok": False,
                  "traceback": f"worker exited with code {proc.returncode} and no result.\n"
                               f"--- stdout ---\n{proc.stdout[-4000:]}\n"
                               f"--- stderr ---\n{proc.stderr[-4000:]}"}
    result["process_wall_s"] = wall
    return result


def _combine(runs):
    """One result from repeated runs: the median of every scalar measurement;
    per-epoch times and the history are the first run's."""
    failed = [r for r in runs if not r.get("ok")]
    if failed:
        return failed[0]
    combined = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, float):
            combined[key] = statistics.median(r[key] for r in runs)
    combined["runs"] = runs
    return combined


def _fmt(value, digits=3):
    if value is None:
        return "-"
    return f"{value:.{digits}f}"


def _print_report(results, args, data_source):
    n_train = QUICK_TRAIN if args.quick else 60_000 - NUM_VAL
    print()
    print(f"MLP 784-64-64-10 on Fashion-MNIST ({data_source}): {n_train} train / "
          f"{NUM_VAL} val samples, batch {BATCH_SIZE}, {args.epochs} epochs, "
          f"RMSprop(1e-3)" + ("  [--quick]" if args.quick else "")
          + (f"; median of {args.repeat} runs each (epochs/history: run 1)"
             if args.repeat > 1 else ""))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU cores, load average "
          f"{args.load_before:.2f} before / {os.getloadavg()[0]:.2f} after (1 min)")
    for name, r in results.items():
        if r.get("ok") and r.get("version"):
            print(f"  {name}: {r['version']}")
    print()
    header = (f"{'contestant':<10} {'import_s':>9} {'cold_s':>8} {'epoch_s':>8} "
              f"{'predict3_ms':>12} {'call_ms':>8} {'val_acc':>8} {'data_s':>7} "
              f"{'setup_s':>8} {'proc_s':>7}  epochs 1..N (s)")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        if not r.get("ok"):
            print(f"{name:<10} FAILED (traceback below)")
            continue
        epochs = " ".join(f"{t:.2f}" for t in r["epoch_times_s"])
        print(f"{name:<10} {_fmt(r['import_s']):>9} {_fmt(r['cold_s'], 2):>8} "
              f"{_fmt(r['epoch_s']):>8} {_fmt(r['predict3_ms'], 2):>12} "
              f"{_fmt(r['call_ms'], 2):>8} {_fmt(r['val_acc'], 4):>8} "
              f"{_fmt(r['data_s'], 2):>7} {_fmt(r['setup_s'], 2):>8} "
              f"{_fmt(r['process_wall_s'], 1):>7}  {epochs}")
    print()
    print("epoch_s: median of epochs 2..N (end-to-end, incl. validation); cold_s: from "
          "before the import to the end of fit,\n  = import_s + data_s (load + guide "
          "preprocessing) + setup_s (build/compile) + all epochs; proc_s: the child's wall "
          "time seen by the parent")
    print()

    print(f"{'ratio':<22} {'measured':>9}   {'target':>8}   result")
    print("-" * 52)
    all_pass = True
    for label, num, den, metric, cmp, threshold in TARGETS:
        rn, rd = results.get(num), results.get(den)
        if not (rn and rd and rn.get("ok") and rd.get("ok")
                and rn.get(metric) and rd.get(metric)):
            print(f"{label:<22} {'-':>9}   {'':>8}   n/a")
            continue
        ratio = rn[metric] / rd[metric]
        ok = ratio >= threshold if cmp == "ge" else ratio <= threshold
        all_pass &= ok
        target = (">= " if cmp == "ge" else "<= ") + f"{threshold:.2f}"
        print(f"{label:<22} {ratio:>8.2f}x   {target:>8}   {'PASS' if ok else 'FAIL'}")
    print("(keras/jeras > 1: jeras is faster; jeras/jax: jeras's overhead over the hand-written loop)")

    print()
    for name, r in results.items():
        if r.get("ok"):
            print(f"{name} per-epoch history:")
            for i, row in enumerate(r["history"], 1):
                print(f"  epoch {i}: loss {row.get('loss', float('nan')):.4f}  "
                      f"acc {row.get('sparse_categorical_accuracy', float('nan')):.4f}  "
                      f"val_loss {row.get('val_loss', float('nan')):.4f}  "
                      f"val_acc {row.get('val_sparse_categorical_accuracy', float('nan')):.4f}")
            acc = r.get("val_acc")
            if not args.quick and args.epochs >= 4 and (acc is None or acc < 0.8):
                print(f"  WARNING: {name} final val accuracy {acc} is below the "
                      "expected ~0.85")
    for name, r in results.items():
        if not r.get("ok"):
            print(f"\n{name} FAILED:\n{r.get('traceback')}")
    return all_pass


def parent_main(args):
    import numpy as np

    args.load_before = os.getloadavg()[0]
    only = [c.strip() for c in args.only.split(",") if c.strip()]
    unknown = [c for c in only if c not in CONTESTANTS]
    if unknown:
        sys.exit(f"unknown contestant(s) {unknown}; choose from {CONTESTANTS}")

    ((x_train, y_train), (x_test, y_test)), data_source = _load_fashion_mnist()

    results = {}
    with tempfile.TemporaryDirectory(prefix="jeras-bench-") as tmp:
        data_path = os.path.join(tmp, "fashion_mnist.npz")
        np.savez(data_path, x_train=np.asarray(x_train), y_train=np.asarray(y_train),
                 x_test=np.asarray(x_test), y_test=np.asarray(y_test))
        print("warming the file cache (imports, not timed) ...", file=sys.stderr, flush=True)
        _run_child("warm", args, tmp)
        runs = {name: [] for name in only}
        # Round-robin, so that a burst of load on the machine hits every
        # contestant rather than one.
        for rep in range(args.repeat):
            for name in only:
                if runs[name] and not runs[name][-1].get("ok"):
                    continue  # a crash will crash again
                print(f"running {name} ({rep + 1}/{args.repeat}) ...", file=sys.stderr, flush=True)
                r = _run_child(name, args, tmp)
                runs[name].append(r)
                status = (f"epoch_s={_fmt(r.get('epoch_s'))} cold_s={_fmt(r.get('cold_s'), 2)}"
                          if r.get("ok") else "FAILED")
                print(f"  {name}: {status}", file=sys.stderr, flush=True)
        results = {name: _combine(rs) for name, rs in runs.items()}

    all_pass = _print_report(results, args, data_source)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=2)
    return 0 if all(r.get("ok") for r in results.values()) else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4,
                        help="epochs per contestant (>= 2; epoch 1 is the compile epoch)")
    parser.add_argument("--quick", action="store_true",
                        help=f"train on {QUICK_TRAIN} samples (smoke test)")
    parser.add_argument("--only", default=",".join(CONTESTANTS),
                        help="comma-separated subset of jeras,keras,jax")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every contestant R times (round-robin) and report "
                             "the median of each measurement")
    parser.add_argument("--json", metavar="PATH", help="also write all results to PATH")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds allowed per contestant process")
    parser.add_argument("--worker", choices=CONTESTANTS + ("warm",), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.epochs < 2:
        parser.error("--epochs must be >= 2 (steady-state time uses epochs 2..N)")
    if args.worker:
        worker_main(args)
        return 0
    return parent_main(args)


if __name__ == "__main__":
    sys.exit(main())
