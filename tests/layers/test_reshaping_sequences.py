"""RepeatVector, Permute, Cropping1D, ZeroPadding1D, UpSampling1D against Keras 3 and NumPy:
outputs (eager and symbolic shapes), gradients through `fit`, configs, `.keras` files both ways
and bad input."""

import json

import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, assert_same_history, matmul_tolerance

import jeras

RNG = np.random.default_rng(3)


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


CASES = [
    ("RepeatVector", (3,), dict(n=4), lambda x: np.repeat(x[:, None, :], 4, axis=1)),
    ("Permute", (3, 4), dict(dims=(2, 1)), lambda x: x.transpose(0, 2, 1)),
    ("Permute", (2, 3, 4), dict(dims=(3, 1, 2)), lambda x: x.transpose(0, 3, 1, 2)),
    ("Cropping1D", (6, 2), {}, lambda x: x[:, 1:-1]),
    ("Cropping1D", (6, 2), dict(cropping=(2, 0)), lambda x: x[:, 2:]),
    ("Cropping1D", (7, 2), dict(cropping=3), lambda x: x[:, 3:4]),
    ("ZeroPadding1D", (4, 2), {}, lambda x: np.pad(x, ((0, 0), (1, 1), (0, 0)))),
    ("ZeroPadding1D", (4, 2), dict(padding=(0, 3)), lambda x: np.pad(x, ((0, 0), (0, 3), (0, 0)))),
    (
        "ZeroPadding1D",
        (2, 5),
        dict(padding=(2, 1), data_format="channels_first"),
        lambda x: np.pad(x, ((0, 0), (0, 0), (2, 1))),
    ),
    ("UpSampling1D", (3, 2), {}, lambda x: np.repeat(x, 2, axis=1)),
    ("UpSampling1D", (3, 2), dict(size=3), lambda x: np.repeat(x, 3, axis=1)),
]


@pytest.mark.parametrize("cls_name, shape, kwargs, formula", CASES)
def test_matches_keras_and_numpy(cls_name, shape, kwargs, formula):
    x = _x(2, *shape)
    want = as_numpy(getattr(keras.layers, cls_name)(**kwargs)(x))
    got = as_numpy(getattr(jeras.layers, cls_name)(**kwargs)(x))
    assert_close(got, want, check_shape=True, atol=0, rtol=0)
    np.testing.assert_array_equal(got, formula(x))


@pytest.mark.parametrize("cls_name, shape, kwargs, formula", CASES)
def test_symbolic_shapes_match_keras(cls_name, shape, kwargs, formula):
    # The time axis unknown where the layer allows it, as in a variable-length sequence model.
    symbolic = (None,) + shape[1:] if len(shape) == 2 and cls_name != "Permute" else shape
    k_out = getattr(keras.layers, cls_name)(**kwargs)(keras.Input(symbolic))
    j_out = getattr(jeras.layers, cls_name)(**kwargs)(jeras.Input(symbolic))
    assert tuple(j_out.shape) == tuple(k_out.shape)


@pytest.mark.parametrize("cls_name, shape, kwargs, formula", CASES)
def test_config_matches_keras_and_round_trips(cls_name, shape, kwargs, formula):
    k_layer = getattr(keras.layers, cls_name)(name="probe", **kwargs)
    j_layer = getattr(jeras.layers, cls_name)(name="probe", **kwargs)
    x = _x(2, *shape)
    k_layer(x)
    j_layer(x)
    k_config = json.loads(json.dumps(keras.saving.serialize_keras_object(k_layer)))
    j_config = json.loads(json.dumps(jeras.saving.serialize_keras_object(j_layer)))
    assert j_config == k_config
    rebuilt = jeras.saving.deserialize_keras_object(k_config)
    assert type(rebuilt) is type(j_layer)
    np.testing.assert_array_equal(rebuilt(x), formula(x))


def _sequence_model(lib):
    inputs = lib.Input((5,))
    hidden = lib.layers.Dense(3)(inputs)
    hidden = lib.layers.RepeatVector(6)(hidden)
    hidden = lib.layers.Conv1D(4, 2, padding="same")(hidden)
    hidden = lib.layers.Cropping1D((1, 2))(hidden)
    hidden = lib.layers.ZeroPadding1D((2, 0))(hidden)
    hidden = lib.layers.UpSampling1D(2)(hidden)
    hidden = lib.layers.Permute((2, 1))(hidden)
    hidden = lib.layers.Flatten()(hidden)
    return lib.Model(inputs, lib.layers.Dense(1)(hidden))


@pytest.mark.slow
def test_sequence_model_fits_like_keras():
    k_model, j_model = _sequence_model(keras), _sequence_model(jeras)
    j_model.set_weights(k_model.get_weights())
    x, y = _x(40, 5), _x(40, 1)
    histories = []
    for lib, model in ((keras, k_model), (jeras, j_model)):
        model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse")
        histories.append(model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0))
    assert_same_history(histories[1].history, histories[0].history, **matmul_tolerance())
    assert_close(j_model.get_weights(), k_model.get_weights(), **matmul_tolerance(atol=1e-5))


@pytest.mark.parametrize("saver, loader", [(jeras, keras), (keras, jeras)])
def test_keras_file_round_trip(tmp_path, saver, loader):
    model = _sequence_model(saver)
    x = _x(3, 5)
    path = str(tmp_path / "sequence.keras")
    model.save(path)
    loaded = loader.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    assert_close(
        as_numpy(loaded.predict(x, verbose=0)),
        as_numpy(model.predict(x, verbose=0)),
        **matmul_tolerance(),
    )


# -- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls_name, kwargs, error",
    [
        ("RepeatVector", dict(n=0), ValueError),
        ("RepeatVector", dict(n=2.0), TypeError),
        ("UpSampling1D", dict(size=-1), ValueError),
        ("UpSampling1D", dict(size="2"), TypeError),
        ("Permute", dict(dims=(0, 1)), ValueError),
        ("Permute", dict(dims=(1, 3)), ValueError),
        ("Cropping1D", dict(cropping=(1, -1)), ValueError),
        ("Cropping1D", dict(cropping=(1, 2, 3)), ValueError),
        ("ZeroPadding1D", dict(padding=-2), ValueError),
        ("ZeroPadding1D", dict(padding=1, data_format="nwc"), ValueError),
    ],
)
def test_bad_arguments(cls_name, kwargs, error):
    with pytest.raises(error, match=list(kwargs)[-1]):
        getattr(jeras.layers, cls_name)(**kwargs)


def test_cropping_the_whole_sequence_names_layer_and_shape():
    layer = jeras.layers.Cropping1D(3, name="crop")
    with pytest.raises(ValueError, match=r"crop.*\(2, 6, 2\)"):
        layer(_x(2, 6, 2))
    with pytest.raises(ValueError, match=r"crop.*\(None, 5, 2\)"):
        jeras.layers.Cropping1D(3, name="crop")(jeras.Input((5, 2)))


@pytest.mark.parametrize(
    "cls_name, kwargs, shape",
    [
        ("RepeatVector", dict(n=2), (2, 3, 4)),
        ("Permute", dict(dims=(2, 1)), (2, 3)),
        ("UpSampling1D", {}, (2, 3)),
        ("Cropping1D", {}, (2, 3, 4, 5)),
        ("ZeroPadding1D", {}, (2, 3)),
    ],
)
def test_wrong_rank_names_the_layer(cls_name, kwargs, shape):
    with pytest.raises(ValueError, match=rf'"bad_rank".*ndim={len(shape)}'):
        getattr(jeras.layers, cls_name)(name="bad_rank", **kwargs)(_x(*shape))
