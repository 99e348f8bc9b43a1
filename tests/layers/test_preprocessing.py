"""Preprocessing layers inside the model against real Keras 3.

Deterministic layers (Rescaling, Resizing, CenterCrop, Normalization and its `adapt`) must give
Keras's outputs. Random layers cannot replay Keras's draws (different key layouts), so their
deterministic parts are checked exactly (identity outside training, the geometry of a fixed
factor, RandomFlip's two outcomes) and their draws statistically, against Keras's own draws or
the documented distribution. Then: reproducibility under `set_random_seed`, augmentation on in
`fit` and off in `predict`, configs and `.keras` files both ways, and bad input."""

import keras
import numpy as np
import pytest
from oracle import (
    assert_close,
    assert_config_matches_keras,
    assert_keras_files_round_trip,
)

import jeras

RNG = np.random.default_rng(21)


def _images(*shape, high=255.0):
    return RNG.uniform(0, high, shape).astype("float32")


def _both(name, *args, **kwargs):
    return getattr(keras.layers, name)(*args, **kwargs), getattr(jeras.layers, name)(
        *args, **kwargs
    )


# -- deterministic layers ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, x",
    [
        (dict(scale=1 / 255.0), _images(2, 4, 4, 3)),
        (dict(scale=1 / 127.5, offset=-1), _images(2, 4, 4, 3)),
        (dict(scale=[0.5, 2.0, 1.0], offset=[0.0, 1.0, -1.0]), _images(2, 4, 4, 3)),
        (dict(scale=0.1), RNG.integers(0, 255, (2, 3, 3, 1)).astype("uint8")),
    ],
)
def test_rescaling_matches_keras(kwargs, x):
    k_layer, j_layer = _both("Rescaling", **kwargs)
    expected = np.asarray(k_layer(x))
    got = np.asarray(j_layer(x))
    assert got.dtype == expected.dtype == np.float32
    assert_close(got, expected, check_shape=True)


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        (dict(height=3, width=5), (2, 6, 4, 3)),
        (dict(height=8, width=7, interpolation="nearest"), (2, 5, 4, 2)),
        (dict(height=4, width=4, interpolation="bicubic"), (1, 7, 5, 2)),
        (dict(height=3, width=3, antialias=True), (2, 9, 6, 1)),
        (dict(height=4, width=6, crop_to_aspect_ratio=True), (2, 7, 5, 3)),
        (dict(height=4, width=6, pad_to_aspect_ratio=True, fill_value=7.0), (2, 7, 5, 3)),
        (dict(height=6, width=3, pad_to_aspect_ratio=True), (2, 4, 5, 3)),
        (dict(height=3, width=4, data_format="channels_first"), (2, 3, 7, 5)),
        (dict(height=3, width=4), (6, 5, 3)),  # one image, no batch axis
    ],
)
def test_resizing_matches_keras(kwargs, shape):
    x = _images(*shape)
    k_layer, j_layer = _both("Resizing", **kwargs)
    assert_close(np.asarray(j_layer(x)), np.asarray(k_layer(x)), atol=1e-3, check_shape=True)


def test_resizing_keeps_integer_images_integer_as_keras():
    x = RNG.integers(0, 255, (2, 5, 7, 3)).astype("uint8")
    k_layer, j_layer = _both("Resizing", 3, 4)
    expected, got = np.asarray(k_layer(x)), np.asarray(j_layer(x))
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got.astype(int), expected.astype(int), atol=1)


@pytest.mark.parametrize(
    "args, shape, data_format",
    [
        ((3, 4), (2, 7, 6, 3), None),
        ((4, 4), (2, 5, 5, 1), None),
        ((8, 6), (2, 5, 4, 2), None),  # smaller than the target: crop to aspect, resize
        ((3, 2), (2, 3, 7, 5), "channels_first"),
    ],
)
def test_center_crop_matches_keras(args, shape, data_format):
    x = _images(*shape)
    k_layer, j_layer = _both("CenterCrop", *args, data_format=data_format)
    assert_close(np.asarray(j_layer(x)), np.asarray(k_layer(x)), atol=1e-3, check_shape=True)


@pytest.mark.parametrize(
    "kwargs, shape",
    [
        (dict(mean=2.0, variance=4.0), (3, 4)),
        (dict(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]), (5, 3)),
        (dict(axis=(1, 2), mean=[[1.0, 2.0]] * 3, variance=[[1.0, 4.0]] * 3), (4, 3, 2)),
        (dict(axis=1, mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]), (4, 3, 2)),
        (dict(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0], invert=True), (5, 3)),
    ],
)
def test_normalization_with_given_statistics_matches_keras(kwargs, shape):
    x = RNG.normal(2.0, 3.0, shape).astype("float32")
    k_layer, j_layer = _both("Normalization", **kwargs)
    assert_close(np.asarray(j_layer(x)), np.asarray(k_layer(x)), check_shape=True)


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1])
def test_normalization_adapt_on_arrays_matches_keras(axis):
    data = RNG.normal(5.0, 2.0, (50, 4, 3)).astype("float32")
    k_layer, j_layer = _both("Normalization", axis=axis)
    k_layer.adapt(data)
    j_layer.adapt(data)
    assert [w.name for w in j_layer.weights] == [w.name for w in k_layer.weights]
    for got, want in zip(j_layer.get_weights(), k_layer.get_weights()):
        assert_close(got, want, atol=1e-4, rtol=1e-5, check_shape=True)
    x = RNG.normal(5.0, 2.0, (6, 4, 3)).astype("float32")
    assert_close(np.asarray(j_layer(x)), np.asarray(k_layer(x)), atol=1e-4)


def test_normalization_adapt_on_batch_sources_equals_the_whole_array():
    data = RNG.normal(-1.0, 4.0, (100, 3)).astype("float32")
    expected = keras.layers.Normalization()
    expected.adapt(data)
    targets = np.zeros((100, 1), "float32")

    class Batches(jeras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            rows = slice(index * 30, min(100, (index + 1) * 30))
            return data[rows], targets[rows]

    sources = {
        "list of batches": [data[:30], data[30:70], data[70:]],
        "generator of (x, y)": ((data[i : i + 25], targets[i : i + 25]) for i in range(0, 100, 25)),
        "PyDataset": Batches(),
    }
    for kind, source in sources.items():
        layer = jeras.layers.Normalization()
        layer.adapt(source)
        for got, want in zip(layer.get_weights()[:2], expected.get_weights()[:2]):
            assert_close(got, want, atol=1e-4, err_msg=kind)


def test_normalization_adapt_on_a_tf_dataset():
    tf = pytest.importorskip("tensorflow")
    data = RNG.normal(3.0, 2.0, (64, 2)).astype("float32")
    layer = jeras.layers.Normalization()
    layer.adapt(tf.data.Dataset.from_tensor_slices(data).batch(16))
    assert_close(layer.get_weights()[0], data.mean(0), atol=1e-4)
    assert_close(layer.get_weights()[1], data.var(0), atol=1e-3)


def test_normalization_built_symbolically_then_adapted():
    # The keras.io pattern: build the model first, adapt the layer afterwards.
    data = RNG.normal(1.0, 2.0, (40, 3)).astype("float32")
    norm = jeras.layers.Normalization()
    inputs = jeras.Input((3,))
    model = jeras.Model(inputs, norm(inputs))
    norm.adapt(data)
    expected = (data - data.mean(0)) / data.std(0)
    assert_close(model.predict(data, verbose=0), expected, atol=1e-4)


# -- random layers: the deterministic parts ---------------------------------------------------
_RANDOM = [
    ("RandomFlip", (), {}),
    ("RandomRotation", (0.2,), {}),
    ("RandomZoom", (0.3, 0.2), {}),
    ("RandomTranslation", (0.2, 0.3), {}),
    ("RandomContrast", (0.4,), {}),
    ("RandomBrightness", (0.3,), {}),
]


@pytest.mark.parametrize("name, args, kwargs", _RANDOM)
def test_random_layers_are_the_identity_outside_training(name, args, kwargs):
    x = _images(16, 6, 5, 2)
    k_layer, j_layer = _both(name, *args, **kwargs)
    got = np.asarray(j_layer(x, training=False))
    np.testing.assert_array_equal(got, np.asarray(k_layer(x, training=False)))
    np.testing.assert_array_equal(got, x)
    # Called directly without `training`, they augment (Keras's default).
    assert not np.array_equal(np.asarray(j_layer(x)), x)


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("RandomRotation", dict(factor=(0.25, 0.25))),
        ("RandomRotation", dict(factor=(-0.1, -0.1), fill_mode="constant", fill_value=9.0)),
        ("RandomRotation", dict(factor=(0.05, 0.05), fill_mode="wrap", interpolation="nearest")),
        ("RandomRotation", dict(factor=(0.3, 0.3), fill_mode="nearest")),
        ("RandomZoom", dict(height_factor=(0.3, 0.3))),
        ("RandomZoom", dict(height_factor=(-0.4, -0.4), width_factor=(0.2, 0.2))),
        ("RandomZoom", dict(height_factor=(0.5, 0.5), fill_mode="constant")),
        ("RandomTranslation", dict(height_factor=(0.2, 0.2), width_factor=(-0.3, -0.3))),
        (
            "RandomTranslation",
            dict(height_factor=(0.1, 0.1), width_factor=(0.25, 0.25), data_format="channels_first"),
        ),
        ("RandomBrightness", dict(factor=(0.1, 0.1))),
        ("RandomBrightness", dict(factor=(-0.3, -0.3), value_range=(0, 1))),
    ],
)
def test_geometry_of_a_fixed_factor_matches_keras(name, kwargs):
    # With lower == upper the draw is a constant, so Keras's output is deterministic.
    shape = (2, 3, 7, 6) if kwargs.get("data_format") == "channels_first" else (2, 7, 6, 3)
    high = 1.0 if kwargs.get("value_range") == (0, 1) else 255.0
    x = _images(*shape, high=high)
    k_layer, j_layer = _both(name, **kwargs)
    expected = np.asarray(k_layer(x, training=True))
    assert_close(np.asarray(j_layer(x, training=True)), expected, atol=1e-3, rtol=1e-4)
    # A single image, without the batch axis.
    assert_close(
        np.asarray(j_layer(x[0], training=True)),
        np.asarray(k_layer(x[0], training=True)),
        atol=1e-3,
        rtol=1e-4,
    )


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_outcomes_are_keras_two_images(mode):
    x = _images(400, 3, 4, 1)
    axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[mode]
    flipped = np.flip(x, axis=axes)
    for lib in (keras, jeras):
        out = np.asarray(lib.layers.RandomFlip(mode, seed=3)(x, training=True))
        same = np.all(out == x, axis=(1, 2, 3))
        turned = np.all(out == flipped, axis=(1, 2, 3))
        assert np.all(same | turned), f"{lib.__name__}: an image is neither kept nor flipped"
        assert abs(turned.mean() - 0.5) < 0.1, lib.__name__


def _draw_statistics(lib, name, args, kwargs, x):
    layer = getattr(lib.layers, name)(*args, seed=7, **kwargs)
    return np.asarray(layer(x, training=True))


def _quantiles(values):
    return np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])


@pytest.mark.parametrize(
    "name, args, kwargs, tolerance",
    [
        ("RandomRotation", (0.1,), dict(fill_mode="constant"), 0.05),
        ("RandomZoom", (0.3,), dict(fill_mode="constant"), 0.05),
        ("RandomZoom", ((-0.3, 0.1), (0.0, 0.4)), dict(fill_mode="constant"), 0.05),
        ("RandomTranslation", (0.2, (-0.1, 0.3)), dict(fill_mode="constant"), 0.05),
    ],
)
def test_geometric_draws_follow_keras_distribution(name, args, kwargs, tolerance):
    # 1500 copies of one image with a single bright row and column: where the row's and the
    # column's mass lands (and how much survives) measures each image's transform. The
    # quantiles of those measures over the draws must agree with Keras's own draws.
    image = np.zeros((15, 15, 1), "float32")
    image[4, :, 0] = 1.0
    image[:, 10, 0] = 1.0
    x = np.repeat(image[None], 1500, axis=0)
    rows = np.arange(15, dtype="float32")

    def measures(out):
        out = out[..., 0]
        mass = out.sum(axis=(1, 2)) + 1e-6
        row_centre = (out.sum(axis=2) * rows).sum(axis=1) / mass
        col_centre = (out.sum(axis=1) * rows).sum(axis=1) / mass
        return [mass / image.sum(), row_centre / 15, col_centre / 15]

    k_measures = measures(_draw_statistics(keras, name, args, kwargs, x))
    j_measures = measures(_draw_statistics(jeras, name, args, kwargs, x))
    for k_values, j_values in zip(k_measures, j_measures):
        np.testing.assert_allclose(_quantiles(j_values), _quantiles(k_values), atol=tolerance)


def test_brightness_and_contrast_draws_follow_keras_formulas():
    # Offsets: uniform on [lower, upper] * (max - min); contrast factors: uniform on
    # [1 - lower, 1 + upper] of the stored factor (Keras 3.15's rule).
    x = np.full((3000, 2, 2, 1), 100.0, "float32")
    x[:, 0, 0, 0] = 120.0
    layer = jeras.layers.RandomBrightness((-0.1, 0.2), value_range=(0, 1000), seed=1)
    delta = np.asarray(layer(x, training=True))[:, 1, 1, 0] - 100.0
    assert delta.min() >= -100.0 - 1e-3 and delta.max() <= 200.0 + 1e-3
    np.testing.assert_allclose(_quantiles(delta), _quantiles(np.linspace(-100, 200, 3000)), atol=12)
    layer = jeras.layers.RandomContrast(0.5, value_range=(0, 1000), seed=1)
    assert layer.factor == (0, 0.5)
    out = np.asarray(layer(x, training=True))
    mean = 105.0
    factor = (out[:, 0, 0, 0] - mean) / (120.0 - mean)
    np.testing.assert_allclose(
        _quantiles(factor), _quantiles(np.linspace(1.0, 1.5, 3000)), atol=0.03
    )
    # Keras draws from the same range.
    k_out = np.asarray(keras.layers.RandomContrast(0.5, value_range=(0, 1000), seed=1)(x))
    k_factor = (k_out[:, 0, 0, 0] - mean) / (120.0 - mean)
    np.testing.assert_allclose(_quantiles(factor), _quantiles(k_factor), atol=0.03)


def test_random_crop_windows_and_inference():
    x = _images(2, 9, 8, 1)
    layer = jeras.layers.RandomCrop(5, 4, seed=2)
    windows = set()
    for _ in range(30):
        out = np.asarray(layer(x, training=True))
        assert out.shape == (2, 5, 4, 1)
        # The same window for the whole batch, found in the input at some offset.
        found = [
            (top, left)
            for top in range(5)
            for left in range(5)
            if np.array_equal(out, x[:, top : top + 5, left : left + 4])
        ]
        assert len(found) == 1
        windows.add(found[0])
    assert len(windows) > 5
    # Outside training: the largest centred window of the target's aspect ratio, resized,
    # as Keras documents it (Keras 3.15 itself returns its input unchanged there).
    expected = np.asarray(keras.layers.Resizing(5, 4, crop_to_aspect_ratio=True)(x))
    assert_close(np.asarray(layer(x, training=False)), expected, atol=1e-3)


@pytest.mark.parametrize(
    "name, args, kwargs", _RANDOM + [("RandomCrop", (4, 3), {})], ids=lambda v: str(v)
)
def test_random_layers_are_reproducible_under_set_random_seed(name, args, kwargs):
    x = _images(4, 6, 5, 2)

    def draws():
        jeras.utils.set_random_seed(9)
        layer = getattr(jeras.layers, name)(*args, **kwargs)
        return [np.asarray(layer(x, training=True)) for _ in range(2)]

    first, second = draws(), draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


# -- in fit / predict, files and configs -----------------------------------------------------------
def _augmenting_model(lib, augment=True):
    inputs = lib.Input((8, 8, 3))
    h = lib.layers.Rescaling(1 / 255.0)(inputs)
    if augment:
        h = lib.layers.RandomFlip("horizontal", seed=1)(h)
        h = lib.layers.RandomRotation(0.1, seed=2)(h)
        h = lib.layers.RandomZoom(0.1, seed=3)(h)
        h = lib.layers.RandomTranslation(0.1, 0.1, seed=4)(h)
        h = lib.layers.RandomContrast(0.2, value_range=(0, 1), seed=5)(h)
        h = lib.layers.RandomBrightness(0.1, value_range=(0, 1), seed=6)(h)
    h = lib.layers.Conv2D(2, 3)(h)
    h = lib.layers.GlobalAveragePooling2D()(h)
    return lib.Model(inputs, lib.layers.Dense(1)(h))


@pytest.mark.slow
def test_augmentation_is_on_in_fit_and_off_in_predict_and_evaluate():
    x = _images(48, 8, 8, 3)
    y = RNG.normal(size=(48, 1)).astype("float32")
    jeras.utils.set_random_seed(0)
    augmented = _augmenting_model(jeras)
    plain = _augmenting_model(jeras, augment=False)
    plain.set_weights(augmented.get_weights())
    for model in (augmented, plain):
        model.compile(optimizer=jeras.optimizers.SGD(0.05), loss="mse")
    augmented_loss = augmented.fit(x, y, batch_size=16, epochs=2, verbose=0).history["loss"]
    plain_loss = plain.fit(x, y, batch_size=16, epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(augmented_loss))
    assert not np.allclose(augmented_loss, plain_loss, rtol=1e-4)
    # Inference: the same numbers as Keras's model with the same weights.
    reference = _augmenting_model(keras)
    reference.set_weights(augmented.get_weights())
    expected = np.asarray(reference.predict(x, verbose=0))
    assert_close(augmented.predict(x, verbose=0), expected, atol=1e-4)
    assert_close(np.asarray(augmented(x, training=False)), expected, atol=1e-4)
    reference.compile(loss="mse")
    augmented.compile(loss="mse")
    np.testing.assert_allclose(
        augmented.evaluate(x, y, verbose=0), reference.evaluate(x, y, verbose=0), rtol=1e-4
    )
    # As in Keras, an eager call without `training` augments.
    assert not np.allclose(np.asarray(augmented(x)), expected, atol=1e-4)


@pytest.mark.parametrize(
    "name, args, kwargs",
    [
        ("Rescaling", (1 / 255.0,), dict(offset=-0.5)),
        ("Rescaling", ([0.5, 0.25],), {}),
        ("Normalization", (), dict(axis=(1, 2), mean=[1.0, 2.0], variance=[1.0, 4.0])),
        ("Normalization", (), dict(axis=None, invert=True)),
        ("Resizing", (4, 5), dict(interpolation="nearest", crop_to_aspect_ratio=True)),
        ("CenterCrop", (3, 2), dict(data_format="channels_first")),
        ("RandomFlip", ("horizontal",), dict(seed=3)),
        ("RandomRotation", ((-0.2, 0.1),), dict(fill_mode="constant", fill_value=1.0)),
        ("RandomZoom", (0.2,), dict(width_factor=(-0.1, 0.3), interpolation="nearest")),
        ("RandomTranslation", (0.1, (0.0, 0.2)), dict(fill_mode="wrap", seed=2)),
        ("RandomCrop", (4, 3), dict(seed=11)),
        ("RandomContrast", (0.3,), dict(value_range=(0, 1), seed=1)),
        ("RandomBrightness", ((-0.2, 0.4),), dict(value_range=(-1, 1))),
    ],
)
def test_configs_match_keras_both_ways(name, args, kwargs):
    assert_config_matches_keras(name, *args, **kwargs)


@pytest.mark.slow
def test_keras_files_round_trip_both_ways(tmp_path):
    data = RNG.normal(100.0, 30.0, (20, 6, 6, 3)).astype("float32")

    def build(lib):
        lib.utils.set_random_seed(3)
        norm = lib.layers.Normalization()
        norm.adapt(data)
        inputs = lib.Input((6, 6, 3))
        h = norm(inputs)
        h = lib.layers.Rescaling(0.5, offset=0.1)(h)
        h = lib.layers.RandomFlip(seed=1)(h)
        h = lib.layers.RandomRotation(0.1)(h)
        h = lib.layers.RandomZoom(0.1)(h)
        h = lib.layers.RandomTranslation(0.1, 0.1)(h)
        h = lib.layers.RandomContrast(0.1)(h)
        h = lib.layers.RandomBrightness(0.1)(h)
        h = lib.layers.Resizing(8, 8)(h)
        h = lib.layers.CenterCrop(5, 5)(h)
        h = lib.layers.Conv2D(2, 3)(h)
        return lib.Model(inputs, h)

    assert_keras_files_round_trip(build, data[:4], tmp_path, atol=1e-4)


# -- bad input --------------------------------------------------------------------------------
def test_normalization_before_adapt_is_a_clear_error():
    layer = jeras.layers.Normalization(name="norm")
    with pytest.raises(ValueError, match=r"'norm' has no mean and variance yet.*adapt"):
        layer(np.ones((2, 3), "float32"))
    # Inside a model, fit() reports it too (the model can be built before adapt).
    inputs = jeras.Input((3,))
    model = jeras.Model(
        inputs, jeras.layers.Dense(1)(jeras.layers.Normalization(name="n2")(inputs))
    )
    model.compile(loss="mse")
    with pytest.raises(ValueError, match=r"'n2' has no mean and variance yet"):
        model.fit(np.ones((4, 3), "float32"), np.ones((4, 1), "float32"), verbose=0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: jeras.layers.Normalization(mean=1.0), "give both `mean` and `variance`"),
        (
            lambda: jeras.layers.Normalization(mean=[1.0, 2.0], variance=[1.0]),
            "must have the same shape",
        ),
        (lambda: jeras.layers.RandomRotation(1.5), r"`factor` must be a number .* \[-1, 1\]"),
        (lambda: jeras.layers.RandomContrast(-0.5), r"`factor` must be .* \[0, 1\]"),
        (lambda: jeras.layers.RandomZoom(-1.0), r"`height_factor` .* \(-1, 1\]"),
        (lambda: jeras.layers.RandomFlip("diagonal"), "`mode` must be one of"),
        (lambda: jeras.layers.Resizing(3, 3, interpolation="area"), "`interpolation`"),
    ],
)
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_fill_mode_is_refused_as_keras():
    with pytest.raises(NotImplementedError, match="unknown `fill_mode` 'mirror'"):
        jeras.layers.RandomRotation(0.1, fill_mode="mirror")


def test_wrong_rank_and_strings_name_the_layer():
    with pytest.raises(ValueError, match=r'"flip".*expected min_ndim=3, found ndim=2'):
        jeras.layers.RandomFlip(name="flip")(np.ones((4, 5), "float32"))
    with pytest.raises(ValueError, match=r'"resize".*expected max_ndim=4, found ndim=5'):
        jeras.layers.Resizing(2, 2, name="resize")(np.ones((1, 2, 4, 5, 3), "float32"))
    with pytest.raises(TypeError, match=r"'scale' \(Rescaling\) received strings .*numbers"):
        jeras.layers.Rescaling(0.5, name="scale")(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match=r"resize: images must be numeric.*strings"):
        jeras.ops.image.resize(np.array([[["a"]]]), (2, 2))
    norm = jeras.layers.Normalization(name="norm")
    with pytest.raises(TypeError, match=r"'norm'.*`adapt` received strings"):
        norm.adapt(np.array([["a"], ["b"]]))


def test_random_crop_trains_in_fit_and_crops_the_centre_in_predict():
    x = _images(24, 8, 8, 3, high=1.0)
    y = RNG.normal(size=(24, 1)).astype("float32")
    inputs = jeras.Input((8, 8, 3))
    h = jeras.layers.RandomCrop(6, 6, seed=1)(inputs)
    model = jeras.Model(inputs, jeras.layers.Dense(1)(jeras.layers.Flatten()(h)))
    model.compile(optimizer=jeras.optimizers.SGD(0.01), loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(history))
    kernel, bias = model.get_weights()
    centre = np.asarray(keras.layers.Resizing(6, 6, crop_to_aspect_ratio=True)(x))
    expected = centre.reshape(24, -1) @ kernel + bias
    assert_close(model.predict(x, verbose=0), expected, atol=1e-4)
