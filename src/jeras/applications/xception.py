"""Xception (Chollet, 2017, "Xception: Deep Learning with Depthwise Separable Convolutions"),
layer for layer as `keras.applications.xception`, so Keras's weight files load."""

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
from jeras.layers.depthwise_convolution import SeparableConv2D
from jeras.layers.merging import add
from jeras.layers.normalization import BatchNormalization
from jeras.layers.pooling import MaxPooling2D

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS_FILES = {
    True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    False: (
        "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "b0042744bf5b25fce3cb969f33bebb97",
    ),
}


def Xception(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="xception",
):
    check_weights_argument(weights, include_top, classes)
    img_input, _ = image_input(
        input_tensor, input_shape, 299, 71, include_top=include_top, weights=weights
    )
    channel_axis = 1 if image_data_format() == "channels_first" else -1

    def batch_norm(name=None):
        return BatchNormalization(axis=channel_axis, name=name)

    def separable(filters, name):
        return SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)

    # Entry flow: two plain convolutions...
    x = Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = batch_norm("block1_conv1_bn")(x)
    x = Activation("relu", name="block1_conv1_act")(x)
    x = Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = batch_norm("block1_conv2_bn")(x)
    x = Activation("relu", name="block1_conv2_act")(x)
    # ...then three downsampling blocks with projected shortcuts (block 2 has no leading ReLU:
    # the stem ends with one).
    for block, filters in ((2, 128), (3, 256), (4, 728)):
        residual = Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
        residual = batch_norm()(residual)
        prefix = f"block{block}"
        if block > 2:
            x = Activation("relu", name=f"{prefix}_sepconv1_act")(x)
        x = separable(filters, f"{prefix}_sepconv1")(x)
        x = batch_norm(f"{prefix}_sepconv1_bn")(x)
        x = Activation("relu", name=f"{prefix}_sepconv2_act")(x)
        x = separable(filters, f"{prefix}_sepconv2")(x)
        x = batch_norm(f"{prefix}_sepconv2_bn")(x)
        x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"{prefix}_pool")(x)
        x = add([x, residual])
    # Middle flow: eight identity-shortcut blocks of three separable convolutions.
    for block in range(5, 13):
        residual = x
        prefix = f"block{block}"
        for conv in (1, 2, 3):
            x = Activation("relu", name=f"{prefix}_sepconv{conv}_act")(x)
            x = separable(728, f"{prefix}_sepconv{conv}")(x)
            x = batch_norm(f"{prefix}_sepconv{conv}_bn")(x)
        x = add([x, residual])
    # Exit flow.
    residual = Conv2D(1024, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    residual = batch_norm()(residual)
    x = Activation("relu", name="block13_sepconv1_act")(x)
    x = separable(728, "block13_sepconv1")(x)
    x = batch_norm("block13_sepconv1_bn")(x)
    x = Activation("relu", name="block13_sepconv2_act")(x)
    x = separable(1024, "block13_sepconv2")(x)
    x = batch_norm("block13_sepconv2_bn")(x)
    x = MaxPooling2D((3, 3), strides=(2, 2), padding="same", name="block13_pool")(x)
    x = add([x, residual])
    for conv, filters in ((1, 1536), (2, 2048)):
        x = separable(filters, f"block14_sepconv{conv}")(x)
        x = batch_norm(f"block14_sepconv{conv}_bn")(x)
        x = Activation("relu", name=f"block14_sepconv{conv}_act")(x)
    x = classifier_or_pooling(x, include_top, pooling, classes, classifier_activation, weights)
    model = application_model(img_input, x, input_tensor, name)
    file_name, file_hash = WEIGHTS_FILES[bool(include_top)]
    load_application_weights(model, weights, file_name, WEIGHTS_URL + file_name, file_hash)
    return model


Xception.__doc__ = application_doc(
    "Instantiate the Xception architecture (depthwise separable convolutions).",
    299,
    71,
    "`keras.applications.xception.preprocess_input`",
)


def preprocess_input(x, data_format=None):
    """Preprocess images (values in [0, 255]) for Xception: scaled to [-1, 1] ("tf" mode of
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
