"""`Trainer`: the `compile` / `fit` / `evaluate` / `predict` half of `Model`."""

import itertools
import math

import numpy as np
import jax
import jax.numpy as jnp

from jeras import optimizers as optimizers_module
from jeras.backend.state_scope import StateScope
from jeras.callbacks.callback_list import CallbackList
from jeras.data.array_data import ArrayData, BatchStream, epoch_index_matrix, pad_to_chunks
from jeras.data.batch_sources import SourceStream, make_source
from jeras.data.class_weight import class_weight_to_sample_weight, with_class_weights
from jeras.data.prefetch import ChunkFeeder
from jeras.layers.layer import Layer
from jeras.metrics.reduction_metrics import Mean
from jeras.trainer.compile_utils import CompileLoss, CompileMetrics, flatten_outputs
from jeras.trainer.engine import Engine, _flatten_sample_weights
from jeras.data.position import capture_position, restore_position

# Steps fused into one compiled call when no callback needs per-batch values: long enough to
# amortise dispatch, short enough for a live progress bar.
FUSED_STEPS = 32


class Trainer:
    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._engine = None
        self._engine_dirty = False
        self._fitting = False
        # A stand-alone evaluate: its compiled steps consume (donate) the variables' buffers.
        self._evaluating = False
        self._eager_forward_cache = {}
        self._eager_jit_ok = True
        self.stop_training = False
        self.history = None
        self.run_eagerly = False

    # -- compile -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure the model for training (as `keras.Model.compile`)."""
        self.optimizer = optimizers_module.get(optimizer)
        if loss is not None or self._compile_loss is None:
            self._loss_spec = loss
        if loss_weights is not None and not isinstance(loss_weights, (int, float, list, tuple, dict)):
            raise ValueError(
                "`loss_weights` must be a float, a list/tuple or a dict, got "
                f"{type(loss_weights).__name__}.")
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(
                f"Expected `metrics` argument to be a list, tuple, or dict. Received instead: "
                f"metrics={metrics!r} of type {type(metrics).__name__}")
        if weighted_metrics is not None and not isinstance(weighted_metrics, (list, tuple, dict)):
            raise ValueError(
                "Expected `weighted_metrics` argument to be a list, tuple, or dict. Received "
                f"instead: weighted_metrics={weighted_metrics!r}")
        self._loss_weights_spec = loss_weights
        if metrics is not None or weighted_metrics is not None or not self.compiled:
            self._metrics_spec = metrics
            self._weighted_metrics_spec = weighted_metrics
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = Mean(name="loss")
        self.run_eagerly = bool(run_eagerly)
        self.steps_per_execution = steps_per_execution
        self.jit_compile = jit_compile
        self._engine = None
        self.stop_training = False
        self.compiled = True
        self._compile_config = {
            "optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
            "metrics": metrics, "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly, "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile}

    def _assert_compiled(self, what):
        if not self.compiled:
            raise ValueError(
                f"You must call `compile()` before using the model in `{what}()`.")

    # -- output naming, compile build ----------------------------------------------------------
    def _compiled_output_names(self):
        names = getattr(self, "output_names", None)
        if names:
            return list(names)
        return ["output_0"]

    def _build_compile_state(self, x, y):
        """Resolve losses and metrics per output from the shapes of a first batch."""
        if self._compile_loss is not None and self._compile_metrics is not None:
            return
        names = self._compiled_output_names()
        y_pred = self._abstract_outputs(x)
        if len(names) != len(jax.tree_util.tree_leaves(y_pred)):
            names = [f"output_{i}" for i in range(len(jax.tree_util.tree_leaves(y_pred)))] \
                if not isinstance(y_pred, dict) else list(y_pred.keys())
        flat_pred = flatten_outputs(y_pred, names, "The model's output")
        flat_true = flatten_outputs(y, names, "`y`") if y is not None else [None] * len(names)
        self._compile_loss = CompileLoss(self._loss_spec, self._loss_weights_spec, names)
        self._compile_loss.build(flat_true, flat_pred)
        self._compile_metrics = CompileMetrics(self._metrics_spec, self._weighted_metrics_spec,
                                               names)
        self._compile_metrics.build(flat_true, flat_pred)
        self._create_lazy_metric_variables(flat_true, flat_pred)

    def _create_lazy_metric_variables(self, flat_true, flat_pred):
        """Some metrics (F1Score, R2Score, ...) create their variables at their first update, as
        in Keras; run one abstract update so they exist before the engine gathers its state."""
        metrics = self._compile_metrics

        def probe(y_true, y_pred):
            with StateScope():
                metrics.update(y_true, y_pred, [None] * len(y_pred), None)
            return 0

        jax.eval_shape(probe, flat_true, flat_pred)

    def _abstract_outputs(self, x):
        model = self

        def forward(inputs):
            with StateScope():
                out = model(inputs, training=True)
                # Losses added during the call depend on the batch, so padded rows would count.
                model._has_batch_losses = any(
                    layer._losses for layer in model._flatten_layers())
            model._clear_losses()
            return out

        return jax.eval_shape(forward, x)

    def _all_compiled_metrics(self):
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_loss is not None:
            out.extend(self._compile_loss.trackers)
        if self._compile_metrics is not None:
            out.extend(self._compile_metrics.metrics)
        return out

    def _current_metric_results(self):
        results = {}
        if self._loss_tracker is not None:
            results["loss"] = self._loss_tracker.result()
        if self._compile_loss is not None:
            for tracker in self._compile_loss.trackers:
                results[tracker.name] = tracker.result()
        if self._compile_metrics is not None:
            results.update(self._compile_metrics.results())
        return results

    @property
    def metrics(self):
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_metrics is not None and self._compile_metrics.built:
            out.append(_CompileMetricsView(self))
        if self._compile_loss is not None:
            out.extend(self._compile_loss.trackers)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for metric in self._all_compiled_metrics():
            metric.reset_state()

    # -- engine management ---------------------------------------------------------------------
    def _ensure_built(self, x_sample):
        if not self.built:
            Layer.__call__(self, x_sample, training=False)
            self._clear_losses()

    def _get_engine(self):
        engine = self._engine
        optimizer = self.optimizer
        if optimizer is not None and not optimizer.built and self.compiled:
            optimizer.build(self.trainable_variables)
        # A new learning-rate object (a schedule replacing a float) or new optimizer variables
        # mean a different compiled step.
        signature = (tuple(id(v) for v in self.trainable_variables),
                     tuple(id(v) for v in self.variables), id(optimizer),
                     id(getattr(optimizer, "_learning_rate", None)),
                     tuple(id(v) for v in optimizer.variables) if optimizer is not None and
                     optimizer.built else None,
                     # Metrics built after an engine was made (predict before the first fit)
                     # add accumulators the engine must carry.
                     tuple(id(v) for m in self._all_compiled_metrics() for v in m.variables))
        if engine is None or engine._signature != signature:
            engine = Engine(self)
            engine._signature = signature
            self._engine = engine
        return engine

    @property
    def _engine_loop_running(self):
        """Whether fit or a stand-alone evaluate is running: the engine's state, not the
        variables, then holds the model's current values."""
        return self._fitting or self._evaluating

    def _sync_variables_from_engine(self):
        """Called when a callback reads `self.model` mid-loop: make the variables current."""
        engine = self._engine
        if self._engine_loop_running and engine is not None and engine.state is not None:
            engine.push()
            self._engine_dirty = True

    def _refresh_engine_state(self, engine):
        if self._engine_dirty:
            engine.pull()
            self._engine_dirty = False

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train the model for a fixed number of epochs (as `keras.Model.fit`)."""
        self._assert_compiled("fit")
        steps_per_epoch = _check_steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = _check_steps(validation_steps, "validation_steps")
        if validation_split and not 0.0 < validation_split < 1.0:
            raise ValueError(
                f"`validation_split` must be a float strictly between 0 and 1, got "
                f"{validation_split!r}.")
        if shuffle not in (True, False, "batch"):
            raise ValueError(f"`shuffle` must be True, False or 'batch', got {shuffle!r}.")
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot pass both `class_weight` and `sample_weight`.")
        source = make_source(x, keep_batches=steps_per_epoch is None)
        if source is not None:
            _check_no_targets_with_source(source, y, sample_weight, class_weight, validation_split)
            return self._fit_from_source(
                source, epochs, verbose, callbacks, validation_data, shuffle, initial_epoch,
                steps_per_epoch, validation_steps, validation_batch_size, validation_freq,
                class_weight)
        if class_weight is not None:
            sample_weight = _class_weight_to_sample_weight(y, class_weight,
                                                           self._compiled_output_names())
        data = ArrayData(x, y, sample_weight)
        val_data = None
        if validation_data is not None:
            val_data = _validation_feed(validation_data)
        elif validation_split:
            data, val_data = data.split(validation_split)
        if batch_size is None and steps_per_epoch is not None:
            batch_size = math.ceil(data.num_samples / steps_per_epoch)
        batch_size = _check_batch_size(batch_size)
        val_batch_size = _check_batch_size(validation_batch_size or batch_size)
        if self.optimizer is not None and not self.optimizer.built:
            # Keras peeks at one shuffled batch to build the model before its first epoch,
            # which consumes one draw of NumPy's global generator. Drawing the same keeps the
            # data order, and so the numbers, identical to Keras under `np.random.seed`.
            if shuffle is True:
                np.random.permutation(data.num_samples)
            elif shuffle == "batch":
                np.random.permutation(min(batch_size, data.num_samples))
        self._prepare(data, batch_size)
        self._get_engine()  # builds the optimizer's variables before the data go to the device

        stream = BatchStream(data.num_samples, batch_size, shuffle, steps_per_epoch)
        device_data = data.on_device()

        def run_epoch(engine, callbacks, per_batch, chunk, skip=0):
            rows = stream.next_epoch()
            return self._run_steps(engine, "train", device_data, rows[skip:], chunk, callbacks,
                                   per_batch, first_step=skip)

        return self._fit_loop(run_epoch, stream.steps, epochs, verbose, callbacks, val_data,
                              val_batch_size, initial_epoch, validation_steps, validation_freq,
                              stream=stream)

    def _fit_from_source(self, source, epochs, verbose, callbacks, validation_data, shuffle,
                         initial_epoch, steps_per_epoch, validation_steps, validation_batch_size,
                         validation_freq, class_weight=None):
        try:
            _check_batches_are_tuples(source, "`fit()`")
            getattr(source, "start_workers", lambda: None)()
            first = source.first_batch()
            if class_weight is not None:
                # Checks the model has one output and the batches carry targets.
                first = first[:2] + (_class_weight_to_sample_weight(
                    first[1], class_weight, self._compiled_output_names()),)
            self._prepare_from_batch(first)
            stream = SourceStream(source, shuffle, steps_per_epoch)
            val_data = _validation_feed(validation_data) if validation_data is not None else None

            def run_epoch(engine, callbacks, per_batch, chunk, skip=0):
                batches = itertools.islice(stream.next_epoch(), skip, None)
                if class_weight is not None:
                    batches = with_class_weights(batches, class_weight, _describe(source))
                logs = self._run_source_steps(engine, "train", batches, chunk, callbacks,
                                              per_batch, getattr(source, "interrupt", None),
                                              first_step=skip)
                source.on_epoch_end()
                return logs

            return self._fit_loop(run_epoch, stream.steps, epochs, verbose, callbacks, val_data,
                                  _check_batch_size(validation_batch_size), initial_epoch,
                                  validation_steps, validation_freq, stream=stream)
        finally:
            source.close()

    def _fit_loop(self, run_epoch, num_steps, epochs, verbose, callbacks, val_data,
                  val_batch_size, initial_epoch, validation_steps, validation_freq,
                  stream=None):
        engine = self._get_engine()
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                 model=self, verbose=verbose, epochs=epochs, steps=num_steps)
        per_batch = callbacks.needs_batch_logs("train")
        chunk = 1 if per_batch else min(FUSED_STEPS, num_steps or FUSED_STEPS)

        self.stop_training = False
        self._fitting = True
        engine.pull()
        epoch_logs = {}
        try:
            callbacks.on_train_begin()
            self._refresh_engine_state(engine)
            # A callback (BackupAndRestore) may resume training from a later epoch.
            if getattr(self, "_initial_epoch", None) is not None:
                initial_epoch = self._initial_epoch
                self._initial_epoch = None
            skip, resumed_metrics = self._take_resume_position(stream)
            for epoch in range(initial_epoch, epochs):
                engine.reset_metrics_state()
                if skip and resumed_metrics is not None:
                    engine.set_metrics_state(resumed_metrics)
                # Read by BackupAndRestore: a mid-epoch backup resumes from this epoch's start.
                self._epoch_start_position = capture_position(stream)
                self._data_stream = stream
                callbacks.on_epoch_begin(epoch)
                self._refresh_engine_state(engine)
                logs = run_epoch(engine, callbacks, per_batch, chunk, skip)
                if logs is None:
                    # A resumed epoch whose every batch had run before the interruption.
                    logs = engine.logs(engine.state[3])
                skip = 0
                epoch_logs = _to_floats(logs)
                if val_data is not None and _should_validate(epoch, validation_freq):
                    val_logs = self._evaluate_feed(engine, val_data, val_batch_size, callbacks,
                                                   validation_steps)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    epoch_logs = dict(sorted(epoch_logs.items()))
                callbacks.on_epoch_end(epoch, epoch_logs)
                self._refresh_engine_state(engine)
                if self.stop_training:
                    break
            engine.push()
            if self.optimizer is not None and self.optimizer.use_ema:
                self.optimizer.finalize_variable_values(self.trainable_variables)
                engine.pull()
            callbacks.on_train_end(epoch_logs)
        finally:
            self._refresh_engine_state(engine)
            engine.push()
            self._fitting = False
            # A validation source keeps its workers from one validation pass to the next.
            if val_data is not None and not isinstance(val_data, ArrayData):
                val_data.close()
        return self.history

    def _take_resume_position(self, stream):
        """Where a `BackupAndRestore` backup says to resume: put the data order back and return
        (batches of the first epoch already run, that epoch's metric accumulators)."""
        position = getattr(self, "_resume_position", None)
        self._resume_position = None
        if position is None:
            return 0, None
        restore_position(position, stream)
        return position["steps_done"], position.get("metric_values")

    def _current_position(self):
        """The data position now, between epochs (BackupAndRestore's epoch-end backups)."""
        return capture_position(getattr(self, "_data_stream", None))

    def _prepare_from_batch(self, batch):
        x_first, y_first, _ = batch
        self._ensure_built(x_first)
        if self.compiled:
            self._build_compile_state(x_first, y_first)

    def _evaluate_feed(self, engine, feed, batch_size, callbacks, max_steps):
        """Evaluate on arrays or on a batch source, inside fit or evaluate."""
        if isinstance(feed, ArrayData):
            if feed._device is None:
                feed._device = feed.on_device()
            return self._run_evaluation(engine, feed._device, feed.num_samples, batch_size,
                                        callbacks, max_steps=max_steps)
        _check_batches_are_tuples(feed, "`evaluate()` or as `validation_data`")
        per_batch = callbacks.needs_batch_logs("test")
        num_steps = feed.num_batches if max_steps is None else (
            min(max_steps, feed.num_batches) if feed.num_batches else max_steps)
        chunk = 1 if per_batch else min(FUSED_STEPS, num_steps or FUSED_STEPS)
        engine.reset_metrics_state()
        callbacks.on_test_begin()
        self._refresh_engine_state(engine)
        batches = feed.epoch(False)
        if max_steps is not None:
            batches = itertools.islice(batches, max_steps)
        logs = self._run_source_steps(engine, "test", batches, chunk, callbacks, per_batch,
                                      getattr(feed, "interrupt", None))
        feed.on_epoch_end()
        results = _to_floats(logs)
        callbacks.on_test_end(results)
        return results

    def _run_source_steps(self, engine, kind, batches, chunk, callbacks, per_batch,
                          interrupt=None, first_step=0):
        """Run host batches through the fused compiled step, stacked `chunk` at a time on a
        background thread; returns the last logs (device values). `interrupt` stops a source
        that waits on its workers when the loop ends early (an error, Ctrl-C, stop_training).
        `first_step` numbers the batches of an epoch resumed part-way (BackupAndRestore); such
        an epoch may have no batch left, and then returns None."""
        train = kind == "train"
        begin = callbacks.on_train_batch_begin if train else callbacks.on_test_batch_begin
        end = callbacks.on_train_batch_end if train else callbacks.on_test_batch_end
        feeder = ChunkFeeder(batches, chunk, engine.exact_padding, interrupt)
        logs = None
        step = first_step
        try:
            for stacked, masks, count in feeder:
                fn = engine.fused_host(kind, chunk)
                if per_batch:
                    begin(step)
                    if train:
                        self._refresh_engine_state(engine)
                engine.state, logs = fn(engine.state, stacked, masks, jnp.int32(count))
                step += count
                end(step - 1, _to_floats(logs) if per_batch else logs)
                if train:
                    self._refresh_engine_state(engine)
                    if self.stop_training:
                        break
        finally:
            feeder.close()
        if logs is None and not first_step:
            raise ValueError(
                "The data source yielded no batches for this epoch. Check the generator or the "
                "PyDataset's length, and `steps_per_epoch`.")
        return logs

    def _prepare(self, data, batch_size):
        x_first, y_first, _ = data.first_batch(min(batch_size, data.num_samples))
        self._ensure_built(x_first)
        if self.compiled:
            self._build_compile_state(x_first, y_first)
            if data.sample_weight is not None:
                self._check_sample_weights(data)

    def _check_sample_weights(self, data):
        names = self._compile_loss.output_names
        targets = flatten_outputs(data.y, names, "`y`") if data.y is not None else \
            [None] * len(names)
        weights = _flatten_sample_weights(data.sample_weight, names)
        for name, target, weight in zip(names, targets, weights):
            if weight is None or target is None:
                continue
            sw_shape, y_shape = tuple(weight.shape), tuple(target.shape)
            fits = sw_shape == y_shape[:len(sw_shape)] or (
                len(sw_shape) == 2 and sw_shape[1] == 1 and sw_shape[0] == y_shape[0])
            if not fits:
                raise ValueError(
                    f"`sample_weight` for output {name!r} has shape {sw_shape}, which does not "
                    f"match its targets of shape {y_shape}. Pass one weight per sample, shape "
                    f"({y_shape[0]},), or per timestep, a prefix of the target shape.")

    def _run_steps(self, engine, kind, device_data, rows, chunk, callbacks, per_batch,
                   first_step=0):
        """Run the batches `rows` (host rows of sample indices, -1 for padding) through the
        fused compiled step `chunk` at a time; returns the last logs (device values).

        A padded last batch runs in the same compiled shape as the others when padding is
        exact (built-in metrics, no batch-dependent `add_loss`); otherwise it runs unpadded in
        its own compiled call, so custom metrics and losses see only real samples."""
        train = kind == "train"
        begin = callbacks.on_train_batch_begin if train else callbacks.on_test_batch_begin
        end = callbacks.on_train_batch_end if train else callbacks.on_test_batch_end
        total = len(rows)
        remainder = None
        if total and not engine.exact_padding and (rows[-1] < 0).any():
            remainder = rows[-1][rows[-1] >= 0][None, :]
            rows = rows[:-1]
        logs = None
        calls = []
        if len(rows):
            matrix = jnp.asarray(pad_to_chunks(rows, chunk))
            fn = engine.fused(kind, chunk)
            calls = [(fn, matrix, start, len(rows), min(start + chunk, len(rows)) - 1)
                     for start in range(0, len(rows), chunk)]
        if remainder is not None:
            calls.append((engine.fused(kind, 1), jnp.asarray(remainder), 0, 1, total - 1))
        for fn, matrix, start, steps, last in calls:
            first = last if matrix.shape[0] == 1 and steps == 1 else start
            first, last = first + first_step, last + first_step
            if per_batch:
                begin(first)
                if train:
                    self._refresh_engine_state(engine)
            engine.state, logs = fn(engine.state, device_data, matrix, jnp.int32(start),
                                    jnp.int32(steps))
            end(last, _to_floats(logs) if per_batch else logs)
            if train:
                self._refresh_engine_state(engine)
                if self.stop_training:
                    break
        return logs

    def _run_evaluation(self, engine, device_data, num_samples, batch_size, callbacks,
                        max_steps=None):
        num_steps = math.ceil(num_samples / batch_size)
        if max_steps is not None:
            num_steps = min(num_steps, max_steps)
        per_batch = callbacks.needs_batch_logs("test")
        chunk = 1 if per_batch else min(FUSED_STEPS, num_steps)
        engine.reset_metrics_state()
        callbacks.on_test_begin()
        self._refresh_engine_state(engine)
        rows = epoch_index_matrix(num_samples, batch_size, False, num_steps)
        logs = self._run_steps(engine, "test", device_data, rows, chunk, callbacks, per_batch)
        results = _to_floats(logs)
        callbacks.on_test_end(results)
        return results

    # -- evaluate ------------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Loss and metric values of the model on the given data (as `keras.Model.evaluate`)."""
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        self._assert_compiled("evaluate")
        steps = _check_steps(steps, "steps")
        batch_size = _check_batch_size(batch_size)
        source = make_source(x, keep_batches=False)
        if source is not None:
            _check_no_targets_with_source(source, y, sample_weight, None, None)
            feed = source
            self._prepare_from_batch(source.first_batch())
            num_steps = source.num_batches
            if steps is not None:
                num_steps = min(num_steps, steps) if num_steps else steps
        else:
            feed = ArrayData(x, y, sample_weight)
            self._prepare(feed, batch_size)
            num_steps = math.ceil(feed.num_samples / batch_size)
            if steps is not None:
                num_steps = min(num_steps, steps)
        engine = self._get_engine()
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=num_steps)
        engine.pull()
        self._evaluating = True
        try:
            results = self._evaluate_feed(engine, feed, batch_size, callbacks, steps)
        finally:
            self._evaluating = False
            engine.push()
            if source is not None:
                source.close()
        if return_dict:
            return results
        return self._ordered_results(results)

    def _ordered_results(self, results):
        # Keras's order: the loss; compiled metrics whose log key is their own name (single
        # output), in compile order; the per-output losses; then every other key, sorted.
        keys = ["loss"] if "loss" in results else []
        if self._compile_metrics is not None:
            keys += [key for _, metric, _, key in self._compile_metrics.entries
                     if key == metric.name and key in results and key not in keys]
        if self._compile_loss is not None:
            keys += [t.name for t in self._compile_loss.trackers if t.name in results]
        keys += sorted(k for k in results if k not in keys)
        values = [results[k] for k in keys]
        return values[0] if len(values) == 1 else values

    # -- predict -------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for the input samples, as NumPy arrays (as `keras.Model.predict`)."""
        steps = _check_steps(steps, "steps")
        batch_size = _check_batch_size(batch_size)
        source = make_source(x, keep_batches=False)
        if source is not None:
            try:
                return self._predict_from_source(source, verbose, steps, callbacks)
            finally:
                source.close()
        data = ArrayData(x)
        if not self.built:
            self._ensure_built(data.first_batch(min(batch_size, data.num_samples))[0])
        num_steps = math.ceil(data.num_samples / batch_size)
        if steps is not None:
            num_steps = min(num_steps, steps)
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=num_steps)
        per_batch = callbacks.needs_batch_logs("predict")
        if data.num_samples <= batch_size and not per_batch and not self._fitting and \
                self._jit_call_allowed((data.x,), {}):
            return self._predict_single_batch(data, batch_size, callbacks)
        engine = self._get_engine()
        chunk = 1 if per_batch else min(FUSED_STEPS, num_steps)
        predict_fn = engine.fused_predict(chunk)
        if engine.state is None or not self._fitting:
            engine.pull()
        x_device = jax.device_put(data.x)
        rows = epoch_index_matrix(data.num_samples, batch_size, False, num_steps)
        steps = len(rows)
        matrix = jnp.asarray(pad_to_chunks(rows, chunk))
        callbacks.on_predict_begin()
        pieces = []
        for start in range(0, steps, chunk):
            if per_batch:
                callbacks.on_predict_batch_begin(start)
            out = predict_fn(engine.state, x_device, matrix, jnp.int32(start))
            pieces.append(out)
            end = min(start + chunk, steps) - 1
            if per_batch:
                batch_out = jax.tree_util.tree_map(lambda a: np.asarray(a[0]), out)
                callbacks.on_predict_batch_end(end, {"outputs": batch_out})
            else:
                callbacks.on_predict_batch_end(end, None)
        n = min(data.num_samples, steps * batch_size)

        def assemble(*chunks):
            stacked = np.concatenate([np.asarray(c).reshape((-1,) + c.shape[2:]) for c in chunks])
            return stacked[:n]

        outputs = jax.tree_util.tree_map(assemble, *pieces)
        callbacks.on_predict_end()
        if isinstance(outputs, list) and len(outputs) == 1:
            outputs = outputs[0]
        return outputs

    # -- single batches ------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            sample_weight = _class_weight_to_sample_weight(y, class_weight,
                                                           self._compiled_output_names())
        return self._single_batch("train", x, y, sample_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        return self._single_batch("test", x, y, sample_weight, return_dict)

    def _predict_from_source(self, source, verbose, steps, callbacks):
        getattr(source, "start_workers", lambda: None)()
        self._ensure_built(source.first_batch()[0])
        engine = self._get_engine()
        num_steps = source.num_batches
        if steps is not None:
            num_steps = min(num_steps, steps) if num_steps else steps
        callbacks = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=1, steps=num_steps)
        per_batch = callbacks.needs_batch_logs("predict")
        chunk = 1 if per_batch else min(FUSED_STEPS, num_steps or FUSED_STEPS)
        predict_fn = engine.fused_host_predict(chunk)
        engine.pull()
        batches = source.epoch(False)
        if steps is not None:
            batches = itertools.islice(batches, steps)
        # Predictions never mix samples, so short batches are always padded and trimmed.
        feeder = ChunkFeeder(((b[0], None, None) for b in batches), chunk, True,
                             getattr(source, "interrupt", None))
        callbacks.on_predict_begin()
        pieces, step = [], 0
        try:
            for (x_stacked, _, _), masks, count in feeder:
                if per_batch:
                    callbacks.on_predict_batch_begin(step)
                out = predict_fn(engine.state, x_stacked)
                pieces.append((out, masks, count))
                step += count
                callbacks.on_predict_batch_end(step - 1, None)
        finally:
            feeder.close()
        if not pieces:
            raise ValueError("The data source yielded no batches to predict on.")

        def assemble(*chunks):
            parts = []
            for chunk_out, (_, masks, count) in zip(chunks, pieces):
                chunk_out, masks = np.asarray(chunk_out), np.asarray(masks)
                for i in range(count):
                    parts.append(chunk_out[i][masks[i] > 0])
            return np.concatenate(parts)

        outputs = jax.tree_util.tree_map(assemble, *[p[0] for p in pieces])
        callbacks.on_predict_end()
        if isinstance(outputs, list) and len(outputs) == 1:
            outputs = outputs[0]
        return outputs

    def _predict_single_batch(self, data, batch_size, callbacks):
        """Few samples: pad them to `batch_size` on the host and run the model's cached compiled
        forward, so every small predict shares one compiled shape and costs no scan."""
        n = data.num_samples

        def pad(a):
            a = np.asarray(a)
            if n == batch_size:
                return a
            return np.concatenate([a, np.zeros((batch_size - n,) + a.shape[1:], a.dtype)])

        callbacks.on_predict_begin()
        outputs = self._compiled_call(jax.tree_util.tree_map(pad, data.x), False)
        outputs = jax.tree_util.tree_map(lambda a: np.asarray(a)[:n], outputs)
        callbacks.on_predict_batch_end(0, {"outputs": outputs})
        callbacks.on_predict_end()
        if isinstance(outputs, list) and len(outputs) == 1:
            outputs = outputs[0]
        return outputs

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=ArrayData(x).num_samples, verbose=0)

    def _single_batch(self, kind, x, y, sample_weight, return_dict):
        data = ArrayData(x, y, sample_weight)
        self._prepare(data, data.num_samples)
        engine = self._get_engine()
        fn = engine.fused(kind, 1)
        engine.pull()
        engine.reset_metrics_state()
        matrix = epoch_index_matrix(data.num_samples, data.num_samples, False)
        try:
            engine.state, logs = fn(engine.state, data.on_device(), jnp.asarray(matrix),
                                    jnp.int32(0), jnp.int32(1))
        finally:
            engine.push()
        results = _to_floats(logs)
        return results if return_dict else self._ordered_results(results)


class _CompileMetricsView:
    """Stands for the compiled metrics in `model.metrics`, named `compile_metrics` as in Keras."""

    name = "compile_metrics"

    def __init__(self, model):
        self._model = model

    @property
    def metrics(self):
        """The compiled metric objects (callbacks look up a metric's direction here)."""
        return self._model._compile_metrics.metrics

    def result(self):
        return self._model._compile_metrics.results()


def _to_floats(logs):
    if logs is None:
        return {}
    host = jax.device_get(logs)
    return dict(sorted((k, float(np.asarray(v).mean()) if np.ndim(v) else float(v))
                       for k, v in host.items()))


def _check_steps(steps, name):
    if steps is None:
        return None
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"`{name}` must be a positive integer or None, got {steps!r}.")
    return int(steps)


def _check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` must be >= 1, got {validation_freq}.")
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return (epoch + 1) in validation_freq
    raise ValueError(
        f"`validation_freq` must be an int or a list of epochs, got {validation_freq!r}.")


def _validation_feed(validation_data):
    source = make_source(validation_data)
    if source is not None:
        return source
    return ArrayData(*_unpack_validation(validation_data))


def _check_no_targets_with_source(source, y, sample_weight, class_weight, validation_split):
    # "the tf.data.Dataset", "the PyDataset MyData", ...: what the user passed, not a class
    # private to its library.
    kind = _describe(source)
    kind = kind[:1].lower() + kind[1:]
    if y is not None:
        raise ValueError(
            f"`y` argument is not supported when `x` is {kind}: the batches it yields "
            "must carry the targets, as (x, y) or (x, y, sample_weight).")
    if sample_weight is not None:
        raise ValueError(
            f"`sample_weight` argument is not supported when `x` is {kind}; yield "
            "(x, y, sample_weight) batches instead.")
    if class_weight is not None and not isinstance(class_weight, dict):
        raise ValueError(
            f"`class_weight` must be a dict mapping class indices to weights, got a "
            f"{type(class_weight).__name__}.")
    if validation_split:
        raise ValueError(
            "`validation_split` is only supported for NumPy/JAX array inputs; pass "
            "`validation_data` instead.")


def _unpack_validation(validation_data):
    if isinstance(validation_data, (list, tuple)):
        if len(validation_data) == 2:
            return validation_data[0], validation_data[1], None
        if len(validation_data) == 3:
            return tuple(validation_data)
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight), "
            f"got a {type(validation_data).__name__} of length {len(validation_data)}.")
    raise ValueError(
        f"`validation_data` of type {type(validation_data).__name__} is not supported yet; pass a "
        "tuple (x_val, y_val) of arrays.")


def _class_weight_to_sample_weight(y, class_weight, output_names):
    if len(output_names) > 1 or isinstance(y, (dict, list, tuple)) and not hasattr(y, "shape"):
        raise ValueError(
            "`class_weight` is only supported for models with a single output. Use "
            "`sample_weight` for multi-output models.")
    if y is None:
        raise ValueError("`class_weight` needs targets `y`.")
    return class_weight_to_sample_weight(y, class_weight)


def _check_batches_are_tuples(source, what):
    """Keras's rule for generators in fit and evaluate: batches are tuples, so a dict or an
    array alone is not silently taken for inputs without targets."""
    if getattr(source, "yields_tuples", True):
        return
    raise ValueError(
        f"The generator passed to {what} must yield tuples (x, y) or (x, y, "
        f"sample_weight) (or (x,) for inputs alone); its first batch is a "
        f"{source.first_type}. A dict is always the inputs `x`: yield (x_dict, y) to pass "
        "targets with it.")


def _describe(source):
    return getattr(source, "description", "The data source")
