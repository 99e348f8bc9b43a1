"""Conv1D/2D/3DTranspose, DepthwiseConv1D/2D and SeparableConv1D/2D against real Keras 3 with the
same weights (every padding, stride, output_padding, dilation and data_format combination that
Keras accepts), their configs and `.keras` files both ways, the global image_data_format, and
bad input."""

import itertools

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import (
    assert_close,
    assert_config_matches_keras,
    assert_keras_files_round_trip,
    matmul_tolerance,
)

import jeras

RNG = np.random.default_rng(3)
SPATIAL = {1: (7,), 2: (5, 6), 3: (4, 3, 5)}


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _input_shape(rank, channels, data_format, batch=2):
    if data_format == "channels_last":
        return (batch,) + SPATIAL[rank] + (channels,)
    return (batch, channels) + SPATIAL[rank]


def _compare(cls_name, x, **kwargs):
    """Keras's and jeras's layer with the same random weights (bias too) on `x`: the same
    weight shapes and paths, outputs and input gradients."""
    k_layer = getattr(keras.layers, cls_name)(**kwargs)
    j_layer = getattr(jeras.layers, cls_name)(**kwargs)
    k_layer.build(x.shape)
    j_layer.build(x.shape)
    weights = [_x(*w.shape) for w in k_layer.get_weights()]
    assert [tuple(w.shape) for w in j_layer.get_weights()] == [w.shape for w in weights]
    assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]
    k_layer.set_weights(weights)
    j_layer.set_weights(weights)
    k_out, j_out = np.asarray(k_layer(x)), np.asarray(j_layer(x))
    assert j_out.shape == k_out.shape
    tolerance = matmul_tolerance(atol=1e-5, rtol=1e-5)
    assert_close(j_out, k_out, **tolerance)
    # The symbolic shape is the eager one (and Keras's), unknown batch included.
    symbolic = j_layer.compute_output_shape((None,) + x.shape[1:])
    assert tuple(symbolic) == (None,) + k_out.shape[1:]
    w = _x(*k_out.shape)
    k_grad = jax.grad(lambda v: jnp.sum(k_layer(v) * w))(jnp.asarray(x))
    j_grad = jax.grad(lambda v: jnp.sum(j_layer(v) * w))(jnp.asarray(x))
    assert_close(np.asarray(j_grad), np.asarray(k_grad), **tolerance)
    return j_layer


# -- transposed convolutions ------------------------------------------------------------------
def _transpose_cases():
    cases = []
    for rank in (1, 2, 3):
        for padding, strides, kernel, output_padding in itertools.product(
            ("valid", "same"), (1, 2, 3), (2, 3), (None, "max")
        ):
            if output_padding == "max":
                output_padding = strides - 1
            cases.append((rank, padding, strides, kernel, output_padding, "channels_last"))
        cases.append((rank, "same", 2, 3, 1, "channels_first"))
        cases.append((rank, "valid", 2, 2, None, "channels_first"))
    return cases


@pytest.mark.parametrize(
    "rank, padding, strides, kernel_size, output_padding, data_format", _transpose_cases()
)
def test_conv_transpose_matches_keras(
    rank, padding, strides, kernel_size, output_padding, data_format
):
    if rank == 3 and strides == 3:
        pytest.skip("covered in 1D and 2D; keeps the 3D cases few")
    x = _x(*_input_shape(rank, 2, data_format))
    _compare(
        f"Conv{rank}DTranspose",
        x,
        filters=3,
        kernel_size=kernel_size,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        data_format=data_format,
    )


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_transpose_dilation_and_rectangular_kernels_match_keras(padding):
    _compare(
        "Conv1DTranspose", _x(2, 7, 3), filters=2, kernel_size=3, dilation_rate=2, padding=padding
    )
    _compare(
        "Conv2DTranspose",
        _x(2, 5, 4, 3),
        filters=4,
        kernel_size=(3, 2),
        strides=(2, 1),
        padding=padding,
        activation="relu",
    )
    _compare(
        "Conv2DTranspose",
        _x(2, 5, 4, 3),
        filters=2,
        kernel_size=(2, 3),
        dilation_rate=(2, 1),
        padding=padding,
        use_bias=False,
    )


def test_conv_transpose_is_the_gradient_of_a_convolution():
    # Independent of Keras: a stride-2 "valid" transposed convolution is the vector-Jacobian
    # product of the stride-2 convolution with the same kernel.
    x = _x(1, 6, 5, 2)
    kernel = _x(3, 3, 4, 2)  # (kh, kw, filters, in_channels) of the transposed layer
    layer = jeras.layers.Conv2DTranspose(4, 3, strides=2, use_bias=False)
    layer.build(x.shape)
    layer.set_weights([kernel])
    out = np.asarray(layer(x))
    assert out.shape == (1, 13, 11, 4)

    def conv(y):
        # The forward convolution maps (1, 13, 11, 4) back to (1, 6, 5, 2) with kernel
        # (kh, kw, in=4, out=2).
        return jax.lax.conv_general_dilated(
            y, jnp.asarray(kernel), (2, 2), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )

    _, vjp = jax.vjp(conv, jnp.zeros((1, 13, 11, 4), "float32"))
    np.testing.assert_allclose(out, np.asarray(vjp(jnp.asarray(x))[0]), atol=1e-5)


# -- depthwise and separable ------------------------------------------------------------------
def _depthwise_cases():
    cases = []
    for rank in (1, 2):
        for padding, strides, multiplier in itertools.product(("valid", "same"), (1, 2), (1, 2)):
            cases.append((rank, padding, strides, multiplier, "channels_last"))
        cases.append((rank, "same", 2, 2, "channels_first"))
    return cases


@pytest.mark.parametrize("rank, padding, strides, multiplier, data_format", _depthwise_cases())
def test_depthwise_conv_matches_keras(rank, padding, strides, multiplier, data_format):
    x = _x(*_input_shape(rank, 3, data_format))
    layer = _compare(
        f"DepthwiseConv{rank}D",
        x,
        kernel_size=3,
        strides=strides,
        padding=padding,
        depth_multiplier=multiplier,
        data_format=data_format,
    )
    assert [w.name for w in layer.weights] == ["kernel", "bias"]


@pytest.mark.parametrize("rank, padding, strides, multiplier, data_format", _depthwise_cases())
def test_separable_conv_matches_keras(rank, padding, strides, multiplier, data_format):
    x = _x(*_input_shape(rank, 3, data_format))
    layer = _compare(
        f"SeparableConv{rank}D",
        x,
        filters=4,
        kernel_size=3,
        strides=strides,
        padding=padding,
        depth_multiplier=multiplier,
        data_format=data_format,
        activation="tanh",
    )
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]


def test_depthwise_and_separable_dilation_match_keras():
    _compare("DepthwiseConv2D", _x(2, 7, 6, 2), kernel_size=2, dilation_rate=2, padding="same")
    _compare(
        "SeparableConv1D", _x(2, 9, 2), filters=3, kernel_size=3, dilation_rate=2, use_bias=False
    )


def test_depthwise_conv_matches_per_channel_numpy_correlation():
    # Independent of Keras: output channel c * multiplier + m is input channel c correlated
    # with kernel[:, c, m].
    x = _x(1, 6, 2)
    kernel = _x(3, 2, 2)
    layer = jeras.layers.DepthwiseConv1D(3, depth_multiplier=2, use_bias=False)
    layer.build(x.shape)
    layer.set_weights([kernel])
    out = np.asarray(layer(x))[0]
    for c in range(2):
        for m in range(2):
            expected = [x[0, t : t + 3, c] @ kernel[:, c, m] for t in range(4)]
            np.testing.assert_allclose(out[:, c * 2 + m], expected, atol=1e-5)


# -- configs, files, image_data_format --------------------------------------------------------
@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("Conv1DTranspose", (4, 3), dict(strides=2, output_padding=1, activation="relu")),
        ("Conv2DTranspose", (4, (3, 2)), dict(padding="same", kernel_regularizer="l2")),
        ("Conv3DTranspose", (2, 2), dict(data_format="channels_first", use_bias=False)),
        ("DepthwiseConv1D", (3,), dict(depth_multiplier=2, padding="same")),
        ("DepthwiseConv2D", ((3, 2),), dict(strides=2, depthwise_regularizer="l1")),
        ("SeparableConv1D", (4, 3), dict(depth_multiplier=2, pointwise_constraint="non_neg")),
        ("SeparableConv2D", (8, 3), dict(padding="same", activation="relu")),
    ],
)
def test_configs_match_keras_both_ways(name, args, kwargs):
    assert_config_matches_keras(name, *args, **kwargs)


@pytest.mark.slow
def test_keras_files_round_trip_both_ways(tmp_path):
    def build(lib):
        lib.utils.set_random_seed(2)
        inputs = lib.Input((6, 6, 2))
        h = lib.layers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2)(inputs)
        h = lib.layers.DepthwiseConv2D(3, strides=2, bias_initializer="random_normal")(h)
        h = lib.layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1)(h)
        h = lib.layers.Reshape((-1, 3))(h)
        h = lib.layers.Conv1DTranspose(2, 2, strides=2)(h)
        h = lib.layers.DepthwiseConv1D(2)(h)
        h = lib.layers.SeparableConv1D(2, 2)(h)
        return lib.Model(inputs, h)

    assert_keras_files_round_trip(build, _x(2, 6, 6, 2), tmp_path)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.layers.Conv2D(2, 3),
        lambda lib: lib.layers.Conv2DTranspose(2, 3, strides=2),
        lambda lib: lib.layers.SeparableConv2D(2, 3),
        lambda lib: lib.layers.DepthwiseConv2D(3),
        lambda lib: lib.layers.MaxPooling2D(),
        lambda lib: lib.layers.UpSampling2D(),
        lambda lib: lib.layers.ZeroPadding2D(),
        lambda lib: lib.layers.Cropping2D(1),
        lambda lib: lib.layers.Flatten(),
    ],
)
def test_spatial_layers_follow_the_global_image_data_format(make):
    x = _x(2, 3, 6, 5)  # channels first: 3 channels of 6 x 5
    keras.config.set_image_data_format("channels_first")
    jeras.config.set_image_data_format("channels_first")
    try:
        k_layer, j_layer = make(keras), make(jeras)
    finally:
        keras.config.set_image_data_format("channels_last")
        jeras.config.set_image_data_format("channels_last")
    assert jeras.config.image_data_format() == "channels_last"
    assert j_layer.data_format == "channels_first"
    k_out = np.asarray(k_layer(x))
    if k_layer.weights:
        j_layer.build(x.shape)
        j_layer.set_weights(k_layer.get_weights())
    assert_close(np.asarray(j_layer(x)), k_out, check_shape=True, **matmul_tolerance())


def test_set_image_data_format_refuses_unknown_values():
    with pytest.raises(ValueError, match="channels_first.*channels_last.*'NHWC'"):
        jeras.config.set_image_data_format("NHWC")


# -- bad input --------------------------------------------------------------------------------
def test_wrong_rank_names_the_layer_and_shapes():
    for layer in (
        jeras.layers.Conv2DTranspose(2, 3, name="up"),
        jeras.layers.SeparableConv2D(2, 3, name="up"),
        jeras.layers.DepthwiseConv1D(3, name="up"),
    ):
        with pytest.raises(ValueError, match=r'"up".*expected ndim=\d, found ndim=5'):
            layer(_x(1, 4, 4, 4, 2))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: jeras.layers.Conv2DTranspose(0, 3), "`filters` must be a positive integer"),
        (
            lambda: jeras.layers.Conv2DTranspose(2, 3, strides=2, output_padding=2),
            "`output_padding` value must be smaller than the stride",
        ),
        (
            lambda: jeras.layers.Conv1DTranspose(2, 3, strides=2, dilation_rate=2),
            "`strides > 1` cannot be combined with `dilation_rate > 1`",
        ),
        (lambda: jeras.layers.Conv2DTranspose(2, 3, padding="causal"), "`padding` must be one"),
        (lambda: jeras.layers.DepthwiseConv2D(3, depth_multiplier=0), "`depth_multiplier`"),
        (lambda: jeras.layers.SeparableConv2D(0, 3), "`filters` must be a positive integer"),
    ],
)
def test_bad_arguments_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_too_small_input_for_depthwise_names_the_layer():
    with pytest.raises(ValueError, match=r"'dw'.*too small for kernel_size=\(5, 5\)"):
        jeras.layers.DepthwiseConv2D(5, name="dw")(jeras.Input((3, 8, 2)))
