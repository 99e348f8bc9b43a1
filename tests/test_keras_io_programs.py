"""keras-io example programs, run as written with `import jeras as keras`, trained to the same
numbers as real Keras 3 from the same initial weights.

Each program is kept as its text; the only edits are the ones listed next to it (the import, and
sizes that keep the run short). The data come from the program's own `load_data()` call, which
the test points at synthetic arrays of the real shapes and dtypes, so no download is needed.
"""

import contextlib
import io

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jeras

pytestmark = pytest.mark.slow

# https://keras.io/examples/vision/mnist_convnet/ ("Simple MNIST convnet", fchollet), in two
# parts so that the test can give both libraries the same initial weights between them.
# Edits: the two imports name jeras (the oracle run puts keras back), `epochs = 15` becomes
# `epochs = 1`.
MNIST_CONVNET_BUILD = """
import numpy as np
import jeras as keras
from jeras import layers

# Model / data parameters
num_classes = 10
input_shape = (28, 28, 1)

# Load the data and split it between train and test sets
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()

# Scale images to the [0, 1] range
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
# Make sure images have shape (28, 28, 1)
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")


# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.summary()
"""

MNIST_CONVNET_TRAIN = """
batch_size = 128
epochs = 1

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
"""

NUM_TRAIN, NUM_TEST = 2000, 500
BATCH_SIZE = 128


def _synthetic_mnist():
    """MNIST-shaped uint8 digits: one fixed blurry template per class plus noise, so a convnet
    learns something within one short epoch."""
    rng = np.random.default_rng(2026)
    templates = rng.random((10, 7, 7)) ** 3
    templates = np.kron(templates, np.ones((4, 4)))  # 28 x 28 blobs

    def draw(n):
        labels = rng.integers(0, 10, n).astype("uint8")
        images = 0.7 * templates[labels] + 0.3 * rng.random((n, 28, 28))
        return (255 * images).astype("uint8"), labels

    return draw(NUM_TRAIN), draw(NUM_TEST)


def _run(lib, monkeypatch, before_training=None):
    data = _synthetic_mnist()
    monkeypatch.setattr(lib.datasets.mnist, "load_data", lambda *args, **kwargs: data)
    build = MNIST_CONVNET_BUILD
    if lib is keras:
        build = build.replace("import jeras as keras", "import keras").replace(
            "from jeras import layers", "from keras import layers"
        )
    namespace = {}
    # The program draws its initial weights unseeded; a fixed seed keeps the test repeatable.
    lib.utils.set_random_seed(1)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(build, namespace)
        assert namespace["keras"] is lib
        if before_training is not None:
            before_training(namespace["model"])
        # fit() shuffles with NumPy's global generator: the same draws on both sides.
        np.random.seed(0)
        exec(MNIST_CONVNET_TRAIN, namespace)
    return namespace


def _replay_jeras_dropout(keras_layer, jeras_seed_state, full_batch_size):
    """Make a Keras Dropout layer draw the masks the jeras one draws.

    The two libraries turn a seed into masks differently (Keras uses its `[seed, counter]` state
    as the raw key; jeras folds the counter into `PRNGKey(seed)` and pads the short last batch,
    so its mask is drawn for a full batch). This is the one thing the Keras run takes from jeras;
    the training flag inside fit, a new key per step, scaling and the gradient through the mask
    stay Keras's."""
    counter, seed = jeras_seed_state
    keras_layer.seed_generator.state.assign(
        np.array([seed, counter], keras_layer.seed_generator.state.dtype)
    )
    rate = keras_layer.rate

    def call(inputs, training=False):
        if not training:
            return inputs
        state = keras_layer.seed_generator.state
        key = jax.random.fold_in(jax.random.PRNGKey(state.value[0]), state.value[1])
        state.assign(state.value + jnp.array([0, 1], state.value.dtype))
        rows = max(full_batch_size, inputs.shape[0])
        keep = jax.random.bernoulli(key, 1.0 - rate, (rows,) + tuple(inputs.shape[1:]))
        return jnp.where(keep[: inputs.shape[0]], inputs / (1.0 - rate), jnp.zeros_like(inputs))

    keras_layer.call = call


def _only_dropout(model, lib):
    (layer,) = [layer for layer in model.layers if isinstance(layer, lib.layers.Dropout)]
    return layer


def test_mnist_convnet_trains_like_keras(monkeypatch):
    start = {}

    def remember_start(jeras_model):
        start["weights"] = jeras_model.get_weights()
        # jeras's seed state is [counter, seed]; read before training advances it.
        state = _only_dropout(jeras_model, jeras).seed_generator.state
        start["dropout"] = np.asarray(state.value).tolist()

    def start_from_jeras(keras_model):
        keras_model.set_weights(start["weights"])
        _replay_jeras_dropout(_only_dropout(keras_model, keras), start["dropout"], BATCH_SIZE)

    got = _run(jeras, monkeypatch, before_training=remember_start)
    want = _run(keras, monkeypatch, before_training=start_from_jeras)

    got_history, want_history = got["model"].history.history, want["model"].history.history
    assert (
        sorted(got_history)
        == sorted(want_history)
        == ["accuracy", "loss", "val_accuracy", "val_loss"]
    )
    # Losses after 15 Adam steps on a convnet, float32: 1e-4 relative.
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got_history[key], want_history[key], rtol=1e-4, err_msg=key)
    np.testing.assert_allclose(got["score"][0], want["score"][0], rtol=1e-4)
    # Accuracies count samples: equal, or one borderline sample apart.
    num_val = NUM_TRAIN // 10
    for key, count in (("accuracy", NUM_TRAIN - num_val), ("val_accuracy", num_val)):
        np.testing.assert_allclose(
            got_history[key], want_history[key], atol=1.01 / count, err_msg=key
        )
    np.testing.assert_allclose(got["score"][1], want["score"][1], atol=1.01 / NUM_TEST)
    # The program does learn on these data (so the comparison is not between two stuck runs).
    assert want["score"][1] > 0.3
    # Adam moves every weight by up to its learning rate (1e-3) a step whatever the size of the
    # gradient, so a weight whose gradient is ~0 (a dead ReLU's bias) turns rounding noise into
    # steps of that size: 1e-4 absolute.
    for got_weight, want_weight in zip(got["model"].get_weights(), want["model"].get_weights()):
        np.testing.assert_allclose(got_weight, want_weight, rtol=1e-4, atol=1e-4)


# https://keras.io/examples/nlp/bidirectional_lstm_imdb/ ("Bidirectional LSTM on IMDB",
# fchollet), as written but for: the imports name jeras (the oracle run puts keras back), and
# the reviews are synthetic lists of word indices (96 training and 32 validation reviews of 20
# to 60 words) instead of `keras.datasets.imdb.load_data`, which downloads.
IMDB_BIDIRECTIONAL_LSTM_BUILD = """
import numpy as np
import jeras as keras
from jeras import layers

max_features = 20000  # Only consider the top 20k words
maxlen = 200  # Only consider the first 200 words of each movie review

# Input for variable-length sequences of integers
inputs = keras.Input(shape=(None,), dtype="int32")
# Embed each integer in a 128-dimensional vector
x = layers.Embedding(max_features, 128)(inputs)
# Add 2 bidirectional LSTMs
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(64))(x)
# Add a classifier
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.summary()
"""

IMDB_BIDIRECTIONAL_LSTM_TRAIN = """
x_train = keras.utils.pad_sequences(x_train, maxlen=maxlen)
x_val = keras.utils.pad_sequences(x_val, maxlen=maxlen)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val))
"""


def _synthetic_imdb_reviews():
    """Reviews as lists of word indices (1 starts a review, as in the IMDB files); a positive
    review draws some of its words from one band of the vocabulary, a negative one from
    another, so the model has something to learn."""
    rng = np.random.default_rng(2027)

    def draw(n):
        labels = rng.integers(0, 2, n)
        reviews = []
        for label in labels:
            length = int(rng.integers(20, 61))
            words = rng.integers(2, 20000, length)
            marked = rng.choice(length, size=5, replace=False)
            words[marked] = rng.integers(100, 200, 5) if label else rng.integers(200, 300, 5)
            reviews.append([1] + words.tolist())
        return np.array(reviews, dtype=object), labels

    return draw(96), draw(32)


def _run_imdb(lib, before_training=None):
    (x_train, y_train), (x_val, y_val) = _synthetic_imdb_reviews()
    build = IMDB_BIDIRECTIONAL_LSTM_BUILD
    if lib is keras:
        build = build.replace("import jeras as keras", "import keras").replace(
            "from jeras import layers", "from keras import layers"
        )
    namespace = dict(x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val)
    lib.utils.set_random_seed(1)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(build, namespace)
        assert namespace["keras"] is lib
        if before_training is not None:
            before_training(namespace["model"])
        np.random.seed(0)
        exec(IMDB_BIDIRECTIONAL_LSTM_TRAIN, namespace)
    return namespace


def test_imdb_bidirectional_lstm_trains_like_keras():
    start = {}
    got = _run_imdb(jeras, before_training=lambda m: start.update(weights=m.get_weights()))
    want = _run_imdb(keras, before_training=lambda m: m.set_weights(start["weights"]))
    got_history, want_history = got["model"].history.history, want["model"].history.history
    assert sorted(got_history) == sorted(want_history)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got_history[key], want_history[key], rtol=1e-4, err_msg=key)
    for key, count in (("accuracy", 96), ("val_accuracy", 32)):
        np.testing.assert_allclose(
            got_history[key], want_history[key], atol=1.01 / count, err_msg=key
        )
    for got_weight, want_weight in zip(got["model"].get_weights(), want["model"].get_weights()):
        np.testing.assert_allclose(got_weight, want_weight, rtol=1e-4, atol=1e-4)
