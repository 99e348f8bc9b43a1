"""`keras.models.clone_model`: functional, Sequential and subclassed models, with Keras's
arguments (`input_tensors`, `clone_function`, `call_function`, `recursive`); the clones'
layers, configs and (fresh) weights checked against Keras's clones of the same models."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import jeras


def _functional(lib):
    inputs = lib.Input((4,), name="features")
    hidden = lib.layers.Dense(5, activation="relu", name="hidden")(inputs)
    shared = lib.layers.Dense(5, name="shared")
    merged = lib.layers.Add(name="merge")([shared(hidden), shared(hidden)])
    outputs = lib.layers.Dense(2, name="head")(lib.layers.Dropout(0.2, name="drop")(merged))
    return lib.Model(inputs, outputs, name="net")


def _sequential(lib):
    return lib.Sequential(
        [lib.Input((3,), name="in"), lib.layers.Dense(4, name="a"), lib.layers.Dense(1, name="b")],
        name="seq",
    )


def _layer_summary(model):
    return [(type(l).__name__, l.name, [tuple(w.shape) for w in l.weights]) for l in model.layers]


@pytest.mark.parametrize("build", [_functional, _sequential])
def test_clone_has_keras_structure_and_fresh_weights(build):
    original = build(jeras)
    clone = jeras.models.clone_model(original)
    keras_clone = keras.models.clone_model(build(keras))
    assert type(clone).__name__ == type(keras_clone).__name__
    assert clone.name == keras_clone.name
    assert _layer_summary(clone) == _layer_summary(keras_clone)
    assert all(a is not b for a, b in zip(clone.layers, original.layers))
    kernels = [w for w in original.get_weights() if w.ndim == 2]
    clone_kernels = [w for w in clone.get_weights() if w.ndim == 2]
    assert not any(np.array_equal(a, b) for a, b in zip(kernels, clone_kernels))
    # With the original's weights the clone computes what Keras computes.
    x = np.random.default_rng(0).normal(size=(3, original.input_shape[-1])).astype("float32")
    clone.set_weights(original.get_weights())
    keras_model = build(keras)
    keras_model.set_weights(original.get_weights())
    np.testing.assert_allclose(
        clone.predict(x, verbose=0), keras_model.predict(x, verbose=0), atol=1e-5
    )
    assert (
        jeras.saving.serialize_keras_object(clone)["config"]["layers"]
        == (jeras.saving.serialize_keras_object(original)["config"]["layers"])
    )


def test_shared_layers_stay_shared_and_compile_carries_over():
    original = _functional(jeras)
    original.compile(optimizer="adam", loss="mse", metrics=["mae"])
    clone = jeras.models.clone_model(original)
    shared = [l for l in clone.layers if l.name == "shared"]
    assert len(shared) == 1 and len(shared[0]._inbound_nodes) == 2
    assert clone.compiled
    assert clone.get_compile_config() == original.get_compile_config()
    history = clone.fit(np.ones((4, 4)), np.ones((4, 2)), epochs=1, verbose=0)
    assert "mae" in history.history


def test_clone_function_and_call_function_as_keras():
    def clone_function(layer):
        config = layer.get_config()
        if type(layer).__name__ == "Dense":
            config["units"] = config["units"] + 1 if layer.name == "hidden" else config["units"]
        return type(layer).from_config(config)

    inserted = []

    def call_function(lib):
        def call(layer, *args, **kwargs):
            out = layer(*args, **kwargs)
            if layer.name == "hidden":
                extra = lib.layers.Activation("tanh", name="after_hidden")
                inserted.append(extra)
                return extra(out)
            return out

        return call

    ours = jeras.models.clone_model(
        _functional(jeras), clone_function=clone_function, call_function=call_function(jeras)
    )
    theirs = keras.models.clone_model(
        _functional(keras), clone_function=clone_function, call_function=call_function(keras)
    )
    assert _layer_summary(ours) == _layer_summary(theirs)
    assert "after_hidden" in [l.name for l in ours.layers]
    # A clone function returning the layer itself shares it with the original.
    original = _sequential(jeras)
    same = jeras.models.clone_model(original, clone_function=lambda layer: layer)
    assert same.layers[0] is original.layers[0]


def test_input_tensors_replace_the_inputs():
    original = _functional(jeras)
    new_input = jeras.Input((4,), name="new_input", dtype="float32")
    clone = jeras.models.clone_model(original, input_tensors=new_input)
    assert clone.inputs[0] is new_input
    sequential = jeras.models.clone_model(_sequential(jeras), input_tensors=[jeras.Input((3,))])
    assert sequential.output_shape == (None, 1)
    with pytest.raises(ValueError, match="KerasTensor"):
        jeras.models.clone_model(_sequential(jeras), input_tensors=np.ones((1, 3)))
    with pytest.raises(ValueError, match="same structure"):
        jeras.models.clone_model(original, input_tensors=[jeras.Input((4,)), jeras.Input((4,))])


def test_recursive_clones_nested_models_layer_by_layer():
    def nested(lib):
        inner = _sequential(lib)
        inputs = lib.Input((3,))
        return lib.Model(inputs, lib.layers.Dense(2, name="top")(inner(inputs)))

    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        return type(layer).from_config(layer.get_config())

    jeras.models.clone_model(nested(jeras), clone_function=clone_function, recursive=True)
    ours = sorted(seen)
    seen.clear()
    keras.models.clone_model(nested(keras), clone_function=clone_function, recursive=True)
    assert ours == sorted(seen)
    assert "seq" not in ours and "a" in ours
    seen.clear()
    jeras.models.clone_model(nested(jeras), clone_function=clone_function)
    assert "seq" in seen


@jeras.saving.register_keras_serializable(package="clone_test")
class TwoLayers(jeras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = jeras.layers.Dense(units)
        self.second = jeras.layers.Dense(1)

    def call(self, x):
        return self.second(self.first(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_models_are_rebuilt_from_their_config():
    model = TwoLayers(units=5)
    model(np.ones((1, 2), "float32"))
    clone = jeras.models.clone_model(model)
    assert type(clone) is TwoLayers and clone.units == 5 and clone is not model
    with pytest.raises(ValueError, match="only supported for Sequential"):
        jeras.models.clone_model(model, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="Functional"):
        jeras.models.clone_model(model, call_function=lambda layer, *a: layer(*a))
    with pytest.raises(ValueError, match="Sequential"):
        jeras.models.clone_model(_sequential(jeras), call_function=lambda layer, *a: layer(*a))
