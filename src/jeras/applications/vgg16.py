"""VGG16 (Simonyan & Zisserman, 2014, "Very Deep Convolutional Networks for Large-Scale Image
Recognition"), layer for layer as `keras.applications.vgg16`; `build_vgg` serves VGG19 too."""

from jeras.applications import imagenet_utils
from jeras.applications.application_base import (
    application_doc,
    application_model,
    check_weights_argument,
    global_pooling,
    image_input,
    load_application_weights,
)
from jeras.layers.convolution import Conv2D
from jeras.layers.core import Dense
from jeras.layers.pooling import MaxPooling2D
from jeras.layers.reshaping import Flatten

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
# md5 of Keras's published files: (with the top, without it).
WEIGHTS_HASHES = {
    "vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
}
# Filters of the five blocks; each block ends with a 2x2 max pooling.
BLOCK_FILTERS = (64, 128, 256, 512, 512)


def VGG16(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg16",
):
    return build_vgg(
        (2, 2, 3, 3, 3),
        "vgg16",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


VGG16.__doc__ = application_doc(
    "Instantiate the VGG16 architecture (13 convolutions, 3 fully-connected layers).",
    224,
    32,
    "`keras.applications.vgg16.preprocess_input`",
)


def preprocess_input(x, data_format=None):
    """Preprocess images (values in [0, 255]) for VGG: RGB to BGR, then ImageNet's channel means
    subtracted ("caffe" mode of `imagenet_utils.preprocess_input`).

    Args:
        x: a NumPy array or tensor of images, 3D or 4D (a float NumPy array is changed in place).
        data_format: "channels_last", "channels_first" or None (the global setting).

    Returns:
        The preprocessed images.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction; see `imagenet_utils.decode_predictions`.

    Args:
        preds: an array of shape `(samples, 1000)`.
        top: how many classes per sample. Defaults to 5.

    Returns:
        One list of `(class_id, description, score)` tuples per sample.
    """
    return imagenet_utils.decode_predictions(preds, top=top)


def build_vgg(
    convs_per_block,
    weights_name,
    include_top,
    weights,
    input_tensor,
    input_shape,
    pooling,
    classes,
    classifier_activation,
    name,
):
    """A VGG network with `convs_per_block` 3x3 convolutions in each of the five blocks."""
    check_weights_argument(weights, include_top, classes)
    img_input, _ = image_input(
        input_tensor, input_shape, 224, 32, include_top=include_top, weights=weights
    )
    x = img_input
    for block, (filters, convs) in enumerate(zip(BLOCK_FILTERS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = Conv2D(
                filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{conv}"
            )(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pooling(x, pooling)
    model = application_model(img_input, x, input_tensor, name)
    suffix = "" if include_top else "_notop"
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    load_application_weights(
        model,
        weights,
        file_name,
        f"{WEIGHTS_URL}{weights_name}/{file_name}",
        WEIGHTS_HASHES[weights_name][0 if include_top else 1],
    )
    return model
