"""`Metric` base class: state in non-trainable variables, `update_state` / `result` /
`reset_state`, and stateless versions the compiled training step uses."""

import jax.numpy as jnp

from jeras import initializers
from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.naming import auto_name
from jeras.backend.state_scope import StateScope
from jeras.backend.variable import Variable


class Metric:
    """Base class: subclasses create state with `add_variable` / `add_weight` in `__init__`,
    and implement `update_state(...)` and `result()`.

    Args:
        name: the metric's name (snake_case of the class name, uniquified, by default).
        dtype: dtype of the metric's computations (floatx by default).

    Capability:
        exact_under_padding: a class's promise that its result is unchanged when rows with
            sample_weight 0 are added to a batch, and that a sample_weight of ones gives the
            result of no sample_weight. fit() and evaluate() pad a short last batch with such
            rows (passing the row mask as the sample weight) only when every compiled metric
            and loss makes this promise; otherwise they run that batch at its own size, as
            Keras does. False here: a metric that ignores `sample_weight`, or counts rows
            whatever their weight, cannot keep it. Each class states it for itself; a subclass
            that does not restate it is not exact, since it may compute something else. A class
            whose exactness depends on its arguments states it as a property of the instance.
    """

    exact_under_padding = False
    # A layer or model holding a metric as an attribute lists it in `layer.metrics`.
    tracked_by_layers_as_metric = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The promise is about a class's own computation, so it is not inherited.
        if "exact_under_padding" not in vars(cls):
            cls.exact_under_padding = False

    def __init__(self, dtype=None, name=None):
        self.name = name or auto_name(self)
        self._dtype = standardize_dtype(dtype or floatx())
        self._variables = []
        self._sub_metrics = []

    def __setattr__(self, name, value):
        if isinstance(value, Metric) and "_sub_metrics" in self.__dict__:
            self._sub_metrics.append(value)
        super().__setattr__(name, value)

    @property
    def dtype(self):
        return self._dtype

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        if initializer is None:
            initializer = "zeros"
        # As Keras, a variable without an explicit dtype takes floatx, not the metric's dtype
        # (Mean and Sum pass theirs; the confusion metrics count in floatx).
        variable = Variable(
            initializers.get(initializer),
            shape=tuple(shape),
            dtype=standardize_dtype(dtype or floatx()),
            trainable=False,
            aggregation=aggregation,
            name=name,
        )
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        out = list(self._variables)
        for metric in self._sub_metrics:
            out.extend(metric.variables)
        return out

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(
            f"Metric {type(self).__name__} does not implement update_state()."
        )

    def result(self):
        raise NotImplementedError(f"Metric {type(self).__name__} does not implement result().")

    def reset_state(self):
        for variable in self._variables:
            variable.assign(jnp.zeros(variable.shape, variable.dtype))
        for metric in self._sub_metrics:
            metric.reset_state()

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        return self.result()

    # -- stateless forms (pure functions of the variables' values) ----------------------------
    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """`update_state` as a pure function: the new values of `self.variables`."""
        variables = self.variables
        with StateScope(self._state_pairs(metric_variables, "stateless_update_state")) as scope:
            self.update_state(*args, **kwargs)
            return scope.values_of(variables)

    def stateless_result(self, metric_variables):
        """`result()` computed from the given values of `self.variables`."""
        with StateScope(self._state_pairs(metric_variables, "stateless_result")):
            return self.result()

    def _state_pairs(self, values, method):
        variables = self.variables
        values = list(values)
        if len(values) != len(variables):
            raise ValueError(
                f"Metric {self.name!r}: `{method}` expects `metric_variables` with "
                f"{len(variables)} values (one per variable in `metric.variables`: "
                f"{[v.path for v in variables]}), but received {len(values)}."
            )
        return list(zip(variables, values))

    def stateless_reset_state(self):
        variables = self.variables
        with StateScope() as scope:
            self.reset_state()
            return scope.values_of(variables)

    def get_config(self):
        return {"name": self.name, "dtype": self._dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
