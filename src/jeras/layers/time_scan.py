"""Running a recurrent step over the time axis of a batch of sequences: one `jax.lax.scan`
(or, with `unroll=True`, one traced step per time step), with Keras 3's mask semantics."""

import jax
import jax.numpy as jnp


def scan_over_time(
    step,
    sequences,
    initial_states,
    mask=None,
    go_backwards=False,
    unroll=False,
    zero_output_for_mask=False,
):
    """Apply `step(inputs_t, states) -> (output_t, new_states)` along axis 1 of `sequences`.

    Args:
        step: the per-time-step function; `states` is a pytree shaped like `initial_states`,
            and `new_states` must hold the same number of arrays (it is read back into that
            structure, so a cell may return a flat list or a single array).
        sequences: an array `(batch, timesteps, ...)`.
        initial_states: the pytree of state arrays at the first processed step.
        mask: None or a boolean-like `(batch, timesteps)` array; at a masked step the states
            are carried over unchanged and the output is zeros (`zero_output_for_mask`) or the
            previous output.
        go_backwards: process the time steps from last to first; the outputs then come in the
            processing order, as in Keras.
        unroll: trace one step per time step instead of a loop (Keras's `unroll=True`).
        zero_output_for_mask: see `mask`.

    Returns:
        `(last_output, outputs, final_states)`; `outputs` is `(batch, timesteps, ...)`.
    """
    time_major = jnp.swapaxes(sequences, 0, 1)
    time_mask = None
    if mask is not None:
        time_mask = jnp.swapaxes(jnp.asarray(mask).astype(bool), 0, 1)
    if go_backwards:
        time_major = jnp.flip(time_major, axis=0)
        if time_mask is not None:
            time_mask = jnp.flip(time_mask, axis=0)
    structure = jax.tree_util.tree_structure(initial_states)

    def restructured(new_states):
        # Cells may return `[h]`, `h` or nested lists for the same state: hold the carry's shape.
        return jax.tree_util.tree_unflatten(structure, jax.tree_util.tree_leaves(new_states))

    if unroll:
        outputs, states = _unrolled(step, time_major, time_mask, initial_states, restructured)
    else:
        outputs, states = _scanned(
            step, time_major, time_mask, initial_states, restructured, zero_output_for_mask
        )
    outputs = jnp.swapaxes(outputs, 0, 1)
    return outputs[:, -1], outputs, states


def _scanned(step, time_major, time_mask, initial_states, restructured, zero_output_for_mask):
    def body(states, slice_t):
        inputs_t, keep_t = slice_t
        output_t, new_states = step(inputs_t, states)
        new_states = restructured(new_states)
        if keep_t is None:
            return new_states, output_t
        if zero_output_for_mask:
            output_t = jnp.where(_along(keep_t, output_t), output_t, jnp.zeros_like(output_t))
        else:
            # Keras carries the previous output as the first state (the last cell's first
            # state for stacked cells).
            output_t = jnp.where(_along(keep_t, output_t), output_t, _previous_output(states))
        new_states = jax.tree_util.tree_map(
            lambda old, new: jnp.where(_along(keep_t, new), new, old), states, new_states
        )
        return new_states, output_t

    final_states, outputs = jax.lax.scan(body, initial_states, (time_major, time_mask))
    return outputs, final_states


def _unrolled(step, time_major, time_mask, initial_states, restructured):
    # As Keras's unrolled loop: a masked step repeats the previous step's output (zeros before
    # the first step), whatever `zero_output_for_mask` says.
    states = initial_states
    outputs = []
    for t in range(time_major.shape[0]):
        output_t, new_states = step(time_major[t], states)
        new_states = restructured(new_states)
        if time_mask is not None:
            keep_t = time_mask[t]
            previous = outputs[-1] if outputs else jnp.zeros_like(output_t)
            output_t = jnp.where(_along(keep_t, output_t), output_t, previous)
            new_states = jax.tree_util.tree_map(
                lambda old, new, keep=keep_t: jnp.where(_along(keep, new), new, old),
                states,
                new_states,
            )
        outputs.append(output_t)
        states = new_states
    return jnp.stack(outputs), states


def _along(keep_t, value):
    """The `(batch,)` mask of one step, shaped to broadcast against `value`."""
    return jnp.reshape(keep_t, keep_t.shape + (1,) * (jnp.ndim(value) - 1))


def _previous_output(states):
    first = states[0]
    if isinstance(first, (list, tuple)):
        last = states[-1]
        return last[0] if isinstance(last, (list, tuple)) else last
    return first
