"""Conv1D / Conv2D / Conv3D against real Keras with the same weights, for every padding, stride
and data_format combination, plus dilation, groups, regularizers, config and bad input."""

import itertools

import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras

RNG = np.random.default_rng(7)
CLASSES = {1: "Conv1D", 2: "Conv2D", 3: "Conv3D"}
# Small odd spatial sizes so strided "same" windows hang over the border.
SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _input_shape(rank, channels, data_format, batch=2):
    if data_format == "channels_last":
        return (batch,) + SPATIAL[rank] + (channels,)
    return (batch, channels) + SPATIAL[rank]


def _pair(rank, **kwargs):
    """The same layer in Keras and jeras; Keras built on `x`, jeras given Keras's weights
    (random bias too, so a misplaced bias shows)."""
    # Keras draws random initial weights with one XLA compile per shape; they are overwritten
    # anyway, so its layers start from zeros to keep the test fast.
    k_layer = getattr(keras.layers, CLASSES[rank])(kernel_initializer="zeros", **kwargs)
    j_layer = getattr(jeras.layers, CLASSES[rank])(**kwargs)
    return k_layer, j_layer


def _compare(rank, channels, data_format, atol=1e-5, **kwargs):
    x = _x(*_input_shape(rank, channels, data_format))
    k_layer, j_layer = _pair(rank, data_format=data_format, **kwargs)
    k_layer.build(x.shape)
    weights = [_x(*w.shape) for w in k_layer.get_weights()]
    k_layer.set_weights(weights)
    j_layer.build(x.shape)
    assert [tuple(w.shape) for w in j_layer.get_weights()] == [w.shape for w in weights]
    j_layer.set_weights(weights)
    k_out = np.asarray(k_layer(x))
    j_out = np.asarray(j_layer(x))
    assert j_out.shape == k_out.shape
    assert_close(j_out, k_out, **matmul_tolerance(atol=atol, rtol=1e-5))
    return j_layer


def _cases():
    out = []
    for rank in (1, 2, 3):
        paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
        for padding, strides, data_format in itertools.product(
            paddings, (1, 2), ("channels_last", "channels_first")
        ):
            out.append((rank, padding, strides, data_format))
    return out


@pytest.mark.parametrize("rank, padding, strides, data_format", _cases())
def test_conv_matches_keras(rank, padding, strides, data_format):
    _compare(rank, 3, data_format, filters=4, kernel_size=3, strides=strides, padding=padding)


@pytest.mark.parametrize(
    "rank, padding",
    [(1, "valid"), (1, "same"), (1, "causal"), (2, "valid"), (2, "same"), (3, "same")],
)
def test_conv_dilation_matches_keras(rank, padding):
    _compare(rank, 2, "channels_last", filters=3, kernel_size=2, dilation_rate=2, padding=padding)


@pytest.mark.parametrize(
    "rank, data_format",
    [
        (1, "channels_last"),
        (1, "channels_first"),
        (2, "channels_last"),
        (2, "channels_first"),
        (3, "channels_last"),
    ],
)
def test_conv_groups_matches_keras(rank, data_format):
    layer = _compare(rank, 4, data_format, filters=6, kernel_size=2, groups=2, padding="same")
    assert tuple(layer.kernel.shape) == (2,) * rank + (2, 6)


def test_conv2d_rectangular_kernel_strides_no_bias_activation():
    layer = _compare(
        2,
        3,
        "channels_last",
        filters=5,
        kernel_size=(3, 2),
        strides=(2, 1),
        padding="same",
        use_bias=False,
        activation="relu",
    )
    assert [w.name for w in layer.weights] == ["kernel"]


def test_conv_kernel_layout_and_names_as_keras():
    k_layer = keras.layers.Conv2D(8, 3, name="c", kernel_initializer="zeros")
    j_layer = jeras.layers.Conv2D(8, 3, name="c")
    k_layer.build((None, 10, 10, 5))
    j_layer.build((None, 10, 10, 5))
    assert [tuple(w.shape) for w in j_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]
    assert j_layer.count_params() == k_layer.count_params() == 3 * 3 * 5 * 8 + 8


def test_conv1d_matches_numpy_cross_correlation():
    # Independent check of the orientation (cross-correlation, not flipped) and causal shift.
    x = _x(1, 6, 1)
    layer = jeras.layers.Conv1D(1, 3, padding="causal", use_bias=False)
    layer.build(x.shape)
    w = np.array([1.0, 2.0, 3.0], "float32")
    layer.set_weights([w.reshape(3, 1, 1)])
    padded = np.concatenate([np.zeros(2, "float32"), x[0, :, 0]])
    expected = np.array([padded[t : t + 3] @ w for t in range(6)])
    np.testing.assert_allclose(np.asarray(layer(x))[0, :, 0], expected, atol=1e-6)


@pytest.mark.parametrize(
    "rank, kwargs",
    [
        (1, dict(padding="causal", dilation_rate=2)),
        (1, dict(strides=2, padding="same")),
        (2, dict(strides=2)),
        (2, dict(data_format="channels_first", padding="same")),
        (3, dict(strides=(1, 2, 1))),
    ],
)
def test_symbolic_output_shapes_match_keras_with_unknown_dims(rank, kwargs):
    shapes = [(None,) * rank + (3,), SPATIAL[rank] + (3,)]
    if kwargs.get("data_format") == "channels_first":
        shapes = [(3,) + (None,) * rank, (3,) + SPATIAL[rank]]
    for shape in shapes:
        k_out = getattr(keras.layers, CLASSES[rank])(4, 3, kernel_initializer="zeros", **kwargs)(
            keras.Input(shape)
        )
        j_out = getattr(jeras.layers, CLASSES[rank])(4, 3, **kwargs)(jeras.Input(shape))
        assert tuple(j_out.shape) == tuple(k_out.shape)


def test_regularizers_and_activity_loss_match_keras():
    kwargs = dict(
        filters=3,
        kernel_size=2,
        activation="tanh",
        kernel_regularizer=keras.regularizers.L2(0.01),
        bias_regularizer=keras.regularizers.L1(0.02),
        activity_regularizer=keras.regularizers.L2(0.003),
    )
    j_kwargs = dict(
        kwargs,
        kernel_regularizer=jeras.regularizers.L2(0.01),
        bias_regularizer=jeras.regularizers.L1(0.02),
        activity_regularizer=jeras.regularizers.L2(0.003),
    )
    x = _x(4, 6, 6, 2)
    k_layer = keras.layers.Conv2D(kernel_initializer="zeros", **kwargs)
    j_layer = jeras.layers.Conv2D(**j_kwargs)
    k_layer.build(x.shape)
    j_layer.build(x.shape)
    weights = [_x(*w.shape) for w in k_layer.get_weights()]
    k_layer.set_weights(weights)
    j_layer.set_weights(weights)
    k_out, j_out = np.asarray(k_layer(x)), np.asarray(j_layer(x))
    np.testing.assert_allclose(j_out, k_out, atol=1e-5)
    k_losses = sorted(float(v) for v in k_layer.losses)
    j_losses = sorted(float(v) for v in j_layer.losses)
    np.testing.assert_allclose(j_losses, k_losses, rtol=1e-5)


def test_constraints_attach_to_weights():
    layer = jeras.layers.Conv1D(2, 2, kernel_constraint="max_norm", bias_constraint="non_neg")
    layer.build((None, 5, 3))
    assert isinstance(layer.kernel.constraint, jeras.constraints.MaxNorm)
    assert isinstance(layer.bias.constraint, jeras.constraints.NonNeg)


def _assert_config_matches(j_config, k_config):
    assert set(j_config) == set(k_config)
    for key, k_value in k_config.items():
        j_value = j_config[key]
        if key.endswith("_initializer"):
            # jeras's initializer configs may lack Keras's newer optional keys (input_axes...);
            # what they do report must agree.
            assert j_value["class_name"] == k_value["class_name"]
            for inner_key, inner in j_value["config"].items():
                assert k_value["config"][inner_key] == inner, (key, inner_key)
        else:
            assert j_value == k_value, key


@pytest.mark.parametrize(
    "rank, kwargs",
    [
        (1, dict(filters=3, kernel_size=4, padding="causal", dilation_rate=2, activation="relu")),
        (
            2,
            dict(
                filters=6,
                kernel_size=(3, 1),
                strides=2,
                padding="SAME",
                groups=3,
                data_format="channels_first",
                use_bias=False,
                kernel_constraint="max_norm",
            ),
        ),
        (3, dict(filters=2, kernel_size=2, kernel_regularizer="l2")),
    ],
)
def test_get_config_matches_keras(rank, kwargs):
    k_config = getattr(keras.layers, CLASSES[rank])(name="c", **kwargs).get_config()
    j_layer = getattr(jeras.layers, CLASSES[rank])(name="c", **kwargs)
    j_config = j_layer.get_config()
    _assert_config_matches(j_config, k_config)
    if "kernel_constraint" not in kwargs:
        # Round trip through its own config gives the same layer. (Constraint dicts cannot be
        # read back yet: jeras.constraints.get takes names and callables only.)
        clone = type(j_layer).from_config(j_config)
        assert clone.get_config() == j_config


def test_aliases():
    assert jeras.layers.Convolution2D is jeras.layers.Conv2D


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize("rank, shape", [(1, (2, 5)), (2, (2, 5, 3)), (3, (2, 4, 4, 4, 4, 1))])
def test_wrong_rank_names_layer_and_shape_and_leaves_layer_unbuilt(rank, shape):
    layer = getattr(jeras.layers, CLASSES[rank])(2, 2, name=f"bad_conv_{rank}")
    with pytest.raises(ValueError, match=f"bad_conv_{rank}") as info:
        layer(_x(*shape))
    assert str(shape) in str(info.value)
    assert not layer.built and not layer.weights


def test_wrong_rank_symbolic():
    with pytest.raises(ValueError, match=r"conv_sym.*\(None, 8, 3\)|\(None, 8, 3\).*conv_sym"):
        jeras.layers.Conv2D(2, 2, name="conv_sym")(jeras.Input((8, 3)))


def test_channels_mismatch_after_build():
    layer = jeras.layers.Conv1D(2, 2, name="conv_ch")
    layer(_x(2, 5, 3))
    with pytest.raises(ValueError, match="conv_ch"):
        layer(_x(2, 5, 4))


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r"conv_g.*\(None, 5, 3\)"):
        jeras.layers.Conv1D(4, 2, groups=2, name="conv_g").build((None, 5, 3))


def test_input_too_small_for_kernel():
    with pytest.raises(ValueError, match=r"conv_small.*\(None, 2, 2, 1\)"):
        jeras.layers.Conv2D(1, 3, name="conv_small")(jeras.Input((2, 2, 1)))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(filters=0, kernel_size=2),
        dict(filters=2, kernel_size=(2, 2, 2)),
        dict(filters=2, kernel_size=2, padding="causal"),
        dict(filters=2, kernel_size=0),
        dict(filters=3, kernel_size=2, groups=2),
        dict(filters=2, kernel_size=2, strides=2, dilation_rate=2),
        dict(filters=2, kernel_size=2, data_format="nhwc"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        jeras.layers.Conv2D(**kwargs)
