"""EfficientNet B0 to B7, as `keras.applications.efficientnet`: MBConv blocks (expansion,
depthwise convolution, squeeze-and-excitation, projection) scaled in width, depth and input
size, with the input scaling and normalization built into the model.

Layer names, order and weights are Keras's, so weight files written by Keras load here."""

import copy
import math

from jeras import initializers
from jeras.applications import imagenet_utils
from jeras.applications.application_base import (
    application_model,
    check_weights_argument,
    global_pooling,
    image_input,
    load_application_weights,
)
from jeras.applications.mobilenet_v2 import make_divisible
from jeras.backend.config import image_data_format
from jeras.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    Dropout,
    GlobalAveragePooling2D,
    Normalization,
    Rescaling,
    Reshape,
    ZeroPadding2D,
    add,
    multiply,
)

_WEIGHTS_URL = "https://storage.googleapis.com/keras-applications/"
# (top, no top) MD5 hashes of the published files.
_WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}

# The seven stages of B0; the other sizes scale filters and repeats.
DEFAULT_BLOCKS_ARGS = [
    {
        "kernel_size": 3,
        "repeats": 1,
        "filters_in": 32,
        "filters_out": 16,
        "expand_ratio": 1,
        "id_skip": True,
        "strides": 1,
        "se_ratio": 0.25,
    },
    {
        "kernel_size": 3,
        "repeats": 2,
        "filters_in": 16,
        "filters_out": 24,
        "expand_ratio": 6,
        "id_skip": True,
        "strides": 2,
        "se_ratio": 0.25,
    },
    {
        "kernel_size": 5,
        "repeats": 2,
        "filters_in": 24,
        "filters_out": 40,
        "expand_ratio": 6,
        "id_skip": True,
        "strides": 2,
        "se_ratio": 0.25,
    },
    {
        "kernel_size": 3,
        "repeats": 3,
        "filters_in": 40,
        "filters_out": 80,
        "expand_ratio": 6,
        "id_skip": True,
        "strides": 2,
        "se_ratio": 0.25,
    },
    {
        "kernel_size": 5,
        "repeats": 3,
        "filters_in": 80,
        "filters_out": 112,
        "expand_ratio": 6,
        "id_skip": True,
        "strides": 1,
        "se_ratio": 0.25,
    },
    {
        "kernel_size": 5,
        "repeats": 4,
        "filters_in": 112,
        "filters_out": 192,
        "expand_ratio": 6,
        "id_skip": True,
        "strides": 2,
        "se_ratio": 0.25,
    },
    {
        "kernel_size": 3,
        "repeats": 1,
        "filters_in": 192,
        "filters_out": 320,
        "expand_ratio": 6,
        "id_skip": True,
        "strides": 1,
        "se_ratio": 0.25,
    },
]


# Functions rather than shared objects, so that every layer gets its own initializer (as Keras
# gives each layer one from its config dict).
def _conv_kernel_initializer():
    return initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")


def _dense_kernel_initializer():
    return initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_out", distribution="uniform")


# The published weights' normalization divides by the variance; multiplying by the square root
# of ImageNet's standard deviations afterwards turns that into a division by the deviation.
IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]

# (width coefficient, depth coefficient, default size, dropout rate) of B0 to B7.
_SCALINGS = {
    "b0": (1.0, 1.0, 224, 0.2),
    "b1": (1.0, 1.1, 240, 0.2),
    "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3),
    "b4": (1.4, 1.8, 380, 0.4),
    "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5),
    "b7": (2.0, 3.1, 600, 0.5),
}

_ARGS_DOC = """
    Expects images with values in [0, 255]: the scaling and normalization are part of the model
    (`keras.applications.efficientnet.preprocess_input` is the identity).

    Args:
        include_top: whether to end with the fully-connected classifier.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        input_shape: optional shape tuple of one image, e.g. `(224, 224, 3)` (channels last);
            at least 32x32. Only needed with `include_top=False` or another size than the
            default.
        pooling: with `include_top=False`, `None` (4D output), `"avg"` or `"max"` (global
            pooling to 2D).
        classes: number of classes, with `include_top=True`.
        classifier_activation: activation of the top layer (`None` gives logits).
        name: the model's name.

    Returns:
        A `keras.Model`.
"""


def EfficientNet(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    activation="swish",
    blocks_args="default",
    name="efficientnet",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """An EfficientNet of any scaling (Tan and Le, 2019); `EfficientNetB0` to `B7` call it.

    Args:
        width_coefficient: scale of the number of filters.
        depth_coefficient: scale of the number of blocks per stage.
        default_size: the input image size of the published weights.
        dropout_rate: dropout rate before the classifier.
        drop_connect_rate: largest dropout rate of the residual branches (stochastic depth),
            reached by the last block.
        depth_divisor: filters are rounded to a multiple of it.
        activation: the activation of the blocks.
        blocks_args: the stages, as `DEFAULT_BLOCKS_ARGS` ("default").
        name: the model's name (also the published file's name).
        include_top: whether to end with the fully-connected classifier.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        input_shape: optional shape tuple of one image.
        pooling: with `include_top=False`, `None`, `"avg"` or `"max"`.
        classes: number of classes, with `include_top=True`.
        classifier_activation: activation of the top layer (`None` gives logits).
        weights_name: the variant of the published weights ("b0" ... "b7").

    Returns:
        A `keras.Model`.
    """
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS
    check_weights_argument(weights, include_top, classes)
    img_input, input_shape = image_input(
        input_tensor, input_shape, default_size, 32, include_top, weights
    )
    bn_axis = 3 if image_data_format() == "channels_last" else 1

    def round_filters(filters):
        return int(make_divisible(filters * width_coefficient, depth_divisor))

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    x = Rescaling(1.0 / 255.0)(img_input)
    normalization = Normalization(axis=bn_axis)
    x = normalization(x)
    # Keras runs this layer with its initial statistics (mean 0, variance 1) until weights are
    # loaded or it is adapted; training from scratch (`weights=None`) relies on that. A user's
    # unadapted Normalization is refused (it is almost always a forgotten `adapt`); this one
    # is meant, and says so.
    normalization._has_statistics = True
    if weights == "imagenet":
        x = Rescaling([1.0 / math.sqrt(stddev) for stddev in IMAGENET_STDDEV_RGB])(x)
    x = ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = Conv2D(
        round_filters(32),
        3,
        strides=2,
        padding="valid",
        use_bias=False,
        kernel_initializer=_conv_kernel_initializer(),
        name="stem_conv",
    )(x)
    x = BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    total_blocks = float(sum(round_repeats(args["repeats"]) for args in blocks_args))
    block_index = 0
    for stage, args in enumerate(blocks_args):
        if args["repeats"] <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNet` must be > 0. "
                f"Received: repeats={args['repeats']}"
            )
        args["filters_in"] = round_filters(args["filters_in"])
        args["filters_out"] = round_filters(args["filters_out"])
        for repeat in range(round_repeats(args.pop("repeats"))):
            if repeat > 0:
                # Only a stage's first block changes the resolution and the width.
                args["strides"] = 1
                args["filters_in"] = args["filters_out"]
            x = block(
                x,
                activation,
                drop_connect_rate * block_index / total_blocks,
                name=f"block{stage + 1}{chr(repeat + 97)}_",
                **args,
            )
            block_index += 1

    x = Conv2D(
        round_filters(1280),
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=_conv_kernel_initializer(),
        name="top_conv",
    )(x)
    x = BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = Activation(activation, name="top_activation")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=_dense_kernel_initializer(),
            name="predictions",
        )(x)
    else:
        x = global_pooling(x, pooling, ("avg_pool", "max_pool"))

    model = application_model(img_input, x, input_tensor, name)
    file_name = file_hash = None
    if weights == "imagenet":
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = _WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    load_application_weights(
        model, weights, file_name, file_name and _WEIGHTS_URL + file_name, file_hash
    )
    return model


def block(
    inputs,
    activation="swish",
    drop_rate=0.0,
    name="",
    filters_in=32,
    filters_out=16,
    kernel_size=3,
    strides=1,
    expand_ratio=1,
    se_ratio=0.0,
    id_skip=True,
):
    """One MBConv block applied to the symbolic tensor `inputs`; its layers are named
    `name` + their role (`block1a_dwconv`, ...)."""
    bn_axis = 3 if image_data_format() == "channels_last" else 1
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = Conv2D(
            filters,
            1,
            padding="same",
            use_bias=False,
            kernel_initializer=_conv_kernel_initializer(),
            name=f"{name}expand_conv",
        )(x)
        x = BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = ZeroPadding2D(
            padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{name}dwconv_pad"
        )(x)
        conv_pad = "valid"
    else:
        conv_pad = "same"
    x = DepthwiseConv2D(
        kernel_size,
        strides=strides,
        padding=conv_pad,
        use_bias=False,
        depthwise_initializer=_conv_kernel_initializer(),
        name=f"{name}dwconv",
    )(x)
    x = BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = Activation(activation, name=f"{name}activation")(x)

    if 0 < se_ratio <= 1:
        filters_se = max(1, int(filters_in * se_ratio))
        se = GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
        se_shape = (filters, 1, 1) if bn_axis == 1 else (1, 1, filters)
        se = Reshape(se_shape, name=f"{name}se_reshape")(se)
        se = Conv2D(
            filters_se,
            1,
            padding="same",
            activation=activation,
            kernel_initializer=_conv_kernel_initializer(),
            name=f"{name}se_reduce",
        )(se)
        se = Conv2D(
            filters,
            1,
            padding="same",
            activation="sigmoid",
            kernel_initializer=_conv_kernel_initializer(),
            name=f"{name}se_expand",
        )(se)
        x = multiply([x, se], name=f"{name}se_excite")

    x = Conv2D(
        filters_out,
        1,
        padding="same",
        use_bias=False,
        kernel_initializer=_conv_kernel_initializer(),
        name=f"{name}project_conv",
    )(x)
    x = BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            # Stochastic depth: the whole residual branch of a sample is dropped at once.
            x = Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = add([x, inputs], name=f"{name}add")
    return x


def _variant(weights_name):
    """The public constructor of one published size (`EfficientNetB0`, ...)."""
    width, depth, default_size, dropout_rate = _SCALINGS[weights_name]

    def constructor(
        include_top=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        name=f"efficientnet{weights_name}",
    ):
        return EfficientNet(
            width,
            depth,
            default_size,
            dropout_rate,
            name=name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            weights_name=weights_name,
        )

    public_name = f"EfficientNet{weights_name.upper()}"
    constructor.__name__ = constructor.__qualname__ = public_name
    constructor.__module__ = __name__
    constructor.__doc__ = (
        f"EfficientNet-{weights_name.upper()} (Tan and Le, 2019), for {default_size}x"
        f"{default_size} images.\n" + _ARGS_DOC
    )
    return constructor


EfficientNetB0 = _variant("b0")
EfficientNetB1 = _variant("b1")
EfficientNetB2 = _variant("b2")
EfficientNetB3 = _variant("b3")
EfficientNetB4 = _variant("b4")
EfficientNetB5 = _variant("b5")
EfficientNetB6 = _variant("b6")
EfficientNetB7 = _variant("b7")


def preprocess_input(x, data_format=None):
    """The identity: EfficientNet models scale and normalize their inputs themselves (kept for
    API compatibility with the other families).

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
