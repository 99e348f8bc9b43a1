"""Dropout masks of the recurrent cells, drawn once per sequence as Keras does.

A cell that drops its inputs or its recurrent state applies the same masks at every time step
of a sequence. The RNN layer draws them before its loop over time (drawing inside the loop
would draw new ones at every step, and would advance a seed stream inside a traced loop), the
cell reads them at each step, and the layer forgets them once the sequence is done.

A cell takes part by declaring `uses_dropout_masks = True` and having the attributes
`dropout`, `recurrent_dropout`, `seed_generator` and `dropout_mask_count` (None for one mask
per input, or the number of gate-wise masks).
"""

import jax
import jax.numpy as jnp


def prepare_dropout_masks(cell, step_input_shape, states, dtype):
    """Draw `cell`'s masks (and those of the cells it stacks) for one sequence.

    `step_input_shape` is the shape of one time step of the cell's inputs, `states` its initial
    states (the recurrent mask takes the shape of the first); a stacked cell's inputs are the
    previous cell's outputs."""
    if getattr(cell, "uses_dropout_masks", False):
        cell._dropout_mask = None
        cell._recurrent_dropout_mask = None
        if cell.dropout > 0:
            cell._dropout_mask = _draw(cell, cell.dropout, step_input_shape, dtype)
        if cell.recurrent_dropout > 0:
            state_shape = jax.tree_util.tree_leaves(states)[0].shape
            cell._recurrent_dropout_mask = _draw(cell, cell.recurrent_dropout, state_shape, dtype)
    inner_cells = getattr(cell, "cells", None) or ()
    for inner, inner_states in zip(inner_cells, states if inner_cells else ()):
        prepare_dropout_masks(inner, step_input_shape, inner_states, dtype)
        step_input_shape = (step_input_shape[0], output_size_of(inner))


def clear_dropout_masks(cell):
    """Forget the masks of the finished sequence (the next call draws new ones)."""
    if getattr(cell, "uses_dropout_masks", False):
        cell._dropout_mask = None
        cell._recurrent_dropout_mask = None
    for inner in getattr(cell, "cells", ()) or ():
        clear_dropout_masks(inner)


def input_dropout_mask(cell, step_inputs):
    """The input mask for this sequence; drawn now when the cell is called outside an RNN."""
    if cell.dropout <= 0:
        return None
    if getattr(cell, "_dropout_mask", None) is None:
        cell._dropout_mask = _draw(cell, cell.dropout, step_inputs.shape, step_inputs.dtype)
    return cell._dropout_mask


def recurrent_dropout_mask(cell, previous_output):
    """The recurrent-state mask for this sequence, as `input_dropout_mask`."""
    if cell.recurrent_dropout <= 0:
        return None
    if getattr(cell, "_recurrent_dropout_mask", None) is None:
        cell._recurrent_dropout_mask = _draw(
            cell, cell.recurrent_dropout, previous_output.shape, previous_output.dtype
        )
    return cell._recurrent_dropout_mask


def output_size_of(cell):
    """The feature size of a cell's output: `output_size`, else its (first) state size."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return _first_state_size(cell)


def _first_state_size(cell):
    size = cell.state_size
    while isinstance(size, (list, tuple)):
        size = size[0]
    return size


def _draw(cell, rate, shape, dtype):
    count = getattr(cell, "dropout_mask_count", None)
    if count is None:
        return _one_mask(cell.seed_generator.next(), rate, shape, dtype)
    return [_one_mask(cell.seed_generator.next(), rate, shape, dtype) for _ in range(count)]


def _one_mask(key, rate, shape, dtype):
    # Keras's mask is `dropout(ones)`: 0 where dropped, 1 / (1 - rate) where kept.
    keep_probability = 1.0 - rate
    keep = jax.random.bernoulli(key, keep_probability, tuple(shape))
    scale = 1.0 / keep_probability if keep_probability > 0 else 0.0
    return jnp.where(keep, jnp.asarray(scale, dtype), jnp.zeros((), dtype))
