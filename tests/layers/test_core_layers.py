"""Core layers (Dense, Activation, Dropout, Flatten, Reshape) against NumPy formulas and Keras."""

import math

import keras
import numpy as np
import pytest

import jeras

RNG = np.random.default_rng(1)


def _x(*shape, scale=1.0):
    return (scale * RNG.standard_normal(shape)).astype("float32")


def _np_relu(z):
    return np.maximum(z, 0)


def _np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _np_sigmoid(z):
    return 1 / (1 + np.exp(-z))


# -- Dense ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "activation, formula",
    [
        (None, lambda z: z),
        ("linear", lambda z: z),
        ("relu", _np_relu),
        ("softmax", _np_softmax),
        ("sigmoid", _np_sigmoid),
        ("tanh", np.tanh),
    ],
)
def test_dense_matches_numpy(activation, formula):
    layer = jeras.layers.Dense(5, activation=activation)
    x = _x(4, 3)
    out = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 5) and bias.shape == (5,)
    np.testing.assert_allclose(out, formula(x @ kernel + bias), atol=1e-6, rtol=1e-5)


def test_dense_on_3d_input_applies_to_last_axis():
    layer = jeras.layers.Dense(2)
    x = _x(3, 4, 6)
    out = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    assert out.shape == (3, 4, 2)
    np.testing.assert_allclose(out, x @ kernel + bias, atol=1e-5)


def test_dense_without_bias():
    layer = jeras.layers.Dense(3, use_bias=False, kernel_initializer="ones")
    x = _x(2, 4)
    out = np.asarray(layer(x))
    assert [w.name for w in layer.weights] == ["kernel"]
    assert layer.count_params() == 12
    np.testing.assert_allclose(out, np.repeat(x.sum(axis=1, keepdims=True), 3, axis=1), atol=1e-6)


def test_dense_equals_keras_with_same_weights():
    x = _x(6, 7)
    k_layer = keras.layers.Dense(4, activation="relu", name="d")
    j_layer = jeras.layers.Dense(4, activation="relu", name="d")
    k_out = np.asarray(k_layer(x))
    j_layer(x)
    j_layer.set_weights(k_layer.get_weights())
    np.testing.assert_allclose(np.asarray(j_layer(x)), k_out, atol=1e-6)
    assert [w.path for w in j_layer.weights] == [w.path for w in k_layer.weights]


def test_default_initializers_glorot_uniform_kernel_and_zero_bias():
    fan_in, fan_out = 300, 200
    layer = jeras.layers.Dense(fan_out)
    layer.build((None, fan_in))
    kernel, bias = layer.get_weights()
    limit = math.sqrt(6 / (fan_in + fan_out))
    assert np.all(bias == 0)
    assert np.abs(kernel).max() <= limit
    # Uniform on [-limit, limit]: it reaches close to both ends, mean 0, variance limit^2 / 3.
    assert np.abs(kernel).max() > 0.99 * limit
    assert abs(kernel.mean()) < 0.01 * limit
    assert abs(kernel.var() - limit**2 / 3) < 0.02 * limit**2 / 3
    # Two layers draw different kernels.
    other = jeras.layers.Dense(fan_out)
    other.build((None, fan_in))
    assert not np.allclose(other.get_weights()[0], kernel)


@pytest.mark.parametrize(
    "name, check",
    [
        ("zeros", lambda k, fi, fo: np.all(k == 0)),
        ("ones", lambda k, fi, fo: np.all(k == 1)),
        (
            "he_uniform",
            lambda k, fi, fo: (
                np.abs(k).max() <= math.sqrt(6 / fi) and abs(k.var() - 2 / fi) < 0.05 * 2 / fi
            ),
        ),
        (
            "he_normal",
            lambda k, fi, fo: (
                abs(k.std() - math.sqrt(2 / fi)) < 0.05 * math.sqrt(2 / fi)
                and np.abs(k).max() <= 2 * math.sqrt(2 / fi) / 0.87962566103423978 + 1e-6
            ),
        ),
        (
            "glorot_normal",
            lambda k, fi, fo: (
                abs(k.std() - math.sqrt(2 / (fi + fo))) < 0.05 * math.sqrt(2 / (fi + fo))
            ),
        ),
        (
            "lecun_uniform",
            lambda k, fi, fo: (
                np.abs(k).max() <= math.sqrt(3 / fi) and abs(k.var() - 1 / fi) < 0.05 / fi
            ),
        ),
        ("random_normal", lambda k, fi, fo: abs(k.std() - 0.05) < 0.0025 and abs(k.mean()) < 0.001),
        ("random_uniform", lambda k, fi, fo: np.abs(k).max() <= 0.05 and np.abs(k).max() > 0.049),
    ],
)
def test_kernel_initializer_names(name, check):
    fan_in, fan_out = 200, 150
    layer = jeras.layers.Dense(fan_out, kernel_initializer=name)
    layer.build((None, fan_in))
    assert check(layer.get_weights()[0], fan_in, fan_out)


def test_kernel_initializer_object_with_seed_is_reproducible():
    a = jeras.layers.Dense(4, kernel_initializer=jeras.initializers.GlorotUniform(seed=3))
    b = jeras.layers.Dense(4, kernel_initializer=jeras.initializers.GlorotUniform(seed=3))
    a.build((None, 5))
    b.build((None, 5))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


def test_regularizers_contribute_to_losses():
    x = _x(8, 5)
    inputs = jeras.Input((5,))
    dense = jeras.layers.Dense(
        3,
        kernel_regularizer=jeras.regularizers.L2(0.01),
        bias_regularizer=jeras.regularizers.L1(0.1),
        bias_initializer="ones",
        activity_regularizer=jeras.regularizers.L1L2(l1=0.001, l2=0.002),
    )
    model = jeras.Model(inputs, dense(inputs))
    out = np.asarray(model(x))
    kernel, bias = dense.get_weights()
    kernel_penalty = 0.01 * np.sum(kernel**2)
    bias_penalty = 0.1 * np.sum(np.abs(bias))
    # Keras 3 divides the activity penalty by the batch size.
    activity_penalty = (0.001 * np.sum(np.abs(out)) + 0.002 * np.sum(out**2)) / len(x)
    # After an eager call, as in Keras: activity penalties of that call, then weight penalties.
    np.testing.assert_allclose(
        [float(l) for l in model.losses],
        [activity_penalty, kernel_penalty, bias_penalty],
        rtol=1e-5,
    )
    # Calling the layer directly gives the same.
    dense(x)
    np.testing.assert_allclose(
        [float(l) for l in dense.losses],
        [activity_penalty, kernel_penalty, bias_penalty],
        rtol=1e-5,
    )


def test_model_losses_after_eager_call_match_keras():
    x = _x(4, 3)

    def build(K):
        class SumPenalty(K.layers.Layer):
            def call(self, inputs):
                self.add_loss(K.ops.sum(inputs) * 0.1)
                return inputs

        inputs = K.Input((3,))
        hidden = K.layers.Dense(2, name="d", activity_regularizer="l2", kernel_regularizer="l1")(
            inputs
        )
        return K.Model(inputs, SumPenalty(name="penalty")(hidden))

    k_model, j_model = build(keras), build(jeras)
    j_model.set_weights(k_model.get_weights())
    assert len(j_model.losses) == len(k_model.losses) == 1  # the kernel penalty only
    k_model(x)
    j_model(x)
    np.testing.assert_allclose(
        [float(l) for l in j_model.losses], [float(l) for l in k_model.losses], rtol=1e-6
    )


def test_regularizer_losses_match_keras():
    x = _x(4, 6)

    def build(K):
        layer = K.layers.Dense(
            3,
            kernel_regularizer=K.regularizers.L1L2(l1=0.01, l2=0.02),
            activity_regularizer=K.regularizers.L2(0.05),
            name="reg",
        )
        return layer

    k_layer, j_layer = build(keras), build(jeras)
    k_layer(x)
    j_layer(x)
    j_layer.set_weights(k_layer.get_weights())
    k_layer(x)
    j_layer(x)
    np.testing.assert_allclose(
        [float(l) for l in j_layer.losses], [float(l) for l in k_layer.losses], rtol=1e-5
    )


def test_regularization_is_added_to_the_training_loss():
    x = _x(16, 4)
    y = _x(16, 2)
    inputs = jeras.Input((4,))
    dense = jeras.layers.Dense(2, kernel_regularizer=jeras.regularizers.L2(0.1))
    model = jeras.Model(inputs, dense(inputs))
    model.compile(optimizer="sgd", loss="mse")
    kernel, bias = dense.get_weights()
    pred = x @ kernel + bias
    expected = np.mean((pred - y) ** 2) + 0.1 * np.sum(kernel**2)
    loss = model.evaluate(x, y, batch_size=16, verbose=0)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_frozen_layer_has_no_weight_penalty():
    layer = jeras.layers.Dense(2, kernel_regularizer=jeras.regularizers.L2(0.1))
    layer.build((None, 3))
    assert len(layer.losses) == 1
    layer.trainable = False
    assert layer.losses == []


# -- Activation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "relu",
        "softmax",
        "sigmoid",
        "tanh",
        "elu",
        "selu",
        "softplus",
        "softsign",
        "silu",
        "swish",
        "hard_sigmoid",
        "relu6",
        "leaky_relu",
        "log_softmax",
        "exponential",
        "linear",
        "gelu",
    ],
)
def test_activation_layer_matches_keras(name):
    x = _x(5, 7, scale=3.0)
    expected = np.asarray(keras.layers.Activation(name)(x))
    np.testing.assert_allclose(
        np.asarray(jeras.layers.Activation(name)(x)), expected, atol=1e-6, rtol=1e-6
    )


def test_activation_layer_with_callable_and_numpy_formula():
    x = _x(3, 4)
    np.testing.assert_allclose(np.asarray(jeras.layers.Activation("relu")(x)), _np_relu(x))
    np.testing.assert_allclose(np.asarray(jeras.layers.Activation(lambda v: v * 2)(x)), 2 * x)
    assert jeras.layers.Activation("relu").count_params() == 0


# -- Dropout --------------------------------------------------------------------------------------
def test_dropout_inference_is_identity():
    x = _x(50, 40)
    layer = jeras.layers.Dropout(0.4)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_training_zeroes_rate_and_scales(rate):
    x = np.ones((200, 100), "float32")
    layer = jeras.layers.Dropout(rate)
    first = np.asarray(layer(x, training=True))
    second = np.asarray(layer(x, training=True))
    n = first.size
    tolerance = 4 * math.sqrt(rate * (1 - rate) / n)
    assert abs((first == 0).mean() - rate) < tolerance
    kept = first[first != 0]
    np.testing.assert_allclose(kept, 1 / (1 - rate), rtol=1e-6)
    # Successive calls draw new masks.
    assert (first != second).mean() > 0.5 * 2 * rate * (1 - rate)


def test_dropout_in_model_training_flag_and_fresh_masks():
    x = np.ones((64, 32), "float32")
    inputs = jeras.Input((32,))
    model = jeras.Model(inputs, jeras.layers.Dropout(0.5)(inputs))
    np.testing.assert_array_equal(np.asarray(model(x)), x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    a = np.asarray(model(x, training=True))
    b = np.asarray(model(x, training=True))
    assert 0.4 < (a == 0).mean() < 0.6
    assert not np.array_equal(a, b)


def test_dropout_rate_validation():
    with pytest.raises(ValueError, match="rate"):
        jeras.layers.Dropout(1.5)


# -- Flatten and Reshape ----------------------------------------------------------------------------
def test_flatten():
    x = _x(3, 2, 4, 5)
    out = np.asarray(jeras.layers.Flatten()(x))
    np.testing.assert_array_equal(out, x.reshape(3, -1))
    assert (
        jeras.layers.Flatten()(jeras.Input((2, 3))).shape
        == keras.layers.Flatten()(keras.Input((2, 3))).shape
        == (None, 6)
    )
    assert np.asarray(jeras.layers.Flatten()(_x(4))).shape == (4, 1)


@pytest.mark.parametrize(
    "target, input_shape",
    [
        ((6, 2), (3, 4)),
        ((-1, 3), (3, 4)),
        ((2, -1), (12,)),
        ((3, 2, 2), (4, 3)),
    ],
)
def test_reshape_values_and_symbolic_shapes(target, input_shape):
    x = _x(5, *input_shape)
    out = np.asarray(jeras.layers.Reshape(target)(x))
    np.testing.assert_array_equal(out, x.reshape((5,) + target))
    k_shape = keras.layers.Reshape(target)(keras.Input(input_shape)).shape
    j_shape = jeras.layers.Reshape(target)(jeras.Input(input_shape)).shape
    assert tuple(j_shape) == tuple(k_shape)


def test_reshape_with_unknown_dimension():
    j_shape = jeras.layers.Reshape((-1, 2))(jeras.Input((None, 2))).shape
    assert tuple(j_shape) == tuple(keras.layers.Reshape((-1, 2))(keras.Input((None, 2))).shape)


def test_reshape_incompatible_size_names_the_layer():
    with pytest.raises(ValueError, match="my_reshape"):
        jeras.layers.Reshape((3, 3), name="my_reshape")(jeras.Input((4,)))
    with pytest.raises(ValueError, match="my_reshape_2"):
        jeras.layers.Reshape((-1, 3), name="my_reshape_2")(_x(2, 4))
    layer = jeras.layers.Reshape((2, 2), name="built_reshape")
    layer(_x(2, 4))
    with pytest.raises(ValueError, match="built_reshape"):
        layer(_x(2, 6))


# -- bad input to a built Dense ---------------------------------------------------------------------
def test_dense_wrong_feature_size_symbolic():
    layer = jeras.layers.Dense(3, name="fixed_dense")
    layer(_x(2, 4))
    with pytest.raises(ValueError) as info:
        layer(jeras.Input((5,)))
    message = str(info.value)
    assert "fixed_dense" in message and "4" in message and "5" in message
    # Keras raises for the same mistake.
    k_layer = keras.layers.Dense(3)
    k_layer(_x(2, 4))
    with pytest.raises(ValueError):
        k_layer(keras.Input((5,)))


def test_dense_wrong_feature_size_eager():
    layer = jeras.layers.Dense(3, name="eager_dense")
    layer(_x(2, 4))
    with pytest.raises(ValueError) as info:
        layer(_x(2, 7))
    message = str(info.value)
    assert "eager_dense" in message and "4" in message and "7" in message


def test_dense_wrong_feature_size_inside_a_model():
    inputs = jeras.Input((4,), name="features")
    model = jeras.Model(inputs, jeras.layers.Dense(2, name="inner_dense")(inputs))
    with pytest.raises(ValueError) as info:
        model(_x(3, 6))
    assert "4" in str(info.value) and "6" in str(info.value)


def test_dense_rank_one_input_raises():
    with pytest.raises(ValueError, match="rank_dense"):
        jeras.layers.Dense(3, name="rank_dense")(_x(4))


def test_dense_bad_units():
    for units in (0, -1, 2.5):
        with pytest.raises(ValueError):
            jeras.layers.Dense(units)


def test_input_from_an_existing_symbolic_tensor_takes_its_shape_and_dtype():
    source = jeras.Input((3,), dtype="int32")
    again = jeras.Input(tensor=source)
    assert again is source
    assert again.shape == (None, 3) and again.dtype == "int32"
    model = jeras.Model(again, jeras.layers.Dense(2)(again))
    assert model(np.ones((2, 3), "int32")).shape == (2, 2)


def test_input_refuses_a_concrete_tensor_naming_the_argument():
    with pytest.raises(ValueError, match="input_tensor.*KerasTensor"):
        jeras.Input(tensor=np.ones((2, 3)))
