"""Max / average pooling (1D, 2D, 3D) and global pooling against real Keras for every padding,
stride and data_format combination, Keras's "same" average rule against a NumPy formula, config
and bad input."""

import itertools

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jeras

RNG = np.random.default_rng(11)
# Odd sizes: with pool 3 / stride 2 and "same" padding the border windows are partial.
SPATIAL = {1: (9,), 2: (7, 6), 3: (5, 4, 5)}


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _input(rank, data_format, channels=3, batch=2):
    if data_format == "channels_last":
        return _x(batch, *SPATIAL[rank], channels)
    return _x(batch, channels, *SPATIAL[rank])


def _cases():
    return list(
        itertools.product(
            ("Max", "Average"),
            (1, 2, 3),
            ("valid", "same"),
            (None, 1, 2),
            ("channels_last", "channels_first"),
        )
    )


@pytest.mark.parametrize("kind, rank, padding, strides, data_format", _cases())
def test_pooling_matches_keras(kind, rank, padding, strides, data_format):
    name = f"{kind}Pooling{rank}D"
    kwargs = dict(
        pool_size=3 if rank < 3 else 2, strides=strides, padding=padding, data_format=data_format
    )
    x = _input(rank, data_format)
    k_out = np.asarray(getattr(keras.layers, name)(**kwargs)(x))
    j_out = np.asarray(getattr(jeras.layers, name)(**kwargs)(x))
    assert j_out.shape == k_out.shape
    np.testing.assert_allclose(j_out, k_out, atol=1e-6, rtol=1e-6)


def test_average_same_excludes_padding_from_the_count():
    # 1D, pool 3, stride 2, length 5: "same" pads one on each side; the edge windows hold two
    # real entries and are averaged over two, not three.
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
    out = np.asarray(jeras.layers.AveragePooling1D(3, strides=2, padding="same")(x))[0, :, 0]
    np.testing.assert_allclose(out, [(1 + 2) / 2, (2 + 3 + 4) / 3, (4 + 5) / 2], atol=1e-6)


def test_max_same_pads_with_minus_infinity():
    x = -np.ones((1, 4, 1), "float32") * np.arange(1, 5, dtype="float32").reshape(1, 4, 1)
    out = np.asarray(jeras.layers.MaxPooling1D(3, strides=1, padding="same")(x))[0, :, 0]
    np.testing.assert_allclose(out, [-1, -1, -2, -3])


def test_default_pool_sizes_and_strides_as_keras():
    for name in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D"):
        k_config = getattr(keras.layers, name)().get_config()
        j_config = getattr(jeras.layers, name)().get_config()
        assert (j_config["pool_size"], j_config["strides"]) == (
            k_config["pool_size"],
            k_config["strides"],
        )
    with pytest.raises(TypeError):
        jeras.layers.AveragePooling2D()


def _compiled_input_gradient(layer, x, cotangent):
    """d sum(layer(x) * cotangent) / dx, compiled: under `jit` an initial value built as a
    traced array leaves `reduce_window` without a gradient, so the compiled path is the one to
    check (it is the one fit() takes)."""
    return np.asarray(jax.jit(jax.grad(lambda v: jnp.sum(layer(v) * cotangent)))(x))


@pytest.mark.parametrize("kind, rank, padding, strides, data_format", _cases())
def test_pooling_gradient_matches_keras(kind, rank, padding, strides, data_format):
    name = f"{kind}Pooling{rank}D"
    kwargs = dict(
        pool_size=3 if rank < 3 else 2, strides=strides, padding=padding, data_format=data_format
    )
    # Distinct random inputs: no ties inside a max window, so the gradient is unambiguous.
    x = _input(rank, data_format)
    k_layer, j_layer = getattr(keras.layers, name)(**kwargs), getattr(jeras.layers, name)(**kwargs)
    cotangent = _x(*np.asarray(k_layer(x)).shape)
    k_grad = _compiled_input_gradient(k_layer, x, cotangent)
    j_grad = _compiled_input_gradient(j_layer, x, cotangent)
    # float32 sums of at most 27 window terms: 1e-6 absolute.
    np.testing.assert_allclose(j_grad, k_grad, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(
    "kind, rank, data_format, keepdims",
    list(
        itertools.product(
            ("Max", "Average"), (1, 2, 3), ("channels_last", "channels_first"), (False, True)
        )
    ),
)
def test_global_pooling_gradient_matches_keras(kind, rank, data_format, keepdims):
    name = f"Global{kind}Pooling{rank}D"
    x = _input(rank, data_format)
    kwargs = dict(data_format=data_format, keepdims=keepdims)
    k_layer, j_layer = getattr(keras.layers, name)(**kwargs), getattr(jeras.layers, name)(**kwargs)
    cotangent = _x(*np.asarray(k_layer(x)).shape)
    np.testing.assert_allclose(
        _compiled_input_gradient(j_layer, x, cotangent),
        _compiled_input_gradient(k_layer, x, cotangent),
        atol=1e-6,
    )


def test_max_pooling_integer_inputs_pad_with_the_smallest_integer():
    x = -np.arange(1, 5, dtype="int32").reshape(1, 4, 1)
    out = np.asarray(jax.jit(jeras.layers.MaxPooling1D(3, strides=1, padding="same"))(x))
    np.testing.assert_array_equal(out[0, :, 0], [-1, -1, -2, -3])


@pytest.mark.parametrize(
    "kind, rank, data_format, keepdims",
    list(
        itertools.product(
            ("Max", "Average"), (1, 2, 3), ("channels_last", "channels_first"), (False, True)
        )
    ),
)
def test_global_pooling_matches_keras(kind, rank, data_format, keepdims):
    name = f"Global{kind}Pooling{rank}D"
    x = _input(rank, data_format)
    kwargs = dict(data_format=data_format, keepdims=keepdims)
    k_out = np.asarray(getattr(keras.layers, name)(**kwargs)(x))
    j_out = np.asarray(getattr(jeras.layers, name)(**kwargs)(x))
    assert j_out.shape == k_out.shape
    np.testing.assert_allclose(j_out, k_out, atol=1e-6)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_pooling1d_mask_matches_keras(data_format):
    x = _input(1, data_format)
    mask = RNG.random((2, SPATIAL[1][0])) > 0.4
    mask[:, 0] = True
    k_out = np.asarray(keras.layers.GlobalAveragePooling1D(data_format=data_format)(x, mask=mask))
    j_out = np.asarray(jeras.layers.GlobalAveragePooling1D(data_format=data_format)(x, mask=mask))
    np.testing.assert_allclose(j_out, k_out, atol=1e-6)


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("MaxPooling1D", dict(pool_size=2), (None, 4)),
        ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (None, 4)),
        ("MaxPooling2D", dict(padding="same", data_format="channels_first"), (3, None, None)),
        ("AveragePooling3D", dict(pool_size=2), (None, 6, None, 2)),
        ("GlobalMaxPooling1D", dict(), (None, 4)),
        ("GlobalAveragePooling2D", dict(keepdims=True), (None, None, 5)),
        ("GlobalMaxPooling3D", dict(data_format="channels_first"), (2, None, 4, None)),
    ],
)
def test_symbolic_output_shapes_match_keras(name, kwargs, shape):
    k_out = getattr(keras.layers, name)(**kwargs)(keras.Input(shape))
    j_out = getattr(jeras.layers, name)(**kwargs)(jeras.Input(shape))
    assert tuple(j_out.shape) == tuple(k_out.shape)


def test_variable_length_conv_then_global_max_pool_model_matches_keras():
    def build(lib):
        inputs = lib.Input(shape=(None, 10))
        x = lib.layers.Conv1D(4, 3, padding="same")(inputs)
        x = lib.layers.MaxPooling1D(2)(x)
        outputs = lib.layers.GlobalMaxPooling1D()(x)
        return lib.Model(inputs, outputs)

    k_model, j_model = build(keras), build(jeras)
    assert tuple(j_model.output.shape) == tuple(k_model.output.shape) == (None, 4)
    j_model.set_weights(k_model.get_weights())
    for steps in (7, 12):
        x = _x(3, steps, 10)
        np.testing.assert_allclose(np.asarray(j_model(x)), np.asarray(k_model(x)), atol=1e-5)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("MaxPooling2D", dict(pool_size=(3, 2), padding="Same", data_format="channels_first")),
        ("AveragePooling1D", dict(pool_size=4, strides=1)),
        ("MaxPooling3D", dict()),
        ("GlobalAveragePooling1D", dict(keepdims=True)),
        ("GlobalMaxPooling2D", dict(data_format="channels_first")),
    ],
)
def test_get_config_matches_keras(name, kwargs):
    if kwargs.get("padding") == "Same":
        # Keras keeps the spelling it was given (and then rejects it when called); jeras
        # lower-cases it.
        k_config = getattr(keras.layers, name)(name="p", **dict(kwargs, padding="same"))
    else:
        k_config = getattr(keras.layers, name)(name="p", **kwargs)
    k_config = k_config.get_config()
    j_layer = getattr(jeras.layers, name)(name="p", **kwargs)
    assert j_layer.get_config() == k_config
    assert type(j_layer).from_config(k_config).get_config() == k_config


def test_aliases():
    assert jeras.layers.MaxPool2D is jeras.layers.MaxPooling2D
    assert jeras.layers.AvgPool1D is jeras.layers.AveragePooling1D
    assert jeras.layers.GlobalAvgPool3D is jeras.layers.GlobalAveragePooling3D
    assert jeras.layers.GlobalMaxPool1D is jeras.layers.GlobalMaxPooling1D


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, shape",
    [
        ("MaxPooling2D", (2, 5, 3)),
        ("AveragePooling1D", (2, 5, 5, 3)),
        ("GlobalMaxPooling1D", (2, 5)),
        ("GlobalAveragePooling2D", (2, 5, 3)),
    ],
)
def test_wrong_rank_names_layer_and_shape(name, shape):
    kwargs = {"pool_size": 2} if name.startswith("Average") else {}
    layer = getattr(jeras.layers, name)(name="bad_pool", **kwargs)
    with pytest.raises(ValueError, match="bad_pool") as info:
        layer(_x(*shape))
    assert str(shape) in str(info.value)
    symbolic = (None,) + shape[1:]
    with pytest.raises(ValueError, match="bad_pool") as info:
        layer(jeras.Input(shape[1:]))
    assert str(symbolic) in str(info.value)


def test_window_larger_than_valid_input():
    with pytest.raises(ValueError, match=r"small_pool.*\(None, 2, 3\)"):
        jeras.layers.MaxPooling1D(3, name="small_pool")(jeras.Input((2, 3)))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(pool_size=0),
        dict(pool_size=(2, 2, 2)),
        dict(padding="causal"),
        dict(data_format="nchw"),
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        jeras.layers.MaxPooling2D(**kwargs)
