"""Normalization layers against real Keras 3 from the same weights: outputs in inference and
training, moving statistics (eager, in fused `fit` and with a per-batch callback), Keras's
fine-tuning rule for a frozen BatchNormalization, masks, configs, `.keras` files both ways, bad
input, and the keras.io "Timeseries classification from scratch" program."""

import contextlib
import io
import warnings

import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, assert_same_history, matmul_tolerance

import jeras

RNG = np.random.default_rng(11)


def _x(*shape, scale=1.0, shift=0.0):
    return (shift + scale * RNG.standard_normal(shape)).astype("float32")


def _pair(cls_name, input_shape, *args, **kwargs):
    """The Keras and jeras layers built on `input_shape`, both holding the same random weights
    (positive where they are variances or scales, so the formulas stay defined)."""
    k_layer = getattr(keras.layers, cls_name)(*args, **kwargs)
    j_layer = getattr(jeras.layers, cls_name)(*args, **kwargs)
    k_layer.build(input_shape)
    j_layer.build(input_shape)
    assert [w.name for w in j_layer.weights] == [w.name for w in k_layer.weights]
    weights = []
    for w in k_layer.weights:
        positive = any(key in w.name for key in ("variance", "stddev", "gamma", "scale"))
        value = RNG.uniform(0.5, 1.5, w.shape) if positive else RNG.normal(size=w.shape)
        weights.append(value.astype("float32"))
    k_layer.set_weights(weights)
    j_layer.set_weights(weights)
    return k_layer, j_layer


def _assert_same_call(k_layer, j_layer, x, **call_kwargs):
    want = as_numpy(k_layer(x, **call_kwargs))
    got = as_numpy(j_layer(x, **call_kwargs))
    assert_close(got, want, check_shape=True, err_msg="outputs")
    assert_close(
        [np.asarray(w) for w in j_layer.weights],
        [np.asarray(w) for w in k_layer.weights],
        err_msg="weights after the call",
    )
    return got


# -- BatchNormalization ---------------------------------------------------------------------------
BATCH_NORM_OPTIONS = [
    ((6, 4), {}),
    ((5, 3, 4), dict(momentum=0.5, epsilon=0.1)),
    ((4, 3, 5, 2), dict(axis=1, center=False)),
    ((4, 3, 5), dict(axis=-2, scale=False)),
    ((4, 5, 2, 3), dict(axis=2, center=False, scale=False, momentum=0.0)),
    ((6, 4), dict(renorm=True)),
    ((5, 3, 4), dict(renorm=True, renorm_clipping=dict(rmax=1.1, rmin=0.9, dmax=0.2))),
    ((5, 4), dict(renorm=True, scale=False, renorm_momentum=0.5)),
    ((6, 4), dict(synchronized=True)),
]


@pytest.mark.parametrize("shape, kwargs", BATCH_NORM_OPTIONS)
@pytest.mark.parametrize("training", [False, True])
def test_batch_normalization_matches_keras(shape, kwargs, training):
    kwargs = dict(kwargs)
    # Keras refuses `synchronized=True` outside TensorFlow; on one device it means False.
    synchronized = kwargs.pop("synchronized", False)
    k_layer = keras.layers.BatchNormalization(**kwargs)
    j_layer = jeras.layers.BatchNormalization(synchronized=synchronized, **kwargs)
    x = _x(*shape, scale=2.0, shift=0.5)
    k_layer.build(shape)
    j_layer.build(shape)
    weights = [RNG.uniform(0.5, 1.5, w.shape).astype("float32") for w in k_layer.weights]
    k_layer.set_weights(weights)
    j_layer.set_weights(weights)
    for _ in range(2):  # the second call starts from the moving statistics the first wrote
        _assert_same_call(k_layer, j_layer, x, training=training)
    if not training:
        assert_close(j_layer.get_weights(), weights, atol=0, rtol=0)


def test_batch_normalization_training_matches_numpy():
    layer = jeras.layers.BatchNormalization(momentum=0.75, epsilon=0.01)
    x = _x(8, 3, scale=3.0, shift=1.0)
    out = np.asarray(layer(x, training=True))
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 0.01), atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.25 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.75 + 0.25 * var, rtol=1e-5)


@pytest.mark.parametrize("shape", [(4, 6, 3), (3, 4, 5, 2)])
def test_batch_normalization_mask_weights_the_statistics_as_keras(shape):
    k_layer, j_layer = _pair("BatchNormalization", shape, momentum=0.6)
    x = _x(*shape, scale=2.0)
    mask = RNG.random(shape[:-1]) > 0.4
    _assert_same_call(k_layer, j_layer, x, training=True, mask=mask)
    # Inference ignores the mask (the moving statistics are used).
    _assert_same_call(k_layer, j_layer, x, training=False, mask=mask)


def test_batch_normalization_frozen_runs_in_inference_mode():
    k_layer, j_layer = _pair("BatchNormalization", (6, 4))
    k_layer.trainable = False
    j_layer.trainable = False
    x = _x(6, 4, scale=3.0)
    before = j_layer.get_weights()
    got = _assert_same_call(k_layer, j_layer, x, training=True)
    gamma, beta, mean, variance = before
    np.testing.assert_allclose(got, (x - mean) / np.sqrt(variance + 1e-3) * gamma + beta, 1e-5)
    assert_close(j_layer.get_weights(), before, atol=0, rtol=0)
    assert j_layer.trainable_weights == []
    assert [w.name for w in j_layer.non_trainable_weights] == [
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
    ]


def test_freezing_after_a_compiled_model_call_takes_effect():
    # A model's eager call runs a compiled function traced with the flags of that time.
    inputs = jeras.Input((3,))
    bn = jeras.layers.BatchNormalization()
    model = jeras.Model(inputs, bn(inputs))
    x = _x(8, 3, scale=3.0, shift=1.0)
    model(x, training=True)
    moved = bn.moving_mean.numpy()
    assert not np.allclose(moved, 0)
    bn.trainable = False
    out = np.asarray(model(x, training=True))
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moved)
    gamma, beta, mean, variance = bn.get_weights()
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(variance + 1e-3), rtol=1e-5, atol=1e-6)
    bn.trainable = True
    model(x, training=True)
    assert not np.allclose(bn.moving_mean.numpy(), moved)


def _bn_model(lib, frozen=False):
    inputs = lib.Input((5, 3))
    hidden = lib.layers.Conv1D(4, 2, padding="same")(inputs)
    bn = lib.layers.BatchNormalization(momentum=0.7, name="bn")
    hidden = bn(hidden)
    hidden = lib.layers.Dense(2, activation="tanh")(hidden)
    outputs = lib.layers.Dense(1)(lib.layers.Flatten()(hidden))
    model = lib.Model(inputs, outputs)
    bn.trainable = not frozen
    return model


def _recorder(lib):
    class MovingMeanAfterEachBatch(lib.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.means = []

        def on_train_batch_end(self, batch, logs=None):
            self.means.append(np.array(self.model.get_layer("bn").moving_mean))

    return MovingMeanAfterEachBatch()


@pytest.mark.slow
@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("path", ["fused", "per_batch_callback"])
def test_batch_normalization_in_fit_matches_keras(path, frozen):
    # 45 samples in batches of 16: every epoch ends with a short batch of 13, whose statistics
    # must be those of its 13 rows.
    x, y = _x(45, 5, 3, shift=1.0), _x(45, 1)
    val = (_x(10, 5, 3), _x(10, 1))

    def build(lib):
        return _bn_model(lib, frozen)

    k_model, j_model = build(keras), build(jeras)
    j_model.set_weights(k_model.get_weights())
    start = j_model.get_weights()
    results = {}
    for lib, model in ((keras, k_model), (jeras, j_model)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
        recorder = _recorder(lib) if path == "per_batch_callback" or lib is keras else None
        history = model.fit(
            x,
            y,
            batch_size=16,
            epochs=3,
            shuffle=False,
            validation_data=val,
            verbose=0,
            callbacks=[recorder] if recorder else [],
        )
        results[lib.__name__] = (history.history, model.get_weights(), recorder)
    k_history, k_weights, k_recorder = results["keras"]
    j_history, j_weights, j_recorder = results["jeras"]
    assert_same_history(j_history, k_history, **matmul_tolerance(atol=1e-6, rtol=1e-5))
    assert_close(j_weights, k_weights, **matmul_tolerance(atol=1e-6, rtol=1e-5))
    if j_recorder is not None:
        assert len(j_recorder.means) == len(k_recorder.means) == 9
        assert_close(j_recorder.means, k_recorder.means, **matmul_tolerance())
    bn_index = [w.path for w in j_model.weights].index("bn/moving_mean")
    moved = not np.allclose(j_weights[bn_index], start[bn_index])
    assert moved is not frozen
    assert_close(
        as_numpy(j_model.predict(val[0], verbose=0)),
        as_numpy(k_model.predict(val[0], verbose=0)),
        **matmul_tolerance(),
    )


@pytest.mark.slow
def test_batch_normalization_in_train_on_batch_and_eager_model_call():
    k_model, j_model = _bn_model(keras), _bn_model(jeras)
    j_model.set_weights(k_model.get_weights())
    x, y = _x(7, 5, 3, shift=2.0), _x(7, 1)
    for lib, model in ((keras, k_model), (jeras, j_model)):
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        model.train_on_batch(x, y)
        model(x, training=True)  # an eager training call moves the statistics too
    assert_close(j_model.get_weights(), k_model.get_weights(), **matmul_tolerance())
    assert_close(
        as_numpy(j_model(x, training=False)),
        as_numpy(k_model(x, training=False)),
        **matmul_tolerance(),
    )


# -- LayerNormalization, GroupNormalization, UnitNormalization, RMSNormalization ------------------
@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((4, 6), {}),
        ((3, 4, 5), dict(axis=1, epsilon=0.1)),
        ((3, 4, 5), dict(axis=[1, 2])),
        ((2, 3, 4, 5), dict(axis=(-1, 1), center=False)),
        ((3, 4, 5), dict(axis=-2, scale=False)),
        ((3, 4, 5), dict(center=False, scale=False)),
    ],
)
def test_layer_normalization_matches_keras(shape, kwargs):
    k_layer, j_layer = _pair("LayerNormalization", shape, **kwargs)
    _assert_same_call(k_layer, j_layer, _x(*shape, scale=3.0, shift=1.0))


def test_layer_normalization_rms_scaling_warns_and_matches_keras():
    with pytest.warns(UserWarning, match="rms_scaling"):
        k_layer, j_layer = _pair("LayerNormalization", (3, 5), rms_scaling=True)
    assert [w.name for w in j_layer.weights] == ["gamma"]
    _assert_same_call(k_layer, j_layer, _x(3, 5, shift=2.0))


def test_layer_normalization_matches_numpy():
    layer = jeras.layers.LayerNormalization(axis=[1, 2], epsilon=0.01)
    x = _x(3, 4, 2, scale=2.0)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(layer(x), (x - mean) / np.sqrt(var + 0.01), atol=1e-5)


@pytest.mark.parametrize(
    "shape, kwargs",
    [
        ((3, 8), dict(groups=4)),
        ((2, 5, 6), dict(groups=3, epsilon=0.1)),
        ((2, 6, 4, 3), dict(groups=2, axis=1)),
        ((2, 3, 4, 6), dict(groups=-1, center=False)),
        ((2, 4, 6), dict(groups=1, scale=False)),
        ((2, 4, 4, 3), dict(groups=2, axis=-2)),
    ],
)
def test_group_normalization_matches_keras(shape, kwargs):
    k_layer, j_layer = _pair("GroupNormalization", shape, **kwargs)
    _assert_same_call(k_layer, j_layer, _x(*shape, scale=2.0, shift=-1.0))
    assert j_layer.get_config()["groups"] == k_layer.get_config()["groups"]


def test_group_normalization_matches_numpy():
    layer = jeras.layers.GroupNormalization(groups=2, epsilon=0.01)
    x = _x(3, 5, 4, scale=2.0)
    grouped = x.reshape(3, 5, 2, 2)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    var = grouped.var(axis=(1, 3), keepdims=True)
    want = ((grouped - mean) / np.sqrt(var + 0.01)).reshape(x.shape)
    np.testing.assert_allclose(layer(x), want, atol=1e-5)


@pytest.mark.parametrize("shape, axis", [((3, 5), -1), ((2, 3, 4), 1), ((2, 3, 4), [1, 2])])
def test_unit_normalization_matches_keras_and_numpy(shape, axis):
    x = _x(*shape)
    k_layer, j_layer = _pair("UnitNormalization", shape, axis=axis)
    got = _assert_same_call(k_layer, j_layer, x)
    norm = np.sqrt(np.sum(x * x, axis=tuple(np.atleast_1d(axis)), keepdims=True))
    np.testing.assert_allclose(got, x / norm, rtol=1e-5)
    assert np.all(np.asarray(j_layer(np.zeros(shape, "float32"))) == 0)


@pytest.mark.parametrize(
    "shape, kwargs",
    [((4, 6), {}), ((3, 4, 5), dict(epsilon=0.1)), ((3, 4, 5), dict(axis=[1, 2]))],
)
def test_rms_normalization_matches_keras(shape, kwargs):
    k_layer, j_layer = _pair("RMSNormalization", shape, **kwargs)
    _assert_same_call(k_layer, j_layer, _x(*shape, shift=1.0))


def test_rms_normalization_on_an_inner_axis_matches_numpy():
    # Keras multiplies by an unbroadcast `scale` here, which fails unless shapes happen to line
    # up; jeras broadcasts it on the normalized axis.
    layer = jeras.layers.RMSNormalization(axis=1, epsilon=0.0)
    x = _x(2, 3, 4)
    scale = RNG.uniform(0.5, 1.5, (3,)).astype("float32")
    layer.build(x.shape)
    layer.set_weights([scale])
    want = x / np.sqrt(np.mean(x * x, axis=1, keepdims=True)) * scale[:, None]
    np.testing.assert_allclose(layer(x), want, rtol=1e-5)


# -- SpectralNormalization ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "wrapped, shape, power_iterations",
    [
        (lambda lib: lib.layers.Dense(3), (4, 5), 1),
        (lambda lib: lib.layers.Conv1D(3, 2), (2, 6, 4), 3),
        (lambda lib: lib.layers.Conv2D(2, 2, use_bias=False), (2, 4, 4, 3), 2),
    ],
)
def test_spectral_normalization_matches_keras(wrapped, shape, power_iterations):
    k_layer = keras.layers.SpectralNormalization(wrapped(keras), power_iterations)
    j_layer = jeras.layers.SpectralNormalization(wrapped(jeras), power_iterations)
    k_layer.build(shape)
    j_layer.build(shape)
    assert [w.name for w in j_layer.weights] == [w.name for w in k_layer.weights]
    j_layer.set_weights(k_layer.get_weights())
    x = _x(*shape)
    _assert_same_call(k_layer, j_layer, x, training=False)
    before = j_layer.kernel.numpy()
    for _ in range(2):
        _assert_same_call(k_layer, j_layer, x, training=True)
    # The training calls only rescale the kernel, towards a largest singular value of 1.
    after = j_layer.kernel.numpy()
    ratio = after.ravel() / before.ravel()
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-4)
    top = np.linalg.svd(after.reshape(-1, after.shape[-1]), compute_uv=False)[0]
    assert abs(top - 1) < abs(np.linalg.svd(before.reshape(-1, after.shape[-1]))[1][0] - 1)


def test_spectral_normalization_leaves_a_zero_kernel():
    layer = jeras.layers.SpectralNormalization(jeras.layers.Dense(2, kernel_initializer="zeros"))
    layer.build((None, 3))
    u = layer.vector_u.numpy()
    out = layer(_x(4, 3), training=True)
    assert np.all(np.asarray(out) == 0)
    np.testing.assert_array_equal(layer.vector_u.numpy(), u)


@pytest.mark.slow
def test_spectral_normalization_in_fit_matches_keras():
    def build(lib):
        inputs = lib.Input((4,))
        hidden = lib.layers.SpectralNormalization(lib.layers.Dense(3, activation="tanh"))(inputs)
        return lib.Model(inputs, lib.layers.Dense(1)(hidden))

    k_model, j_model = build(keras), build(jeras)
    j_model.set_weights(k_model.get_weights())
    x, y = _x(40, 4), _x(40, 1)
    histories = []
    for lib, model in ((keras, k_model), (jeras, j_model)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        histories.append(model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0))
    assert_same_history(histories[1].history, histories[0].history, atol=1e-6, rtol=1e-5)
    assert_close(j_model.get_weights(), k_model.get_weights(), atol=1e-6, rtol=1e-5)


# -- configs and .keras files ---------------------------------------------------------------------
CONFIG_CASES = [
    ("BatchNormalization", (4, 3), dict(axis=1, momentum=0.9, gamma_regularizer="l2")),
    ("BatchNormalization", (4, 3), dict(renorm=True, renorm_clipping={"rmax": 2.0})),
    ("BatchNormalization", (4, 3), dict(beta_constraint="non_neg", center=True)),
    ("LayerNormalization", (4, 3), dict(axis=[1, 2], epsilon=0.01, scale=False)),
    ("GroupNormalization", (4, 6), dict(groups=-1, beta_initializer="ones")),
    ("UnitNormalization", (4, 3), dict(axis=[1, 2])),
    ("RMSNormalization", (4, 3), dict(axis=-1, epsilon=0.1)),
]


def _json_like(config):
    import json

    return json.loads(json.dumps(config))


@pytest.mark.parametrize("cls_name, input_shape, kwargs", CONFIG_CASES)
def test_config_matches_keras_before_and_after_build(cls_name, input_shape, kwargs):
    k_layer = getattr(keras.layers, cls_name)(name="probe", **kwargs)
    j_layer = getattr(jeras.layers, cls_name)(name="probe", **kwargs)
    assert _json_like(j_layer.get_config()) == _json_like(k_layer.get_config())
    x = _x(2, *input_shape)
    k_layer(x)
    j_layer(x)
    k_config = _json_like(keras.saving.serialize_keras_object(k_layer))
    j_config = _json_like(jeras.saving.serialize_keras_object(j_layer))
    assert j_config == k_config
    rebuilt = jeras.saving.deserialize_keras_object(k_config)
    assert type(rebuilt) is type(j_layer)
    assert _json_like(rebuilt.get_config()) == _json_like(j_layer.get_config())


def test_spectral_normalization_config_matches_keras():
    k_layer = keras.layers.SpectralNormalization(keras.layers.Dense(3, name="d"), 2, name="sn")
    j_layer = jeras.layers.SpectralNormalization(jeras.layers.Dense(3, name="d"), 2, name="sn")
    assert _json_like(j_layer.get_config()) == _json_like(k_layer.get_config())
    rebuilt = jeras.saving.deserialize_keras_object(
        _json_like(keras.saving.serialize_keras_object(k_layer))
    )
    assert isinstance(rebuilt.layer, jeras.layers.Dense) and rebuilt.power_iterations == 2


def _normalization_model(lib):
    inputs = lib.Input((6, 4))
    hidden = lib.layers.BatchNormalization(renorm=True)(inputs)
    hidden = lib.layers.LayerNormalization(axis=[1, 2])(hidden)
    hidden = lib.layers.GroupNormalization(groups=2)(hidden)
    hidden = lib.layers.UnitNormalization()(hidden)
    hidden = lib.layers.RMSNormalization()(hidden)
    hidden = lib.layers.SpectralNormalization(lib.layers.Dense(3))(hidden)
    hidden = lib.layers.BatchNormalization(axis=1)(hidden)
    return lib.Model(inputs, hidden)


def _randomized(model):
    weights = [RNG.uniform(0.5, 1.5, w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    return weights


@pytest.mark.parametrize("saver, loader", [(jeras, keras), (keras, jeras)])
def test_keras_file_round_trip(tmp_path, saver, loader):
    keras.backend.clear_session()
    jeras.backend.clear_session()
    model = _normalization_model(saver)
    weights = _randomized(model)
    x = _x(5, 6, 4)
    path = str(tmp_path / "normalization.keras")
    model.save(path)
    loaded = loader.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    assert_close(loaded.get_weights(), weights, atol=0, rtol=0)
    assert_close(
        as_numpy(loaded.predict(x, verbose=0)),
        as_numpy(model.predict(x, verbose=0)),
        **matmul_tolerance(),
    )


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls_name, kwargs",
    [
        ("BatchNormalization", dict(axis=3)),
        ("BatchNormalization", dict(axis=-4)),
        ("LayerNormalization", dict(axis=[1, 5])),
        ("GroupNormalization", dict(groups=1, axis=4)),
        ("RMSNormalization", dict(axis=3)),
        ("UnitNormalization", dict(axis=-5)),
    ],
)
def test_axis_out_of_range_names_layer_shape_and_range(cls_name, kwargs):
    layer = getattr(jeras.layers, cls_name)(name="bad_axis", **kwargs)
    with pytest.raises(ValueError, match=r"bad_axis.*out of range.*\(2, 3, 4\).*\[-3, 2\]"):
        layer(_x(2, 3, 4))
    with pytest.raises(ValueError, match="bad_axis"):
        getattr(jeras.layers, cls_name)(name="bad_axis", **kwargs)(jeras.Input((3, 4)))


@pytest.mark.parametrize(
    "cls_name, axis",
    [
        ("BatchNormalization", [1]),
        ("BatchNormalization", 1.0),
        ("GroupNormalization", "1"),
        ("LayerNormalization", None),
        ("UnitNormalization", [1.5]),
    ],
)
def test_axis_of_the_wrong_type(cls_name, axis):
    with pytest.raises(TypeError, match=r"`axis` must be an int"):
        getattr(jeras.layers, cls_name)(axis=axis)
    assert getattr(jeras.layers, cls_name)(axis=np.int64(1)).axis == 1


def test_group_count_must_divide_channels():
    layer = jeras.layers.GroupNormalization(groups=4, name="gn")
    with pytest.raises(ValueError, match=r"gn.*\(4\) must divide.*\(6, axis -1.*\(None, 3, 6\)"):
        layer.build((None, 3, 6))
    with pytest.raises(ValueError, match="groups"):
        jeras.layers.GroupNormalization(groups=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(renorm=True, renorm_clipping={"rmax": 1.0, "bad": 2}),
        dict(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0}),
        dict(renorm=True, renorm_clipping={"dmax": -1.0}),
    ],
)
def test_bad_renorm_clipping(kwargs):
    with pytest.raises(ValueError, match="renorm_clipping"):
        jeras.layers.BatchNormalization(**kwargs)


def test_batch_normalization_bad_mask_rank():
    layer = jeras.layers.BatchNormalization(name="bn_mask")
    with pytest.raises(ValueError, match=r"bn_mask.*mask.shape=\(2, 3, 4\)"):
        layer(_x(2, 3, 4), training=True, mask=np.ones((2, 3, 4), bool))


def test_batch_normalization_channels_change_after_build():
    layer = jeras.layers.BatchNormalization(name="bn_ch")
    layer(_x(2, 3))
    with pytest.raises(ValueError, match="bn_ch"):
        layer(_x(2, 4))


def test_spectral_normalization_bad_arguments():
    with pytest.raises(ValueError, match="power_iterations"):
        jeras.layers.SpectralNormalization(jeras.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="jeras layer"):
        jeras.layers.SpectralNormalization("dense")
    layer = jeras.layers.SpectralNormalization(jeras.layers.LayerNormalization(), name="sn_ln")
    with pytest.raises(ValueError, match=r"sn_ln.*neither a `kernel` nor an `embeddings`"):
        layer(_x(2, 3))


# -- keras.io: Timeseries classification from scratch --------------------------------------------
# https://keras.io/examples/timeseries/timeseries_classification_from_scratch/ (hfawaz), the
# model and training parts. Edits: the import names jeras (the oracle run puts keras back);
# `epochs = 500` becomes `epochs = 3`; the checkpoint file is "best_model.keras" in a temporary
# folder (Keras 3 saves `.h5` only as a legacy format); `ReLU` is `Activation("relu")` until the
# activation layers land (the same function); the data are synthetic, of FordA's shapes and
# label values, with fewer samples and steps (3601 x 500 -> 200 x 64).
TIMESERIES_PROGRAM = """
import numpy as np
import jeras as keras

x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

num_classes = len(np.unique(y_train))

idx = np.random.permutation(len(x_train))
x_train = x_train[idx]
y_train = y_train[idx]

y_train[y_train == -1] = 0
y_test[y_test == -1] = 0


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)

    conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.Activation("relu")(conv1)

    conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.Activation("relu")(conv2)

    conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
    conv3 = keras.layers.BatchNormalization()(conv3)
    conv3 = keras.layers.Activation("relu")(conv3)

    gap = keras.layers.GlobalAveragePooling1D()(conv3)

    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
start_from(model)

epochs = 3
batch_size = 32

callbacks = [
    keras.callbacks.ModelCheckpoint(
        checkpoint_path, save_best_only=True, monitor="val_loss"
    ),
    keras.callbacks.ReduceLROnPlateau(
        monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
    ),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
]
model.compile(
    optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    callbacks=callbacks,
    validation_split=0.2,
    verbose=1,
)

model = keras.models.load_model(checkpoint_path)

y_pred = model.predict(x_test).argmax(axis=1)
"""


def _synthetic_forda(num_train=200, num_test=50, steps=64):
    """FordA-like series: labels -1/1, class 1 with a slow sine on top of the noise."""
    rng = np.random.default_rng(5)

    def draw(n):
        y = rng.choice([-1, 1], n)
        t = np.linspace(0, 4 * np.pi, steps)
        x = rng.standard_normal((n, steps)) + (y[:, None] > 0) * np.sin(t)
        return x, y.astype(int)

    return draw(num_train), draw(num_test)


def _run_timeseries(lib, tmp_path, start_from):
    (x_train, y_train), (x_test, y_test) = _synthetic_forda()
    program = TIMESERIES_PROGRAM
    if lib is keras:
        program = program.replace("import jeras as keras", "import keras")
    namespace = dict(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        start_from=start_from,
        checkpoint_path=str(tmp_path / f"best_model_{lib.__name__}.keras"),
    )
    np.random.seed(0)  # the program's permutation and fit's shuffling: the same on both sides
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(program, namespace)
    assert namespace["keras"] is lib
    return namespace


@pytest.mark.slow
def test_timeseries_classification_program_trains_like_keras(tmp_path):
    start = {}

    def keep_keras_weights(model):
        start["weights"] = model.get_weights()

    def take_keras_weights(model):
        model.set_weights(start["weights"])

    keras.utils.set_random_seed(1)
    want = _run_timeseries(keras, tmp_path, keep_keras_weights)
    got = _run_timeseries(jeras, tmp_path, take_keras_weights)
    k_history, j_history = want["history"].history, got["history"].history
    assert sorted(j_history) == sorted(k_history)
    # Adam over 15 steps through three BatchNormalizations, float32: 1e-4 relative.
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(j_history[key], k_history[key], rtol=1e-4, err_msg=key)
    for key in ("accuracy", "val_accuracy"):
        np.testing.assert_allclose(j_history[key], k_history[key], atol=1.01 / 40, err_msg=key)
    np.testing.assert_allclose(
        got["model"].predict(want["x_test"], verbose=0),
        want["model"].predict(want["x_test"], verbose=0),
        **matmul_tolerance(atol=1e-4, rtol=1e-4),
    )
    assert (got["y_pred"] == want["y_pred"]).mean() > 0.95
