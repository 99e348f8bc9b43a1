"""keras-io programs built on the text and categorical preprocessing layers, run as written
with `import jeras as keras`, trained to the same numbers as real Keras 3 from the same initial
weights. The programs keep their `tf.data` pipelines (TensorFlow is a test dependency, and jeras
layers work inside `dataset.map`); no download happens: the data are synthetic files and
frames of the real layout.
"""

import contextlib
import io
import os

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from test_keras_io_programs import _replay_jeras_dropout

import jeras

pytestmark = pytest.mark.slow

# https://keras.io/examples/nlp/text_classification_from_scratch/ ("Text classification from
# scratch", Mark Omernick and fchollet), in three parts so that the test can give both libraries
# the same initial weights, and stop the Keras run before its last part. Edits: the imports name
# jeras (the oracle run puts keras back), the backend line is gone, `epochs = 3` becomes
# `epochs = 1`. The download (`keras.utils.get_file`) is pointed at synthetic review files.
TEXT_CLASSIFICATION_BUILD = r'''
import os

import jeras as keras
import tensorflow as tf
import numpy as np
from jeras import layers

dataset_url = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
dataset_zip = keras.utils.get_file(
    "aclImdb_v1.tar.gz",
    dataset_url,
    extract=True,
)
# The dataset is extracted into the same folder as the zip
dataset_dir = os.path.join(os.path.dirname(dataset_zip), "aclImdb")

batch_size = 32
train_dir = os.path.join(dataset_dir, "train")
test_dir = os.path.join(dataset_dir, "test")

raw_train_ds = keras.utils.text_dataset_from_directory(
    train_dir,
    batch_size=batch_size,
    validation_split=0.2,
    subset="training",
    seed=1337,
    class_names=["pos", "neg"],
)
raw_val_ds = keras.utils.text_dataset_from_directory(
    train_dir,
    batch_size=batch_size,
    validation_split=0.2,
    subset="validation",
    seed=1337,
    class_names=["pos", "neg"],
)
raw_test_ds = keras.utils.text_dataset_from_directory(test_dir, batch_size=batch_size)

print(f"Number of batches in raw_train_ds: {raw_train_ds.cardinality()}")
print(f"Number of batches in raw_val_ds: {raw_val_ds.cardinality()}")
print(f"Number of batches in raw_test_ds: {raw_test_ds.cardinality()}")

for text_batch, label_batch in raw_train_ds.take(1):
    for i in range(5):
        print(text_batch.numpy()[i])
        print(label_batch.numpy()[i])

import string
import re


def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(
        stripped_html, f"[{re.escape(string.punctuation)}]", ""
    )


# Model constants.
max_features = 20000
embedding_dim = 128
sequence_length = 500

vectorize_layer = keras.layers.TextVectorization(
    standardize=custom_standardization,
    max_tokens=max_features,
    output_mode="int",
    output_sequence_length=sequence_length,
)

text_ds = raw_train_ds.map(lambda x, y: x)
vectorize_layer.adapt(text_ds)


def vectorize_text(text, label):
    text = tf.expand_dims(text, -1)
    return vectorize_layer(text), label


# Vectorize the data.
train_ds = raw_train_ds.map(vectorize_text)
val_ds = raw_val_ds.map(vectorize_text)
test_ds = raw_test_ds.map(vectorize_text)

# Do async prefetching / buffering of the data for best performance on GPU.
train_ds = train_ds.cache().prefetch(buffer_size=10)
val_ds = val_ds.cache().prefetch(buffer_size=10)
test_ds = test_ds.cache().prefetch(buffer_size=10)

# A integer input for vocab indices.
inputs = keras.Input(shape=(None,), dtype="int64")

x = layers.Embedding(max_features, embedding_dim)(inputs)
x = layers.Dropout(0.5)(x)

# Conv1D + global max pooling
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.GlobalMaxPooling1D()(x)

# We add a vanilla hidden layer:
x = layers.Dense(128, activation="relu")(x)
x = layers.Dropout(0.5)(x)

# We project onto a single unit output layer, and squash it with a sigmoid:
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)

model = keras.Model(inputs, predictions)

# Compile the model with binary crossentropy loss and an adam optimizer.
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
'''

TEXT_CLASSIFICATION_TRAIN = """
epochs = 1

# Fit the model using the train and test datasets.
model.fit(train_ds, validation_data=val_ds, epochs=epochs)

test_score = model.evaluate(test_ds)
"""

# Keras on JAX cannot run a model on strings (its lookups are TensorFlow ops), so the oracle
# stops before this part; its numbers must equal `model.evaluate(test_ds)` above.
TEXT_CLASSIFICATION_END_TO_END = """
# A string input
inputs = keras.Input(shape=(1,), dtype="string")
# Turn strings into vocab indices
indices = vectorize_layer(inputs)
# Turn vocab indices into predictions
outputs = model(indices)

# Our end to end model
end_to_end_model = keras.Model(inputs, outputs)
end_to_end_model.compile(
    loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"]
)

# Test it with `raw_test_ds`, which yields raw strings
end_to_end_score = end_to_end_model.evaluate(raw_test_ds)
"""

_POSITIVE = "great wonderful superb moving brilliant loved charming fun".split()
_NEGATIVE = "awful boring dull terrible waste hated clumsy tedious".split()
_NEUTRAL = (
    "the a movie film plot actor scene story it was and but of to in this that director "
    "music ending characters camera script time really very quite"
).split()


def _write_reviews(root, rng):
    """`aclImdb/{train,test}/{pos,neg}/*.txt`: short reviews whose sentiment words carry
    the label, with capitals, punctuation and `<br />` tags as in IMDB."""
    for split, count in (("train", 64), ("test", 32)):
        for label, words in (("pos", _POSITIVE), ("neg", _NEGATIVE)):
            directory = os.path.join(root, "aclImdb", split, label)
            os.makedirs(directory)
            for index in range(count):
                length = int(rng.integers(20, 140))
                tokens = [
                    str(rng.choice(words)) if rng.random() < 0.15 else str(rng.choice(_NEUTRAL))
                    for _ in range(length)
                ]
                tokens[0] = tokens[0].capitalize()
                text = " ".join(tokens).replace(" it ", " it, ").replace(" but ", "<br /><br />But ")
                with open(os.path.join(directory, f"{index}_7.txt"), "w") as f:
                    f.write(text + "!")


_KERAS_TEXT_DATASET = keras.utils.text_dataset_from_directory


def _reviews_in_file_order(*args, **kwargs):
    """The synthetic data source: Keras's directory reader (a tf.data.Dataset of review
    batches) in file order, so that both runs see the same batches however often the program
    iterates them (a shuffled dataset reshuffles on each pass)."""
    return _KERAS_TEXT_DATASET(*args, **{**kwargs, "shuffle": False})


def _eager_map(dataset, function):
    import tensorflow as tf

    texts, labels = zip(*[function(text, label) for text, label in dataset])
    vectors = np.concatenate([np.asarray(t) for t in texts])
    labels = np.concatenate([np.asarray(label) for label in labels])
    return tf.data.Dataset.from_tensor_slices((vectors, labels)).batch(32)


def _dropouts(model, lib):
    return [layer for layer in model.layers if isinstance(layer, lib.layers.Dropout)]


def _run_text_classification(lib, root, monkeypatch, before_training):
    program = TEXT_CLASSIFICATION_BUILD
    namespace = {}
    if lib is keras:
        program = program.replace("import jeras as keras", "import keras").replace(
            "from jeras import layers", "from keras import layers"
        )
        # Keras 3.15.1 on JAX cannot run TextVectorization with a callable `standardize`
        # inside `dataset.map` (it converts the graph tensor to NumPy); the oracle vectorizes
        # the same batches eagerly, with the same Keras layer.
        for name in ("train", "val", "test"):
            program = program.replace(
                f"{name}_ds = raw_{name}_ds.map(vectorize_text)",
                f"{name}_ds = _eager_map(raw_{name}_ds, vectorize_text)",
            )
        namespace["_eager_map"] = _eager_map
    archive = os.path.join(root, "aclImdb_v1.tar.gz")
    monkeypatch.setattr(lib.utils, "get_file", lambda *a, **k: archive, raising=False)
    monkeypatch.setattr(lib.utils, "text_dataset_from_directory", _reviews_in_file_order, raising=False)
    lib.utils.set_random_seed(1)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(program, namespace)
        assert namespace["keras"] is lib
        before_training(namespace["model"])
        exec(TEXT_CLASSIFICATION_TRAIN, namespace)
        if lib is jeras:
            exec(TEXT_CLASSIFICATION_END_TO_END, namespace)
    return namespace


def test_text_classification_from_scratch_trains_like_keras(tmp_path, monkeypatch):
    _write_reviews(str(tmp_path), np.random.default_rng(0))
    start = {}

    def remember(model):
        start["weights"] = model.get_weights()
        start["dropouts"] = [
            np.asarray(layer.seed_generator.state.value).tolist()
            for layer in _dropouts(model, jeras)
        ]

    def use_jeras_start(model):
        model.set_weights(start["weights"])
        for layer, state in zip(_dropouts(model, keras), start["dropouts"]):
            _replay_jeras_dropout(layer, state, 32)

    got = _run_text_classification(jeras, str(tmp_path), monkeypatch, remember)
    want = _run_text_classification(keras, str(tmp_path), monkeypatch, use_jeras_start)

    assert got["vectorize_layer"].get_vocabulary() == want["vectorize_layer"].get_vocabulary()
    got_history = got["model"].history.history
    want_history = want["model"].history.history
    assert sorted(got_history) == sorted(want_history)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got_history[key], want_history[key], rtol=1e-4, err_msg=key)
    for key in ("accuracy", "val_accuracy"):
        np.testing.assert_allclose(got_history[key], want_history[key], atol=1.01 / 25, err_msg=key)
    np.testing.assert_allclose(got["test_score"], want["test_score"], rtol=1e-4, atol=1e-6)
    # The end-to-end string model (text layer run on the host) scores as the trained model
    # does on the vectorized test set in Keras.
    np.testing.assert_allclose(got["end_to_end_score"], want["test_score"], rtol=1e-4, atol=1e-6)
    for got_weight, want_weight in zip(got["model"].get_weights(), want["model"].get_weights()):
        np.testing.assert_allclose(got_weight, want_weight, rtol=1e-4, atol=1e-4)
