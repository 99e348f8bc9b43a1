"""Loss names, configs and lookups against real Keras 3: default and non-default configs of the
task-specific losses, `get` over every string Keras accepts (and the ones it refuses),
`serialize` / `deserialize` of classes and functions, and custom losses registered as in the
guide."""

import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close, target_and_prediction

import jeras
from jeras.saving import object_registration

B = 6


def _data(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "masks":
        return target_and_prediction("masks", rng, (B, 3, 3, 1))
    if kind == "soft_2d":
        return target_and_prediction("soft", rng, (B, 5))
    raise AssertionError(kind)


# -- names, configs, positional order --------------------------------------------------------------
TASK_SPECIFIC_CLASSES = [
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "Dice",
    "Tversky",
    "CTC",
    "Circle",
    "CategoricalGeneralizedCrossEntropy",
]


@pytest.mark.parametrize("cls_name", TASK_SPECIFIC_CLASSES)
def test_default_name_and_config_match_keras(cls_name):
    k_loss, j_loss = getattr(keras.losses, cls_name)(), getattr(jeras.losses, cls_name)()
    assert j_loss.name == k_loss.name
    assert j_loss.reduction == k_loss.reduction
    # Same keys in the same order (configs are written to JSON in this order).
    assert list(j_loss.get_config().items()) == list(k_loss.get_config().items())


NON_DEFAULT = [
    (
        "BinaryFocalCrossentropy",
        {
            "apply_class_balancing": True,
            "alpha": 0.1,
            "gamma": 3.0,
            "from_logits": True,
            "label_smoothing": 0.05,
            "axis": 1,
            "reduction": "sum",
            "name": "bf",
        },
    ),
    (
        "CategoricalFocalCrossentropy",
        {
            "alpha": 0.5,
            "gamma": 1.0,
            "from_logits": True,
            "label_smoothing": 0.1,
            "axis": 0,
            "reduction": None,
        },
    ),
    ("Dice", {"axis": (1, 2), "reduction": "mean", "name": "d"}),
    ("Tversky", {"alpha": 0.7, "beta": 0.3, "axis": 1, "name": "tv"}),
    ("CTC", {"reduction": "sum", "name": "c"}),
    (
        "Circle",
        {
            "gamma": 32.0,
            "margin": 0.25,
            "remove_diagonal": False,
            "reduction": "mean_with_sample_weight",
        },
    ),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7, "reduction": "sum", "name": "g"}),
]


@pytest.mark.parametrize("cls_name,kwargs", NON_DEFAULT, ids=[c[0] for c in NON_DEFAULT])
def test_non_default_config_matches_keras(cls_name, kwargs):
    k_cfg = getattr(keras.losses, cls_name)(**kwargs).get_config()
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    assert list(j_loss.get_config().items()) == list(k_cfg.items())
    assert type(j_loss).from_config(j_loss.get_config()).get_config() == k_cfg


POSITIONAL = [
    ("BinaryFocalCrossentropy", (True, 0.3, 1.0, True, 0.1, 1, "sum", "bfp")),
    ("CategoricalFocalCrossentropy", (0.3, 1.0, True, 0.1, -1, "sum", "cfp")),
    ("Dice", ("sum", "dp", (1, 2))),
    ("Tversky", (0.2, 0.8, None, "tp", 1)),
    ("CTC", ("sum", "ctcp")),
    ("Circle", (10.0, 0.2, False, "sum", "cp")),
    ("CategoricalGeneralizedCrossEntropy", (0.25, "sum", "gp")),
]


@pytest.mark.parametrize("cls_name,args", POSITIONAL, ids=[c[0] for c in POSITIONAL])
def test_positional_arguments_follow_keras_order(cls_name, args):
    k_loss = getattr(keras.losses, cls_name)(*args)
    j_loss = getattr(jeras.losses, cls_name)(*args)
    assert j_loss.get_config() == k_loss.get_config()
    assert j_loss.name == k_loss.name and j_loss.reduction == k_loss.reduction


# -- get: every string Keras accepts, and the ones it refuses --------------------------------------
def _keras_names():
    from keras.src.losses import ALL_OBJECTS_DICT

    return sorted(ALL_OBJECTS_DICT)


@pytest.mark.parametrize("identifier", [n for n in _keras_names() if n != "LossFunctionWrapper"])
def test_get_every_keras_string(identifier):
    k_obj, j_obj = keras.losses.get(identifier), jeras.losses.get(identifier)
    if isinstance(k_obj, keras.losses.Loss):
        assert isinstance(j_obj, jeras.losses.Loss)
        assert type(j_obj).__name__ == type(k_obj).__name__
        if identifier != "Loss":  # the base class's auto name counts instances per library
            assert j_obj.get_config() == k_obj.get_config()
    else:
        assert callable(j_obj) and not isinstance(j_obj, jeras.losses.Loss)
        assert j_obj.__name__ == k_obj.__name__
        assert j_obj is getattr(jeras.losses, k_obj.__name__)


def test_get_loss_function_wrapper_name_fails_like_keras():
    with pytest.raises(TypeError):
        keras.losses.get("LossFunctionWrapper")
    with pytest.raises(TypeError):
        jeras.losses.get("LossFunctionWrapper")


@pytest.mark.parametrize(
    "identifier",
    [
        "categorical_generalized_cross_entropy",
        "CategoricalGeneralizedCrossEntropy",
        "logcosh",
        "kullback_leibler_divergence",
        "huber_loss",
        "Dice_",
        "serialize",
        "get",
    ],
)
def test_get_names_keras_refuses(identifier):
    with pytest.raises(ValueError):
        keras.losses.get(identifier)
    with pytest.raises(ValueError) as info:
        jeras.losses.get(identifier)
    message = str(info.value)
    assert identifier in message and "'circle'" in message and "'Tversky'" in message


def test_get_config_dict_class_and_instance():
    cfg = {"class_name": "Tversky", "config": {"alpha": 0.1, "beta": 0.9, "name": "t"}}
    assert jeras.losses.get(cfg).get_config() == keras.losses.get(cfg).get_config()
    obj = jeras.losses.get(jeras.losses.Dice)
    assert isinstance(obj, jeras.losses.Dice) and obj.name == "dice"
    loss = jeras.losses.CTC()
    assert jeras.losses.get(loss) is loss
    with pytest.raises(ValueError):
        jeras.losses.get(3)


# -- serialize / deserialize -------------------------------------------------------------------
SERIALIZED = (
    NON_DEFAULT
    + [(name, {}) for name in TASK_SPECIFIC_CLASSES]
    + [
        ("MeanSquaredError", {}),
        ("Huber", {"delta": 2.0}),
        ("SparseCategoricalCrossentropy", {"ignore_class": 2}),
    ]
)


def _keras_deserialize(config):
    # keras.losses.deserialize does not know the generalized cross-entropy (it is missing from
    # Keras's name table) and hands back the bare name string, for Keras's own dicts too; Keras's
    # generic deserializer finds it through the module.
    if "generalized" in str(config).lower():
        return keras.saving.deserialize_keras_object(config)
    return keras.losses.deserialize(config)


@pytest.mark.parametrize(
    "cls_name,kwargs", SERIALIZED, ids=[f"{c[0]}-{i}" for i, c in enumerate(SERIALIZED)]
)
def test_serialize_class_matches_keras_and_round_trips(cls_name, kwargs):
    k_loss = getattr(keras.losses, cls_name)(**kwargs)
    j_loss = getattr(jeras.losses, cls_name)(**kwargs)
    k_dict, j_dict = keras.losses.serialize(k_loss), jeras.losses.serialize(j_loss)
    assert j_dict == k_dict
    back = jeras.losses.deserialize(j_dict)
    assert type(back) is type(j_loss) and back.get_config() == j_loss.get_config()
    # Each library reads the other's dict.
    assert jeras.losses.deserialize(k_dict).get_config() == k_loss.get_config()
    assert _keras_deserialize(j_dict).get_config() == k_loss.get_config()


@pytest.mark.parametrize(
    "fn_name",
    [
        "dice",
        "tversky",
        "ctc",
        "circle",
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
        "mean_squared_error",
        "categorical_generalized_cross_entropy",
    ],
)
def test_serialize_function_matches_keras_and_round_trips(fn_name):
    k_dict = keras.losses.serialize(getattr(keras.losses, fn_name))
    j_dict = jeras.losses.serialize(getattr(jeras.losses, fn_name))
    assert j_dict == k_dict
    assert jeras.losses.deserialize(j_dict) is getattr(jeras.losses, fn_name)
    assert _keras_deserialize(j_dict) is getattr(keras.losses, fn_name)


def test_loss_function_wrapper_config_holds_the_function_like_keras():
    from keras.src.losses import LossFunctionWrapper as KerasWrapper

    k_cfg = KerasWrapper(keras.losses.tversky, name="w", alpha=0.2, axis=(1, 2)).get_config()
    j_loss = jeras.losses.LossFunctionWrapper(
        jeras.losses.tversky, name="w", alpha=0.2, axis=(1, 2)
    )
    assert j_loss.get_config() == k_cfg
    back = jeras.losses.LossFunctionWrapper.from_config(j_loss.get_config())
    assert back.fn is jeras.losses.tversky and back.get_config() == k_cfg
    y_true, y_pred = _data("masks", 3)
    assert_close(
        back(y_true, y_pred),
        KerasWrapper(keras.losses.tversky, alpha=0.2, axis=(1, 2))(y_true, y_pred),
    )
    assert KerasWrapper(keras.losses.dice).name.startswith("loss_function_wrapper")
    assert jeras.losses.LossFunctionWrapper(jeras.losses.dice).name.startswith(
        "loss_function_wrapper"
    )


# -- custom losses, as in the guide ------------------------------------------------------------
@pytest.fixture
def restore_registries():
    """Registrations made by a test stay in that test (another file registers the same names)."""
    jeras_objects = dict(object_registration._GLOBAL_CUSTOM_OBJECTS)
    jeras_names = dict(object_registration._GLOBAL_CUSTOM_NAMES)
    keras_objects = dict(keras.saving.get_custom_objects())
    from keras.src.saving import object_registration as keras_registration

    keras_names = dict(keras_registration.GLOBAL_CUSTOM_NAMES)
    yield
    for current, saved in (
        (object_registration._GLOBAL_CUSTOM_OBJECTS, jeras_objects),
        (object_registration._GLOBAL_CUSTOM_NAMES, jeras_names),
        (keras.saving.get_custom_objects(), keras_objects),
        (keras_registration.GLOBAL_CUSTOM_NAMES, keras_names),
    ):
        current.clear()
        current.update(saved)


def _custom_mse_class(lib, ops):
    @lib.saving.register_keras_serializable()
    class CustomMSE(lib.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse", **kwargs):
            super().__init__(name=name, **kwargs)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

        def get_config(self):
            config = super().get_config()
            config["regularization_factor"] = self.regularization_factor
            return config

    return CustomMSE


def test_custom_loss_subclass_round_trips_like_keras(restore_registries):
    KerasMSE = _custom_mse_class(keras, keras.ops)
    JerasMSE = _custom_mse_class(jeras, jeras.ops)
    k_loss, j_loss = KerasMSE(0.3, reduction="sum"), JerasMSE(0.3, reduction="sum")
    k_dict, j_dict = keras.losses.serialize(k_loss), jeras.losses.serialize(j_loss)
    assert j_dict == k_dict
    assert j_dict["registered_name"] == "Custom>CustomMSE"
    back = jeras.losses.deserialize(j_dict)
    assert type(back) is JerasMSE and back.get_config() == j_loss.get_config()
    assert type(jeras.losses.get(j_dict)) is JerasMSE
    y_true, y_pred = _data("soft_2d", 4)
    expected = np.sum(np.mean((y_true - y_pred) ** 2, -1) + 0.3 * np.mean((0.5 - y_pred) ** 2, -1))
    assert_close(back(y_true, y_pred), expected)
    assert_close(back(y_true, y_pred), k_loss(y_true, y_pred))
    assert not back.exact_under_padding


def test_custom_loss_function_round_trips_like_keras(restore_registries):
    def make(lib, ops):
        @lib.saving.register_keras_serializable(package="my_package")
        def weighted_mae(y_true, y_pred):
            return ops.mean(ops.abs(y_true - y_pred) * 2.0, axis=-1)

        return weighted_mae

    k_fn, j_fn = make(keras, keras.ops), make(jeras, jeras.ops)
    assert jeras.losses.serialize(j_fn) == keras.losses.serialize(k_fn)
    assert jeras.losses.deserialize(jeras.losses.serialize(j_fn)) is j_fn
    assert jeras.losses.get("my_package>weighted_mae") is j_fn

    # Unregistered, a plain function serializes by name and comes back through custom_objects.
    def plain(y_true, y_pred):
        return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)

    j_dict = jeras.losses.serialize(plain)
    assert j_dict == {
        "module": "builtins",
        "class_name": "function",
        "config": "plain",
        "registered_name": "function",
    }
    assert jeras.losses.deserialize(j_dict, custom_objects={"plain": plain}) is plain
    y_true, y_pred = _data("soft_2d", 5)
    assert_close(jeras.losses.get(plain)(y_true, y_pred), np.mean(np.abs(y_true - y_pred), -1))
