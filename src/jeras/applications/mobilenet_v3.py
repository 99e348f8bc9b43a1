"""MobileNetV3 Small and Large, as `keras.applications.mobilenet_v3`: inverted residual blocks
with squeeze-and-excitation and hard-swish, and the input scaling built into the model.

Layer names, order and weights are Keras's, so weight files written by Keras load here."""

import warnings

from jeras.applications import imagenet_utils
from jeras.applications.application_base import (
    application_model,
    check_weights_argument,
    global_pooling,
    load_application_weights,
)
from jeras.applications.mobilenet_v2 import make_divisible
from jeras.backend.config import image_data_format
from jeras.layers import (
    Activation,
    Add,
    BatchNormalization,
    Conv2D,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    Input,
    Multiply,
    ReLU,
    Rescaling,
    ZeroPadding2D,
)
from jeras.symbolic.keras_tensor import is_keras_tensor

_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# (top, no top) MD5 hashes of the published files, by model variant.
_WEIGHTS_HASHES = {
    "large_224_0.75_float": (
        "765b44a33ad4005b3ac83185abf1d0eb",
        "40af19a13ebea4e2ee0c676887f69a2e",
    ),
    "large_224_1.0_float": (
        "59e551e166be033d707958cf9e29a6a7",
        "07fb09a5933dd0c8eaafa16978110389",
    ),
    "large_minimalistic_224_1.0_float": (
        "675e7b876c45c57e9e63e6d90a36599c",
        "ec5221f64a2f6d1ef965a614bdae7973",
    ),
    "small_224_0.75_float": (
        "cb65d4e5be93758266aa0a7f2c6708b7",
        "ebdb5cc8e0b497cd13a7c275d475c819",
    ),
    "small_224_1.0_float": (
        "8768d4c2e7dee89b9d02b2d03d65d862",
        "d3e8ec802a04aa4fc771ee12a9a9b836",
    ),
    "small_minimalistic_224_1.0_float": (
        "99cd97fb2fcdad2bf028eb838de69e37",
        "cde8136e733e811080d9fcd8a252f7e4",
    ),
}
_BN = {"epsilon": 1e-3, "momentum": 0.999}

# The blocks of each variant: (expansion, filters before `alpha`, kernel size, stride,
# squeeze-and-excitation, activation). A kernel size of None means the variant's kernel (5,
# or 3 when minimalistic); "variant" for squeeze-and-excitation or activation means the
# variant's choice (SE 0.25 and hard-swish, or none and ReLU when minimalistic).
_SMALL_BLOCKS = (
    (1, 16, 3, 2, "variant", "relu"),
    (72.0 / 16, 24, 3, 2, None, "relu"),
    (88.0 / 24, 24, 3, 1, None, "relu"),
    (4, 40, None, 2, "variant", "variant"),
    (6, 40, None, 1, "variant", "variant"),
    (6, 40, None, 1, "variant", "variant"),
    (3, 48, None, 1, "variant", "variant"),
    (3, 48, None, 1, "variant", "variant"),
    (6, 96, None, 2, "variant", "variant"),
    (6, 96, None, 1, "variant", "variant"),
    (6, 96, None, 1, "variant", "variant"),
)
_LARGE_BLOCKS = (
    (1, 16, 3, 1, None, "relu"),
    (4, 24, 3, 2, None, "relu"),
    (3, 24, 3, 1, None, "relu"),
    (3, 40, None, 2, "variant", "relu"),
    (3, 40, None, 1, "variant", "relu"),
    (3, 40, None, 1, "variant", "relu"),
    (6, 80, 3, 2, None, "variant"),
    (2.5, 80, 3, 1, None, "variant"),
    (2.3, 80, 3, 1, None, "variant"),
    (2.3, 80, 3, 1, None, "variant"),
    (6, 112, 3, 1, "variant", "variant"),
    (6, 112, 3, 1, "variant", "variant"),
    (6, 160, None, 2, "variant", "variant"),
    (6, 160, None, 1, "variant", "variant"),
    (6, 160, None, 1, "variant", "variant"),
)

_ARGS_DOC = """
    Args:
        input_shape: optional shape tuple of one image, e.g. `(224, 224, 3)` (channels last);
            at least 32x32. Defaults to `(None, None, 3)`: any image size.
        alpha: width multiplier: the number of filters of every layer is scaled by it.
        minimalistic: use 3x3 kernels, ReLU and no squeeze-and-excitation throughout.
        include_top: whether to end with the fully-connected classifier.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        classes: number of classes, with `include_top=True`.
        pooling: with `include_top=False`, `None` (4D output), `"avg"` or `"max"` (global
            pooling to 2D).
        dropout_rate: dropout rate before the last layer.
        classifier_activation: activation of the top layer (`None` gives logits).
        include_preprocessing: whether the model scales its inputs from [0, 255] to [-1, 1]
            itself (a `Rescaling` layer).
        name: the model's name.

    Returns:
        A `keras.Model`.
"""


def MobileNetV3Small(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Small",
):
    return _mobilenet_v3(
        _SMALL_BLOCKS,
        1024,
        "small",
        input_shape,
        alpha,
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name,
    )


def MobileNetV3Large(
    input_shape=None,
    alpha=1.0,
    minimalistic=False,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    classes=1000,
    pooling=None,
    dropout_rate=0.2,
    classifier_activation="softmax",
    include_preprocessing=True,
    name="MobileNetV3Large",
):
    return _mobilenet_v3(
        _LARGE_BLOCKS,
        1280,
        "large",
        input_shape,
        alpha,
        minimalistic,
        include_top,
        weights,
        input_tensor,
        classes,
        pooling,
        dropout_rate,
        classifier_activation,
        include_preprocessing,
        name,
    )


MobileNetV3Small.__doc__ = (
    "The small MobileNetV3 (Howard et al., 2019). Expects images with values in [0, 255] "
    "(the scaling is part of the model).\n" + _ARGS_DOC
)
MobileNetV3Large.__doc__ = (
    "The large MobileNetV3 (Howard et al., 2019). Expects images with values in [0, 255] "
    "(the scaling is part of the model).\n" + _ARGS_DOC
)


def preprocess_input(x, data_format=None):
    """The identity: MobileNetV3 models scale their inputs themselves (kept for API
    compatibility with the other families).

    Args:
        x: images with values in [0, 255].
        data_format: unused.

    Returns:
        `x` unchanged.
    """
    return x


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as `(class_id, description, score)`.

    Args:
        preds: an array of shape `(samples, 1000)`.
        top: how many classes to return per sample.

    Returns:
        One list of `(class_id, description, score)` tuples per sample, best first.
    """
    return imagenet_utils.decode_predictions(preds, top=top)


def _mobilenet_v3(
    blocks,
    last_point_channels,
    model_type,
    input_shape,
    alpha,
    minimalistic,
    include_top,
    weights,
    input_tensor,
    classes,
    pooling,
    dropout_rate,
    classifier_activation,
    include_preprocessing,
    name,
):
    check_weights_argument(weights, include_top, classes)
    img_input, input_shape = _image_input(input_shape, input_tensor)
    channels_last = image_data_format() == "channels_last"
    rows, cols = input_shape[:2] if channels_last else input_shape[1:3]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError(
                "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                "non minimalistic or `1.0` for minimalistic only."
            )
        if rows != cols or rows != 224:
            warnings.warn(
                "`input_shape` is undefined or non-square, or `rows` is not 224. Weights for "
                "input shape (224, 224) will be loaded as the default.",
                stacklevel=3,
            )

    channel_axis = -1 if channels_last else 1
    if minimalistic:
        variant_kernel, variant_activation, variant_se = 3, _relu, None
    else:
        variant_kernel, variant_activation, variant_se = 5, _hard_swish, 0.25

    x = img_input
    if include_preprocessing:
        x = Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = BatchNormalization(axis=channel_axis, name="conv_bn", **_BN)(x)
    x = variant_activation(x)
    for block_id, (expansion, filters, kernel, stride, se, activation) in enumerate(blocks):
        x = _inverted_res_block(
            x,
            expansion,
            make_divisible(filters * alpha, 8),
            variant_kernel if kernel is None else kernel,
            stride,
            variant_se if se == "variant" else se,
            variant_activation if activation == "variant" else _relu,
            block_id,
        )
    last_conv_channels = make_divisible(x.shape[channel_axis] * 6, 8)
    if alpha > 1.0:
        last_point_channels = make_divisible(last_point_channels * alpha, 8)
    x = Conv2D(last_conv_channels, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = BatchNormalization(axis=channel_axis, name="conv_1_bn", **_BN)(x)
    x = variant_activation(x)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Conv2D(last_point_channels, kernel_size=1, padding="same", name="conv_2")(x)
        x = variant_activation(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate)(x)
        x = Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = global_pooling(x, pooling, ("avg_pool", "max_pool"))

    model = application_model(img_input, x, input_tensor, name)
    file_name = file_hash = None
    if weights == "imagenet":
        variant = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        top = "" if include_top else "_no_top_v2"
        file_name = f"weights_mobilenet_v3_{variant}{top}.h5"
        file_hash = _WEIGHTS_HASHES[variant][0 if include_top else 1]
    load_application_weights(
        model, weights, file_name, file_name and _WEIGHTS_URL + file_name, file_hash
    )
    return model


def _image_input(input_shape, input_tensor):
    # MobileNetV3 takes images of any size: no `obtain_input_shape` here, as in Keras.
    channels_last = image_data_format() == "channels_last"
    if input_tensor is not None:
        if not is_keras_tensor(input_tensor):
            raise ValueError(
                "`input_tensor` must be a symbolic tensor (the output of `keras.Input()` or of "
                f"layers called on one). Received: input_tensor={input_tensor!r} of type "
                f"{type(input_tensor).__name__}."
            )
        size_axis = 2 if channels_last else 1
        if input_shape is not None and input_tensor.shape[size_axis] != input_shape[1]:
            raise ValueError(
                f"`input_shape` {input_shape} does not match `input_tensor` of shape "
                f"{input_tensor.shape}: give the same image size, or only `input_tensor`."
            )
        if input_shape is None:
            rows, cols = input_tensor.shape[1:3] if channels_last else input_tensor.shape[2:4]
            input_shape = (cols, rows, 3) if channels_last else (3, cols, rows)
        return input_tensor, input_shape
    if input_shape is None:
        input_shape = (None, None, 3) if channels_last else (3, None, None)
    return Input(shape=input_shape), input_shape


def _relu(x):
    return ReLU()(x)


def _hard_sigmoid(x):
    return ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return Activation("hard_swish")(x)


def _se_block(inputs, filters, se_ratio, prefix):
    x = GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = Conv2D(
        make_divisible(filters * se_ratio, 8),
        kernel_size=1,
        padding="same",
        name=f"{prefix}squeeze_excite_conv",
    )(x)
    x = ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    channel_axis = -1 if image_data_format() == "channels_last" else 1
    shortcut = x
    in_filters = x.shape[channel_axis]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = Conv2D(
            make_divisible(in_filters * expansion, 8),
            kernel_size=1,
            padding="same",
            use_bias=False,
            name=f"{prefix}expand",
        )(x)
        x = BatchNormalization(axis=channel_axis, name=f"{prefix}expand_bn", **_BN)(x)
        x = activation(x)
    if stride == 2:
        x = ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad"
        )(x)
    x = DepthwiseConv2D(
        kernel_size,
        strides=stride,
        padding="same" if stride == 1 else "valid",
        use_bias=False,
        name=f"{prefix}depthwise",
    )(x)
    x = BatchNormalization(axis=channel_axis, name=f"{prefix}depthwise_bn", **_BN)(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, make_divisible(in_filters * expansion, 8), se_ratio, prefix)
    x = Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = BatchNormalization(axis=channel_axis, name=f"{prefix}project_bn", **_BN)(x)
    if stride == 1 and in_filters == filters:
        x = Add(name=f"{prefix}add")([shortcut, x])
    return x
