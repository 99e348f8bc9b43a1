"""MobileNet (v1), as `keras.applications.mobilenet`: a stem convolution, then thirteen blocks of
a depthwise 3x3 and a pointwise 1x1 convolution, each followed by batch normalization and ReLU6.

Layer names, order and weights are Keras's, so weight files written by Keras load here."""

import warnings

from jeras.applications import imagenet_utils
from jeras.applications.application_base import (
    application_model,
    check_weights_argument,
    global_pooling,
    image_input,
    load_application_weights,
)
from jeras.backend.config import image_data_format
from jeras.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    DepthwiseConv2D,
    Dropout,
    GlobalAveragePooling2D,
    ReLU,
    Reshape,
    ZeroPadding2D,
)

_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
# The input sizes Keras publishes ImageNet weights for.
_PUBLISHED_SIZES = (128, 160, 192, 224)
_ALPHA_FILE_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}

# (pointwise filters, stride) of the thirteen depthwise-separable blocks, before `alpha`.
_BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


def MobileNet(
    input_shape=None,
    alpha=1.0,
    depth_multiplier=1,
    dropout=1e-3,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """The MobileNet architecture (Howard et al., 2017).

    Expects inputs scaled to [-1, 1] (`keras.applications.mobilenet.preprocess_input`).

    Args:
        input_shape: optional shape tuple of one image, e.g. `(224, 224, 3)` (channels last);
            at least 32x32. Only needed with `include_top=False` or another size than 224.
        alpha: width multiplier: the number of filters of every layer is scaled by it.
        depth_multiplier: depth multiplier of the depthwise convolutions.
        dropout: dropout rate before the classifier.
        include_top: whether to end with the fully-connected classifier.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        pooling: with `include_top=False`, `None` (4D output), `"avg"` or `"max"` (global
            pooling to 2D).
        classes: number of classes, with `include_top=True`.
        classifier_activation: activation of the top layer (`None` gives logits).
        name: the model's name; defaults to `"mobilenet_{alpha:0.2f}_{rows}"`.

    Returns:
        A `keras.Model`.
    """
    check_weights_argument(weights, include_top, classes)
    default_size = _square_size_in(input_shape, _PUBLISHED_SIZES, default=224)
    img_input, input_shape = image_input(
        input_tensor, input_shape, default_size, 32, include_top, weights
    )
    row_axis = 0 if image_data_format() == "channels_last" else 1
    rows, cols = input_shape[row_axis], input_shape[row_axis + 1]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError(
                "If imagenet weights are being loaded, depth multiplier must be 1.  "
                f"Received depth_multiplier={depth_multiplier}"
            )
        if alpha not in _ALPHA_FILE_TEXT:
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.25`, `0.50`, "
                f"`0.75` or `1.0` only.  Received alpha={alpha}"
            )
        if rows != cols or rows not in _PUBLISHED_SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded as "
                "the default.",
                stacklevel=2,
            )

    x = _stem(img_input, int(32 * alpha))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_separable_block(x, int(filters * alpha), depth_multiplier, stride, block_id)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Dropout(dropout, name="dropout")(x)
        x = Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pooling(x, pooling)

    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = application_model(img_input, x, input_tensor, name)
    file_name = None
    if weights == "imagenet":
        top = "" if include_top else "_no_top"
        file_name = f"mobilenet_{_ALPHA_FILE_TEXT[alpha]}_{rows}_tf{top}.h5"
    load_application_weights(model, weights, file_name, file_name and _WEIGHTS_URL + file_name)
    return model


def preprocess_input(x, data_format=None):
    """Scale images with values in [0, 255] to [-1, 1], as MobileNet expects.

    Args:
        x: a NumPy array, a tensor or a symbolic tensor of images (3 channels).
        data_format: "channels_last" or "channels_first"; None means the global setting.

    Returns:
        The preprocessed images.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as `(class_id, description, score)`.

    Args:
        preds: an array of shape `(samples, 1000)`.
        top: how many classes to return per sample.

    Returns:
        One list of `(class_id, description, score)` tuples per sample, best first.
    """
    return imagenet_utils.decode_predictions(preds, top=top)


def _square_size_in(input_shape, sizes, default):
    """The side of a square `input_shape` when it is one of `sizes`, else `default`: the size
    whose published weights fit the input best (Keras's `default_size` rule)."""
    if input_shape is None:
        return default
    row_axis = 0 if image_data_format() == "channels_last" else 1
    rows, cols = input_shape[row_axis], input_shape[row_axis + 1]
    return rows if rows == cols and rows in sizes else default


def _channel_axis():
    return -1 if image_data_format() == "channels_last" else 1


def _stem(inputs, filters):
    x = Conv2D(filters, (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(
        inputs
    )
    x = BatchNormalization(axis=_channel_axis(), name="conv1_bn")(x)
    return ReLU(6.0, name="conv1_relu")(x)


def _depthwise_separable_block(inputs, filters, depth_multiplier, stride, block_id):
    x = inputs
    if stride != 1:
        # TensorFlow's "same" padding for an even input pads only after; the explicit pad
        # keeps the published weights' alignment on every backend.
        x = ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = DepthwiseConv2D(
        (3, 3),
        padding="same" if stride == 1 else "valid",
        depth_multiplier=depth_multiplier,
        strides=(stride, stride),
        use_bias=False,
        name=f"conv_dw_{block_id}",
    )(x)
    x = BatchNormalization(axis=_channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = Conv2D(
        filters,
        (1, 1),
        padding="same",
        use_bias=False,
        strides=(1, 1),
        name=f"conv_pw_{block_id}",
    )(x)
    x = BatchNormalization(axis=_channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)
