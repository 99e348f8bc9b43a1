"""`Trainer`: the `compile` / `fit` / `evaluate` / `predict` half of `Model`."""

import logging
import math

import jax
import numpy as np

from jeras import optimizers as optimizers_module
from jeras.backend.state_scope import StateScope
from jeras.callbacks.callback_list import CallbackList
from jeras.data.array_data import ArrayData
from jeras.data.batch_sources import make_source
from jeras.data.position import capture_position, restore_position
from jeras.layers.layer import Layer, baked_constants_version
from jeras.losses import functions as loss_functions
from jeras.metrics.reduction_metrics import Mean
from jeras.trainer import arguments
from jeras.trainer.compile_utils import CompileLoss, CompileMetrics, flatten_outputs
from jeras.trainer.engine import Engine, StepSpec, flatten_sample_weights
from jeras.trainer.feeds import ArrayFeed, SourceFeed, make_feed, num_steps, power_of_two
from jeras.trainer.model_steps import ModelStepFunctions, ModelSteps, flatten_logs
from jeras.trainer.state_sync import StateSync
from jeras.trainer.step_loop import (
    ExecutionPlan,
    choose_plan,
    run_predictions,
    run_steps,
    to_floats,
)
from jeras.utils import config_switches

_log = logging.getLogger("jeras.trainer")


class Trainer(ModelSteps):
    """The training half of `Model`: `compile`, `fit`, `evaluate`, `predict` and the
    `*_on_batch` methods, with Keras 3's arguments and results.

    The model's values live in its variables between loops and in the compiled engine's state
    during them; `self._state_sync` (`trainer/state_sync.py`) is the one owner of that.
    """

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self._engine = None
        self._state_sync = StateSync()
        self._eager_forward_cache = {}
        self._eager_jit_ok = True
        self.stop_training = False
        self.history = None
        self.run_eagerly = False
        self.steps_per_execution = 1
        self.execution_plan = None

    # -- compile -------------------------------------------------------------------------------
    def compile(
        self,
        optimizer="rmsprop",
        loss=None,
        loss_weights=None,
        metrics=None,
        weighted_metrics=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configure the model for training (as `keras.Model.compile`).

        Args:
            optimizer: an optimizer, its name, or an optax `GradientTransformation`.
            loss: a loss (object, function or name), or a list / dict of them per output.
            loss_weights: a float, list or dict weighting each output's loss.
            metrics: metrics (objects, functions or names), a list or a dict per output.
            weighted_metrics: metrics weighted by `sample_weight` / `class_weight`.
            run_eagerly: run the steps op by op, for debugging.
            steps_per_execution: batches run by one compiled call. With N > 1, batch hooks
                of callbacks run once per call, as in Keras. With 1 (the default), jeras
                chooses how many steps to fuse per call for this model and device (see
                `model.execution_plan` after `fit`), while every callback still sees each
                batch as if it were its own call.
            auto_scale_loss: under the "mixed_float16" policy, wrap the optimizer in a
                `LossScaleOptimizer` (default True), as Keras.
            jit_compile: accepted for compatibility; steps are always compiled with XLA
                unless `run_eagerly`.
        """
        self.optimizer = optimizers_module.get(optimizer)
        if (
            auto_scale_loss
            and self.optimizer is not None
            and self.dtype_policy.name == "mixed_float16"
            and not isinstance(self.optimizer, optimizers_module.LossScaleOptimizer)
        ):
            # As Keras: float16 gradients need loss scaling, so compile adds it.
            self.optimizer = optimizers_module.LossScaleOptimizer(
                self.optimizer, name="loss_scale_optimizer"
            )
        if loss is not None or self._compile_loss is None:
            self._loss_spec = loss
        if loss_weights is not None and not isinstance(
            loss_weights, (int, float, list, tuple, dict)
        ):
            raise ValueError(
                "`loss_weights` must be a float, a list/tuple or a dict, got "
                f"{type(loss_weights).__name__}."
            )
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(
                f"Expected `metrics` argument to be a list, tuple, or dict. Received instead: "
                f"metrics={metrics!r} of type {type(metrics).__name__}"
            )
        if weighted_metrics is not None and not isinstance(weighted_metrics, (list, tuple, dict)):
            raise ValueError(
                "Expected `weighted_metrics` argument to be a list, tuple, or dict. Received "
                f"instead: weighted_metrics={weighted_metrics!r}"
            )
        self._loss_weights_spec = loss_weights
        if metrics is not None or weighted_metrics is not None or not self.compiled:
            self._metrics_spec = metrics
            self._weighted_metrics_spec = weighted_metrics
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = Mean(name="loss")
        self.run_eagerly = bool(run_eagerly)
        self.steps_per_execution = arguments.check_steps_per_execution(steps_per_execution)
        self.jit_compile = jit_compile
        self._engine = None
        self.stop_training = False
        self.compiled = True
        self._compile_config = {
            "optimizer": optimizer,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }

    def _assert_compiled(self, what):
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before using the model in `{what}()`.")

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
        if (
            self._loss_spec is None
            and not self._metrics_spec
            and not self._weighted_metrics_spec
            and self._own_steps()[0]
        ):
            # Nothing compiled depends on the outputs (a GAN's `compile(d_optimizer=...)`):
            # as Keras, the model is not called, so it needs no `call` of its own.
            self._has_batch_losses = False
            y_pred = [None] * len(names)
        else:
            y_pred = self._abstract_outputs(x)
        if len(names) != len(jax.tree_util.tree_leaves(y_pred, is_leaf=lambda v: v is None)):
            names = (
                [f"output_{i}" for i in range(len(jax.tree_util.tree_leaves(y_pred)))]
                if not isinstance(y_pred, dict)
                else list(y_pred.keys())
            )
        flat_pred = flatten_outputs(y_pred, names, "The model's output")
        self._output_shapes = [None if p is None else tuple(p.shape) for p in flat_pred]
        flat_true = flatten_outputs(y, names, "`y`") if y is not None else [None] * len(names)
        self._compile_loss = CompileLoss(self._loss_spec, self._loss_weights_spec, names)
        self._compile_loss.build(flat_true, flat_pred)
        self._compile_metrics = CompileMetrics(
            self._metrics_spec, self._weighted_metrics_spec, names
        )
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
                model._has_batch_losses = any(layer._losses for layer in model._flatten_layers())
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
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        # As Keras: every metric of `self.metrics` (an override's own included).
        seen = set()
        for metric in self._all_compiled_metrics() + list(self.metrics):
            if id(metric) not in seen:
                seen.add(id(metric))
                metric.reset_state()

    # -- the engine ----------------------------------------------------------------------------
    # -- host-side preprocessing (text layers) ------------------------------------------------
    def _host_stage(self):
        """The host-run front of the model (`jeras.models.host_stage`), or None."""
        return None

    def _host_inputs(self, x):
        """`x` as the compiled model takes it: through the host stage when the model has one;
        otherwise text is refused here with a clear error (JAX arrays hold numbers only)."""
        stage = self._host_stage()
        if stage is not None:
            return stage.run(x)
        _refuse_text(self, x)
        return x

    def _host_source(self, source):
        stage = self._host_stage()
        if stage is not None:
            return stage.wrap_source(source)
        _refuse_text(self, source.first_batch()[0])
        return source

    def _ensure_built(self, x_sample):
        if not self.built and type(self).call is Layer.call and any(self._own_steps()):
            # A model trained only through its own steps (a GAN of two sub-models) is built
            # when its layers are; it has no forward pass to build it with.
            unbuilt = [layer.name for layer in self._flatten_layers() if not layer.built]
            if unbuilt[1:]:
                raise ValueError(
                    f"Model {self.name!r} has no `call()` and its layers {unbuilt[1:]} are not "
                    "built. Build them (call them on data, or `layer.build(shape)`) before "
                    "`fit()`, `evaluate()` or `predict()`."
                )
            self.built = True
            return
        if not self.built:
            Layer.__call__(self, x_sample, training=False)
            self._clear_losses()

    def _get_engine(self):
        """The engine for the model as it is now: a new one when its variables, optimizer or
        compiled metrics changed since the last."""
        optimizer = self.optimizer
        if optimizer is not None and not optimizer.built and self.compiled:
            optimizer.build(self.trainable_variables)
        # A new learning-rate object (a schedule replacing a float) or new optimizer variables
        # mean a different compiled step.
        signature = (
            tuple(id(v) for v in self.trainable_variables),
            tuple(id(v) for v in self.variables),
            id(optimizer),
            id(getattr(optimizer, "_learning_rate", None)),
            tuple(id(v) for v in optimizer.variables)
            if optimizer is not None and optimizer.built
            else None,
            tuple(id(v) for o in self._state_optimizers()[1:] for v in o.variables),
            # Metrics built after an engine was made (predict before the first fit)
            # add accumulators the engine must carry.
            tuple(id(v) for m in self._all_compiled_metrics() for v in m.variables),
            # The loss and metrics are made on the first `fit` / `evaluate` (they need the
            # targets' structure): an engine made before, by `predict`, has none.
            id(self._compile_loss),
            id(self._compile_metrics),
            # A vocabulary adapted again since the programs were traced.
            baked_constants_version(),
        )
        engine = self._engine
        if engine is None or self._engine_signature != signature:
            if engine is not None:
                # Its programs serve variables the model no longer has: free them now.
                engine.programs.clear()
            engine = Engine(self._step_spec())
            self._engine, self._engine_signature = engine, signature
        self._state_sync.use(engine.spec)
        return engine

    def _step_spec(self):
        """What the engine compiles, stated explicitly (the engine reads nothing else)."""
        trainable = tuple(self.trainable_variables)
        trainable_ids = {id(v) for v in trainable}
        optimizer = self.optimizer
        own_train, own_test, own_predict = self._own_steps()
        # A model's own train step implies Keras's test step too (both read `self.metrics`).
        own_test = own_test or own_train
        model_steps = None
        metrics = tuple(self._all_compiled_metrics())
        metric_results = self._current_metric_results
        if own_train or own_test or own_predict:
            model_steps = ModelStepFunctions(self, own_train, own_test, own_predict)
        if own_train or own_test:
            metrics = tuple(self.metrics)

            def metric_results():
                return flatten_logs(self.get_metrics_result())

        model = self

        def take_losses():
            losses = model.losses
            model._clear_losses()
            return losses

        return StepSpec(
            call=lambda x, training: model(x, training=training),
            take_losses=take_losses,
            output_names=tuple(self._compiled_output_names()),
            compile_loss=self._compile_loss,
            loss_tracker=self._loss_tracker,
            compile_metrics=self._compile_metrics,
            metrics=metrics,
            metric_results=metric_results,
            optimizer=optimizer,
            trainable_variables=trainable,
            non_trainable_variables=tuple(v for v in self.variables if id(v) not in trainable_ids),
            optimizer_variables=tuple(v for o in self._state_optimizers() for v in o.variables),
            metrics_variables=tuple(v for m in metrics for v in m.variables),
            # A model's own step cannot be told which rows are padding: it runs unpadded.
            exact_padding=not (own_train or own_test) and self._padding_is_exact(metrics),
            run_eagerly=self.run_eagerly,
            model_steps=model_steps,
        )

    def _padding_is_exact(self, metrics):
        # Exact when every compiled metric and loss states `exact_under_padding` (see `Metric`
        # and `Loss`), no `add_loss` term is computed from the batch, and no layer computes
        # statistics over the batch's rows in training (BatchNormalization).
        compiled_losses = (
            [loss for _, loss, _ in self._compile_loss.entries]
            if self._compile_loss is not None
            else []
        )
        return (
            not getattr(self, "_has_batch_losses", False)
            and not any(layer.mixes_samples_in_training for layer in self._flatten_layers())
            and self._rows_independent()
            and all(getattr(m, "exact_under_padding", False) for m in metrics)
            and all(getattr(loss, "exact_under_padding", False) for loss in compiled_losses)
        )

    def _rows_independent(self):
        """Whether every layer promises that a batch row's output depends on that row alone
        (`Layer.rows_independent`): padding a short batch is then invisible in the results."""
        return all(layer.rows_independent for layer in self._flatten_layers())

    def _plan(self, mode, callbacks, num_steps):
        """How this loop runs its steps (`trainer/step_loop.py`); `fit`'s is kept in
        `model.execution_plan`, and every one is logged (logger "jeras.trainer", debug)."""
        layers = self._flatten_layers() if hasattr(self, "_flatten_layers") else []
        plan = choose_plan(
            self.steps_per_execution,
            callbacks.batch_needs(mode),
            layers,
            jax.default_backend(),
            num_steps,
        )
        spec = self._state_sync.spec
        if mode != "predict" and spec is not None and not spec.exact_padding:
            if spec.model_steps is not None:
                plan = plan._replace(
                    reason=f"{plan.reason}; the model's own train_step/test_step is never told "
                    "which rows are padding, so batches run unpadded (a short last batch gets "
                    "a compiled call of its own)"
                )
        _log.debug("%s: %d step(s) per compiled call (%s).", mode, plan.steps_per_call, plan.reason)
        if mode == "train":
            self.execution_plan = plan
        return plan

    def _reset_metric_state(self):
        values = []
        for metric in self._state_sync.spec.metrics:
            values.extend(metric.stateless_reset_state())
        self._state_sync.set_metrics(values)

    def _engine_logs(self, engine):
        return engine.logs(self._state_sync.state.metrics)

    # -- fit -----------------------------------------------------------------------------------
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train the model for a fixed number of epochs (as `keras.Model.fit`)."""
        self._assert_compiled("fit")
        steps_per_epoch = arguments.check_steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = arguments.check_steps(validation_steps, "validation_steps")
        arguments.check_fit_arguments(validation_split, shuffle, class_weight, sample_weight)
        epochs, initial_epoch = arguments.check_epochs(epochs, initial_epoch)
        # `keras.config.set_max_epochs` / `set_max_steps_per_epoch`: caps for debugging runs.
        epochs = config_switches.limit_epochs(epochs)
        steps_per_epoch = config_switches.limit_steps(steps_per_epoch)
        validation_steps = config_switches.limit_steps(validation_steps)
        feed, val_feed = self._training_feeds(
            x,
            y,
            batch_size,
            validation_split,
            validation_data,
            shuffle,
            class_weight,
            sample_weight,
            steps_per_epoch,
            validation_batch_size,
        )
        try:
            engine = self._get_engine()
            callbacks = CallbackList(
                callbacks,
                add_history=True,
                add_progbar=verbose != 0,
                model=self,
                verbose=verbose,
                epochs=epochs,
                steps=feed.steps,
            )
            plan = self._plan("train", callbacks, feed.steps)
            sync = self._state_sync
            self.stop_training = False
            epoch_logs = {}
            with sync.running("fit", engine.spec):
                callbacks.on_train_begin()
                # A callback (BackupAndRestore) may resume training from a later epoch.
                if getattr(self, "_initial_epoch", None) is not None:
                    initial_epoch, self._initial_epoch = self._initial_epoch, None
                skip, resumed_metrics = self._take_resume_position(feed.stream)
                for epoch in range(initial_epoch, epochs):
                    self._reset_metric_state()
                    if skip and resumed_metrics is not None:
                        self._set_resumed_metric_state(resumed_metrics)
                    # Read by BackupAndRestore: a mid-epoch backup resumes from this epoch's
                    # start.
                    self._epoch_start_position = capture_position(feed.stream)
                    self._data_stream = feed.stream
                    callbacks.on_epoch_begin(epoch)
                    logs = run_steps(
                        self,
                        engine,
                        "train",
                        feed,
                        feed.epoch(plan.steps_per_call, skip, plan.delivery == "execution"),
                        callbacks,
                        plan,
                    )
                    if logs is None:
                        if not skip:
                            raise ValueError(
                                "The data source yielded no batches for this epoch. Check the "
                                "generator or the PyDataset's length, and `steps_per_epoch`."
                            )
                        # A resumed epoch whose every batch had run before the interruption.
                        logs = self._engine_logs(engine)
                    skip = 0
                    epoch_logs = to_floats(logs)
                    if val_feed is not None and arguments.should_validate(epoch, validation_freq):
                        val_logs = self._evaluate_feed(
                            engine, val_feed, callbacks, validation_steps
                        )
                        epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                        epoch_logs = dict(sorted(epoch_logs.items()))
                    callbacks.on_epoch_end(epoch, epoch_logs)
                    if self.stop_training:
                        break
                if self.optimizer is not None and self.optimizer.use_ema:
                    sync.variables_current()
                    self.optimizer.finalize_variable_values(self.trainable_variables)
                    sync.variables_written()
                callbacks.on_train_end(epoch_logs)
        finally:
            feed.close()
            if val_feed is not None:
                # A validation source keeps its workers from one validation pass to the next.
                val_feed.close()
        return self.history

    def _training_feeds(
        self,
        x,
        y,
        batch_size,
        validation_split,
        validation_data,
        shuffle,
        class_weight,
        sample_weight,
        steps_per_epoch,
        validation_batch_size,
    ):
        """The feed of `fit`'s training data and that of its validation data (or None), with
        the model built and compiled for them."""
        source = make_source(x, keep_batches=steps_per_epoch is None)
        if source is not None:
            source = self._host_source(source)
        else:
            x = self._host_inputs(x)
        val_batch_size = validation_batch_size
        if source is not None:
            arguments.check_no_targets_with_source(
                source, y, sample_weight, class_weight, validation_split
            )
            try:
                arguments.check_batches_are_tuples(source, "`fit()`")
                getattr(source, "start_workers", lambda: None)()
                first = source.first_batch()
                if class_weight is not None:
                    # Checks the model has one output and the batches carry targets.
                    first = first[:2] + (
                        arguments.class_weight_as_sample_weight(
                            first[1], class_weight, self._compiled_output_names()
                        ),
                    )
                self._prepare_from_batch(first)
                val_feed = self._validation_feed(
                    validation_data, arguments.check_batch_size(val_batch_size)
                )
            except BaseException:
                source.close()
                raise
            exact = self._get_engine().spec.exact_padding
            return SourceFeed(source, shuffle, steps_per_epoch, exact, class_weight), val_feed
        if class_weight is not None:
            sample_weight = arguments.class_weight_as_sample_weight(
                y, class_weight, self._compiled_output_names()
            )
        data = ArrayData(x, y, sample_weight)
        arguments.check_has_samples(data, "fit")
        val_data = None
        if validation_data is None and validation_split:
            data, val_data = data.split(validation_split)
        if batch_size is None and steps_per_epoch is not None:
            batch_size = math.ceil(data.num_samples / steps_per_epoch)
        batch_size = arguments.check_batch_size(batch_size)
        val_batch_size = arguments.check_batch_size(val_batch_size or batch_size)
        keras_peeks = (
            not self.built
            or self._loss_spec is not None
            or self._metrics_spec is not None
            or self._weighted_metrics_spec is not None
        )
        if self.optimizer is not None and not self.optimizer.built and keras_peeks:
            # Keras peeks at one shuffled batch to build the model before its first epoch
            # (unless the model is built and nothing was compiled that needs outputs), which
            # consumes one draw of NumPy's global generator. Drawing the same keeps the
            # data order, and so the numbers, identical to Keras under `np.random.seed`.
            if shuffle is True:
                np.random.permutation(data.num_samples)
            elif shuffle == "batch":
                np.random.permutation(min(batch_size, data.num_samples))
        self._prepare(data, batch_size)
        # Builds the optimizer's variables before the data go to the device.
        exact = self._get_engine().spec.exact_padding
        feed = ArrayFeed(data, batch_size, shuffle, steps_per_epoch, exact)
        if val_data is not None:
            val_feed = ArrayFeed(val_data, val_batch_size, exact_padding=exact)
        else:
            val_feed = self._validation_feed(validation_data, val_batch_size)
        return feed, val_feed

    def _validation_feed(self, validation_data, batch_size):
        if validation_data is None:
            return None
        source = make_source(validation_data)
        exact = self._get_engine().spec.exact_padding if self.built else True
        if source is not None:
            arguments.check_batches_are_tuples(source, "`evaluate()` or as `validation_data`")
            source = self._host_source(source)
            data = None
        else:
            x_val, *rest = arguments.unpack_validation(validation_data)
            data = ArrayData(self._host_inputs(x_val), *rest)
        return make_feed(data, batch_size, source, exact)

    def _take_resume_position(self, stream):
        """Where a `BackupAndRestore` backup says to resume: put the data order back and return
        (batches of the first epoch already run, that epoch's metric accumulators)."""
        position = getattr(self, "_resume_position", None)
        self._resume_position = None
        if position is None:
            return 0, None
        restore_position(position, stream)
        return position["steps_done"], position.get("metric_values")

    def _set_resumed_metric_state(self, values):
        """Metric accumulators saved mid-epoch (a resumed backup); shapes must match the
        compiled metrics'."""
        current = self._state_sync.state.metrics
        if len(values) != len(current) or any(
            np.shape(v) != tuple(c.shape) for v, c in zip(values, current)
        ):
            raise ValueError(
                "The backed-up metric state does not fit this model's compiled metrics; was the "
                "backup written by a model compiled with other metrics?"
            )
        self._state_sync.set_metrics(
            [jax.numpy.asarray(v, dtype=c.dtype) for v, c in zip(values, current)]
        )

    def _current_position(self):
        """The data position now, between epochs (BackupAndRestore's epoch-end backups)."""
        return capture_position(getattr(self, "_data_stream", None))

    def _prepare_from_batch(self, batch):
        x_first, y_first, _ = batch
        self._ensure_built(x_first)
        if self.compiled:
            self._build_compile_state(x_first, y_first)

    def _prepare(self, data, batch_size):
        x_first, y_first, _ = data.first_batch(min(batch_size, data.num_samples))
        self._ensure_built(x_first)
        if self.compiled:
            self._build_compile_state(x_first, y_first)
            arguments.check_sparse_labels(
                data,
                self._compile_loss,
                self._output_shapes,
                loss_functions.sparse_categorical_crossentropy,
            )
            if data.sample_weight is not None:
                arguments.check_sample_weights(
                    data, self._compile_loss.output_names, flatten_sample_weights
                )

    def _evaluate_feed(self, engine, feed, callbacks, max_steps):
        """One evaluation pass over `feed`, inside `fit` (validation) or `evaluate`."""
        plan = self._plan("test", callbacks, num_steps(feed, max_steps))
        self._reset_metric_state()
        callbacks.on_test_begin()
        logs = run_steps(
            self,
            engine,
            "test",
            feed,
            feed.evaluation(plan.steps_per_call, max_steps, plan.delivery == "execution"),
            callbacks,
            plan,
        )
        if logs is None:
            raise ValueError(
                "The data source yielded no batches for this epoch. Check the generator or the "
                "PyDataset's length, and `steps_per_epoch`."
            )
        results = to_floats(logs)
        callbacks.on_test_end(results)
        return results

    # -- evaluate ------------------------------------------------------------------------------
    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        steps=None,
        callbacks=None,
        return_dict=False,
        **kwargs,
    ):
        """Loss and metric values of the model on the given data (as `keras.Model.evaluate`)."""
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        self._assert_compiled("evaluate")
        steps = config_switches.limit_steps(arguments.check_steps(steps, "steps"))
        batch_size = arguments.check_batch_size(batch_size)
        source = make_source(x, keep_batches=False)
        try:
            if source is not None:
                arguments.check_no_targets_with_source(source, y, sample_weight, None, None)
                arguments.check_batches_are_tuples(source, "`evaluate()` or as `validation_data`")
                source = self._host_source(source)
                self._prepare_from_batch(source.first_batch())
                data = None
            else:
                data = ArrayData(self._host_inputs(x), y, sample_weight)
                arguments.check_has_samples(data, "evaluate")
                self._prepare(data, batch_size)
            engine = self._get_engine()
            feed = make_feed(
                data, batch_size=batch_size, source=source, exact_padding=engine.spec.exact_padding
            )
            callbacks = CallbackList(
                callbacks,
                add_progbar=verbose != 0,
                model=self,
                verbose=verbose,
                epochs=1,
                steps=num_steps(feed, steps),
            )
            with self._state_sync.running("evaluate", engine.spec):
                results = self._evaluate_feed(engine, feed, callbacks, steps)
        finally:
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
            keys += [
                key
                for _, metric, _, key in self._compile_metrics.entries
                if key == metric.name and key in results and key not in keys
            ]
        if self._compile_loss is not None:
            keys += [t.name for t in self._compile_loss.trackers if t.name in results]
        keys += sorted(k for k in results if k not in keys)
        values = [results[k] for k in keys]
        return values[0] if len(values) == 1 else values

    # -- predict -------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for the input samples, as NumPy arrays (as `keras.Model.predict`)."""
        steps = config_switches.limit_steps(arguments.check_steps(steps, "steps"))
        batch_size = arguments.check_batch_size(batch_size)
        source = make_source(x, keep_batches=False)
        try:
            if source is not None:
                getattr(source, "start_workers", lambda: None)()
                source = self._host_source(source)
                self._ensure_built(source.first_batch()[0])
                data = None
            else:
                x = self._host_inputs(x)
                data = ArrayData(x)
                if not self.built:
                    self._ensure_built(data.first_batch(min(batch_size, data.num_samples))[0])
            rows_independent = self._rows_independent()
            feed = make_feed(
                data, batch_size=batch_size, source=source, exact_padding=rows_independent
            )
            total = num_steps(feed, steps)
            callbacks = CallbackList(
                callbacks,
                add_progbar=verbose != 0,
                model=self,
                verbose=verbose,
                epochs=1,
                steps=total,
            )
            small = data is not None and data.num_samples <= batch_size
            if (
                small
                and callbacks.batch_needs("predict") == "nothing"
                and not self._state_sync.loop_running
                and self._jit_call_allowed((data.x,), {})
                and not self._own_steps()[2]
            ):
                return self._predict_single_batch(data, batch_size, callbacks, rows_independent)
            engine = self._get_engine()
            plan = self._plan("predict", callbacks, total)
            with self._state_sync.running("predict", engine.spec):
                if isinstance(feed, ArrayFeed) and plan.delivery == "nothing":
                    # No callback sees single batches: shapes padded to a few sizes.
                    steps_per_call = power_of_two(plan.steps_per_call)
                    calls, assemble = feed.predictions(steps_per_call, steps, bucketed=True)
                else:
                    calls, assemble = feed.predictions(plan.steps_per_call, steps)
                callbacks.on_predict_begin()
                try:
                    outputs = run_predictions(self, engine, feed, calls, assemble, callbacks, plan)
                except ValueError:
                    # The compiled call saw padded batches: name the user's shapes instead.
                    if data is not None:
                        self._check_inputs_fit(data.x)
                    raise
            if outputs is None:
                raise ValueError("The data source yielded no batches to predict on.")
            callbacks.on_predict_end()
        finally:
            if source is not None:
                source.close()
        if isinstance(outputs, list) and len(outputs) == 1:
            outputs = outputs[0]
        return outputs

    def _check_inputs_fit(self, x):
        """Raise the model's own error for inputs `x` (as the user passed them) if they do
        not fit it; abstract, so nothing runs."""
        model = self

        def forward(inputs):
            with StateScope():
                outputs = model(inputs, training=False)
            model._clear_losses()
            return outputs

        try:
            jax.eval_shape(forward, x)
        except ValueError as error:
            raise error from None

    def _predict_single_batch(self, data, batch_size, callbacks, pad=True):
        """Few samples: pad them on the host to the next power of two (at most `batch_size`)
        and run the model's cached compiled forward, so small predicts share a few compiled
        shapes, cost no scan, and compute at most twice the rows asked for."""
        n = data.num_samples
        # Not padded when a layer may mix the batch's rows (`Layer.rows_independent`).
        rows = min(batch_size, 1 << max(n - 1, 0).bit_length()) if pad else n

        def pad(a):
            a = np.asarray(a)
            if n == rows:
                return a
            return np.concatenate([a, np.zeros((rows - n,) + a.shape[1:], a.dtype)])

        callbacks.on_predict_begin()
        try:
            outputs = self._compiled_call(jax.tree_util.tree_map(pad, data.x), False)
        except ValueError:
            self._check_inputs_fit(data.x)  # the same error, with the unpadded shapes
            raise
        outputs = jax.tree_util.tree_map(lambda a: np.asarray(a)[:n], outputs)
        callbacks.on_predict_batch_end(0, {"outputs": outputs})
        callbacks.on_predict_end()
        if isinstance(outputs, list) and len(outputs) == 1:
            outputs = outputs[0]
        return outputs

    # -- single batches ------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            sample_weight = arguments.class_weight_as_sample_weight(
                y, class_weight, self._compiled_output_names()
            )
        return self._single_batch("train", x, y, sample_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._assert_compiled("test_on_batch")
        return self._single_batch("test", x, y, sample_weight, return_dict)

    def predict_on_batch(self, x):
        x = self._host_inputs(x)
        return self.predict(x, batch_size=ArrayData(x).num_samples, verbose=0)

    def _single_batch(self, kind, x, y, sample_weight, return_dict):
        data = ArrayData(self._host_inputs(x), y, sample_weight)
        self._prepare(data, data.num_samples)
        engine = self._get_engine()
        feed = ArrayFeed(data, data.num_samples)
        plan = ExecutionPlan(1, "nothing", "one batch")
        with self._state_sync.running("fit" if kind == "train" else "evaluate", engine.spec):
            self._reset_metric_state()
            logs = run_steps(self, engine, kind, feed, feed.evaluation(1), CallbackList(), plan)
        results = to_floats(logs)
        return results if return_dict else self._ordered_results(results)


def _refuse_text(model, x):
    """A clear error for text given to a model whose first layers compute on the device."""
    if isinstance(x, str):
        return  # not data at all: the argument checks name `x` and its type
    for leaf in jax.tree_util.tree_leaves(x):
        dtype = getattr(leaf, "dtype", None)
        if isinstance(leaf, str) or (dtype is not None and _is_text_dtype(dtype)):
            raise TypeError(
                f"Model {model.name!r} received strings (dtype {dtype}) as input, but its first "
                "layers compute on the device, where arrays hold numbers only. Put a text layer "
                "(StringLookup, TextVectorization, Hashing) directly on that input "
                '(`keras.Input(shape=(1,), dtype="string")`), or turn the strings into numbers in '
                "the data pipeline (`dataset.map(vectorize_layer)`)."
            )


def _is_text_dtype(dtype):
    """Whether a NumPy, JAX or TensorFlow dtype holds text."""
    if getattr(dtype, "name", None) == "string":
        return True
    try:
        return np.dtype(dtype).kind in "USO"
    except TypeError:
        return False
