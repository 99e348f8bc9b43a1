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
        # Dropout layers are matched by name: both libraries name them alike in the order the
        # program creates them, but list nested ones in different orders.
        dropouts = {layer.name: layer for layer in _dropouts(model, self.lib)}
        if self.lib is jeras:
            states = {
                name: (layer.rate, np.asarray(layer.seed_generator.state.value).tolist())
                for name, layer in dropouts.items()
            }
            self.starts.append((model.get_weights(), states))
            return
        weights, states = self.starts[self.next_start]
        self.next_start += 1
        model.set_weights(weights)
        assert sorted(dropouts) == sorted(states)
        for name, layer in dropouts.items():
            rate, state = states[name]
            assert layer.rate == rate, name
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


def test_functional_api_guide_vgg19_features_like_keras():
    got, want = run_on_both(FUNCTIONAL_GUIDE_VGG19)
    assert len(got.checks["features"]) == 22
    assert_same_checks(got, want, rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------
# "Transfer learning & fine-tuning" (https://keras.io/guides/transfer_learning/, fchollet)
# --------------------------------------------------------------------------

TRANSFER_LEARNING_GUIDE_FREEZING = """
import numpy as np
import jeras as keras

# Layers and models have three weight attributes: weights, trainable_weights and
# non_trainable_weights.
layer = keras.layers.Dense(3)
layer.build((None, 4))
__check__("dense", [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)])

layer = keras.layers.BatchNormalization()
layer.build((None, 4))
__check__(
    "batch normalization",
    [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)],
)

# Setting trainable to False moves every weight to the non-trainable list.
layer = keras.layers.Dense(3)
layer.build((None, 4))
layer.trainable = False
__check__(
    "frozen dense",
    [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)],
)

# A frozen layer's weights do not move in fit.
layer1 = keras.layers.Dense(3, activation="relu")
layer2 = keras.layers.Dense(3, activation="sigmoid")
model = keras.Sequential([keras.Input(shape=(3,)), layer1, layer2])
__same_start__(model)
layer1.trainable = False
initial_layer1_weights_values = layer1.get_weights()
model.compile(optimizer="adam", loss="mse")
history = model.fit(np.random.random((2, 3)), np.random.random((2, 3)))
final_layer1_weights_values = layer1.get_weights()
np.testing.assert_allclose(initial_layer1_weights_values[0], final_layer1_weights_values[0])
np.testing.assert_allclose(initial_layer1_weights_values[1], final_layer1_weights_values[1])
__check__("history", history.history)
__check__("trained", layer2.get_weights())

# trainable is recursive: freezing a model freezes every layer inside it.
inner_model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        keras.layers.Dense(3, activation="relu"),
        keras.layers.Dense(3, activation="relu"),
    ]
)
model = keras.Sequential([keras.Input(shape=(3,)), inner_model, keras.layers.Dense(3, activation="sigmoid")])
model.trainable = False
assert inner_model.trainable == False
assert inner_model.layers[0].trainable == False
__check__("recursive", [len(model.trainable_weights), len(model.non_trainable_weights)])
"""


def test_transfer_learning_guide_freezing_runs_like_keras():
    got, want = run_on_both(TRANSFER_LEARNING_GUIDE_FREEZING)
    assert got.checks["dense"] == [2, 2, 0]
    assert got.checks["batch normalization"] == [4, 2, 2]
    assert got.checks["frozen dense"] == [2, 0, 2]
    assert got.checks["recursive"] == [0, 6]
    assert_same_checks(got, want, rtol=1e-5, atol=1e-6)


# The guide's end-to-end example (cats vs dogs, Xception pretrained on ImageNet), with Xception
# built with `weights=None` (no download), synthetic 71x71 images (Xception's smallest input)
# instead of the 150x150 downloaded ones, eight training and four validation images, batches of
# four, and one epoch for each of the two fits. The augmentation the guide maps over the
# dataset runs here on the arrays once, before training, on jeras; Keras gets the same
# augmented images (`__augmented__`), since the two libraries draw different random flips.
TRANSFER_LEARNING_GUIDE_XCEPTION = """
import numpy as np
import jeras as keras
from jeras import layers

train_images, train_labels, validation_images, validation_labels = __cats_and_dogs__()
augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(x):
    for layer in augmentation_layers:
        x = layer(x)
    return x


train_images = __augmented__(train_images, data_augmentation)

base_model = keras.applications.Xception(
    weights=None,  # no download: the guide loads "imagenet"
    input_shape=(71, 71, 3),
    include_top=False,
)
base_model.trainable = False

inputs = keras.Input(shape=(71, 71, 3))
scale_layer = keras.layers.Rescaling(scale=1 / 127.5, offset=-1)
x = scale_layer(inputs)
# The base model runs in inference mode: its BatchNormalization layers keep their statistics.
x = base_model(x, training=False)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dropout(0.2)(x)
outputs = keras.layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.summary(show_trainable=True)
__same_start__(model, 4)

model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
history = model.fit(
    train_images,
    train_labels,
    batch_size=4,
    epochs=1,
    validation_data=(validation_images, validation_labels),
)
__check__("top history", history.history)
__check__("top predictions", model.predict(validation_images, verbose=0))
__check__("statistics before fine-tuning", __moving_statistics__(base_model))

# Fine-tuning: unfreeze the base model, train end to end with a low learning rate.
base_model.trainable = True
model.summary(show_trainable=True)
model.compile(
    optimizer=keras.optimizers.Adam(1e-5),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
history = model.fit(
    train_images,
    train_labels,
    batch_size=4,
    epochs=1,
    validation_data=(validation_images, validation_labels),
)
__check__("fine-tuning history", history.history)
__check__("statistics after fine-tuning", __moving_statistics__(base_model))
"""


def test_transfer_learning_guide_xception_fine_tunes_like_keras():
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 255, (12, 71, 71, 3)).astype("float32")
    labels = rng.integers(0, 2, (12, 1)).astype("float32")
    cats_and_dogs = (images[:8], labels[:8], images[8:], labels[8:])
    augmented = {}

    def augment(images, fn):
        if "images" not in augmented:  # the jeras run augments, the Keras run reuses
            augmented["images"] = np.asarray(fn(images))
        return augmented["images"]

    def moving_statistics(base_model):
        return [
            [layer.moving_mean, layer.moving_variance]
            for layer in base_model.layers
            if type(layer).__name__ == "BatchNormalization"
        ]

    namespace = {
        "__cats_and_dogs__": lambda: cats_and_dogs,
        "__augmented__": augment,
        "__moving_statistics__": moving_statistics,
    }
    got, want = run_on_both(TRANSFER_LEARNING_GUIDE_XCEPTION, namespace)
    assert not np.allclose(augmented["images"], images[:8])
    # Training the new top on the frozen base: the same numbers.
    for name in ("top history", "top predictions", "statistics before fine-tuning"):
        _assert_close(got.checks[name], want.checks[name], 1e-4, 1e-4, name)
    # Fine-tuning: the guide calls the base with `training=False` so that its BatchNormalization
    # layers stay in inference mode once unfrozen. jeras keeps that explicit argument; Keras
    # 3.15.1 replaces it with fit's `training=True` (keras-team/keras#20285), so there the
    # unfrozen layers normalize with batch statistics and update their moving averages, and
    # the two runs part ways from the first fine-tuning step.
    _assert_close(
        got.checks["statistics after fine-tuning"],
        got.checks["statistics before fine-tuning"],
        0,
        0,
        "jeras's base kept its statistics",
    )
    with pytest.raises(AssertionError):
        _assert_close(
            want.checks["statistics after fine-tuning"],
            want.checks["statistics before fine-tuning"],
            1e-6,
            1e-6,
            "Keras's base updated its statistics",
        )
    assert np.all(np.isfinite(got.checks["fine-tuning history"]["loss"]))


# --------------------------------------------------------------------------
# "Making new layers and models via subclassing"
# (https://keras.io/guides/making_new_layers_and_models_via_subclassing/, fchollet)
# --------------------------------------------------------------------------

# Edits besides the hooks: MNIST is synthetic (128 images), and the VAE trains for one epoch.
SUBCLASSING_GUIDE = """
import numpy as np
import jeras as keras
from jeras import ops
from jeras import layers


# The Layer class: weights created in __init__.
class Linear(keras.layers.Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(
            shape=(input_dim, units),
            initializer="random_normal",
            trainable=True,
        )
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


x = ops.ones((2, 2))
linear_layer = Linear(4, 2)
__same_start__(linear_layer)
y = linear_layer(x)
__check__("linear", y)
assert linear_layer.weights == [linear_layer.w, linear_layer.b]


# Non-trainable weights, updated in call.
class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(
            initializer="zeros", shape=(input_dim,), trainable=False
        )

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


x = ops.ones((2, 2))
my_sum = ComputeSum(2)
y = my_sum(x)
__check__("sum once", y)
y = my_sum(x)
__check__("sum twice", y)
__check__(
    "sum weights",
    [len(my_sum.weights), len(my_sum.non_trainable_weights), len(my_sum.trainable_weights)],
)


# Deferring weight creation until the shape of the inputs is known.
class Linear(keras.layers.Layer):
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


linear_layer = Linear(32)
y = linear_layer(x)
__same_start__(linear_layer)
__check__("built on first call", linear_layer(x))


# Layers are recursively composable.
class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = keras.activations.relu(x)
        x = self.linear_2(x)
        x = keras.activations.relu(x)
        return self.linear_3(x)


mlp = MLPBlock()
y = mlp(ops.ones(shape=(3, 64)))
print("weights:", len(mlp.weights))
print("trainable weights:", len(mlp.trainable_weights))
__check__("block weights", [len(mlp.weights), len(mlp.trainable_weights)])
__same_start__(mlp)
__check__("block", mlp(ops.ones(shape=(3, 64))))


# The add_loss() method.
class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


layer = OuterLayer()
assert len(layer.losses) == 0  # No losses yet since the layer has never been called
_ = layer(ops.zeros((1, 1)))
assert len(layer.losses) == 1  # We created one loss value
_ = layer(ops.zeros((1, 1)))
assert len(layer.losses) == 1  # This is the loss created during the call above


class OuterLayerWithKernelRegularizer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

    def call(self, inputs):
        return self.dense(inputs)


layer = OuterLayerWithKernelRegularizer()
_ = layer(ops.zeros((1, 1)))
__same_start__(layer)
__check__("kernel regularization loss", layer.losses)

inputs = keras.Input(shape=(3,))
outputs = ActivityRegularizationLayer()(inputs)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
history_with_loss = model.fit(np.random.random((2, 3)), np.random.random((2, 3)))
model.compile(optimizer="adam")
history_without_loss = model.fit(np.random.random((2, 3)), np.random.random((2, 3)))
__check__("add_loss histories", [history_with_loss.history, history_without_loss.history])


# Serialization: get_config and from_config.
class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
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
        config = super().get_config()
        config.update({"units": self.units})
        return config


layer = Linear(64)
config = layer.get_config()
print(config)
new_layer = Linear.from_config(config)
__check__("config", {k: v for k, v in config.items() if k in ("name", "trainable", "units")})
__check__("from_config", [new_layer.units, new_layer.name == layer.name])


# The training argument in call().
class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


dropout = CustomDropout(0.5)
__check__("dropout at inference", dropout(ops.ones((4, 8))))
dropped = ops.convert_to_numpy(dropout(ops.ones((4, 8)), training=True))
__check__("dropout in training keeps zeros and doubles", sorted(set(dropped.ravel().tolist())))


# Putting it all together: a variational autoencoder.
class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    def __init__(
        self,
        original_dim,
        intermediate_dim=64,
        latent_dim=32,
        name="autoencoder",
        **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        # The KL divergence regularization loss.
        kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


(x_train, _), _ = keras.datasets.mnist.load_data()
x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255

original_dim = 784
vae = VariationalAutoEncoder(784, 64, 32)
vae(x_train[:1])
__same_start__(vae)
optimizer = keras.optimizers.Adam(learning_rate=1e-3)
vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
history = vae.fit(x_train, x_train, epochs=1, batch_size=64)
__check__("vae history", history.history)
__check__("vae weights", vae.get_weights())
"""


def _replay_jeras_normal(monkeypatch):
    """Makes `keras.random.normal` with a SeedGenerator draw what jeras's draws from the same
    generator (jeras folds the counter into `PRNGKey(seed)`, its state being [counter, seed];
    Keras's state is [seed, counter]): the one thing the Keras run takes from jeras."""
    import jax

    keras_normal = keras.random.normal

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        if not isinstance(seed, keras.random.SeedGenerator):
            return keras_normal(shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)
        state = seed.state
        value = keras.ops.convert_to_tensor(state.value)
        key = jax.random.fold_in(jax.random.PRNGKey(value[0]), value[1])
        state.assign(value + keras.ops.convert_to_tensor([0, 1], dtype=state.dtype))
        draw = jax.random.normal(key, tuple(shape), dtype or "float32")
        return mean + stddev * draw

    monkeypatch.setattr(keras.random, "normal", normal)


def test_subclassing_guide_runs_like_keras(monkeypatch):
    rng = np.random.default_rng(11)
    mnist = (_synthetic_images(rng, 128, (28, 28), 10), _synthetic_images(rng, 16, (28, 28), 10))
    for lib in (jeras, keras):
        monkeypatch.setattr(lib.datasets.mnist, "load_data", lambda *args, **kwargs: mnist)
    _replay_jeras_normal(monkeypatch)
    got, want = run_on_both(SUBCLASSING_GUIDE)
    np.testing.assert_array_equal(got.checks["sum twice"], [4.0, 4.0])
    assert got.checks["block weights"] == [6, 6]
    assert got.checks["dropout in training keeps zeros and doubles"] == [0.0, 2.0]
    assert_same_checks(got, want, rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------
# "Writing your own callbacks" (https://keras.io/guides/writing_your_own_callbacks/, Rick Chao
# and Francois Chollet)
# --------------------------------------------------------------------------

# Edits besides the hooks: MNIST is synthetic (1,000 training and 1,000 test images, the
# guide's cut of the real ones).
CALLBACKS_GUIDE = """
import numpy as np
import jeras as keras


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
x_train = x_train[:1000]
y_train = y_train[:1000]
x_test = x_test[:1000]
y_test = y_test[:1000]


# A callback that prints every hook it is given, with the keys of its logs.
class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        print("Starting training; got log keys: {}".format(list(logs.keys())))

    def on_train_end(self, logs=None):
        print("Stop training; got log keys: {}".format(list(logs.keys())))

    def on_epoch_begin(self, epoch, logs=None):
        print("Start epoch {} of training; got log keys: {}".format(epoch, list(logs.keys())))

    def on_epoch_end(self, epoch, logs=None):
        print("End epoch {} of training; got log keys: {}".format(epoch, list(logs.keys())))

    def on_test_begin(self, logs=None):
        print("Start testing; got log keys: {}".format(list(logs.keys())))

    def on_test_end(self, logs=None):
        print("Stop testing; got log keys: {}".format(list(logs.keys())))

    def on_predict_begin(self, logs=None):
        print("Start predicting; got log keys: {}".format(list(logs.keys())))

    def on_predict_end(self, logs=None):
        print("Stop predicting; got log keys: {}".format(list(logs.keys())))

    def on_train_batch_begin(self, batch, logs=None):
        print("...Training: start of batch {}; got log keys: {}".format(batch, list(logs.keys())))

    def on_train_batch_end(self, batch, logs=None):
        print("...Training: end of batch {}; got log keys: {}".format(batch, list(logs.keys())))

    def on_test_batch_begin(self, batch, logs=None):
        print("...Evaluating: start of batch {}; got log keys: {}".format(batch, list(logs.keys())))

    def on_test_batch_end(self, batch, logs=None):
        print("...Evaluating: end of batch {}; got log keys: {}".format(batch, list(logs.keys())))

    def on_predict_batch_begin(self, batch, logs=None):
        print("...Predicting: start of batch {}; got log keys: {}".format(batch, list(logs.keys())))

    def on_predict_batch_end(self, batch, logs=None):
        print("...Predicting: end of batch {}; got log keys: {}".format(batch, list(logs.keys())))


model = get_model()
model.fit(
    x_train,
    y_train,
    batch_size=128,
    epochs=1,
    verbose=0,
    validation_split=0.5,
    callbacks=[CustomCallback()],
)
__same_start__(model)
res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
__check__("evaluate", res)
res = model.predict(x_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
__check__("predict", res)


# Using the logs: the running loss after every batch, the metrics after every epoch.
class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_test_batch_end(self, batch, logs=None):
        print("Up to batch {}, the average loss is {:7.2f}.".format(batch, logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        print(
            "The average loss for epoch {} is {:7.2f} "
            "and mean absolute error is {:7.2f}.".format(
                epoch, logs["loss"], logs["mean_absolute_error"]
            )
        )


model = get_model()
model.build((None, 784))
__same_start__(model)
history = model.fit(
    x_train,
    y_train,
    batch_size=128,
    epochs=2,
    verbose=0,
    callbacks=[LossAndErrorPrintingCallback()],
)
__check__("printing history", history.history)
res = model.evaluate(
    x_test,
    y_test,
    batch_size=128,
    verbose=0,
    callbacks=[LossAndErrorPrintingCallback()],
)
__check__("printing evaluate", res)


# Early stopping at the minimum loss, restoring the best weights.
class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                print("Restoring model weights from the end of the best epoch.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


model = get_model()
model.build((None, 784))
__same_start__(model)
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=30,
    verbose=0,
    callbacks=[LossAndErrorPrintingCallback(), EarlyStoppingAtMinLoss()],
)
__check__("early stopping history", history.history)
__check__("restored weights", model.get_weights())


# A learning-rate schedule set at the start of every epoch.
class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr
        print(f"\\nEpoch {epoch}: Learning rate is {float(np.array(scheduled_lr))}.")


LR_SCHEDULE = [
    # (epoch to start, learning rate) tuples
    (3, 0.05),
    (6, 0.01),
    (9, 0.005),
    (12, 0.001),
]


def lr_schedule(epoch, lr):
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


model = get_model()
model.build((None, 784))
__same_start__(model)
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=15,
    verbose=0,
    callbacks=[LossAndErrorPrintingCallback(), CustomLearningRateScheduler(lr_schedule)],
)
__check__("scheduled history", history.history)
__check__("final learning rate", float(np.array(model.optimizer.learning_rate)))
"""

_NUMBER = r"-?\d+\.\d+(?:e[-+]?\d+)?|nan|inf"


def test_callbacks_guide_runs_like_keras(monkeypatch):
    import re

    rng = np.random.default_rng(5)
    mnist = (
        _synthetic_images(rng, 1000, (28, 28), 10),
        _synthetic_images(rng, 1000, (28, 28), 10),
    )
    for lib in (jeras, keras):
        monkeypatch.setattr(lib.datasets.mnist, "load_data", lambda *args, **kwargs: mnist)
    got, want = run_on_both(CALLBACKS_GUIDE)
    # The same hooks in the same order with the same log keys, and the same printed numbers.
    got_lines, want_lines = got.printed.splitlines(), want.printed.splitlines()
    assert [re.sub(_NUMBER, "#", line) for line in got_lines] == [
        re.sub(_NUMBER, "#", line) for line in want_lines
    ]
    got_numbers = [float(n) for n in re.findall(_NUMBER, got.printed)]
    want_numbers = [float(n) for n in re.findall(_NUMBER, want.printed)]
    # Printed with two decimals: one unit of the last place apart at a rounding boundary.
    np.testing.assert_allclose(got_numbers, want_numbers, rtol=1e-4, atol=0.0101)
    assert "Starting training; got log keys: []" in got_lines
    assert any(line.startswith("...Predicting: end of batch 7") for line in got_lines)
    assert got.checks["final learning rate"] == pytest.approx(0.001)
    assert_same_checks(got, want, rtol=1e-4, atol=1e-5)
