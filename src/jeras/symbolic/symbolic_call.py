"""Calling a layer on `KerasTensor`s: build it from the symbolic shapes, infer the output shapes
by tracing its `call` abstractly, and record a `Node` in the graph."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.state_scope import StateScope
from jeras.symbolic.keras_tensor import KerasTensor
from jeras.symbolic.node import Node

# Unknown dimensions are traced at two different sizes; an output dimension that follows them is
# reported as unknown (None).
_PROBE_SIZES = (83, 89)


def _is_kt(x):
    return isinstance(x, KerasTensor)


def symbolic_call(layer, args, kwargs):
    kwargs = dict(kwargs)
    if not layer.built:
        shapes = jax.tree_util.tree_map(
            lambda t: t.shape if _is_kt(t) else getattr(t, "shape", None), args[0], is_leaf=_is_kt
        )
        layer._build_with_shapes(shapes)
    layer._check_inputs(args[0])
    outputs = infer_outputs(layer, args, kwargs)
    Node(layer, args, kwargs, outputs)
    return outputs


def infer_outputs(layer, args, kwargs):
    specs = [_abstract_outputs(layer, args, kwargs, size) for size in _PROBE_SIZES]

    def merge(a, b):
        shape = tuple(da if da == db else None for da, db in zip(a.shape, b.shape))
        return KerasTensor(shape, dtype=a.dtype)

    return jax.tree_util.tree_map(merge, specs[0], specs[1])


def _abstract_outputs(layer, args, kwargs, size):
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_kt)
    symbolic_positions = [i for i, leaf in enumerate(leaves) if _is_kt(leaf)]
    structs = [
        jax.ShapeDtypeStruct(
            tuple(size if d is None else d for d in leaves[i].shape), leaves[i].dtype
        )
        for i in symbolic_positions
    ]

    def run(*values):
        filled = list(leaves)
        for position, value in zip(symbolic_positions, values):
            filled[position] = value
        call_args, call_kwargs = jax.tree_util.tree_unflatten(treedef, filled)
        # A throwaway scope: seed streams and stateful layers may assign while traced.
        with StateScope():
            outputs = layer._concrete_call(tuple(call_args), dict(call_kwargs))
        return outputs

    try:
        result = jax.eval_shape(run, *structs)
    finally:
        layer._clear_losses()
    return result
