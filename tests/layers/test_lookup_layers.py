"""The categorical preprocessing layers against real Keras 3 on the same inputs and
vocabularies: Discretization, CategoryEncoding, Hashing, HashedCrossing, StringLookup and
IntegerLookup (outputs, adapted vocabularies and boundaries, configs, `.keras` files both ways,
training in `fit`, the host stage and its errors)."""

import zipfile

import jax
import keras
import numpy as np
import pytest
import tensorflow as tf

import jeras
from jeras.layers import fingerprints

RNG = np.random.default_rng(0)
WORDS = np.array(["apple", "kiwi", "fig", "plum", "", "pear", "naïve", "fig", "kiwi", "fig"])


def _both(cls_name, *args, **kwargs):
    return (
        getattr(keras.layers, cls_name)(*args, **kwargs),
        getattr(jeras.layers, cls_name)(*args, **kwargs),
    )


def _same_output(k_layer, j_layer, x, **call_kwargs):
    want = np.asarray(k_layer(x, **call_kwargs))
    got = np.asarray(j_layer(x, **call_kwargs))
    assert got.shape == want.shape
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


# -- the hashes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("length", [0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 200])
def test_fingerprints_equal_tensorflow(length):
    data = bytes(RNG.integers(0, 256, length, dtype=np.uint8))
    buckets = 2**62
    assert fingerprints.fingerprint64(data) % buckets == int(
        tf.strings.to_hash_bucket_fast([data], buckets).numpy()[0]
    )
    key = [int(RNG.integers(0, 2**62)), int(RNG.integers(0, 2**62))]
    assert fingerprints.siphash(data, *key) % buckets == int(
        tf.strings.to_hash_bucket_strong([data], buckets, key=key).numpy()[0]
    )


# -- Discretization --------------------------------------------------------------------------------
@pytest.mark.parametrize("output_mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_with_boundaries(output_mode):
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]], "float32")
    if output_mode == "one_hot":
        x = x[:, :1]
    _same_output(
        *_both("Discretization", bin_boundaries=[0.0, 1.0, 2.0], output_mode=output_mode), x
    )


@pytest.mark.parametrize("as_batches", [False, True])
def test_discretization_adapt_learns_keras_boundaries(as_batches):
    data = RNG.standard_normal((300, 1)).astype("float32") * 3 + 1
    k_layer, j_layer = _both("Discretization", num_bins=5, epsilon=0.05)
    source = [data[i : i + 64] for i in range(0, 300, 64)] if as_batches else data
    k_layer.adapt(source)
    j_layer.adapt(source)
    np.testing.assert_allclose(j_layer.bin_boundaries, k_layer.bin_boundaries, rtol=1e-6)
    _same_output(k_layer, j_layer, data[:20])
    config = jeras.saving.serialize_keras_object(j_layer)
    rebuilt = keras.saving.deserialize_keras_object(config)
    np.testing.assert_allclose(rebuilt.bin_boundaries, k_layer.bin_boundaries, rtol=1e-6)


def test_discretization_errors():
    with pytest.raises(ValueError, match="either `bin_boundaries` or"):
        jeras.layers.Discretization()
    layer = jeras.layers.Discretization(num_bins=3)
    with pytest.raises(ValueError, match="adapt"):
        layer(np.zeros((2, 1), "float32"))


# -- CategoryEncoding ------------------------------------------------------------------------------
@pytest.mark.parametrize("output_mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6,), (3, 1), (3, 4)])
def test_category_encoding(output_mode, shape):
    x = RNG.integers(0, 5, shape)
    _same_output(*_both("CategoryEncoding", num_tokens=5, output_mode=output_mode), x)


def test_category_encoding_count_weights_and_config():
    x = np.array([[0, 1, 1], [2, 4, 0]])
    weights = np.array([[0.5, 1.0, 2.0], [1.5, 0.25, 3.0]], "float32")
    k_layer, j_layer = _both("CategoryEncoding", num_tokens=5, output_mode="count")
    _same_output(k_layer, j_layer, x, count_weights=weights)
    assert j_layer.get_config().keys() == k_layer.get_config().keys()


# -- Hashing and HashedCrossing --------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(num_bins=7),
        dict(num_bins=7, mask_value=""),
        dict(num_bins=5, salt=[13, 1337]),
        dict(num_bins=5, salt=99, output_mode="one_hot"),
        dict(num_bins=4, output_mode="multi_hot"),
        dict(num_bins=6, output_mode="count", dtype="float32"),
    ],
)
def test_hashing_strings(kwargs):
    x = WORDS.reshape(5, 2) if kwargs.get("output_mode") != "one_hot" else WORDS.reshape(10, 1)
    _same_output(*_both("Hashing", **kwargs), x)


@pytest.mark.parametrize("kwargs", [dict(num_bins=11), dict(num_bins=9, mask_value=0)])
def test_hashing_integers_eagerly_and_compiled(kwargs):
    x = np.array([[0, 1, -3, 123456789], [42, 0, 7, -(2**40)]], "int64")
    k_layer, j_layer = _both("Hashing", **kwargs)
    want = np.asarray(k_layer(x))
    np.testing.assert_array_equal(np.asarray(j_layer(x)), want)
    # Inside a compiled function the integers go to the host through a callback.
    small = x.clip(-(2**31), 2**31 - 1).astype("int32")
    np.testing.assert_array_equal(
        np.asarray(jax.jit(lambda v: j_layer(v))(small)), np.asarray(k_layer(small))
    )


def test_hashing_config_matches_keras():
    k_layer, j_layer = _both("Hashing", num_bins=3, salt=5, mask_value="x", name="h")
    k_config, j_config = k_layer.get_config(), j_layer.get_config()
    k_config.pop("dtype"), j_config.pop("dtype")  # jeras names int64 by the int32 it runs
    assert j_config == k_config


@pytest.mark.parametrize("output_mode", ["int", "one_hot"])
def test_hashed_crossing(output_mode):
    a = np.array(["A", "B", "A", "C", "naïve"])
    b = np.array([101, 101, 7, -3, 5])
    _same_output(*_both("HashedCrossing", num_bins=13, output_mode=output_mode), (a, b))
    _same_output(*_both("HashedCrossing", num_bins=13), (a[:, None], a[:, None]))


# -- StringLookup ----------------------------------------------------------------------------------
LOOKUP_CASES = [
    dict(),
    dict(num_oov_indices=0),
    dict(num_oov_indices=3),
    dict(num_oov_indices=2, salt=[3, 4]),
    dict(mask_token=""),
    dict(mask_token="", num_oov_indices=2),
    dict(output_mode="one_hot"),
    dict(output_mode="multi_hot", mask_token=""),
    dict(output_mode="count", pad_to_max_tokens=True, max_tokens=9),
    dict(max_tokens=4),
    dict(oov_token="<?>", num_oov_indices=2, mask_token="-"),
]


@pytest.mark.parametrize("kwargs", LOOKUP_CASES, ids=[str(c) for c in LOOKUP_CASES])
def test_string_lookup_adapt_and_call(kwargs):
    k_layer, j_layer = _both("StringLookup", **kwargs)
    k_layer.adapt(WORDS)
    j_layer.adapt(WORDS)
    assert j_layer.get_vocabulary() == k_layer.get_vocabulary()
    assert j_layer.vocabulary_size() == k_layer.vocabulary_size()
    known = np.array([["fig", "kiwi"], ["", "plum"], ["naïve", "apple"]])
    x = (
        known
        if kwargs.get("num_oov_indices") == 0
        else np.array([["fig", "zz"], ["", "q"], ["naïve", "apple"]])
    )
    if kwargs.get("output_mode") == "one_hot":
        x = x[:, :1]
    if kwargs.get("num_oov_indices") == 0 and kwargs.get("mask_token") is None:
        x = np.where(x == "", "fig", x)
    _same_output(k_layer, j_layer, x)


def test_string_lookup_given_vocabulary_tf_idf_and_invert(tmp_path):
    vocabulary = ["b", "a", "c"]
    k_layer, j_layer = _both(
        "StringLookup", vocabulary=vocabulary, output_mode="tf_idf", idf_weights=[0.5, 1.0, 2.0]
    )
    _same_output(k_layer, j_layer, np.array([["a", "a", "z"], ["c", "b", "b"]]))
    k_layer, j_layer = _both("StringLookup", vocabulary=vocabulary, mask_token="")
    x = np.array([[0, 1, 2, 3, 4, 9]])
    # Keras on JAX cannot return strings from `invert=True`; the expected tokens are its
    # vocabulary's, index by index, OOV beyond it.
    inverse = jeras.layers.StringLookup(vocabulary=vocabulary, mask_token="", invert=True)
    assert k_layer.get_vocabulary() == ["", "[UNK]", "b", "a", "c"]
    np.testing.assert_array_equal(inverse(x)[0], ["", "[UNK]", "b", "a", "c", "[UNK]"])
    # A vocabulary file: one token per line.
    path = tmp_path / "vocab.txt"
    path.write_text("b\na\nc\n", encoding="utf-8")
    k_file, j_file = _both("StringLookup", vocabulary=str(path))
    assert j_file.get_vocabulary() == k_file.get_vocabulary()
    _same_output(k_file, j_file, np.array(["a", "c", "x"]))
    assert j_file.get_config()["vocabulary"] is None


def test_string_lookup_config_matches_keras():
    k_layer, j_layer = _both("StringLookup", vocabulary=["x", "y"], num_oov_indices=2, name="s")
    assert j_layer.get_config() == k_layer.get_config()


def test_lookup_errors_name_the_layer():
    layer = jeras.layers.StringLookup(vocabulary=["a"], num_oov_indices=0, name="strict")
    with pytest.raises(ValueError, match="strict.*num_oov_indices=0.*'zz'"):
        layer(np.array(["a", "zz"]))
    with pytest.raises(ValueError, match="repeats"):
        jeras.layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(RuntimeError, match="adapt"):
        jeras.layers.StringLookup(output_mode="multi_hot")(np.array(["a"]))


# -- IntegerLookup ---------------------------------------------------------------------------------
INTEGERS = np.array([7, 7, 3, 12, 3, 7, 0, 5, 12, 99])
INTEGER_CASES = [
    dict(),
    dict(num_oov_indices=3),
    dict(num_oov_indices=2, oov_method="farmhash"),
    dict(mask_token=0),
    dict(output_mode="multi_hot"),
    dict(output_mode="count", max_tokens=4),
    dict(output_mode="tf_idf"),
]


@pytest.mark.parametrize("kwargs", INTEGER_CASES, ids=[str(c) for c in INTEGER_CASES])
def test_integer_lookup_eager_and_compiled(kwargs):
    k_layer, j_layer = _both("IntegerLookup", **kwargs)
    k_layer.adapt(INTEGERS)
    j_layer.adapt(INTEGERS)
    assert j_layer.get_vocabulary() == [int(v) for v in k_layer.get_vocabulary()]
    x = np.array([[7, 3, 1], [0, -4, 12]])
    _same_output(k_layer, j_layer, x)
    # The same lookup inside a compiled function, on the device.
    np.testing.assert_allclose(
        np.asarray(jax.jit(lambda v: j_layer(v))(x.astype("int32"))), np.asarray(k_layer(x))
    )


def test_integer_lookup_config_matches_keras():
    k_layer, j_layer = _both("IntegerLookup", vocabulary=[4, 2], mask_token=0, name="i")
    assert j_layer.get_config() == k_layer.get_config()


# -- in models: fit, saving, the host stage --------------------------------------------------------
def _categorical_layers(lib):
    return (
        lib.layers.IntegerLookup(vocabulary=[3, 5, 7, 9]),
        lib.layers.Discretization(bin_boundaries=[4.0, 8.0]),
        lib.layers.CategoryEncoding(num_tokens=12, output_mode="count"),
    )


def test_numeric_lookups_train_inside_compiled_steps():
    """IntegerLookup, Discretization and CategoryEncoding run on the device inside `fit`.
    Oracle: Keras (whose lookups cannot be traced by JAX) fitting the same Dense head on the
    features its layers compute eagerly."""
    x = RNG.integers(0, 12, (40, 2)).astype("int32")
    y = RNG.standard_normal((40, 1)).astype("float32")
    k_lookup, k_bins, k_counts = _categorical_layers(keras)
    k_one_hot = keras.layers.CategoryEncoding(num_tokens=5, output_mode="one_hot")
    features = np.concatenate(
        [
            np.asarray(k_one_hot(k_lookup(x[:, :1]))),
            np.asarray(k_one_hot(k_bins(x[:, :1].astype("float32")))),
            np.asarray(k_counts(x)),
        ],
        axis=-1,
    ).astype("float32")
    k_inputs = keras.Input(shape=(features.shape[1],))
    k_model = keras.Model(k_inputs, keras.layers.Dense(1)(k_inputs))

    j_lookup, j_bins, j_counts = _categorical_layers(jeras)
    inputs = jeras.Input(shape=(2,), dtype="int32")
    first = jeras.layers.Cropping1D((0, 1))(jeras.layers.Reshape((2, 1))(inputs))
    first = jeras.layers.Reshape((1,))(first)
    one_hot = jeras.layers.CategoryEncoding(num_tokens=5, output_mode="one_hot")
    joined = jeras.layers.Concatenate()(
        [one_hot(j_lookup(first)), one_hot(j_bins(first)), j_counts(inputs)]
    )
    j_model = jeras.Model(inputs, jeras.layers.Dense(1)(joined))
    j_model.set_weights(k_model.get_weights())
    for model in (k_model, j_model):
        model.compile(optimizer=model_optimizer(model), loss="mse")
    want = k_model.fit(features, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    got = j_model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(got.history["loss"], want.history["loss"], rtol=1e-5)
    for got_w, want_w in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got_w, want_w, rtol=1e-5, atol=1e-6)


def model_optimizer(model):
    lib = jeras if isinstance(model, jeras.Model) else keras
    return lib.optimizers.SGD(0.05)


def _string_model(lib):
    inputs = lib.Input(shape=(1,), dtype="string")
    lookup = lib.layers.StringLookup(num_oov_indices=2)
    # No empty token: a vocabulary file ending in one loses it when Keras reads it back.
    lookup.adapt(WORDS[WORDS != ""])
    one_hot = lib.layers.CategoryEncoding(num_tokens=8, output_mode="one_hot")(lookup(inputs))
    hashed = lib.layers.Hashing(num_bins=4, output_mode="one_hot")(inputs)
    x = lib.layers.Concatenate()([one_hot, hashed])
    return lib.Model(inputs, lib.layers.Dense(2)(x))


def _keras_string_forward(k_model, x):
    """Keras's output of `_string_model` (Keras on JAX cannot call a model on strings: its
    layers are called one by one, eagerly)."""
    layer = {type(layer).__name__: layer for layer in k_model.layers}
    one_hot = layer["CategoryEncoding"](layer["StringLookup"](x))
    features = np.concatenate([np.asarray(one_hot), np.asarray(layer["Hashing"](x))], -1)
    return np.asarray(layer["Dense"](features))


def test_keras_files_round_trip_with_vocabulary_assets(tmp_path):
    x = np.array([["fig"], ["zz"], ["naïve"], [""]])
    j_model = _string_model(jeras)
    j_model.save(tmp_path / "j.keras")
    assert (
        "assets/layers/string_lookup/vocabulary.txt"
        in zipfile.ZipFile(tmp_path / "j.keras").namelist()
    )
    k_loaded = keras.saving.load_model(tmp_path / "j.keras")
    np.testing.assert_allclose(
        _keras_string_forward(k_loaded, x), j_model.predict(x, verbose=0), atol=1e-6
    )
    k_model = _string_model(keras)
    k_model.save(tmp_path / "k.keras")
    j_loaded = jeras.saving.load_model(tmp_path / "k.keras")
    assert j_loaded.layers[1].get_vocabulary() == k_model.layers[1].get_vocabulary()
    np.testing.assert_allclose(
        j_loaded.predict(x, verbose=0), _keras_string_forward(k_model, x), atol=1e-6
    )


def test_string_model_fits_through_the_host_stage():
    """A model taking strings trains in `fit`: its text layers run on the host, the rest is
    compiled. Oracle: Keras fitting the same numeric part on the looked-up values."""
    x = WORDS.reshape(-1, 1).repeat(3, axis=0)
    y = RNG.standard_normal((len(x), 2)).astype("float32")
    j_model = _string_model(jeras)
    k_model = _string_model(keras)
    j_model.set_weights(k_model.get_weights())
    layer = {type(layer).__name__: layer for layer in k_model.layers}
    one_hot = layer["CategoryEncoding"](layer["StringLookup"](x))
    numeric = np.concatenate([np.asarray(one_hot), np.asarray(layer["Hashing"](x))], -1)
    k_inputs = keras.Input(shape=(numeric.shape[1],))
    k_numeric = keras.Model(k_inputs, layer["Dense"](k_inputs))
    for model in (k_numeric, j_model):
        model.compile(optimizer="sgd", loss="mse")
    want = k_numeric.fit(numeric, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    got = j_model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(got.history["loss"], want.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(
        j_model.predict(x, verbose=0), k_numeric.predict(numeric, verbose=0), atol=1e-5
    )
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    np.testing.assert_allclose(
        j_model.evaluate(dataset, verbose=0), k_numeric.evaluate(numeric, y, verbose=0), rtol=1e-5
    )


def test_strings_reaching_the_device_get_clear_errors():
    inputs = jeras.Input(shape=(2,))
    model = jeras.Model(inputs, jeras.layers.Dense(1)(inputs), name="numbers_only")
    with pytest.raises(TypeError, match="numbers_only.*StringLookup, TextVectorization"):
        model.predict(np.array([["a", "b"]]), verbose=0)
    lookup = jeras.layers.StringLookup(vocabulary=["a"], name="late_lookup")
    with pytest.raises(TypeError, match="late_lookup.*compiled step"):
        jax.jit(lambda v: lookup(v))(np.zeros((2,), "int32"))


def test_a_new_vocabulary_reaches_programs_compiled_with_the_old_one():
    # The vocabulary is a constant of the traced programs: after `set_vocabulary` (or a new
    # `adapt`), `predict`, `fit` and eager calls are traced again instead of using the old one.
    lookup = jeras.layers.IntegerLookup(vocabulary=[10, 20, 30])
    inputs = jeras.Input((1,), dtype="int32")
    model = jeras.Model(inputs, lookup(inputs))
    x = np.array([[10], [30], [40]], "int32")
    np.testing.assert_array_equal(model.predict(x, verbose=0).ravel(), [1, 3, 0])
    np.testing.assert_array_equal(np.asarray(model(x)).ravel(), [1, 3, 0])
    lookup.set_vocabulary([30, 40])
    np.testing.assert_array_equal(model.predict(x, verbose=0).ravel(), [0, 1, 2])
    np.testing.assert_array_equal(np.asarray(model(x)).ravel(), [0, 1, 2])
