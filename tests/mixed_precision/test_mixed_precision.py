"""Mixed precision against real Keras 3: dtypes of every catalogue layer, bfloat16 and float16
training from the same weights, and dynamic loss scaling recovering from overflow."""

import os
import tempfile

import keras
import numpy as np
import pytest

import jeras
from tests.layers.test_every_layer_trains import CASES, _arguments

LIBRARIES = (keras, jeras)


@pytest.fixture(autouse=True)
def _float32_after_each_test():
    yield
    for lib in LIBRARIES:
        lib.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_layer_has_keras_dtypes_under_mixed_bfloat16(name):
    case = CASES[name]
    seen = {}
    for lib in LIBRARIES:
        lib.mixed_precision.set_global_policy("mixed_bfloat16")
        layer = getattr(lib.layers, name)(**_arguments(case.kwargs, lib))
        if case.run_in_rnn:
            layer = lib.layers.RNN(layer)
        inputs = [
            np.ones((2,) + (shape[:-1] + (units,) if units else shape), "float32")
            for shape, units in zip(
                case.input_shapes, case.stem_units or (None,) * len(case.input_shapes)
            )
        ]
        if case.call is not None:
            outputs = case.call(layer, inputs)
        else:
            outputs = layer(inputs if len(inputs) > 1 else inputs[0])
        outputs = outputs[0] if isinstance(outputs, (tuple, list)) else outputs
        seen[lib.__name__] = (
            layer.dtype,
            layer.compute_dtype,
            layer.variable_dtype,
            layer.dtype_policy.name,
            [str(w.dtype) for w in layer.weights],
            str(outputs.dtype),
        )
    assert seen["jeras"] == seen["keras"]


def _train(lib, policy, weights=None, loss_scale=None):
    lib.mixed_precision.set_global_policy(policy)
    inputs = lib.Input((8,))
    hidden = lib.layers.Dense(16, activation="relu")(inputs)
    outputs = lib.layers.Dense(1)(hidden)
    # Keras's advice: the model's last computation in float32.
    outputs = lib.layers.Activation("linear", dtype="float32")(outputs)
    model = lib.Model(inputs, outputs)
    if weights is None:
        weights = [
            np.random.default_rng(i).normal(0, 0.5, w.shape).astype("float32")
            for i, w in enumerate(model.get_weights())
        ]
    model.set_weights(weights)
    optimizer = lib.optimizers.SGD(0.01)
    if loss_scale is not None:
        optimizer = lib.optimizers.LossScaleOptimizer(
            optimizer, initial_scale=loss_scale, dynamic_growth_steps=3
        )
    model.compile(optimizer, "mse")
    x = np.random.default_rng(5).normal(size=(64, 8)).astype("float32")
    y = x.sum(1, keepdims=True)
    before = np.asarray(model.predict(x, verbose=0))
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    scale = None
    if isinstance(model.optimizer, lib.optimizers.LossScaleOptimizer):
        opt = model.optimizer
        scale = (
            float(np.asarray(opt.dynamic_scale)),
            int(np.asarray(opt.step_counter)),
            int(np.asarray(opt.iterations)),
        )
    return dict(
        weights=weights,
        before=before,
        loss=history["loss"],
        after=model.get_weights(),
        optimizer=type(model.optimizer).__name__,
        scale=scale,
    )


@pytest.mark.parametrize(
    "policy, loss_scale",
    [
        ("mixed_bfloat16", None),
        # compile wraps the optimizer in a LossScaleOptimizer (2**15, growth every 2000 steps).
        ("mixed_float16", None),
        # A scale that overflows float16: every step is skipped and the scale halves until
        # the gradients are finite, exactly as Keras.
        ("mixed_float16", 2.0**40),
        # Growth every 3 finite steps, with some overflowing steps in between.
        ("mixed_float16", 2.0**15),
    ],
)
def test_mixed_precision_trains_like_keras(policy, loss_scale):
    ours = _train(jeras, policy, loss_scale=loss_scale)
    theirs = _train(keras, policy, weights=ours["weights"], loss_scale=loss_scale)
    assert ours["optimizer"] == theirs["optimizer"]
    assert ours["scale"] == theirs["scale"]
    np.testing.assert_allclose(ours["before"], theirs["before"], rtol=1e-6)
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-5)
    for a, b in zip(ours["after"], theirs["after"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_mixed_model_saved_by_jeras_opens_in_keras_and_back():
    jeras.mixed_precision.set_global_policy("mixed_bfloat16")
    inputs = jeras.Input((4,))
    outputs = jeras.layers.Dense(2, dtype="float32")(jeras.layers.Dense(3)(inputs))
    model = jeras.Model(inputs, outputs)
    jeras.mixed_precision.set_global_policy("float32")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    path = os.path.join(tempfile.mkdtemp(), "mixed.keras")
    model.save(path)
    theirs = keras.saving.load_model(path)
    assert [layer.dtype_policy.name for layer in theirs.layers[1:]] == ["mixed_bfloat16", "float32"]
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    theirs.save(path)
    back = jeras.saving.load_model(path)
    assert [layer.dtype_policy.name for layer in back.layers[1:]] == ["mixed_bfloat16", "float32"]
    assert back.layers[1].compute_dtype == "bfloat16"


def test_loss_scale_optimizer_config_round_trips_with_keras():
    ours = jeras.optimizers.LossScaleOptimizer(
        jeras.optimizers.Adam(0.002), initial_scale=1024.0, dynamic_growth_steps=10
    )
    config = jeras.saving.serialize_keras_object(ours)
    theirs = keras.saving.deserialize_keras_object(config)
    assert isinstance(theirs, keras.optimizers.LossScaleOptimizer)
    assert theirs.initial_scale == 1024.0 and theirs.dynamic_growth_steps == 10
    back = jeras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(theirs))
    assert isinstance(back.inner_optimizer, jeras.optimizers.Adam)
    assert float(back.inner_optimizer.learning_rate) == pytest.approx(0.002)


def test_bad_policies_and_loss_scale_arguments_are_named():
    with pytest.raises(ValueError, match="cannot interpret 'mixed_float8'"):
        jeras.mixed_precision.set_global_policy("mixed_float8")
    with pytest.raises(ValueError, match="floating type"):
        jeras.mixed_precision.set_global_policy("int32")
    with pytest.raises(ValueError, match="`dynamic=False` is not supported"):
        jeras.optimizers.LossScaleOptimizer(jeras.optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="does not take `clipnorm`"):
        jeras.optimizers.LossScaleOptimizer(jeras.optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="must be an optimizer instance"):
        jeras.optimizers.LossScaleOptimizer("sgd")
