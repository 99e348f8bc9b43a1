"""Differential tests: jeras's Progbar against Keras 3's on the same updates.

Both bars read `time.time()` through their module's `time` global, which the
tests replace with a fake clock so every printed timing is deterministic.
"""

import io
import os
import re
import sys
import types

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras.src.utils.progbar as keras_progbar_module
import numpy as np
import pytest

import jeras.utils.progbar as jeras_progbar_module
from jeras.utils.progbar import Progbar

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class TtyStream(io.StringIO):
    def isatty(self):
        return True


class PipeStream(io.StringIO):
    def isatty(self):
        return False


class FakeClock:
    def __init__(self, start=1_000_000.0):
        self.now = start

    def time(self):
        return self.now


def run_bars(module, bars, stream_cls=TtyStream, notebook=False):
    """Drives one Progbar per entry of `bars` and returns all printed text.

    Each entry is (constructor kwargs, events); an event is
    (seconds since the bar was created, method, args, kwargs).
    """
    clock = FakeClock()
    stream = stream_cls()
    with pytest.MonkeyPatch.context() as mp:
        # Hermetic even when pytest itself runs under Jupyter or PyCharm.
        mp.delenv("PYCHARM_HOSTED", raising=False)
        mp.delenv("CI", raising=False)
        if notebook:
            mp.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
        else:
            mp.delitem(sys.modules, "ipykernel", raising=False)
        mp.setattr(module, "time", types.SimpleNamespace(time=clock.time))
        mp.setattr(sys, "stdout", stream)
        for kwargs, events in bars:
            bar = module.Progbar(**kwargs)
            start = clock.now
            for at, method, args, call_kwargs in events:
                clock.now = start + at
                getattr(bar, method)(*args, **call_kwargs)
            clock.now += 1000.0
    return stream.getvalue()


def both(bars, stream_cls=TtyStream, notebook=False):
    expected = run_bars(keras_progbar_module, bars, stream_cls, notebook)
    actual = run_bars(jeras_progbar_module, bars, stream_cls, notebook)
    return expected, actual


def steps(n, step_seconds, first_step=None, values=None, finalize_extra=False):
    """Events for steps 1..n, each `step_seconds` long (step 1 may differ)."""
    events = []
    t = 0.0
    for i in range(1, n + 1):
        t += first_step if (i == 1 and first_step is not None) else step_seconds
        vals = values(i) if values else None
        events.append((t, "update", (i,), {"values": vals}))
    if finalize_extra:
        vals = values(n) if values else None
        events.append((t, "update", (n,), {"values": vals, "finalize": True}))
    return events


def final_lines(keras_text):
    """Keras's last redraw of each bar, as the reader finally sees it."""
    lines = []
    for chunk in keras_text.split("\n")[:-1]:
        last = ANSI.sub("", chunk.split("\r")[-1])
        lines.append(last.rstrip(" "))
    return lines


def metrics(i):
    return [
        ("loss", 2.5 / i + 1000.0 * (i % 3)),
        ("acc", 1e-5 * i),
        ("delta", -0.25 * i),
        ("tiny_neg", -1e-6 * i),
    ]


STATEFUL = ["loss", "acc", "delta", "tiny_neg"]

CASES = {
    "target8_every_step": [
        ({"target": 8, "stateful_metrics": STATEFUL}, steps(8, 0.1, values=metrics))
    ],
    "target8_averaged": [({"target": 8}, steps(8, 0.3, first_step=4.0, values=metrics))],
    "target782_throttled": [
        (
            {"target": 782, "stateful_metrics": ["loss", "acc"]},
            steps(782, 0.013, first_step=2.0, values=metrics),
        )
    ],
    "target1234_fast_us": [
        (
            {"target": 1234, "stateful_metrics": STATEFUL},
            steps(1234, 2e-5, values=metrics),
        )
    ],
    "eta_minutes": [({"target": 1234}, steps(40, 0.4, values=metrics))],
    "eta_hours": [({"target": 1234, "width": 30}, steps(6, 7.5, values=metrics))],
    "eta_exact_boundaries": [
        # ETA of exactly 60s and 3600s: Keras's thresholds are strict.
        ({"target": 61}, steps(1, 1.0)),
        ({"target": 3601}, steps(1, 1.0)),
        ({"target": 3}, steps(1, 1.0) + [(2.0, "update", (2,), {})]),
    ],
    "seconds_per_step": [({"target": 5, "unit_name": "sample"}, steps(5, 2.7))],
    "unknown_target": [
        ({"target": None}, steps(12, 0.07, values=metrics, finalize_extra=True)),
        ({"target": None, "verbose": 1}, steps(3, 0.2, finalize_extra=True)),
    ],
    "shrinking_line_pads": [
        (
            {"target": 20, "stateful_metrics": ["loss"]},
            [
                (0.1 * i, "update", (i,), {"values": [("loss", 10.0 ** (8 - i))]})
                for i in range(1, 21)
            ],
        )
    ],
    "several_epochs": [
        ({"target": 8, "stateful_metrics": STATEFUL}, steps(8, 0.2, values=metrics))
        for _ in range(3)
    ],
    "add_and_arrays": [
        (
            {"target": 100},
            [
                (0.5, "add", (10,), {"values": [("v", np.array([1.0, 2.0, 4.0]))]}),
                (1.0, "add", (25,), {"values": [("v", np.float32(0.1)), ("n", 3)]}),
                # Same step again: Keras still weights the value by one step.
                (1.2, "add", (0,), {"values": [("v", 7.0), ("n", 5)]}),
                (1.5, "add", (65,), {"values": [("v", np.arange(6).reshape(2, 3))]}),
            ],
        )
    ],
    "stateless_metrics": [
        (
            {"target": 8, "stateless_metrics": ["loss"]},
            steps(8, 0.1, values=metrics),
        )
    ],
    "step_zero_and_repeat_finalize": [
        (
            {"target": 4},
            [
                (0.0, "update", (0,), {}),
                (1.0, "update", (4,), {"values": [("loss", 0.5)]}),
                (1.0, "update", (4,), {"values": [("loss", 0.25)], "finalize": True}),
            ],
        )
    ],
    "finalize_false_at_target": [({"target": 4}, [(1.0, "update", (4,), {"finalize": False})])],
    "target_zero": [({"target": 0}, steps(3, 0.1, finalize_extra=True))],
    "nan_value": [({"target": 2}, steps(2, 0.1, values=lambda i: [("loss", float("nan"))]))],
    "verbose2": [
        (
            {"target": 8, "verbose": 2, "stateful_metrics": STATEFUL},
            steps(8, 0.1, values=metrics),
        ),
        (
            {"target": 782, "verbose": 2},
            steps(782, 0.013, first_step=2.0, values=metrics),
        ),
        ({"target": 1234, "verbose": 2}, steps(1234, 2e-5, values=metrics)),
        ({"target": 3, "verbose": 2}, steps(3, 30.0)),
        # Unknown target: Keras prints nothing at verbose=2.
        ({"target": None, "verbose": 2}, steps(3, 0.1, finalize_extra=True)),
    ],
    "verbose0": [({"target": 8, "verbose": 0}, steps(8, 0.1, values=metrics))],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_terminal_output_matches_keras(name):
    expected, actual = both(CASES[name])
    assert actual == expected


def test_expected_features_are_exercised():
    # Guards against the cases above silently losing their coverage.
    text = "".join(both(CASES[n])[0] for n in sorted(CASES))
    for needle in (
        "\b",
        "\r",
        "\x1b[1m",
        "\x1b[32m",
        "\x1b[37m",
        "\u2501",
        "/Unknown",
        "us/step",
        "ms/step",
        "s/step",
        "s/sample",
        "e-05",
        "e-06",
        ": -",
        "60s",
        "60:00",
        "nan",
    ):
        assert needle in text, needle
    assert re.search(r"\x1b\[1m\d+:\d\d\x1b", text)  # M:SS ETA
    assert re.search(r"\x1b\[1m\d+:\d\d:\d\d\x1b", text)  # H:MM:SS ETA
    assert re.search(r" {3,}\n", text)  # padding after a shorter redraw


def test_verbose2_negative_values_use_exponent():
    # Keras's verbose=2 line compares the signed value with 1e-3.
    bars = [({"target": 2, "verbose": 2}, steps(2, 0.5, values=lambda i: [("d", -0.5)]))]
    expected, actual = both(bars)
    assert actual == expected == "2/2 - 1s - 500ms/step - d: -5.0000e-01\n"


def test_jax_array_values():
    jnp = pytest.importorskip("jax.numpy")
    bars = [
        (
            {"target": 3, "stateful_metrics": ["a"]},
            steps(
                3,
                0.1,
                values=lambda i: [("a", jnp.float32(i / 7)), ("b", jnp.ones(4) * i)],
            ),
        )
    ]
    expected, actual = both(bars)
    assert actual == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_pipe_prints_one_clean_line_per_bar(name):
    keras_text = run_bars(keras_progbar_module, CASES[name])
    actual = run_bars(jeras_progbar_module, CASES[name], PipeStream)
    for control in ("\x1b", "\b", "\r"):
        assert control not in actual
    assert actual.split("\n")[:-1] == final_lines(keras_text)
    assert actual == "" or actual.endswith("\n")


def test_pipe_bar_count():
    actual = run_bars(jeras_progbar_module, CASES["several_epochs"], PipeStream)
    lines = actual.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("8/8 " + "\u2501" * 20 + " 2s 200ms/step - loss: ")


def test_notebook_uses_carriage_return_without_backspaces():
    bars = CASES["shrinking_line_pads"] + CASES["target782_throttled"]
    # Plain (non-tty) stream, as in a kernel, where Keras still redraws.
    expected, actual = both(bars, PipeStream, notebook=True)
    assert "\b" not in actual
    assert actual == expected.replace("\b", "")


def test_unencodable_stream_falls_back_like_keras():
    class AsciiTty(io.TextIOWrapper):
        def __init__(self):
            super().__init__(io.BytesIO(), encoding="ascii")

        def isatty(self):
            return True

        def getvalue(self):
            self.flush()
            return self.buffer.getvalue().decode("ascii")

    bars = CASES["target8_every_step"] + CASES["verbose2"][:1]
    expected, actual = both(bars, AsciiTty)
    assert "=" * 20 in actual
    assert actual == expected


def test_display_mode_detection(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stdout", TtyStream())
    assert Progbar(3)._display == "terminal"
    monkeypatch.setenv("CI", "false")
    assert Progbar(3)._display == "terminal"
    monkeypatch.setenv("CI", "true")
    assert Progbar(3)._display == "plain"
    monkeypatch.delenv("CI")
    monkeypatch.setattr(sys, "stdout", PipeStream())
    assert Progbar(3)._display == "plain"
    monkeypatch.setattr(sys, "stdout", None)
    assert Progbar(3)._display == "plain"
    monkeypatch.setattr(sys, "stdout", PipeStream())
    monkeypatch.setenv("PYCHARM_HOSTED", "1")
    assert Progbar(3)._display == "terminal"
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert Progbar(3)._display == "notebook"


def test_writes_to_stdout_looked_up_at_call_time(capsys):
    bar = Progbar(2, verbose=2)
    bar.update(1)
    bar.update(2, values=[("loss", 0.5)])
    out = capsys.readouterr().out
    assert re.fullmatch(r"2/2 - 0s - \d+us/step - loss: 0\.5000\n", out)


def test_both_metric_lists_rejected():
    with pytest.raises(ValueError):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
