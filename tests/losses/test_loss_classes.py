"""Every loss class is a real class with Keras 3's constructor, config and serialized form, and
states explicitly whether fit() may pad its batches (`exact_under_padding`). Oracle: real
Keras 3 (JAX backend)."""

import inspect

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import jeras

B = 6
PAD = 3

CATALOGUE = [
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "CosineSimilarity",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "Dice",
    "Tversky",
    "CTC",
    "Circle",
    "CategoricalGeneralizedCrossEntropy",
]


def _keras_class(name):
    if name == "LossFunctionWrapper":  # not exported by keras.losses
        from keras.src.losses.losses import LossFunctionWrapper

        return LossFunctionWrapper
    return getattr(keras.losses, name)


def _parameters(cls):
    return [
        (p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()
    ]


def test_catalogue_lists_every_exported_loss_class():
    exported = {
        name
        for name, obj in vars(jeras.losses).items()
        if isinstance(obj, type) and issubclass(obj, jeras.losses.Loss)
    }
    assert exported == set(CATALOGUE) | {"Loss", "LossFunctionWrapper"}


@pytest.mark.parametrize("name", CATALOGUE + ["Loss", "LossFunctionWrapper"])
def test_signature_matches_keras(name):
    cls = getattr(jeras.losses, name)
    params = _parameters(cls)
    # A real signature, not a factory's (*args, **kwargs).
    assert any(kind == inspect.Parameter.POSITIONAL_OR_KEYWORD for _, _, kind in params[1:])
    assert params == _parameters(_keras_class(name))
    assert cls.__module__ == "jeras.losses.losses" or name in ("Loss", "LossFunctionWrapper")
    assert cls.__doc__ and "Args" in cls.__doc__ or name in ("Loss", "LossFunctionWrapper")


@pytest.mark.parametrize("name", CATALOGUE)
def test_default_config_and_serialized_form_match_keras(name):
    j_loss, k_loss = getattr(jeras.losses, name)(), getattr(keras.losses, name)()
    j_config, k_config = j_loss.get_config(), k_loss.get_config()
    assert list(j_config.items()) == list(k_config.items())
    j_dict, k_dict = jeras.losses.serialize(j_loss), keras.losses.serialize(k_loss)
    assert j_dict == k_dict
    back = jeras.losses.deserialize(j_dict)
    assert type(back) is type(j_loss) and back.get_config() == j_config
    # Keras reads jeras's form and the other way round (Keras's `losses.deserialize` does not
    # know CategoricalGeneralizedCrossEntropy; its generic deserializer does).
    assert keras.saving.deserialize_keras_object(j_dict).get_config() == k_config
    assert jeras.losses.deserialize(k_dict).get_config() == j_config


# Arguments given positionally, in Keras's order, up to and including `reduction`.
POSITIONAL = {
    "Huber": (0.5, "sum"),
    "CosineSimilarity": (0, "sum"),
    "BinaryCrossentropy": (True, 0.1, -1, "sum"),
    "CategoricalCrossentropy": (True, 0.2, -1, "sum"),
    "SparseCategoricalCrossentropy": (True, 3, "sum", -1, "scce"),
    "BinaryFocalCrossentropy": (True, 0.3, 1.5, True, 0.05, -1, "sum"),
    "CategoricalFocalCrossentropy": (0.3, 1.5, True, 0.05, -1, "sum"),
    "Dice": ("sum", "d", (1, 2)),
    "Tversky": (0.3, 0.7, "sum", "t", (1, 2)),
    "Circle": (10.0, 0.2, False, "sum"),
    "CategoricalGeneralizedCrossEntropy": (0.3, "sum"),
}


@pytest.mark.parametrize("name", sorted(POSITIONAL))
def test_positional_arguments_give_keras_config(name):
    args = POSITIONAL[name]
    j_config = getattr(jeras.losses, name)(*args).get_config()
    assert j_config == getattr(keras.losses, name)(*args).get_config()


def test_bad_arguments_fail_like_keras():
    for lib in (keras, jeras):
        with pytest.raises(ValueError, match="q"):
            lib.losses.CategoricalGeneralizedCrossEntropy(q=1.5)
        with pytest.raises(ValueError, match="reduction"):
            lib.losses.MeanSquaredError(reduction="average")
        with pytest.raises(TypeError):
            lib.losses.Huber(delta=1.0, beta=2.0)
        with pytest.raises(TypeError):
            lib.losses.MeanSquaredError("sum", "name", None, "extra")


# -- exact under padding -----------------------------------------------------------------------
def _data(kind, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "regression":
        return (
            rng.uniform(0.1, 2, (B, 3)).astype("float32"),
            rng.uniform(0.1, 2, (B, 3)).astype("float32"),
        )
    if kind == "binary":
        return (
            rng.integers(0, 2, (B, 3)).astype("float32"),
            rng.uniform(0.05, 0.95, (B, 3)).astype("float32"),
        )
    if kind == "onehot":
        p = rng.uniform(0.05, 1.0, (B, 4)).astype("float32")
        return np.eye(4, dtype="float32")[rng.integers(0, 4, B)], p / p.sum(-1, keepdims=True)
    if kind == "sparse":
        p = rng.uniform(0.05, 1.0, (B, 4)).astype("float32")
        return rng.integers(0, 4, B), p / p.sum(-1, keepdims=True)
    if kind == "masks":
        return (
            rng.integers(0, 2, (B, 3, 3, 1)).astype("float32"),
            rng.uniform(0, 1, (B, 3, 3, 1)).astype("float32"),
        )
    if kind == "ctc":
        labels = rng.integers(1, 5, (B, 3))
        labels[1, 2:] = 0
        return labels, rng.normal(size=(B, 7, 5)).astype("float32")
    if kind == "circle":
        x = rng.normal(size=(B, 4)).astype("float32")
        return np.array([0, 0, 1, 1, 2, 2]), x / np.linalg.norm(x, axis=-1, keepdims=True)
    raise AssertionError(kind)


KINDS = {
    "MeanSquaredError": "regression",
    "MeanAbsoluteError": "regression",
    "MeanAbsolutePercentageError": "regression",
    "MeanSquaredLogarithmicError": "regression",
    "Huber": "regression",
    "LogCosh": "regression",
    "Hinge": "binary",
    "SquaredHinge": "binary",
    "CategoricalHinge": "onehot",
    "KLDivergence": "onehot",
    "Poisson": "regression",
    "CosineSimilarity": "regression",
    "BinaryCrossentropy": "binary",
    "CategoricalCrossentropy": "onehot",
    "SparseCategoricalCrossentropy": "sparse",
    "BinaryFocalCrossentropy": "binary",
    "CategoricalFocalCrossentropy": "onehot",
    "Dice": "masks",
    "Tversky": "masks",
    "CTC": "ctc",
    "Circle": "circle",
    "CategoricalGeneralizedCrossEntropy": "sparse",
}


def _padded(array, how):
    """`array` with PAD rows appended: zeros (a generator's short batch is filled with zeros)
    or copies of row 0 (an in-memory dataset gathers sample 0 for padding)."""
    array = np.asarray(array)
    rows = np.zeros_like(array[:PAD]) if how == "zeros" else np.repeat(array[:1], PAD, axis=0)
    return np.concatenate([array, rows])


def _padded_batch(y_true, y_pred, how):
    # The labels are padded as the data is; the predictions are the model's outputs on the
    # padded inputs, valid predictions whatever those inputs are (copies of row 0 here).
    return _padded(y_true, how), _padded(y_pred, "copies")


@pytest.mark.parametrize("how", ["zeros", "copies"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
@pytest.mark.parametrize("name", CATALOGUE)
def test_catalogue_loss_is_exact_under_padding(name, reduction, how):
    j_loss = getattr(jeras.losses, name)(reduction=reduction)
    assert j_loss.exact_under_padding is True
    y_true, y_pred = _data(KINDS[name])
    expected = getattr(keras.losses, name)(reduction=reduction)(y_true, y_pred)
    mask = jnp.asarray([1.0] * B + [0.0] * PAD)
    actual = j_loss._loss_with_mask(*_padded_batch(y_true, y_pred, how), None, mask)
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_wrapped_function_is_exact_only_for_jeras_functions():
    # Named: automatic names count instances, which other tests read.
    def wrapper(fn):
        return jeras.losses.LossFunctionWrapper(fn, name="wrapped")

    assert wrapper(jeras.losses.mean_squared_error).exact_under_padding
    assert wrapper(jeras.losses.dice).exact_under_padding
    assert not wrapper(lambda t, p: jnp.mean((t - p) ** 2)).exact_under_padding


def test_capability_is_stated_per_class_not_inherited():
    assert jeras.losses.Loss.exact_under_padding is False

    class UserLoss(jeras.losses.Loss):
        def call(self, y_true, y_pred):
            return jnp.mean(jnp.square(y_true - y_pred), axis=-1)

    class UserMSE(jeras.losses.MeanSquaredError):
        def call(self, y_true, y_pred):
            # Reduces over the batch: padding rows would change it.
            return jnp.mean(jnp.square(y_true - y_pred)) * jnp.ones(jnp.shape(y_true)[0])

    class UserWrapper(jeras.losses.LossFunctionWrapper):
        pass

    class Declared(jeras.losses.Loss):
        exact_under_padding = True

        def call(self, y_true, y_pred):
            return jnp.mean(jnp.square(y_true - y_pred), axis=-1)

    assert not UserLoss().exact_under_padding
    assert not UserMSE().exact_under_padding
    assert not UserWrapper(jeras.losses.mean_squared_error, name="user").exact_under_padding
    assert Declared().exact_under_padding
    # The capability is what the class says, wherever it is defined.
    Declared.__module__ = "jeras.somewhere"
    UserLoss.__module__ = "jeras.losses.losses"
    assert Declared().exact_under_padding and not UserLoss().exact_under_padding
