"""`TextVectorization` against real Keras 3 (which computes it with TensorFlow's string ops):
the same vocabularies from `adapt` on arrays, lists and batch sources, the same outputs for
every standardize / split / n-gram / output mode, configs, `.keras` files both ways, and an
end-to-end string model trained with `fit` (its text layer on the host) to Keras's numbers."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import jeras

CORPUS = np.array(
    [
        "The cat sat on the MAT.",
        "A dog, a cat & a bird!",
        "naïve café: l'été\tà Paris\nÉCOLE",
        "   spaces    everywhere   ",
        "",
        "cats-and-dogs (are) [friends]? yes_no",
        "the the the cat",
        "Ünïcödé ÀÉÎ tokens",
    ]
)
QUERIES = np.array(["the cat and the dog", "UNSEEN words, only!", "café à paris", ""])


def _both(**kwargs):
    return keras.layers.TextVectorization(**kwargs), jeras.layers.TextVectorization(**kwargs)


def _assert_same(k_layer, j_layer, x):
    want = np.asarray(k_layer(x))
    got = np.asarray(j_layer(x))
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


CASES = [
    dict(),
    dict(standardize="lower"),
    dict(standardize="strip_punctuation"),
    dict(standardize=None),
    dict(split="character", max_tokens=30),
    dict(ngrams=2),
    dict(ngrams=(1, 3), max_tokens=25),
    dict(output_sequence_length=4),
    dict(output_sequence_length=12, max_tokens=8),
    dict(output_mode="multi_hot"),
    dict(output_mode="count", pad_to_max_tokens=True, max_tokens=40),
    dict(output_mode="tf_idf", ngrams=2),
    dict(output_mode="multi_hot", split=None, standardize="lower"),
]


@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
def test_adapt_and_call_like_keras(kwargs):
    k_layer, j_layer = _both(**kwargs)
    k_layer.adapt(CORPUS)
    j_layer.adapt(CORPUS)
    assert j_layer.get_vocabulary() == k_layer.get_vocabulary()
    assert j_layer.vocabulary_size() == k_layer.vocabulary_size()
    _assert_same(k_layer, j_layer, QUERIES)
    _assert_same(k_layer, j_layer, QUERIES[:, None])


@pytest.mark.parametrize("source", ["list", "tf_data", "generator", "py_dataset"])
def test_adapt_on_lists_and_batch_sources(source):
    def make(lib):
        if source == "list":
            return list(CORPUS)
        if source == "tf_data":
            return tf.data.Dataset.from_tensor_slices(CORPUS).batch(3)
        if source == "generator":
            return (CORPUS[i : i + 3] for i in range(0, len(CORPUS), 3))

        class Texts(lib.utils.PyDataset):
            def __len__(self):
                return 3

            def __getitem__(self, index):
                return CORPUS[index * 3 : index * 3 + 3]

        return Texts()

    k_layer, j_layer = _both(max_tokens=12, output_mode="tf_idf")
    k_layer.adapt(make(keras) if source != "py_dataset" else list(CORPUS))
    j_layer.adapt(make(jeras))
    assert j_layer.get_vocabulary() == k_layer.get_vocabulary()
    _assert_same(k_layer, j_layer, QUERIES)


def _keras_io_standardization(input_data):
    # The keras.io text classification example's standardization (TensorFlow string ops).
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(
        stripped_html, f"[{re.escape('!#$%&()*+,-./:;<=>?@[]^_`{|}~')}]", ""
    )


def test_callable_standardize_and_split():
    texts = np.array(["Hello<br />World!!", "a-b c;d", "<br />Tab\tSep"])
    k_layer, j_layer = _both(standardize=_keras_io_standardization, output_sequence_length=5)
    k_layer.adapt(texts)
    j_layer.adapt(texts)
    assert j_layer.get_vocabulary() == k_layer.get_vocabulary()
    _assert_same(k_layer, j_layer, texts)

    def split_on_semicolons(inputs):
        return tf.strings.split(inputs, sep=";")

    k_layer, j_layer = _both(split=split_on_semicolons, standardize=None)
    k_layer.adapt(np.array(["a;b;c", "b;c", "c"]))
    j_layer.adapt(np.array(["a;b;c", "b;c", "c"]))
    assert j_layer.get_vocabulary() == k_layer.get_vocabulary()
    _assert_same(k_layer, j_layer, np.array(["c;a;z", "b"]))


def test_given_vocabulary_set_vocabulary_and_config():
    vocabulary = ["the", "cat", "dog"]
    k_layer, j_layer = _both(vocabulary=vocabulary, output_sequence_length=6, name="tv")
    assert j_layer.get_vocabulary() == k_layer.get_vocabulary()
    _assert_same(k_layer, j_layer, QUERIES)
    assert j_layer.get_config() == k_layer.get_config()
    k_layer.set_vocabulary(["dog", "and"])
    j_layer.set_vocabulary(["dog", "and"])
    _assert_same(k_layer, j_layer, QUERIES)
    k_layer, j_layer = _both(output_mode="tf_idf")
    k_layer.set_vocabulary(vocabulary, idf_weights=[0.5, 1.5, 2.0])
    j_layer.set_vocabulary(vocabulary, idf_weights=[0.5, 1.5, 2.0])
    _assert_same(k_layer, j_layer, QUERIES)
    rebuilt = keras.layers.TextVectorization.from_config(
        jeras.layers.TextVectorization(ngrams=(1, 2), max_tokens=7).get_config()
    )
    assert rebuilt.get_config()["ngrams"] == (1, 2)


def test_bad_input_names_the_layer():
    layer = jeras.layers.TextVectorization(vocabulary=["a"], name="vectorizer")
    with pytest.raises(ValueError, match="vectorizer.*rank 1 or a last axis of size 1"):
        layer(np.array([["a b", "c"]]))
    with pytest.raises(TypeError, match="vectorizer.*takes strings"):
        layer(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="ragged=True"):
        jeras.layers.TextVectorization(ragged=True)


# -- in models -------------------------------------------------------------------------------------
TEXTS = np.array(
    ["the cat sat", "a dog ran", "the dog sat down", "cats and dogs", "a cat ran away"] * 8
)
LABELS = (np.arange(len(TEXTS)) % 2).astype("float32").reshape(-1, 1)


def _text_model(lib):
    vectorize = lib.layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(TEXTS)
    inputs = lib.Input(shape=(1,), dtype="string")
    x = vectorize(inputs)
    x = lib.layers.Embedding(20, 4)(x)
    x = lib.layers.GlobalAveragePooling1D()(x)
    outputs = lib.layers.Dense(1, activation="sigmoid")(x)
    return lib.Model(inputs, outputs), vectorize


def _keras_numeric_part(k_model):
    """The model after its TextVectorization (Keras on JAX cannot run a model on strings)."""
    inputs = keras.Input(shape=(6,), dtype="int32")
    x = inputs
    for layer in k_model.layers[2:]:
        x = layer(x)
    return keras.Model(inputs, x)


def test_end_to_end_string_model_fits_like_keras():
    k_model, k_vectorize = _text_model(keras)
    j_model, j_vectorize = _text_model(jeras)
    j_model.set_weights(k_model.get_weights())
    assert j_vectorize.get_vocabulary() == k_vectorize.get_vocabulary()
    k_numeric = _keras_numeric_part(k_model)
    for model, lib in ((k_numeric, keras), (j_model, jeras)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="binary_crossentropy")
    dataset = tf.data.Dataset.from_tensor_slices((TEXTS[:, None], LABELS)).batch(8)
    # Keras's way: vectorize in the data pipeline; jeras runs the string model end to end.
    want = k_numeric.fit(dataset.map(lambda t, y: (k_vectorize(t), y)), epochs=2, verbose=0)
    got = j_model.fit(dataset, epochs=2, verbose=0)
    np.testing.assert_allclose(got.history["loss"], want.history["loss"], rtol=1e-5)
    vectors = np.asarray(k_vectorize(TEXTS[:, None]))
    np.testing.assert_allclose(
        j_model.predict(TEXTS[:, None], verbose=0), k_numeric.predict(vectors, verbose=0), atol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(j_model(TEXTS[:3, None])), k_numeric(vectors[:3]), atol=1e-6
    )


def test_dataset_map_with_the_jeras_layer():
    """The usual pipeline: `dataset.map(vectorize_layer)` through `tf.numpy_function`."""
    layer = jeras.layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    layer.adapt(TEXTS)
    reference = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    reference.adapt(TEXTS)

    def vectorize(text):
        return tf.numpy_function(lambda t: np.asarray(layer(t)), [text], tf.int32)

    batches = tf.data.Dataset.from_tensor_slices(TEXTS).batch(16).map(vectorize)
    got = np.concatenate([b.numpy() for b in batches])
    np.testing.assert_array_equal(got, np.asarray(reference(TEXTS)))


def test_keras_files_round_trip(tmp_path):
    x = TEXTS[:5, None]
    j_model, _ = _text_model(jeras)
    j_model.save(tmp_path / "j.keras")
    k_loaded = keras.saving.load_model(tmp_path / "j.keras")
    k_vectorize = k_loaded.layers[1]
    want = _keras_numeric_part(k_loaded)(np.asarray(k_vectorize(x)))
    np.testing.assert_allclose(j_model.predict(x, verbose=0), np.asarray(want), atol=1e-6)
    k_model, k_vectorize = _text_model(keras)
    k_model.save(tmp_path / "k.keras")
    j_loaded = jeras.saving.load_model(tmp_path / "k.keras")
    assert j_loaded.layers[1].get_vocabulary() == k_vectorize.get_vocabulary()
    want = _keras_numeric_part(k_model)(np.asarray(k_vectorize(x)))
    np.testing.assert_allclose(j_loaded.predict(x, verbose=0), np.asarray(want), atol=1e-6)
