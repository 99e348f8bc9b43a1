"""Runs every contestant of a benchmark in its own fresh Python process.

The parent describes one run as a JSON "job" (`{"worker": "module:function", ...}`) and
starts `python benchmarks/bench_harness.py '<job>'`. The child imports the named module
from benchmarks/, calls the function with the job and prints one line
`BENCH_RESULT {json}` on stdout; the parent parses that line. A child that raises, crashes
or times out becomes a result with `ok: False` and its traceback, and the other contestants
still run.

Only the standard library is imported here: a child measures `import jeras` /
`import keras` / `import jax` from a clean process, so numpy (a dependency of all of them)
must not be imported before that. Every module a child loads before its timer starts
(this one, the worker module, bench_workloads) keeps to that rule.
"""

import importlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SRC = os.path.join(REPO, "src")

RESULT_PREFIX = "BENCH_RESULT "
LATENCY_WARMUP = 5
LATENCY_REPEATS = 50


# --------------------------------------------------------------------------
# Measurements shared by the workers
# --------------------------------------------------------------------------


def median_ms(fn, warmup=LATENCY_WARMUP, repeats=LATENCY_REPEATS):
    """Median wall time of `fn()` in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(samples)


def epoch_times(fit_start, epoch_ends):
    """Each epoch end to end: the first from the start of fit, so it includes compilation."""
    marks = [fit_start] + list(epoch_ends)
    return [b - a for a, b in itertools.pairwise(marks)]


def steady_epoch_s(times):
    """Median of epochs 2..N; epoch 1 contains tracing and compilation."""
    steady = times[1:]
    return statistics.median(steady) if steady else None


# --------------------------------------------------------------------------
# Child side
# --------------------------------------------------------------------------


def warm(job):
    """Pre-warms the OS file cache and the bytecode cache; measures nothing.

    Without it the first contestant would pay for reading every package from disk.
    """
    import jax  # noqa: F401
    import numpy  # noqa: F401
    import optax  # noqa: F401

    for module in ("keras", "jeras"):
        try:
            __import__(module)
        except Exception:  # noqa: BLE001, S110 - the contestant that needs it reports it
            pass
    return {}


def child_main(job_text):
    job = json.loads(job_text)
    try:
        module_name, function_name = job["worker"].split(":")
        worker = (
            warm
            if job["worker"] == "bench_harness:warm"
            else getattr(importlib.import_module(module_name), function_name)
        )
        result = worker(job)
        result["ok"] = True
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        result = {"ok": False, "traceback": traceback.format_exc()}
    result["contestant"] = job.get("contestant")
    sys.stdout.flush()
    # A leading newline: a progress bar may have left a line unfinished on stdout.
    print("\n" + RESULT_PREFIX + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------


def child_env(tmp):
    env = dict(os.environ)
    # Every package imports from freshly written bytecode in a private cache (filled by the
    # warm child): site-packages ship .pyc files but a source checkout under
    # PYTHONDONTWRITEBYTECODE=1 has none, which would charge jeras alone for compiling its
    # sources on every import.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
    env["KERAS_BACKEND"] = "jax"
    # Benchmark the working tree's jeras, whatever copy is installed.
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def run_child(job, tmp, timeout):
    """Runs one job in a fresh interpreter; returns its result dict (never raises)."""
    cmd = [sys.executable, os.path.abspath(__file__), json.dumps(job)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            env=child_env(tmp),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {
            "contestant": job.get("contestant"),
            "ok": False,
            "traceback": f"TimeoutError: timed out after {timeout} s",
        }
    wall = time.perf_counter() - start
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
    if result is None:
        result = {
            "contestant": job.get("contestant"),
            "ok": False,
            "traceback": f"--- stdout ---\n{proc.stdout[-4000:]}\n"
            f"--- stderr ---\n{proc.stderr[-4000:]}\n"
            f"ChildProcessError: worker exited with code "
            f"{proc.returncode} and no result",
        }
    result["process_wall_s"] = wall
    return result


def run_contestants(jobs, tmp, repeat=1, timeout=1800, label=""):
    """Runs `jobs` (contestant name -> job) `repeat` times each; returns name -> result.

    Runs go round-robin, so a burst of load on the machine hits every contestant rather
    than one. A contestant that failed once is not run again (it would fail again).
    Progress goes to stderr.
    """
    prefix = f"[{label}] " if label else ""
    runs = {name: [] for name in jobs}
    for rep in range(repeat):
        for name, job in jobs.items():
            if runs[name] and not runs[name][-1].get("ok"):
                continue
            print(f"{prefix}running {name} ({rep + 1}/{repeat}) ...", file=sys.stderr, flush=True)
            result = run_child(dict(job, contestant=name), tmp, timeout)
            runs[name].append(result)
            if result.get("ok"):
                status = (
                    f"epoch_s={format_number(result.get('epoch_s'))} "
                    f"cold_s={format_number(result.get('cold_s'), 2)}"
                )
            else:
                status = "failed: " + failure_reason(result)
            print(f"{prefix}  {name}: {status}", file=sys.stderr, flush=True)
    return {name: combine_runs(rs) for name, rs in runs.items()}


def warm_caches(tmp, timeout=1800):
    print("warming the file cache (imports, not timed) ...", file=sys.stderr, flush=True)
    run_child({"worker": "bench_harness:warm", "contestant": "warm"}, tmp, timeout)


def combine_runs(runs):
    """One result from repeated runs: the median of every scalar measurement; per-epoch
    times and histories are the first run's."""
    failed = [r for r in runs if not r.get("ok")]
    if failed:
        return failed[0]
    combined = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, float):
            combined[key] = statistics.median(r[key] for r in runs)
    combined["runs"] = runs
    return combined


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Expired)\b")


def failure_reason(result):
    """The exception line of a failed contestant's traceback: the last line naming an
    exception (JAX appends a note after it), else the last line."""
    lines = [line.strip() for line in (result.get("traceback") or "").splitlines() if line.strip()]
    reason = next(
        (line for line in reversed(lines) if _EXCEPTION_LINE.match(line)),
        lines[-1] if lines else "unknown error",
    )
    return reason if len(reason) <= 160 else reason[:157] + "..."


def format_number(value, digits=3):
    return "-" if value is None else f"{value:.{digits}f}"


def add_common_arguments(parser, epochs):
    parser.add_argument(
        "--epochs",
        type=int,
        default=epochs,
        help=f"epochs per contestant (>= 2; epoch 1 is the compile epoch; default {epochs})",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every contestant R times (round-robin, each in a fresh "
        "process) and report the median of each measurement",
    )
    parser.add_argument("--json", metavar="PATH", help="also write all results to PATH")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds allowed per contestant process"
    )


def check_common_arguments(parser, args):
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.epochs < 2:
        parser.error("--epochs must be >= 2 (steady-state time uses epochs 2..N)")


def parse_names(text, choices, what):
    """A comma-separated selection, checked against `choices` (kept in the order given)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in choices]
    if unknown or not names:
        sys.exit(f"unknown or empty {what} {unknown or text!r}; choose from {', '.join(choices)}")
    return names


if __name__ == "__main__":
    child_main(sys.argv[1])
