"""`image_dataset_from_directory` and `text_dataset_from_directory` against Keras's (on its
TensorFlow pipeline): the files, class names, labels, pixel values and validation split; a `fit`
on the dataset; and the image helpers `load_img`, `img_to_array`, `array_to_img`, `save_img`."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from PIL import Image

import jeras


def _write_images(root, sizes_by_class, mode="RGB", extension="png", seed=0):
    rng = np.random.default_rng(seed)
    for class_name, sizes in sizes_by_class.items():
        folder = root / class_name
        folder.mkdir(parents=True)
        for index, (height, width) in enumerate(sizes):
            channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
            pixels = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
            image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
            image.save(folder / f"img_{index:02d}.{extension}")
    return root


@pytest.fixture
def pets(tmp_path):
    """Three classes of 8x8 PNGs, different counts per class."""
    return _write_images(
        tmp_path / "pets", {"cat": [(8, 8)] * 5, "dog": [(8, 8)] * 4, "fox": [(8, 8)] * 3}
    )


@pytest.fixture
def mixed_sizes(tmp_path):
    return _write_images(
        tmp_path / "mixed", {"a": [(10, 7), (5, 12), (9, 9)], "b": [(16, 4), (6, 6)]}, seed=1
    )


def _all_batches(dataset):
    batches = [tuple(np.asarray(part) for part in batch) for batch in dataset]
    return tuple(np.concatenate([b[i] for b in batches]) for i in range(len(batches[0])))


def _both(directory, **kwargs):
    kwargs.setdefault("verbose", False)
    return (
        jeras.utils.image_dataset_from_directory(str(directory), **kwargs),
        keras.utils.image_dataset_from_directory(str(directory), **kwargs),
    )


@pytest.mark.parametrize("label_mode", ["int", "categorical", None])
def test_unshuffled_batches_equal_keras(pets, label_mode):
    ours, theirs = _both(
        pets, image_size=(8, 8), batch_size=5, shuffle=False, label_mode=label_mode
    )
    assert ours.file_paths == theirs.file_paths
    assert len(ours) == len(list(theirs)) == 3
    if label_mode is None:
        assert ours.class_names is theirs.class_names is None
        np.testing.assert_array_equal(
            np.concatenate([np.asarray(b) for b in ours]),
            np.concatenate([np.asarray(b) for b in theirs]),
        )
        return
    got, want = _all_batches(ours), _all_batches(theirs)
    assert got[0].dtype == want[0].dtype == np.float32
    assert got[1].dtype == want[1].dtype
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_binary_labels_and_label_lists(pets, tmp_path):
    two = _write_images(tmp_path / "two", {"no": [(4, 4)] * 3, "yes": [(4, 4)] * 2})
    ours, theirs = _both(two, image_size=(4, 4), shuffle=False, label_mode="binary")
    np.testing.assert_array_equal(_all_batches(ours)[1], _all_batches(theirs)[1])
    assert _all_batches(ours)[1].shape == (5, 1)
    with pytest.raises(ValueError, match="exactly 2"):
        jeras.utils.image_dataset_from_directory(str(pets), label_mode="binary")
    labels = [2, 0, 1, 1, 0, 2, 2, 1, 0, 0, 1, 2]
    ours, theirs = _both(pets, image_size=(8, 8), shuffle=False, labels=labels)
    assert ours.class_names == theirs.class_names == ["0", "1", "2"]
    np.testing.assert_array_equal(_all_batches(ours)[1], _all_batches(theirs)[1])


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("aspect", [None, "crop", "pad"])
def test_resizing_gives_keras_pixels(mixed_sizes, interpolation, aspect):
    if aspect == "pad" and interpolation == "nearest":
        pytest.skip("TensorFlow's resize_with_pad rejects uint8 nearest resizing.")
    ours, theirs = _both(
        mixed_sizes,
        image_size=(6, 8),
        batch_size=2,
        shuffle=False,
        interpolation=interpolation,
        crop_to_aspect_ratio=aspect == "crop",
        pad_to_aspect_ratio=aspect == "pad",
    )
    got, want = _all_batches(ours), _all_batches(theirs)
    assert got[0].dtype == want[0].dtype
    assert got[0].shape == want[0].shape == (5, 6, 8, 3)
    # Bicubic weights are computed by JAX's scale_and_translate (TensorFlow's own kernel sums
    # them in another order): a tenth of a grey level at most.
    tolerance = 0.25 if interpolation == "bicubic" else 1e-4
    np.testing.assert_allclose(got[0], want[0], atol=tolerance)


@pytest.mark.parametrize("mode, color_mode", [("RGBA", "rgb"), ("L", "rgb"), ("RGBA", "rgba")])
def test_color_modes(tmp_path, mode, color_mode):
    root = _write_images(tmp_path / "c", {"x": [(5, 5)] * 3}, mode=mode)
    ours, theirs = _both(root, image_size=(5, 5), shuffle=False, color_mode=color_mode)
    np.testing.assert_array_equal(_all_batches(ours)[0], _all_batches(theirs)[0])


def test_jpeg_files_decode_to_keras_pixels(tmp_path):
    root = _write_images(tmp_path / "j", {"a": [(12, 12)] * 2, "b": [(12, 12)]}, extension="jpg")
    ours, theirs = _both(root, image_size=(12, 12), shuffle=False)
    # Pillow's libjpeg and TensorFlow's decode JPEGs with different DCT and colour-upsampling
    # settings (TensorFlow defaults to its fast integer DCT): on these noise images, the worst
    # case for JPEG, a few grey levels apart at most and about one on average.
    got, want = _all_batches(ours)[0], _all_batches(theirs)[0]
    assert np.max(np.abs(got - want)) <= 6
    assert abs(float(np.mean(got - want))) < 1.5


@pytest.mark.parametrize("subset", ["training", "validation", "both"])
def test_validation_split_selects_keras_files(pets, subset):
    ours, theirs = _both(
        pets, image_size=(8, 8), batch_size=4, validation_split=0.25, subset=subset, seed=1337
    )
    if subset != "both":
        ours, theirs = [ours], [theirs]
    for got, want in zip(ours, theirs):
        assert got.file_paths == want.file_paths
        assert got.class_names == want.class_names
    if subset == "both":
        train, val = ours
        assert len(train.file_paths) == 9 and len(val.file_paths) == 3
        assert not set(train.file_paths) & set(val.file_paths)
        # The validation subset is not shuffled: its batches are Keras's.
        got, want = _all_batches(val), _all_batches(theirs[1])
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        # The training batches hold Keras's samples, in an order of their own.
        got, want = _all_batches(train), _all_batches(theirs[0])
        assert sorted(got[1].tolist()) == sorted(want[1].tolist())
        assert np.isclose(got[0].sum(), want[0].sum(), rtol=1e-6)


def test_shuffled_epochs_change_the_order_but_not_the_samples(pets):
    dataset = jeras.utils.image_dataset_from_directory(
        str(pets), image_size=(8, 8), batch_size=12, seed=3, verbose=False
    )
    first = _all_batches(dataset)
    dataset.on_epoch_end()
    second = _all_batches(dataset)
    assert not np.array_equal(first[1], second[1]) or not np.array_equal(first[0], second[0])
    assert sorted(first[1].tolist()) == sorted(second[1].tolist())


def test_bad_arguments_name_themselves(pets):
    with pytest.raises(ValueError, match="seed"):
        jeras.utils.image_dataset_from_directory(str(pets), validation_split=0.2, subset="both")
    with pytest.raises(ValueError, match="color_mode"):
        jeras.utils.image_dataset_from_directory(str(pets), color_mode="cmyk")
    with pytest.raises(ValueError, match="class_names"):
        jeras.utils.image_dataset_from_directory(str(pets), class_names=["cat", "wolf"])
    with pytest.raises(ValueError, match="does not exist"):
        jeras.utils.image_dataset_from_directory(str(pets / "nowhere"))


def test_tf_data_methods_used_by_keras_programs(pets):
    dataset = jeras.utils.image_dataset_from_directory(
        str(pets), image_size=(8, 8), batch_size=4, shuffle=False, verbose=False
    )
    taken = list(dataset.take(1))
    assert len(taken) == 1 and taken[0][0].shape == (4, 8, 8, 3)
    mapped = dataset.map(lambda x, y: (x / 255.0, y), num_parallel_calls=-1).prefetch(-1)
    np.testing.assert_allclose(mapped[0][0], dataset[0][0] / 255.0)
    assert mapped.class_names == ["cat", "dog", "fox"]
    unbatched = dataset.unbatch()
    assert len(unbatched) == 12 and unbatched[0][0].shape == (8, 8, 3)
    assert [b[0].shape[0] for b in unbatched.batch(5)] == [5, 5, 2]
    assert len(dataset.skip(1)) == 2 and dataset.cardinality() == 3


def test_fit_trains_on_the_dataset(pets):
    train, val = jeras.utils.image_dataset_from_directory(
        str(pets),
        image_size=(8, 8),
        batch_size=4,
        validation_split=0.25,
        subset="both",
        seed=7,
        verbose=False,
    )
    model = jeras.Sequential(
        [
            jeras.Input((8, 8, 3)),
            jeras.layers.Rescaling(1 / 255),
            jeras.layers.Flatten(),
            jeras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.predict(val, verbose=0).shape == (3, 3)


# -- text ------------------------------------------------------------------------------------
@pytest.fixture
def reviews(tmp_path):
    root = tmp_path / "reviews"
    texts = {"neg": ["bad", "awful film", "boring", "héllo wörld"], "pos": ["great", "loved it"]}
    for label, items in texts.items():
        (root / label).mkdir(parents=True)
        for index, text in enumerate(items):
            (root / label / f"{index}.txt").write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("max_length", [None, 4])
@pytest.mark.parametrize("subset", [None, "both"])
def test_text_dataset_matches_keras(reviews, max_length, subset):
    kwargs = dict(batch_size=2, max_length=max_length, verbose=False, seed=11)
    if subset:
        kwargs.update(validation_split=0.5, subset=subset)
    else:
        kwargs.update(shuffle=False)
    ours = jeras.utils.text_dataset_from_directory(str(reviews), **kwargs)
    theirs = keras.utils.text_dataset_from_directory(str(reviews), **kwargs)
    if not subset:
        ours, theirs = [ours], [theirs]
    for index, (got, want) in enumerate(zip(ours, theirs)):
        assert got.class_names == want.class_names == ["neg", "pos"]
        if subset and index == 0:
            continue  # the training subset is shuffled per epoch by each library its own way
        got_texts = [t for batch in got for t in batch[0]]
        want_texts = [
            t.decode("utf-8", errors="ignore") for batch in want for t in batch[0].numpy()
        ]
        assert got_texts == want_texts
        got_labels = np.concatenate([b[1] for b in got])
        np.testing.assert_array_equal(got_labels, np.concatenate([b[1] for b in want]))


# -- image helpers ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"color_mode": "grayscale"},
        {"color_mode": "rgba"},
        {"target_size": (5, 9)},
        {"target_size": (6, 6), "interpolation": "bilinear", "keep_aspect_ratio": True},
    ],
)
def test_load_img_and_img_to_array_match_keras(mixed_sizes, kwargs):
    path = mixed_sizes / "a" / "img_00.png"
    ours = jeras.utils.img_to_array(jeras.utils.load_img(str(path), **kwargs))
    theirs = keras.utils.img_to_array(keras.utils.load_img(str(path), **kwargs))
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == theirs.dtype


def test_array_to_img_and_save_img_match_keras(tmp_path):
    rng = np.random.default_rng(2)
    for shape in [(4, 5, 3), (4, 5, 1), (4, 5, 4)]:
        array = rng.uniform(-3, 7, shape).astype("float32")
        for scale in (True, False):
            clipped = array if scale else np.clip(array * 30, 0, 255)
            ours = np.asarray(jeras.utils.array_to_img(clipped, scale=scale))
            theirs = np.asarray(keras.utils.array_to_img(clipped, scale=scale))
            np.testing.assert_array_equal(ours, theirs)
    array = rng.uniform(0, 255, (3, 6, 6)).astype("float32")
    jeras.utils.save_img(str(tmp_path / "ours.png"), array, data_format="channels_first")
    keras.utils.save_img(str(tmp_path / "theirs.png"), array, data_format="channels_first")
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "ours.png")),
        np.asarray(Image.open(tmp_path / "theirs.png")),
    )
    with pytest.raises(ValueError, match="rank 3"):
        jeras.utils.array_to_img(np.zeros((2, 2)))
