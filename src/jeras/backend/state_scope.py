"""The bridge between Python objects that own names and one pytree that owns values.

While a `StateScope` is active, every `Variable` it holds reads its value from the scope and every
`assign*` writes a new value into the scope instead of the variable. So the same user-written
`call`, `update_state` or optimizer update runs eagerly (no scope) and inside `jax.jit` (a scope
whose values are tracers), unchanged.
"""

import threading

_local = threading.local()


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def current_scope():
    stack = _stack()
    return stack[-1] if stack else None


class StateScope:
    """Holds values for a set of variables; reads fall back to enclosing scopes, writes stay here."""

    def __init__(self, pairs=()):
        self._values = {}
        self._variables = {}
        for variable, value in pairs:
            self._values[id(variable)] = value
            self._variables[id(variable)] = variable
        self._parent = None

    def get(self, variable):
        key = id(variable)
        scope = self
        while scope is not None:
            if key in scope._values:
                return scope._values[key]
            scope = scope._parent
        return None

    def set(self, variable, value):
        self._values[id(variable)] = value
        self._variables[id(variable)] = variable

    def value_of(self, variable):
        """The value the scope ends with for `variable` (its own value when never assigned)."""
        value = self.get(variable)
        return variable._value if value is None else value

    def values_of(self, variables):
        return [self.value_of(v) for v in variables]

    def assigned(self):
        return [(self._variables[k], v) for k, v in self._values.items()]

    def __enter__(self):
        stack = _stack()
        self._parent = stack[-1] if stack else None
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()
        self._parent = None
        return False


def in_stateless_scope():
    return current_scope() is not None


class StatelessScope(StateScope):
    """Keras's public face of the state scope, as `keras.StatelessScope`: inside it, the
    variables of `state_mapping` read the values given and every `assign` stays in the scope;
    the variables themselves are unchanged when it ends.

    Args:
        state_mapping: pairs `(variable, value)`; each value must have the variable's shape.
        collect_losses: accepted for compatibility; `add_loss` values stay on their layers
            (read them with `layer.losses` inside the scope).
        initialize_variables: accepted for compatibility; jeras variables always hold a value.
    """

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        pairs = []
        for index, pair in enumerate(state_mapping or ()):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(
                    "StatelessScope: `state_mapping` must hold (variable, value) pairs; element "
                    f"{index} is {pair!r}."
                )
            variable, value = pair
            if not hasattr(variable, "assign") or not hasattr(variable, "path"):
                raise ValueError(
                    f"StatelessScope: element {index} of `state_mapping` maps {variable!r}, "
                    "which is not a Variable. Pass (variable, value) pairs."
                )
            value = getattr(value, "value", value) if hasattr(value, "assign") else value
            shape = tuple(getattr(value, "shape", ()))
            if shape != tuple(variable.shape):
                raise ValueError(
                    f"StatelessScope: the value for variable {variable.path!r} has shape "
                    f"{shape}, but the variable has shape {tuple(variable.shape)}."
                )
            pairs.append((variable, value))
        super().__init__(pairs)
        self.collect_losses = collect_losses
        self.initialize_variables = initialize_variables

    def get_current_value(self, variable):
        """The value `variable` holds in this scope, or None when the scope never saw it."""
        return self.get(variable)


def get_stateless_scope():
    return current_scope()
