"""The recurrent cells: `SimpleRNNCell`, `LSTMCell`, `GRUCell` (one time step each) and
`StackedRNNCells` (several cells as one). An `RNN` layer runs a cell over time."""

import jax.numpy as jnp

from jeras import activations, constraints, initializers, regularizers
from jeras.backend.random import SeedGenerator
from jeras.layers.layer import Layer, build_sublayer
from jeras.layers.recurrent_dropout import input_dropout_mask, recurrent_dropout_mask
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object


class SimpleRNNCell(Layer):
    """One step of a fully-connected RNN: `h = activation(x @ kernel + h_prev @ recurrent_kernel
    + bias)`.

    Args:
        units: dimensionality of the output and state.
        activation: default "tanh"; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer / recurrent_initializer / bias_initializer: default
            "glorot_uniform" / "orthogonal" / "zeros".
        kernel_regularizer / recurrent_regularizer / bias_regularizer: optional penalties.
        kernel_constraint / recurrent_constraint / bias_constraint: optional constraints.
        dropout: fraction of the inputs dropped (one mask per sequence) while training.
        recurrent_dropout: fraction of the recurrent state dropped (one mask per sequence).
        seed: seed of the dropout masks.
    """

    rows_independent = True  # see Layer.rows_independent

    uses_dropout_masks = True
    dropout_mask_count = None

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        check_units(type(self).__name__, units)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        set_weight_options(self, locals())
        set_dropout_options(self, dropout, recurrent_dropout, seed)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        _add_weights(self, input_shape, 1, (self.units,), self.bias_initializer)
        self.built = True

    def call(self, sequence, states, training=False):
        previous_output = states[0] if isinstance(states, (list, tuple)) else states
        if training:
            mask = input_dropout_mask(self, sequence)
            if mask is not None:
                sequence = sequence * mask
            mask = recurrent_dropout_mask(self, previous_output)
            if mask is not None:
                previous_output = previous_output * mask
        h = jnp.matmul(sequence, self.kernel.value)
        if self.bias is not None:
            h = h + self.bias.value
        output = h + jnp.matmul(previous_output, self.recurrent_kernel.value)
        if self.activation is not None:
            output = self.activation(output)
        return output, [output] if isinstance(states, (list, tuple)) else output

    def get_initial_state(self, batch_size=None):
        return [jnp.zeros((batch_size, self.units), self.compute_dtype)]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **weight_options_config(self),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class LSTMCell(Layer):
    """One step of a Long Short-Term Memory layer (Hochreiter 1997); gates in Keras's order
    input, forget, cell, output along the last axis of the kernels.

    Args:
        units: dimensionality of the output and of each of the two states `[h, c]`.
        activation: default "tanh".
        recurrent_activation: the gates' activation, default "sigmoid".
        use_bias: whether to add a bias vector.
        kernel_initializer / recurrent_initializer / bias_initializer: default
            "glorot_uniform" / "orthogonal" / "zeros".
        unit_forget_bias: start the forget gate's bias at 1 (Jozefowicz et al. 2015).
        kernel_regularizer / recurrent_regularizer / bias_regularizer: optional penalties.
        kernel_constraint / recurrent_constraint / bias_constraint: optional constraints.
        dropout / recurrent_dropout: fractions dropped while training (one mask per sequence).
        seed: seed of the dropout masks.
    """

    rows_independent = True  # see Layer.rows_independent

    uses_dropout_masks = True

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        check_units(type(self).__name__, units)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        set_weight_options(self, locals())
        set_dropout_options(self, dropout, recurrent_dropout, seed)
        # Keras's implementation 1 (gate-wise masks) is forced by recurrent dropout.
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        self.dropout_mask_count = 4 if self.implementation == 1 else None
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        bias_initializer = self.bias_initializer
        if self.unit_forget_bias:
            bias_initializer = UnitForgetBias(self.bias_initializer, self.units)
        _add_weights(self, input_shape, 4, (4 * self.units,), bias_initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        use_dropout = training and 0.0 < self.dropout < 1.0
        use_recurrent_dropout = training and 0.0 < self.recurrent_dropout < 1.0
        if self.implementation == 1:
            x = _gate_inputs(self, inputs, 4, use_dropout)
            h = _gate_states(self, h_tm1, 4, use_recurrent_dropout)
            kernels = jnp.split(self.kernel.value, 4, axis=1)
            recurrent_kernels = jnp.split(self.recurrent_kernel.value, 4, axis=1)
            z = [jnp.matmul(x_g, k) for x_g, k in zip(x, kernels)]
            if self.bias is not None:
                z = [z_g + b for z_g, b in zip(z, jnp.split(self.bias.value, 4))]
            z = [z_g + jnp.matmul(h_g, k) for z_g, h_g, k in zip(z, h, recurrent_kernels)]
        else:
            if use_dropout:
                inputs = inputs * input_dropout_mask(self, inputs)
            z = jnp.matmul(inputs, self.kernel.value)
            z = z + jnp.matmul(h_tm1, self.recurrent_kernel.value)
            if self.bias is not None:
                z = z + self.bias.value
            z = jnp.split(z, 4, axis=-1)
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_tm1 + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def get_initial_state(self, batch_size=None):
        return [jnp.zeros((batch_size, d), self.compute_dtype) for d in self.state_size]

    def get_config(self):
        config = weight_options_config(self)
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": config.pop("use_bias"),
            "unit_forget_bias": self.unit_forget_bias,
            **config,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class GRUCell(Layer):
    """One step of a Gated Recurrent Unit (Cho et al. 2014); gates in Keras's order update,
    reset, candidate along the last axis of the kernels.

    Args:
        units: dimensionality of the output and state.
        activation: default "tanh".
        recurrent_activation: the gates' activation, default "sigmoid".
        use_bias: whether to add biases.
        kernel_initializer / recurrent_initializer / bias_initializer: default
            "glorot_uniform" / "orthogonal" / "zeros".
        kernel_regularizer / recurrent_regularizer / bias_regularizer: optional penalties.
        kernel_constraint / recurrent_constraint / bias_constraint: optional constraints.
        dropout / recurrent_dropout: fractions dropped while training (one mask per sequence).
        reset_after: apply the reset gate after the recurrent matrix product (True, the
            cuDNN-compatible form with separate input and recurrent biases, shape `(2, 3*units)`)
            or before it (False, one bias of shape `(3*units,)`).
        seed: seed of the dropout masks.
    """

    rows_independent = True  # see Layer.rows_independent

    uses_dropout_masks = True

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        **kwargs,
    ):
        check_units(type(self).__name__, units)
        implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after
        set_weight_options(self, locals())
        set_dropout_options(self, dropout, recurrent_dropout, seed)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        self.dropout_mask_count = 3 if self.implementation == 1 else None
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        _add_weights(self, input_shape, 3, bias_shape, self.bias_initializer)
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1 = states[0] if isinstance(states, (list, tuple)) else states
        input_bias = recurrent_bias = None
        if self.bias is not None:
            bias = self.bias.value
            input_bias, recurrent_bias = (bias[0], bias[1]) if self.reset_after else (bias, None)
        use_dropout = training and 0.0 < self.dropout < 1.0
        use_recurrent_dropout = training and 0.0 < self.recurrent_dropout < 1.0
        kernel, recurrent_kernel = self.kernel.value, self.recurrent_kernel.value
        u = self.units
        if self.implementation == 1:
            x = _gate_inputs(self, inputs, 3, use_dropout)
            h = _gate_states(self, h_tm1, 3, use_recurrent_dropout)
            x = [jnp.matmul(x_g, k) for x_g, k in zip(x, jnp.split(kernel, 3, axis=1))]
            if input_bias is not None:
                x = [x_g + b for x_g, b in zip(x, jnp.split(input_bias, 3))]
            recurrent_z = jnp.matmul(h[0], recurrent_kernel[:, :u])
            recurrent_r = jnp.matmul(h[1], recurrent_kernel[:, u : 2 * u])
            if recurrent_bias is not None:
                recurrent_z = recurrent_z + recurrent_bias[:u]
                recurrent_r = recurrent_r + recurrent_bias[u : 2 * u]
            h_candidate_input = h[2]
            x_z, x_r, x_h = x
        else:
            if use_dropout:
                inputs = inputs * input_dropout_mask(self, inputs)
            matrix_x = jnp.matmul(inputs, kernel)
            if input_bias is not None:
                matrix_x = matrix_x + input_bias
            x_z, x_r, x_h = jnp.split(matrix_x, 3, axis=-1)
            if self.reset_after:
                matrix_inner = jnp.matmul(h_tm1, recurrent_kernel)
                if recurrent_bias is not None:
                    matrix_inner = matrix_inner + recurrent_bias
            else:
                matrix_inner = jnp.matmul(h_tm1, recurrent_kernel[:, : 2 * u])
            recurrent_z, recurrent_r = matrix_inner[:, :u], matrix_inner[:, u : 2 * u]
            h_candidate_input = h_tm1
        z = self.recurrent_activation(x_z + recurrent_z)
        r = self.recurrent_activation(x_r + recurrent_r)
        if self.reset_after:
            if self.implementation == 1:
                recurrent_h = jnp.matmul(h_candidate_input, recurrent_kernel[:, 2 * u :])
                if recurrent_bias is not None:
                    recurrent_h = recurrent_h + recurrent_bias[2 * u :]
            else:
                recurrent_h = matrix_inner[:, 2 * u :]
            recurrent_h = r * recurrent_h
        else:
            recurrent_h = jnp.matmul(r * h_candidate_input, recurrent_kernel[:, 2 * u :])
        hh = self.activation(x_h + recurrent_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_initial_state(self, batch_size=None):
        return [jnp.zeros((batch_size, self.units), self.compute_dtype)]

    def get_config(self):
        config = weight_options_config(self)
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            **config,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


class StackedRNNCells(Layer):
    """Several recurrent cells run as one: each step feeds the previous cell's output to the
    next cell; the state is the list of the cells' states.

    Args:
        cells: a list of cells (objects with `call(inputs, states)` and `state_size`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        for cell in cells:
            _check_cell(cell, f"StackedRNNCells {self.name!r}")
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        size = last.state_size
        return size[0] if isinstance(size, (list, tuple)) else size

    def get_initial_state(self, batch_size=None):
        return [initial_state_of(cell, batch_size, self.compute_dtype) for cell in self.cells]

    def build(self, input_shape):
        batch_size = input_shape[0]
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                build_sublayer(self, cell, tuple(input_shape))
            output_size = getattr(cell, "output_size", None)
            if output_size is None:
                size = cell.state_size
                output_size = size[0] if isinstance(size, (list, tuple)) else size
            input_shape = (batch_size, output_size)
        self.built = True

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if was_list else [cell_states]
            inputs, cell_new_states = call_cell(cell, inputs, cell_states, training)
            if not isinstance(cell_new_states, (list, tuple)):
                cell_new_states = [cell_new_states]
            if len(cell_new_states) == 1 and not was_list:
                cell_new_states = cell_new_states[0]
            new_states.append(cell_new_states)
        return inputs, new_states

    def get_config(self):
        return {
            **super().get_config(),
            "cells": [serialize_keras_object(cell) for cell in self.cells],
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [
            deserialize_keras_object(cell, custom_objects=custom_objects)
            for cell in config.pop("cells")
        ]
        return cls(cells, **config)


# -- helpers shared by the cells and the RNN layer ----------------------------------------------
def call_cell(cell, inputs, states, training):
    """One step of any cell: a jeras `Layer` through `__call__` (its `training` argument when its
    `call` takes one), a plain object through its `call`."""
    if isinstance(cell, Layer):
        kwargs = {"training": training} if cell._call_has_training else {}
        return cell(inputs, states, **kwargs)
    return cell.call(inputs, states)


def initial_state_of(cell, batch_size, dtype):
    """The zero state of `cell` for `batch_size` sequences: its `get_initial_state` when it has
    one, else zeros of each of its state sizes (a list, one array per state)."""
    get_initial_state = getattr(cell, "get_initial_state", None)
    if get_initial_state is not None:
        state = get_initial_state(batch_size=batch_size)
        return list(state) if isinstance(state, (list, tuple)) else [state]
    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    return [jnp.zeros((batch_size, _size_tuple(size)[0]), dtype) for size in sizes]


def _size_tuple(size):
    return tuple(size) if isinstance(size, (list, tuple)) else (size,)


def _check_cell(cell, owner):
    if not callable(getattr(cell, "call", None)):
        raise ValueError(
            f"{owner}: every cell needs a `call(inputs, states)` method; got {cell!r}."
        )
    if not hasattr(cell, "state_size"):
        raise ValueError(
            f"{owner}: every cell needs a `state_size` attribute (an int, or a list of ints "
            f"with one size per state); got {cell!r} without one."
        )


def check_units(class_name, units):
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{class_name}: `units` must be a positive integer, got {units!r}.")


_WEIGHT_ROLES = ("kernel", "recurrent", "bias")


def set_weight_options(cell, arguments):
    cell.use_bias = arguments["use_bias"]
    for role in _WEIGHT_ROLES:
        setattr(cell, f"{role}_initializer", initializers.get(arguments[f"{role}_initializer"]))
        setattr(cell, f"{role}_regularizer", regularizers.get(arguments[f"{role}_regularizer"]))
        setattr(cell, f"{role}_constraint", constraints.get(arguments[f"{role}_constraint"]))


def weight_options_config(cell):
    """`use_bias` and the initializer, regularizer and constraint entries, in Keras's order."""
    config = {"use_bias": cell.use_bias}
    for kind in ("initializer", "regularizer", "constraint"):
        for role in _WEIGHT_ROLES:
            config[f"{role}_{kind}"] = serialize_keras_object(getattr(cell, f"{role}_{kind}"))
    return config


def set_dropout_options(cell, dropout, recurrent_dropout, seed):
    # Keras clips the rates into [0, 1] rather than refusing them.
    cell.dropout = min(1.0, max(0.0, dropout))
    cell.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
    cell.seed = seed
    cell.seed_generator = SeedGenerator(seed)
    cell._dropout_mask = None
    cell._recurrent_dropout_mask = None


def _add_weights(cell, input_shape, gates, bias_shape, bias_initializer):
    input_dim = input_shape[-1]
    if input_dim is None:
        raise ValueError(
            f"{type(cell).__name__} {cell.name!r}: the last dimension of the inputs must be "
            f"known, got input shape {tuple(input_shape)}."
        )
    cell.kernel = cell.add_weight(
        shape=(input_dim, gates * cell.units),
        name="kernel",
        initializer=cell.kernel_initializer,
        regularizer=cell.kernel_regularizer,
        constraint=cell.kernel_constraint,
    )
    cell.recurrent_kernel = cell.add_weight(
        shape=(cell.units, gates * cell.units),
        name="recurrent_kernel",
        initializer=cell.recurrent_initializer,
        regularizer=cell.recurrent_regularizer,
        constraint=cell.recurrent_constraint,
    )
    cell.bias = None
    if cell.use_bias:
        cell.bias = cell.add_weight(
            shape=bias_shape,
            name="bias",
            initializer=bias_initializer,
            regularizer=cell.bias_regularizer,
            constraint=cell.bias_constraint,
        )


def _gate_inputs(cell, inputs, gates, use_dropout):
    """The inputs seen by each gate: dropped by the gate's own mask while training."""
    if not use_dropout:
        return [inputs] * gates
    return [inputs * mask for mask in input_dropout_mask(cell, inputs)]


def _gate_states(cell, h_tm1, gates, use_recurrent_dropout):
    if not use_recurrent_dropout:
        return [h_tm1] * gates
    return [h_tm1 * mask for mask in recurrent_dropout_mask(cell, h_tm1)]


class UnitForgetBias:
    """The LSTM bias initializer with `unit_forget_bias`: the user's initializer for the input,
    cell and output gates, ones for the forget gate."""

    def __init__(self, bias_initializer, units):
        self.bias_initializer = bias_initializer
        self.units = units

    def __call__(self, shape, dtype=None):
        u = self.units
        return jnp.concatenate(
            [
                jnp.asarray(self.bias_initializer((u,), dtype=dtype)),
                jnp.ones((u,), dtype),
                jnp.asarray(self.bias_initializer((2 * u,), dtype=dtype)),
            ]
        )
