"""LambdaCallback against Keras 3: the functions given replace the hooks of the same name, other
keyword arguments become attributes, and only a batch function makes fit report every batch."""

import keras
import pytest

import jeras

HOOKS = [
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_begin",
    "on_train_end",
    "on_train_batch_begin",
    "on_train_batch_end",
]


def _call_every_hook(callback):
    callback.on_train_begin({"t": 0})
    callback.on_epoch_begin(0, {})
    callback.on_train_batch_begin(0, {})
    callback.on_train_batch_end(0, {"loss": 1.0})
    callback.on_batch_end(1, {"loss": 1.0})
    callback.on_test_end({"loss": 2.0})
    callback.on_epoch_end(0, {"loss": 1.0})
    callback.on_train_end({"loss": 1.0})


@pytest.mark.parametrize("given", [HOOKS, ["on_epoch_end"], ["on_train_batch_end"], []])
def test_given_functions_replace_their_hooks_as_keras(given):
    calls = {}
    for lib in (keras, jeras):
        seen = []
        functions = {
            name: (lambda *args, name=name, seen=seen: seen.append((name, args))) for name in given
        }
        callback = lib.callbacks.LambdaCallback(
            on_test_end=lambda logs, seen=seen: seen.append(("on_test_end", (logs,))),
            custom_attribute=7,
            **functions,
        )
        _call_every_hook(callback)
        assert callback.custom_attribute == 7
        calls[lib] = seen
    assert calls[jeras] == calls[keras]


def test_only_batch_functions_make_fit_report_every_batch():
    def per_batch(**kwargs):
        callback = jeras.callbacks.LambdaCallback(**kwargs)
        return jeras.callbacks.CallbackList([callback]).batch_needs("train")

    assert per_batch(on_epoch_end=lambda epoch, logs: None) == "nothing"
    assert per_batch(on_train_batch_end=lambda batch, logs: None) == "logs"
    assert per_batch(on_batch_end=lambda batch, logs: None) == "logs"
