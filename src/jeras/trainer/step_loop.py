"""The one step loop of `fit`, `evaluate` and `predict`: compiled calls from a feed, the batch
hooks of the callbacks, and the state handed from call to call through `StateSync`.

How many steps one compiled call runs, and how batch hooks are delivered, is an `ExecutionPlan`:

- "nothing": no callback wants every batch; the progress bar and History get the logs of the
  last step of each call, as device values they pull only when they draw.
- "logs": some callback wants every batch's logs but not the model (the guide's
  `LossHistory`); each call returns every step's logs, stacked, and the hooks run in order
  after the call, as if each step had been its own call.
- "model": some callback needs the live model between batches; one step per call, Keras's
  order exactly.
- "execution": `compile(steps_per_execution=N)`, N > 1: Keras's rule, hooks once per call, at
  its first and last step.
"""

from typing import NamedTuple

import jax
import numpy as np

# Steps per compiled call where looping on the device pays (every device but a CPU running
# convolutions: see `choose_steps_per_call`): long enough to amortise dispatch, short enough
# for a live progress bar.
FUSED_STEPS = 32


class ExecutionPlan(NamedTuple):
    """How a loop runs: `steps_per_call` steps per compiled call, batch hooks delivered as
    `delivery` says, and why (`reason`, reported by `model.execution_plan`)."""

    steps_per_call: int
    delivery: str
    reason: str


def choose_plan(steps_per_execution, needs, layers, platform, num_steps):
    """The plan for a loop of `num_steps` (None: unknown) over a model of `layers` on
    `platform`, given `compile(steps_per_execution=...)` and what the callbacks `needs`
    ("nothing", "logs" or "model")."""
    if steps_per_execution > 1:
        # Not cut to the epoch: a call runs what is left, and Keras numbers its batches as if
        # it were full.
        return ExecutionPlan(steps_per_execution, "execution", "compile(steps_per_execution=...)")
    if needs == "model":
        return ExecutionPlan(1, "model", "a callback reads or changes the model between batches")
    slow = sorted(
        {type(layer).__name__ for layer in layers if getattr(layer, "slower_in_cpu_loops", False)}
    )
    if platform == "cpu" and slow:
        return ExecutionPlan(1, needs, f"XLA:CPU runs {', '.join(slow)} slower inside a loop")
    steps = min(FUSED_STEPS, num_steps or FUSED_STEPS)
    if steps == 1:
        return ExecutionPlan(1, needs, "one batch per epoch")
    return ExecutionPlan(steps, needs, f"{steps} steps fused in one lax.scan on {platform}")


def run_steps(model, engine, kind, feed, calls, callbacks, plan):
    """Run the train or test `calls` of `feed` (one epoch or evaluation); returns the logs
    after the last step (device values), or None when there was no call."""
    sync = model._state_sync
    train = kind == "train"
    begin = callbacks.on_train_batch_begin if train else callbacks.on_test_batch_begin
    end = callbacks.on_train_batch_end if train else callbacks.on_test_batch_end
    delivery = plan.delivery
    # Progress bar and History pull the device values only when they draw; every other
    # delivery hands callbacks floats, fetched in one transfer per call.
    logs_as = {"nothing": "dict", "logs": "rows"}.get(delivery, "row")
    logs = None
    for call in calls:
        fn = engine.function(kind, feed.on, call.count, logs_as)
        if delivery == "model" or delivery == "execution":
            begin(call.first)
        with sync.critical:
            sync.before_step()
            state, logs = fn(sync.state, *call.args)
            sync.step_done(state)
        if delivery == "nothing":
            end(call.first + call.count - 1, logs)
        elif delivery == "logs":
            rows = np.asarray(logs).tolist()
            for i, row in enumerate(rows):
                begin(call.first + i)
                end(call.first + i, dict(zip(engine.log_keys, row)))
            logs = dict(zip(engine.log_keys, rows[-1]))
        else:
            logs = dict(zip(engine.log_keys, np.asarray(logs).tolist()))
            # With steps_per_execution, Keras numbers a call's last batch as if it were full.
            end(call.first + (0 if delivery == "model" else plan.steps_per_call - 1), logs)
        if train and model.stop_training:
            break
    return logs


def run_predictions(model, engine, feed, calls, assemble, callbacks, plan):
    """Run the predict `calls` of `feed`; returns the outputs joined by `assemble`, or None
    when there was no call."""
    sync = model._state_sync
    pieces = []
    for call in calls:
        fn = engine.predict_function(feed.on, call.count)
        if plan.delivery != "nothing":
            callbacks.on_predict_batch_begin(call.first)
        with sync.critical:
            sync.before_step()
            outputs, non_trainable = fn(sync.state, *call.args)
            # Seed streams (and whatever else a call writes) advance per batch and per call.
            sync.step_done(sync.state._replace(non_trainable=list(non_trainable)))
        pieces.append(outputs)
        if plan.delivery == "nothing":
            callbacks.on_predict_batch_end(call.first + call.count - 1, None)
            continue
        host = jax.tree_util.tree_map(np.asarray, outputs)
        if plan.delivery == "execution":
            # Keras hands the call's batches joined, numbered as if the call were full.
            joined = jax.tree_util.tree_map(lambda a: a.reshape((-1,) + a.shape[2:]), host)
            callbacks.on_predict_batch_end(
                call.first + plan.steps_per_call - 1, {"outputs": joined}
            )
            continue
        for i in range(call.count):
            if i:
                callbacks.on_predict_batch_begin(call.first + i)
            batch = jax.tree_util.tree_map(lambda a, i=i: a[i], host)
            callbacks.on_predict_batch_end(call.first + i, {"outputs": batch})
    if not pieces:
        return None
    return jax.tree_util.tree_map(assemble, *pieces)


def to_floats(logs):
    """Logs as a sorted dict of Python floats (what callbacks and `evaluate` return)."""
    if logs is None:
        return {}
    host = jax.device_get(logs)
    return dict(
        sorted(
            (k, float(np.asarray(v).mean()) if np.ndim(v) else float(v)) for k, v in host.items()
        )
    )
