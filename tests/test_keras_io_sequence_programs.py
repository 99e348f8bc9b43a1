"""Four keras-io sequence programs, run as written with `import jeras as keras`, trained to the
same numbers as real Keras 3 from the same initial weights (and the same dropout masks).

Each program is kept as its Keras 3 text, in two parts (build, then train) so that the test can
give both libraries the same initial weights between them. The edits are listed next to each:
the imports name jeras (the oracle run puts keras back), and sizes that keep the run short. Where
a program downloads its data, the download is pointed at synthetic data of the real kind, so no
network is needed. jeras has no `utils.get_file` (it downloads), so the test supplies one, the
same for both libraries.
"""

import contextlib
import io
import random
import zipfile

import keras
import numpy as np
import pytest
from test_keras_io_programs import _replay_jeras_dropout

import jeras

pytestmark = pytest.mark.slow


def _as_keras(text):
    for part in ("import jeras as keras", "from jeras import layers", "from jeras import ops"):
        text = text.replace(part, part.replace("jeras", "keras"))
    return text


def _dropouts(model, lib):
    """The model's Dropout layers that drop something, nested ones (attention's) included, in
    the order the model holds them."""
    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, lib.layers.Dropout) and layer.rate > 0
    ]


def _run_both(build, train, batch_size, seed_numpy=0, prepare=None, build_with="x_train"):
    """Run the program on jeras, then on Keras from jeras's initial weights and dropout masks.
    Returns the two namespaces."""
    start = {}

    def run(lib):
        namespace = {}
        lib.backend.clear_session()
        # The programs draw their initial weights (and data) unseeded; fixed seeds keep the test
        # repeatable and give both runs the same data and the same shuffles.
        lib.utils.set_random_seed(1)
        np.random.seed(seed_numpy)
        random.seed(seed_numpy)
        if prepare is not None:
            prepare(lib)
        text_build, text_train = (build, train) if lib is jeras else map(_as_keras, (build, train))
        with contextlib.redirect_stdout(io.StringIO()):
            exec(text_build, namespace)
            assert namespace["keras"] is lib
            model = namespace["model"]
            if not model.built:  # a subclassed model: one call builds it, as fit would
                model.predict(namespace[build_with][:1], verbose=0)
            dropouts = _dropouts(model, lib)
            if lib is jeras:
                start["weights"] = model.get_weights()
                # jeras's seed states ([counter, seed]) before training advances them.
                start["dropouts"] = [
                    (layer.rate, np.asarray(layer.seed_generator.state.value).tolist())
                    for layer in dropouts
                ]
            else:
                model.set_weights(start["weights"])
                assert [layer.rate for layer in dropouts] == [r for r, _ in start["dropouts"]]
                for layer, (_, state) in zip(dropouts, start["dropouts"]):
                    _replay_jeras_dropout(layer, state, batch_size)
            namespace["dropouts_replayed"] = len(dropouts)
            np.random.seed(seed_numpy + 1)
            random.seed(seed_numpy + 1)
            exec(text_train, namespace)
        return namespace

    return run(jeras), run(keras)


def _assert_same_history(got, want, keys, rtol):
    assert sorted(got) == sorted(want) == sorted(keys)
    for key in keys:
        np.testing.assert_allclose(got[key], want[key], rtol=rtol, err_msg=key)


def _assert_same_weights(got_model, want_model, rtol, atol):
    got_weights, want_weights = got_model.get_weights(), want_model.get_weights()
    assert len(got_weights) == len(want_weights)
    for index, (got, want) in enumerate(zip(got_weights, want_weights)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"weight {index}")


# https://keras.io/examples/nlp/addition_rnn/ ("Sequence to sequence learning for performing
# number addition", Smerity and others), Keras 3 version. Edits: the imports name jeras,
# TRAINING_SIZE 50000 -> 1000, epochs 30 -> 2 (the loop runs `range(1, epochs)`: one epoch).
ADDITION_RNN_BUILD = """
import jeras as keras
from jeras import layers
import numpy as np

# Parameters for the model and dataset.
TRAINING_SIZE = 1000
DIGITS = 3
REVERSE = True

# Maximum length of input is 'int + int' (e.g., '345+678'). Maximum length of
# int is DIGITS.
MAXLEN = DIGITS + 1 + DIGITS


class CharacterTable:
    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))

    def encode(self, C, num_rows):
        x = np.zeros((num_rows, len(self.chars)))
        for i, c in enumerate(C):
            x[i, self.char_indices[c]] = 1
        return x

    def decode(self, x, calc_argmax=True):
        if calc_argmax:
            x = x.argmax(axis=-1)
        return "".join(self.indices_char[x] for x in x)


# All the numbers, plus sign and space for padding.
chars = "0123456789+ "
ctable = CharacterTable(chars)

questions = []
expected = []
seen = set()
print("Generating data...")
while len(questions) < TRAINING_SIZE:
    f = lambda: int(
        "".join(
            np.random.choice(list("0123456789"))
            for i in range(np.random.randint(1, DIGITS + 1))
        )
    )
    a, b = f(), f()
    # Skip any addition questions we've already seen
    # Also skip any such that x+Y == Y+x (hence the sorting).
    key = tuple(sorted((a, b)))
    if key in seen:
        continue
    seen.add(key)
    # Pad the data with spaces such that it is always MAXLEN.
    q = "{}+{}".format(a, b)
    query = q + " " * (MAXLEN - len(q))
    ans = str(a + b)
    # Answers can be of maximum size DIGITS + 1.
    ans += " " * (DIGITS + 1 - len(ans))
    if REVERSE:
        # Reverse the query, e.g., '12+345  ' becomes '  543+21'. (Note the
        # space used for padding.)
        query = query[::-1]
    questions.append(query)
    expected.append(ans)
print("Total questions:", len(questions))

print("Vectorization...")
x = np.zeros((len(questions), MAXLEN, len(chars)), dtype=bool)
y = np.zeros((len(questions), DIGITS + 1, len(chars)), dtype=bool)
for i, sentence in enumerate(questions):
    x[i] = ctable.encode(sentence, MAXLEN)
for i, sentence in enumerate(expected):
    y[i] = ctable.encode(sentence, DIGITS + 1)

# Shuffle (x, y) in unison as the later parts of x will almost all be larger
# digits.
indices = np.arange(len(y))
np.random.shuffle(indices)
x = x[indices]
y = y[indices]

# Explicitly set apart 10% for validation data that we never train over.
split_at = len(x) - len(x) // 10
(x_train, x_val) = x[:split_at], x[split_at:]
(y_train, y_val) = y[:split_at], y[split_at:]

print("Build model...")
num_layers = 1  # Try to add more LSTM layers!

model = keras.Sequential()
# "Encode" the input sequence using a LSTM, producing an output of size 128.
model.add(layers.Input((MAXLEN, len(chars))))
model.add(layers.LSTM(128))
# As the decoder RNN's input, repeatedly provide with the last output of
# RNN for each time step.
model.add(layers.RepeatVector(DIGITS + 1))
# The decoder RNN could be multiple layers stacked or a single layer.
for _ in range(num_layers):
    model.add(layers.LSTM(128, return_sequences=True))

model.add(layers.Dense(len(chars), activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()
"""

ADDITION_RNN_TRAIN = """
epochs = 2
batch_size = 32

guesses = []
for epoch in range(1, epochs):
    print()
    print("Iteration", epoch)
    model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=1,
        validation_data=(x_val, y_val),
    )
    # Select 10 samples from the validation set at random so we can visualize
    # errors.
    for i in range(10):
        ind = np.random.randint(0, len(x_val))
        rowx, rowy = x_val[np.array([ind])], y_val[np.array([ind])]
        preds = np.argmax(model.predict(rowx), axis=-1)
        q = ctable.decode(rowx[0])
        correct = ctable.decode(rowy[0])
        guess = ctable.decode(preds[0], calc_argmax=False)
        guesses.append(guess)
        print("Q", q[::-1] if REVERSE else q, end=" ")
        print("T", correct, end=" ")
        if correct == guess:
            print("☑ " + guess)
        else:
            print("☒ " + guess)
"""


def test_addition_rnn_trains_like_keras():
    got, want = _run_both(ADDITION_RNN_BUILD, ADDITION_RNN_TRAIN, batch_size=32)
    np.testing.assert_array_equal(got["x_train"], want["x_train"])  # same data on both sides
    _assert_same_history(
        got["model"].history.history,
        want["model"].history.history,
        ["loss", "accuracy", "val_loss", "val_accuracy"],
        rtol=1e-4,
    )
    assert got["guesses"] == want["guesses"]
    # It learns something in its one epoch (chance is 1 character in 12).
    assert want["model"].history.history["val_accuracy"][0] > 0.2
    probabilities = [ns["model"].predict(ns["x_val"], verbose=0) for ns in (got, want)]
    np.testing.assert_allclose(*probabilities, atol=1e-5)
    _assert_same_weights(got["model"], want["model"], rtol=1e-4, atol=1e-4)


# https://keras.io/examples/generative/lstm_character_level_text_generation/ ("Character-level
# text generation with LSTM", fchollet), Keras 3 version. Edits: the imports name jeras;
# epochs 40 -> 1; 400 generated characters -> 5 (each is a `predict` call). The text file that
# `get_file` fetches is synthetic (3,000 characters of lower-case words).
CHAR_LSTM_BUILD = """
import jeras as keras
from jeras import layers

import numpy as np
import random
import io

path = keras.utils.get_file(
    "nietzsche.txt",
    origin="https://s3.amazonaws.com/text-datasets/nietzsche.txt",
)
with io.open(path, encoding="utf-8") as f:
    text = f.read().lower()
text = text.replace("\\n", " ")  # We remove newlines chars for nicer display
print("Corpus length:", len(text))

chars = sorted(list(set(text)))
print("Total chars:", len(chars))
char_indices = dict((c, i) for i, c in enumerate(chars))
indices_char = dict((i, c) for i, c in enumerate(chars))

# cut the text in semi-redundant sequences of maxlen characters
maxlen = 40
step = 3
sentences = []
next_chars = []
for i in range(0, len(text) - maxlen, step):
    sentences.append(text[i : i + maxlen])
    next_chars.append(text[i + maxlen])
print("Number of sequences:", len(sentences))

x = np.zeros((len(sentences), maxlen, len(chars)), dtype="bool")
y = np.zeros((len(sentences), len(chars)), dtype="bool")
for i, sentence in enumerate(sentences):
    for t, char in enumerate(sentence):
        x[i, t, char_indices[char]] = 1
    y[i, char_indices[next_chars[i]]] = 1

model = keras.Sequential(
    [
        keras.Input(shape=(maxlen, len(chars))),
        layers.LSTM(128),
        layers.Dense(len(chars), activation="softmax"),
    ]
)
optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
model.compile(loss="categorical_crossentropy", optimizer=optimizer)
"""

CHAR_LSTM_TRAIN = """
def sample(preds, temperature=1.0):
    # helper function to sample an index from a probability array
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


epochs = 1
batch_size = 128

losses = []
all_preds = []
for epoch in range(epochs):
    history = model.fit(x, y, batch_size=batch_size, epochs=1)
    losses += history.history["loss"]
    print()
    print("Generating text after epoch: %d" % epoch)

    start_index = random.randint(0, len(text) - maxlen - 1)
    for diversity in [0.2, 0.5, 1.0, 1.2]:
        print("...Diversity:", diversity)

        generated = ""
        sentence = text[start_index : start_index + maxlen]
        print('...Generating with seed: "' + sentence + '"')

        for i in range(5):
            x_pred = np.zeros((1, maxlen, len(chars)))
            for t, char in enumerate(sentence):
                x_pred[0, t, char_indices[char]] = 1.0
            preds = model.predict(x_pred, verbose=0)[0]
            all_preds.append(preds)
            next_index = sample(preds, diversity)
            next_char = indices_char[next_index]
            sentence = sentence[1:] + next_char
            generated += next_char

        print("...Generated: ", generated)
        print("-")
"""


def _synthetic_text():
    rng = np.random.default_rng(2026)
    words = ["the", "will", "to", "power", "of", "truth", "and", "man", "is", "a", "free"]
    return " ".join(rng.choice(words, 900).tolist())[:3000] + "\n"


def test_character_level_text_generation_trains_like_keras(tmp_path, monkeypatch):
    text_file = tmp_path / "nietzsche.txt"
    text_file.write_text(_synthetic_text(), encoding="utf-8")

    def prepare(lib):
        monkeypatch.setattr(lib.utils, "get_file", lambda *a, **k: str(text_file), raising=False)

    got, want = _run_both(CHAR_LSTM_BUILD, CHAR_LSTM_TRAIN, batch_size=128, prepare=prepare)
    np.testing.assert_allclose(got["losses"], want["losses"], rtol=1e-4)
    # The next-character probabilities the generation draws from (20 predictions).
    np.testing.assert_allclose(np.array(got["all_preds"]), np.array(want["all_preds"]), atol=1e-5)
    _assert_same_weights(got["model"], want["model"], rtol=1e-4, atol=1e-4)


# https://keras.io/examples/timeseries/timeseries_classification_transformer/ ("Timeseries
# classification with a Transformer model", Theodoros Ntakouris), Keras 3 version. Edits: the
# imports name jeras; epochs 200 -> 2. The FordA files that `readucr` reads with `np.loadtxt` are
# synthetic and shorter (160 train and 64 test series of 60 steps, not 3601/1320 of 500; the
# label first, -1 or 1, as in the real files).
TIMESERIES_TRANSFORMER_BUILD = """
import numpy as np


def readucr(filename):
    data = np.loadtxt(filename, delimiter="\\t")
    y = data[:, 0]
    x = data[:, 1:]
    return x, y.astype(int)


root_url = "https://raw.githubusercontent.com/hfawaz/cd-diagram/master/FordA/"

x_train, y_train = readucr(root_url + "FordA_TRAIN.tsv")
x_test, y_test = readucr(root_url + "FordA_TEST.tsv")

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

n_classes = len(np.unique(y_train))

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

y_train[y_train == -1] = 0
y_test[y_test == -1] = 0

import jeras as keras
from jeras import layers


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    # Attention and Normalization
    x = layers.MultiHeadAttention(
        key_dim=head_size, num_heads=num_heads, dropout=dropout
    )(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = x + inputs

    # Feed Forward Part
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return x + res


def build_model(
    input_shape,
    head_size,
    num_heads,
    ff_dim,
    num_transformer_blocks,
    mlp_units,
    dropout=0,
    mlp_dropout=0,
):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


input_shape = x_train.shape[1:]

model = build_model(
    input_shape,
    head_size=256,
    num_heads=4,
    ff_dim=4,
    num_transformer_blocks=4,
    mlp_units=[128],
    mlp_dropout=0.4,
    dropout=0.25,
)

model.compile(
    loss="sparse_categorical_crossentropy",
    optimizer=keras.optimizers.Adam(learning_rate=1e-4),
    metrics=["sparse_categorical_accuracy"],
)
model.summary()
"""

TIMESERIES_TRANSFORMER_TRAIN = """
callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]

history = model.fit(
    x_train,
    y_train,
    validation_split=0.2,
    epochs=2,
    batch_size=64,
    callbacks=callbacks,
)

score = model.evaluate(x_test, y_test, verbose=1)
"""


def _synthetic_forda(path, count, steps, rng):
    """FordA-like rows: label (-1 or 1), then a noisy sine whose frequency tells the class."""
    labels = rng.choice([-1, 1], count)
    t = np.arange(steps)
    frequency = np.where(labels > 0, 0.3, 0.1)[:, None]
    series = np.sin(frequency * t + rng.random((count, 1)) * 6) + 0.5 * rng.normal(
        size=(count, steps)
    )
    np.savetxt(path, np.column_stack([labels, series]), delimiter="\t")


def test_timeseries_classification_transformer_trains_like_keras(tmp_path, monkeypatch):
    rng = np.random.default_rng(2026)
    files = {}
    for name, count in (("FordA_TRAIN.tsv", 160), ("FordA_TEST.tsv", 64)):
        files[name] = tmp_path / name
        _synthetic_forda(files[name], count, 60, rng)
    real_loadtxt = np.loadtxt

    def loadtxt(filename, *args, **kwargs):
        return real_loadtxt(files[str(filename).rsplit("/", 1)[-1]], *args, **kwargs)

    monkeypatch.setattr(np, "loadtxt", loadtxt)
    got, want = _run_both(TIMESERIES_TRANSFORMER_BUILD, TIMESERIES_TRANSFORMER_TRAIN, batch_size=64)
    np.testing.assert_array_equal(got["x_train"], want["x_train"])
    # Per block: the attention's dropout, then two Dropout layers; then the head's: 4 * 3 + 1.
    assert got["dropouts_replayed"] == want["dropouts_replayed"] == 13
    keys = ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    got_history, want_history = got["history"].history, want["history"].history
    assert sorted(got_history) == sorted(want_history) == sorted(keys)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got_history[key], want_history[key], rtol=1e-4, err_msg=key)
    # Accuracies count samples (128 trained, 32 validated): equal, or one sample apart.
    for key, count in (
        ("sparse_categorical_accuracy", 128),
        ("val_sparse_categorical_accuracy", 32),
    ):
        np.testing.assert_allclose(got_history[key], want_history[key], atol=1.01 / count)
    np.testing.assert_allclose(got["score"][0], want["score"][0], rtol=1e-4)
    _assert_same_weights(got["model"], want["model"], rtol=1e-4, atol=1e-4)


# https://keras.io/examples/structured_data/collaborative_filtering_movielens/ ("Collaborative
# Filtering for Movie Recommendations", Siddhartha Banerjee), Keras 3 version, up to training
# and the top-10 recommendations. Edits: the imports name jeras; epochs 5 -> 2; the loss plot
# and the closing prints left out. The subclassed model is built by the test (one predict on a
# training row) before the weights are shared. The zip that `get_file` fetches is synthetic (60 users, 120
# movies, 3,000 ratings in half stars from 0.5 to 5), with the real file layout.
COLLABORATIVE_FILTERING_BUILD = """
import pandas as pd
from pathlib import Path
import numpy as np
from zipfile import ZipFile

import jeras as keras
from jeras import layers
from jeras import ops

movielens_data_file_url = (
    "http://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
)
movielens_zipped_file = keras.utils.get_file(
    "ml-latest-small.zip", movielens_data_file_url, extract=False
)
keras_datasets_path = Path(movielens_zipped_file).parents[0]
movielens_dir = keras_datasets_path / "ml-latest-small"

# Only extract the data the first time the script is run.
if not movielens_dir.exists():
    with ZipFile(movielens_zipped_file, "r") as zip:
        # Extract files
        print("Extracting all the files now...")
        zip.extractall(path=keras_datasets_path)
        print("Done!")

ratings_file = movielens_dir / "ratings.csv"
df = pd.read_csv(ratings_file)

user_ids = df["userId"].unique().tolist()
user2user_encoded = {x: i for i, x in enumerate(user_ids)}
userencoded2user = {i: x for i, x in enumerate(user_ids)}
movie_ids = df["movieId"].unique().tolist()
movie2movie_encoded = {x: i for i, x in enumerate(movie_ids)}
movie_encoded2movie = {i: x for i, x in enumerate(movie_ids)}
df["user"] = df["userId"].map(user2user_encoded)
df["movie"] = df["movieId"].map(movie2movie_encoded)

num_users = len(user2user_encoded)
num_movies = len(movie_encoded2movie)
df["rating"] = df["rating"].values.astype(np.float32)
# min and max ratings will be used to normalize the ratings later
min_rating = min(df["rating"])
max_rating = max(df["rating"])

print(
    "Number of users: {}, Number of Movies: {}, Min rating: {}, Max rating: {}".format(
        num_users, num_movies, min_rating, max_rating
    )
)

df = df.sample(frac=1, random_state=42)
x = df[["user", "movie"]].values
# Normalize the targets between 0 and 1. Makes it easy to train.
y = (
    df["rating"]
    .apply(lambda x: (x - min_rating) / (max_rating - min_rating))
    .values
)
# Assuming training on 90% of the data and validating on 10%.
train_indices = int(0.9 * df.shape[0])
x_train, x_val, y_train, y_val = (
    x[:train_indices],
    x[train_indices:],
    y[:train_indices],
    y[train_indices:],
)

EMBEDDING_SIZE = 50


class RecommenderNet(keras.Model):
    def __init__(self, num_users, num_movies, embedding_size, **kwargs):
        super().__init__(**kwargs)
        self.num_users = num_users
        self.num_movies = num_movies
        self.embedding_size = embedding_size
        self.user_embedding = layers.Embedding(
            num_users,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.user_bias = layers.Embedding(num_users, 1)
        self.movie_embedding = layers.Embedding(
            num_movies,
            embedding_size,
            embeddings_initializer="he_normal",
            embeddings_regularizer=keras.regularizers.l2(1e-6),
        )
        self.movie_bias = layers.Embedding(num_movies, 1)

    def call(self, inputs):
        user_vector = self.user_embedding(inputs[:, 0])
        user_bias = self.user_bias(inputs[:, 0])
        movie_vector = self.movie_embedding(inputs[:, 1])
        movie_bias = self.movie_bias(inputs[:, 1])
        dot_user_movie = ops.tensordot(user_vector, movie_vector, 2)
        # Add all the components (including bias)
        x = dot_user_movie + user_bias + movie_bias
        # The sigmoid activation forces the rating to between 0 and 1
        return ops.nn.sigmoid(x)


model = RecommenderNet(num_users, num_movies, EMBEDDING_SIZE)
model.compile(
    loss=keras.losses.BinaryCrossentropy(),
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
)
"""

COLLABORATIVE_FILTERING_TRAIN = """
history = model.fit(
    x=x_train,
    y=y_train,
    batch_size=64,
    epochs=2,
    verbose=1,
    validation_data=(x_val, y_val),
)

movie_df = pd.read_csv(movielens_dir / "movies.csv")

# Let us get a user and see the top recommendations.
user_id = df.userId.sample(1).iloc[0]
movies_watched_by_user = df[df.userId == user_id]
movies_not_watched = movie_df[
    ~movie_df["movieId"].isin(movies_watched_by_user.movieId.values)
]["movieId"]
movies_not_watched = list(
    set(movies_not_watched).intersection(set(movie2movie_encoded.keys()))
)
movies_not_watched = [[movie2movie_encoded.get(x)] for x in movies_not_watched]
user_encoder = user2user_encoded.get(user_id)
user_movie_array = np.hstack(
    ([[user_encoder]] * len(movies_not_watched), movies_not_watched)
)
ratings = model.predict(user_movie_array).flatten()
top_ratings_indices = ratings.argsort()[-10:][::-1]
recommended_movie_ids = [
    movie_encoded2movie.get(movies_not_watched[x][0])
    for x in top_ratings_indices
]
"""


def _synthetic_movielens(zip_path, num_ratings):
    """MovieLens-like files: 60 users, 120 movies (ids with gaps, as in the real data),
    `num_ratings` half-star ratings from 0.5 to 5 that follow a few hidden tastes."""
    rng = np.random.default_rng(2026)
    users, movies = np.arange(1, 61), np.arange(1, 1201, 10)
    taste = rng.normal(size=(61, 3))
    kind = rng.normal(size=(1201, 3))
    every_pair = [(int(u), int(m)) for u in users for m in movies]
    chosen = rng.choice(len(every_pair), num_ratings, replace=False)
    rows = ["userId,movieId,rating,timestamp"]
    for user, movie in sorted(every_pair[i] for i in chosen):
        score = 2.75 + 1.5 * np.tanh(taste[user] @ kind[movie] / 2) + rng.normal(0, 0.3)
        rating = float(np.clip(np.round(score * 2) / 2, 0.5, 5.0))
        rows.append(f"{user},{movie},{rating},{964982703 + movie}")
    titles = ["movieId,title,genres"] + [f"{m},Movie {m} (1999),Drama" for m in movies]
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("ml-latest-small/ratings.csv", "\n".join(rows) + "\n")
        archive.writestr("ml-latest-small/movies.csv", "\n".join(titles) + "\n")


def _run_collaborative_filtering(tmp_path, monkeypatch, num_ratings):
    zip_path = tmp_path / "ml-latest-small.zip"
    _synthetic_movielens(zip_path, num_ratings)

    def prepare(lib):
        monkeypatch.setattr(lib.utils, "get_file", lambda *a, **k: str(zip_path), raising=False)

    return _run_both(
        COLLABORATIVE_FILTERING_BUILD,
        COLLABORATIVE_FILTERING_TRAIN,
        batch_size=64,
        prepare=prepare,
    )


# The model's `call` couples the rows of a batch: `ops.tensordot(user_vector, movie_vector, 2)`
# contracts the batch axis too, so every row's score holds the sum over the whole batch. A
# padded short batch would change the real rows' outputs (measured before `rows_independent`:
# loss [0.8790, 0.8626] against Keras's [0.8737, 0.8622] on 3,000 ratings); since the model's
# own `call` makes no `Layer.rows_independent` promise, jeras runs the short batch unpadded.
def test_collaborative_filtering_movielens_trains_like_keras(tmp_path, monkeypatch):
    got, want = _run_collaborative_filtering(tmp_path, monkeypatch, num_ratings=3000)
    _assert_same_history(
        got["history"].history, want["history"].history, ["loss", "val_loss"], rtol=1e-4
    )
    np.testing.assert_allclose(got["ratings"], want["ratings"], atol=1e-5)
    assert got["recommended_movie_ids"] == want["recommended_movie_ids"]
    _assert_same_weights(got["model"], want["model"], rtol=1e-4, atol=1e-4)


def test_collaborative_filtering_movielens_full_batches_train_like_keras(tmp_path, monkeypatch):
    """The same program on 6,400 ratings: 5,760 to train and 640 to validate, whole batches of
    64 both, so no batch is padded; training and validation match Keras."""
    got, want = _run_collaborative_filtering(tmp_path, monkeypatch, num_ratings=6400)
    assert len(got["x_train"]) % 64 == 0 and len(got["x_val"]) % 64 == 0
    _assert_same_history(
        got["history"].history, want["history"].history, ["loss", "val_loss"], rtol=1e-4
    )
    _assert_same_weights(got["model"], want["model"], rtol=1e-4, atol=1e-4)
    # The recommendations predict on a sample count that is not a whole number of batches,
    # so their scores are not compared here (see the test above).
