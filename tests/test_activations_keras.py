"""The activations jeras added for issue 14 against `keras.activations`: values, gradients,
names, `get` / `serialize` / `deserialize`."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close

import jeras

X = np.array([[-4.0, -3.0, -1.5, -1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0, 1.5, 3.0]], "float32")
NEW = [
    ("celu", {}),
    ("celu", {"alpha": 0.3}),
    ("glu", {}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.1}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("hard_tanh", {}),
    ("mish", {}),
    ("soft_shrink", {}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("sparsemax", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 0.5}),
    ("tanh_shrink", {}),
    ("threshold", {"threshold": 0.3, "default_value": -2.0}),
]


@pytest.mark.parametrize("name, kwargs", NEW, ids=[f"{n}-{k}" for n, k in NEW])
def test_values_and_gradients_match_keras(name, kwargs):
    expected = getattr(keras.activations, name)(X, **kwargs)
    actual = getattr(jeras.activations, name)(X, **kwargs)
    assert_close(actual, expected, check_shape=True)
    assert actual.dtype == expected.dtype
    weights = np.linspace(-1, 1, np.size(expected)).reshape(np.shape(expected))

    def loss(fn, x):
        return jnp.sum(fn(x, **kwargs) * weights)

    assert_close(
        jax.grad(loss, argnums=1)(getattr(jeras.activations, name), X),
        jax.grad(loss, argnums=1)(getattr(keras.activations, name), X),
    )


@pytest.mark.parametrize("name", sorted({n for n, _ in NEW}))
def test_get_serialize_deserialize_as_keras(name):
    fn = jeras.activations.get(name)
    assert fn is getattr(jeras.activations, name)
    assert jeras.activations.serialize(fn) == keras.activations.serialize(
        keras.activations.get(name)
    )
    assert (
        jeras.activations.deserialize(keras.activations.serialize(keras.activations.get(name)))
        is fn
    )


def test_every_keras_activation_exists():
    names = {n for n in dir(keras.activations) if not n.startswith("_")}
    assert not sorted(n for n in names if not hasattr(jeras.activations, n))


def test_a_dense_layer_with_a_new_activation_round_trips_its_config():
    layer = jeras.layers.Dense(3, activation="hard_swish")
    config = layer.get_config()
    assert config["activation"] == "hard_silu"
    keras_layer = keras.layers.Dense.from_config(config)
    assert keras_layer.activation is keras.activations.hard_silu
    assert (
        jeras.layers.Dense.from_config(
            keras.layers.Dense(3, activation="mish").get_config()
        ).activation
        is jeras.activations.mish
    )
