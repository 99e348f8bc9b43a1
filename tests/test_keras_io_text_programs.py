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
TEXT_CLASSIFICATION_BUILD = r"""
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
"""

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
                text = (
                    " ".join(tokens).replace(" it ", " it, ").replace(" but ", "<br /><br />But ")
                )
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
    monkeypatch.setattr(
        lib.utils, "text_dataset_from_directory", _reviews_in_file_order, raising=False
    )
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


# https://keras.io/examples/structured_data/structured_data_classification_from_scratch/
# ("Structured data classification from scratch", fchollet; the backend-agnostic version with
# IntegerLookup / StringLookup in the tf.data pipeline and Normalization), its code as written
# but for: the imports name jeras (the oracle run puts keras back), the backend line is gone,
# `epochs=50` becomes `epochs=3`, and the prose between the code is left out. `pd.read_csv`
# (a download) returns a synthetic frame of the real columns and dtypes.
STRUCTURED_DATA_PROGRAM = r"""
import os

import pandas as pd
import jeras as keras
from jeras import layers

file_url = "http://storage.googleapis.com/download.tensorflow.org/data/heart.csv"
dataframe = pd.read_csv(file_url)

dataframe.shape

dataframe.head()

val_dataframe = dataframe.sample(frac=0.2, random_state=1337)
train_dataframe = dataframe.drop(val_dataframe.index)

print(
    f"Using {len(train_dataframe)} samples for training "
    f"and {len(val_dataframe)} for validation"
)

COLUMN_NAMES = [
    "age",
    "sex",
    "cp",
    "trestbps",
    "chol",
    "fbs",
    "restecg",
    "thalach",
    "exang",
    "oldpeak",
    "slope",
    "ca",
    "thal",
    "target",
]
# Target feature name.
TARGET_FEATURE_NAME = "target"
# Numeric feature names.
NUMERIC_FEATURE_NAMES = ["age", "trestbps", "thalach", "oldpeak", "slope", "chol"]

CATEGORICAL_FEATURES_WITH_VOCABULARY = {
    feature_name: sorted(
        [
            # Integer categorcal must be int and string must be str
            value if dataframe[feature_name].dtype == "int64" else str(value)
            for value in list(dataframe[feature_name].unique())
        ]
    )
    for feature_name in COLUMN_NAMES
    if feature_name not in list(NUMERIC_FEATURE_NAMES + [TARGET_FEATURE_NAME])
}
# All features names.
FEATURE_NAMES = NUMERIC_FEATURE_NAMES + list(
    CATEGORICAL_FEATURES_WITH_VOCABULARY.keys()
)

# Tensorflow required for tf.data.Dataset
import tensorflow as tf


def encode_categorical(features, target):
    for feature_name in features:
        if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
            lookup_class = (
                layers.StringLookup
                if features[feature_name].dtype == "string"
                else layers.IntegerLookup
            )
            vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
            index = lookup_class(
                vocabulary=vocabulary,
                mask_token=None,
                num_oov_indices=0,
                output_mode="binary",
            )
            # Convert the string input values into integer indices.
            value_index = index(features[feature_name])
            features[feature_name] = value_index

        else:
            pass

    # Change features from OrderedDict to Dict to match Inputs as they are Dict.
    return dict(features), target


def encode_numerical_feature(feature, name, dataset):
    # Create a Normalization layer for our feature
    normalizer = layers.Normalization()
    # Prepare a Dataset that only yields our feature
    feature_ds = dataset.map(lambda x, y: x[name])
    feature_ds = feature_ds.map(lambda x: tf.expand_dims(x, -1))
    # Learn the statistics of the data
    normalizer.adapt(feature_ds)
    # Normalize the input feature
    encoded_feature = normalizer(feature)
    return encoded_feature


def dataframe_to_dataset(dataframe):
    dataframe = dataframe.copy()
    labels = dataframe.pop("target")
    ds = tf.data.Dataset.from_tensor_slices((dict(dataframe), labels)).map(
        encode_categorical
    )
    ds = ds.shuffle(buffer_size=len(dataframe))
    return ds


train_ds = dataframe_to_dataset(train_dataframe)
val_ds = dataframe_to_dataset(val_dataframe)

for x, y in train_ds.take(1):
    print("Input:", x)
    print("Target:", y)

train_ds = train_ds.batch(32)
val_ds = val_ds.batch(32)


def create_model_inputs():
    inputs = {}

    # This a helper function for creating categorical features
    def create_input_helper(feature_name):
        num_categories = len(CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name])
        inputs[feature_name] = layers.Input(
            name=feature_name, shape=(num_categories,), dtype="int64"
        )
        return inputs

    for feature_name in FEATURE_NAMES:
        if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
            # Categorical features
            create_input_helper(feature_name)
        else:
            # Make them float32, they are Real numbers
            feature_input = layers.Input(name=feature_name, shape=(1,), dtype="float32")
            # Process the Inputs here
            inputs[feature_name] = encode_numerical_feature(
                feature_input, feature_name, train_ds
            )
    return inputs


# This Layer defines the logic of the Model to perform the classification
class Classifier(keras.layers.Layer):

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense_1 = layers.Dense(32, activation="relu")
        self.dropout = layers.Dropout(0.5)
        self.dense_2 = layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        all_features = layers.concatenate(list(inputs.values()))
        x = self.dense_1(all_features)
        x = self.dropout(x)
        output = self.dense_2(x)
        return output

    # Surpress build warnings
    def build(self, input_shape):
        self.built = True


# Create the Classifier model
def create_model():
    all_inputs = create_model_inputs()
    output = Classifier()(all_inputs)
    model = keras.Model(all_inputs, output)
    return model


model = create_model()
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])

# `rankdir='LR'` is to make the graph horizontal.
keras.utils.plot_model(model, show_shapes=True, rankdir="LR")
"""

STRUCTURED_DATA_TRAIN = r"""
model.fit(train_ds, epochs=3, validation_data=val_ds)

sample = {
    "age": 60,
    "sex": 1,
    "cp": 1,
    "trestbps": 145,
    "chol": 233,
    "fbs": 1,
    "restecg": 2,
    "thalach": 150,
    "exang": 0,
    "oldpeak": 2.3,
    "slope": 3,
    "ca": 0,
    "thal": "fixed",
}


def get_cat_encoding(cat, cat_value):
    # Create a list of zeros with the same length as categories
    encoding = [0] * len(cat)
    # Find the index of category_value in categories and set the corresponding position to 1
    if cat_value in cat:
        encoding[cat.index(cat_value)] = 1
    return encoding


for name, value in sample.items():
    if name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
        sample.update(
            {
                name: get_cat_encoding(
                    CATEGORICAL_FEATURES_WITH_VOCABULARY[name], sample[name]
                )
            }
        )
# Convert inputs to tensors
input_dict = {name: tf.convert_to_tensor([value]) for name, value in sample.items()}
predictions = model.predict(input_dict)

print(
    f"This particular patient had a {100 * predictions[0][0]:.1f} "
    "percent probability of having a heart disease, "
    "as evaluated by our model."
)
"""


def _heart_frame(rng, rows=303):
    """A frame with heart.csv's columns, dtypes and value sets."""
    import pandas as pd

    thal = rng.choice(
        ["fixed", "normal", "reversible", "1", "2"], rows, p=[0.1, 0.5, 0.35, 0.03, 0.02]
    )
    frame = pd.DataFrame(
        {
            "age": rng.integers(29, 78, rows),
            "sex": rng.integers(0, 2, rows),
            "cp": rng.integers(0, 5, rows),
            "trestbps": rng.integers(94, 201, rows),
            "chol": rng.integers(126, 565, rows),
            "fbs": rng.integers(0, 2, rows),
            "restecg": rng.integers(0, 3, rows),
            "thalach": rng.integers(71, 203, rows),
            "exang": rng.integers(0, 2, rows),
            "oldpeak": rng.integers(0, 62, rows) / 10.0,
            "slope": rng.integers(1, 4, rows),
            "ca": rng.integers(0, 4, rows),
            "thal": thal,
        }
    )
    frame["target"] = ((frame["thal"] == "reversible") | (frame["cp"] == 4)).astype("int64")
    return frame


def _run_structured_data(lib, frame, monkeypatch, before_training):
    import pandas as pd
    import tensorflow as tf

    program = STRUCTURED_DATA_PROGRAM
    if lib is keras:
        program = program.replace("import jeras as keras", "import keras").replace(
            "from jeras import layers", "from keras import layers"
        )
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: frame.copy())
    # The program shuffles without a seed; both runs see the rows in frame order.
    monkeypatch.setattr(tf.data.Dataset, "shuffle", lambda self, *a, **k: self)
    monkeypatch.setattr(lib.utils, "plot_model", lambda *a, **k: None)
    namespace = {}
    lib.utils.set_random_seed(1)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(program, namespace)
        assert namespace["keras"] is lib
        before_training(namespace["model"])
        exec(STRUCTURED_DATA_TRAIN, namespace)
    return namespace


def _classifier(model):
    (layer,) = [layer for layer in model.layers if type(layer).__name__ == "Classifier"]
    return layer


def test_structured_data_classification_from_scratch_trains_like_keras(monkeypatch):
    frame = _heart_frame(np.random.default_rng(0))
    start = {}

    def remember(model):
        start["weights"] = model.get_weights()
        state = _classifier(model).dropout.seed_generator.state
        start["dropout"] = np.asarray(state.value).tolist()

    def use_jeras_start(model):
        model.set_weights(start["weights"])
        _replay_jeras_dropout(_classifier(model).dropout, start["dropout"], 32)

    got = _run_structured_data(jeras, frame, monkeypatch, remember)
    want = _run_structured_data(keras, frame, monkeypatch, use_jeras_start)
    got_history = got["model"].history.history
    want_history = want["model"].history.history
    assert sorted(got_history) == sorted(want_history)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(got_history[key], want_history[key], rtol=1e-4, err_msg=key)
    for key in ("accuracy", "val_accuracy"):
        np.testing.assert_allclose(got_history[key], want_history[key], atol=1.01 / 60, err_msg=key)
    np.testing.assert_allclose(got["predictions"], want["predictions"], rtol=1e-4, atol=1e-6)
    for got_weight, want_weight in zip(got["model"].get_weights(), want["model"].get_weights()):
        np.testing.assert_allclose(got_weight, want_weight, rtol=1e-4, atol=1e-5)
