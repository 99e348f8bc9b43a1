"""Masks, as Keras 3 carries them: made by `Embedding(mask_zero=True)` and `Masking`, passed from
layer to layer (eagerly, symbolically, inside `fit`), changed by `compute_mask`, consumed by
layers with a `mask` argument, and honoured by the losses and metrics of a masked output.

The oracle is real Keras 3 (JAX backend) run from the same weights, or a NumPy formula.
"""

import warnings

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, matmul_tolerance

import jeras

TOLERANCE = matmul_tolerance()

# Padded ids: 0 is padding, one row is all padding but its first step.
IDS = np.array(
    [
        [3, 1, 4, 0, 0],
        [2, 7, 1, 8, 2],
        [5, 0, 0, 0, 0],
        [6, 6, 9, 0, 0],
        [1, 2, 0, 0, 0],
        [9, 8, 7, 6, 0],
        [4, 0, 0, 0, 0],
        [2, 3, 5, 7, 1],
        [8, 1, 0, 0, 0],
        [7, 7, 7, 7, 0],
    ],
    dtype="int32",
)
MASK = IDS != 0
VOCABULARY, STEPS = 10, IDS.shape[1]


def _mask_of(x):
    return jeras.backend.masking.get_keras_mask(x)


# -- mask-making layers ------------------------------------------------------------------------
def test_embedding_output_and_mask_match_keras():
    table = np.random.default_rng(0).standard_normal((VOCABULARY, 4)).astype("float32")
    ours = jeras.layers.Embedding(VOCABULARY, 4, mask_zero=True, weights=table)
    theirs = keras.layers.Embedding(VOCABULARY, 4, mask_zero=True, weights=table)
    out, expected = ours(IDS), theirs(IDS)
    assert_close(np.asarray(out), np.asarray(expected), check_shape=True)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), np.asarray(expected._keras_mask))
    np.testing.assert_array_equal(np.asarray(ours.compute_mask(IDS)), MASK)
    # Without mask_zero there is no mask, and the layer does not claim to keep one.
    plain = jeras.layers.Embedding(VOCABULARY, 4)
    assert _mask_of(plain(IDS)) is None and not plain.supports_masking


def test_embedding_out_of_range_indices_as_keras_on_jax():
    table = np.arange(12, dtype="float32").reshape(3, 4)
    ids = np.array([[0, 2, -1, -3, 3, 7, -4]])
    ours = jeras.layers.Embedding(3, 4, weights=table)(ids)
    theirs = keras.layers.Embedding(3, 4, weights=table)(ids)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    # The documented rule: negative indices count from the end, others give NaN rows.
    np.testing.assert_array_equal(np.asarray(ours)[0, :4], table[[0, 2, 2, 0]])
    assert np.isnan(np.asarray(ours)[0, 4:]).all()


def test_embedding_config_and_validation_match_keras():
    args = dict(input_dim=7, output_dim=3, mask_zero=True, embeddings_regularizer="l2")
    ours = jeras.layers.Embedding(**args, name="emb").get_config()
    theirs = keras.layers.Embedding(**args, name="emb").get_config()
    assert sorted(ours) == sorted(theirs)
    for key in ("input_dim", "output_dim", "mask_zero", "embeddings_initializer"):
        assert ours[key] == theirs[key], key
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="input_dim"):
            jeras.layers.Embedding(bad, 3)


def _lora_model(lib):
    inputs = lib.Input((STEPS,), dtype="int32")
    x = lib.layers.Embedding(VOCABULARY, 4, mask_zero=True, lora_rank=2, lora_alpha=8)(inputs)
    return lib.Model(inputs, lib.layers.Dense(1)(lib.layers.GlobalAveragePooling1D()(x)))


def test_embedding_lora_trains_saves_and_configures_like_keras(tmp_path):
    keras.utils.set_random_seed(9)
    theirs = _lora_model(keras)
    ours = _lora_model(jeras)
    ours_embedding, theirs_embedding = ours.layers[1], theirs.layers[1]
    # (Automatic layer names depend on what earlier tests built: compared without them.)
    assert [(w.name, w.trainable) for w in ours_embedding.weights] == [
        (w.name, w.trainable) for w in theirs_embedding.weights
    ]
    ours_config, theirs_config = ours_embedding.get_config(), theirs_embedding.get_config()
    ours_config.pop("name"), theirs_config.pop("name")
    assert ours_config == theirs_config
    weights = theirs.get_weights()
    weights[2] = np.full_like(weights[2], 0.3)  # a non-zero update, so that it counts
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert_close(as_numpy(ours(IDS)), as_numpy(theirs(IDS)), **TOLERANCE)
    y = np.linspace(-1, 1, IDS.shape[0]).astype("float32")[:, None]
    our_history, our_weights = _fit(ours, jeras, IDS, y, loss="mse")
    their_history, their_weights = _fit(theirs, keras, IDS, y, loss="mse")
    assert_close(our_history, their_history, **TOLERANCE)
    assert_close(our_weights, their_weights, **TOLERANCE)
    # Saved as Keras saves it (the merged table), it loads in Keras with the same outputs.
    path = str(tmp_path / "lora.keras")
    ours.save(path)
    assert_close(as_numpy(keras.saving.load_model(path)(IDS)), as_numpy(ours(IDS)), **TOLERANCE)
    with pytest.raises(ValueError, match="already enabled"):
        ours_embedding.enable_lora(2)


def test_masking_layer_matches_keras():
    x = np.random.default_rng(1).standard_normal((3, 4, 2)).astype("float32")
    x[0, 1] = 0.0
    x[2, 3] = 0.0
    x[1, 2, 0] = 0.0  # one zero feature only: not masked
    ours, theirs = jeras.layers.Masking()(x), keras.layers.Masking()(x)
    assert_close(np.asarray(ours), np.asarray(theirs), check_shape=True)
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.asarray(theirs._keras_mask))
    x[0, 2] = -1.0
    ours = jeras.layers.Masking(mask_value=-1.0)(x)
    theirs = keras.layers.Masking(mask_value=-1.0)(x)
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.asarray(theirs._keras_mask))
    assert jeras.layers.Masking(mask_value=-1.0).get_config()["mask_value"] == -1.0


# -- propagation -------------------------------------------------------------------------------
def test_supports_masking_defaults_match_keras():
    cases = [
        ("Dense", dict(units=1)),
        ("Activation", dict(activation="relu")),
        ("Dropout", dict(rate=0.1)),
        ("Identity", {}),
        ("Lambda", dict(function=lambda x: x)),
        ("Lambda", dict(function=lambda x: x, mask=lambda inputs, mask: mask)),
        ("Flatten", {}),
        ("Reshape", dict(target_shape=(1,))),
        ("GlobalAveragePooling1D", {}),
        ("GlobalMaxPooling1D", {}),
        ("MaxPooling1D", {}),
        ("Conv1D", dict(filters=1, kernel_size=1)),
        ("ActivityRegularization", {}),
        ("Add", {}),
        ("Multiply", {}),
        ("Concatenate", {}),
        ("Dot", dict(axes=1)),
        ("Masking", {}),
        ("Embedding", dict(input_dim=2, output_dim=2)),
        ("Embedding", dict(input_dim=2, output_dim=2, mask_zero=True)),
    ]
    for name, kwargs in cases:
        ours = getattr(jeras.layers, name)(**kwargs).supports_masking
        theirs = getattr(keras.layers, name)(**kwargs).supports_masking
        assert ours == theirs, (name, kwargs)


def test_masks_flow_through_layers_eagerly_and_symbolically():
    embedded = jeras.layers.Embedding(VOCABULARY, 3, mask_zero=True)(IDS)
    dense = jeras.layers.Dense(2)(embedded)
    dropped = jeras.layers.Dropout(0.5)(dense)
    np.testing.assert_array_equal(np.asarray(dropped._keras_mask), MASK)
    assert _mask_of(jeras.layers.GlobalAveragePooling1D()(dropped)) is None

    inputs = jeras.Input((None,), dtype="int32")
    x = jeras.layers.Embedding(VOCABULARY, 3, mask_zero=True)(inputs)
    assert x._keras_mask.shape == (None, None) and x._keras_mask.dtype == "bool"
    x = jeras.layers.Dense(2)(x)
    assert x._keras_mask.shape == (None, None)
    assert _mask_of(jeras.layers.GlobalAveragePooling1D()(x)) is None


def test_a_layer_without_masking_drops_the_mask_with_keras_warning():
    embedded = jeras.layers.Embedding(VOCABULARY, 3, mask_zero=True)(IDS)
    with pytest.warns(UserWarning, match="does not support masking") as caught:
        flat = jeras.layers.Flatten(name="flat")(embedded)
    assert "'flat' (of type Flatten)" in str(caught[0].message)
    assert _mask_of(flat) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mask, no warning
        jeras.layers.Flatten()(np.asarray(embedded))


class _RecordsMask(jeras.layers.Layer):
    """Returns its input and records the mask its `call` received."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.received = []

    def call(self, inputs, mask=None):
        self.received.append(mask)
        return inputs


class _TwoInputs(jeras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.supports_masking = True
        self.received = None

    def call(self, query, value, query_mask=None, value_mask=None):
        self.received = (query_mask, value_mask)
        return query + jnp.sum(value, axis=1, keepdims=True)


def test_mask_arguments_are_filled_from_the_inputs_masks():
    embedded = jeras.layers.Embedding(VOCABULARY, 3, mask_zero=True)(IDS)
    recorder = _RecordsMask()
    out = recorder(embedded)
    np.testing.assert_array_equal(np.asarray(recorder.received[-1]), MASK)
    np.testing.assert_array_equal(np.asarray(out._keras_mask), MASK)
    # An explicit mask wins over the attached one and is what the outputs carry.
    explicit = np.ones_like(MASK)
    recorder(embedded, mask=explicit)
    assert recorder.received[-1] is explicit
    # Several tensor arguments: `<name>_mask` for each, as MultiHeadAttention receives them.
    other = jeras.layers.Masking()(np.zeros((IDS.shape[0], 2, 3), "float32"))
    two = _TwoInputs()
    two(embedded, other)
    np.testing.assert_array_equal(np.asarray(two.received[0]), MASK)
    np.testing.assert_array_equal(np.asarray(two.received[1]), np.zeros((IDS.shape[0], 2), bool))


def test_masks_cross_jit_and_reach_layers_in_a_model():
    recorder = _RecordsMask()
    inputs = jeras.Input((STEPS,), dtype="int32")
    outputs = jeras.layers.Dense(1)(recorder(jeras.layers.Embedding(10, 3, mask_zero=True)(inputs)))
    model = jeras.Model(inputs, outputs)
    recorder.received.clear()
    out = model(IDS)  # the compiled eager path
    np.testing.assert_array_equal(np.asarray(out._keras_mask), MASK)
    assert isinstance(recorder.received[-1], jax.core.Tracer)

    @jax.jit
    def masked_sum(ids):
        embedded = jeras.layers.Embedding(10, 3, mask_zero=True)(ids)
        return jnp.sum(_mask_of(jeras.layers.Dense(2)(embedded)))

    assert int(masked_sum(IDS)) == MASK.sum()


def test_wrong_mask_shape_is_a_clear_error():
    embedded = np.ones((2, 5, 3), "float32")
    expected_message = r"'rec' \(_RecordsMask\) received a mask of shape \(3, 5\) for an input of"
    with pytest.raises(ValueError, match=expected_message):
        _RecordsMask(name="rec")(embedded, mask=np.ones((3, 5), bool))
    with pytest.raises(ValueError, match=r"mask of shape \(2, 4\).*should have shape \(2, 5\)"):
        jeras.layers.GlobalAveragePooling1D()(embedded, mask=np.ones((2, 4), bool))
    inputs = jeras.Input((5, 3))
    model = jeras.Model(inputs, _RecordsMask()(inputs))
    with pytest.raises(ValueError, match=r"mask of shape \(2, 6\)"):
        model(embedded, mask=np.ones((2, 6), bool))
    # The loss names the mismatch between a masked output and its loss values.
    loss = jeras.losses.MeanSquaredError()
    prediction = jnp.ones((2, 5, 3))
    jeras.backend.masking.set_keras_mask(prediction, jnp.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"mask has shape \(2, 4\).*shape \(2, 5\)"):
        loss(np.ones((2, 5, 3)), prediction)


# -- compute_mask of the existing layers --------------------------------------------------------
def _both(lib, x, mask):
    """`x` with `mask` attached the library's way."""
    x = jnp.asarray(x)
    if lib is keras:
        keras.src.backend.set_keras_mask(x, jnp.asarray(mask))
    else:
        jeras.backend.masking.set_keras_mask(x, jnp.asarray(mask))
    return x


@pytest.mark.parametrize("name", ["Add", "Multiply", "Maximum", "Minimum", "Average"])
@pytest.mark.parametrize("masked", ["both", "first"])
def test_merging_layers_values_and_masks_match_keras(name, masked):
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((3, 4, 2)).astype("float32") for _ in range(2))
    mask_a = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1]], bool)
    mask_b = np.array([[1, 0, 0, 1], [1, 1, 0, 0], [0, 1, 1, 1]], bool)
    results = []
    for lib in (jeras, keras):
        first = _both(lib, a, mask_a)
        second = _both(lib, b, mask_b) if masked == "both" else jnp.asarray(b)
        out = getattr(lib.layers, name)()([first, second])
        results.append((np.asarray(out), getattr(out, "_keras_mask", None)))
    (ours, our_mask), (theirs, their_mask) = results
    assert_close(ours, theirs)
    if their_mask is None:
        assert our_mask is None
    else:
        np.testing.assert_array_equal(np.asarray(our_mask), np.asarray(their_mask))


@pytest.mark.parametrize("axis", [1, -1])
def test_concatenate_mask_matches_keras(axis):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 3, 2))
    mask_a = np.array([[1, 1, 0], [1, 0, 0]], bool)
    masks = []
    for lib in (jeras, keras):
        out = lib.layers.Concatenate(axis=axis)([_both(lib, a, mask_a), jnp.asarray(b, "float32")])
        masks.append(np.asarray(out._keras_mask))
    np.testing.assert_array_equal(masks[0], masks[1])


def test_lambda_mask_and_global_average_pooling_match_keras():
    x = np.random.default_rng(4).standard_normal((IDS.shape[0], STEPS, 3)).astype("float32")
    results = []
    for lib in (jeras, keras):
        masked = _both(lib, x, MASK)
        kept = lib.layers.Lambda(lambda t: 2 * t, mask=lambda inputs, mask: mask)(masked)
        pooled = lib.layers.GlobalAveragePooling1D()(kept)
        results.append((np.asarray(kept._keras_mask), np.asarray(pooled)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])
    # The NumPy formula: the mean over the valid steps only.
    expected = (2 * x * MASK[..., None]).sum(1) / MASK.sum(1, keepdims=True)
    assert_close(results[0][1], expected)


# -- models against Keras ----------------------------------------------------------------------
def _pooled_functional(lib):
    inputs = lib.Input((STEPS,), dtype="int32")
    x = lib.layers.Embedding(VOCABULARY, 4, mask_zero=True)(inputs)
    x = lib.layers.Dense(3, activation="tanh")(x)
    x = lib.layers.GlobalAveragePooling1D()(x)
    return lib.Model(inputs, lib.layers.Dense(1)(x))


def _pooled_sequential(lib):
    return lib.Sequential(
        [
            lib.Input((STEPS,), dtype="int32"),
            lib.layers.Embedding(VOCABULARY, 4, mask_zero=True),
            lib.layers.Dense(3, activation="tanh"),
            lib.layers.GlobalAveragePooling1D(),
            lib.layers.Dense(1),
        ]
    )


def _per_step_model(lib):
    inputs = lib.Input((STEPS,), dtype="int32")
    x = lib.layers.Embedding(VOCABULARY, 4, mask_zero=True)(inputs)
    return lib.Model(inputs, lib.layers.Dense(2)(x))


def _pair(build):
    keras.utils.set_random_seed(5)
    theirs = build(keras)
    ours = build(jeras)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _fit(model, lib, x, y, **compile_kwargs):
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), **compile_kwargs)
    history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return history.history, model.get_weights()


@pytest.mark.parametrize(
    "build", [_pooled_functional, _pooled_sequential], ids=["functional", "sequential"]
)
def test_masked_pooling_model_matches_keras(build):
    ours, theirs = _pair(build)
    assert_close(as_numpy(ours(IDS)), as_numpy(theirs(IDS)), **TOLERANCE)
    assert_close(ours.predict(IDS, verbose=0), theirs.predict(IDS, verbose=0), **TOLERANCE)
    # The same model without the mask gives other numbers: the test can fail.
    unmasked = np.asarray(theirs(np.where(MASK, IDS, 1)))
    assert not np.allclose(unmasked, np.asarray(theirs(IDS)), atol=1e-4)
    y = np.linspace(-1, 1, IDS.shape[0]).astype("float32")[:, None]
    # 10 samples in batches of 4: jeras pads the last batch, Keras runs it short.
    our_history, our_weights = _fit(ours, jeras, IDS, y, loss="mse")
    their_history, their_weights = _fit(theirs, keras, IDS, y, loss="mse")
    assert_close(our_history, their_history, **TOLERANCE)
    assert_close(our_weights, their_weights, **TOLERANCE)


def test_loss_and_metrics_of_a_masked_output_match_keras():
    ours, theirs = _pair(_per_step_model)
    y = np.random.default_rng(6).standard_normal((IDS.shape[0], STEPS, 2)).astype("float32")
    # The loss is the mean over the valid steps only (NumPy formula, before training).
    prediction = np.asarray(ours(IDS))
    expected_loss = ((prediction - y) ** 2).mean(-1)[MASK].mean()
    ours.compile(loss="mse", metrics=["mae"])
    evaluated = ours.evaluate(IDS, y, verbose=0, return_dict=True)
    assert_close(evaluated["loss"], expected_loss)
    assert_close(evaluated["mae"], np.abs(prediction - y).mean(-1)[MASK].mean())
    theirs.compile(loss="mse", metrics=["mae"])
    assert_close(evaluated, theirs.evaluate(IDS, y, verbose=0, return_dict=True))
    # Training: the loss honours the mask, the training metrics do not (Keras on JAX).
    our_history, our_weights = _fit(ours, jeras, IDS, y, loss="mse", metrics=["mae"])
    their_history, their_weights = _fit(theirs, keras, IDS, y, loss="mse", metrics=["mae"])
    assert_close(our_history, their_history, **TOLERANCE)
    assert_close(our_weights, their_weights, **TOLERANCE)
    assert_close(
        ours.evaluate(IDS, y, verbose=0, return_dict=True),
        theirs.evaluate(IDS, y, verbose=0, return_dict=True),
        **TOLERANCE,
    )


def test_mask_with_per_sample_weights_follows_the_keras_rule():
    # Keras's rule on a masked output: weights `sample_weight * mask * total / valid`, so the
    # loss is sum(loss * sample_weight * mask) / valid. (Keras itself cannot broadcast (batch,)
    # weights against a (batch, steps) mask; jeras applies them along the steps.)
    prediction = jnp.asarray(np.random.default_rng(7).standard_normal((4, 3, 2)), "float32")
    mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0]], bool)
    y = np.zeros((4, 3, 2), "float32")
    weights = np.array([1.0, 2.0, 0.5, 3.0], "float32")
    jeras.backend.masking.set_keras_mask(prediction, jnp.asarray(mask))
    value = jeras.losses.MeanSquaredError()(y, prediction, sample_weight=weights)
    per_step = (np.asarray(prediction) ** 2).mean(-1)
    expected = (per_step * weights[:, None] * mask).sum() / mask.sum()
    assert_close(value, expected)


def test_masked_model_saved_by_jeras_loads_in_keras_and_back(tmp_path):
    ours, _ = _pair(_pooled_functional)
    path = str(tmp_path / "masked.keras")
    ours.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.layers[1].mask_zero
    assert_close(as_numpy(loaded(IDS)), as_numpy(ours(IDS)), **TOLERANCE)
    back_path = str(tmp_path / "back.keras")
    loaded.save(back_path)
    again = jeras.saving.load_model(back_path)
    assert again.layers[1].mask_zero
    assert_close(as_numpy(again(IDS)), as_numpy(loaded(IDS)), **TOLERANCE)
    # A Masking model too, from Keras.
    inputs = keras.Input((STEPS, 2))
    model = keras.Model(
        inputs,
        keras.layers.GlobalAveragePooling1D()(keras.layers.Masking(mask_value=-1.0)(inputs)),
    )
    masking_path = str(tmp_path / "masking.keras")
    model.save(masking_path)
    x = np.random.default_rng(8).standard_normal((3, STEPS, 2)).astype("float32")
    x[0, 2:] = -1.0
    assert_close(as_numpy(jeras.saving.load_model(masking_path)(x)), as_numpy(model(x)))
