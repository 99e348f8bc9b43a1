"""Rematerialisation (`keras.RematScope`, `keras.remat`): recompute a layer's activations in the
backward pass instead of keeping them, trading compute for memory (`jax.checkpoint`).

A layer takes the remat mode in force when it is created, as in Keras. Its call is then
checkpointed as a pure function of its variables' values and its array arguments, so that
variable writes inside it (moving statistics, seed streams) and `add_loss` terms leave the
checkpoint as outputs rather than as escaped tracers.
"""

import math
import threading
from typing import NamedTuple

import jax

from jeras.backend.dtype_policy import autocast_scope
from jeras.backend.state_scope import StateScope, current_scope

MODES = ("full", "activations", "larger_than", "list_of_layers", None)

_local = threading.local()


def _stack():
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class RematMode(NamedTuple):
    mode: str
    output_size_threshold: int
    layer_names: list


class RematScope:
    """Layers created inside this scope rematerialise their activations in the backward pass.

    Args:
        mode: "full" (every layer), "activations" (only the layers' activation functions),
            "larger_than" (layers whose output has more than `output_size_threshold`
            elements), "list_of_layers" (the layers named in `layer_names`), or None (off).
        output_size_threshold: the size for "larger_than".
        layer_names: the names for "list_of_layers".
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in MODES:
            raise ValueError(
                f"RematScope: invalid mode {mode!r}; use one of 'full', 'activations', "
                "'larger_than', 'list_of_layers' or None."
            )
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = list(layer_names or [])

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()
        return False


def current_remat_mode():
    stack = _stack()
    if not stack or stack[-1].mode is None:
        return None
    scope = stack[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """`f` recomputed in the backward pass instead of keeping its intermediate values.

    Args:
        f: a function of arrays.
    """
    return jax.checkpoint(f)


def checkpointed_call(call, variables, losses_of, args, kwargs, size_threshold=None):
    """`call(*args, **kwargs)` under `jax.checkpoint`, as a pure function of `variables`' values
    and the array leaves of the arguments. Writes to the variables and losses added (read with
    `losses_of()`, a list that grows) are carried out of the checkpoint and replayed. With
    `size_threshold`, the call is checkpointed only when its output has more elements."""
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    traced = [i for i, leaf in enumerate(leaves) if isinstance(leaf, jax.Array)]
    scope = current_scope()
    with autocast_scope(None):
        # The stored values: the call reads them through the autocast of its own layer.
        values = [scope.value_of(v) if scope is not None else v._value for v in variables]
    written = []

    def pure(values, arrays):
        filled = list(leaves)
        for i, array in zip(traced, arrays):
            filled[i] = array
        call_args, call_kwargs = jax.tree_util.tree_unflatten(treedef, filled)
        losses = losses_of()
        start = len(losses)
        with StateScope(zip(variables, values)) as inner:
            outputs = call(*call_args, **call_kwargs)
            # The scope starts holding every value: a write is a value that was replaced.
            written[:] = [
                i for i, (v, old) in enumerate(zip(variables, values)) if inner.get(v) is not old
            ]
            new_values = [inner.value_of(variables[i]) for i in written]
        new_losses = losses[start:]
        del losses[start:]
        return outputs, new_values, new_losses

    arrays = [leaves[i] for i in traced]
    if size_threshold is not None:
        shapes = jax.eval_shape(pure, values, arrays)[0]
        size = sum(math.prod(s.shape) for s in jax.tree_util.tree_leaves(shapes))
        if size <= size_threshold:
            return call(*args, **kwargs)
    outputs, new_values, new_losses = jax.checkpoint(pure)(values, arrays)
    for i, value in zip(written, new_values):
        variables[i].assign(value)
    losses_of().extend(new_losses)
    return outputs
