"""The data-loading part of the keras.io program "Image classification from scratch" run as
written, on a folder of synthetic JPEGs shaped like the Cats vs Dogs download.

tests/test_keras_io_programs.py runs the program's model on in-memory batches; this variant runs
the program's own loading code (the corrupted-file filter, `image_dataset_from_directory` with
`subset="both"`, the plots, the augmentation mapped over the training set with `tf.data`
names, the prefetches, `load_img` / `img_to_array` of one file) in jeras and in Keras, and
checks that both read the same files into the same batches. A one-epoch `fit` on the program's
datasets closes it.
"""

import contextlib
import io
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest
from PIL import Image

import jeras

# https://keras.io/examples/vision/image_classification_from_scratch/ (fchollet), the version
# stored in keras-io at 0e918412, from its imports to the prefetches, and its final
# `load_img` cell up to the batch axis. Edits: `import keras` becomes `import jeras as keras`
# (and `from jeras import layers`); nothing else. The download cells (`curl`, `unzip`) are
# shell commands the test replaces by writing the folder.
LOADING_PROGRAM = """
import os
import numpy as np
import jeras as keras
from jeras import layers
from tensorflow import data as tf_data
import matplotlib.pyplot as plt

num_skipped = 0
for folder_name in ("Cat", "Dog"):
    folder_path = os.path.join("PetImages", folder_name)
    for fname in os.listdir(folder_path):
        fpath = os.path.join(folder_path, fname)
        try:
            fobj = open(fpath, "rb")
            is_jfif = b"JFIF" in fobj.peek(10)
        finally:
            fobj.close()

        if not is_jfif:
            num_skipped += 1
            # Delete corrupted image
            os.remove(fpath)

print(f"Deleted {num_skipped} images.")

image_size = (180, 180)
batch_size = 128

train_ds, val_ds = keras.utils.image_dataset_from_directory(
    "PetImages",
    validation_split=0.2,
    subset="both",
    seed=1337,
    image_size=image_size,
    batch_size=batch_size,
)

plt.figure(figsize=(10, 10))
for images, labels in train_ds.take(1):
    for i in range(9):
        ax = plt.subplot(3, 3, i + 1)
        plt.imshow(np.array(images[i]).astype("uint8"))
        plt.title(int(labels[i]))
        plt.axis("off")

data_augmentation_layers = [
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


plt.figure(figsize=(10, 10))
for images, _ in train_ds.take(1):
    for i in range(9):
        augmented_images = data_augmentation(images)
        ax = plt.subplot(3, 3, i + 1)
        plt.imshow(np.array(augmented_images[0]).astype("uint8"))
        plt.axis("off")

# Apply `data_augmentation` to the training images.
train_ds = train_ds.map(
    lambda img, label: (data_augmentation(img), label),
    num_parallel_calls=tf_data.AUTOTUNE,
)
# Prefetching samples in GPU memory helps maximize GPU utilization.
train_ds = train_ds.prefetch(tf_data.AUTOTUNE)
val_ds = val_ds.prefetch(tf_data.AUTOTUNE)

img = keras.utils.load_img("PetImages/Cat/6779.jpg", target_size=image_size)
plt.imshow(img)

img_array = keras.utils.img_to_array(img)
img_array = keras.ops.expand_dims(img_array, 0)  # Create batch axis
"""


def _write_pet_images(root, per_class=12):
    """JPEGs (with the JFIF header the program checks for) of a few sizes, plus one corrupted
    file per class for the filter to delete; "dogs" are brighter, so labels are learnable."""
    rng = np.random.default_rng(0)
    for label, (folder, names) in enumerate(
        (
            ("Cat", ["6779"] + [str(i) for i in range(per_class - 1)]),
            ("Dog", [str(i) for i in range(per_class)]),
        )
    ):
        path = root / "PetImages" / folder
        path.mkdir(parents=True)
        for index, name in enumerate(names):
            height, width = (40, 50) if index % 2 else (64, 48)
            pixels = rng.integers(0, 120, (height, width, 3)) + 100 * label
            Image.fromarray(pixels.astype("uint8"), "RGB").save(path / f"{name}.jpg", quality=90)
        (path / "broken.jpg").write_bytes(b"\x89PNG not a jpeg at all")


def _run(program, folder, monkeypatch):
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()) as output:
        exec(program, namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
    return namespace, output.getvalue()


@pytest.mark.slow
def test_the_programs_loading_code_runs_unchanged_and_reads_what_keras_reads(tmp_path, monkeypatch):
    import keras

    for name in ("jeras", "keras"):
        _write_pet_images(tmp_path / name)
    jeras.utils.set_random_seed(1)
    got, got_output = _run(LOADING_PROGRAM, tmp_path / "jeras", monkeypatch)
    keras.utils.set_random_seed(1)
    keras_program = LOADING_PROGRAM.replace("import jeras as keras", "import keras").replace(
        "from jeras import layers", "from keras import layers"
    )
    want, want_output = _run(keras_program, tmp_path / "keras", monkeypatch)

    assert got["num_skipped"] == want["num_skipped"] == 2
    # "Found 24 files belonging to 2 classes.", "Using 20 files for training.", ...
    assert got_output == want_output
    assert got["val_ds"].class_names == ["Cat", "Dog"]

    # The validation subset is not shuffled: the same images (to JPEG decoders' few grey
    # levels) and labels as Keras's, in the same order.
    got_val = [tuple(np.asarray(p) for p in batch) for batch in got["val_ds"]]
    want_val = [tuple(np.asarray(p) for p in batch) for batch in want["val_ds"]]
    assert [b[0].shape for b in got_val] == [b[0].shape for b in want_val] == [(4, 180, 180, 3)]
    np.testing.assert_array_equal(got_val[0][1], want_val[0][1])
    assert np.max(np.abs(got_val[0][0] - want_val[0][0])) <= 8
    assert abs(float(np.mean(got_val[0][0] - want_val[0][0]))) < 1.5

    # The training subset holds Keras's files; the augmentation keeps its shapes and range.
    got_train = [tuple(np.asarray(p) for p in batch) for batch in got["train_ds"]]
    want_train = [tuple(np.asarray(p) for p in batch) for batch in want["train_ds"]]
    assert got_train[0][0].shape == want_train[0][0].shape == (20, 180, 180, 3)
    assert sorted(got_train[0][1].tolist()) == sorted(want_train[0][1].tolist())
    assert 0.0 <= got_train[0][0].min() and got_train[0][0].max() <= 255.0

    np.testing.assert_array_equal(np.asarray(got["img_array"]), np.asarray(want["img_array"]))
    assert np.asarray(got["img_array"]).shape == (1, 180, 180, 3)

    # The program's datasets train a model (a small one: the program's Xception-like network
    # runs on arrays in tests/test_keras_io_programs.py).
    model = jeras.Sequential(
        [
            jeras.Input((180, 180, 3)),
            jeras.layers.Rescaling(1.0 / 255),
            jeras.layers.Conv2D(4, 5, strides=4, activation="relu"),
            jeras.layers.GlobalAveragePooling2D(),
            jeras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(got["train_ds"], validation_data=got["val_ds"], epochs=1, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])
