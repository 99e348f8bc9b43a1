"""Convolutional LSTMs: `ConvLSTM1D`, `ConvLSTM2D`, `ConvLSTM3D` (Shi et al. 2015), an LSTM
whose input and recurrent transformations are convolutions, run over time like every RNN."""

import jax
import jax.numpy as jnp

from jeras import activations
from jeras.layers.convolution import (
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from jeras.layers.layer import Layer
from jeras.layers.recurrent import _BuiltInRNN, _cell_attribute
from jeras.layers.recurrent_cells import (
    UnitForgetBias,
    set_dropout_options,
    set_weight_options,
    weight_options_config,
)
from jeras.layers.recurrent_dropout import input_dropout_mask, recurrent_dropout_mask


class ConvLSTMCell(Layer):
    """One step of a convolutional LSTM over `rank` spatial dimensions (used by the ConvLSTM
    layers; gates input, forget, cell, output along the kernels' last axis).

    Args:
        rank: 1, 2 or 3 spatial dimensions.
        filters, kernel_size, strides, padding, data_format, dilation_rate: of the input
            convolution (the recurrent one has strides 1 and "same" padding).
        activation, recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, kernel_constraint, recurrent_constraint, bias_constraint,
            dropout, recurrent_dropout, seed: as `LSTMCell`.
    """

    rows_independent = True  # see Layer.rows_independent

    uses_dropout_masks = True
    dropout_mask_count = 4

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        super().__init__(**kwargs)
        if rank not in (1, 2, 3):
            raise ValueError(f"ConvLSTMCell: `rank` must be 1, 2 or 3, got {rank!r}.")
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ValueError(
                f"ConvLSTM {self.name!r}: `filters` must be a positive integer, got {filters!r}."
            )
        self.rank = rank
        self.filters = filters
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size", self.name)
        self.strides = standardize_tuple(strides, rank, "strides", self.name)
        self.padding = standardize_padding(padding, ("valid", "same"), self.name)
        self.data_format = standardize_data_format(data_format)
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate", self.name)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"ConvLSTM {self.name!r}: `strides > 1` cannot be combined with "
                f"`dilation_rate > 1`; got strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}."
            )
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        set_weight_options(self, locals())
        set_dropout_options(self, dropout, recurrent_dropout, seed)
        # The state's shape depends on the inputs' spatial shape: known once built.
        self.state_size = -1
        self.output_size = None

    @property
    def units(self):
        return self.filters

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        channels_last = self.data_format == "channels_last"
        self.spatial_dims = input_shape[1:-1] if channels_last else input_shape[2:]
        self.input_dim = input_shape[-1 if channels_last else 1]
        if None in self.spatial_dims or self.input_dim is None:
            raise ValueError(
                f"ConvLSTM {self.name!r} needs known spatial and channel dimensions, got a step "
                f"input shape {input_shape}."
            )
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.input_dim, 4 * self.filters),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, 4 * self.filters),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            bias_initializer = self.bias_initializer
            if self.unit_forget_bias:
                bias_initializer = UnitForgetBias(self.bias_initializer, self.filters)
            self.bias = self.add_weight(
                shape=(4 * self.filters,),
                name="bias",
                initializer=bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def call(self, inputs, states, training=False):
        h_tm1, c_tm1 = states[0], states[1]
        kernels = jnp.split(self.kernel.value, 4, axis=-1)
        recurrent_kernels = jnp.split(self.recurrent_kernel.value, 4, axis=-1)
        biases = jnp.split(self.bias.value, 4) if self.bias is not None else [None] * 4
        x = [inputs] * 4
        if training and 0.0 < self.dropout < 1.0:
            x = [inputs * mask for mask in input_dropout_mask(self, inputs)]
        h = [h_tm1] * 4
        if training and 0.0 < self.recurrent_dropout < 1.0:
            h = [h_tm1 * mask for mask in recurrent_dropout_mask(self, h_tm1)]
        z = [
            self._convolve(x_g, k, self.strides, self.padding, self.dilation_rate, b)
            + self._convolve(h_g, r, (1,) * self.rank, "same", (1,) * self.rank, None)
            for x_g, h_g, k, r, b in zip(x, h, kernels, recurrent_kernels, biases)
        ]
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = f * c_tm1 + i * self.activation(z[2])
        o = self.recurrent_activation(z[3])
        h = o * self.activation(c)
        return h, [h, c]

    def _convolve(self, x, kernel, strides, padding, dilation_rate, bias):
        spatial = "DHW"[-self.rank :] if self.rank > 1 else "W"
        layout = "N" + spatial + "C" if self.data_format == "channels_last" else "NC" + spatial
        out = jax.lax.conv_general_dilated(
            x,
            kernel.astype(x.dtype),
            window_strides=strides,
            padding=padding.upper(),
            rhs_dilation=dilation_rate,
            dimension_numbers=(layout, spatial + "IO", layout),
        )
        if bias is not None:
            if self.data_format == "channels_first":
                bias = bias.reshape((self.filters,) + (1,) * self.rank)
            out = out + bias
        return out

    def _state_shape(self, batch_size):
        sizes = []
        for size, k, s, d in zip(
            self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate
        ):
            span = d * (k - 1) + 1
            sizes.append((size - span) // s + 1 if self.padding == "valid" else -(-size // s))
        if self.data_format == "channels_last":
            return (batch_size, *sizes, self.filters)
        return (batch_size, self.filters, *sizes)

    def get_initial_state(self, batch_size=None):
        shape = self._state_shape(batch_size)
        return [jnp.zeros(shape, self.compute_dtype), jnp.zeros(shape, self.compute_dtype)]

    def get_config(self):
        config = weight_options_config(self)
        return {
            **super().get_config(),
            "rank": self.rank,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": config.pop("use_bias"),
            "unit_forget_bias": self.unit_forget_bias,
            **config,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class _ConvLSTM(_BuiltInRNN):
    """What ConvLSTM1D/2D/3D share; `rank` is the number of spatial dimensions."""

    rank = None
    cell_class = ConvLSTMCell
    cell_name = "conv_lstm_cell"
    config_order = (
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "activation",
        "recurrent_activation",
        "use_bias",
        "kernel_initializer",
        "recurrent_initializer",
        "bias_initializer",
        "unit_forget_bias",
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
    config_has_seed = True

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        **kwargs,
    ):
        super().__init__(dict(locals(), rank=self.rank), **kwargs)

    @property
    def sequence_rank(self):
        return self.rank + 3

    @property
    def sequence_axes(self):
        return "(batch, timesteps, *spatial, channels)"

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        state_shape = self.cell._state_shape(sequences_shape[0])
        output_shape = (
            (state_shape[0], sequences_shape[1], *state_shape[1:])
            if self.return_sequences
            else state_shape
        )
        if self.return_state:
            return (output_shape, state_shape, state_shape)
        return output_shape


for _name in (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "recurrent_activation",
    "unit_forget_bias",
):
    setattr(_ConvLSTM, _name, _cell_attribute(_name))


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over sequences of 1-D inputs `(batch, timesteps, steps, channels)`.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed: as `ConvLSTMCell`.
        return_sequences, return_state, go_backwards, stateful: as `RNN`.
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over sequences of images `(batch, timesteps, rows, cols, channels)`.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed: as `ConvLSTMCell`.
        return_sequences, return_state, go_backwards, stateful: as `RNN`.
    """

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """Convolutional LSTM over sequences of volumes `(batch, timesteps, d1, d2, d3, channels)`.

    Args:
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
            recurrent_activation, use_bias, kernel_initializer, recurrent_initializer,
            bias_initializer, unit_forget_bias, kernel_regularizer, recurrent_regularizer,
            bias_regularizer, activity_regularizer, kernel_constraint, recurrent_constraint,
            bias_constraint, dropout, recurrent_dropout, seed: as `ConvLSTMCell`.
        return_sequences, return_state, go_backwards, stateful: as `RNN`.
    """

    rank = 3
