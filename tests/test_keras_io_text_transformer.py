"""The keras-io program "Text classification with Transformer" (Apoorv Nandan), run as written
with `import jeras as keras`, trained to the same numbers as real Keras 3 from the same initial
weights and the same dropout masks.

https://keras.io/examples/nlp/text_classification_with_transformer/ (last modified 2024/01/18),
in two parts so that the test can give both libraries the same initial weights between them.
Edits: the three imports name jeras (the oracle run puts keras back). The data come from the
program's own `imdb.load_data()` call, pointed at synthetic reviews of the real kind (lists of
word indices of varied lengths, so `pad_sequences` both pads and truncates), so no download is
needed; jeras has no `datasets.imdb` of its own, so the test supplies that module for both
libraries.
"""

import contextlib
import io
import types

import keras
import numpy as np
import pytest
from test_keras_io_programs import _replay_jeras_dropout

import jeras

PROGRAM_BUILD = """
import jeras as keras
from jeras import ops
from jeras import layers


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [
                layers.Dense(ff_dim, activation="relu"),
                layers.Dense(embed_dim),
            ]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


vocab_size = 20000  # Only consider the top 20k words
maxlen = 200  # Only consider the first 200 words of each movie review
(x_train, y_train), (x_val, y_val) = keras.datasets.imdb.load_data(num_words=vocab_size)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)


embed_dim = 32  # Embedding size for each token
num_heads = 2  # Number of attention heads
ff_dim = 32  # Hidden layer size in feed forward network inside transformer

inputs = layers.Input(shape=(maxlen,))
embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
x = embedding_layer(inputs)
transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
x = transformer_block(x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu")(x)
x = layers.Dropout(0.1)(x)
outputs = layers.Dense(2, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
"""

PROGRAM_TRAIN = """
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
history = model.fit(
    x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val)
)
"""

NUM_TRAIN, NUM_VAL, BATCH_SIZE = 320, 96, 32
pytestmark = pytest.mark.slow


def _synthetic_imdb(num_words):
    """IMDB-like reviews: lists of word indices (1 starts a review, as in the real data) of
    50 to 300 words; a positive review draws a third of its words from one band of frequent
    words, a negative one from another, so that the program learns within two epochs."""
    rng = np.random.default_rng(2026)

    def draw(n):
        labels = rng.integers(0, 2, n)
        reviews = []
        for label in labels:
            length = int(rng.integers(50, 300))
            words = rng.integers(2, num_words, length)
            band = 10 + 50 * label
            telling = rng.random(length) < 0.3
            words[telling] = rng.integers(band, band + 50, int(telling.sum()))
            reviews.append([1] + words.tolist())
        out = np.empty(n, dtype=object)
        out[:] = reviews
        return out, labels.astype("int64")

    return draw(NUM_TRAIN), draw(NUM_VAL)


def _run(lib, monkeypatch, before_training):
    def load_data(num_words=None, **kwargs):
        return _synthetic_imdb(num_words)

    imdb = getattr(lib.datasets, "imdb", None)
    if imdb is None:
        monkeypatch.setattr(
            lib.datasets, "imdb", types.SimpleNamespace(load_data=load_data), raising=False
        )
    else:
        monkeypatch.setattr(imdb, "load_data", load_data)
    build = PROGRAM_BUILD
    if lib is keras:
        for part in ("import jeras as keras", "from jeras import ops", "from jeras import layers"):
            build = build.replace(part, part.replace("jeras", "keras"))
    namespace = {}
    # Fresh automatic names: the two runs name their layers alike (`dropout`, `dropout_1`, ...).
    lib.backend.clear_session()
    # The program draws its initial weights unseeded; a fixed seed keeps the test repeatable.
    lib.utils.set_random_seed(1)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(build, namespace)
        assert namespace["keras"] is lib
        before_training(namespace["model"])
        # fit() shuffles with NumPy's global generator: the same draws on both sides.
        np.random.seed(0)
        exec(PROGRAM_TRAIN, namespace)
    return namespace


def _dropouts(model, lib):
    """The model's Dropout layers that drop something, nested ones included, by name
    (MultiHeadAttention's own, of rate 0 here, left out)."""
    return {
        layer.name: layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, lib.layers.Dropout) and layer.rate > 0
    }


def test_text_classification_with_transformer_trains_like_keras(monkeypatch):
    start = {}

    def remember_start(jeras_model):
        start["weights"] = jeras_model.get_weights()
        # jeras's seed states ([counter, seed]) before training advances them.
        start["dropouts"] = {
            name: np.asarray(layer.seed_generator.state.value).tolist()
            for name, layer in _dropouts(jeras_model, jeras).items()
        }

    def start_from_jeras(keras_model):
        keras_model.set_weights(start["weights"])
        dropouts = _dropouts(keras_model, keras)
        assert sorted(dropouts) == sorted(start["dropouts"]) and len(dropouts) == 4
        for name, layer in dropouts.items():
            _replay_jeras_dropout(layer, start["dropouts"][name], BATCH_SIZE)

    got = _run(jeras, monkeypatch, remember_start)
    want = _run(keras, monkeypatch, start_from_jeras)

    got_history, want_history = got["history"].history, want["history"].history
    assert (
        sorted(got_history)
        == sorted(want_history)
        == ["accuracy", "loss", "val_accuracy", "val_loss"]
    )
    # Losses after 20 Adam steps through attention and layer normalization, float32.
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got_history[key], want_history[key], rtol=1e-4, err_msg=key)
    # Accuracies count samples: equal, or one borderline sample apart.
    for key, count in (("accuracy", NUM_TRAIN), ("val_accuracy", NUM_VAL)):
        np.testing.assert_allclose(
            got_history[key], want_history[key], atol=1.01 / count, err_msg=key
        )
    # The program does learn on these data (so the comparison is not between two stuck runs).
    assert want_history["val_accuracy"][-1] > 0.7
    # Adam moves a weight by up to its learning rate (1e-3) a step whatever its gradient's
    # size, so rounding noise in a ~0 gradient becomes steps of that size: 1e-4 absolute.
    got_weights, want_weights = got["model"].get_weights(), want["model"].get_weights()
    token_table, position_table = 0, 1  # TokenAndPositionEmbedding's, first in both
    for index, (got_weight, want_weight) in enumerate(zip(got_weights, want_weights)):
        if index in (token_table, position_table):
            continue
        np.testing.assert_allclose(got_weight, want_weight, rtol=1e-4, atol=1e-4)
    # The embedding tables: one word seen once in the data (row 19126, at position 64 of one
    # review) ends a few Adam steps apart (4e-3); the same run without dropout matches to 1e-6
    # everywhere, so it comes from replaying jeras's dropout masks in Keras, not from the
    # attention. Every other row agrees to 1e-4.
    for index in (token_table, position_table):
        close = np.isclose(got_weights[index], want_weights[index], rtol=1e-4, atol=1e-4)
        rows_apart = np.flatnonzero(~close.all(axis=-1))
        assert len(rows_apart) <= 1, f"embedding table {index}: rows {rows_apart} differ"
        np.testing.assert_allclose(got_weights[index], want_weights[index], atol=1e-2)
