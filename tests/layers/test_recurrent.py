"""The recurrent layers against real Keras 3 with the same weights: SimpleRNN, LSTM, GRU and
their cells, RNN over custom and stacked cells, Bidirectional and TimeDistributed. Forward
outputs and states (masks, go_backwards, unroll, initial_state, return_state), dropout with the
same masks, stateful layers, training steps, configs, `.keras` files both ways, bad input."""

import io
import json
import zipfile

import h5py
import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, matmul_tolerance

import jeras
from jeras.layers import recurrent as jeras_recurrent

RNG = np.random.default_rng(11)
TOLERANCE = matmul_tolerance(atol=1e-5, rtol=1e-5)
BATCH, TIMESTEPS, FEATURES, UNITS = 3, 5, 4, 3


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _mask():
    """Keeps most steps; masks a tail, a first step and a middle step."""
    mask = np.ones((BATCH, TIMESTEPS), bool)
    mask[0, 3:] = False
    mask[1, 0] = False
    mask[2, 2] = False
    return mask


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _flat(outputs):
    """Outputs and states as one flat list of arrays (stacked cells nest their states)."""
    flat = []
    for value in _as_list(outputs):
        if isinstance(value, (list, tuple)):
            flat.extend(_flat(value))
        else:
            flat.append(np.asarray(value))
    return flat


def _same_weights(k_layer, j_layer, shape, scale=0.5):
    """Build both on `shape`, give both the same random weights (biases too)."""
    k_layer.build(shape)
    j_layer.build(shape)
    weights = [scale * _x(*w.shape) for w in k_layer.get_weights()]
    assert [tuple(w.shape) for w in j_layer.get_weights()] == [w.shape for w in weights]
    k_layer.set_weights(weights)
    j_layer.set_weights(weights)
    return weights


def _compare_call(k_layer, j_layer, x, **call_kwargs):
    k_out = _flat(k_layer(x, **call_kwargs))
    j_out = _flat(j_layer(x, **call_kwargs))
    assert [o.shape for o in j_out] == [o.shape for o in k_out]
    assert_close(j_out, k_out, **TOLERANCE)
    return j_out


def _pair(class_name, *args, **kwargs):
    return (
        getattr(keras.layers, class_name)(*args, **kwargs),
        getattr(jeras.layers, class_name)(*args, **kwargs),
    )


LAYER_VARIANTS = {
    "SimpleRNN": {},
    "LSTM": {},
    "LSTM-no-forget-bias-relu": dict(unit_forget_bias=False, activation="relu", use_bias=False),
    "GRU": {},
    "GRU-reset-before": dict(reset_after=False),
    "GRU-no-bias-hard-sigmoid": dict(use_bias=False, recurrent_activation="hard_sigmoid"),
}
CALL_OPTIONS = {
    "last": {},
    "sequences": dict(return_sequences=True),
    "backwards-states": dict(go_backwards=True, return_state=True, return_sequences=True),
    "backwards-last-state": dict(go_backwards=True, return_state=True),
    "unrolled": dict(unroll=True, return_sequences=True, return_state=True),
    "unrolled-backwards": dict(unroll=True, go_backwards=True),
}
# Every variant with two or three call options, every option with two or more variants (Keras
# compiles its loop afresh on each eager call, so the full product would be slow).
COMBINATIONS = [
    ("SimpleRNN", "sequences"),
    ("SimpleRNN", "backwards-last-state"),
    ("SimpleRNN", "unrolled"),
    ("LSTM", "last"),
    ("LSTM", "backwards-states"),
    ("LSTM", "unrolled-backwards"),
    ("LSTM-no-forget-bias-relu", "sequences"),
    ("LSTM-no-forget-bias-relu", "unrolled"),
    ("GRU", "backwards-states"),
    ("GRU", "unrolled"),
    ("GRU-reset-before", "last"),
    ("GRU-reset-before", "backwards-last-state"),
    ("GRU-reset-before", "unrolled-backwards"),
    ("GRU-no-bias-hard-sigmoid", "sequences"),
    ("GRU-no-bias-hard-sigmoid", "backwards-states"),
]


@pytest.mark.parametrize("variant, options", COMBINATIONS)
def test_layer_matches_keras(variant, options):
    class_name = variant.split("-")[0]
    kwargs = {**LAYER_VARIANTS[variant], **CALL_OPTIONS[options]}
    k_layer, j_layer = _pair(class_name, UNITS, **kwargs)
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_layer, j_layer, x.shape)
    unmasked = _compare_call(k_layer, j_layer, x)
    masked = _compare_call(k_layer, j_layer, x, mask=_mask())
    # The mask changes the result (so the comparison above could fail).
    assert any(not np.allclose(a, b) for a, b in zip(masked, unmasked))


def test_masked_steps_keep_state_and_previous_output():
    # NumPy oracle for the semantics themselves: a masked step repeats the previous output and
    # keeps the state; a masked first step outputs the initial state (zeros).
    layer = jeras.layers.SimpleRNN(2, return_sequences=True, activation=None, use_bias=False)
    layer.build((1, 3, 1))
    layer.set_weights([np.array([[1.0, 2.0]], "float32"), np.eye(2, dtype="float32")])
    x = np.array([[[1.0], [5.0], [1.0]]], "float32")
    out = np.asarray(layer(x, mask=np.array([[False, True, False]])))
    np.testing.assert_allclose(out[0], [[0, 0], [5, 10], [5, 10]])
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out[0], [[1, 2], [6, 12], [7, 14]])


@pytest.mark.parametrize("class_name", ["SimpleRNN", "LSTM", "GRU"])
def test_initial_state_matches_keras(class_name):
    k_layer, j_layer = _pair(class_name, UNITS, return_state=True, return_sequences=True)
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_layer, j_layer, x.shape)
    count = 2 if class_name == "LSTM" else 1
    states = [_x(BATCH, UNITS) for _ in range(count)]
    _compare_call(k_layer, j_layer, x, initial_state=states, mask=_mask())


# -- cells inside RNN ------------------------------------------------------------------------
def _define_minimal_cell(lib):
    """The custom cell of Keras's RNN docstring, defined for one library."""

    class MinimalRNNCell(lib.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), name="recurrent_kernel"
            )

        def call(self, inputs, states):
            prev_output = states[0]
            h = lib.ops.matmul(inputs, self.kernel)
            output = h + lib.ops.matmul(prev_output, self.recurrent_kernel)
            return output, [output]

    return MinimalRNNCell


def _cells(lib, kind):
    if kind == "lstm_cell":
        return lib.layers.LSTMCell(UNITS)
    if kind == "gru_cell":
        return lib.layers.GRUCell(UNITS, reset_after=False)
    if kind == "custom":
        return _define_minimal_cell(lib)(UNITS)
    if kind == "stacked":
        return [
            lib.layers.SimpleRNNCell(4),
            lib.layers.LSTMCell(UNITS),
            lib.layers.GRUCell(2),
        ]
    if kind == "stacked_object":
        return lib.layers.StackedRNNCells([lib.layers.GRUCell(2), lib.layers.LSTMCell(UNITS)])
    if kind == "stacked_custom":
        return [_define_minimal_cell(lib)(2), lib.layers.LSTMCell(UNITS)]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["lstm_cell", "gru_cell", "custom", "stacked", "stacked_object", "stacked_custom"]
)
@pytest.mark.parametrize(
    "options",
    [
        dict(return_sequences=True, return_state=True),
        dict(go_backwards=True, return_state=True),
    ],
    ids=["forward", "backwards"],
)
def test_rnn_over_cells_matches_keras(kind, options):
    k_layer = keras.layers.RNN(_cells(keras, kind), **options)
    j_layer = jeras.layers.RNN(_cells(jeras, kind), **options)
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_layer, j_layer, x.shape)
    _compare_call(k_layer, j_layer, x)
    if kind != "stacked_custom":
        # (Keras's scan takes the first state as the previous output when the first cell's
        # state is a bare array, which fails for this stack.)
        _compare_call(k_layer, j_layer, x, mask=_mask())


def test_cells_called_alone_match_keras():
    x, h, c = _x(BATCH, FEATURES), _x(BATCH, UNITS), _x(BATCH, UNITS)
    for class_name, states in [
        ("SimpleRNNCell", [h]),
        ("LSTMCell", [h, c]),
        ("GRUCell", [h]),
    ]:
        k_cell, j_cell = _pair(class_name, UNITS)
        _same_weights(k_cell, j_cell, x.shape)
        k_out, k_states = k_cell(x, states)
        j_out, j_states = j_cell(x, states)
        assert_close(_flat([j_out, j_states]), _flat([k_out, k_states]), **TOLERANCE)


def test_weight_names_paths_and_order_as_keras():
    for class_name, kwargs in [
        ("SimpleRNN", {}),
        ("LSTM", {}),
        ("GRU", {}),
        ("GRU", {"reset_after": False}),
    ]:
        k_layer = getattr(keras.layers, class_name)(UNITS, name="r", **kwargs)
        j_layer = getattr(jeras.layers, class_name)(UNITS, name="r", **kwargs)
        k_layer.build((None, TIMESTEPS, FEATURES))
        j_layer.build((None, TIMESTEPS, FEATURES))
        assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]
        assert [tuple(w.shape) for w in j_layer.weights] == [
            tuple(w.shape) for w in k_layer.weights
        ]
    # LSTM's unit_forget_bias: ones for the forget gate only.
    lstm = jeras.layers.LSTM(2)
    lstm.build((None, 3, 1))
    np.testing.assert_array_equal(np.asarray(lstm.cell.bias.value), [0, 0, 1, 1, 0, 0, 0, 0])


# -- dropout ---------------------------------------------------------------------------------
def _draw_like_keras(rate, shape, count):
    def one():
        keep = RNG.random(shape) >= rate
        return (keep / (1.0 - rate)).astype("float32")

    return one() if count is None else [one() for _ in range(count)]


@pytest.mark.parametrize(
    "class_name, dropout, recurrent_dropout",
    [
        ("SimpleRNN", 0.3, 0.4),
        ("LSTM", 0.3, 0.0),
        ("LSTM", 0.3, 0.4),
        ("GRU", 0.3, 0.0),
        ("GRU", 0.0, 0.4),
        ("GRU", 0.3, 0.4),
    ],
)
def test_dropout_with_the_same_masks_matches_keras(
    class_name, dropout, recurrent_dropout, monkeypatch
):
    kwargs = dict(dropout=dropout, recurrent_dropout=recurrent_dropout, return_sequences=True)
    k_layer, j_layer = _pair(class_name, UNITS, **kwargs)
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_layer, j_layer, x.shape)
    count = k_layer.cell.__dict__.get("dropout_mask_count")
    input_mask = _draw_like_keras(dropout, (BATCH, FEATURES), count) if dropout else None
    state_mask = (
        _draw_like_keras(recurrent_dropout, (BATCH, UNITS), count) if recurrent_dropout else None
    )
    # Keras reuses masks already set on its cell for the whole sequence.
    k_layer.cell._dropout_mask = input_mask
    k_layer.cell._recurrent_dropout_mask = state_mask
    k_out = np.asarray(k_layer(x, training=True))

    def given_masks(cell, step_input_shape, states, dtype):
        cell._dropout_mask, cell._recurrent_dropout_mask = input_mask, state_mask

    monkeypatch.setattr(jeras_recurrent, "prepare_dropout_masks", given_masks)
    j_out = np.asarray(j_layer(x, training=True))
    assert_close(j_out, k_out, **TOLERANCE)
    # Not training: no dropout at all, as Keras.
    _compare_call(k_layer, j_layer, x, training=False)
    assert not np.allclose(j_out, np.asarray(j_layer(x, training=False)))


def test_dropout_masks_are_drawn_once_per_sequence():
    # Input dropout with an identity kernel and no recurrence: every step's output is
    # tanh(mask * x_t), so a mask fixed over time shows as the same zero pattern at each step.
    layer = jeras.layers.SimpleRNN(6, dropout=0.5, return_sequences=True, seed=3, use_bias=False)
    layer.build((4, 7, 6))
    layer.set_weights([np.eye(6, dtype="float32"), np.zeros((6, 6), "float32")])
    x = np.ones((4, 7, 6), "float32")
    out = np.asarray(layer(x, training=True))
    dropped = out == 0
    assert dropped.any() and not dropped.all()
    assert (dropped == dropped[:, :1]).all()
    np.testing.assert_allclose(out[~dropped], np.tanh(2.0), rtol=1e-6)
    again = np.asarray(layer(x, training=True))
    assert not np.array_equal(again == 0, dropped), "a new sequence draws new masks"


# -- stateful ----------------------------------------------------------------------------------
@pytest.mark.parametrize("class_name", ["LSTM", "GRU"])
def test_stateful_across_batches_and_reset(class_name):
    k_layer, j_layer = _pair(class_name, UNITS, stateful=True, return_sequences=True)
    batches = [_x(BATCH, TIMESTEPS, FEATURES) for _ in range(3)]
    _same_weights(k_layer, j_layer, batches[0].shape)
    for x in batches[:2]:
        _compare_call(k_layer, j_layer, x)
    assert j_layer.states is not None
    assert j_layer.weights == j_layer.trainable_weights, "states are no weights"
    k_layer.reset_states()
    j_layer.reset_states()
    for leaf in j_layer.states:
        np.testing.assert_array_equal(np.asarray(leaf.value), 0.0)
    _compare_call(k_layer, j_layer, batches[2])


def _stateful_model(lib):
    inputs = lib.Input((TIMESTEPS, FEATURES), batch_size=4)
    hidden = lib.layers.LSTM(UNITS, stateful=True)(inputs)
    return lib.Model(inputs, lib.layers.Dense(1)(hidden))


def _keras_with_explicit_states():
    """Keras's LSTM with the states as inputs and outputs. (Keras 3.15 on JAX does not carry a
    stateful layer's states through its compiled fit step: its `fit` trains as if
    stateful=False. The oracle therefore carries them by hand.)"""
    inputs = keras.Input((TIMESTEPS, FEATURES))
    h0, c0 = keras.Input((UNITS,)), keras.Input((UNITS,))
    hidden, h, c = keras.layers.LSTM(UNITS, return_state=True)(inputs, initial_state=[h0, c0])
    return keras.Model([inputs, h0, c0], [keras.layers.Dense(1)(hidden), h, c])


@pytest.mark.slow
def test_stateful_model_trains_with_states_carried_across_batches():
    # The states flow from batch to batch (and epoch to epoch) inside the compiled fit step.
    k_model = _keras_with_explicit_states()
    j_model = _stateful_model(jeras)
    j_model.set_weights(k_model.get_weights())
    x, y = _x(12, TIMESTEPS, FEATURES), _x(12, 1)
    k_model.compile(optimizer=keras.optimizers.SGD(0.05), loss=["mse", None, None])
    h = c = np.zeros((4, UNITS), "float32")
    expected_losses = []
    for _ in range(2):
        losses = []
        for start in range(0, 12, 4):
            batch = [x[start : start + 4], h, c]
            _, h, c = (np.asarray(v) for v in k_model(batch))
            losses.append(np.ravel(k_model.train_on_batch(batch, y[start : start + 4]))[0])
        expected_losses.append(np.mean(losses))
    j_model.compile(optimizer=jeras.optimizers.SGD(0.05), loss="mse")
    j_hist = j_model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(j_hist["loss"], expected_losses, rtol=1e-5)
    assert_close(j_model.get_weights(), k_model.get_weights(), **TOLERANCE)
    j_states = [np.asarray(v.value) for v in j_model.layers[1].states]
    assert_close(j_states, [h, c], **TOLERANCE)
    j_model.layers[1].reset_states()
    zeros = np.zeros((4, UNITS), "float32")
    k_out = np.asarray(k_model([x[:4], zeros, zeros])[0])
    assert_close(as_numpy(j_model.predict(x[:4], batch_size=4, verbose=0)), k_out, **TOLERANCE)


# -- Bidirectional -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "merge_mode, options",
    [
        ("concat", dict(return_sequences=True)),
        ("concat", dict(return_state=True)),
        ("sum", dict(return_sequences=True)),
        ("mul", dict(return_state=True)),
        ("ave", dict(return_sequences=True, return_state=True)),
        (None, dict(return_sequences=True)),
        (None, dict(return_state=True)),
    ],
)
def test_bidirectional_matches_keras(merge_mode, options):
    k_layer, j_layer = (
        lib.layers.Bidirectional(
            lib.layers.LSTM(UNITS, name="seq", **options), merge_mode=merge_mode, name="bi"
        )
        for lib in (keras, jeras)
    )
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_layer, j_layer, x.shape)
    assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]
    _compare_call(k_layer, j_layer, x)
    _compare_call(k_layer, j_layer, x, mask=_mask())


def test_bidirectional_backward_layer_and_initial_state_match_keras():
    def build(lib):
        return lib.layers.Bidirectional(
            lib.layers.GRU(UNITS, return_sequences=True, return_state=True),
            backward_layer=lib.layers.SimpleRNN(
                UNITS, go_backwards=True, return_sequences=True, return_state=True
            ),
        )

    k_layer, j_layer = build(keras), build(jeras)
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_layer, j_layer, x.shape)
    states = [_x(BATCH, UNITS), _x(BATCH, UNITS)]
    _compare_call(k_layer, j_layer, x, initial_state=states, mask=_mask())
    assert j_layer.get_config()["backward_layer"]["class_name"] == "SimpleRNN"


def test_bidirectional_bad_arguments():
    with pytest.raises(ValueError, match="merge_mode"):
        jeras.layers.Bidirectional(jeras.layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="opposite directions"):
        jeras.layers.Bidirectional(jeras.layers.LSTM(2), backward_layer=jeras.layers.LSTM(2))
    with pytest.raises(ValueError, match="return_sequences"):
        jeras.layers.Bidirectional(
            jeras.layers.LSTM(2),
            backward_layer=jeras.layers.LSTM(2, go_backwards=True, return_sequences=True),
        )


# -- TimeDistributed ---------------------------------------------------------------------------
def test_time_distributed_matches_keras():
    k_layer = keras.layers.TimeDistributed(keras.layers.Dense(3, activation="relu"))
    j_layer = jeras.layers.TimeDistributed(jeras.layers.Dense(3, activation="relu"))
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_layer, j_layer, x.shape)
    _compare_call(k_layer, j_layer, x)
    k_conv = keras.layers.TimeDistributed(keras.layers.Conv1D(2, 3, padding="same"))
    j_conv = jeras.layers.TimeDistributed(jeras.layers.Conv1D(2, 3, padding="same"))
    x = _x(BATCH, TIMESTEPS, 6, 2)
    _same_weights(k_conv, j_conv, x.shape)
    _compare_call(k_conv, j_conv, x)
    # A layer with non-trainable weights runs step by step (its state would update per step).
    k_frozen = keras.layers.TimeDistributed(keras.layers.Dense(2, trainable=False))
    j_frozen = jeras.layers.TimeDistributed(jeras.layers.Dense(2, trainable=False))
    x = _x(BATCH, TIMESTEPS, FEATURES)
    _same_weights(k_frozen, j_frozen, x.shape)
    assert j_frozen.layer.non_trainable_weights
    _compare_call(k_frozen, j_frozen, x)
    with pytest.raises(ValueError, match="rank 3 or more"):
        jeras.layers.TimeDistributed(jeras.layers.Dense(2))(np.zeros((2, 3), "float32"))


# -- training ----------------------------------------------------------------------------------
def _sequence_model(lib):
    inputs = lib.Input((TIMESTEPS, FEATURES))
    hidden = lib.layers.Bidirectional(lib.layers.GRU(4, return_sequences=True), merge_mode="sum")(
        inputs
    )
    hidden = lib.layers.TimeDistributed(lib.layers.Dense(3))(hidden)
    hidden = lib.layers.RNN([lib.layers.SimpleRNNCell(3), lib.layers.LSTMCell(2)])(hidden)
    return lib.Model(inputs, lib.layers.Dense(1)(hidden))


@pytest.mark.slow
def test_training_steps_match_keras():
    k_model = _sequence_model(keras)
    j_model = _sequence_model(jeras)
    j_model.set_weights(k_model.get_weights())
    for lib, model in ((keras, k_model), (jeras, j_model)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse")
    x, y = _x(20, TIMESTEPS, FEATURES), _x(20, 1)
    k_hist = k_model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    j_hist = j_model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(j_hist["loss"], k_hist["loss"], rtol=1e-5)
    assert_close(
        j_model.get_weights(), k_model.get_weights(), **matmul_tolerance(atol=1e-5, rtol=1e-4)
    )


# -- ConvLSTM ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "class_name, shape, kwargs",
    [
        (
            "ConvLSTM1D",
            (2, 4, 7, 3),
            dict(filters=2, kernel_size=3, padding="same", return_sequences=True),
        ),
        (
            "ConvLSTM2D",
            (2, 3, 5, 6, 2),
            dict(
                filters=2, kernel_size=(2, 3), strides=(2, 1), return_state=True, go_backwards=True
            ),
        ),
        (
            "ConvLSTM2D",
            (2, 3, 2, 5, 6),
            dict(
                filters=3,
                kernel_size=2,
                data_format="channels_first",
                dilation_rate=2,
                return_sequences=True,
            ),
        ),
        (
            "ConvLSTM3D",
            (2, 3, 4, 3, 4, 2),
            dict(filters=2, kernel_size=2, padding="same", unit_forget_bias=False),
        ),
    ],
)
def test_conv_lstm_matches_keras(class_name, shape, kwargs):
    # (No masks: Keras's loop cannot broadcast a mask against a ConvLSTM's spatial states.)
    k_layer, j_layer = _pair(class_name, **kwargs)
    x = _x(*shape)
    _same_weights(k_layer, j_layer, x.shape)
    assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]
    _compare_call(k_layer, j_layer, x)
    k_config, j_config = k_layer.get_config(), j_layer.get_config()
    assert json.dumps(j_config, sort_keys=True) == json.dumps(k_config, sort_keys=True)
    assert list(j_config) == list(k_config)


def test_conv_lstm_dropout_with_the_same_masks_matches_keras(monkeypatch):
    kwargs = dict(filters=2, kernel_size=3, padding="same", dropout=0.3, recurrent_dropout=0.4)
    k_layer, j_layer = _pair("ConvLSTM1D", **kwargs)
    x = _x(BATCH, TIMESTEPS, 6, 2)
    _same_weights(k_layer, j_layer, x.shape)
    input_mask = _draw_like_keras(0.3, (BATCH, 6, 2), 4)
    state_mask = _draw_like_keras(0.4, (BATCH, 6, 2), 4)
    k_layer.cell._dropout_mask = input_mask
    k_layer.cell._recurrent_dropout_mask = state_mask
    k_out = np.asarray(k_layer(x, training=True))

    def given_masks(cell, step_input_shape, states, dtype):
        assert tuple(step_input_shape) == (BATCH, 6, 2)
        cell._dropout_mask, cell._recurrent_dropout_mask = input_mask, state_mask

    monkeypatch.setattr(jeras_recurrent, "prepare_dropout_masks", given_masks)
    assert_close(np.asarray(j_layer(x, training=True)), k_out, **TOLERANCE)


# -- configs and files -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "class_name, kwargs",
    [
        ("SimpleRNN", dict(units=2, dropout=0.1, seed=4, kernel_regularizer="l2")),
        ("LSTM", dict(units=2, recurrent_dropout=0.2, unit_forget_bias=False, stateful=True)),
        ("GRU", dict(units=2, reset_after=False, go_backwards=True, return_state=True)),
        ("SimpleRNNCell", dict(units=2, seed=1)),
        ("LSTMCell", dict(units=2)),
        ("GRUCell", dict(units=2, reset_after=False)),
    ],
)
def test_config_as_keras(class_name, kwargs):
    k_layer, j_layer = _pair(class_name, **kwargs, name="r")
    k_config, j_config = k_layer.get_config(), j_layer.get_config()
    assert list(j_config) == list(k_config)
    assert json.dumps(j_config, sort_keys=True) == json.dumps(k_config, sort_keys=True)
    clone = type(j_layer).from_config(j_config)
    assert clone.get_config() == j_config


def _round_trip_model(lib):
    inputs = lib.Input((TIMESTEPS, FEATURES))
    hidden = lib.layers.Bidirectional(lib.layers.LSTM(3, return_sequences=True))(inputs)
    hidden = lib.layers.TimeDistributed(lib.layers.Dense(4))(hidden)
    hidden = lib.layers.GRU(3, return_sequences=True, reset_after=False)(hidden)
    hidden = lib.layers.SimpleRNN(2, return_sequences=True, go_backwards=True)(hidden)
    hidden = lib.layers.RNN(
        lib.layers.StackedRNNCells([lib.layers.GRUCell(2), lib.layers.LSTMCell(2)])
    )(hidden)
    return lib.Model(inputs, lib.layers.Dense(1)(hidden))


def _h5_layout(path):
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    layout = {}
    with h5py.File(io.BytesIO(data), "r") as h5:
        h5.visititems(lambda name, obj: layout.setdefault(name, getattr(obj, "shape", None)))
    return layout


@pytest.mark.slow
def test_keras_files_both_ways(tmp_path):
    x = _x(BATCH, TIMESTEPS, FEATURES)
    k_model = _round_trip_model(keras)
    k_model.set_weights([0.3 * _x(*w.shape) for w in k_model.get_weights()])
    k_path = str(tmp_path / "keras.keras")
    k_model.save(k_path)
    j_model = jeras.saving.load_model(k_path)
    assert_close(as_numpy(j_model.predict(x, verbose=0)), np.asarray(k_model(x)), **TOLERANCE)
    j_path = str(tmp_path / "jeras.keras")
    j_model.save(j_path)
    assert _h5_layout(j_path) == _h5_layout(k_path)
    k_reloaded = keras.saving.load_model(j_path)
    assert_close(np.asarray(k_reloaded(x)), np.asarray(k_model(x)), **TOLERANCE)

    j_fresh = _round_trip_model(jeras)
    fresh_path = str(tmp_path / "fresh.keras")
    j_fresh.save(fresh_path)
    k_fresh = keras.saving.load_model(fresh_path)
    assert_close(np.asarray(k_fresh(x)), as_numpy(j_fresh.predict(x, verbose=0)), **TOLERANCE)


# -- bad input ---------------------------------------------------------------------------------
def test_bad_input_errors_name_the_layer_and_shapes():
    layer = jeras.layers.LSTM(2, name="my_lstm")
    with pytest.raises(ValueError, match=r"my_lstm.*rank 3.*\(2, 5\)"):
        layer(np.zeros((2, 5), "float32"))
    layer = jeras.layers.GRU(2, name="my_gru")
    x = np.zeros((2, 5, 3), "float32")
    with pytest.raises(ValueError, match=r"my_gru.*initial_state.*\(2, 2\).*\(2, 4\)"):
        layer(x, initial_state=[np.zeros((2, 4), "float32")])
    with pytest.raises(ValueError, match=r"my_gru.*mask.*\(2, 5\)"):
        layer(x, mask=np.ones((2, 4), bool))
    stateful = jeras.layers.LSTM(2, stateful=True, name="my_stateful")
    with pytest.raises(ValueError, match=r"my_stateful.*batch size.*\(None, 5, 3\)"):
        stateful(jeras.Input((5, 3)))
    stateful = jeras.layers.LSTM(2, stateful=True, name="fixed")
    stateful(x)
    with pytest.raises(ValueError, match=r"fixed.*batch size 2.*\(3, 5, 3\)"):
        stateful(np.zeros((3, 5, 3), "float32"))

    class CellWithoutStateSize:
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match="state_size"):
        jeras.layers.RNN(CellWithoutStateSize())
    with pytest.raises(ValueError, match="units"):
        jeras.layers.LSTM(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        jeras.layers.GRU(2, use_cudnn="yes")
