"""ProgbarLogger against Keras 3's on the same hook calls under one fake clock (so the printed
timings are deterministic), and on a real fit whose output goes to a pipe."""

import io
import re
import sys
import types

import keras
import keras.src.utils.progbar as keras_progbar_module
import numpy as np
import pytest
from callback_models import binary_data, compiled_pair

import jeras
import jeras.utils.progbar as jeras_progbar_module


class _Terminal(io.StringIO):
    def isatty(self):
        return True


LOGS = {"accuracy": 0.5, "loss": 0.693}
VAL_LOGS = {"accuracy": 0.6, "loss": 0.61, "val_accuracy": 0.55, "val_loss": 0.66}


def _fit_events(steps_per_epoch, epochs, first_call=3.0, step=0.5, stop_after=None):
    """Hook calls of a fit: the first batch ends `first_call` seconds after the epoch began
    (compilation, or a fused call reporting late); validation runs silently."""
    events = [(0.0, "on_train_begin", ())]
    for epoch in range(epochs):
        events.append((0.0, "on_epoch_begin", (epoch,)))
        last = steps_per_epoch if stop_after is None else stop_after
        for batch in range(last):
            events.append(
                (first_call if batch == 0 else step, "on_train_batch_end", (batch, dict(LOGS)))
            )
        events += [
            (0.1, "on_test_begin", ()),
            (0.2, "on_test_batch_end", (0, dict(LOGS))),
            (0.0, "on_test_end", (dict(LOGS),)),
        ]
        events.append((0.0, "on_epoch_end", (epoch, dict(VAL_LOGS))))
    events.append((0.0, "on_train_end", (dict(VAL_LOGS),)))
    return events


def _evaluate_events(steps):
    events = [(0.0, "on_test_begin", ())]
    events += [(0.7, "on_test_batch_end", (b, dict(LOGS))) for b in range(steps)]
    return events + [(0.0, "on_test_end", (dict(LOGS),))]


def _predict_events(steps):
    events = [(0.0, "on_predict_begin", ())]
    events += [
        (0.02, "on_predict_batch_end", (b, {"outputs": np.ones((4, 1))})) for b in range(steps)
    ]
    return events + [(0.0, "on_predict_end", ())]


SCENARIOS = {
    "fit_known_steps": (dict(verbose=1, epochs=2, steps=4), True, _fit_events(4, 2)),
    "fit_unknown_steps": (dict(verbose=1, epochs=2, steps=None), True, _fit_events(3, 2)),
    "fit_verbose_auto": (dict(verbose="auto", epochs=1, steps=3), True, _fit_events(3, 1)),
    "fit_verbose2": (dict(verbose=2, epochs=2, steps=5), True, _fit_events(5, 2)),
    "fit_stopped_mid_epoch": (
        dict(verbose=1, epochs=1, steps=8),
        True,
        _fit_events(8, 1, stop_after=5),
    ),
    "evaluate": (dict(verbose=1, epochs=1, steps=3), False, _evaluate_events(3)),
    "evaluate_verbose2": (dict(verbose=2, epochs=1, steps=3), False, _evaluate_events(3)),
    "predict": (dict(verbose=1, epochs=1, steps=4), False, _predict_events(4)),
}


def _run(lib, progbar_module, params, in_fit, events):
    clock = types.SimpleNamespace(now=1_000_000.0)
    stream = _Terminal()
    logger = lib.callbacks.ProgbarLogger()
    # jeras tells validation inside fit from the model's running loop; Keras from
    # `on_train_begin`.
    running = types.SimpleNamespace(loop="fit" if in_fit else None)
    logger.set_model(types.SimpleNamespace(_state_sync=running))
    logger.set_params(params)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYCHARM_HOSTED", raising=False)
        patch.delenv("CI", raising=False)
        patch.delitem(sys.modules, "ipykernel", raising=False)
        patch.setattr(progbar_module, "time", types.SimpleNamespace(time=lambda: clock.now))
        patch.setattr(sys, "stdout", stream)
        for delay, hook, args in events:
            clock.now += delay
            getattr(logger, hook)(*args)
    return stream.getvalue()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_output_matches_keras_character_for_character(name):
    params, in_fit, events = SCENARIOS[name]
    expected = _run(keras, keras_progbar_module, params, in_fit, events)
    got = _run(jeras, jeras_progbar_module, params, in_fit, events)
    assert got == expected
    assert expected, "the scenario should print something"


def test_a_fit_printed_to_a_pipe_gives_one_clean_line_per_epoch(capsys):
    x, y = binary_data(64)
    _, model = compiled_pair()
    model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, shuffle=False, verbose=1)
    out = capsys.readouterr().out
    for control in ("\x1b", "\b", "\r"):
        assert control not in out
    lines = out.splitlines()
    assert lines[0::2] == ["Epoch 1/2", "Epoch 2/2"]
    number = r"\d+\.\d{4}"
    bar = re.compile(
        rf"3/3 \u2501{{20}} \d+s \d+(s|ms|us)/step - accuracy: {number} - loss: "
        rf"{number} - mae: {number} - val_accuracy: {number} - val_loss: "
        rf"{number} - val_mae: {number}"
    )
    assert len(lines) == 4
    for line in lines[1::2]:
        assert bar.fullmatch(line), line
