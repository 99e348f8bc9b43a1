"""The keras.io developer guides' programs ("The Sequential model", "The Functional API",
"Transfer learning & fine-tuning", "Making new layers and models via subclassing", "Writing your
own callbacks"), run with `import jeras as keras` and checked against real Keras 3 running the
same text from the same initial weights.

The program texts below follow each guide section by section, with the guide's layers, shapes
and calls, written for this test rather than pasted: the guides' prose and the plots that need
a screen are left out, data that the guides download are synthetic arrays of the same shapes,
and sizes are small so that each test runs in seconds. Two hooks are the only lines that are not
the guide's:

  __same_start__(model, batch_size=None)  on the jeras run, remembers the model's initial
      weights (and its dropout layers' seed states); on the Keras run, gives them to the Keras
      model (and makes its Dropout layers draw jeras's masks), in the same order;
  __check__(name, value)  remembers a value under `name`; the test compares the two runs'.
"""

import contextlib
import io
import random

import keras
import numpy as np
import pytest
from test_keras_io_programs import _replay_jeras_dropout
from test_keras_io_sequence_programs import _dropouts

import jeras

pytestmark = pytest.mark.slow


def as_keras(text):
    """The program with its jeras imports naming keras."""
    return text.replace("import jeras as keras", "import keras").replace("from jeras", "from keras")


class ProgramRun:
    """One run of a program text on one library, with the hooks the docstring above names."""

    def __init__(self, lib, starts):
        self.lib = lib
        self.starts = starts  # shared by the two runs: jeras appends, Keras reads in order
        self.next_start = 0
        self.checks = {}

    def same_start(self, model, batch_size=None):
        dropouts = _dropouts(model, self.lib)
        if self.lib is jeras:
            states = [np.asarray(layer.seed_generator.state.value).tolist() for layer in dropouts]
            self.starts.append((model.get_weights(), [d.rate for d in dropouts], states))
            return
        weights, rates, states = self.starts[self.next_start]
        self.next_start += 1
        model.set_weights(weights)
        assert [d.rate for d in dropouts] == rates
        for layer, state in zip(dropouts, states):
            _replay_jeras_dropout(layer, state, batch_size)

    def check(self, name, value):
        assert name not in self.checks, f"__check__({name!r}) called twice"
        self.checks[name] = _to_numpy(value)


def _to_numpy(value):
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_numpy(v) for v in value]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    return np.asarray(value)


def run_on_both(text, namespace=None, seed=1, run_keras=True):
    """Runs `text` on jeras, then (unless `run_keras` is false) on Keras from jeras's starting
    weights. Returns the two ProgramRuns, each with its final namespace as `.namespace`."""
    starts = []
    runs = []
    for lib in (jeras, keras) if run_keras else (jeras,):
        run = ProgramRun(lib, starts)
        lib.backend.clear_session()
        # The guides draw weights and data unseeded: fixed seeds make both runs draw the same
        # data and the same shuffles.
        lib.utils.set_random_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        run.namespace = dict(namespace or {})
        run.namespace.update(__same_start__=run.same_start, __check__=run.check)
        program = text if lib is jeras else as_keras(text)
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            exec(program, run.namespace)
        run.printed = printed.getvalue()
        assert run.namespace["keras"] is lib
        runs.append(run)
    return runs


def assert_same_checks(got, want, rtol=1e-5, atol=1e-5):
    assert sorted(got.checks) == sorted(want.checks)
    for name in got.checks:
        _assert_close(got.checks[name], want.checks[name], rtol, atol, name)


def _assert_close(got, want, rtol, atol, where):
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), where
        for key in want:
            _assert_close(got[key], want[key], rtol, atol, f"{where}[{key!r}]")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for index, (g, w) in enumerate(zip(got, want)):
            _assert_close(g, w, rtol, atol, f"{where}[{index}]")
    elif want is None or isinstance(want, (str, bool, int)):
        assert got == want, where
    else:
        assert np.shape(got) == np.shape(want), where
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)


def assert_same_weights(got_model, want_model, rtol=1e-4, atol=1e-5):
    got_weights, want_weights = got_model.get_weights(), want_model.get_weights()
    assert len(got_weights) == len(want_weights)
    for index, (got, want) in enumerate(zip(got_weights, want_weights)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f"weight {index}")


# --------------------------------------------------------------------------
# "The Sequential model" (https://keras.io/guides/sequential_model/, fchollet)
# --------------------------------------------------------------------------

SEQUENTIAL_GUIDE = """
import numpy as np
import jeras as keras
from jeras import layers
from jeras import ops

# When to use a Sequential model: a stack of three named Dense layers...
model = keras.Sequential(
    [
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ]
)
x = ops.ones((3, 3))
y = model(x)
__same_start__(model)
__check__("stack", model(x))

# ... is the function that chains the same three layers.
layer1 = layers.Dense(2, activation="relu", name="layer1")
layer2 = layers.Dense(3, activation="relu", name="layer2")
layer3 = layers.Dense(4, name="layer3")
x = ops.ones((3, 3))
y = layer3(layer2(layer1(x)))
for layer in (layer1, layer2, layer3):
    __same_start__(layer)
__check__("chained layers", layer3(layer2(layer1(x))))

# Creating a Sequential model: from a list, and layer by layer with add(); pop() removes the last.
model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
__check__("layers in the list", len(model.layers))
model = keras.Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
model.pop()
__check__("layers after pop", len(model.layers))
model = keras.Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu", name="layer1"))
model.add(layers.Dense(3, activation="relu", name="layer2"))
model.add(layers.Dense(4, name="layer3"))
__check__("named", [model.name] + [layer.name for layer in model.layers])

# Specifying the input shape in advance: a layer has no weights until it sees an input.
layer = layers.Dense(3)
__check__("weights before a call", len(layer.weights))
x = ops.ones((1, 4))
y = layer(x)
__check__("weight shapes after a call", [tuple(w.shape) for w in layer.weights])

model = keras.Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
x = ops.ones((1, 4))
y = model(x)
print("Number of weights after calling the model:", len(model.weights))
__check__("weights after calling the model", len(model.weights))
model.summary()

model = keras.Sequential()
model.add(keras.Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))
model.summary()
__check__("Input is not a layer", len(model.layers))

model = keras.Sequential()
model.add(layers.Dense(2, activation="relu", input_shape=(4,)))
model.summary()
__check__("input_shape argument", [len(model.weights), tuple(model.output_shape)])

# A common debugging workflow: add() + summary().
model = keras.Sequential()
model.add(keras.Input(shape=(250, 250, 3)))
model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.summary()
__check__("shape after the first pooling", tuple(model.output_shape))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(3))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.Conv2D(32, 3, activation="relu"))
model.add(layers.MaxPooling2D(2))
model.summary()
__check__("shape after the last pooling", tuple(model.output_shape))
model.add(layers.GlobalMaxPooling2D())
model.add(layers.Dense(10))
__same_start__(model)
__check__("classifier", model(np.random.random((2, 250, 250, 3)).astype("float32")))

# Feature extraction with a Sequential model: every layer's output...
initial_model = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
__same_start__(initial_model)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=[layer.output for layer in initial_model.layers],
)
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)
__check__("every layer's features", features)

# ... or one layer's, found by name.
initial_model = keras.Sequential(
    [
        keras.Input(shape=(250, 250, 3)),
        layers.Conv2D(32, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(32, 3, activation="relu"),
    ]
)
__same_start__(initial_model)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=initial_model.get_layer(name="my_intermediate_layer").output,
)
x = ops.ones((1, 250, 250, 3))
features = feature_extractor(x)
__check__("one layer's features", features)

# Transfer learning with a Sequential model, first blueprint: freeze every layer but the last.
model = keras.Sequential(
    [
        keras.Input(shape=(784,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10),
    ]
)
__same_start__(model)
model.save_weights("__pretrained__.weights.h5")
model.load_weights("__pretrained__.weights.h5")
for layer in model.layers[:-1]:
    layer.trainable = False
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
x_train = np.random.random((256, 784)).astype("float32")
y_train = np.random.randint(0, 10, size=(256,))
history = model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=0)
__check__("frozen history", history.history)
__check__("weights after fine-tuning the last layer", model.get_weights())
__check__("trainable weights", len(model.trainable_weights))
"""


def test_sequential_model_guide_runs_like_keras(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    got, want = run_on_both(SEQUENTIAL_GUIDE)
    assert_same_checks(got, want, rtol=1e-5, atol=1e-5)
    assert got.checks["layers after pop"] == 2
    assert got.checks["weights after calling the model"] == 6
    assert got.checks["shape after the first pooling"] == [None, 40, 40, 32]
    assert got.checks["shape after the last pooling"] == [None, 4, 4, 32]
    assert len(got.checks["every layer's features"]) == 3
    # The frozen layers kept their start; the last one learned.
    start = got.starts[-1][0]
    trained = got.checks["weights after fine-tuning the last layer"]
    for before, after in zip(start[:-2], trained[:-2]):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(start[-2], trained[-2])
    assert "Total params" in got.printed


# The guide's second blueprint: a pretrained convolutional base (here Xception with
# `weights=None`: no download) under a fresh classifier, the base frozen.
SEQUENTIAL_GUIDE_PRETRAINED_BASE = """
import numpy as np
import jeras as keras
from jeras import layers

base_model = keras.applications.Xception(
    weights=None, include_top=False, pooling="avg", input_shape=(71, 71, 3)
)
base_model.trainable = False
model = keras.Sequential([base_model, layers.Dense(1000)])
model.build((None, 71, 71, 3))
__same_start__(model)
model.compile(
    optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
)
x_train = np.random.random((8, 71, 71, 3)).astype("float32")
y_train = np.random.randint(0, 1000, size=(8,))
history = model.fit(x_train, y_train, batch_size=4, epochs=1, verbose=0)
__check__("history", history.history)
__check__("trainable weights", len(model.trainable_weights))
__check__("predictions", model.predict(x_train[:2], verbose=0))
"""


@pytest.mark.xfail(
    not hasattr(jeras, "applications"),
    reason="jeras has no keras.applications.Xception yet (the apps-a helper builds it)",
    strict=False,
)
def test_sequential_model_guide_pretrained_base_runs_like_keras():
    got, want = run_on_both(SEQUENTIAL_GUIDE_PRETRAINED_BASE)
    assert got.checks["trainable weights"] == 2
    assert_same_checks(got, want, rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------
# "The Functional API" (https://keras.io/guides/functional_api/, fchollet)
# --------------------------------------------------------------------------

# Edits besides the hooks: MNIST and CIFAR-10 (downloads) are synthetic arrays of their shapes,
# fewer samples and shorter sequences, and `keras.datasets.cifar10.load_data()` is the test's
# `__load_cifar10__()` (jeras has no CIFAR-10 loader).
FUNCTIONAL_GUIDE_BASICS = """
import numpy as np
import jeras as keras
from jeras import layers
from jeras import ops

# Introduction: a graph of three Dense layers.
inputs = keras.Input(shape=(784,))
img_inputs = keras.Input(shape=(32, 32, 3))
__check__("input", [tuple(inputs.shape), str(inputs.dtype), tuple(img_inputs.shape)])
dense = layers.Dense(64, activation="relu")
x = dense(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
model.summary()
if __can_plot__:
    keras.utils.plot_model(model, "my_first_model.png")
    keras.utils.plot_model(model, "my_first_model_with_shape_info.png", show_shapes=True)

# Training, evaluation, and inference.
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
__same_start__(model)
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2)
test_scores = model.evaluate(x_test, y_test, verbose=2)
print("Test loss:", test_scores[0])
print("Test accuracy:", test_scores[1])
__check__("mnist history", history.history)
__check__("mnist test scores", test_scores)

# Save and serialize.
model.save("my_model.keras")
predicted = model.predict(x_test, verbose=0)
del model
model = keras.models.load_model("my_model.keras")
__check__("same predictions after loading", np.max(np.abs(model.predict(x_test, verbose=0) - predicted)))

# The same graph of layers defines two models.
encoder_input = keras.Input(shape=(28, 28, 1), name="img")
x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
encoder_output = layers.GlobalMaxPooling2D()(x)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")
encoder.summary()
x = layers.Reshape((4, 4, 1))(encoder_output)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
x = layers.UpSampling2D(3)(x)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
autoencoder = keras.Model(encoder_input, decoder_output, name="autoencoder")
autoencoder.summary()
__same_start__(autoencoder)
images = x_test[:4].reshape(4, 28, 28, 1)
__check__("autoencoder", autoencoder(images))
__check__("its encoder", encoder(images))

# Models are callable, like layers: an encoder and a decoder chained.
encoder_input = keras.Input(shape=(28, 28, 1), name="original_img")
x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(32, 3, activation="relu")(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
encoder_output = layers.GlobalMaxPooling2D()(x)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")
encoder.summary()
decoder_input = keras.Input(shape=(16,), name="encoded_img")
x = layers.Reshape((4, 4, 1))(decoder_input)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
x = layers.UpSampling2D(3)(x)
x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")
decoder.summary()
autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
encoded_img = encoder(autoencoder_input)
decoded_img = decoder(encoded_img)
autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
autoencoder.summary()
__same_start__(autoencoder)
__check__("nested autoencoder", autoencoder(images))


# Ensembling: the average of three models' predictions.
def get_model():
    inputs = keras.Input(shape=(128,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


model1 = get_model()
model2 = get_model()
model3 = get_model()
inputs = keras.Input(shape=(128,))
y1 = model1(inputs)
y2 = model2(inputs)
y3 = model3(inputs)
outputs = layers.average([y1, y2, y3])
ensemble_model = keras.Model(inputs=inputs, outputs=outputs)
__same_start__(ensemble_model)
__check__("ensemble", ensemble_model(np.random.random((3, 128)).astype("float32")))
"""

FUNCTIONAL_GUIDE_TOPOLOGIES = """
import numpy as np
import jeras as keras
from jeras import layers
from jeras import ops

# Multiple inputs and outputs: ranking issue tickets.
num_tags = 12
num_words = 10000
num_departments = 4
title_input = keras.Input(shape=(None,), name="title")
body_input = keras.Input(shape=(None,), name="body")
tags_input = keras.Input(shape=(num_tags,), name="tags")
title_features = layers.Embedding(num_words, 64)(title_input)
body_features = layers.Embedding(num_words, 64)(body_input)
title_features = layers.LSTM(128)(title_features)
body_features = layers.LSTM(32)(body_features)
x = layers.concatenate([title_features, body_features, tags_input])
priority_pred = layers.Dense(1, name="priority")(x)
department_pred = layers.Dense(num_departments, name="department")(x)
model = keras.Model(
    inputs=[title_input, body_input, tags_input],
    outputs={"priority": priority_pred, "department": department_pred},
)
if __can_plot__:
    keras.utils.plot_model(model, "multi_input_and_output_model.png", show_shapes=True)
__same_start__(model)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=[
        keras.losses.BinaryCrossentropy(from_logits=True),
        keras.losses.CategoricalCrossentropy(from_logits=True),
    ],
    loss_weights=[1.0, 0.2],
)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={
        "priority": keras.losses.BinaryCrossentropy(from_logits=True),
        "department": keras.losses.CategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.2},
)
title_data = np.random.randint(num_words, size=(128, 10))
body_data = np.random.randint(num_words, size=(128, 20))
tags_data = np.random.randint(2, size=(128, num_tags)).astype("float32")
priority_targets = np.random.random(size=(128, 1))
dept_targets = np.random.randint(2, size=(128, num_departments))
history = model.fit(
    {"title": title_data, "body": body_data, "tags": tags_data},
    {"priority": priority_targets, "department": dept_targets},
    epochs=2,
    batch_size=32,
)
__check__("tickets history", history.history)

# Shared layers: one Embedding for two text inputs.
shared_embedding = layers.Embedding(1000, 128)
text_input_a = keras.Input(shape=(None,), dtype="int32")
text_input_b = keras.Input(shape=(None,), dtype="int32")
encoded_input_a = shared_embedding(text_input_a)
encoded_input_b = shared_embedding(text_input_b)
shared = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
__check__("one embedding weight", len(shared.weights))
__same_start__(shared)
words = np.random.randint(1000, size=(2, 5))
__check__("shared embedding", shared([words, words[:, ::-1]]))


# Extending the API with a custom layer, serializable through get_config.
class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="random_normal", trainable=True
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


inputs = keras.Input((4,))
outputs = CustomDense(10)(inputs)
model = keras.Model(inputs, outputs)
config = model.get_config()
new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
__check__("custom layer config", new_model.layers[-1].get_config())
__same_start__(new_model)
__check__("custom layer", new_model(np.ones((2, 4), "float32")))

# Mix and match: a functional model inside a subclassed layer...
units = 32
timesteps = 10
input_dim = 5
inputs = keras.Input((None, units))
x = layers.GlobalAveragePooling1D()(inputs)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)


class CustomRNN(layers.Layer):
    def __init__(self):
        super().__init__()
        self.units = units
        self.projection_1 = layers.Dense(units=units, activation="tanh")
        self.projection_2 = layers.Dense(units=units, activation="tanh")
        self.classifier = model

    def call(self, inputs):
        outputs = []
        state = ops.zeros(shape=(inputs.shape[0], self.units))
        for t in range(inputs.shape[1]):
            x = inputs[:, t, :]
            h = self.projection_1(x)
            y = h + self.projection_2(state)
            state = y
            outputs.append(y)
        features = ops.stack(outputs, axis=1)
        return self.classifier(features)


rnn_model = CustomRNN()
sequence = np.random.random((1, timesteps, input_dim)).astype("float32")
_ = rnn_model(sequence)
__same_start__(rnn_model)
__check__("custom RNN around a functional model", rnn_model(sequence))

# ... and a subclassed layer inside a functional model with a static batch size.
batch_size = 16


class CustomRNN(layers.Layer):
    def __init__(self):
        super().__init__()
        self.units = units
        self.projection_1 = layers.Dense(units=units, activation="tanh")
        self.projection_2 = layers.Dense(units=units, activation="tanh")
        self.classifier = layers.Dense(1)

    def call(self, inputs):
        outputs = []
        state = ops.zeros(shape=(inputs.shape[0], self.units))
        for t in range(inputs.shape[1]):
            x = inputs[:, t, :]
            h = self.projection_1(x)
            y = h + self.projection_2(state)
            state = y
            outputs.append(y)
        features = ops.stack(outputs, axis=1)
        return self.classifier(features)


inputs = keras.Input(batch_shape=(batch_size, timesteps, input_dim))
x = layers.Conv1D(32, 3)(inputs)
outputs = CustomRNN()(x)
model = keras.Model(inputs, outputs)
__same_start__(model)
__check__(
    "functional model around a custom RNN",
    model(np.random.random((batch_size, timesteps, input_dim)).astype("float32")),
)
"""

FUNCTIONAL_GUIDE_TOY_RESNET = """
import numpy as np
import jeras as keras
from jeras import layers
from jeras import ops

# A toy ResNet on CIFAR-10-shaped data.
inputs = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.Conv2D(64, 3, activation="relu")(x)
block_1_output = layers.MaxPooling2D(3)(x)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_2_output = layers.add([x, block_1_output])
x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
block_3_output = layers.add([x, block_2_output])
x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs, name="toy_resnet")
model.summary()
if __can_plot__:
    keras.utils.plot_model(model, "mini_resnet.png", show_shapes=True)
__same_start__(model, batch_size=64)
(x_train, y_train), (x_test, y_test) = __load_cifar10__()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)
model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    metrics=["acc"],
)
history = model.fit(x_train[:160], y_train[:160], batch_size=64, epochs=1, validation_split=0.2)
__check__("toy resnet history", history.history)
__check__("toy resnet predictions", model.predict(x_test, verbose=0))
"""


def _synthetic_images(rng, count, shape, classes):
    """uint8 images with one smooth template per class under noise, and integer labels."""
    templates = rng.random((classes,) + shape)
    labels = rng.integers(0, classes, count)
    images = 0.6 * templates[labels] + 0.4 * rng.random((count,) + shape)
    return (255 * images).astype("uint8"), labels.astype("uint8")


def _plotting_available():
    import shutil

    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


def _guide_data(monkeypatch):
    """Synthetic MNIST (through the libraries' own loaders) and CIFAR-10 (through the test's
    `__load_cifar10__`) of the real shapes and dtypes, few samples."""
    rng = np.random.default_rng(7)
    mnist = (_synthetic_images(rng, 128, (28, 28), 10), _synthetic_images(rng, 32, (28, 28), 10))
    cifar = tuple(
        (x, y.reshape(-1, 1))  # CIFAR-10's labels are a column
        for x, y in (
            _synthetic_images(rng, 160, (32, 32, 3), 10),
            _synthetic_images(rng, 32, (32, 32, 3), 10),
        )
    )
    for lib in (jeras, keras):
        monkeypatch.setattr(lib.datasets.mnist, "load_data", lambda *args, **kwargs: mnist)
    return {"__can_plot__": _plotting_available(), "__load_cifar10__": lambda: cifar}


def test_functional_api_guide_basics_run_like_keras(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = _guide_data(monkeypatch)
    got, want = run_on_both(FUNCTIONAL_GUIDE_BASICS, namespace)
    assert_same_checks(got, want, rtol=1e-4, atol=1e-4)
    assert got.checks["same predictions after loading"] == 0
    assert "Test accuracy:" in got.printed
    if namespace["__can_plot__"]:
        for name in ("my_first_model", "my_first_model_with_shape_info"):
            assert (tmp_path / f"{name}.png").stat().st_size > 0


def test_functional_api_guide_topologies_run_like_keras(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = _guide_data(monkeypatch)
    got, want = run_on_both(FUNCTIONAL_GUIDE_TOPOLOGIES, namespace)
    assert_same_checks(got, want, rtol=1e-4, atol=1e-4)
    assert got.checks["one embedding weight"] == 1
    assert sorted(got.checks["tickets history"]) == [
        "department_loss",
        "loss",
        "priority_loss",
    ]
    if namespace["__can_plot__"]:
        assert (tmp_path / "multi_input_and_output_model.png").stat().st_size > 0


def test_functional_api_guide_toy_resnet_trains_like_keras(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = _guide_data(monkeypatch)
    got, want = run_on_both(FUNCTIONAL_GUIDE_TOY_RESNET, namespace)
    assert_same_checks(got, want, rtol=1e-4, atol=1e-4)
    assert sorted(got.checks["toy resnet history"]) == ["acc", "loss", "val_acc", "val_loss"]
    if namespace["__can_plot__"]:
        assert (tmp_path / "mini_resnet.png").stat().st_size > 0


# The guide's feature extraction from VGG19's intermediate layers, with `weights=None` (no
# download) and a 64x64 image instead of 224x224 (`include_top=False`, so any size works).
FUNCTIONAL_GUIDE_VGG19 = """
import numpy as np
import jeras as keras

vgg19 = keras.applications.VGG19(weights=None, include_top=False, input_shape=(64, 64, 3))
__same_start__(vgg19)
features_list = [layer.output for layer in vgg19.layers]
feat_extraction_model = keras.Model(inputs=vgg19.input, outputs=features_list)
img = np.random.random((1, 64, 64, 3)).astype("float32")
extracted_features = feat_extraction_model(img)
__check__("features", extracted_features)
"""


@pytest.mark.xfail(
    not hasattr(jeras, "applications"),
    reason="jeras has no keras.applications.VGG19 yet (the apps-a helper builds it)",
    strict=False,
)
def test_functional_api_guide_vgg19_features_like_keras():
    got, want = run_on_both(FUNCTIONAL_GUIDE_VGG19)
    assert len(got.checks["features"]) == 22
    assert_same_checks(got, want, rtol=1e-4, atol=1e-4)
