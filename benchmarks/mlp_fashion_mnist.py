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

Each contestant runs in its own fresh subprocess (bench_harness.py), which
prints a single JSON line prefixed with `BENCH_RESULT ` on stdout. The parent
collects them and prints a table of absolute numbers, the ratios, and the
targets with PASS/FAIL. The model and the loops are the `guide_mlp` entry of
bench_workloads.py, shared with suite.py.

Usage:
    python benchmarks/mlp_fashion_mnist.py              # full run, ~minutes
    python benchmarks/mlp_fashion_mnist.py --quick      # 5,000 train samples
    python benchmarks/mlp_fashion_mnist.py --only jeras,jax --epochs 3

See benchmarks/README.md for what exactly is measured.
"""

# Only the standard library is imported at module level: the helper modules next to this
# file follow the same rule, because the children they start time their imports.
import argparse
import json
import os
import sys
import tempfile

from bench_data import save_dataset
from bench_harness import (
    add_common_arguments,
    check_common_arguments,
    parse_names,
    run_contestants,
    warm_caches,
)
from bench_report import print_workload_report
from bench_workloads import WORKLOADS

WORKLOAD = WORKLOADS["guide_mlp"]
NUM_VAL = WORKLOAD.val_holdout
QUICK_TRAIN = 5_000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, epochs=4)
    parser.add_argument(
        "--quick", action="store_true", help=f"train on {QUICK_TRAIN} samples (smoke test)"
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOAD.contestants),
        help="comma-separated subset of " + ",".join(WORKLOAD.contestants),
    )
    args = parser.parse_args(argv)
    check_common_arguments(parser, args)
    only = parse_names(args.only, WORKLOAD.contestants, "contestant(s)")
    load_before = os.getloadavg()[0]

    with tempfile.TemporaryDirectory(prefix="jeras-bench-") as tmp:
        data_path, data_source = save_dataset(WORKLOAD.dataset, tmp)
        warm_caches(tmp, args.timeout)
        job = {
            "worker": "bench_contestants:run",
            "workload": WORKLOAD.name,
            "data": data_path,
            "epochs": args.epochs,
            "val_samples": None,
            "train_samples": QUICK_TRAIN if args.quick else None,
        }
        results = run_contestants({name: job for name in only}, tmp, args.repeat, args.timeout)

    n_train = QUICK_TRAIN if args.quick else 60_000 - NUM_VAL
    title = (
        f"MLP 784-64-64-10 on {data_source}: {n_train} train / {NUM_VAL} val samples, "
        f"batch {WORKLOAD.batch_size}, {args.epochs} epochs, RMSprop(1e-3)"
        + ("  [--quick]" if args.quick else "")
        + (
            f"; median of {args.repeat} runs each (epochs/history: run 1)"
            if args.repeat > 1
            else ""
        )
    )
    print_workload_report(
        WORKLOAD, results, [title], load_before, warn_accuracy=not args.quick and args.epochs >= 4
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=2)
    return 0 if all(r.get("ok") for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
