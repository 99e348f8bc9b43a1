"""Every layer of the catalogue trains to Keras's numbers.

One parametrised test fits a small model around each public `jeras.layers` class for two epochs
of 70 samples in batches of 32 (so the last batch of each epoch is short and jeras pads it), and
compares with real Keras 3 fitted from the same initial weights: the loss history, the weights
after the first step (which give the first step's gradient) and the final weights.

jeras is fitted on two paths:
- "fused": the default `fit()`, several steps per compiled call (one on a CPU for the layers
  that say `slower_in_cpu_loops`);
- "per_batch_callback": a callback reading the model's weights after every batch, which needs
  the live model and so runs one step per compiled call.
(`compile(steps_per_execution=N)` is checked against Keras in
`tests/trainer/test_execution_plan.py`.)

The catalogue is read from `jeras.layers` itself: a layer added there without an entry in
`CASES` (or in `EXEMPT`, with the reason) makes this test fail.
"""

import dataclasses
import inspect
from collections.abc import Callable

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jeras

NUM_SAMPLES, BATCH_SIZE, EPOCHS = 70, 32, 2
# Small enough that no case diverges in six steps.
LEARNING_RATE = 0.01
PATHS = ("fused", "per_batch_callback")

# Tolerances (float32). Losses: means of at most 32 squared errors after a few SGD steps.
LOSS_RTOL = 1e-5
# Weights after a few steps of plain SGD from the same start.
WEIGHT_RTOL, WEIGHT_ATOL = 1e-5, 1e-6
# First-step gradient recovered as (w0 - w1) / learning_rate: the subtraction of two float32
# weights near 0.5 leaves ~6e-8 of rounding, divided by the learning rate: ~6e-6.
GRADIENT_RTOL, GRADIENT_ATOL = 1e-4, 1e-5


@dataclasses.dataclass(frozen=True)
class Case:
    """How to build and train one layer.

    kwargs: constructor arguments, the same for Keras and jeras.
    input_shapes: one per-sample shape per model input (two for the merging layers).
    stem_units: a trainable `Dense(units)` in front of the layer on each input, so that the
        gradient flows *through* the layer (needed for layers without weights), or None to feed
        the inputs straight in.
    head: `Flatten` (when the output has more than 2 axes) then `Dense(1)` after the layer;
        False when the layer alone already maps to one value per sample.
    call: `call(layer, inputs)` for a layer not called on its inputs as one argument (one
        tensor, or the list of several), e.g. attention called as `layer(query, value)`.
    run_in_rnn: the layer is a recurrent cell (one time step): it trains inside `RNN(cell)`.
    """

    kwargs: dict
    input_shapes: tuple
    stem_units: tuple | None = None
    head: bool = True
    call: Callable | None = None
    run_in_rnn: bool = False


class PerLibrary:
    """A constructor argument that is an object of the library being built (the layer that
    `Bidirectional` wraps, the cell of an `RNN`): `make(lib)` builds it."""

    def __init__(self, make):
        self.make = make

    def __repr__(self):
        return "PerLibrary(...)"


def _arguments(kwargs, lib):
    return {k: v.make(lib) if isinstance(v, PerLibrary) else v for k, v in kwargs.items()}


def _square(t):
    return t * t


CASES = {
    # -- core
    "Dense": Case(dict(units=1, activation="tanh"), ((5,),), head=False),
    "Activation": Case(dict(activation="tanh"), ((5,),), stem_units=(4,)),
    "Identity": Case({}, ((5,),), stem_units=(4,)),
    "Lambda": Case(dict(function=_square), ((5,),), stem_units=(4,)),
    # -- regularization
    "Dropout": Case(dict(rate=0.5, seed=1234), ((6,),), stem_units=(8,)),
    "ActivityRegularization": Case(dict(l1=0.01, l2=0.02), ((5,),), stem_units=(4,)),
    # -- reshaping
    "Flatten": Case({}, ((3, 4),), stem_units=(2,)),
    "Reshape": Case(dict(target_shape=(2, 3)), ((5,),), stem_units=(6,)),
    # -- convolution
    "Conv1D": Case(
        dict(filters=3, kernel_size=2, dilation_rate=2, padding="same", activation="tanh"),
        ((7, 2),),
    ),
    "Conv2D": Case(
        dict(filters=3, kernel_size=(2, 3), strides=(2, 1), data_format="channels_first"),
        ((2, 5, 6),),
    ),
    "Conv3D": Case(dict(filters=2, kernel_size=2, padding="same"), ((3, 4, 3, 2),)),
    # -- pooling (a Dense stem on the last axis gives the pooled values a gradient)
    "MaxPooling1D": Case(dict(pool_size=2), ((7, 3),), stem_units=(2,)),
    "MaxPooling2D": Case(
        dict(pool_size=3, strides=2, padding="same"), ((5, 6, 3),), stem_units=(2,)
    ),
    "MaxPooling3D": Case(
        dict(pool_size=2, data_format="channels_first"), ((2, 4, 4, 5),), stem_units=(4,)
    ),
    "AveragePooling1D": Case(
        dict(pool_size=3, strides=2, padding="same"), ((7, 3),), stem_units=(2,)
    ),
    "AveragePooling2D": Case(
        dict(pool_size=2, data_format="channels_first"), ((2, 5, 4),), stem_units=(5,)
    ),
    "AveragePooling3D": Case(dict(pool_size=2, padding="same"), ((3, 4, 3, 2),), stem_units=(2,)),
    "GlobalMaxPooling1D": Case({}, ((6, 3),), stem_units=(2,)),
    "GlobalMaxPooling2D": Case(dict(data_format="channels_first"), ((2, 4, 3),), stem_units=(5,)),
    "GlobalMaxPooling3D": Case(dict(keepdims=True), ((3, 3, 2, 2),), stem_units=(2,)),
    "GlobalAveragePooling1D": Case(dict(data_format="channels_first"), ((3, 6),), stem_units=(4,)),
    "GlobalAveragePooling2D": Case({}, ((4, 3, 2),), stem_units=(3,)),
    "GlobalAveragePooling3D": Case(dict(keepdims=True), ((3, 2, 3, 2),), stem_units=(2,)),
    # -- merging
    "Add": Case({}, ((5,), (3,)), stem_units=(4, 4)),
    "Subtract": Case({}, ((5,), (3,)), stem_units=(4, 4)),
    "Multiply": Case({}, ((5,), (3,)), stem_units=(4, 4)),
    "Average": Case({}, ((5,), (3,)), stem_units=(4, 4)),
    "Maximum": Case({}, ((5,), (3,)), stem_units=(4, 4)),
    "Minimum": Case({}, ((5,), (3,)), stem_units=(4, 4)),
    "Concatenate": Case(dict(axis=-1), ((3, 4), (3, 2)), stem_units=(2, 3)),
    "Dot": Case(dict(axes=-1, normalize=True), ((5,), (3,)), stem_units=(4, 4)),
    # -- attention
    "EinsumDense": Case(
        dict(equation="abc,cd->abd", output_shape=(4, 3), bias_axes="d", activation="tanh"),
        ((4, 5),),
    ),
    "MultiHeadAttention": Case(
        dict(num_heads=2, key_dim=3),
        ((4, 5), (3, 6)),
        call=lambda layer, inputs: layer(inputs[0], inputs[1], use_causal_mask=True),
    ),
    "GroupQueryAttention": Case(
        dict(head_dim=2, num_query_heads=4, num_key_value_heads=2),
        ((4, 5), (3, 5)),
        call=lambda layer, inputs: layer(inputs[0], inputs[1]),
    ),
    "Attention": Case(
        dict(use_scale=True, score_mode="concat"), ((4, 5), (3, 5)), stem_units=(4, 4)
    ),
    "AdditiveAttention": Case({}, ((4, 5), (3, 5)), stem_units=(4, 4)),
    # -- normalization (BatchNormalization: its moving statistics are among the final weights
    # compared; the short last batch of each epoch must count its real rows only)
    "BatchNormalization": Case(dict(momentum=0.8), ((5,),), stem_units=(4,)),
    "LayerNormalization": Case(dict(axis=[1, 2]), ((3, 4),), stem_units=(2,)),
    "GroupNormalization": Case(dict(groups=2, axis=1), ((4, 3),)),
    "UnitNormalization": Case({}, ((5,),), stem_units=(4,)),
    "RMSNormalization": Case({}, ((5,),), stem_units=(4,)),
    "SpectralNormalization": Case(
        dict(layer=PerLibrary(lambda lib: lib.layers.Dense(3)), power_iterations=2), ((5,),)
    ),
    # -- sequence reshaping
    "RepeatVector": Case(dict(n=3), ((5,),), stem_units=(2,)),
    "Permute": Case(dict(dims=(2, 1)), ((3, 4),), stem_units=(2,)),
    "Cropping1D": Case(dict(cropping=(1, 2)), ((6, 3),), stem_units=(2,)),
    "ZeroPadding1D": Case(dict(padding=(1, 2)), ((4, 3),), stem_units=(2,)),
    "UpSampling1D": Case(dict(size=2), ((4, 3),), stem_units=(2,)),
    # -- masking (masked training itself: tests/layers/test_masking.py). The float inputs are
    # cast to indices in [-2, 2], negative ones counting from the end of the table in both.
    "Embedding": Case(dict(input_dim=5, output_dim=3), ((4,),)),
    "Masking": Case(dict(mask_value=0.0), ((3, 4),), stem_units=(2,)),
    # -- recurrent
    "SimpleRNN": Case(dict(units=3, return_sequences=True, go_backwards=True), ((5, 4),)),
    "LSTM": Case(dict(units=3, unroll=True), ((5, 4),)),
    "GRU": Case(dict(units=3, return_sequences=True, reset_after=False), ((5, 4),)),
    "SimpleRNNCell": Case(dict(units=2, activation="relu"), ((4, 3),), run_in_rnn=True),
    "LSTMCell": Case(dict(units=2, unit_forget_bias=False), ((4, 3),), run_in_rnn=True),
    "GRUCell": Case(dict(units=2), ((4, 3),), run_in_rnn=True),
    "StackedRNNCells": Case(
        dict(cells=PerLibrary(lambda lib: [lib.layers.GRUCell(3), lib.layers.SimpleRNNCell(2)])),
        ((4, 3),),
        run_in_rnn=True,
    ),
    "RNN": Case(
        dict(
            cell=PerLibrary(lambda lib: [lib.layers.LSTMCell(3), lib.layers.GRUCell(2)]),
            return_state=False,
        ),
        ((5, 4),),
    ),
    "Bidirectional": Case(
        dict(
            layer=PerLibrary(lambda lib: lib.layers.GRU(3, return_sequences=True)),
            merge_mode="ave",
        ),
        ((5, 4),),
    ),
    "TimeDistributed": Case(
        dict(layer=PerLibrary(lambda lib: lib.layers.Dense(2, activation="tanh"))), ((5, 4),)
    ),
    "ConvLSTM1D": Case(dict(filters=2, kernel_size=2, padding="same"), ((3, 5, 2),)),
    "ConvLSTM2D": Case(
        dict(filters=2, kernel_size=2, return_sequences=True, go_backwards=True), ((3, 4, 3, 2),)
    ),
    "ConvLSTM3D": Case(dict(filters=2, kernel_size=2, strides=2), ((2, 4, 3, 4, 1),)),
    # -- vision: activation layers
    "ReLU": Case(dict(max_value=1.0, negative_slope=0.1, threshold=0.2), ((5,),), stem_units=(4,)),
    "LeakyReLU": Case(dict(negative_slope=0.2), ((5,),), stem_units=(4,)),
    "PReLU": Case(dict(alpha_initializer="ones"), ((5,),), stem_units=(4,)),
    "ELU": Case(dict(alpha=0.5), ((5,),), stem_units=(4,)),
    "Softmax": Case({}, ((5,),), stem_units=(4,)),
    # -- vision: transposed, depthwise and separable convolutions
    "Conv1DTranspose": Case(dict(filters=2, kernel_size=3, strides=2, padding="same"), ((5, 2),)),
    "Conv2DTranspose": Case(
        dict(filters=2, kernel_size=2, strides=2, output_padding=1, data_format="channels_first"),
        ((2, 3, 4),),
    ),
    "Conv3DTranspose": Case(dict(filters=2, kernel_size=2, strides=(1, 2, 1)), ((2, 3, 2, 2),)),
    "DepthwiseConv1D": Case(dict(kernel_size=3, depth_multiplier=2, padding="same"), ((6, 2),)),
    "DepthwiseConv2D": Case(dict(kernel_size=2, strides=2, activation="tanh"), ((5, 4, 3),)),
    "SeparableConv1D": Case(dict(filters=3, kernel_size=2, depth_multiplier=2), ((6, 2),)),
    "SeparableConv2D": Case(dict(filters=3, kernel_size=3, padding="same"), ((4, 5, 2),)),
    # -- vision: spatial reshaping
    "UpSampling2D": Case(dict(size=(2, 1), interpolation="bilinear"), ((3, 2, 2),), (2,)),
    "UpSampling3D": Case({}, ((2, 2, 1, 2),), stem_units=(2,)),
    "ZeroPadding2D": Case(dict(padding=((1, 0), (0, 2))), ((3, 2, 2),), stem_units=(2,)),
    "ZeroPadding3D": Case(dict(padding=(1, 0, 1)), ((2, 2, 1, 2),), stem_units=(2,)),
    "Cropping2D": Case(dict(cropping=((1, 0), (0, 2))), ((3, 4, 2),), stem_units=(2,)),
    "Cropping3D": Case(dict(cropping=(1, 0, (0, 1))), ((3, 2, 2, 2),), stem_units=(2,)),
    # -- vision: deterministic preprocessing
    "Rescaling": Case(dict(scale=0.5, offset=0.1), ((5,),), stem_units=(4,)),
    "Normalization": Case(dict(mean=0.5, variance=2.0), ((5,),), stem_units=(4,)),
    "Resizing": Case(dict(height=4, width=3), ((3, 2, 2),), stem_units=(2,)),
    "CenterCrop": Case(dict(height=2, width=2), ((4, 3, 2),), stem_units=(2,)),
    # -- vision: adaptive pooling (a Dense stem on the last axis gives the pooled values a
    # gradient)
    "AdaptiveAveragePooling1D": Case(dict(output_size=3), ((7, 3),), stem_units=(2,)),
    "AdaptiveAveragePooling2D": Case(
        dict(output_size=(2, 3), data_format="channels_first"), ((2, 5, 4),), stem_units=(5,)
    ),
    "AdaptiveAveragePooling3D": Case(dict(output_size=2), ((3, 5, 3, 2),), stem_units=(2,)),
    "AdaptiveMaxPooling1D": Case(dict(output_size=4), ((7, 3),), stem_units=(2,)),
    "AdaptiveMaxPooling2D": Case(dict(output_size=(3, 2)), ((5, 5, 3),), stem_units=(2,)),
    "AdaptiveMaxPooling3D": Case(
        dict(output_size=(2, 1, 2), data_format="channels_first"),
        ((2, 3, 4, 5),),
        stem_units=(5,),
    ),
}

# Catalogue classes that cannot be trained by nature, with the reason.
EXEMPT = {
    "Layer": "the abstract base class: its `call` is whatever a subclass writes",
    "InputLayer": "a placeholder for the model's input: no computation and no weights",
    # -- vision: noise layers draw with their own key layout, so Keras cannot replay their
    # draws; tests/layers/test_activation_layers.py fits each of them instead.
    "GaussianNoise": "random draws (own key layout); fitted in test_activation_layers.py",
    "GaussianDropout": "random draws (own key layout); fitted in test_activation_layers.py",
    "AlphaDropout": "random draws (own key layout); fitted in test_activation_layers.py",
    "SpatialDropout1D": "random draws (own key layout); fitted in test_activation_layers.py",
    "SpatialDropout2D": "random draws (own key layout); fitted in test_activation_layers.py",
    "SpatialDropout3D": "random draws (own key layout); fitted in test_activation_layers.py",
    # -- vision: random augmentation, fitted in tests/layers/test_preprocessing.py (augmentation
    # on in fit, off in predict/evaluate against Keras).
    "RandomFlip": "random draws (own key layout); fitted in test_preprocessing.py",
    "RandomRotation": "random draws (own key layout); fitted in test_preprocessing.py",
    "RandomZoom": "random draws (own key layout); fitted in test_preprocessing.py",
    "RandomTranslation": "random draws (own key layout); fitted in test_preprocessing.py",
    "RandomCrop": "random draws (own key layout); fitted in test_preprocessing.py",
    "RandomContrast": "random draws (own key layout); fitted in test_preprocessing.py",
    "RandomBrightness": "random draws (own key layout); fitted in test_preprocessing.py",
    # -- categorical and text preprocessing: no weights and integer (or token-count) outputs,
    # so no gradient flows through them; tests/layers/test_lookup_layers.py and
    # test_text_vectorization.py fit models using them against Keras instead.
    "CategoryEncoding": "no weights, integer inputs: fitted in test_lookup_layers.py",
    "Discretization": "integer outputs (no gradient): fitted in test_lookup_layers.py",
    "HashedCrossing": "integer outputs of a host hash: covered in test_lookup_layers.py",
    "Hashing": "integer outputs of a host hash: fitted in test_lookup_layers.py",
    "IntegerLookup": "integer outputs (no gradient): fitted in test_lookup_layers.py",
    "StringLookup": "string inputs (host stage): fitted in test_lookup_layers.py",
    "TextVectorization": "string inputs (host stage): fitted in test_text_vectorization.py",
}


def _catalogue():
    """Names of the distinct public Layer classes in `jeras.layers` (aliases such as
    `MaxPool2D` are the same class and appear once, under the class's own name, or under the
    name it is exported as when that differs: `GroupQueryAttention`, whose class is
    `GroupedQueryAttention` as in Keras)."""
    exported = {}
    for name, obj in vars(jeras.layers).items():
        if inspect.isclass(obj) and issubclass(obj, jeras.layers.Layer):
            if exported.get(obj) != obj.__name__:
                exported[obj] = obj.__name__ if name == obj.__name__ else name
    return sorted(exported.values())


def test_catalogue_and_table_agree():
    catalogue = set(_catalogue())
    missing = sorted(catalogue - set(CASES) - set(EXEMPT))
    assert not missing, (
        f"jeras.layers has layer classes without a training case: {missing}. Add a `Case` to "
        f"CASES in {__file__} (or to EXEMPT, with the reason it cannot train)."
    )
    stale = sorted((set(CASES) | set(EXEMPT)) - catalogue)
    assert not stale, f"CASES/EXEMPT name classes that jeras.layers does not export: {stale}"
    assert not set(CASES) & set(EXEMPT)


# -- building the same model with either library --------------------------------------------------
def _build(lib, name, case, layer=None):
    inputs = [lib.Input(shape) for shape in case.input_shapes]
    hidden = inputs
    if case.stem_units is not None:
        hidden = [lib.layers.Dense(units)(x) for x, units in zip(inputs, case.stem_units)]
    if layer is None:
        layer = getattr(lib.layers, name)(**_arguments(case.kwargs, lib))
    if case.run_in_rnn:
        layer = lib.layers.RNN(layer, return_sequences=True)
    if case.call is not None:
        hidden = case.call(layer, hidden)
    else:
        hidden = layer(hidden if len(hidden) > 1 else hidden[0])
    if case.head:
        if len(hidden.shape) > 2:
            hidden = lib.layers.Flatten()(hidden)
        hidden = lib.layers.Dense(1)(hidden)
    return lib.Model(inputs if len(inputs) > 1 else inputs[0], hidden)


class _KerasDropoutWithJerasMasks(keras.layers.Dropout):
    """Keras's Dropout drawing jeras's masks.

    The two libraries turn a seed into masks differently (Keras uses its `[seed, counter]` state
    as the raw key; jeras folds the counter into `PRNGKey(seed)`), and jeras pads the short last
    batch, so its mask is drawn for a full batch. This subclass draws the masks the jeras way,
    which is the one thing it takes from jeras; the rest (training flag inside `fit`, a new key
    every step, scaling, the gradient through the mask) is Keras's."""

    def __init__(self, *args, full_batch_size, **kwargs):
        super().__init__(*args, **kwargs)
        self.full_batch_size = full_batch_size

    def call(self, inputs, training=False):
        if not training:
            return inputs
        state = self.seed_generator.state
        seed, counter = state.value[0], state.value[1]
        state.assign(state.value + jnp.array([0, 1], state.value.dtype))
        key = jax.random.fold_in(jax.random.PRNGKey(seed), counter)
        rows = max(self.full_batch_size, inputs.shape[0])
        keep = jax.random.bernoulli(key, 1.0 - self.rate, (rows,) + tuple(inputs.shape[1:]))
        keep = keep[: inputs.shape[0]]
        return jnp.where(keep, inputs / (1.0 - self.rate), jnp.zeros_like(inputs))


def _keras_layer(name, case):
    if name == "Dropout":
        return _KerasDropoutWithJerasMasks(**case.kwargs, full_batch_size=BATCH_SIZE)
    return None


def _data(case):
    rng = np.random.default_rng(7)
    xs = [
        rng.standard_normal((NUM_SAMPLES,) + shape).astype("float32") for shape in case.input_shapes
    ]
    y = rng.standard_normal((NUM_SAMPLES, 1)).astype("float32")
    return (xs if len(xs) > 1 else xs[0]), y


def _recorder(lib):
    """A callback that asks for every batch: records the weights after each step."""

    class WeightsAfterEachBatch(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.weights = []

        def on_train_batch_end(self, batch, logs=None):
            self.weights.append([np.array(w) for w in self.model.get_weights()])

    return WeightsAfterEachBatch()


@dataclasses.dataclass
class _Run:
    initial_weights: list
    losses: list
    final_weights: list
    weights_after_step: list | None = None


def _fit(lib, model, x, y, path):
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=LEARNING_RATE), loss="mse")
    recorder = _recorder(lib) if path == "per_batch_callback" else None
    history = model.fit(
        x,
        y,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[recorder] if recorder else None,
    )
    return history.history["loss"], model.get_weights(), recorder and recorder.weights


_KERAS_RUNS = {}


def _keras_run(name, case):
    """Keras's fit of the case, once per layer (shared by the jeras paths)."""
    if name not in _KERAS_RUNS:
        keras.utils.set_random_seed(3)
        model = _build(keras, name, case, layer=_keras_layer(name, case))
        initial = model.get_weights()
        x, y = _data(case)
        losses, final, after_step = _fit(keras, model, x, y, "per_batch_callback")
        _KERAS_RUNS[name] = _Run(initial, losses, final, after_step)
    return _KERAS_RUNS[name]


def _jeras_model(name, case, keras_run):
    model = _build(jeras, name, case)
    assert [w.shape for w in model.get_weights()] == [w.shape for w in keras_run.initial_weights], (
        f"{name}: weights differ from Keras's"
    )
    model.set_weights(keras_run.initial_weights)
    if name == "Dropout":
        dropout = next(layer for layer in model.layers if isinstance(layer, jeras.layers.Dropout))
        # The Keras replica's state is [seed, counter] from the same seed argument.
        assert np.asarray(dropout.seed_generator.state.value).tolist() == [0, case.kwargs["seed"]]
    return model


def _params():
    names = sorted(set(_catalogue()) | set(CASES))
    return [pytest.param(name, path, id=f"{name}-{path}") for name in names for path in PATHS]


@pytest.mark.parametrize("name, path", _params())
def test_layer_trains_like_keras(name, path):
    if name in EXEMPT:
        pytest.skip(f"{name} cannot train: {EXEMPT[name]}")
    assert name in CASES, f"{name} has no training case (see test_catalogue_and_table_agree)"
    case = CASES[name]
    expected = _keras_run(name, case)
    x, y = _data(case)
    model = _jeras_model(name, case, expected)
    losses, final, after_step = _fit(jeras, model, x, y, path)

    np.testing.assert_allclose(
        losses, expected.losses, rtol=LOSS_RTOL, err_msg=f"{name} ({path}): loss history"
    )
    for i, (got, want) in enumerate(zip(final, expected.final_weights)):
        np.testing.assert_allclose(
            got,
            want,
            rtol=WEIGHT_RTOL,
            atol=WEIGHT_ATOL,
            err_msg=f"{name} ({path}): final weight {i}",
        )
    if after_step is not None:
        assert len(after_step) == len(expected.weights_after_step)
        for i, (w0, got, want) in enumerate(
            zip(expected.initial_weights, after_step[0], expected.weights_after_step[0])
        ):
            np.testing.assert_allclose(
                (w0 - got) / LEARNING_RATE,
                (w0 - want) / LEARNING_RATE,
                rtol=GRADIENT_RTOL,
                atol=GRADIENT_ATOL,
                err_msg=f"{name} ({path}): first-step gradient {i}",
            )
        for step, (got_all, want_all) in enumerate(zip(after_step, expected.weights_after_step)):
            for i, (got, want) in enumerate(zip(got_all, want_all)):
                np.testing.assert_allclose(
                    got,
                    want,
                    rtol=WEIGHT_RTOL,
                    atol=WEIGHT_ATOL,
                    err_msg=f"{name} ({path}): weight {i} after step {step}",
                )
