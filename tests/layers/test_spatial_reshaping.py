"""UpSampling2D/3D, ZeroPadding2D/3D and Cropping2D/3D against real Keras 3 (outputs, gradients,
symbolic shapes, configs and `.keras` files both ways) and bad input."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close, assert_config_matches_keras, assert_keras_files_round_trip

import jeras

RNG = np.random.default_rng(5)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


_CASES = [
    ("UpSampling2D", {}, (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(3, 2), data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, interpolation="bicubic"), (1, 4, 3, 2)),
    ("UpSampling2D", dict(interpolation="bilinear", data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling3D", {}, (2, 2, 3, 2, 2)),
    ("UpSampling3D", dict(size=(1, 2, 3), data_format="channels_first"), (1, 2, 2, 3, 2)),
    ("ZeroPadding2D", {}, (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=((1, 2), (0, 3))), (2, 3, 4, 2)),
    ("ZeroPadding2D", dict(padding=(2, 1), data_format="channels_first"), (2, 2, 3, 4)),
    ("ZeroPadding3D", {}, (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", dict(padding=((0, 1), 2, (1, 0))), (1, 2, 3, 2, 2)),
    ("Cropping2D", {}, (2, 5, 6, 2)),
    ("Cropping2D", dict(cropping=((1, 2), (0, 3))), (2, 5, 6, 2)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 2, 5, 6)),
    ("Cropping3D", {}, (1, 4, 5, 3, 2)),
    ("Cropping3D", dict(cropping=(0, (1, 2), 1), data_format="channels_first"), (1, 2, 4, 5, 3)),
]


@pytest.mark.parametrize("name, kwargs, shape", _CASES)
def test_matches_keras(name, kwargs, shape):
    x = _x(*shape)
    k_layer = getattr(keras.layers, name)(**kwargs)
    j_layer = getattr(jeras.layers, name)(**kwargs)
    k_out = np.asarray(k_layer(x))
    assert_close(np.asarray(j_layer(x)), k_out, check_shape=True)
    w = _x(*k_out.shape)
    k_grad = jax.grad(lambda v: jnp.sum(k_layer(v) * w))(jnp.asarray(x))
    j_grad = jax.grad(lambda v: jnp.sum(j_layer(v) * w))(jnp.asarray(x))
    assert_close(np.asarray(j_grad), np.asarray(k_grad))
    # Symbolic shapes, with the batch and one spatial axis unknown.
    symbolic = (None,) + tuple(None if i == 1 else d for i, d in enumerate(shape[1:]))
    k_symbolic = getattr(keras.layers, name)(**kwargs)(keras.Input(symbolic[1:])).shape
    j_symbolic = getattr(jeras.layers, name)(**kwargs)(jeras.Input(symbolic[1:])).shape
    assert tuple(j_symbolic) == tuple(k_symbolic)
    assert tuple(j_layer.compute_output_shape(symbolic)) == tuple(k_symbolic)


def test_nearest_upsampling_repeats_rows_and_columns():
    # Independent of Keras: each pixel becomes a size[0] x size[1] block.
    x = _x(1, 2, 3, 1)
    out = np.asarray(jeras.layers.UpSampling2D((2, 3))(x))
    np.testing.assert_array_equal(out[0, :, :, 0], np.kron(x[0, :, :, 0], np.ones((2, 3))))


@pytest.mark.parametrize("name, kwargs, shape", [c for c in _CASES if c[1]])
def test_configs_match_keras_both_ways(name, kwargs, shape):
    assert_config_matches_keras(name, **kwargs)


@pytest.mark.slow
def test_keras_files_round_trip_both_ways(tmp_path):
    def build(lib):
        lib.utils.set_random_seed(4)
        inputs = lib.Input((4, 4, 2))
        h = lib.layers.ZeroPadding2D(((1, 0), (2, 1)))(inputs)
        h = lib.layers.UpSampling2D(2, interpolation="bilinear")(h)
        h = lib.layers.Cropping2D(((1, 2), (0, 1)))(h)
        h = lib.layers.Conv2D(2, 3)(h)
        h = lib.layers.Reshape((5, 11, 1, 2))(h)
        h = lib.layers.UpSampling3D((1, 2, 1))(h)
        h = lib.layers.ZeroPadding3D(1)(h)
        h = lib.layers.Cropping3D(((0, 1), 1, (2, 0)))(h)
        return lib.Model(inputs, h)

    assert_keras_files_round_trip(build, _x(2, 4, 4, 2), tmp_path)


def test_bad_input_names_the_layer():
    with pytest.raises(ValueError, match=r'"pad".*expected ndim=4, found ndim=3'):
        jeras.layers.ZeroPadding2D(name="pad")(_x(2, 3, 4))
    with pytest.raises(
        ValueError, match=r"'crop'.*must leave at least one entry.*\(None, 4, 5, 2\)"
    ):
        jeras.layers.Cropping2D(((2, 2), (0, 0)), name="crop")(jeras.Input((4, 5, 2)))
    with pytest.raises(ValueError, match="`padding` must be an int >= 0"):
        jeras.layers.ZeroPadding2D(((1, 2, 3), 1))
    with pytest.raises(ValueError, match="`cropping` must be an int >= 0"):
        jeras.layers.Cropping3D(-1)
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        jeras.layers.UpSampling2D(interpolation="area")
