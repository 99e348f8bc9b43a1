"""MobileNetV2, as `keras.applications.mobilenet_v2`: inverted residual blocks (1x1 expansion,
3x3 depthwise, linear 1x1 projection, a residual connection where the shapes allow).

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
    Add,
    BatchNormalization,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    GlobalAveragePooling2D,
    ReLU,
    ZeroPadding2D,
)
from jeras.symbolic.keras_tensor import is_keras_tensor

_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_PUBLISHED_SIZES = (96, 128, 160, 192, 224)
_PUBLISHED_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)

# (filters before `alpha`, stride, expansion) of the seventeen inverted residual blocks.
_BLOCKS = (
    (16, 1, 1),
    (24, 2, 6),
    (24, 1, 6),
    (32, 2, 6),
    (32, 1, 6),
    (32, 1, 6),
    (64, 2, 6),
    (64, 1, 6),
    (64, 1, 6),
    (64, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (160, 2, 6),
    (160, 1, 6),
    (160, 1, 6),
    (320, 1, 6),
)
# Batch normalization as in the published weights.
_BN = {"epsilon": 1e-3, "momentum": 0.999}


def MobileNetV2(
    input_shape=None,
    alpha=1.0,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name=None,
):
    """The MobileNetV2 architecture (Sandler et al., 2018).

    Expects inputs scaled to [-1, 1] (`keras.applications.mobilenet_v2.preprocess_input`).

    Args:
        input_shape: optional shape tuple of one image, e.g. `(224, 224, 3)` (channels last);
            at least 32x32. Only needed with `include_top=False` or another size than 224.
        alpha: width multiplier: the number of filters of every layer is scaled by it.
        include_top: whether to end with the fully-connected classifier.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        pooling: with `include_top=False`, `None` (4D output), `"avg"` or `"max"` (global
            pooling to 2D).
        classes: number of classes, with `include_top=True`.
        classifier_activation: activation of the top layer (`None` gives logits).
        name: the model's name; defaults to `"mobilenetv2_{alpha:0.2f}_{rows}"`.

    Returns:
        A `keras.Model`.
    """
    check_weights_argument(weights, include_top, classes)
    default_size = _default_size(input_shape, input_tensor)
    img_input, input_shape = image_input(
        input_tensor, input_shape, default_size, 32, include_top, weights
    )
    row_axis = 0 if image_data_format() == "channels_last" else 1
    rows, cols = input_shape[row_axis], input_shape[row_axis + 1]
    if weights == "imagenet":
        if alpha not in _PUBLISHED_ALPHAS:
            raise ValueError(
                "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, "
                f"`0.75`, `1.0`, `1.3` or `1.4` only; Received `alpha={alpha}`"
            )
        if rows != cols or rows not in _PUBLISHED_SIZES:
            rows = 224
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not in "
                "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                "as the default.",
                stacklevel=2,
            )

    channel_axis = -1 if image_data_format() == "channels_last" else 1
    x = Conv2D(
        make_divisible(32 * alpha, 8),
        kernel_size=3,
        strides=(2, 2),
        padding="same",
        use_bias=False,
        name="Conv1",
    )(img_input)
    x = BatchNormalization(axis=channel_axis, name="bn_Conv1", **_BN)(x)
    x = ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion, stride, int(filters * alpha), block_id)
    # Wider networks widen the last convolution too; narrower ones keep its 1280 filters.
    last_filters = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = Conv2D(last_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = BatchNormalization(axis=channel_axis, name="Conv_1_bn", **_BN)(x)
    x = ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pooling(x, pooling)

    if name is None:
        name = f"mobilenetv2_{alpha:0.2f}_{rows}"
    model = application_model(img_input, x, input_tensor, name)
    file_name = None
    if weights == "imagenet":
        top = "" if include_top else "_no_top"
        file_name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}{top}.h5"
    load_application_weights(model, weights, file_name, file_name and _WEIGHTS_URL + file_name)
    return model


def preprocess_input(x, data_format=None):
    """Scale images with values in [0, 255] to [-1, 1], as MobileNetV2 expects.

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


def make_divisible(value, divisor, min_value=None):
    """`value` rounded to the nearest multiple of `divisor` (at least `min_value`, which
    defaults to `divisor`), never more than 10% below `value`: the channel rounding of the
    MobileNet and EfficientNet families."""
    if min_value is None:
        min_value = divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _default_size(input_shape, input_tensor):
    # The published size the input matches (square and one of them), else 224; the input's
    # size comes from `input_shape`, or from a symbolic `input_tensor` when that is given alone.
    channels_last = image_data_format() == "channels_last"
    if input_shape is not None:
        rows, cols = input_shape[:2] if channels_last else input_shape[1:3]
    elif input_tensor is not None and is_keras_tensor(input_tensor):
        rows, cols = input_tensor.shape[1:3] if channels_last else input_tensor.shape[2:4]
    else:
        return 224
    return rows if rows == cols and rows in _PUBLISHED_SIZES else 224


def _inverted_res_block(inputs, expansion, stride, filters, block_id):
    channel_axis = -1 if image_data_format() == "channels_last" else 1
    in_channels = inputs.shape[channel_axis]
    pointwise_filters = make_divisible(filters, 8)
    x = inputs
    if block_id:
        prefix = f"block_{block_id}_"
        x = Conv2D(
            expansion * in_channels,
            kernel_size=1,
            padding="same",
            use_bias=False,
            activation=None,
            name=f"{prefix}expand",
        )(x)
        x = BatchNormalization(axis=channel_axis, name=f"{prefix}expand_BN", **_BN)(x)
        x = ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        # The first block has no expansion layer, and Keras names it apart.
        prefix = "expanded_conv_"
    if stride == 2:
        x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = DepthwiseConv2D(
        kernel_size=3,
        strides=stride,
        activation=None,
        use_bias=False,
        padding="same" if stride == 1 else "valid",
        name=f"{prefix}depthwise",
    )(x)
    x = BatchNormalization(axis=channel_axis, name=f"{prefix}depthwise_BN", **_BN)(x)
    x = ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = Conv2D(
        pointwise_filters,
        kernel_size=1,
        padding="same",
        use_bias=False,
        activation=None,
        name=f"{prefix}project",
    )(x)
    x = BatchNormalization(axis=channel_axis, name=f"{prefix}project_BN", **_BN)(x)
    if in_channels == pointwise_filters and stride == 1:
        return Add(name=f"{prefix}add")([inputs, x])
    return x
