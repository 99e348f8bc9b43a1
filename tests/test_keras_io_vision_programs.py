"""keras.io vision programs run with `import jeras as keras`, trained to the same numbers as real
Keras 3 from the same initial weights (the harness of tests/test_keras_io_guides.py: the program
text is executed on jeras, then on Keras; `__same_start__(model, batch_size)` gives Keras
jeras's initial weights and dropout masks; `__check__(name, value)` records values to compare).

"Image classification with modern MLP models" (https://keras.io/examples/vision/
mlp_image_classification/, Khalid Salama), Keras 3 version: MLP-Mixer, FNet and gMLP on
CIFAR-100-shaped images. The program text follows the example's code, written for this test.
Edits: CIFAR-100 (a download; jeras has no loader for it) is the test's synthetic
`__load_cifar100__()` of the real shapes and dtypes (512 training and 64 test images); the sizes
are smaller (embedding_dim 256 -> 64, num_blocks 4 -> 2; num_epochs stays 1); fit runs with
`verbose=0`; and each model is built, started and trained in its own test.

The augmentation layers inside the model (RandomFlip, RandomZoom) draw their random transforms
from each library's own generator, so no two runs agree on them; for the comparison of training
numbers the test makes those two layers pass images through unchanged in both runs
(`__freeze_random_augmentation__`), and checks separately that jeras's augmentation does change
the images in training and leaves them alone at inference, where it matches Keras.
"""

import numpy as np
import pytest
from test_keras_io_guides import assert_same_checks, run_on_both

import jeras

pytestmark = pytest.mark.slow


MLP_IMAGE_CLASSIFICATION_SETUP = """
import numpy as np
import jeras as keras
from jeras import layers

num_classes = 100
input_shape = (32, 32, 3)

(x_train, y_train), (x_test, y_test) = __load_cifar100__()

print(f"x_train shape: {x_train.shape} - y_train shape: {y_train.shape}")
print(f"x_test shape: {x_test.shape} - y_test shape: {y_test.shape}")

weight_decay = 0.0001
batch_size = 128
num_epochs = 1
dropout_rate = 0.2
image_size = 64  # the images are resized to this size
patch_size = 8  # the size of the patches extracted from the resized images
num_patches = (image_size // patch_size) ** 2
embedding_dim = 64
num_blocks = 2

print(f"Image size: {image_size} X {image_size} = {image_size ** 2}")
print(f"Patch size: {patch_size} X {patch_size} = {patch_size ** 2} ")
print(f"Patches per image: {num_patches}")
print(f"Elements per patch (3 channels): {(patch_size ** 2) * 3}")


def build_classifier(blocks, positional_encoding=False):
    inputs = layers.Input(shape=input_shape)
    augmented = data_augmentation(inputs)
    patches = Patches(patch_size)(augmented)
    x = layers.Dense(units=embedding_dim)(patches)
    if positional_encoding:
        x = x + PositionEmbedding(sequence_length=num_patches)(x)
    x = blocks(x)
    representation = layers.GlobalAveragePooling1D()(x)
    representation = layers.Dropout(rate=dropout_rate)(representation)
    logits = layers.Dense(num_classes)(representation)
    return keras.Model(inputs=inputs, outputs=logits)


def run_experiment(model):
    optimizer = keras.optimizers.AdamW(
        learning_rate=learning_rate,
        weight_decay=weight_decay,
    )
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="acc"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5-acc"),
        ],
    )
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=10, restore_best_weights=True
    )
    history = model.fit(
        x=x_train,
        y=y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_split=0.1,
        callbacks=[early_stopping, reduce_lr],
        verbose=0,
    )
    _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test)
    print(f"Test accuracy: {round(accuracy * 100, 2)}%")
    print(f"Test top 5 accuracy: {round(top_5_accuracy * 100, 2)}%")
    return history


data_augmentation = keras.Sequential(
    [
        layers.Normalization(),
        layers.Resizing(image_size, image_size),
        layers.RandomFlip("horizontal"),
        layers.RandomZoom(height_factor=0.2, width_factor=0.2),
    ],
    name="data_augmentation",
)
# The mean and variance of the training data, for the normalization.
data_augmentation.layers[0].adapt(x_train)
__check__("normalization statistics", data_augmentation.layers[0].get_weights())
__check__("inference augmentation", data_augmentation(x_test[:4], training=False))


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, x):
        patches = keras.ops.image.extract_patches(x, self.patch_size)
        batch_size = keras.ops.shape(patches)[0]
        num_patches = keras.ops.shape(patches)[1] * keras.ops.shape(patches)[2]
        patch_dim = keras.ops.shape(patches)[3]
        out = keras.ops.reshape(patches, (batch_size, num_patches, patch_dim))
        return out


class PositionEmbedding(keras.layers.Layer):
    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if sequence_length is None:
            raise ValueError("`sequence_length` must be an Integer, received `None`.")
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config

    def build(self, input_shape):
        feature_size = input_shape[-1]
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=[self.sequence_length, feature_size],
            initializer=self.initializer,
            trainable=True,
        )
        super().build(input_shape)

    def call(self, inputs, start_index=0):
        shape = keras.ops.shape(inputs)
        feature_length = shape[-1]
        sequence_length = shape[-2]
        position_embeddings = keras.ops.convert_to_tensor(self.position_embeddings)
        position_embeddings = keras.ops.slice(
            position_embeddings,
            (start_index, 0),
            (sequence_length, feature_length),
        )
        return keras.ops.broadcast_to(position_embeddings, shape)

    def compute_output_shape(self, input_shape):
        return input_shape
"""

MLP_MIXER = """
class MLPMixerLayer(layers.Layer):
    def __init__(self, num_patches, hidden_units, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mlp1 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=num_patches),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.mlp2 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=hidden_units),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.normalize = layers.LayerNormalization(epsilon=1e-6)

    def build(self, input_shape):
        return super().build(input_shape)

    def call(self, inputs):
        x = self.normalize(inputs)
        # [batch, patches, channels] -> [batch, channels, patches]: mlp1 mixes across patches.
        x_channels = keras.ops.transpose(x, axes=(0, 2, 1))
        mlp1_outputs = self.mlp1(x_channels)
        mlp1_outputs = keras.ops.transpose(mlp1_outputs, axes=(0, 2, 1))
        x = mlp1_outputs + inputs
        x_patches = self.normalize(x)
        # mlp2 mixes across channels, patch by patch.
        mlp2_outputs = self.mlp2(x_patches)
        x = x + mlp2_outputs
        return x


mlpmixer_blocks = keras.Sequential(
    [MLPMixerLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
)
learning_rate = 0.005
mlpmixer_classifier = build_classifier(mlpmixer_blocks)
__freeze_random_augmentation__(mlpmixer_classifier)
__same_start__(mlpmixer_classifier, batch_size)
history = run_experiment(mlpmixer_classifier)
__check__("history", history.history)
__check__("predictions", mlpmixer_classifier.predict(x_test, verbose=0))
"""

FNET = """
class FNetLayer(layers.Layer):
    def __init__(self, embedding_dim, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ffn = keras.Sequential(
            [
                layers.Dense(units=embedding_dim, activation="gelu"),
                layers.Dropout(rate=dropout_rate),
                layers.Dense(units=embedding_dim),
            ]
        )
        self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
        self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        # The real part of the 2-D Fourier transform of the inputs.
        real_part = inputs
        im_part = keras.ops.zeros_like(inputs)
        x = keras.ops.fft2((real_part, im_part))[0]
        x = x + inputs
        x = self.normalize1(x)
        x_ffn = self.ffn(x)
        x = x + x_ffn
        return self.normalize2(x)


fnet_blocks = keras.Sequential([FNetLayer(embedding_dim, dropout_rate) for _ in range(num_blocks)])
learning_rate = 0.001
fnet_classifier = build_classifier(fnet_blocks, positional_encoding=True)
__freeze_random_augmentation__(fnet_classifier)
__same_start__(fnet_classifier, batch_size)
history = run_experiment(fnet_classifier)
__check__("history", history.history)
__check__("predictions", fnet_classifier.predict(x_test, verbose=0))
"""

GMLP = """
class gMLPLayer(layers.Layer):
    def __init__(self, num_patches, embedding_dim, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel_projection1 = keras.Sequential(
            [
                layers.Dense(units=embedding_dim * 2, activation="gelu"),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.channel_projection2 = layers.Dense(units=embedding_dim)
        self.spatial_projection = layers.Dense(units=num_patches, bias_initializer="Ones")
        self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
        self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

    def spatial_gating_unit(self, x):
        # u and v: [batch, patches, embedding_dim] halves of the channels.
        u, v = keras.ops.split(x, indices_or_sections=2, axis=2)
        v = self.normalize2(v)
        v_channels = keras.ops.transpose(v, axes=(0, 2, 1))
        v_projected = self.spatial_projection(v_channels)
        v_projected = keras.ops.transpose(v_projected, axes=(0, 2, 1))
        return u * v_projected

    def call(self, inputs):
        x = self.normalize1(inputs)
        x_projected = self.channel_projection1(x)
        x_spatial = self.spatial_gating_unit(x_projected)
        x_projected = self.channel_projection2(x_spatial)
        return x + x_projected


gmlp_blocks = keras.Sequential(
    [gMLPLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
)
learning_rate = 0.003
gmlp_classifier = build_classifier(gmlp_blocks)
__freeze_random_augmentation__(gmlp_classifier)
__same_start__(gmlp_classifier, batch_size)
history = run_experiment(gmlp_classifier)
__check__("history", history.history)
__check__("predictions", gmlp_classifier.predict(x_test, verbose=0))
"""


def _synthetic_cifar100(num_train=512, num_test=64):
    """CIFAR-100-shaped data: uint8 images (a colour per class, under noise) and uint8 labels
    in a column."""
    rng = np.random.default_rng(100)
    colours = rng.uniform(30, 225, (100, 1, 1, 3))

    def draw(n):
        labels = rng.integers(0, 100, (n, 1))
        images = 0.5 * colours[labels[:, 0]] + 0.5 * rng.uniform(0, 255, (n, 32, 32, 3))
        return images.astype("uint8"), labels.astype("uint8")

    return draw(num_train), draw(num_test)


def _freeze_random_augmentation(model):
    """Makes the model's RandomFlip and RandomZoom pass their inputs through (see the module
    docstring): both libraries' instances get the same replacement `call`."""
    augmentation = model.get_layer("data_augmentation")
    frozen = 0
    for layer in augmentation.layers:
        if type(layer).__name__ in ("RandomFlip", "RandomZoom"):
            layer.call = lambda inputs, training=None: inputs
            frozen += 1
    assert frozen == 2


def _run_mlp_program(blocks_program):
    data = _synthetic_cifar100()
    namespace = {
        "__load_cifar100__": lambda: data,
        "__freeze_random_augmentation__": _freeze_random_augmentation,
    }
    got, want = run_on_both(MLP_IMAGE_CLASSIFICATION_SETUP + blocks_program, namespace)
    assert sorted(got.checks["history"]) == [
        "acc",
        "learning_rate",
        "loss",
        "top5-acc",
        "val_acc",
        "val_loss",
        "val_top5-acc",
    ]
    assert "Test top 5 accuracy" in got.printed
    # Losses after a few AdamW steps through LayerNormalization and GELU, float32.
    assert_same_checks(got, want, rtol=2e-4, atol=2e-4)
    return got, want


def test_mlp_mixer_trains_like_keras():
    _run_mlp_program(MLP_MIXER)


def test_fnet_trains_like_keras():
    _run_mlp_program(FNET)


def test_gmlp_trains_like_keras():
    _run_mlp_program(GMLP)


def test_mlp_image_classification_augmentation_runs_in_training_only():
    """The part of the program the training comparison leaves out: jeras's data_augmentation
    (Normalization adapted on the training images, Resizing to 64x64, RandomFlip, RandomZoom)
    changes the images in training and is the deterministic resize at inference, where it
    matches Keras (checked by `__check__("inference augmentation", ...)` in the programs)."""
    data = _synthetic_cifar100(num_train=64, num_test=8)
    (got,) = run_on_both(
        MLP_IMAGE_CLASSIFICATION_SETUP,
        {"__load_cifar100__": lambda: data},
        run_keras=False,
    )
    augmentation = got.namespace["data_augmentation"]
    images = got.namespace["x_test"]
    inference = np.asarray(augmentation(images, training=False))
    training = np.asarray(augmentation(images, training=True))
    assert inference.shape == training.shape == (8, 64, 64, 3)
    assert not np.allclose(inference, training)
    # Normalization adapted on the training set: about zero mean and unit variance there.
    normalized = np.asarray(augmentation.layers[0](got.namespace["x_train"]))
    np.testing.assert_allclose(normalized.mean(axis=(0, 1, 2)), 0.0, atol=1e-3)
    np.testing.assert_allclose(normalized.std(axis=(0, 1, 2)), 1.0, atol=1e-3)


def test_mlp_image_classification_setup_matches_keras():
    """The program's shared part (data, adapted Normalization, inference-time augmentation) on
    both libraries, without the models that need ops jeras may lack."""
    data = _synthetic_cifar100(num_train=64, num_test=8)
    got, want = run_on_both(MLP_IMAGE_CLASSIFICATION_SETUP, {"__load_cifar100__": lambda: data})
    assert_same_checks(got, want, rtol=1e-5, atol=1e-4)
