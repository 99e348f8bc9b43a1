"""Inception V3 (Szegedy et al., 2015, "Rethinking the Inception Architecture for Computer
Vision"), layer for layer as `keras.applications.inception_v3`, so Keras's weight files load."""

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
from jeras.layers.merging import concatenate
from jeras.layers.normalization import BatchNormalization
from jeras.layers.pooling import AveragePooling2D, MaxPooling2D

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS_FILES = {
    True: (
        "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
        "9a0d58056eeedaa3f26cb7ebd46da564",
    ),
    False: (
        "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "bcbd6486424b2319ff4ef7d526e38f63",
    ),
}


def InceptionV3(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="inception_v3",
):
    check_weights_argument(weights, include_top, classes)
    img_input, _ = image_input(
        input_tensor, input_shape, 299, 75, include_top=include_top, weights=weights
    )
    axis = _channel_axis()
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)

    # mixed0-2 (35x35 at full size): 1x1, 5x5, double 3x3 and pooled branches.
    for index, pool_filters in enumerate((32, 64, 64)):
        branch1x1 = conv2d_bn(x, 64, 1, 1)
        branch5x5 = conv2d_bn(x, 48, 1, 1)
        branch5x5 = conv2d_bn(branch5x5, 64, 5, 5)
        branch3x3dbl = conv2d_bn(x, 64, 1, 1)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
        branch_pool = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
        branch_pool = conv2d_bn(branch_pool, pool_filters, 1, 1)
        x = concatenate(
            [branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=axis, name=f"mixed{index}"
        )

    # mixed3: reduction to 17x17.
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concatenate([branch3x3, branch3x3dbl, branch_pool], axis=axis, name="mixed3")

    # mixed4-7: factorized 7x7 branches, widening from 128 to 192 filters.
    for index, width in zip((4, 5, 6, 7), (128, 160, 160, 192)):
        branch1x1 = conv2d_bn(x, 192, 1, 1)
        branch7x7 = conv2d_bn(x, width, 1, 1)
        branch7x7 = conv2d_bn(branch7x7, width, 1, 7)
        branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
        branch7x7dbl = conv2d_bn(x, width, 1, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 1, 7)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
        branch_pool = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
        branch_pool = conv2d_bn(branch_pool, 192, 1, 1)
        x = concatenate(
            [branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=axis, name=f"mixed{index}"
        )

    # mixed8: reduction to 8x8.
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concatenate([branch3x3, branch7x7x3, branch_pool], axis=axis, name="mixed8")

    # mixed9-10: expanded filter banks (1x3 and 3x1 side by side).
    for index in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3)
        branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1)
        branch3x3 = concatenate([branch3x3_1, branch3x3_2], axis=axis, name=f"mixed9_{index}")
        branch3x3dbl = conv2d_bn(x, 448, 1, 1)
        branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3)
        branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3)
        branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1)
        branch3x3dbl = concatenate([branch3x3dbl_1, branch3x3dbl_2], axis=axis)
        branch_pool = AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
        branch_pool = conv2d_bn(branch_pool, 192, 1, 1)
        x = concatenate(
            [branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=axis, name=f"mixed{9 + index}"
        )

    x = classifier_or_pooling(x, include_top, pooling, classes, classifier_activation, weights)
    model = application_model(img_input, x, input_tensor, name)
    file_name, file_hash = WEIGHTS_FILES[bool(include_top)]
    load_application_weights(model, weights, file_name, WEIGHTS_URL + file_name, file_hash)
    return model


InceptionV3.__doc__ = application_doc(
    "Instantiate the Inception V3 architecture.",
    299,
    75,
    "`keras.applications.inception_v3.preprocess_input`",
)


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A bias-free `num_row` x `num_col` convolution, batch normalization without scale, ReLU;
    with `name`, the layers are `{name}_conv`, `{name}_bn` and `name`."""
    x = Conv2D(
        filters,
        (num_row, num_col),
        strides=strides,
        padding=padding,
        use_bias=False,
        name=None if name is None else f"{name}_conv",
    )(x)
    x = BatchNormalization(
        axis=_channel_axis(), scale=False, name=None if name is None else f"{name}_bn"
    )(x)
    return Activation("relu", name=name)(x)


def preprocess_input(x, data_format=None):
    """Preprocess images (values in [0, 255]) for Inception V3: scaled to [-1, 1] ("tf" mode of
    `imagenet_utils.preprocess_input`).

    Args:
        x: a NumPy array or tensor of images, 3D or 4D (a float NumPy array is changed in place).
        data_format: "channels_last", "channels_first" or None (the global setting).

    Returns:
        The preprocessed images.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


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
    return 1 if image_data_format() == "channels_first" else 3
