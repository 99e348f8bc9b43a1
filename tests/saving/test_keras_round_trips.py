"""`.keras` files and weights files exchanged with real Keras 3, both ways.

Each model is built by one function, once with `keras` and once with `jeras`. A file written by
one library is opened by the other, and the oracle is always Keras: the predictions of the
model Keras saved or loaded, the config and weights layout Keras writes when it saves the model
it read back, and the loss of the next training step Keras takes from the same file.
"""

import io
import json
import os
import zipfile

import h5py
import keras
import numpy as np
import pytest
from oracle import as_numpy, assert_close, matmul_tolerance

import jeras

RNG = np.random.default_rng(0)
ATOL = 1e-6
FORWARD_TOLERANCE = matmul_tolerance(atol=ATOL, rtol=0)
AFTER_A_TRAINING_STEP_TOLERANCE = matmul_tolerance(atol=1e-5, rtol=0)


def _x(*shape):
    return RNG.random(shape).astype("float32")


def _clear():
    keras.backend.clear_session()
    jeras.backend.clear_session()


def _predict(model, x):
    return as_numpy(model.predict(x, verbose=0))


def _keras_forward(model, x):
    # Keras's eager call: its reference forward pass, without compiling a predict function.
    return as_numpy(model(x, training=False))


def _weights_layout(path):
    """{h5 path: (shape, dtype) for datasets, the `name` attribute for groups}."""
    if os.path.isdir(path):
        with open(os.path.join(path, "model.weights.h5"), "rb") as f:
            data = f.read()
    elif path.endswith(".keras"):
        with zipfile.ZipFile(path) as archive:
            data = archive.read("model.weights.h5")
    else:
        with open(path, "rb") as f:
            data = f.read()
    layout = {}
    with h5py.File(io.BytesIO(data), "r") as h5:

        def record(name, obj):
            if isinstance(obj, h5py.Dataset):
                layout[name] = (obj.shape, str(obj.dtype))
            else:
                layout[name] = dict(obj.attrs).get("name")

        h5.visititems(record)
    return layout


def _config(path):
    with zipfile.ZipFile(path) as archive:
        return _normalized(json.loads(archive.read("config.json")))


def _normalized(config):
    """Keras marks objects it meets twice with `shared_object_id` and records the
    `training`/`mask` call defaults of each call; neither changes the model."""
    if isinstance(config, dict):
        out = {k: _normalized(v) for k, v in config.items() if k != "shared_object_id"}
        if isinstance(out.get("kwargs"), dict):
            out["kwargs"] = {
                k: v
                for k, v in out["kwargs"].items()
                if not (k == "mask" and v is None) and k != "training"
            }
        return out
    if isinstance(config, list):
        return [_normalized(v) for v in config]
    return config


# -- the same classes and models, for either library --------------------------------------------
def _define_custom_classes(K):
    @K.saving.register_keras_serializable(package="RoundTrip")
    class Scaled(K.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.inner = K.layers.Dense(units)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), name="scale", initializer="ones")
            self.inner.build(input_shape)

        def call(self, x):
            return self.inner(x * self.scale)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    @K.saving.register_keras_serializable(package="RoundTrip", name="Net")
    class Net(K.Model):
        def __init__(self, hidden=5, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.d1 = K.layers.Dense(hidden, activation="relu")
            self.blocks = [K.layers.Dense(hidden), Scaled(3)]
            self.head = K.layers.Dense(1)

        def call(self, x):
            x = self.d1(x)
            for block in self.blocks:
                x = block(x)
            return self.head(x)

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    return Scaled, Net


# Both libraries must know both classes before any file is read.
_CUSTOM = {K.__name__: _define_custom_classes(K) for K in (keras, jeras)}


def _sequential(K):
    model = K.Sequential(
        [
            K.Input((5,)),
            K.layers.Dense(8, activation="relu", kernel_regularizer=K.regularizers.L2(1e-3)),
            K.layers.ActivityRegularization(l2=1e-3),
            K.layers.Dense(8, activation="tanh"),
            K.layers.Dense(3, activation="softmax"),
        ],
        name="seq",
    )
    model.compile(
        optimizer=K.optimizers.Adam(learning_rate=0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy", K.metrics.AUC(name="auc")],
    )
    return model


def _graph(K):
    """Dict inputs and outputs; a nested functional model, a nested Sequential, a registered
    custom layer, a shared layer and tensor operators."""
    Scaled, _ = _CUSTOM[K.__name__]
    inner_in = K.Input((4,), name="inner_in")
    inner = K.Model(inner_in, K.layers.Dense(5, name="inner_dense")(inner_in), name="inner")
    stack = K.Sequential(
        [K.Input((5,)), K.layers.Dense(5, activation="relu", name="stack_d")], name="stack"
    )
    a = K.Input((4,), name="in_a")
    b = K.Input((3,), name="in_b")
    ha = stack(inner(a))
    hb = K.layers.Dense(5, activation="tanh", name="proj_b")(b)
    shared = K.layers.Dense(5, name="shared")
    merged = K.layers.Concatenate(name="concat")([shared(ha), shared(hb), 1.0 - hb * 2.0])
    picked = K.layers.Reshape((3, 5), name="reshape")(merged)[:, 1:]
    out_1 = K.layers.Dense(2, name="head_1")(
        Scaled(4, name="scaled")(K.layers.Flatten(name="flatten")(picked))
    )
    out_2 = K.layers.Dense(1, activation="sigmoid", name="head_2")(
        K.layers.Add(name="plus")([ha, hb])
    )
    model = K.Model(inputs={"a": a, "b": b}, outputs={"reg": out_1, "cls": out_2}, name="graph")
    model.compile(
        optimizer=K.optimizers.RMSprop(learning_rate=0.005, momentum=0.5),
        loss={"reg": "mse", "cls": K.losses.BinaryCrossentropy()},
        loss_weights={"reg": 1.0, "cls": 0.5},
        metrics={"reg": ["mae"], "cls": ["accuracy"]},
    )
    return model


def _subclassed(K):
    _, Net = _CUSTOM[K.__name__]
    model = Net(hidden=6, name="net")
    # A learning-rate schedule: the optimizer has no learning-rate variable then.
    schedule = K.optimizers.schedules.ExponentialDecay(0.02, decay_steps=3, decay_rate=0.5)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=schedule), loss="mse", metrics=["mae"])
    return model


_BUILDERS = {"sequential": _sequential, "graph": _graph, "subclassed": _subclassed}


def _data(name):
    if name == "sequential":
        return _x(16, 5), np.eye(3, dtype="float32")[RNG.integers(0, 3, 16)]
    if name == "graph":
        return (
            {"a": _x(16, 4), "b": _x(16, 3)},
            {"reg": _x(16, 2), "cls": (RNG.random((16, 1)) > 0.5).astype("float32")},
        )
    return _x(16, 3), _x(16, 1)


def _trained(K, name, x, y):
    """A model of kind `name`, compiled and trained two steps (so the optimizer has state)."""
    _clear()
    model = _BUILDERS[name](K)
    for _ in range(2):
        model.train_on_batch(x, y)
    return model


# -- jeras -> Keras and Keras -> jeras ------------------------------------------------------------
@pytest.mark.parametrize("name", list(_BUILDERS))
def test_jeras_file_opens_in_keras(name, tmp_path):
    x, y = _data(name)
    model = _trained(jeras, name, x, y)
    path = str(tmp_path / "model.keras")
    model.save(path)

    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        metadata = json.loads(archive.read("metadata.json"))
    assert "keras_version" in metadata and "date_saved" in metadata

    reloaded = keras.saving.load_model(path)
    assert_close(_keras_forward(reloaded, x), _predict(model, x), **FORWARD_TOLERANCE)
    assert reloaded.name == model.name
    assert [l.name for l in reloaded.layers] == [l.name for l in model.layers]

    # Keras writes the model it read back exactly as jeras wrote it: the same config.json (up
    # to the call defaults Keras records) and the same weights layout (group paths, `name`
    # attributes, dataset shapes and dtypes, optimizer variables included).
    resaved = str(tmp_path / "resaved.keras")
    reloaded.save(resaved)
    assert _config(path) == _config(resaved)
    assert _weights_layout(path) == _weights_layout(resaved)

    # Keras restored the compile state and the optimizer state: its next training step from
    # the file equals jeras's next step from the same state.
    assert reloaded.compiled
    assert int(reloaded.optimizer.iterations.numpy()) == int(model.optimizer.iterations.value)
    k_loss = reloaded.train_on_batch(x, y, return_dict=True)["loss"]
    j_loss = model.train_on_batch(x, y, return_dict=True)["loss"]
    np.testing.assert_allclose(j_loss, k_loss, rtol=1e-5)
    assert_close(_predict(model, x), _keras_forward(reloaded, x), **AFTER_A_TRAINING_STEP_TOLERANCE)


@pytest.mark.parametrize("name", list(_BUILDERS))
def test_keras_file_opens_in_jeras(name, tmp_path):
    x, y = _data(name)
    model = _trained(keras, name, x, y)
    path = str(tmp_path / "model.keras")
    model.save(path)

    reloaded = jeras.saving.load_model(path)
    assert_close(_predict(reloaded, x), _keras_forward(model, x), **FORWARD_TOLERANCE)
    assert reloaded.compiled
    assert reloaded.name == model.name
    assert [l.name for l in reloaded.layers] == [l.name for l in model.layers]
    assert int(reloaded.optimizer.iterations.value) == int(model.optimizer.iterations.numpy())
    assert reloaded.optimizer.get_config() == model.optimizer.get_config()
    # jeras writes the model it read back as Keras wrote it.
    resaved = str(tmp_path / "resaved.keras")
    reloaded.save(resaved)
    assert _config(resaved) == _config(path)
    assert _weights_layout(resaved) == _weights_layout(path)
    # Continue training from the file in both libraries: same next loss and weights.
    k_loss = model.train_on_batch(x, y, return_dict=True)["loss"]
    j_loss = reloaded.train_on_batch(x, y, return_dict=True)["loss"]
    np.testing.assert_allclose(j_loss, k_loss, rtol=1e-5)
    assert_close(_predict(reloaded, x), _keras_forward(model, x), **AFTER_A_TRAINING_STEP_TOLERANCE)


# -- jeras alone, and weights files ----------------------------------------------------------------
def _assert_same_weights(actual_model, expected_model):
    actual, expected = actual_model.get_weights(), expected_model.get_weights()
    assert [w.shape for w in actual] == [w.shape for w in expected]
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_continued_training_equals_uninterrupted(tmp_path):
    """Save mid-training, load, go on: the same weights and optimizer state as never stopping."""
    x, y = _data("sequential")
    _clear()
    uninterrupted = _sequential(jeras)
    interrupted = _sequential(jeras)
    for model in (uninterrupted, interrupted):
        model.compile(
            optimizer=jeras.optimizers.Adam(learning_rate=0.01), loss="categorical_crossentropy"
        )
    interrupted.set_weights(uninterrupted.get_weights())
    uninterrupted.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    interrupted.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = str(tmp_path / "mid.keras")
    interrupted.save(path)
    resumed = jeras.models.load_model(path)
    history = resumed.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 2
    for got, want in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)
    assert len(resumed.optimizer.variables) == len(uninterrupted.optimizer.variables)
    for got, want in zip(resumed.optimizer.variables, uninterrupted.optimizer.variables):
        np.testing.assert_allclose(np.asarray(got.value), np.asarray(want.value), atol=1e-6)


def test_weights_files_both_ways_and_skip_mismatch(tmp_path):
    _clear()
    k_model, j_model = _sequential(keras), _sequential(jeras)
    k_path = str(tmp_path / "k.weights.h5")
    k_model.save_weights(k_path)
    j_model.load_weights(k_path)
    _assert_same_weights(j_model, k_model)

    j_model.set_weights([w * 0.5 for w in j_model.get_weights()])
    j_path = str(tmp_path / "j.weights.h5")
    j_model.save_weights(j_path)
    assert _weights_layout(j_path) == _weights_layout(k_path)
    k_model.load_weights(j_path)
    _assert_same_weights(k_model, j_model)

    # Weights from a `.keras` archive.
    archive_path = str(tmp_path / "k.keras")
    k_model.save(archive_path)
    other = _sequential(jeras)
    other.load_weights(archive_path)
    _assert_same_weights(other, k_model)

    # A last layer of another width: a ValueError, or with skip_mismatch a warning and the
    # layers that fit loaded.
    wider = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8),
            keras.layers.ActivityRegularization(),
            keras.layers.Dense(8),
            keras.layers.Dense(4),
        ]
    )
    wider_path = str(tmp_path / "wider.weights.h5")
    wider.save_weights(wider_path)
    before = other.get_weights()
    with pytest.raises(ValueError, match="shape"):
        other.load_weights(wider_path)
    other.set_weights(before)
    with pytest.warns(UserWarning, match="could not be loaded"):
        other.load_weights(wider_path, skip_mismatch=True)
    loaded, expected = other.get_weights(), wider.get_weights()
    for got, want in zip(loaded[:4], expected[:4]):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(loaded[4:], before[4:]):
        np.testing.assert_array_equal(got, want)


def test_extensionless_path_is_a_directory_both_libraries_read(tmp_path):
    _clear()
    model = _sequential(jeras)
    path = str(tmp_path / "mymodel_3")
    model.save(path)
    assert sorted(os.listdir(path)) == ["config.json", "metadata.json", "model.weights.h5"]
    _assert_same_weights(jeras.models.load_model(path), model)
    from_keras = keras.saving.load_model(path)
    _assert_same_weights(from_keras, model)
    assert from_keras.compiled
    # Saving again over the directory replaces its files; weights load from it too.
    model.set_weights([w + 1.0 for w in model.get_weights()])
    model.save(path)
    _assert_same_weights(jeras.models.load_model(path), model)
    fresh = _sequential(jeras)
    fresh.load_weights(path)
    _assert_same_weights(fresh, model)
    # A directory Keras writes (`zipped=False`) opens in jeras.
    keras_dir = str(tmp_path / "from_keras")
    from_keras.save(keras_dir, zipped=False)
    _assert_same_weights(jeras.saving.load_model(keras_dir), from_keras)
