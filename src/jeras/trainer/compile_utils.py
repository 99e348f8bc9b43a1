"""Compile state: which loss and which metrics go to which model output, and the log keys they
produce (named exactly as Keras names them)."""

import jax
import jax.numpy as jnp

from jeras import losses as losses_module
from jeras import metrics as metrics_module
from jeras.losses.loss import Loss, LossFunctionWrapper
from jeras.metrics.metric import Metric
from jeras.metrics.reduction_metrics import Mean, MeanMetricWrapper


def flatten_outputs(values, output_names, what):
    """A model's outputs (or targets) as a list aligned with `output_names`."""
    if isinstance(values, dict):
        unknown = [k for k in values if k not in output_names]
        if unknown:
            raise ValueError(
                f"{what} has key(s) {unknown} that are not outputs of the model. The model's "
                f"outputs are: {output_names}."
            )
        return [values.get(name) for name in output_names]
    if isinstance(values, (list, tuple)):
        if len(output_names) == 1 and len(values) != 1:
            return [values]
        if len(values) != len(output_names):
            raise ValueError(
                f"{what} is a list of {len(values)} element(s), but the model has "
                f"{len(output_names)} output(s): {output_names}."
            )
        return list(values)
    if len(output_names) != 1:
        raise ValueError(
            f"{what} is a single value, but the model has {len(output_names)} outputs: "
            f"{output_names}. Pass a list or a dict keyed by output name."
        )
    return [values]


def _resolve_loss(identifier, y_true, y_pred):
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        identifier = _crossentropy_for(y_true, y_pred)
    name = identifier if isinstance(identifier, str) else None
    loss = losses_module.get(identifier)
    if isinstance(loss, Loss):
        return loss
    if callable(loss):
        return LossFunctionWrapper(loss, name=name or getattr(loss, "__name__", None))
    raise ValueError(f"Could not interpret loss: {identifier!r}")


def _crossentropy_for(y_true, y_pred):
    if y_pred.shape[-1] == 1:
        return "binary_crossentropy"
    if len(y_true.shape) < len(y_pred.shape) or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
        return "sparse_categorical_crossentropy"
    return "categorical_crossentropy"


class CompileLoss:
    """The total loss Σ wᵢ·lossᵢ over outputs, plus per-output trackers for `<output>_loss`."""

    def __init__(self, loss, loss_weights, output_names):
        self.loss = loss
        self.loss_weights = loss_weights
        self.output_names = list(output_names)
        self.built = False

    def build(self, y_true, y_pred):
        names = self.output_names
        n = len(names)
        spec = self.loss
        if isinstance(spec, dict):
            unknown = [k for k in spec if k not in names]
            if unknown:
                raise ValueError(
                    f"The `loss` dict has key(s) {unknown} that do not name a model output. The "
                    f"model's outputs are: {names}."
                )
            per_output = [spec.get(name) for name in names]
        elif isinstance(spec, (list, tuple)):
            if len(spec) != n:
                raise ValueError(
                    f"`loss` is a list of {len(spec)} element(s), but the model has {n} "
                    f"output(s): {names}. Pass one loss per output (None to skip one)."
                )
            per_output = list(spec)
        else:
            per_output = [spec] * n
        weights = self.loss_weights
        if weights is None:
            weights = [1.0] * n
        elif isinstance(weights, dict):
            unknown = [k for k in weights if k not in names]
            if unknown:
                raise ValueError(
                    f"`loss_weights` has key(s) {unknown} that do not name a model output. The "
                    f"model's outputs are: {names}."
                )
            weights = [weights.get(name, 1.0) for name in names]
        elif isinstance(weights, (list, tuple)):
            if len(weights) != n:
                raise ValueError(
                    f"`loss_weights` is a list of {len(weights)} element(s), but the model has "
                    f"{n} output(s): {names}."
                )
            weights = list(weights)
        elif isinstance(weights, (int, float)):
            weights = [float(weights)] * n
        else:
            raise ValueError(
                f"`loss_weights` must be a float, a list or a dict, got {type(weights).__name__}."
            )
        self.entries = []
        for index, (identifier, weight) in enumerate(zip(per_output, weights)):
            if y_true[index] is None and identifier is not None:
                raise ValueError(
                    f"No target data was given for output {names[index]!r}, which has a loss. "
                    "Pass `y` for every output with a loss."
                )
            loss = _resolve_loss(identifier, y_true[index], y_pred[index])
            if loss is not None:
                self.entries.append((index, loss, float(weight)))
        self.trackers = []
        if len(self.entries) > 1:
            self.trackers = [Mean(name=f"{names[i]}_loss") for i, _, _ in self.entries]
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers)

    def __call__(self, y_true, y_pred, sample_weights, mask):
        """The weighted total loss and the unweighted per-output losses."""
        total = jnp.zeros((), "float32")
        per_output = []
        for index, loss, weight in self.entries:
            value = loss._loss_with_mask(y_true[index], y_pred[index], sample_weights[index], mask)
            per_output.append(value)
            total = total + weight * value.astype("float32")
        return total, per_output


class CompileMetrics:
    """The compiled metrics of each output, with Keras's log key names."""

    def __init__(self, metrics, weighted_metrics, output_names):
        self.metrics_spec = metrics
        self.weighted_spec = weighted_metrics
        self.output_names = list(output_names)
        self.built = False
        self.entries = []

    def _per_output(self, spec, what):
        names = self.output_names
        n = len(names)
        if spec is None:
            return [[] for _ in names]
        if isinstance(spec, dict):
            unknown = [k for k in spec if k not in names]
            if unknown:
                raise ValueError(
                    f"The `{what}` dict has key(s) {unknown} that do not name a model output. "
                    f"The model's outputs are: {names}."
                )
            return [_as_list(spec.get(name)) for name in names]
        if not isinstance(spec, (list, tuple)):
            raise ValueError(
                f"`{what}` must be a list or a dict, got {type(spec).__name__}: {spec!r}. Wrap a "
                f"single metric in a list: {what}=[{spec!r}]."
            )
        if n == 1:
            return [list(spec)]
        if len(spec) != n:
            raise ValueError(
                f"For a model with {n} outputs {names}, `{what}` must be a list with one entry "
                f"(a metric or a list of metrics) per output, or a dict keyed by output name; "
                f"got a list of {len(spec)}."
            )
        return [_as_list(entry) for entry in spec]

    def build(self, y_true, y_pred):
        names = self.output_names
        plain = self._per_output(self.metrics_spec, "metrics")
        weighted = self._per_output(self.weighted_spec, "weighted_metrics")
        self.entries = []
        used = set()
        for index in range(len(names)):
            for weighted_flag, group in ((False, plain[index]), (True, weighted[index])):
                for identifier in group:
                    if identifier is None:
                        continue
                    metric = _resolve_metric(identifier, y_true[index], y_pred[index])
                    key = metric.name if len(names) == 1 else f"{names[index]}_{metric.name}"
                    if weighted_flag and key in used:
                        key = (
                            f"weighted_{metric.name}"
                            if len(names) == 1
                            else f"{names[index]}_weighted_{metric.name}"
                        )
                    key = _unique(key, used)
                    used.add(key)
                    self.entries.append((index, metric, weighted_flag, key))
        self.built = True

    @property
    def metrics(self):
        return [metric for _, metric, _, _ in self.entries]

    def update(self, y_true, y_pred, sample_weights, mask):
        for index, metric, weighted, _ in self.entries:
            if y_true[index] is None:
                continue
            weight = mask
            if weighted and sample_weights[index] is not None:
                sw = sample_weights[index]
                weight = sw if mask is None else sw * _expand_like(mask, sw)
            metric.update_state(y_true[index], y_pred[index], sample_weight=weight)

    def results(self):
        return {key: _array(metric.result()) for _, metric, _, key in self.entries}


def _array(value):
    # A user's `result()` may return a Variable itself (the guide's metric does).
    return value.value if hasattr(value, "assign") and hasattr(value, "value") else value


def _expand_like(mask, other):
    mask = jnp.asarray(mask, dtype=jnp.asarray(other).dtype)
    while mask.ndim < jnp.ndim(other):
        mask = mask[..., None]
    return mask


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _unique(key, used):
    if key not in used:
        return key
    i = 1
    while f"{key}_{i}" in used:
        i += 1
    return f"{key}_{i}"


def _resolve_metric(identifier, y_true, y_pred):
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        y_true_shape = tuple(jnp.shape(y_true))
        y_pred_shape = tuple(jnp.shape(y_pred))
        if y_pred_shape[-1] == 1:
            cls = metrics_module.BinaryAccuracy
        elif len(y_true_shape) < len(y_pred_shape) or (
            y_true_shape[-1] == 1 and y_pred_shape[-1] > 1
        ):
            cls = metrics_module.SparseCategoricalAccuracy
        else:
            cls = metrics_module.CategoricalAccuracy
        return cls(name=identifier)
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        raise ValueError(
            f"{identifier!r} is not a metric identifier; name the cross-entropy explicitly, e.g. "
            "'sparse_categorical_crossentropy'."
        )
    return metrics_module.get(identifier)
