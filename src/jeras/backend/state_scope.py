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
