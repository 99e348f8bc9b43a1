"""Prints one workload's results: absolute numbers, ratios beside their targets, the
per-epoch histories, and what failed and why."""

import os
import sys

from bench_harness import failure_reason
from bench_harness import format_number as _fmt


def print_workload_report(workload, results, header_lines, load_before, warn_accuracy):
    """Prints the report; returns the ratio rows `(workload, label, ratio, target, passed)`
    (ratio None where a contestant is missing or failed) for a summary."""
    print()
    for line in header_lines:
        print(line)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPU cores, load average "
        f"{load_before:.2f} before / {os.getloadavg()[0]:.2f} after (1 min)"
    )
    for name, r in results.items():
        if r.get("ok") and r.get("version"):
            extra = f", {r['floor_loop']}" if r.get("floor_loop") else ""
            print(f"  {name}: {r['version']} on {r.get('device')}{extra}")
    print()
    header = (
        f"{'contestant':<10} {'import_s':>9} {'cold_s':>8} {'epoch_s':>8} "
        f"{'predict3_ms':>12} {'call_ms':>8} {'val_acc':>8} {'data_s':>7} "
        f"{'setup_s':>8} {'proc_s':>7}  epochs 1..N (s)"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        if not r.get("ok"):
            print(f"{name:<10} failed: {failure_reason(r)}")
            continue
        epochs = " ".join(f"{t:.2f}" for t in r["epoch_times_s"])
        print(
            f"{name:<10} {_fmt(r['import_s']):>9} {_fmt(r['cold_s'], 2):>8} "
            f"{_fmt(r['epoch_s']):>8} {_fmt(r['predict3_ms'], 2):>12} "
            f"{_fmt(r['call_ms'], 2):>8} {_fmt(r['val_acc'], 4):>8} "
            f"{_fmt(r['data_s'], 2):>7} {_fmt(r['setup_s'], 2):>8} "
            f"{_fmt(r['process_wall_s'], 1):>7}  {epochs}"
        )
    print()
    print(
        "epoch_s: median of epochs 2..N (end-to-end, incl. validation); cold_s: from "
        "before the import to the end of fit,\n  = import_s + data_s (load + "
        "preprocessing) + setup_s (build/compile) + all epochs; proc_s: the child's wall "
        "time seen by the parent"
    )
    if any(r.get("progress_bytes") for r in results.values()):
        sizes = ", ".join(
            f"{name} {r['progress_bytes']:,} bytes" for name, r in results.items() if r.get("ok")
        )
        print(f"progress bar output written to a file: {sizes}")
    print()

    rows = _print_ratios(workload, results)
    _print_histories(workload, results, warn_accuracy)
    for name, r in results.items():
        if not r.get("ok"):
            print(f"\n{name} failed:\n{r.get('traceback')}")
    return rows


def _print_ratios(workload, results):
    print(f"{'ratio':<22} {'measured':>9}   {'target':>8}   result")
    print("-" * 52)
    rows = []
    for ratio in workload.ratios:
        rn, rd = results.get(ratio.numerator), results.get(ratio.denominator)
        target = f"{ratio.target[0]} {ratio.target[1]:.2f}" if ratio.target else ""
        if not (
            rn
            and rd
            and rn.get("ok")
            and rd.get("ok")
            and rn.get(ratio.metric)
            and rd.get(ratio.metric)
        ):
            pair = ((ratio.numerator, rn), (ratio.denominator, rd))
            why = [f"{n} failed" for n, r in pair if r and not r.get("ok")]
            why += [f"{n} not run" for n, r in pair if r is None]
            why = f"n/a ({', '.join(why)})" if why else "n/a"
            print(f"{ratio.label:<22} {'-':>9}   {target:>8}   {why}")
            rows.append((workload.name, ratio.label, None, target, None))
            continue
        value = rn[ratio.metric] / rd[ratio.metric]
        passed = None
        if ratio.target:
            cmp, threshold = ratio.target
            passed = value >= threshold if cmp == ">=" else value <= threshold
        verdict = "" if passed is None else ("PASS" if passed else "FAIL")
        print(f"{ratio.label:<22} {value:>8.2f}x   {target:>8}   {verdict}")
        rows.append((workload.name, ratio.label, value, target, passed))
    print(
        "(keras/jeras > 1: jeras is faster; jeras/jax: jeras's overhead over the hand-written loop)"
    )
    return rows


def _print_histories(workload, results, warn_accuracy):
    acc = workload.accuracy_key
    for name, r in results.items():
        if not r.get("ok"):
            continue
        print()
        print(f"{name} per-epoch history:")
        for i, row in enumerate(r["history"], 1):
            print(
                f"  epoch {i}: loss {row.get('loss', float('nan')):.4f}  "
                f"acc {row.get(acc, float('nan')):.4f}  "
                f"val_loss {row.get('val_loss', float('nan')):.4f}  "
                f"val_acc {row.get('val_' + acc, float('nan')):.4f}"
            )
        value = r.get("val_acc")
        if (
            warn_accuracy
            and workload.min_val_acc
            and (value is None or value < workload.min_val_acc)
        ):
            print(
                f"  WARNING: {name} final val accuracy {value} is below the expected "
                f"{workload.min_val_acc}"
            )


def print_summary(rows):
    """All workloads' ratios in one table."""
    print()
    print(
        "Summary (keras/jeras > 1: jeras is faster; jeras/jax: overhead over the hand-written loop)"
    )
    print(f"{'workload':<24} {'ratio':<22} {'measured':>9}   {'target':>8}   result")
    print("-" * 78)
    for workload, label, value, target, passed in rows:
        measured = "-" if value is None else f"{value:.2f}x"
        verdict = (
            "n/a" if value is None else ("" if passed is None else ("PASS" if passed else "FAIL"))
        )
        print(f"{workload:<24} {label:<22} {measured:>9}   {target:>8}   {verdict}")
