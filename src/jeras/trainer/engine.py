"""The compiled engine: pure train / test / predict steps over one state pytree, run `k` at a
time in one compiled call (`lax.scan` when `k > 1`), gathering batches from device-resident
data or taking them stacked from the host, with the state donated.

The engine compiles what a `StepSpec` names (the forward call, the variables, the optimizer,
the compiled losses and metrics); it never reads the model's private attributes. Values flow
back into the `Variable` objects only through `trainer/state_sync.py`.
"""

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
from jax import lax

from jeras.backend import distribution_state
from jeras.backend.masking import get_keras_mask, set_keras_mask
from jeras.backend.state_scope import StateScope
from jeras.trainer.compile_utils import flatten_outputs
from jeras.trainer.program_cache import ProgramCache
from jeras.trainer.state_sync import TrainingState


@dataclasses.dataclass(frozen=True)
class StepSpec:
    """Everything a compiled step is built from, stated once by the trainer.

    Attributes:
        call: `call(x, training)`, the model's forward pass (run inside a state scope).
        take_losses: returns the `add_loss` values of the last call and clears them.
        output_names: the compiled outputs, in the order losses and metrics see them.
        compile_loss: the compiled loss (`CompileLoss`), or None.
        loss_tracker: the `Mean` that reports `loss`.
        compile_metrics: the compiled metrics (`CompileMetrics`), or None.
        metrics: every metric object whose variables the engine carries, in order.
        metric_results: returns the logs dict from the metrics' current values.
        optimizer: the optimizer, or None (a model compiled for evaluation only).
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables:
            the variables behind each group of the state, in state order.
        exact_padding: whether rows of sample weight 0 leave every loss and metric unchanged, so
            a short last batch can be padded to the compiled shape.
        run_eagerly: run the steps op by op (`compile(run_eagerly=True)`).
        model_steps: the model's own step methods (`ModelStepFunctions`) where it overrides
            Keras's; None where the built-in steps serve.
    """

    call: Callable[[Any, bool], Any]
    take_losses: Callable[[], list]
    output_names: tuple
    compile_loss: Any
    loss_tracker: Any
    compile_metrics: Any
    metrics: tuple
    metric_results: Callable[[], dict]
    optimizer: Any
    trainable_variables: tuple
    non_trainable_variables: tuple
    optimizer_variables: tuple
    metrics_variables: tuple
    exact_padding: bool
    run_eagerly: bool
    model_steps: Any = None

    @property
    def variable_groups(self):
        """The variables behind each element of `TrainingState`, in its order."""
        groups = self.__dict__.get("_groups")
        if groups is None:
            groups = TrainingState(
                self.trainable_variables,
                self.non_trainable_variables,
                self.optimizer_variables,
                self.metrics_variables,
            )
            object.__setattr__(self, "_groups", groups)  # computed once: pushes run per step
        return groups


class Engine:
    """Compiles and caches the step functions of one `StepSpec`.

    Each compiled function takes the state first (donated for train and test) and returns
    `(state, logs)`: the metric results after the last step, or after every step, one row
    each (callbacks that read only `logs` then receive every batch's values without one
    compiled call per step). Rows hold the results in `log_keys` order.
    """

    def __init__(self, spec):
        self.spec = spec
        self.log_keys = None  # set when a function returning rows is traced
        self._functions = {}
        # Every compiled program of this engine, a bounded number (`trainer/program_cache.py`).
        self.programs = ProgramCache()

    # -- the pure steps ------------------------------------------------------------------------
    def _forward_and_loss(self, trainable, non_trainable, x, y, sw, mask, training):
        spec = self.spec
        pairs = list(zip(spec.trainable_variables, trainable)) + list(
            zip(spec.non_trainable_variables, non_trainable)
        )
        with StateScope(pairs) as scope:
            y_pred = spec.call(x, training)
            names = list(spec.output_names)
            flat_pred = flatten_outputs(y_pred, names, "The model's output")
            flat_true = flatten_outputs(y, names, "`y`") if y is not None else [None] * len(names)
            flat_sw = flatten_sample_weights(sw, names)
            total, per_output = (
                spec.compile_loss(flat_true, flat_pred, flat_sw, mask)
                if spec.compile_loss is not None
                else (jnp.zeros((), "float32"), [])
            )
            extra = spec.take_losses()
            if extra:
                total = total + sum(jnp.sum(jnp.asarray(v, "float32")) for v in extra)
            new_non_trainable = scope.values_of(spec.non_trainable_variables)
        # The outputs' Keras masks (the losses read them from `flat_pred` above), handed on
        # explicitly: arrays returned through `jax.grad`'s aux are new objects without them.
        output_masks = [get_keras_mask(pred) for pred in flat_pred]
        return total, (per_output, flat_true, flat_pred, flat_sw, new_non_trainable, output_masks)

    def _update_metrics(
        self,
        metrics_values,
        total,
        per_output,
        flat_true,
        flat_pred,
        flat_sw,
        mask,
        batch_count,
        output_masks=None,
    ):
        spec = self.spec
        for pred, output_mask in zip(flat_pred, output_masks or ()):
            if output_mask is not None:
                set_keras_mask(pred, output_mask)
        with StateScope(zip(spec.metrics_variables, metrics_values)) as scope:
            spec.loss_tracker.update_state(total, sample_weight=batch_count)
            if spec.compile_loss is not None:
                for tracker, value in zip(spec.compile_loss.trackers, per_output):
                    tracker.update_state(value, sample_weight=batch_count)
            if spec.compile_metrics is not None:
                spec.compile_metrics.update(flat_true, flat_pred, flat_sw, mask)
            return scope.values_of(spec.metrics_variables)

    def _unpack(self, batch):
        x, y, sw, mask = batch
        # Without exact padding no batch holds padding rows: give losses and metrics no mask,
        # exactly as Keras calls them.
        return x, y, sw, (mask if self.spec.exact_padding else None), jnp.sum(mask)

    def train_step(self, state, batch):
        trainable, non_trainable, optimizer_values, metrics_values = state
        x, y, sw, mask, count = self._unpack(batch)
        optimizer = self.spec.optimizer

        def loss_fn(trainable_values):
            total, aux = self._forward_and_loss(
                trainable_values, non_trainable, x, y, sw, mask, True
            )
            # The scale may be optimizer state (LossScaleOptimizer's dynamic scale).
            with StateScope(zip(self.spec.optimizer_variables, optimizer_values)):
                scaled = optimizer.scale_loss(total)
            return scaled, (total, aux)

        grads, (total, aux) = jax.grad(loss_fn, has_aux=True)(trainable)
        per_output, flat_true, flat_pred, flat_sw, new_non_trainable, _ = aux
        if self.spec.trainable_variables:
            new_trainable, new_optimizer = optimizer._stateless_apply_to(
                optimizer_values, grads, list(self.spec.trainable_variables), trainable
            )
            # Other optimizers the model holds (see `_state_optimizers`) pass through unchanged.
            new_optimizer = list(new_optimizer) + list(optimizer_values[len(new_optimizer) :])
        else:
            new_trainable, new_optimizer = trainable, optimizer_values
        # The output masks are not given to the training metrics: Keras on JAX updates them
        # with the predictions returned through `jax.value_and_grad`'s aux, which have lost
        # their masks, so its training metrics count masked steps (its loss does not, and
        # evaluate()'s metrics do not). jeras reports the same numbers.
        new_metrics = self._update_metrics(
            metrics_values, total, per_output, flat_true, flat_pred, flat_sw, mask, count
        )
        return TrainingState(new_trainable, new_non_trainable, new_optimizer, new_metrics)

    def test_step(self, state, batch):
        trainable, non_trainable, optimizer_values, metrics_values = state
        x, y, sw, mask, count = self._unpack(batch)
        total, aux = self._forward_and_loss(trainable, non_trainable, x, y, sw, mask, False)
        per_output, flat_true, flat_pred, flat_sw, new_non_trainable, output_masks = aux
        new_metrics = self._update_metrics(
            metrics_values,
            total,
            per_output,
            flat_true,
            flat_pred,
            flat_sw,
            mask,
            count,
            output_masks,
        )
        # Seed streams advance in evaluation too: each batch draws anew, as in Keras.
        return TrainingState(trainable, new_non_trainable, optimizer_values, new_metrics)

    def predict_step(self, trainable, non_trainable, x):
        """Outputs of one batch and the non-trainable values the call left (seed streams)."""
        spec = self.spec
        if spec.model_steps is not None and spec.model_steps.predict is not None:
            return spec.model_steps.run_predict(trainable, non_trainable, x)
        pairs = list(zip(spec.trainable_variables, trainable)) + list(
            zip(spec.non_trainable_variables, non_trainable)
        )
        with StateScope(pairs) as scope:
            outputs = spec.call(x, False)
            spec.take_losses()
            new_non_trainable = scope.values_of(spec.non_trainable_variables)
        return outputs, new_non_trainable

    def logs(self, metrics_values):
        with StateScope(zip(self.spec.metrics_variables, metrics_values)):
            return self.spec.metric_results()

    # -- k steps per compiled call -------------------------------------------------------------
    def _run_steps(self, kind, state, steps, batch_at, logs_as):
        """`steps` train or test steps, step `i` on `batch_at(i)`; one step is compiled as
        itself, more as one `lax.scan` (XLA:CPU runs some ops slower inside a loop, and a
        one-step loop would still be a loop). `logs_as` is "dict" (the last step's logs as
        device values), "row" (the last step's, as one array in `log_keys` order: one transfer
        to the host) or "rows" (every step's, one row each)."""
        own_step = self._step(kind)
        shardings = state_shardings(self.spec)

        def step(state, batch):
            # Under a distribution: the batch split over the devices, the state kept where
            # `state_shardings` put it (so the next call takes it without a copy).
            state, logs = own_step(state, distribution_state.constrain_batch(batch))
            return keep_layout(state, shardings), logs

        as_row = self._logs_as_row

        def logs_of(state, step_logs):
            # The built-in steps leave their logs to the metrics; a model's step returns its own.
            return self.logs(state.metrics) if step_logs is None else step_logs

        if steps == 1:
            state, step_logs = step(state, batch_at(0))
            logs = logs_of(state, step_logs)
            if logs_as == "dict":
                return state, logs
            return state, (as_row(logs) if logs_as == "row" else as_row(logs)[None])

        def body(carry, i):
            carry, step_logs = step(carry, batch_at(i))
            if logs_as == "rows":
                return carry, as_row(logs_of(carry, step_logs))
            return carry, step_logs

        state, per_step = lax.scan(body, state, jnp.arange(steps))
        if logs_as == "rows":
            return state, per_step
        last = None if per_step is None else jax.tree_util.tree_map(lambda a: a[-1], per_step)
        logs = logs_of(state, last)
        return state, (logs if logs_as == "dict" else as_row(logs))

    def _step(self, kind):
        """`step(state, batch) -> (state, logs or None)` for "train" or "test"."""
        own = self.spec.model_steps
        if own is not None and getattr(own, kind) is not None:
            run = own.run_train if kind == "train" else own.run_test

            def model_step(state, batch):
                x, y, sw, _, _ = self._unpack(batch)
                return run(state, x, y, sw)

            return model_step
        builtin = self.train_step if kind == "train" else self.test_step
        return lambda state, batch: (builtin(state, batch), None)

    def _logs_as_row(self, logs):
        # Non-scalar results (per-class values) are reported by their mean, as `to_floats`.
        self.log_keys = tuple(sorted(logs))
        return jnp.stack([jnp.mean(jnp.asarray(logs[key], "float32")) for key in self.log_keys])

    def function(self, kind, on, steps, logs_as="dict"):
        """The compiled call of `steps` train or test steps over a feed `on` "arrays" or
        "host" batches, returning its logs as `logs_as` says (see `_run_steps`)."""
        if on == "arrays":
            return self._on_arrays(kind, steps, logs_as)
        return self._on_host_batches(kind, steps, logs_as)

    def predict_function(self, on, steps):
        """The compiled call of `steps` predict steps over a feed `on` "arrays" or "host"."""
        if on == "arrays":
            return self._predict_on_arrays(steps)
        return self._predict_on_host_batches(steps)

    def _on_arrays(self, kind, steps, logs_as):
        """`steps` steps over device-resident data: `(state, data, index_matrix, start)` runs
        rows `start ... start + steps - 1` of the epoch's index matrix."""

        def run(state, data, index_matrix, start):
            rows = lax.dynamic_slice_in_dim(index_matrix, start, steps)
            return self._run_steps(
                kind, state, steps, lambda i: gather_batch(data, rows[i]), logs_as
            )

        return self._cached(("arrays", kind, steps, logs_as), run, donate_state=True)

    def _on_host_batches(self, kind, steps, logs_as):
        """`steps` steps over batches stacked on the host: `(state, batches, masks)`."""

        def run(state, batches, masks):
            def batch_at(i):
                x, y, sw = jax.tree_util.tree_map(lambda a: a[i], batches)
                return x, y, sw, masks[i]

            return self._run_steps(kind, state, steps, batch_at, logs_as)

        return self._cached(("host", kind, steps, logs_as), run, donate_state=True)

    def _predict_on_arrays(self, steps):
        """`(state, x_data, index_matrix, start)` -> outputs of `steps` batches, stacked."""

        def run(state, x_data, index_matrix, start):
            rows = lax.dynamic_slice_in_dim(index_matrix, start, steps)
            return self._predict_steps(
                state,
                steps,
                lambda i: gather_batch((x_data, None, None), rows[i])[0],
                # Steps added to round a call up (see `ArrayFeed.predictions`) hold only
                # padding: they leave the state (seed streams) as it was.
                lambda i: rows[i][0] >= 0,
            )

        return self._cached(("arrays", "predict", steps), run)

    def _predict_on_host_batches(self, steps):
        """`(state, x_batches)` -> outputs of `steps` stacked host batches, stacked."""

        def run(state, x_batches):
            return self._predict_steps(
                state, steps, lambda i: jax.tree_util.tree_map(lambda a: a[i], x_batches)
            )

        return self._cached(("host", "predict", steps), run)

    def _predict_steps(self, state, steps, x_at, is_real=None):
        """`(outputs of every step, stacked; the non-trainable values after the last)`."""
        x_at = _split_over_devices(x_at)
        trainable = state.trainable
        if steps == 1:
            outputs, non_trainable = self.predict_step(trainable, state.non_trainable, x_at(0))
            outputs = jax.tree_util.tree_map(lambda v: v[None], outputs)
            return distribution_state.readable_by_every_process(outputs), non_trainable

        def body(non_trainable, i):
            outputs, new = self.predict_step(trainable, non_trainable, x_at(i))
            if is_real is not None:
                new = [jnp.where(is_real(i), a, b) for a, b in zip(new, non_trainable)]
            return list(new), outputs

        non_trainable, outputs = lax.scan(body, list(state.non_trainable), jnp.arange(steps))
        return distribution_state.readable_by_every_process(outputs), non_trainable

    def _cached(self, key, run, donate_state=False):
        """The compiled `run` kept under `key`; `run` is only traced the first time."""
        fn = self._functions.get(key)
        if fn is None:
            if self.spec.run_eagerly:
                # `run_eagerly=True`: the same step code, executed op by op for debugging.
                def fn(*args, _run=run):
                    with jax.disable_jit():
                        return _run(*args)
            else:
                fn = self.programs.function(key, run, donate_argnums=(0,) if donate_state else ())
            self._functions[key] = fn
        return fn


def state_shardings(spec):
    """The layout of each state value under the current distribution (a `TrainingState` of
    lists of shardings), or None without one."""
    if distribution_state.current_distribution() is None:
        return None
    return TrainingState(
        *(
            [distribution_state.variable_sharding(v) for v in group]
            for group in spec.variable_groups
        )
    )


def keep_layout(state, shardings):
    if shardings is None:
        return state
    return TrainingState(
        *(
            [distribution_state.constrain(v, s) for v, s in zip(values, group)]
            for values, group in zip(state, shardings)
        )
    )


def _split_over_devices(batch_at):
    return lambda i: distribution_state.constrain_batch(batch_at(i))


def gather_batch(data, rows):
    """The batch of sample indices `rows` from device-resident `(x, y, sample_weight)`:
    padding (-1) gathers sample 0 and is masked out."""
    valid = rows >= 0
    safe = jnp.where(valid, rows, 0)
    x, y, sw = jax.tree_util.tree_map(lambda a: jnp.take(a, safe, axis=0), data)
    return x, y, sw, valid.astype("float32")


def flatten_sample_weights(sw, names):
    """`sample_weight` as a list aligned with the output `names`."""
    if sw is None:
        return [None] * len(names)
    if isinstance(sw, dict):
        return [sw.get(name) for name in names]
    if isinstance(sw, (list, tuple)):
        if len(sw) != len(names):
            raise ValueError(
                f"`sample_weight` is a list of {len(sw)} arrays but the model has {len(names)} "
                f"outputs: {names}."
            )
        return list(sw)
    # One array serves every output.
    return [sw] * len(names)
