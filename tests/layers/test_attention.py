"""The attention layers (`EinsumDense`, `MultiHeadAttention`, `GroupQueryAttention`,
`Attention`, `AdditiveAttention`) against real Keras 3 holding the same weights: outputs,
attention scores, every kind of mask, configs, weight order, training steps and `.keras` files
both ways; and the errors for inputs that cannot work.

Where Keras itself cannot compute a case (its fused attention refuses value heads wider than key
heads, and its `MultiHeadAttention` drops an explicit `query_mask` unless the query tensor
carries a Keras mask), the oracle is Keras computing the same thing another way, said at each
test.
"""

import io
import json
import zipfile

import h5py
import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, float32_normal, matmul_tolerance

import jeras

RNG = np.random.default_rng(5)
TOLERANCE = matmul_tolerance(atol=1e-5, rtol=1e-5)
BATCH, QUERY_LENGTH, VALUE_LENGTH, FEATURES = 2, 4, 5, 6


def _inputs(query_length=QUERY_LENGTH, value_length=VALUE_LENGTH, features=FEATURES):
    return (
        float32_normal(RNG, BATCH, query_length, features),
        float32_normal(RNG, BATCH, value_length, features),
    )


def _pair(cls_name, kwargs, *build_args, exported=None, **build_kwargs):
    """The Keras and jeras layers, built by one call on `build_args`, the jeras one holding
    Keras's weights (after a check that both list the same weight shapes in the same order)."""
    k_layer = getattr(keras.layers, exported or cls_name)(**kwargs)
    j_layer = getattr(jeras.layers, exported or cls_name)(**kwargs)
    k_layer(*build_args, **build_kwargs)
    j_layer(*build_args, **build_kwargs)
    assert [tuple(w.shape) for w in j_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]
    # Random values, not Keras's zero biases and unit scales, so that every weight matters.
    weights = [float32_normal(RNG, *w.shape, scale=0.5) for w in k_layer.weights]
    k_layer.set_weights(weights)
    j_layer.set_weights(weights)
    return k_layer, j_layer


def _random_mask(*shape, keep=0.7):
    mask = RNG.random(shape) < keep
    mask[..., 0] = True  # every row attends somewhere
    return mask


# -- EinsumDense --------------------------------------------------------------------------------
EINSUM_CASES = [
    ("ab,bc->ac", 5, "c", (3, 4)),
    ("abc,cd->abd", (3, 5), "d", (2, 3, 4)),
    ("abc,cde->abde", (3, 2, 5), "de", (2, 3, 4)),
    ("abc,cd->abd", (3, 5), "bd", (2, 3, 4)),
    ("...b,bc->...c", 5, "c", (2, 3, 4)),
    ("ab...,bc->ac...", (5,), "c", (2, 4, 3)),
    ("abc,cd->abd", (3, 5), None, (2, 3, 4)),
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, input_shape", EINSUM_CASES)
def test_einsum_dense_matches_keras(equation, output_shape, bias_axes, input_shape):
    x = float32_normal(RNG, *input_shape)
    kwargs = dict(
        equation=equation, output_shape=output_shape, bias_axes=bias_axes, activation="tanh"
    )
    k_layer, j_layer = _pair("EinsumDense", kwargs, x)
    assert_close(as_numpy(j_layer(x)), as_numpy(k_layer(x)), check_shape=True, **TOLERANCE)
    assert j_layer.get_config() == k_layer.get_config()
    revived = jeras.layers.EinsumDense.from_config(k_layer.get_config())
    assert revived.get_config() == k_layer.get_config()


def test_einsum_dense_kernel_initializer_counts_the_kernel_axes():
    # (input 4, heads 3, size 5): Glorot's limit sqrt(6 / (fan_in + fan_out)) with fan_in 4 and
    # fan_out 15, not the default fans of a 3-axis kernel (12 and 15).
    layer = jeras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 3, 5))
    layer(np.zeros((1, 2, 4), "float32"))
    limit = np.sqrt(6 / (4 + 15))
    kernel = np.asarray(layer.kernel.value)
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > np.sqrt(6 / (12 + 15))
    assert layer.kernel_initializer.get_config()["input_axes"] is None  # the user's object


@pytest.mark.parametrize(
    "kwargs, input_shape, message",
    [
        (dict(equation="ab->b", output_shape=3), (2, 4), "invalid equation"),
        (dict(equation="ab,bc->ac", output_shape=3, bias_axes="x"), (2, 4), "bias axes"),
        (dict(equation="abc,cd->abd", output_shape=(None, 3)), (2, 4), "names 3 axes"),
        (dict(equation="ab,bc->ac", output_shape=(3, 4)), (2, 4), "does not fit"),
        (dict(equation="ab,bcd->ac", output_shape=3), (2, 4), "kernel axis 'd'"),
    ],
)
def test_einsum_dense_bad_arguments(kwargs, input_shape, message):
    with pytest.raises(ValueError, match=message):
        jeras.layers.EinsumDense(**kwargs)(np.zeros(input_shape, "float32"))


# -- MultiHeadAttention --------------------------------------------------------------------------
MHA_LAYERS = {
    "basic": dict(num_heads=2, key_dim=3),
    "value_dim_output_shape": dict(num_heads=2, key_dim=3, value_dim=4, output_shape=7),
    "no_bias": dict(num_heads=3, key_dim=2, use_bias=False),
    "gate": dict(num_heads=2, key_dim=3, use_gate=True),
    "sliding_window": dict(num_heads=2, key_dim=3, sliding_window=2),
}
CALLS = {
    "plain": {},
    "scores": dict(return_attention_scores=True),
    "causal": dict(use_causal_mask=True),
    "causal_scores": dict(use_causal_mask=True, return_attention_scores=True),
    "attention_mask": "attention_mask",
    "attention_mask_causal_scores": "attention_mask_causal_scores",
    "key": "key",
}


def _call_kwargs(call, query, value):
    if isinstance(CALLS[call], dict):
        return dict(CALLS[call])
    if call == "key":
        return dict(key=float32_normal(RNG, value.shape[0], value.shape[1], 3))
    mask = _random_mask(query.shape[0], query.shape[1], value.shape[1])
    if call == "attention_mask":
        return dict(attention_mask=mask)
    return dict(attention_mask=mask, use_causal_mask=True, return_attention_scores=True)


def _keras_call(k_layer, query, value, kwargs, fused_unavailable):
    """Keras's result; where its fused attention cannot run (value heads wider than key
    heads), the same attention through its spelled-out path (which returns the scores)."""
    if fused_unavailable and not kwargs.get("return_attention_scores"):
        return k_layer(query, value, **kwargs, return_attention_scores=True)[0]
    return k_layer(query, value, **kwargs)


@pytest.mark.parametrize("layer_kind", list(MHA_LAYERS))
@pytest.mark.parametrize("call", list(CALLS))
def test_multi_head_attention_matches_keras(layer_kind, call):
    query, value = _inputs()
    kwargs = MHA_LAYERS[layer_kind]
    call_kwargs = _call_kwargs(call, query, value)
    # Built on the spelled-out path: Keras's fused one fails for value_dim != key_dim.
    k_layer, j_layer = _pair(
        "MultiHeadAttention",
        kwargs,
        query,
        value,
        key=call_kwargs.get("key"),
        return_attention_scores=True,
    )
    fused_unavailable = kwargs.get("value_dim", kwargs["key_dim"]) != kwargs["key_dim"]
    expected = as_numpy(_keras_call(k_layer, query, value, call_kwargs, fused_unavailable))
    got = as_numpy(j_layer(query, value, **call_kwargs))
    assert_close(got, expected, check_shape=True, **TOLERANCE)


def test_multi_head_attention_over_several_axes_matches_keras():
    # (batch, 3, 4, features) inputs: attention over axes 1 and 2 together, then over axis 2
    # alone (axis 1 becomes a batch axis).
    query = float32_normal(RNG, 2, 3, 4, 5)
    value = float32_normal(RNG, 2, 3, 4, 5)
    mask = _random_mask(2, 3, 4, 3, 4)
    for axes, call_kwargs in (((1, 2), dict(attention_mask=mask)), ((2,), {})):
        kwargs = dict(num_heads=2, key_dim=3, attention_axes=axes)
        k_layer, j_layer = _pair("MultiHeadAttention", kwargs, query, value)
        for scores in (False, True):
            expected = as_numpy(
                k_layer(query, value, return_attention_scores=scores, **call_kwargs)
            )
            got = as_numpy(j_layer(query, value, return_attention_scores=scores, **call_kwargs))
            assert_close(got, expected, check_shape=True, **TOLERANCE)
        assert j_layer.get_config() == k_layer.get_config()


def test_value_and_key_masks_match_keras():
    query, value = _inputs()
    key = float32_normal(RNG, BATCH, VALUE_LENGTH, 4)
    value_mask = _random_mask(BATCH, VALUE_LENGTH)
    key_mask = _random_mask(BATCH, VALUE_LENGTH)
    k_layer, j_layer = _pair("MultiHeadAttention", dict(num_heads=2, key_dim=3), query, value, key)
    for scores in (False, True):
        kwargs = dict(value_mask=value_mask, key_mask=key_mask, return_attention_scores=scores)
        assert_close(
            as_numpy(j_layer(query, value, key, **kwargs)),
            as_numpy(k_layer(query, value, key, **kwargs)),
            **TOLERANCE,
        )


def test_query_mask_matches_keras_masking_layer():
    # Keras reads the query mask from the query tensor's Keras mask (an explicit `query_mask`
    # is replaced by it), so Keras's masks come from a `Masking` layer here, and jeras takes the
    # same masks as arguments. Zeroed query rows are fully masked: on the spelled-out path
    # (scores returned) their probabilities are zero.
    query, value = _inputs()
    query[:, -1] = 0.0
    value[0, -2:] = 0.0
    query_mask, value_mask = np.any(query != 0, -1), np.any(value != 0, -1)
    for scores in (False, True):
        inputs = [keras.Input((QUERY_LENGTH, FEATURES)), keras.Input((VALUE_LENGTH, FEATURES))]
        masked = [keras.layers.Masking()(x) for x in inputs]
        k_mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
        k_model = keras.Model(inputs, k_mha(masked[0], masked[1], return_attention_scores=scores))
        j_mha = jeras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
        j_mha(query, value)
        j_mha.set_weights(k_mha.get_weights())
        expected = as_numpy(k_model([query, value]))
        got = as_numpy(
            j_mha(
                query,
                value,
                query_mask=query_mask,
                value_mask=value_mask,
                return_attention_scores=scores,
            )
        )
        assert_close(got, expected, **TOLERANCE)


# -- GroupQueryAttention --------------------------------------------------------------------------
GQA_LAYERS = {
    "grouped": dict(head_dim=3, num_query_heads=4, num_key_value_heads=2),
    "multi_query_no_bias": dict(
        head_dim=2, num_query_heads=3, num_key_value_heads=1, use_bias=False
    ),
    "gate_window": dict(
        head_dim=2, num_query_heads=2, num_key_value_heads=2, use_gate=True, sliding_window=2
    ),
}


@pytest.mark.parametrize("layer_kind", list(GQA_LAYERS))
@pytest.mark.parametrize("call", list(CALLS))
def test_group_query_attention_matches_keras(layer_kind, call):
    query, value = _inputs()
    call_kwargs = _call_kwargs(call, query, value)
    k_layer, j_layer = _pair(
        "GroupQueryAttention",
        GQA_LAYERS[layer_kind],
        query,
        value,
        key=call_kwargs.get("key"),
    )
    expected = as_numpy(k_layer(query, value, **call_kwargs))
    got = as_numpy(j_layer(query, value, **call_kwargs))
    assert_close(got, expected, check_shape=True, **TOLERANCE)
    masks = dict(value_mask=_random_mask(BATCH, VALUE_LENGTH), query_mask=_random_mask(BATCH, 4))
    if "key" in call_kwargs:
        masks["key"] = call_kwargs["key"]
    assert_close(
        as_numpy(j_layer(query, value, **masks)),
        as_numpy(k_layer(query, value, **masks)),
        **TOLERANCE,
    )


def test_group_query_attention_names_as_keras():
    keras.backend.clear_session()
    jeras.backend.clear_session()
    kwargs = GQA_LAYERS["grouped"]
    k_layer = keras.layers.GroupQueryAttention(**kwargs)
    j_layer = jeras.layers.GroupQueryAttention(**kwargs)
    assert j_layer.name == k_layer.name == "grouped_query_attention"
    assert j_layer.get_config() == k_layer.get_config()
    entry = jeras.saving.serialize_keras_object(j_layer)
    assert entry["class_name"] == "GroupQueryAttention"
    assert entry["module"] == "keras.layers"
    assert type(jeras.saving.deserialize_keras_object(entry)) is type(j_layer)


# -- Attention and AdditiveAttention --------------------------------------------------------------
DOT_LAYERS = [
    ("Attention", {}),
    ("Attention", dict(use_scale=True)),
    ("Attention", dict(score_mode="concat")),
    ("Attention", dict(use_scale=True, score_mode="concat")),
    ("AdditiveAttention", {}),
    ("AdditiveAttention", dict(use_scale=False)),
]


@pytest.mark.parametrize("cls_name, kwargs", DOT_LAYERS)
def test_dot_and_additive_attention_match_keras(cls_name, kwargs):
    query, value = _inputs()
    key = float32_normal(RNG, BATCH, VALUE_LENGTH, FEATURES)
    k_layer, j_layer = _pair(cls_name, kwargs, [query, value])
    masks = [_random_mask(BATCH, QUERY_LENGTH), _random_mask(BATCH, VALUE_LENGTH)]
    for inputs in ([query, value], [query, value, key]):
        for call_kwargs in (
            {},
            dict(mask=masks),
            dict(mask=[None, masks[1]]),
            dict(use_causal_mask=True),
            dict(mask=masks, use_causal_mask=True),
        ):
            for scores in (False, True):
                expected = k_layer(inputs, return_attention_scores=scores, **call_kwargs)
                got = j_layer(inputs, return_attention_scores=scores, **call_kwargs)
                assert_close(as_numpy(got), as_numpy(expected), check_shape=True, **TOLERANCE)
    assert j_layer.get_config() == k_layer.get_config()
    assert_close(
        as_numpy(j_layer.compute_mask([query, value], masks)),
        as_numpy(k_layer.compute_mask([query, value], masks)),
    )
    assert j_layer.compute_mask([query, value], None) is None


def test_attention_dropout_drops_probabilities_only_in_training():
    query, value = _inputs()
    layer = jeras.layers.Attention(dropout=0.5, seed=3)
    plain, probabilities = layer([query, value], return_attention_scores=True)
    _, trained_probabilities = layer([query, value], return_attention_scores=True, training=True)
    # The returned scores are the probabilities before dropout, as in Keras.
    assert_close(as_numpy(trained_probabilities), as_numpy(probabilities))
    dropped = as_numpy(layer([query, value], training=True))
    assert not np.allclose(dropped, as_numpy(plain))
    assert_close(as_numpy(layer([query, value], training=False)), as_numpy(plain))


# -- in models: symbolic shapes, training, files ------------------------------------------------
def _attention_model(lib):
    """Every layer of the family in one functional model, with an attention mask input."""
    query = lib.Input((QUERY_LENGTH, FEATURES), name="query")
    context = lib.Input((VALUE_LENGTH, FEATURES), name="context")
    allowed = lib.Input((QUERY_LENGTH, VALUE_LENGTH), name="allowed")
    x = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(
        query, context, attention_mask=allowed
    )
    x = lib.layers.GroupQueryAttention(3, 4, 2, name="gqa")(x, x, use_causal_mask=True)
    x = lib.layers.Attention(use_scale=True, name="dot")([x, context])
    x = lib.layers.AdditiveAttention(name="additive")([x, context])
    x = lib.layers.EinsumDense("abc,cd->abd", (QUERY_LENGTH, 2), bias_axes="d", name="proj")(x)
    x = lib.layers.Flatten()(x)
    return lib.Model([query, context, allowed], lib.layers.Dense(1)(x))


def _model_data(n=12):
    return [
        float32_normal(RNG, n, QUERY_LENGTH, FEATURES),
        float32_normal(RNG, n, VALUE_LENGTH, FEATURES),
        _random_mask(n, QUERY_LENGTH, VALUE_LENGTH).astype("float32"),
    ], float32_normal(RNG, n, 1)


def test_symbolic_outputs_and_scores_shapes():
    query = jeras.Input((QUERY_LENGTH, FEATURES))
    value = jeras.Input((VALUE_LENGTH, FEATURES))
    outputs, scores = jeras.layers.MultiHeadAttention(2, 3, output_shape=(7,))(
        query, value, return_attention_scores=True
    )
    assert outputs.shape == (None, QUERY_LENGTH, 7)
    assert scores.shape == (None, 2, QUERY_LENGTH, VALUE_LENGTH)
    outputs, scores = jeras.layers.GroupQueryAttention(2, 4, 2)(
        query, value, return_attention_scores=True
    )
    assert (outputs.shape, scores.shape) == (
        (None, QUERY_LENGTH, FEATURES),
        (None, 4, QUERY_LENGTH, VALUE_LENGTH),
    )
    outputs, scores = jeras.layers.Attention()([query, value], return_attention_scores=True)
    assert (outputs.shape, scores.shape) == (
        (None, QUERY_LENGTH, FEATURES),
        (None, QUERY_LENGTH, VALUE_LENGTH),
    )


@pytest.mark.slow
def test_training_steps_match_keras():
    """Three SGD steps through every layer of the family (masks included): losses and every
    weight after training as Keras's."""
    k_model = _attention_model(keras)
    j_model = _attention_model(jeras)
    j_model.set_weights(k_model.get_weights())
    x, y = _model_data()
    histories = []
    for lib, model in ((keras, k_model), (jeras, j_model)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        histories.append(model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0))
    np.testing.assert_allclose(
        histories[1].history["loss"], histories[0].history["loss"], **TOLERANCE
    )
    assert_close(j_model.get_weights(), k_model.get_weights(), **TOLERANCE)


def _h5_datasets(path):
    with zipfile.ZipFile(path) as archive:
        data = archive.read("model.weights.h5")
    found = {}
    with h5py.File(io.BytesIO(data), "r") as h5:
        h5.visititems(
            lambda name, obj: (
                found.__setitem__(name, obj.shape) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return found


def _config(path):
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "shared_object_id"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    with zipfile.ZipFile(path) as archive:
        return strip(json.loads(archive.read("config.json")))


@pytest.mark.slow
def test_keras_files_both_ways(tmp_path):
    keras.backend.clear_session()
    jeras.backend.clear_session()
    k_model = _attention_model(keras)
    j_model = _attention_model(jeras)
    j_model.set_weights([w * 1.5 for w in k_model.get_weights()])
    k_model.set_weights(j_model.get_weights())
    x, _ = _model_data(5)
    expected = as_numpy(k_model.predict(x, verbose=0))
    k_path, j_path = str(tmp_path / "keras.keras"), str(tmp_path / "jeras.keras")
    k_model.save(k_path)
    j_model.save(j_path)
    # The same weights at the same places, and the same config.
    assert _h5_datasets(j_path) == _h5_datasets(k_path)
    assert _config(j_path)["config"] == _config(k_path)["config"]
    from_jeras = keras.saving.load_model(j_path)
    assert_close(as_numpy(from_jeras.predict(x, verbose=0)), expected, **TOLERANCE)
    from_keras = jeras.saving.load_model(k_path)
    assert_close(as_numpy(from_keras.predict(x, verbose=0)), expected, **TOLERANCE)


# -- errors ------------------------------------------------------------------------------------
def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="`num_heads` must be a positive integer"):
        jeras.layers.MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="`key_dim` must be a positive integer"):
        jeras.layers.MultiHeadAttention(num_heads=2, key_dim=2.5)
    with pytest.raises(ValueError, match="divisible by `num_key_value_heads`"):
        jeras.layers.GroupQueryAttention(head_dim=2, num_query_heads=3, num_key_value_heads=2)
    with pytest.raises(ValueError, match="`dropout` must be in"):
        jeras.layers.MultiHeadAttention(num_heads=2, key_dim=2, dropout=1.5)
    with pytest.raises(ValueError, match="flash attention"):
        jeras.layers.MultiHeadAttention(num_heads=2, key_dim=2, dropout=0.1, flash_attention=True)
    with pytest.raises(ValueError, match="score_mode"):
        jeras.layers.Attention(score_mode="cosine")


def test_bad_call_inputs():
    query, value = _inputs()
    mha = jeras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    with pytest.raises(ValueError, match=r"same rank.*\(2, 4, 6\).*\(2, 5\)"):
        mha(query, value[..., 0])
    with pytest.raises(ValueError, match="`value` and `key`"):
        jeras.layers.MultiHeadAttention(2, 3)(query, value, key=value[:, :3])
    mha(query, value)
    with pytest.raises(ValueError, match=r"`attention_mask` of shape \(2, 4, 3\)"):
        mha(query, value, attention_mask=np.ones((BATCH, QUERY_LENGTH, 3), bool))
    with pytest.raises(ValueError, match=r"`value_mask` must have shape \(batch, 5\)"):
        mha(query, value, value_mask=np.ones((BATCH, 4), bool))
    gqa = jeras.layers.GroupQueryAttention(2, 4, 2)
    with pytest.raises(ValueError, match="last dimension of `query` and `value`"):
        gqa(query, value[..., :5])
    attention = jeras.layers.Attention()
    with pytest.raises(ValueError, match="list of inputs"):
        attention(query)
    with pytest.raises(ValueError, match="2 or 3 inputs"):
        attention([query])
    with pytest.raises(ValueError, match="query mask"):
        attention([query, value], mask=[np.ones((BATCH, 3), bool), None])


def test_disable_flash_attention_reaches_layers_that_leave_it_open():
    jeras.config.disable_flash_attention()
    try:
        layer = jeras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
        assert layer._flash_attention is False
        explicit = jeras.layers.MultiHeadAttention(num_heads=2, key_dim=4, flash_attention=True)
        assert explicit._flash_attention is True
    finally:
        jeras.config.enable_flash_attention()
