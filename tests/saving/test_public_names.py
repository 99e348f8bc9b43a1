"""The public-name registry (saving/public_names.py) and the import levels it makes possible."""

import os
import subprocess
import sys

import pytest

import jeras
from jeras.saving import public_names
from jeras.saving.serialization import deserialize_keras_object, keras_public_name

SRC = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "src")


def test_catalogues_register_their_public_names():
    assert public_names.public_object("layers", "Dense") is jeras.layers.Dense
    assert (
        public_names.public_object("losses", "mean_squared_error")
        is jeras.losses.mean_squared_error
    )
    assert (
        public_names.public_object("optimizers.schedules", "ExponentialDecay")
        is jeras.optimizers.schedules.ExponentialDecay
    )
    assert public_names.public_object("initializers", "get") is jeras.initializers.get
    assert public_names.public_object("callbacks", "EarlyStopping") is jeras.callbacks.EarlyStopping
    assert public_names.public_object("models", "Sequential") is jeras.Sequential


def test_private_names_modules_and_values_are_not_registered():
    assert public_names.public_object("layers", "core") is None  # a submodule
    assert public_names.public_object("losses", "_FUNCTIONS") is None
    assert public_names.public_object("layers", "NoSuchLayer") is None
    assert public_names.public_object("no_such_namespace", "Dense") is None


def test_keras_names_come_from_the_registry():
    assert keras_public_name(jeras.layers.Dense) == ("keras.layers", "Dense", None)
    assert keras_public_name(jeras.Sequential) == ("keras", "Sequential", None)
    assert keras_public_name(jeras.models.Functional) == (
        "keras.src.models.functional",
        "Functional",
        "Functional",
    )
    assert keras_public_name(jeras.optimizers.schedules.CosineDecay) == (
        "keras.optimizers.schedules",
        "CosineDecay",
        None,
    )

    class Custom(jeras.layers.Layer):
        pass

    assert keras_public_name(Custom) is None


def test_deserialization_finds_classes_and_functions_through_the_registry():
    dense = deserialize_keras_object(
        {
            "module": "keras.layers",
            "class_name": "Dense",
            "config": {"units": 3},
            "registered_name": None,
        }
    )
    assert type(dense) is jeras.layers.Dense and dense.units == 3
    fn = deserialize_keras_object(
        {
            "module": "builtins",
            "class_name": "function",
            "config": "relu",
            "registered_name": "function",
        }
    )
    assert fn is jeras.activations.relu


def test_a_missing_namespace_says_what_to_import():
    with pytest.raises(RuntimeError, match=r"import jeras"):
        public_names.required_public_object("not_imported", "Thing", "This test")


def test_register_rejects_a_bad_namespace():
    with pytest.raises(TypeError, match="namespace"):
        public_names.register_public_names("", {})


@pytest.mark.parametrize(
    "module",
    [
        "jeras.backend.variable",
        "jeras.symbolic.keras_tensor",
        "jeras.saving.serialization",
        "jeras.initializers",
        "jeras.layers",
        "jeras.callbacks",
        "jeras.utils.progbar",
        "jeras.models",
    ],
)
def test_each_level_imports_on_its_own(module):
    # A fresh interpreter: an import cycle between packages fails here even when the full
    # `import jeras` order happens to hide it.
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), JAX_PLATFORMS="cpu")
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_a_string_initializer_resolves_through_the_registry():
    variable = jeras.Variable(initializer="ones", shape=(2,), name="from_string")
    assert variable.numpy().tolist() == [1.0, 1.0]
