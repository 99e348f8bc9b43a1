"""Configs, the registry of custom objects, JSON models and lambdas, checked against Keras 3.

The same code runs with `keras` and with `jeras`; the configs, names and errors Keras gives
are the expected ones.
"""

import json

import keras
import numpy as np
import pytest

import jeras


def _json(config):
    return json.loads(json.dumps(config))


def _without_shared_ids(config):
    if isinstance(config, dict):
        return {k: _without_shared_ids(v) for k, v in config.items() if k != "shared_object_id"}
    if isinstance(config, list):
        return [_without_shared_ids(v) for v in config]
    return config


# -- layer configs ---------------------------------------------------------------------------------
_LAYERS = [
    (
        "Dense",
        (3,),
        {
            "activation": "relu",
            "use_bias": False,
            "kernel_regularizer": "l2",
            "bias_constraint": "non_neg",
        },
    ),
    ("Dense", (2,), {"kernel_initializer": "he_normal", "activity_regularizer": "l1"}),
    ("Activation", ("tanh",), {}),
    ("Identity", (), {}),
    ("Dropout", (0.3,), {"seed": 4}),
    ("ActivityRegularization", (0.1, 0.2), {}),
    ("Flatten", (), {}),
    ("Reshape", ((2, 3),), {}),
    ("Conv2D", (4, 3), {"strides": 2, "padding": "same"}),
    ("MaxPooling2D", (), {}),
    ("GlobalAveragePooling1D", (), {}),
    ("Concatenate", (), {"axis": 1}),
    ("Add", (), {}),
    ("InputLayer", (), {"shape": (3, 4)}),
]


@pytest.mark.parametrize(
    "class_name, args, kwargs", _LAYERS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(_LAYERS)]
)
def test_layer_config_matches_keras_and_round_trips(class_name, args, kwargs):
    k_layer = getattr(keras.layers, class_name)(*args, name="probe", **kwargs)
    j_layer = getattr(jeras.layers, class_name)(*args, name="probe", **kwargs)
    k_config = _json(keras.saving.serialize_keras_object(k_layer))
    j_config = _json(jeras.saving.serialize_keras_object(j_layer))
    assert _without_shared_ids(j_config) == _without_shared_ids(k_config)
    # Keras's config builds the same jeras layer, and jeras's config the same Keras layer.
    rebuilt = jeras.saving.deserialize_keras_object(k_config)
    assert type(rebuilt) is type(j_layer)
    assert _json(rebuilt.get_config()) == _json(j_layer.get_config())
    k_rebuilt = keras.saving.deserialize_keras_object(j_config)
    assert _json(k_rebuilt.get_config()) == _json(k_layer.get_config())


def test_automatic_config_of_a_layer_without_get_config():
    def define(K):
        class Auto(K.layers.Layer):
            def __init__(self, units=3, scale=0.5, mode="a", **kwargs):
                super().__init__(**kwargs)
                self.units, self.scale, self.mode = units, scale, mode

            def call(self, x):
                return x * self.scale

        class Opaque(K.layers.Layer):
            def __init__(self, fn, **kwargs):
                super().__init__(**kwargs)
                self.fn = fn

        return Auto, Opaque

    configs = {}
    for K in (keras, jeras):
        Auto, Opaque = define(K)
        configs[K.__name__] = _json(Auto(7, mode="b", name="auto").get_config())
        rebuilt = Auto.from_config(configs[K.__name__])
        assert (rebuilt.units, rebuilt.scale, rebuilt.mode) == (7, 0.5, "b")
        with pytest.raises(NotImplementedError):
            Opaque(np.sin, name="opaque").get_config()
    assert configs["jeras"] == configs["keras"]


def test_custom_activation_function_is_saved_by_registered_name():
    configs = {}
    for K in (keras, jeras):

        @K.saving.register_keras_serializable(package="Acts")
        def scaled_tanh(x):
            return 2.0 * K.ops.tanh(x)

        layer = K.layers.Dense(2, activation=scaled_tanh, name="d")
        configs[K.__name__] = _json(layer.get_config())["activation"]
        assert K.layers.Dense.from_config(layer.get_config()).activation is scaled_tanh
    assert configs["jeras"] == configs["keras"]


# -- the registry ----------------------------------------------------------------------------------
def test_registration_names_lookup_and_scopes():
    results = {}
    for K in (keras, jeras):
        saving = K.saving

        @saving.register_keras_serializable()
        class Plain(K.layers.Layer):
            pass

        @saving.register_keras_serializable(package="Pkg", name="Renamed")
        class Original(K.layers.Layer):
            pass

        def helper(x):
            return x

        with pytest.raises(ValueError):
            saving.register_keras_serializable()(type("NoConfig", (), {}))
        with saving.custom_object_scope({"helper_alias": helper}):
            inside = saving.get_registered_object("helper_alias")
        outside = saving.get_registered_object("helper_alias")
        found = saving.get_registered_object("Pkg>Renamed")
        results[K.__name__] = (
            saving.get_registered_name(Plain),
            saving.get_registered_name(Original),
            saving.get_registered_name(helper),
            inside is helper,
            outside,
            found is Original,
            saving.get_registered_object("Other", custom_objects={"Other": Plain}) is Plain,
            "Custom>Plain" in saving.get_custom_objects(),
        )
    assert results["jeras"] == results["keras"]
    assert results["jeras"][:2] == ("Custom>Plain", "Pkg>Renamed")


def test_custom_class_config_and_custom_objects_when_loading(tmp_path):
    def define(K, register):
        class Doubler(K.layers.Layer):
            def __init__(self, factor=2.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def call(self, x):
                return x * self.factor

            def get_config(self):
                return {**super().get_config(), "factor": self.factor}

        if register:
            Doubler = K.saving.register_keras_serializable(package="Tests")(Doubler)
        return Doubler

    for register in (True, False):
        entries = {}
        for K in (keras, jeras):
            Doubler = define(K, register)
            entries[K.__name__] = _json(K.saving.serialize_keras_object(Doubler(3.0, name="dd")))
        assert entries["jeras"] == entries["keras"]
        assert entries["jeras"]["registered_name"] == ("Tests>Doubler" if register else "Doubler")

    # An unregistered class: loading needs `custom_objects`, else a ValueError naming it.
    Doubler = define(jeras, register=False)
    inputs = jeras.Input((3,))
    model = jeras.Model(inputs, Doubler(name="dbl")(inputs))
    path = str(tmp_path / "custom.keras")
    model.save(path)
    with pytest.raises(ValueError, match="Doubler"):
        jeras.models.load_model(path)
    x = np.ones((2, 3), "float32")
    loaded = jeras.models.load_model(path, custom_objects={"Doubler": Doubler})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), 2 * x)
    with jeras.saving.custom_object_scope({"Doubler": Doubler}):
        loaded = jeras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), 2 * x)
    # Keras reads the same file with its own class of that name.
    k_loaded = keras.saving.load_model(path, custom_objects={"Doubler": define(keras, False)})
    np.testing.assert_allclose(np.asarray(k_loaded(x)), 2 * x)


# -- JSON ------------------------------------------------------------------------------------------
def _mlp(K):
    inputs = K.Input((6,), name="features")
    hidden = K.layers.Dense(4, activation="relu", name="hidden")(inputs)
    return K.Model(inputs, K.layers.Dense(2, name="logits")(hidden), name="mlp")


def test_to_json_and_model_from_json_both_ways():
    keras.backend.clear_session()
    jeras.backend.clear_session()
    j_json, k_json = _mlp(jeras).to_json(), _mlp(keras).to_json()
    assert _without_shared_ids(json.loads(j_json)) == _without_shared_ids(json.loads(k_json))
    from_keras = jeras.models.model_from_json(k_json)
    assert isinstance(from_keras, jeras.Model)
    assert [l.name for l in from_keras.layers] == ["features", "hidden", "logits"]
    assert [w.shape for w in from_keras.weights] == [(6, 4), (4,), (4, 2), (2,)]
    from_jeras = keras.models.model_from_json(j_json)
    assert [l.name for l in from_jeras.layers] == ["features", "hidden", "logits"]
    sequential = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(2)], name="s")
    again = jeras.models.model_from_json(sequential.to_json())
    assert isinstance(again, jeras.Sequential) and again.name == "s" and again.built


# -- lambdas and safe mode -------------------------------------------------------------------------
def test_lambda_layer_needs_safe_mode_off(tmp_path):
    x = np.arange(6, dtype="float32").reshape(2, 3)
    model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Lambda(lambda t: t * 2.0 + 1.0)])
    path = str(tmp_path / "lambda.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        jeras.models.load_model(path)
    loaded = jeras.models.load_model(path, safe_mode=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), x * 2.0 + 1.0)
    # Keras refuses the jeras file the same way, and reads it when told to.
    with pytest.raises(ValueError):
        keras.saving.load_model(path)
    k_loaded = keras.saving.load_model(path, safe_mode=False)
    np.testing.assert_allclose(np.asarray(k_loaded(x)), x * 2.0 + 1.0)
    # A lambda saved by Keras loads in jeras with safe_mode=False only.
    k_model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t - 3.0)])
    k_path = str(tmp_path / "k_lambda.keras")
    k_model.save(k_path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        jeras.models.load_model(k_path)
    np.testing.assert_allclose(
        jeras.models.load_model(k_path, safe_mode=False).predict(x, verbose=0), x - 3.0
    )
    # A generic `__lambda__` config is refused in safe mode as well.
    with pytest.raises(ValueError, match="safe_mode=False"):
        jeras.saving.deserialize_keras_object(
            {"class_name": "__lambda__", "config": {"value": ["AA==", None, None]}}
        )


def test_lambda_with_named_function_loads_safely(tmp_path):
    @jeras.saving.register_keras_serializable(package="Fns")
    def plus_one(t):
        return t + 1.0

    model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Lambda(plus_one)])
    path = str(tmp_path / "named.keras")
    model.save(path)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(jeras.models.load_model(path).predict(x, verbose=0), x + 1.0)
