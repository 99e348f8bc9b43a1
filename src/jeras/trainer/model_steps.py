"""Keras's overridable steps on the JAX backend: `train_step(state, data)`, `test_step`,
`predict_step` and the stateless pieces they are made of (`compute_loss_and_updates`,
`stateless_compute_loss`, `compute_loss`, `compute_metrics`, `get_metrics_result`).

A model that overrides any of them trains through them: the engine (`trainer/engine.py`)
compiles the model's own `train_step` exactly where it would compile its built-in step (fused
in one `lax.scan`, state donated). A model that overrides none runs the engine's built-in step,
which computes the same numbers and also knows about padded rows.

The state a step receives and returns is Keras's: for training
`(trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)`, for
evaluation `(trainable_variables, non_trainable_variables, metrics_variables)`, for prediction
`(trainable_variables, non_trainable_variables)`; each a list of values aligned with
`model.trainable_variables`, `model.non_trainable_variables`, `model.optimizer.variables` and
`model.metrics_variables`.
"""

import inspect

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.dtypes import is_float_dtype
from jeras.backend.state_scope import StatelessScope
from jeras.data.batch_format import pack_x_y_sample_weight, unpack_x_y_sample_weight
from jeras.trainer.compile_utils import flatten_outputs
from jeras.trainer.engine import flatten_sample_weights
from jeras.trainer.state_sync import TrainingState

# The methods whose override makes `fit` run the model's steps instead of the built-in one.
TRAIN_STEP_METHODS = (
    "train_step",
    "compute_loss_and_updates",
    "stateless_compute_loss",
    "compute_loss",
    "compute_metrics",
    "get_metrics_result",
)
TEST_STEP_METHODS = ("test_step",) + TRAIN_STEP_METHODS[1:]
PREDICT_STEP_METHODS = ("predict_step",)
# The signature Keras calls on the JAX backend, per step.
STEP_ARGUMENTS = {"train_step": 2, "test_step": 2, "predict_step": 2}


class ModelSteps:
    """The step methods of `Model`, as Keras 3 defines them on the JAX backend."""

    # -- what the steps read -------------------------------------------------------------------
    @property
    def metrics(self):
        """The metrics a step updates, in Keras's order: the loss tracker, the compiled metrics
        (one entry, `compile_metrics`), the per-output loss trackers, then the metric attributes
        of the model and of its layers. Override it to list your own (see `train_step`)."""
        out = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None and self._compile_metrics.entries:
                out.append(CompiledMetrics(self))
            if self._compile_loss is not None and getattr(self._compile_loss, "built", False):
                out.extend(self._compile_loss.trackers)
        out.extend(self.__dict__.get("_metrics", ()))
        for layer in self._flatten_layers(include_self=False):
            if isinstance(layer, ModelSteps):
                continue  # a sub-model's compiled metrics belong to its own training
            out.extend(layer.__dict__.get("_metrics", ()))
        return out

    @property
    def metrics_variables(self):
        return [v for metric in self.metrics for v in metric.variables]

    # -- losses --------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss: the compiled loss of `y` and `y_pred` plus every `add_loss` term and
        weight penalty of the last call. Override it to compute your own.

        Args:
            x: the inputs (unused by the default).
            y: the targets.
            y_pred: the model's outputs for `x`.
            sample_weight: per-sample weights of the compiled loss.
            training: whether the loss is computed for a training step.
        """
        del x, training
        losses = []
        compiled = self._compiled_loss_value(y, y_pred, sample_weight)
        if compiled is not None:
            losses.append(compiled)
        override = self.__dict__.get("_losses_override")
        for loss in override if override is not None else self.losses:
            loss = jnp.asarray(loss)
            if not is_float_dtype(loss.dtype):
                loss = loss.astype("float32")
            losses.append(jnp.sum(loss))
        if not losses:
            return jnp.zeros(())
        return losses[0] if len(losses) == 1 else sum(losses[1:], losses[0])

    def _compiled_loss_value(self, y, y_pred, sample_weight):
        compiled = self._compile_loss
        if compiled is None or not getattr(compiled, "built", False) or not compiled.entries:
            return None
        names = compiled.output_names
        flat_pred = flatten_outputs(y_pred, names, "`y_pred`")
        flat_true = flatten_outputs(y, names, "`y`") if y is not None else [None] * len(names)
        total, per_output = compiled(
            flat_true, flat_pred, flatten_sample_weights(sample_weight, names), None
        )
        if compiled.trackers:
            batch_size = _batch_size(y_pred)
            for tracker, value in zip(compiled.trackers, per_output):
                tracker.update_state(value, sample_weight=batch_size)
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        # Overrides written before Keras added `training` are still called as they were.
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def stateless_compute_loss(
        self,
        trainable_variables,
        non_trainable_variables,
        metrics_variables,
        x=None,
        y=None,
        y_pred=None,
        sample_weight=None,
        training=True,
    ):
        """`compute_loss` as a pure function of the given values: returns
        `(loss, (trainable_variables, non_trainable_variables, metrics_variables))`."""
        groups = (
            ("trainable_variables", self.trainable_variables, trainable_variables),
            ("non_trainable_variables", self.non_trainable_variables, non_trainable_variables),
            ("metrics_variables", self.metrics_variables, metrics_variables),
        )
        with StatelessScope(_state_mapping("stateless_compute_loss", groups)) as scope:
            loss = self._compute_loss(x, y, y_pred, sample_weight, training)
        return loss, (
            trainable_variables,
            scope.values_of(self.non_trainable_variables),
            scope.values_of(self.metrics_variables),
        )

    def compute_loss_and_updates(
        self,
        trainable_variables,
        non_trainable_variables,
        metrics_variables,
        x,
        y,
        sample_weight,
        training=False,
        optimizer_variables=None,
    ):
        """The forward pass and loss as a pure function (the one `train_step` differentiates):
        returns `(scaled_loss, (loss, y_pred, non_trainable_variables, metrics_variables))`."""
        y_pred, non_trainable_variables, losses = self.stateless_call(
            trainable_variables, non_trainable_variables, x, return_losses=True, training=training
        )
        self.__dict__["_losses_override"] = losses
        try:
            loss, (_, non_trainable_variables, metrics_variables) = self.stateless_compute_loss(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x=x,
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
                training=training,
            )
        finally:
            self.__dict__["_losses_override"] = None
        unscaled_loss = loss
        if training and self.optimizer is not None and optimizer_variables is not None:
            mapping = list(zip(self.optimizer.variables, optimizer_variables))
            with StatelessScope(mapping):
                loss = self.optimizer.scale_loss(loss)
        return loss, (unscaled_loss, y_pred, non_trainable_variables, metrics_variables)

    # -- metrics -------------------------------------------------------------------------------
    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with a batch and return `get_metrics_result()`."""
        del x
        if self._compile_metrics is not None and self._compile_metrics.entries:
            CompiledMetrics(self).update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """`{name: result}` of every metric in `self.metrics` (dict results merged in)."""
        results = {}
        for metric in self.metrics:
            value = metric.result()
            if isinstance(value, dict):
                results.update(value)
            else:
                results[metric.name] = _array(value)
        return results

    def _update_metrics_variables(self, metrics_variables, loss, x, y, y_pred, sample_weight):
        variables = self.metrics_variables
        groups = (("metrics_variables", variables, metrics_variables),)
        with StatelessScope(_state_mapping("train_step", groups)) as scope:
            if self._loss_tracker is not None:
                self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
            logs = self.compute_metrics(x, y, y_pred, sample_weight)
        return logs, scope.values_of(variables)

    # -- the steps -----------------------------------------------------------------------------
    def train_step(self, state, data):
        """One training step as a pure function, as Keras on JAX: `state` is
        `(trainable_variables, non_trainable_variables, optimizer_variables,
        metrics_variables)` (lists of values) and `data` the batch (`x`, `(x, y)` or
        `(x, y, sample_weight)`); returns `(logs, state)` with the new values.

        Override it to train your own way; `fit` compiles it once and runs it like its own step.
        """
        trainable, non_trainable, optimizer_values, metrics_values = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (_, aux), grads = grad_fn(
            trainable,
            non_trainable,
            metrics_values,
            x,
            y,
            sample_weight,
            training=True,
            optimizer_variables=optimizer_values,
        )
        loss, y_pred, non_trainable, metrics_values = aux
        trainable, optimizer_values = self.optimizer.stateless_apply(
            optimizer_values, grads, trainable
        )
        logs, metrics_values = self._update_metrics_variables(
            metrics_values, loss, x, y, y_pred, sample_weight
        )
        return logs, (trainable, non_trainable, optimizer_values, metrics_values)

    def test_step(self, state, data):
        """One evaluation step as a pure function: `state` is `(trainable_variables,
        non_trainable_variables, metrics_variables)`; returns `(logs, state)`."""
        trainable, non_trainable, metrics_values = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        _, aux = self.compute_loss_and_updates(
            trainable, non_trainable, metrics_values, x, y, sample_weight, training=False
        )
        loss, y_pred, non_trainable, metrics_values = aux
        logs, metrics_values = self._update_metrics_variables(
            metrics_values, loss, x, y, y_pred, sample_weight
        )
        return logs, (trainable, non_trainable, metrics_values)

    def predict_step(self, state, data):
        """One prediction step as a pure function: `state` is `(trainable_variables,
        non_trainable_variables)`; returns `(outputs, non_trainable_variables)`."""
        trainable, non_trainable = state
        x, _, _ = unpack_x_y_sample_weight(data)
        return self.stateless_call(trainable, non_trainable, x, training=False)

    def _state_optimizers(self):
        """The optimizers whose variables make up the state's `optimizer_variables`, in order:
        `self.optimizer` (as Keras), then every other optimizer the model holds as an
        attribute (a GAN's `d_optimizer` and `g_optimizer`), each built on its own variables
        before training (`optimizer.build(sub_model.trainable_variables)` in `compile`)."""
        found = [self.optimizer] if self.optimizer is not None else []
        for name, value in self.__dict__.items():
            if not getattr(type(value), "is_keras_optimizer", False) or name == "optimizer":
                continue
            if any(value is o for o in found):
                continue
            if not value.built:
                raise ValueError(
                    f"Model {self.name!r} holds the optimizer `{name}`, which is not built. Its "
                    "variables are part of the training state, so build it on the variables it "
                    f"updates before fit(), e.g. `self.{name}.build("
                    "self.discriminator.trainable_variables)` in `compile()`."
                )
            found.append(value)
        return found

    # -- the state as a tree ------------------------------------------------------------------
    def get_state_tree(self, value_format="backend_tensor"):
        """The model's state as nested dicts keyed by the parts of each variable's path, under
        "trainable_variables", "non_trainable_variables", "optimizer_variables" and
        "metrics_variables".

        Args:
            value_format: "backend_tensor" (JAX arrays) or "numpy_array".
        """
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(
                f"`value_format` must be 'backend_tensor' or 'numpy_array', got {value_format!r}."
            )
        self._state_sync.variables_current()
        convert = (lambda v: v.value) if value_format == "backend_tensor" else _numpy_value
        tree = {}
        for group, variables in self._state_tree_groups():
            nested = {}
            for variable in variables:
                *parents, leaf = variable.path.split("/")
                node = nested
                for part in parents:
                    node = node.setdefault(part, {})
                node[leaf] = convert(variable)
            tree[group] = nested
        return tree

    def set_state_tree(self, state_tree):
        """Assign the values of a tree as `get_state_tree` returns it (any subset of groups)."""
        groups = dict(self._state_tree_groups())
        for group, nested in state_tree.items():
            if group not in groups:
                raise ValueError(
                    f"set_state_tree: unknown group {group!r}; expected some of {list(groups)}."
                )
            by_path = {v.path: v for v in groups[group]}
            for path, value in _paths_and_values(nested):
                if path not in by_path:
                    raise ValueError(
                        f"set_state_tree: {group} has no variable at path {path!r}. Known "
                        f"paths: {sorted(by_path)[:8]}{' ...' if len(by_path) > 8 else ''}."
                    )
                by_path[path].assign(value)
        self._state_sync.variables_written()

    def _state_tree_groups(self):
        optimizers = self._state_optimizers() if self.compiled else []
        return (
            ("trainable_variables", self.trainable_variables),
            ("non_trainable_variables", self.non_trainable_variables),
            ("optimizer_variables", [v for o in optimizers for v in o.variables]),
            ("metrics_variables", self.metrics_variables),
        )

    # -- which steps are the model's own ------------------------------------------------------
    def _own_steps(self):
        """`(train, test, predict)`: for each, whether the model overrides a method of that
        step (then `fit` / `evaluate` / `predict` run the model's step methods)."""
        cls = type(self)

        def overridden(names):
            return any(getattr(cls, name) is not getattr(ModelSteps, name) for name in names)

        metrics_overridden = cls.metrics is not ModelSteps.metrics
        for name in STEP_ARGUMENTS:
            if getattr(cls, name) is not getattr(ModelSteps, name):
                _check_step_signature(cls, name)
        return (
            overridden(TRAIN_STEP_METHODS) or metrics_overridden,
            overridden(TEST_STEP_METHODS) or metrics_overridden,
            overridden(PREDICT_STEP_METHODS),
        )


class CompiledMetrics:
    """The metrics passed to `compile()`, as one entry of `model.metrics` named
    `compile_metrics` (as Keras): `update_state(y, y_pred, sample_weight)` updates each with
    its output, `result()` is the dict of their results by log name."""

    name = "compile_metrics"

    def __init__(self, model):
        self._model = model

    @property
    def metrics(self):
        """The compiled metric objects (callbacks look up a metric's direction here)."""
        return self._model._compile_metrics.metrics

    @property
    def variables(self):
        return [v for metric in self.metrics for v in metric.variables]

    def update_state(self, y, y_pred, sample_weight=None):
        compiled = self._model._compile_metrics
        names = compiled.output_names
        flat_pred = flatten_outputs(y_pred, names, "`y_pred`")
        flat_true = flatten_outputs(y, names, "`y`") if y is not None else [None] * len(names)
        compiled.update(flat_true, flat_pred, flatten_sample_weights(sample_weight, names), None)

    def result(self):
        return self._model._compile_metrics.results()

    def reset_state(self):
        for metric in self.metrics:
            metric.reset_state()

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        with StatelessScope(self._pairs(metric_variables)) as scope:
            self.update_state(*args, **kwargs)
        return scope.values_of(self.variables)

    def stateless_result(self, metric_variables):
        with StatelessScope(self._pairs(metric_variables)):
            return self.result()

    def stateless_reset_state(self):
        with StatelessScope() as scope:
            self.reset_state()
        return scope.values_of(self.variables)

    def _pairs(self, values):
        groups = (("metric_variables", self.variables, values),)
        return _state_mapping("compile_metrics", groups)


def _state_mapping(where, groups):
    pairs = []
    for what, variables, values in groups:
        values = list(values)
        if len(values) != len(variables):
            raise ValueError(
                f"`{where}`: `{what}` holds {len(values)} values, but {len(variables)} are "
                f"expected, one per variable in `model.{what}`: "
                f"{[v.path for v in variables][:8]}{' ...' if len(variables) > 8 else ''}."
            )
        pairs.extend(zip(variables, values))
    return pairs


def _check_step_signature(cls, name):
    function = getattr(cls, name)
    try:
        parameters = list(inspect.signature(function).parameters.values())[1:]
    except (TypeError, ValueError):
        return
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    variadic = any(p.kind is p.VAR_POSITIONAL for p in parameters)
    if len(positional) != STEP_ARGUMENTS[name] and not variadic:
        given = ", ".join(["self"] + [p.name for p in parameters])
        raise TypeError(
            f"{cls.__name__}.{name}({given}): on the JAX backend Keras calls "
            f"`{name}(self, state, data)`, a pure function of the state that returns "
            f"`(logs, state)` (`(outputs, non_trainable_variables)` for predict_step). "
            "A `train_step(self, data)` written for TensorFlow or PyTorch must be rewritten "
            "with the stateless API (see the guide 'Customizing what happens in fit() with "
            "JAX')."
        )


def _batch_size(x):
    for leaf in jax.tree_util.tree_leaves(x):
        if jnp.ndim(leaf):
            return jnp.shape(leaf)[0]
    return 1


def _array(value):
    # A user's `result()` may return a Variable itself.
    return value.value if hasattr(value, "assign") and hasattr(value, "value") else value


class ModelStepFunctions:
    """The model's own steps as the engine runs them: `train`, `test`, `predict` are the bound
    methods where the model overrides that step (else None), and `run_*` call them with Keras's
    state and batch, check what they return and hand the engine its `TrainingState`.

    A model's step is never told which rows are padding, so the engine runs it on batches
    without padded rows (a short last batch gets a compiled call of its own); predictions are
    padded and the padded rows' outputs dropped, since a prediction never mixes rows.
    """

    def __init__(self, model, train, test, predict):
        self.model = model
        self.train = model.train_step if train else None
        self.test = model.test_step if test else None
        self.predict = model.predict_step if predict else None

    def run_train(self, state, x, y, sample_weight):
        data = pack_x_y_sample_weight(x, y, sample_weight)
        given = (
            list(state.trainable),
            list(state.non_trainable),
            list(state.optimizer),
            list(state.metrics),
        )
        result = self.train(given, data)
        logs, returned = _logs_and_state("train_step", result, TRAIN_STATE)
        checked = _checked_state("train_step", returned, given, TRAIN_STATE, self.model)
        return TrainingState(*checked), logs

    def run_test(self, state, x, y, sample_weight):
        data = pack_x_y_sample_weight(x, y, sample_weight)
        given = (list(state.trainable), list(state.non_trainable), list(state.metrics))
        result = self.test(given, data)
        logs, returned = _logs_and_state("test_step", result, TEST_STATE)
        trainable, non_trainable, metrics = _checked_state(
            "test_step", returned, given, TEST_STATE, self.model
        )
        return TrainingState(trainable, non_trainable, list(state.optimizer), metrics), logs

    def run_predict(self, trainable, non_trainable, x):
        given = (list(trainable), list(non_trainable))
        result = self.predict(given, x)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError(
                "predict_step must return `(outputs, non_trainable_variables)` on the JAX "
                f"backend (as Keras's does), but returned {_describe(result)}."
            )
        outputs, returned = result
        (checked,) = _checked_state(
            "predict_step",
            (returned,),
            (given[1],),
            ("non_trainable_variables",),
            self.model,
        )
        return outputs, checked


TRAIN_STATE = (
    "trainable_variables",
    "non_trainable_variables",
    "optimizer_variables",
    "metrics_variables",
)
TEST_STATE = ("trainable_variables", "non_trainable_variables", "metrics_variables")


def _logs_and_state(where, result, names):
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ValueError(
            f"{where} must return `(logs, state)`: a dict of metric values and the tuple "
            f"({', '.join(names)}); it returned {_describe(result)}."
        )
    logs, state = result
    if isinstance(state, dict) and isinstance(logs, (tuple, list)):
        raise ValueError(
            f"{where} returned `(state, logs)`; Keras's order is `(logs, state)`: swap them."
        )
    if not isinstance(logs, dict):
        raise ValueError(
            f"{where} must return `(logs, state)` with `logs` a dict of metric values (e.g. "
            f"`{{'loss': loss}}`); its logs are {_describe(logs)}."
        )
    return flatten_logs(logs), state


def _checked_state(where, state, given, names, model):
    """`state` as lists of arrays with the shapes and dtypes of `given`, or an error naming
    the element and what was expected."""
    if not isinstance(state, (tuple, list)) or len(state) != len(names):
        raise ValueError(
            f"{where} must return its state as a tuple of {len(names)} lists "
            f"({', '.join(names)}); it returned {_describe(state)}."
        )
    out = []
    for name, values, expected in zip(names, state, given):
        variables = _variables_of(model, name)
        if not isinstance(values, (tuple, list)):
            raise ValueError(
                f"{where}: the `{name}` element of the returned state must be a list of "
                f"{len(expected)} values; it is {_describe(values)}."
            )
        if len(values) != len(expected):
            raise ValueError(
                f"{where}: the returned `{name}` holds {len(values)} values, but "
                f"{len(expected)} are expected, one per variable in `model.{name}`"
                f"{_paths(variables)}. Return the whole list, updated or not."
            )
        checked = []
        for index, (value, reference) in enumerate(zip(values, expected)):
            value = getattr(value, "value", value) if hasattr(value, "assign") else value
            if value is None or jnp.shape(value) != jnp.shape(reference):
                path = variables[index].path if index < len(variables) else f"#{index}"
                raise ValueError(
                    f"{where}: element {index} of the returned `{name}` (for {path!r}) is "
                    f"{_describe(value)}; expected an array of shape {jnp.shape(reference)}."
                )
            checked.append(jnp.asarray(value).astype(jnp.result_type(reference)))
        out.append(checked)
    return out


def flatten_logs(logs):
    """Nested dicts of logs merged into one (as Keras's callbacks see them)."""
    out = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            out.update(flatten_logs(value))
        else:
            out[key] = _array(value)
    return out


def _variables_of(model, name):
    if name == "optimizer_variables":
        return [v for optimizer in model._state_optimizers() for v in optimizer.variables]
    return list(getattr(model, name))


def _paths(variables):
    if not variables:
        return ""
    paths = [v.path for v in variables]
    return f": {paths[:6]}{' ...' if len(paths) > 6 else ''}"


def _describe(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} elements"
    if hasattr(value, "shape"):
        return f"an array of shape {tuple(value.shape)}"
    return f"{type(value).__name__} {value!r}"[:120]


def _numpy_value(variable):
    return np.array(variable.value)


def _paths_and_values(nested, prefix=()):
    for key, value in nested.items():
        if isinstance(value, dict):
            yield from _paths_and_values(value, prefix + (key,))
        else:
            yield "/".join(prefix + (key,)), value
