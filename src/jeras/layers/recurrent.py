"""Recurrent layers: `RNN` (any cell run over time) and the built-in `SimpleRNN`, `LSTM`, `GRU`.

The loop over time is one `jax.lax.scan` (`layers/time_scan.py`); a stateful layer keeps its
states in non-trainable variables that are part of the layer's `variables` (so a compiled
`fit()` step carries and updates them) but not of its `weights` (so, as in Keras, they are
neither returned by `get_weights()` nor saved).
"""

import jax
import jax.numpy as jnp

from jeras.backend.variable import Variable
from jeras.layers.layer import Layer, build_sublayer
from jeras.layers.recurrent_cells import (
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
    _check_cell,
    call_cell,
    initial_state_of,
)
from jeras.layers.recurrent_dropout import (
    clear_dropout_masks,
    output_size_of,
    prepare_dropout_masks,
)
from jeras.layers.time_scan import scan_over_time
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object


class RNN(Layer):
    """Runs a recurrent cell over the time axis of `(batch, timesteps, features)` inputs.

    Args:
        cell: a cell (an object with `call(inputs, states)` returning `(output, new_states)` and
            a `state_size`: an int or a list of ints, one per state), or a list of cells
            (stacked with `StackedRNNCells`).
        return_sequences: return the output of every time step `(batch, timesteps, units)`
            instead of the last one `(batch, units)`.
        return_state: also return the final states, after the output.
        go_backwards: process the sequence backwards (outputs come in processing order).
        stateful: the final states of a batch are the initial states of the next one (needs a
            fixed batch size); `reset_states()` zeroes them.
        unroll: unroll the loop over time (faster for short sequences, more memory).
        zero_output_for_mask: masked time steps output zeros (True) or repeat the previous
            output (False).

    Call arguments: `sequences`, `initial_state` (a list of arrays, one per state), `mask`
    (boolean `(batch, timesteps)`, True = keep), `training`.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        super().__init__(**kwargs)
        _check_cell(cell, f"{type(self).__name__} {self.name!r}")
        state_size = cell.state_size
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError(
                f"{type(self).__name__} {self.name!r}: the cell's `state_size` must be an int or "
                f"a list/tuple of ints (one per state), got {state_size!r}."
            )
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)
        self.supports_masking = True
        self.states = None

    # -- building ---------------------------------------------------------------------------
    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        self._check_rank(sequences_shape)
        step_shape = (sequences_shape[0],) + sequences_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            build_sublayer(self, self.cell, step_shape)
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                if sequences_shape[0] is None:
                    raise ValueError(
                        f"{type(self).__name__} layer {self.name!r} is stateful, so its batch "
                        "size must be fixed, but the input shape "
                        f"{sequences_shape} has none. Give the model's input a batch size "
                        "(`Input(shape, batch_size=...)`)."
                    )
                self._create_state_variables(sequences_shape[0])
        self.built = True

    def _check_rank(self, shape):
        if len(shape) < 3:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects sequences of rank 3 "
                f"(batch, timesteps, features), got an input of shape {tuple(shape)}."
            )

    def _create_state_variables(self, batch_size):
        zeros = self.get_initial_state(batch_size)
        self.states = jax.tree_util.tree_map(
            lambda value: Variable(value, trainable=False, dtype=self.dtype, name="rnn_state"),
            zeros,
        )

    @property
    def variables(self):
        # The stateful states travel with the other variables through a compiled step, but are
        # no weights (Keras neither returns nor saves them).
        variables = super().variables
        if self.states is not None:
            variables += jax.tree_util.tree_leaves(self.states)
        return variables

    def get_initial_state(self, batch_size):
        """The zero states for `batch_size` sequences (a list; nested for stacked cells)."""
        return initial_state_of(self.cell, batch_size, self.compute_dtype)

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        """Zero the states of a stateful layer."""
        if self.states is not None:
            for variable in jax.tree_util.tree_leaves(self.states):
                variable.assign(jnp.zeros(variable.shape, variable.dtype))

    # -- calling ----------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        self._check_rank(sequences.shape)
        batch_size = sequences.shape[0]
        if self.stateful and self.states is not None:
            expected = jax.tree_util.tree_leaves(self.states)[0].shape[0]
            if batch_size != expected:
                raise ValueError(
                    f"{type(self).__name__} layer {self.name!r} is stateful with batch size "
                    f"{expected}, but received sequences of shape {tuple(sequences.shape)}. A "
                    "stateful layer needs the same batch size on every call."
                )
        states = self._initial_states(sequences, initial_state)
        mask = self._checked_mask(mask, sequences)
        if training:
            step_shape = (batch_size, *sequences.shape[2:])
            prepare_dropout_masks(self.cell, step_shape, states, sequences.dtype)
        try:
            last_output, outputs, final_states = scan_over_time(
                lambda inputs, step_states: call_cell(self.cell, inputs, step_states, training),
                sequences,
                states,
                mask=mask,
                go_backwards=self.go_backwards,
                unroll=self.unroll,
                zero_output_for_mask=self.zero_output_for_mask,
            )
        finally:
            clear_dropout_masks(self.cell)
        if self.stateful:
            for variable, value in zip(
                jax.tree_util.tree_leaves(self.states), jax.tree_util.tree_leaves(final_states)
            ):
                variable.assign(value)
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *final_states)
        return output

    def _initial_states(self, sequences, initial_state):
        batch_size = sequences.shape[0]
        if initial_state is None:
            if self.stateful and self.states is not None:
                return jax.tree_util.tree_map(lambda v: v.value, self.states)
            return self.get_initial_state(batch_size)
        zeros = self.get_initial_state(batch_size)
        expected = jax.tree_util.tree_leaves(zeros)
        given = jax.tree_util.tree_leaves(initial_state, is_leaf=lambda v: isinstance(v, Variable))
        given = [jnp.asarray(v.value if isinstance(v, Variable) else v) for v in given]
        if len(given) != len(expected) or any(
            tuple(g.shape) != tuple(e.shape) for g, e in zip(given, expected)
        ):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: `initial_state` must hold "
                f"{len(expected)} array(s) of shapes {[tuple(e.shape) for e in expected]} for "
                f"sequences of shape {tuple(sequences.shape)}, got shapes "
                f"{[tuple(g.shape) for g in given]}."
            )
        given = [g.astype(e.dtype) for g, e in zip(given, expected)]
        return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(zeros), given)

    def _checked_mask(self, mask, sequences):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is None:
            return None
        mask = jnp.asarray(mask)
        if tuple(mask.shape) != tuple(sequences.shape[:2]):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: the mask must have the shape "
                f"(batch, timesteps) = {tuple(sequences.shape[:2])} of the sequences "
                f"{tuple(sequences.shape)}, got a mask of shape {tuple(mask.shape)}."
            )
        return mask

    def compute_mask(self, inputs, previous_mask):
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0] if previous_mask else None
        output_mask = previous_mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch_size, timesteps = sequences_shape[0], sequences_shape[1]
        output_size = output_size_of(self.cell)
        output_shape = (
            (batch_size, timesteps, output_size)
            if self.return_sequences
            else (batch_size, output_size)
        )
        if not self.return_state:
            return output_shape
        return (output_shape, *[(batch_size, size) for size in self.state_size])

    # -- config -----------------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "cell": serialize_keras_object(self.cell),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = deserialize_keras_object(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def _cell_attribute(name):
    """A read-only property of the layer that reads the same-named attribute of its cell."""
    return property(lambda self: getattr(self.cell, name), doc=f"The cell's `{name}`.")


_CELL_OPTIONS = (
    "units",
    "activation",
    "use_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
)


# The arguments of a built-in recurrent layer that configure the loop over time, not the cell.
_LAYER_ARGUMENTS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
# What `locals()` holds besides the named arguments, and `use_cudnn`, which the layer keeps.
_NOT_FORWARDED = ("self", "kwargs", "__class__", "use_cudnn")


class _BuiltInRNN(RNN):
    """What SimpleRNN, LSTM and GRU share: the cell built from the layer's own arguments, the
    cell's options readable on the layer, and a config that lists them instead of the cell."""

    # The cell class and the cell options the layer's config lists after `units`, in Keras's
    # order.
    cell_class = None

    def __init__(self, arguments, **kwargs):
        """`arguments`: the subclass's named `__init__` arguments (its `locals()`), split here
        between the layer (`_LAYER_ARGUMENTS`, `activity_regularizer`) and the cell (the rest),
        so that each subclass states its Keras signature once and forwards nothing by hand."""
        cell_arguments = {
            key: value for key, value in arguments.items() if key not in _NOT_FORWARDED
        }
        rnn_arguments = {
            key: cell_arguments.pop(key) for key in _LAYER_ARGUMENTS if key in cell_arguments
        }
        activity_regularizer = cell_arguments.pop("activity_regularizer", None)
        cell = self.cell_class(
            **cell_arguments,
            dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True),
            name=self.cell_name,
        )
        super().__init__(cell, **rnn_arguments, activity_regularizer=activity_regularizer, **kwargs)

    # The rank of the sequences the layer reads: (batch, timesteps, features).
    sequence_rank = 3
    sequence_axes = "(batch, timesteps, features)"

    def _check_rank(self, shape):
        if len(shape) != self.sequence_rank:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} expects sequences of rank "
                f"{self.sequence_rank} {self.sequence_axes}, got an input of shape "
                f"{tuple(shape)}."
            )

    def _cell_config(self):
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype", "seed"):
            cell_config.pop(key, None)
        return cell_config

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self._cell_config()
        ordered = {}
        for key in self.config_order:
            if key == "activity_regularizer":
                ordered[key] = serialize_keras_object(self.activity_regularizer)
            else:
                ordered[key] = cell_config[key]
        config.pop("activity_regularizer", None)
        config.update(ordered)
        if self.config_has_seed:
            config["seed"] = self.cell.seed
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


for _name in _CELL_OPTIONS:
    setattr(_BuiltInRNN, _name, _cell_attribute(_name))

_COMMON_ORDER = (
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
)
_PENALTIES_ORDER = (
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
    "dropout",
    "recurrent_dropout",
)


class SimpleRNN(_BuiltInRNN):
    """Fully-connected RNN whose output is fed back as its input (`SimpleRNNCell` over time).

    Args:
        units: dimensionality of the output space.
        activation: default "tanh".
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed: as `SimpleRNNCell` (and `Layer` for the activity one).
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    config_order = ("units", "activation", "use_bias", *_COMMON_ORDER, *_PENALTIES_ORDER)
    # Keras 3 leaves the seed out of SimpleRNN's config (not of the cell's).
    config_has_seed = False

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(locals(), **kwargs)


class LSTM(_BuiltInRNN):
    """Long Short-Term Memory layer (Hochreiter 1997): `LSTMCell` over time.

    Args:
        units: dimensionality of the output space.
        activation: default "tanh".
        recurrent_activation: default "sigmoid".
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            unit_forget_bias, kernel_regularizer, recurrent_regularizer, bias_regularizer,
            activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
            dropout, recurrent_dropout, seed: as `LSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: "auto", True or False; accepted for compatibility (jeras's loop is one
            XLA scan on every device).
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"
    config_order = (
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        *_COMMON_ORDER,
        "unit_forget_bias",
        *_PENALTIES_ORDER,
    )
    config_has_seed = True

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(locals(), **kwargs)
        self.use_cudnn = _checked_use_cudnn(self, use_cudnn)

    recurrent_activation = _cell_attribute("recurrent_activation")
    unit_forget_bias = _cell_attribute("unit_forget_bias")


class GRU(_BuiltInRNN):
    """Gated Recurrent Unit (Cho et al. 2014): `GRUCell` over time.

    Args:
        units: dimensionality of the output space.
        activation: default "tanh".
        recurrent_activation: default "sigmoid".
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer,
            kernel_constraint, recurrent_constraint, bias_constraint, dropout,
            recurrent_dropout, seed, reset_after: as `GRUCell`.
        return_sequences, return_state, go_backwards, stateful, unroll: as `RNN`.
        use_cudnn: "auto", True or False; accepted for compatibility.
    """

    cell_class = GRUCell
    cell_name = "gru_cell"
    config_order = (
        "units",
        "activation",
        "recurrent_activation",
        "use_bias",
        *_COMMON_ORDER,
        *_PENALTIES_ORDER,
        "reset_after",
    )
    config_has_seed = True

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
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(locals(), **kwargs)
        self.use_cudnn = _checked_use_cudnn(self, use_cudnn)

    recurrent_activation = _cell_attribute("recurrent_activation")
    reset_after = _cell_attribute("reset_after")


def _checked_use_cudnn(layer, use_cudnn):
    if use_cudnn not in ("auto", True, False):
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: `use_cudnn` must be one of "
            f"'auto', True, False; got {use_cudnn!r}."
        )
    return use_cudnn
