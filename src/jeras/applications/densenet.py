"""DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017, "Densely Connected
Convolutional Networks"), layer for layer as `keras.applications.densenet`."""

from jeras.applications import imagenet_utils
from jeras.applications.application_base import (
    application_doc,
    application_model,
    check_weights_argument,
    classifier_or_pooling,
    image_input,
    load_application_weights,
)
from jeras.backend.config import image_data_format
from jeras.layers.convolution import Conv2D
from jeras.layers.core import Activation
from jeras.layers.merging import Concatenate
from jeras.layers.normalization import BatchNormalization
from jeras.layers.pooling import AveragePooling2D, MaxPooling2D
from jeras.layers.spatial_reshaping import ZeroPadding2D

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# The published weights per block layout: (file stem, md5 with the top, md5 without it).
PUBLISHED_WEIGHTS = {
    (6, 12, 24, 16): (
        "densenet121",
        "9d60b8095a5708f2dcce2bca79d332c7",
        "30ee3e1110167f948a6b9946edeeb738",
    ),
    (6, 12, 32, 32): (
        "densenet169",
        "d699b8f76981ab1b30698df4c175e90b",
        "b8c4d4c20dd625c148057b9ff1c1176b",
    ),
    (6, 12, 48, 32): (
        "densenet201",
        "1ceb130c1ea1b78c3bf6114dbdfd8807",
        "c13680b51ded0fb44dff2d8f86ac8bb1",
    ),
}
BN_EPSILON = 1.001e-5
GROWTH_RATE = 32


def DenseNet121(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet121",
):
    return DenseNet(
        [6, 12, 24, 16],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


def DenseNet169(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet169",
):
    return DenseNet(
        [6, 12, 32, 32],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


def DenseNet201(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet201",
):
    return DenseNet(
        [6, 12, 48, 32],
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name=name,
    )


for _builder, _blocks in (
    (DenseNet121, "6, 12, 24, 16"),
    (DenseNet169, "6, 12, 32, 32"),
    (DenseNet201, "6, 12, 48, 32"),
):
    _builder.__doc__ = application_doc(
        f"Instantiate the {_builder.__name__} architecture (dense blocks of {_blocks} layers).",
        224,
        32,
        "`keras.applications.densenet.preprocess_input`",
    )


def DenseNet(
    blocks,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="densenet",
):
    """A DenseNet with `blocks[i]` convolution blocks in dense block `i` (four of them),
    separated by transitions that halve the channels and the spatial size."""
    check_weights_argument(weights, include_top, classes)
    img_input, _ = image_input(
        input_tensor, input_shape, 224, 32, include_top=include_top, weights=weights
    )
    bn_axis = _channel_axis()
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{stage + 2}")
        if stage < len(blocks) - 1:
            x = transition_block(x, 0.5, name=f"pool{stage + 2}")
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name="bn")(x)
    x = Activation("relu", name="relu")(x)
    x = classifier_or_pooling(
        x,
        include_top,
        pooling,
        classes,
        classifier_activation,
        weights,
        pooling_names=("avg_pool", "max_pool"),
    )
    model = application_model(img_input, x, input_tensor, name)
    published = PUBLISHED_WEIGHTS.get(tuple(blocks))
    if weights == "imagenet" and published is None:
        raise ValueError(
            f"There are no ImageNet weights for a DenseNet with blocks={list(blocks)}; pass "
            "`weights=None` or the path of a weights file."
        )
    if published is not None:
        stem, top_hash, notop_hash = published
        suffix = "" if include_top else "_notop"
        file_name = f"{stem}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = top_hash if include_top else notop_hash
        load_application_weights(model, weights, file_name, WEIGHTS_URL + file_name, file_hash)
    else:
        load_application_weights(model, weights)
    return model


def dense_block(x, blocks, name):
    """`blocks` convolution blocks, each adding `GROWTH_RATE` channels."""
    for index in range(blocks):
        x = conv_block(x, GROWTH_RATE, name=f"{name}_block{index + 1}")
    return x


def transition_block(x, reduction, name):
    """Batch normalization, ReLU, a 1x1 convolution to `reduction` times the channels, and a
    2x2 average pooling."""
    bn_axis = _channel_axis()
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    x = Activation("relu", name=f"{name}_relu")(x)
    x = Conv2D(int(x.shape[bn_axis] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """A bottleneck (1x1 to 4 * `growth_rate`, then 3x3 to `growth_rate` channels, each after
    batch normalization and ReLU) whose output is concatenated to its input."""
    bn_axis = _channel_axis()
    x1 = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_0_bn")(x)
    x1 = Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_1_bn")(x1)
    x1 = Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return Concatenate(axis=bn_axis, name=f"{name}_concat")([x, x1])


def preprocess_input(x, data_format=None):
    """Preprocess images (values in [0, 255]) for DenseNet: scaled to [0, 1], then each channel
    normalized by ImageNet's mean and standard deviation ("torch" mode of
    `imagenet_utils.preprocess_input`).

    Args:
        x: a NumPy array or tensor of images, 3D or 4D (a float NumPy array is changed in place).
        data_format: "channels_last", "channels_first" or None (the global setting).

    Returns:
        The preprocessed images.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction; see `imagenet_utils.decode_predictions`.

    Args:
        preds: an array of shape `(samples, 1000)`.
        top: how many classes per sample. Defaults to 5.

    Returns:
        One list of `(class_id, description, score)` tuples per sample.
    """
    return imagenet_utils.decode_predictions(preds, top=top)


def _channel_axis():
    return 3 if image_data_format() == "channels_last" else 1
