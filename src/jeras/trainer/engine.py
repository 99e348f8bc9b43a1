"""The compiled engine: pure train / test / predict steps over one state pytree, fused k at a
time with `lax.scan`, gathering batches from device-resident data, with the state donated.

State is `(trainable, non_trainable, optimizer, metrics)` lists of arrays, aligned with the
engine's variable lists. Values flow back into the `Variable` objects only at sync points.
"""

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax

from jeras.backend.state_scope import StateScope
from jeras.trainer.compile_utils import flatten_outputs


class Engine:
    def __init__(self, model):
        self.model = model
        self.trainable_variables = list(model.trainable_variables)
        trainable_ids = {id(v) for v in self.trainable_variables}
        self.non_trainable_variables = [v for v in model.variables if id(v) not in trainable_ids]
        optimizer = model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.trainable_variables)
        self.optimizer_variables = list(optimizer.variables) if optimizer is not None else []
        self.metrics_variables = [v for m in model._all_compiled_metrics() for v in m.variables]
        self.state = None
        self._functions = {}
        # Padding the last batch is exact when every compiled metric and loss states
        # `exact_under_padding` (see `Metric` and `Loss`), and no `add_loss` term is computed
        # from the batch.
        compiled_losses = [loss for _, loss, _ in model._compile_loss.entries] \
            if model._compile_loss is not None else []
        self.exact_padding = (
            not getattr(model, "_has_batch_losses", False)
            and all(getattr(m, "exact_under_padding", False)
                    for m in model._all_compiled_metrics())
            and all(getattr(loss, "exact_under_padding", False) for loss in compiled_losses))

    # -- state sync ----------------------------------------------------------------------------
    def _groups(self):
        return (self.trainable_variables, self.non_trainable_variables, self.optimizer_variables,
                self.metrics_variables)

    def pull(self):
        """Gather the variables' current values into the state pytree. Metric values stay the
        engine's own once it has run: only the engine writes them during a loop."""
        seen = set()

        def value(variable):
            array = variable._value
            # Donation fails on a buffer passed twice (e.g. `a.assign(b.value)` shares it).
            if id(array) in seen:
                array = jnp.copy(array)
            seen.add(id(array))
            return array

        groups = [[value(v) for v in group] for group in self._groups()]
        if self.state is not None:
            groups[3] = self.state[3]
        self.state = tuple(groups)

    def push(self):
        """Write the state's values back into the variables."""
        if self.state is None:
            return
        for group, values in zip(self._groups(), self.state):
            for variable, value in zip(group, values):
                variable._value = value

    def reset_metrics_state(self):
        values = []
        for metric in self.model._all_compiled_metrics():
            values.extend(metric.stateless_reset_state())
        tv, ntv, ov, _ = self.state
        self.state = (tv, ntv, ov, values)

    def set_metrics_state(self, values):
        """Metric accumulators saved mid-epoch (a resumed backup), in `reset_metrics_state`'s
        order; shapes must match the compiled metrics'."""
        tv, ntv, ov, current = self.state
        if len(values) != len(current) or any(
                np.shape(v) != tuple(c.shape) for v, c in zip(values, current)):
            raise ValueError(
                "The backed-up metric state does not fit this model's compiled metrics; was the "
                "backup written by a model compiled with other metrics?")
        self.state = (tv, ntv, ov, [jnp.asarray(v, dtype=c.dtype) for v, c in zip(values, current)])

    # -- the pure steps ------------------------------------------------------------------------
    def _forward_and_loss(self, trainable, non_trainable, x, y, sw, mask, training):
        model = self.model
        pairs = list(zip(self.trainable_variables, trainable)) + \
            list(zip(self.non_trainable_variables, non_trainable))
        with StateScope(pairs) as scope:
            y_pred = model(x, training=training)
            names = model._compiled_output_names()
            flat_pred = flatten_outputs(y_pred, names, "The model's output")
            flat_true = flatten_outputs(y, names, "`y`") if y is not None else [None] * len(names)
            flat_sw = _flatten_sample_weights(sw, names)
            total, per_output = model._compile_loss(flat_true, flat_pred, flat_sw, mask) \
                if model._compile_loss is not None else (jnp.zeros((), "float32"), [])
            extra = model.losses
            if extra:
                total = total + sum(jnp.sum(jnp.asarray(l, "float32")) for l in extra)
            model._clear_losses()
            new_non_trainable = scope.values_of(self.non_trainable_variables)
        return total, (per_output, flat_true, flat_pred, flat_sw, new_non_trainable)

    def _update_metrics(self, metrics_values, total, per_output, flat_true, flat_pred, flat_sw,
                        mask, batch_count):
        model = self.model
        with StateScope(zip(self.metrics_variables, metrics_values)) as scope:
            model._loss_tracker.update_state(total, sample_weight=batch_count)
            if model._compile_loss is not None:
                for tracker, value in zip(model._compile_loss.trackers, per_output):
                    tracker.update_state(value, sample_weight=batch_count)
            if model._compile_metrics is not None:
                model._compile_metrics.update(flat_true, flat_pred, flat_sw, mask)
            return scope.values_of(self.metrics_variables)

    def _unpack(self, batch):
        x, y, sw, mask = batch
        # Without exact padding no batch holds padding rows: give losses and metrics no mask,
        # exactly as Keras calls them.
        return x, y, sw, (mask if self.exact_padding else None), jnp.sum(mask)

    def train_step(self, state, batch):
        trainable, non_trainable, optimizer_values, metrics_values = state
        x, y, sw, mask, count = self._unpack(batch)
        optimizer = self.model.optimizer

        def loss_fn(trainable_values):
            total, aux = self._forward_and_loss(trainable_values, non_trainable, x, y, sw, mask,
                                                True)
            return optimizer.scale_loss(total), (total, aux)

        grads, (total, aux) = jax.grad(loss_fn, has_aux=True)(trainable)
        per_output, flat_true, flat_pred, flat_sw, new_non_trainable = aux
        if self.trainable_variables:
            new_trainable, new_optimizer = optimizer.stateless_apply(
                optimizer_values, grads, self.trainable_variables, trainable)
        else:
            new_trainable, new_optimizer = trainable, optimizer_values
        new_metrics = self._update_metrics(metrics_values, total, per_output, flat_true,
                                           flat_pred, flat_sw, mask, count)
        return (new_trainable, new_non_trainable, new_optimizer, new_metrics)

    def test_step(self, state, batch):
        trainable, non_trainable, optimizer_values, metrics_values = state
        x, y, sw, mask, count = self._unpack(batch)
        total, aux = self._forward_and_loss(trainable, non_trainable, x, y, sw, mask, False)
        per_output, flat_true, flat_pred, flat_sw, _ = aux
        new_metrics = self._update_metrics(metrics_values, total, per_output, flat_true,
                                           flat_pred, flat_sw, mask, count)
        return (trainable, non_trainable, optimizer_values, new_metrics)

    def predict_step(self, state, x):
        trainable, non_trainable, _, _ = state
        pairs = list(zip(self.trainable_variables, trainable)) + \
            list(zip(self.non_trainable_variables, non_trainable))
        with StateScope(pairs):
            outputs = self.model(x, training=False)
            self.model._clear_losses()
        return outputs

    def logs(self, metrics_values):
        model = self.model
        with StateScope(zip(self.metrics_variables, metrics_values)):
            return model._current_metric_results()

    # -- fused, compiled calls -----------------------------------------------------------------
    def _gather(self, data, rows):
        """The batch at index row `rows` of the epoch matrix: padding (-1) gathers sample 0 and
        is masked out."""
        valid = rows >= 0
        safe = jnp.where(valid, rows, 0)
        x, y, sw = jax.tree_util.tree_map(lambda a: jnp.take(a, safe, axis=0), data)
        return x, y, sw, valid.astype("float32")

    def _cached(self, key, run, donate_state=False):
        """The compiled `run` kept under `key`; `run` is only traced the first time."""
        fn = self._functions.get(key)
        if fn is None:
            fn = self._compile(run, donate_argnums=(0,) if donate_state else ())
            self._functions[key] = fn
        return fn

    def _scan_steps(self, kind, state, chunk, batch_at, runs):
        """`chunk` train or test steps in one `lax.scan`: step `i` takes `batch_at(i)` when
        `runs(i)`, and leaves the state unchanged otherwise (padding steps of a short chunk).
        Returns the new state and the logs after the last step."""
        step = self.train_step if kind == "train" else self.test_step

        def body(carry, i):
            batch = batch_at(i)
            return lax.cond(runs(i), lambda s: step(s, batch), lambda s: s, carry), None

        state, _ = lax.scan(body, state, jnp.arange(chunk))
        return state, self.logs(state[3])

    def fused(self, kind, chunk):
        """`chunk` steps over device-resident data: `(state, data, index_matrix, start,
        num_steps)` runs rows `start ...` of the epoch's index matrix, up to `num_steps`."""
        def run(state, data, index_matrix, start, num_steps):
            return self._scan_steps(kind, state, chunk,
                                    lambda i: self._gather(data, index_matrix[start + i]),
                                    lambda i: start + i < num_steps)

        return self._cached((kind, chunk), run, donate_state=True)

    def fused_host(self, kind, chunk):
        """Like `fused`, over a chunk of batches stacked on the host: `(state, batches, masks,
        num_steps)`; steps past `num_steps` leave the state unchanged."""
        def run(state, batches, masks, num_steps):
            def batch_at(i):
                x, y, sw = jax.tree_util.tree_map(lambda a: a[i], batches)
                return x, y, sw, masks[i]

            return self._scan_steps(kind, state, chunk, batch_at, lambda i: i < num_steps)

        return self._cached(("host", kind, chunk), run, donate_state=True)

    def fused_host_predict(self, chunk):
        def run(state, x_batches):
            _, outputs = lax.scan(lambda carry, x: (carry, self.predict_step(state, x)), None,
                                  x_batches)
            return outputs

        return self._cached(("host", "predict", chunk), run)

    def _compile(self, fn, donate_argnums=()):
        if self.model.run_eagerly:
            # `run_eagerly=True`: the same step code, executed op by op for debugging.
            def eager(*args):
                with jax.disable_jit():
                    return fn(*args)

            return eager
        return jax.jit(fn, donate_argnums=donate_argnums)

    def fused_predict(self, chunk):
        def run(state, x_data, index_matrix, start):
            def body(carry, i):
                x = self._gather((x_data, None, None), index_matrix[start + i])[0]
                return carry, self.predict_step(state, x)

            _, outputs = lax.scan(body, None, jnp.arange(chunk))
            return outputs

        return self._cached(("predict", chunk), run)

def _flatten_sample_weights(sw, names):
    if sw is None:
        return [None] * len(names)
    if isinstance(sw, dict):
        return [sw.get(name) for name in names]
    if isinstance(sw, (list, tuple)):
        if len(sw) != len(names):
            raise ValueError(
                f"`sample_weight` is a list of {len(sw)} arrays but the model has {len(names)} "
                f"outputs: {names}.")
        return list(sw)
    # One array serves every output.
    return [sw] * len(names)
