"""`keras.initializers`, `keras.constraints`, `keras.regularizers` and the small utility
namespaces (`keras.config`, `keras.backend`, `keras.tree`, the metric functions): names,
configs and values against real Keras 3, distributions against their formulas."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import jeras

FUNCTION_NAMES = [
    "zeros",
    "ones",
    "constant",
    "random_uniform",
    "random_normal",
    "truncated_normal",
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "identity",
    "stft",
    "IdentityInitializer",
    "OrthogonalInitializer",
    "STFTInitializer",
]


@pytest.mark.parametrize("module", ["initializers", "constraints", "regularizers", "metrics"])
def test_every_keras_name_exists(module):
    ours, theirs = getattr(jeras, module), getattr(keras, module)
    missing = {n for n in dir(theirs) if not n.startswith("_")} - set(dir(ours))
    assert not missing


@pytest.mark.parametrize("name", FUNCTION_NAMES)
def test_function_names_alias_the_classes_as_in_keras(name):
    theirs = getattr(keras.initializers, name)
    ours = getattr(jeras.initializers, name)
    assert isinstance(ours, type) and ours.__name__ == theirs.__name__


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.initializers.he_normal(seed=3),
        lambda lib: lib.initializers.glorot_uniform(),
        lambda lib: lib.initializers.variance_scaling(2.0, "fan_out", "uniform", seed=1),
        lambda lib: lib.initializers.constant(2.5),
        lambda lib: lib.initializers.identity(gain=2.0),
        lambda lib: lib.initializers.orthogonal(gain=0.5, seed=2),
        lambda lib: lib.initializers.STFT("imag", "hamming", "spectrum", True),
        lambda lib: lib.constraints.max_norm(3),
        lambda lib: lib.constraints.min_max_norm(0.5, 2.0, rate=0.5, axis=1),
        lambda lib: lib.constraints.non_neg(),
        lambda lib: lib.constraints.unit_norm(axis=-1),
        lambda lib: lib.regularizers.orthogonal_regularizer(0.1, "columns"),
        lambda lib: lib.regularizers.l1_l2(0.01, 0.02),
    ],
)
def test_serialize_writes_keras_configs_and_each_library_reads_the_other(make):
    module = make(keras).__class__.__module__.split(".")[2]  # initializers, constraints, ...
    ours = getattr(jeras, module).serialize(make(jeras))
    theirs = getattr(keras, module).serialize(make(keras))
    if type(make(keras)).__name__ == "Identity":
        # Keras 3.15's Identity forgets its gain in its config (it has no get_config); jeras
        # writes it, and Keras's constructor reads it back.
        assert theirs["config"] == {} and ours["config"] == {"gain": 2.0}
        theirs = dict(theirs, config={"gain": 2.0})
        assert keras.initializers.deserialize(ours).gain == 2.0
        assert jeras.initializers.deserialize(ours).gain == 2.0
        return
    assert ours == theirs
    from_keras = getattr(jeras, module).deserialize(theirs)
    assert type(from_keras).__name__ == type(make(keras)).__name__
    assert from_keras.get_config() == getattr(keras, module).deserialize(theirs).get_config()
    from_jeras = getattr(keras, module).deserialize(ours)
    assert from_jeras.get_config() == make(keras).get_config()


@pytest.mark.parametrize("module", ["initializers", "constraints", "regularizers"])
@pytest.mark.parametrize("spelling", ["class", "snake"])
def test_get_and_deserialize_take_names_as_keras(module, spelling):
    for cls_name in [
        n
        for n in dir(getattr(keras, module))
        if n[0].isupper() and n not in ("Initializer", "Constraint", "Regularizer")
    ]:
        theirs_cls = getattr(getattr(keras, module), cls_name)
        name = cls_name if spelling == "class" else keras.src.utils.naming.to_snake_case(cls_name)
        try:
            expected = type(getattr(keras, module).get(name)).__name__
        except (ValueError, TypeError, KeyError):
            continue  # names Keras itself refuses (an alias that is not its own snake case)
        assert type(getattr(jeras, module).get(name)).__name__ == expected, name
        assert type(getattr(jeras, module).deserialize(name)).__name__ == expected, name
        assert expected == theirs_cls.__name__


def test_get_rejects_unknown_names_and_passes_callables():
    with pytest.raises(ValueError, match="nonexistent"):
        jeras.initializers.get("nonexistent")
    with pytest.raises(ValueError, match="nonexistent"):
        jeras.constraints.get("nonexistent")

    def custom(shape, dtype=None):
        return np.ones(shape)

    assert jeras.initializers.get(custom) is custom
    assert isinstance(
        jeras.initializers.get(jeras.initializers.HeNormal), jeras.initializers.HeNormal
    )
    assert jeras.initializers.get(None) is None


def test_get_of_an_array_returns_its_values_for_its_own_shape():
    values = np.arange(6, dtype="float32").reshape(2, 3)
    ours = jeras.initializers.get(values)
    theirs = keras.initializers.get(values)
    np.testing.assert_array_equal(np.asarray(ours((2, 3))), np.asarray(theirs((2, 3))))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        ours((3, 2))


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_identity_matches_keras(shape):
    ours = np.asarray(jeras.initializers.Identity(1.5)(shape))
    theirs = np.asarray(keras.initializers.Identity(1.5)(shape))
    np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="rank 3"):
        jeras.initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize(
    "args",
    [
        ("real", "hann", "density", False),
        ("imag", "hamming", "spectrum", True),
        ("real", None, None, False),
        ("imag", "hann", None, False),
    ],
)
def test_stft_kernels_match_keras(args):
    shape = (16, 1, 9)
    ours = np.asarray(jeras.initializers.STFT(*args)(shape))
    theirs = np.asarray(keras.initializers.STFT(*args)(shape))
    # Keras computes the angles in float32, jeras in float64 before the cast: float32 noise.
    np.testing.assert_allclose(ours, theirs, atol=5e-6)


def test_stft_rejects_a_bad_side():
    with pytest.raises(ValueError, match="side"):
        jeras.initializers.STFT(side="both")


def test_orthogonal_is_orthogonal_and_seeded():
    init = jeras.initializers.orthogonal(gain=2.0, seed=4)
    values = np.asarray(init((6, 4)), "float64")
    np.testing.assert_allclose(values.T @ values, 4.0 * np.eye(4), atol=1e-5)
    np.testing.assert_array_equal(values, np.asarray(init((6, 4))))


@pytest.mark.parametrize(
    "name, variance",
    [
        ("he_normal", 2.0 / 200),
        ("he_uniform", 2.0 / 200),
        ("glorot_normal", 2.0 / (200 + 300)),
        ("glorot_uniform", 2.0 / (200 + 300)),
        ("lecun_normal", 1.0 / 200),
        ("lecun_uniform", 1.0 / 200),
    ],
)
def test_function_forms_draw_the_documented_variance(name, variance):
    values = np.asarray(getattr(jeras.initializers, name)(seed=0)((200, 300)))
    assert values.shape == (200, 300)
    assert abs(values.mean()) < 0.01 * np.sqrt(variance) * 10
    assert values.var() == pytest.approx(variance, rel=0.03)


def test_metric_functions_are_the_loss_functions_with_keras_values():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, (4, 3)).astype("float32")
    y_pred = rng.uniform(0.05, 0.95, (4, 3)).astype("float32")
    for name in ("binary_crossentropy", "hinge", "mean_squared_error", "poisson", "log_cosh"):
        ours = np.asarray(getattr(jeras.metrics, name)(y_true, y_pred))
        theirs = np.asarray(getattr(keras.metrics, name)(y_true, y_pred))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=name)


# -- keras.config, keras.backend, keras.tree ----------------------------------------------------
@pytest.mark.parametrize("module", ["config", "backend", "tree", "utils", "models", "layers"])
def test_the_utility_names_of_the_brief_exist(module):
    wanted = {
        "config": [
            "disable_flash_attention",
            "enable_flash_attention",
            "is_flash_attention_enabled",
            "disable_interactive_logging",
            "enable_interactive_logging",
            "is_interactive_logging_enabled",
            "disable_traceback_filtering",
            "enable_traceback_filtering",
            "is_traceback_filtering_enabled",
            "dtype_policy",
            "set_dtype_policy",
            "max_epochs",
            "set_max_epochs",
            "max_steps_per_epoch",
            "set_max_steps_per_epoch",
            "is_nnx_enabled",
            "set_backend",
        ],
        "backend": ["get_uid", "is_keras_tensor", "result_type"],
        "tree": ["MAP_TO_NONE", "assert_same_paths", "map_shape_structure"],
        "utils": [
            "Config",
            "CustomObjectScope",
            "get_custom_objects",
            "get_registered_name",
            "get_registered_object",
            "get_source_inputs",
            "is_keras_tensor",
            "clear_session",
            "standardize_dtype",
            "get_file",
            "split_dataset",
            "image_dataset_from_directory",
            "text_dataset_from_directory",
            "load_img",
            "img_to_array",
            "array_to_img",
            "save_img",
        ],
        "models": ["clone_model"],
        "layers": ["serialize", "deserialize"],
    }[module]
    assert not [n for n in wanted if not hasattr(getattr(jeras, module), n)]


def test_config_switches_start_as_in_keras():
    for name in (
        "is_flash_attention_enabled",
        "is_interactive_logging_enabled",
        "is_traceback_filtering_enabled",
        "max_epochs",
        "max_steps_per_epoch",
        "is_nnx_enabled",
    ):
        assert getattr(jeras.config, name)() == getattr(keras.config, name)(), name
    jeras.config.disable_flash_attention()
    assert jeras.config.is_flash_attention_enabled() is False
    jeras.config.enable_flash_attention()
    assert jeras.config.is_flash_attention_enabled() is None
    assert jeras.config.dtype_policy().name == "float32"
    with pytest.raises(ValueError, match="JAX"):
        jeras.config.set_backend("torch")


def _small_model():
    model = jeras.Sequential([jeras.Input((2,)), jeras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_max_epochs_and_max_steps_per_epoch_cap_fit_as_keras():
    x, y = np.ones((40, 2), "float32"), np.ones((40, 1), "float32")
    model = _small_model()
    steps = []

    class CountBatches(jeras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append(batch)

    jeras.config.set_max_epochs(2)
    jeras.config.set_max_steps_per_epoch(3)
    try:
        with pytest.warns(UserWarning, match="Limiting"):
            history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[CountBatches()])
    finally:
        jeras.config.set_max_epochs(None)
        jeras.config.set_max_steps_per_epoch(None)
    assert len(history.history["loss"]) == 2
    assert steps == [0, 1, 2, 0, 1, 2]
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_interactive_logging_switch_sends_messages_to_logging(capsys, caplog):
    from jeras.utils.io_utils import print_msg

    print_msg("to stdout")
    assert "to stdout" in capsys.readouterr().out
    jeras.utils.disable_interactive_logging()
    try:
        assert not jeras.config.is_interactive_logging_enabled()
        with caplog.at_level("INFO", logger="jeras"):
            print_msg("to logging")
        assert "to logging" in caplog.text
        assert "to logging" not in capsys.readouterr().out
        # The progress bar of fit follows the switch too.
        model = _small_model()
        with caplog.at_level("INFO", logger="jeras"):
            model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=1, verbose=1)
        assert "loss" in caplog.text
        assert "loss" not in capsys.readouterr().out
    finally:
        jeras.config.enable_interactive_logging()


@pytest.mark.parametrize(
    "dtypes",
    [
        ("int32", "float16"),
        ("int64", "float32"),
        (),
        ("uint8", "int8"),
        ("int32", float),
        ("bool", "int8"),
        ("bfloat16", "float16"),
        ("int8", int),
        ("bool", int),
        (float,),
        ("float16", float),
        ("uint32", "int32"),
        (None, "int32"),
    ],
)
def test_result_type_matches_keras(dtypes):
    assert jeras.backend.result_type(*dtypes) == keras.backend.result_type(*dtypes)


def test_get_uid_counts_per_prefix_like_keras():
    assert [jeras.backend.get_uid("api_uid_test") for _ in range(3)] == [1, 2, 3]
    assert jeras.backend.get_uid("api_uid_other") == 1


def test_is_keras_tensor():
    assert jeras.backend.is_keras_tensor(jeras.Input((2,)))
    assert not jeras.backend.is_keras_tensor(np.ones(2))
    assert jeras.utils.is_keras_tensor(jeras.Input((2,)))


def test_tree_additions_match_keras():
    structure = {"a": (1, [2, 3]), "b": None}
    for lib in (keras, jeras):
        assert lib.tree.traverse(
            lambda x: lib.tree.MAP_TO_NONE if x == 2 else None, structure
        ) == keras.tree.traverse(lambda x: keras.tree.MAP_TO_NONE if x == 2 else None, structure)
    jeras.tree.assert_same_paths([0, 1], (2, 3))
    with pytest.raises(ValueError, match="missing"):
        jeras.tree.assert_same_paths({"a": 1}, {"b": 1})
    shapes = {"x": (None, 3), "y": [(2,), (4, 5)]}
    ours = jeras.tree.map_shape_structure(lambda s: tuple(s) + (1,), shapes)
    theirs = keras.tree.map_shape_structure(lambda s: tuple(s) + (1,), shapes)
    assert ours == theirs


def test_utils_config_behaves_as_keras():
    for lib in (jeras, keras):
        config = lib.utils.Config(learning_rate=0.1, layers=2)
        config.momentum = 0.9
        config["decay"] = 1e-3
        assert config.learning_rate == 0.1 and config["momentum"] == 0.9
        assert list(config) == ["decay", "layers", "learning_rate", "momentum"]
        assert config.as_dict() == {
            "learning_rate": 0.1,
            "layers": 2,
            "momentum": 0.9,
            "decay": 1e-3,
        }
        config.freeze()
        with pytest.raises(ValueError, match="frozen"):
            config.momentum = 0.5
        config.unfreeze()
        config.momentum = 0.5
        with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
            config.momentun


def test_get_source_inputs_finds_the_inputs():
    a, b = jeras.Input((2,), name="a"), jeras.Input((2,), name="b")
    x = jeras.layers.Dense(3)(a)
    y = jeras.layers.Add()([x, jeras.layers.Dense(3)(b)])
    assert jeras.utils.get_source_inputs(y) == [a, b]
    assert jeras.utils.get_source_inputs(a) == [a]


def test_layers_serialize_round_trips_with_keras():
    ours = jeras.layers.serialize(jeras.layers.Dense(3, activation="relu", name="d"))
    theirs = keras.layers.serialize(keras.layers.Dense(3, activation="relu", name="d"))
    assert ours == theirs
    assert (
        jeras.layers.deserialize(theirs).get_config() == keras.layers.deserialize(ours).get_config()
    )
    with pytest.raises(ValueError, match="layer"):
        jeras.layers.deserialize(jeras.initializers.serialize(jeras.initializers.Ones()))
