"""Calling a layer on `KerasTensor`s: build it from the symbolic shapes, infer the output shapes
by tracing its `call` abstractly, and record a `Node` in the graph.

Masks ride along: the masks of the symbolic inputs (`_keras_mask`, themselves `KerasTensor`s)
are traced with the inputs, the layer's own call machinery fills its `mask` argument and
computes its output masks exactly as in an eager call, and the output masks come back as
`KerasTensor`s set on the outputs. So `Input -> Embedding(mask_zero=True)` has a mask
symbolically, as in Keras.
"""

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.masking import get_keras_mask, set_keras_mask
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
    first = _abstract_outputs(layer, args, kwargs, _PROBE_SIZES[0])
    with warnings.catch_warnings():
        # The second trace repeats the first: its warnings (a mask dropped) were given once.
        warnings.simplefilter("ignore")
        second = _abstract_outputs(layer, args, kwargs, _PROBE_SIZES[1])

    def merge(a, b):
        shape = tuple(da if da == db else None for da, db in zip(a.shape, b.shape))
        return KerasTensor(shape, dtype=a.dtype)

    (outputs_a, masks_a), (outputs_b, masks_b) = first, second
    outputs = jax.tree_util.tree_map(merge, outputs_a, outputs_b)
    masks = [None if a is None else merge(a, b) for a, b in zip(masks_a, masks_b)]
    for tensor, mask in zip(jax.tree_util.tree_leaves(outputs, is_leaf=_is_kt), masks):
        if mask is not None:
            set_keras_mask(tensor, mask)
    return outputs


def _abstract_outputs(layer, args, kwargs, size):
    """The output shapes of the call traced with unknown dimensions set to `size`, and the
    shapes of the output masks (None for an output without one), one per output leaf."""
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_kt)
    symbolic_positions = [i for i, leaf in enumerate(leaves) if _is_kt(leaf)]

    def struct(tensor):
        return jax.ShapeDtypeStruct(
            tuple(size if d is None else d for d in tensor.shape), tensor.dtype
        )

    structs = [struct(leaves[i]) for i in symbolic_positions]
    input_masks = [get_keras_mask(leaves[i]) for i in symbolic_positions]
    mask_structs = [None if m is None else struct(m) for m in input_masks]

    def run(values, masks):
        filled = list(leaves)
        for position, value, mask in zip(symbolic_positions, values, masks):
            if mask is not None:
                set_keras_mask(value, mask)
            filled[position] = value
        call_args, call_kwargs = _in_key_order(
            jax.tree_util.tree_unflatten(treedef, filled), (args, kwargs)
        )
        # A throwaway scope: seed streams and stateful layers may assign while traced.
        with StateScope():
            outputs = layer._concrete_call(tuple(call_args), dict(call_kwargs))
        output_masks = [get_keras_mask(x) for x in jax.tree_util.tree_leaves(outputs)]
        return outputs, output_masks

    try:
        result = jax.eval_shape(run, structs, mask_structs)
    finally:
        layer._clear_losses()
    return result


def _in_key_order(unflattened, original):
    """`unflattened` with its dicts in the key order of `original` (the same structure):
    `jax.tree_util` sorts dict keys, Keras keeps the order a layer was called with."""
    if isinstance(original, dict) and isinstance(unflattened, dict):
        return type(original)(
            (key, _in_key_order(unflattened[key], original[key])) for key in original
        )
    if isinstance(original, (list, tuple)) and isinstance(unflattened, (list, tuple)):
        items = [_in_key_order(u, o) for u, o in zip(unflattened, original)]
        return (
            type(unflattened)(*items)
            if hasattr(unflattened, "_fields")
            else type(unflattened)(items)
        )
    return unflattened
