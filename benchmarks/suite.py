#!/usr/bin/env python
"""Benchmark suite: every workload of bench_workloads.py, jeras vs Keras 3 vs raw JAX.

For each workload (a model and a way of calling fit), each contestant trains it in its own
fresh process on whatever device JAX sees, and the report prints the absolute numbers and
the ratios (steady-state epoch, cold run, predict on 3 samples) beside the issue's targets,
then one summary of every ratio. A contestant that fails is reported as
"failed: <error>" and the rest go on.

Usage:
    python benchmarks/suite.py                                # every workload, short runs
    python benchmarks/suite.py --workloads mnist_convnet,wide_mlp
    python benchmarks/suite.py --workloads mnist_convnet --steps 200 --epochs 4
    python benchmarks/suite.py --full                         # whole training sets
    python benchmarks/suite.py --list

See benchmarks/README.md for the workloads and what exactly is measured.
"""

# Only the standard library is imported at module level (see bench_harness.py).
import argparse
import json
import os
import sys
import tempfile

from bench_data import sample_counts, save_dataset
from bench_harness import (
    add_common_arguments,
    check_common_arguments,
    parse_names,
    run_contestants,
    warm_caches,
)
from bench_report import print_summary, print_workload_report
from bench_workloads import JERAS_KERAS_JAX, WORKLOADS


def _describe_split(count, what):
    return f"all {what}" if count is None else f"{count:,} {what}"


def _list_workloads():
    for w in WORKLOADS.values():
        steps = "whole split" if w.train_steps is None else f"{w.train_steps} steps/epoch"
        print(f"{w.name:<24} {'/'.join(w.contestants):<16} {w.dataset:<14} {steps:<16} {w.title}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, epochs=3)
    parser.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help="comma-separated subset of " + ",".join(WORKLOADS),
    )
    parser.add_argument(
        "--only",
        default=",".join(JERAS_KERAS_JAX),
        help="comma-separated subset of jeras,keras,jax (a workload runs those it has)",
    )
    parser.add_argument(
        "--steps",
        type=int,
        help="training steps per epoch for every workload selected "
        "(default: each workload's own, see --list)",
    )
    parser.add_argument(
        "--val-steps", type=int, help="validation steps per epoch (default: each workload's own)"
    )
    parser.add_argument(
        "--full", action="store_true", help="train and validate on the whole splits (long on a CPU)"
    )
    parser.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = parser.parse_args(argv)
    if args.list:
        _list_workloads()
        return 0
    check_common_arguments(parser, args)
    for option in ("steps", "val_steps"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be >= 1")
    workloads = [WORKLOADS[n] for n in parse_names(args.workloads, tuple(WORKLOADS), "workload(s)")]
    only = parse_names(args.only, JERAS_KERAS_JAX, "contestant(s)")

    summary, everything = [], {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="jeras-bench-") as tmp:
        datasets = {}
        warm_caches(tmp, args.timeout)
        for workload in workloads:
            if workload.dataset not in datasets:
                datasets[workload.dataset] = save_dataset(workload.dataset, tmp)
            data_path, data_source = datasets[workload.dataset]
            train_samples, val_samples = sample_counts(
                workload, args.steps, args.val_steps, args.full
            )
            job = {
                "worker": "bench_contestants:run",
                "workload": workload.name,
                "data": data_path,
                "epochs": args.epochs,
                "train_samples": train_samples,
                "val_samples": val_samples,
            }
            names = [n for n in only if n in workload.contestants]
            load_before = os.getloadavg()[0]
            results = run_contestants(
                {n: job for n in names}, tmp, args.repeat, args.timeout, label=workload.name
            )
            counts = next((r for r in results.values() if r.get("ok")), {})
            header = [
                f"=== {workload.name}: {workload.title}",
                f"{data_source}: "
                f"{_describe_split(counts.get('train_samples', train_samples), 'train')} / "
                f"{_describe_split(counts.get('val_samples', val_samples), 'val')} samples, "
                f"{args.epochs} epochs"
                + (
                    f"; median of {args.repeat} runs each (epochs/history: run 1)"
                    if args.repeat > 1
                    else ""
                ),
            ]
            full_run = train_samples is None and args.epochs >= 4
            summary += print_workload_report(
                workload, results, header, load_before, warn_accuracy=full_run
            )
            everything[workload.name] = results
            failed |= not all(r.get("ok") for r in results.values())

    print_summary(summary)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": everything}, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
