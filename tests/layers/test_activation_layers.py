"""Activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax) and noise layers (GaussianNoise,
GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D) against real Keras 3: outputs and
gradients from the same weights, configs and `.keras` files both ways; the random layers'
draws checked statistically (their key layouts differ from Keras's), exactly off-training."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import (
    assert_close,
    assert_config_matches_keras,
    assert_keras_files_round_trip,
    assert_layer_matches_keras,
)

import jeras

RNG = np.random.default_rng(11)


def _x(*shape, scale=2.0):
    return (scale * RNG.standard_normal(shape)).astype("float32")


# -- activation layers: outputs ---------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(max_value=1.5),
        dict(negative_slope=0.2),
        dict(threshold=0.5),
        dict(max_value=6.0),
        dict(max_value=2.0, negative_slope=0.1, threshold=0.3),
    ],
)
def test_relu_matches_keras(kwargs):
    x = _x(4, 7)
    x[0, :3] = [0.0, 0.5, 0.3]  # on the thresholds: Keras's "off" side there
    assert_layer_matches_keras("ReLU", x, **kwargs)


def test_leaky_relu_elu_match_keras_and_accept_alpha():
    x = _x(3, 5)
    assert_layer_matches_keras("LeakyReLU", x)
    assert_layer_matches_keras("LeakyReLU", x, negative_slope=0.05)
    assert_layer_matches_keras("ELU", x)
    assert_layer_matches_keras("ELU", x, alpha=0.4)
    # Keras 2's argument name still builds the layer.
    layer = jeras.layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1


@pytest.mark.parametrize("shared_axes", [None, [1, 2], 1])
def test_prelu_matches_keras_with_random_alpha(shared_axes):
    x = _x(2, 4, 3, 5)
    k_layer = keras.layers.PReLU(shared_axes=shared_axes)
    j_layer = jeras.layers.PReLU(shared_axes=shared_axes)
    k_layer.build(x.shape)
    j_layer.build(x.shape)
    alpha = RNG.uniform(0.1, 0.5, k_layer.alpha.shape).astype("float32")
    k_layer.set_weights([alpha])
    j_layer.set_weights([alpha])
    assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]
    assert_close(np.asarray(j_layer(x)), np.asarray(k_layer(x)), check_shape=True)


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_softmax_matches_keras(axis):
    assert_layer_matches_keras("Softmax", _x(2, 3, 4), axis=axis)


@pytest.mark.parametrize("mask_shape", [(2, 3, 4), (2, 1, 4), (4,)])
def test_softmax_mask_matches_keras(mask_shape):
    x = _x(2, 3, 4)
    mask = RNG.random(mask_shape) > 0.4
    mask.reshape(-1)[0] = False
    expected = np.asarray(keras.layers.Softmax()(x, mask=mask))
    got = np.asarray(jeras.layers.Softmax()(x, mask=mask))
    assert_close(got, expected)
    # A 0/1 float mask means the same as the boolean one.
    got_float = np.asarray(jeras.layers.Softmax()(x, mask=mask.astype("float32")))
    assert_close(got_float, expected)


def test_softmax_mask_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match=r"Softmax layer .*broadcastable.*\(2, 3, 4\).*\(3, 3\)"):
        jeras.layers.Softmax()(_x(2, 3, 4), mask=np.ones((3, 3), bool))


def test_activation_layer_gradients_match_keras():
    # The gradient of sum(layer(x) * w) with respect to x, through each layer.
    x = _x(3, 6)
    x[0, :2] = [0.0, 0.5]
    w = _x(3, 6)
    cases = [
        ("ReLU", dict(max_value=1.0, negative_slope=0.1, threshold=0.5)),
        ("LeakyReLU", {}),
        ("ELU", dict(alpha=0.7)),
        ("Softmax", {}),
    ]
    for name, kwargs in cases:
        k_layer = getattr(keras.layers, name)(**kwargs)
        j_layer = getattr(jeras.layers, name)(**kwargs)
        k_grad = jax.grad(lambda v, layer=k_layer: jnp.sum(layer(v) * w))(jnp.asarray(x))
        j_grad = jax.grad(lambda v, layer=j_layer: jnp.sum(layer(v) * w))(jnp.asarray(x))
        assert_close(np.asarray(j_grad), np.asarray(k_grad), err_msg=name)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("ReLU", dict(max_value=3.0, negative_slope=0.1, threshold=0.2)),
        ("LeakyReLU", dict(negative_slope=0.2)),
        ("PReLU", dict(alpha_initializer="ones", alpha_regularizer="l2", shared_axes=[1])),
        ("ELU", dict(alpha=0.5)),
        ("Softmax", dict(axis=[1, 2])),
        ("GaussianNoise", dict(stddev=0.2, seed=3)),
        ("GaussianDropout", dict(rate=0.3, seed=3)),
        ("AlphaDropout", dict(rate=0.2, noise_shape=(None, 1), seed=3)),
        ("SpatialDropout1D", dict(rate=0.25, seed=1)),
        ("SpatialDropout2D", dict(rate=0.25, data_format="channels_first")),
        ("SpatialDropout3D", dict(rate=0.5, seed=2)),
    ],
)
def test_configs_match_keras_both_ways(name, kwargs):
    assert_config_matches_keras(name, **kwargs)


@pytest.mark.slow
def test_keras_files_round_trip_both_ways(tmp_path):
    def build(lib):
        lib.utils.set_random_seed(5)
        inputs = lib.Input((6, 5, 3))
        h = lib.layers.Conv2D(4, 3, padding="same")(inputs)
        h = lib.layers.PReLU(shared_axes=[1, 2], alpha_initializer="random_uniform")(h)
        h = lib.layers.SpatialDropout2D(0.3, seed=1)(h)
        h = lib.layers.GaussianNoise(0.1)(h)
        h = lib.layers.ReLU(max_value=2.0, negative_slope=0.1)(h)
        h = lib.layers.Flatten()(h)
        h = lib.layers.AlphaDropout(0.1)(h)
        h = lib.layers.GaussianDropout(0.2)(h)
        h = lib.layers.Dense(4)(h)
        h = lib.layers.LeakyReLU()(h)
        h = lib.layers.ELU()(h)
        outputs = lib.layers.Softmax()(h)
        return lib.Model(inputs, outputs)

    assert_keras_files_round_trip(build, _x(3, 6, 5, 3), tmp_path)


# -- noise layers -----------------------------------------------------------------------------
_NOISE = [
    ("GaussianNoise", dict(stddev=0.3)),
    ("GaussianDropout", dict(rate=0.3)),
    ("AlphaDropout", dict(rate=0.3)),
    ("SpatialDropout1D", dict(rate=0.3)),
    ("SpatialDropout2D", dict(rate=0.3)),
    ("SpatialDropout3D", dict(rate=0.3)),
]
_NOISE_SHAPES = {"SpatialDropout1D": (4, 5, 6), "SpatialDropout2D": (4, 3, 5, 6)}


@pytest.mark.parametrize("name, kwargs", _NOISE)
def test_noise_is_off_outside_training(name, kwargs):
    x = _x(*_NOISE_SHAPES.get(name, (4, 3, 2, 5, 6)))
    layer = getattr(jeras.layers, name)(**kwargs)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    assert not np.array_equal(np.asarray(layer(x, training=True)), x)


@pytest.mark.parametrize("name, kwargs", _NOISE)
def test_noise_is_reproducible_under_set_random_seed(name, kwargs):
    x = _x(*_NOISE_SHAPES.get(name, (4, 3, 2, 5, 6)))

    def draws():
        jeras.utils.set_random_seed(42)
        layer = getattr(jeras.layers, name)(**kwargs)
        return [np.asarray(layer(x, training=True)) for _ in range(2)]

    first, second = draws(), draws()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    # Each call draws afresh.
    assert not np.array_equal(first[0], first[1])


def test_gaussian_noise_and_dropout_distributions():
    x = np.full((200, 500), 2.0, "float32")
    noisy = np.asarray(jeras.layers.GaussianNoise(0.3, seed=1)(x, training=True))
    assert abs((noisy - 2.0).mean()) < 0.005
    assert abs((noisy - 2.0).std() - 0.3) < 0.005
    rate = 0.3
    dropped = np.asarray(jeras.layers.GaussianDropout(rate, seed=1)(x, training=True)) / 2.0
    assert abs(dropped.mean() - 1.0) < 0.01
    assert abs(dropped.std() - np.sqrt(rate / (1 - rate))) < 0.01


def test_alpha_dropout_keeps_selu_statistics_and_its_two_values():
    rate = 0.2
    x = RNG.standard_normal((400, 500)).astype("float32")
    out = np.asarray(jeras.layers.AlphaDropout(rate, seed=1)(x, training=True))
    # The layer is built to keep zero mean and unit variance (SELU's fixed point).
    assert abs(out.mean()) < 0.01
    assert abs(out.var() - 1.0) < 0.02
    # Every entry is either a * x + b (kept) or a * alpha' + b (dropped), Keras's formula.
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    # noise_shape: one draw per row, shared along the second axis.
    out = np.asarray(jeras.layers.AlphaDropout(rate, noise_shape=(None, 1))(x, training=True))
    rows_dropped = np.isclose(out, a * alpha_p + b, atol=1e-6)
    assert (rows_dropped.all(axis=1) | ~rows_dropped.any(axis=1)).all()


@pytest.mark.parametrize(
    "name, shape, data_format, spatial_axes",
    [
        ("SpatialDropout1D", (50, 7, 40), None, (1,)),
        ("SpatialDropout2D", (50, 3, 4, 40), "channels_last", (1, 2)),
        ("SpatialDropout2D", (50, 40, 3, 4), "channels_first", (2, 3)),
        ("SpatialDropout3D", (50, 2, 3, 2, 40), "channels_last", (1, 2, 3)),
        ("SpatialDropout3D", (50, 40, 2, 3, 2), "channels_first", (2, 3, 4)),
    ],
)
def test_spatial_dropout_drops_whole_feature_maps(name, shape, data_format, spatial_axes):
    rate = 0.4
    kwargs = {} if data_format is None else {"data_format": data_format}
    x = np.abs(_x(*shape)) + 0.1
    out = np.asarray(getattr(jeras.layers, name)(rate, seed=3, **kwargs)(x, training=True))
    kept = out != 0
    # One decision per (sample, channel): all entries of a map are kept or all dropped.
    assert (kept.all(axis=spatial_axes) | ~kept.any(axis=spatial_axes)).all()
    assert abs(1 - kept.mean() - rate) < 0.05
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate), rtol=1e-6)


def test_noise_layers_follow_the_global_image_data_format():
    jeras.config.set_image_data_format("channels_first")
    try:
        layer = jeras.layers.SpatialDropout2D(0.5)
    finally:
        jeras.config.set_image_data_format("channels_last")
    assert layer.data_format == "channels_first"


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: jeras.layers.GaussianNoise(1.5), r"`stddev` must be a float in \[0, 1\]"),
        (lambda: jeras.layers.GaussianDropout(-0.1), r"`rate` must be a float in \[0, 1\]"),
        (lambda: jeras.layers.AlphaDropout(2), r"`rate`"),
        (lambda: jeras.layers.ReLU(max_value=-1), "`max_value` cannot be negative"),
        (lambda: jeras.layers.ReLU(threshold=-1), "`threshold` must be a float >= 0"),
        (lambda: jeras.layers.LeakyReLU(-0.2), "`negative_slope` must be a float >= 0"),
    ],
)
def test_bad_arguments_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_spatial_dropout_of_the_wrong_rank_names_the_layer():
    layer = jeras.layers.SpatialDropout2D(0.5, name="drop_maps")
    with pytest.raises(ValueError, match=r'"drop_maps".*expected ndim=4, found ndim=3'):
        layer(_x(2, 3, 4), training=True)


def test_noise_layers_pass_masks_through():
    mask = np.array([[True, False, True]])
    for layer in (jeras.layers.GaussianNoise(0.1), jeras.layers.ReLU(), jeras.layers.PReLU()):
        assert layer.supports_masking
        assert layer.compute_mask(_x(1, 3), mask) is mask


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs", _NOISE)
def test_noise_layers_are_active_in_fit_and_off_in_predict(name, kwargs):
    # Keras cannot replay jeras's draws, so the check is structural: inside fit() the layer
    # draws afresh each step (the loss differs from the same model without it); predict and
    # evaluate run it as the identity, so the fitted model predicts exactly what Keras predicts
    # with the same weights and no noise layer.
    shape = {"SpatialDropout1D": (6, 4), "SpatialDropout2D": (3, 2, 4)}.get(name, (2, 2, 2, 4))

    def build(lib, with_noise):
        inputs = lib.Input(shape)
        h = lib.layers.Dense(4)(inputs)
        if with_noise:
            h = getattr(lib.layers, name)(**kwargs)(h)
        h = lib.layers.Flatten()(h)
        return lib.Model(inputs, lib.layers.Dense(1)(h))

    x = _x(40, *shape)
    y = _x(40, 1)
    jeras.utils.set_random_seed(1)
    noisy = build(jeras, True)
    plain = build(jeras, False)
    plain.set_weights(noisy.get_weights())
    for model in (noisy, plain):
        model.compile(optimizer=jeras.optimizers.SGD(0.01), loss="mse")
    noisy_history = noisy.fit(x, y, batch_size=16, epochs=2, verbose=0).history["loss"]
    plain_history = plain.fit(x, y, batch_size=16, epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(noisy_history))
    assert not np.allclose(noisy_history, plain_history, rtol=1e-4)

    reference = build(keras, False)
    reference.set_weights(noisy.get_weights())
    expected = np.asarray(reference(x, training=False))
    assert_close(noisy.predict(x, verbose=0), expected)
    assert_close(noisy.predict(x, verbose=0), expected)
    reference.compile(loss="mse")
    k_loss = reference.evaluate(x, y, verbose=0)
    noisy.compile(loss="mse")
    np.testing.assert_allclose(noisy.evaluate(x, y, verbose=0), k_loss, rtol=1e-5)
