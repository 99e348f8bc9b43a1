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
