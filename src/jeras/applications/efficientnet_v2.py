"""EfficientNetV2 B0 to B3, S, M and L, as `keras.applications.efficientnet_v2`: fused MBConv
blocks (one full convolution instead of expansion + depthwise) in the early stages, MBConv
blocks with squeeze-and-excitation after, and the input scaling built into the model.

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
    add,
    multiply,
)

_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
# (top, no top) MD5 hashes of the published files.
_WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

_BLOCK_FIELDS = (
    "conv_type",
    "kernel_size",
    "num_repeat",
    "input_filters",
    "output_filters",
    "expand_ratio",
    "se_ratio",
    "strides",
)
# conv_type 1 is a fused MBConv block, 0 an MBConv block.
_B_STAGES = (
    (1, 3, 1, 32, 16, 1, 0, 1),
    (1, 3, 2, 16, 32, 4, 0, 2),
    (1, 3, 2, 32, 48, 4, 0, 2),
    (0, 3, 3, 48, 96, 4, 0.25, 2),
    (0, 3, 5, 96, 112, 6, 0.25, 1),
    (0, 3, 8, 112, 192, 6, 0.25, 2),
)
_STAGES = {
    "efficientnetv2-s": (
        (1, 3, 2, 24, 24, 1, 0.0, 1),
        (1, 3, 4, 24, 48, 4, 0.0, 2),
        (1, 3, 4, 48, 64, 4, 0, 2),
        (0, 3, 6, 64, 128, 4, 0.25, 2),
        (0, 3, 9, 128, 160, 6, 0.25, 1),
        (0, 3, 15, 160, 256, 6, 0.25, 2),
    ),
    "efficientnetv2-m": (
        (1, 3, 3, 24, 24, 1, 0, 1),
        (1, 3, 5, 24, 48, 4, 0, 2),
        (1, 3, 5, 48, 80, 4, 0, 2),
        (0, 3, 7, 80, 160, 4, 0.25, 2),
        (0, 3, 14, 160, 176, 6, 0.25, 1),
        (0, 3, 18, 176, 304, 6, 0.25, 2),
        (0, 3, 5, 304, 512, 6, 0.25, 1),
    ),
    "efficientnetv2-l": (
        (1, 3, 4, 32, 32, 1, 0, 1),
        (1, 3, 7, 32, 64, 4, 0, 2),
        (1, 3, 7, 64, 96, 4, 0, 2),
        (0, 3, 10, 96, 192, 4, 0.25, 2),
        (0, 3, 19, 192, 224, 6, 0.25, 1),
        (0, 3, 25, 224, 384, 6, 0.25, 2),
        (0, 3, 7, 384, 640, 6, 0.25, 1),
    ),
    "efficientnetv2-b0": _B_STAGES,
    "efficientnetv2-b1": _B_STAGES,
    "efficientnetv2-b2": _B_STAGES,
    "efficientnetv2-b3": _B_STAGES,
}
DEFAULT_BLOCKS_ARGS = {
    name: [dict(zip(_BLOCK_FIELDS, stage)) for stage in stages] for name, stages in _STAGES.items()
}

# (weights name, width coefficient, depth coefficient, default size) of each public variant.
_VARIANTS = {
    "B0": ("b0", 1.0, 1.0, 224),
    "B1": ("b1", 1.0, 1.1, 240),
    "B2": ("b2", 1.1, 1.2, 260),
    "B3": ("b3", 1.2, 1.4, 300),
    "S": ("-s", 1.0, 1.0, 384),
    "M": ("-m", 1.0, 1.0, 480),
    "L": ("-l", 1.0, 1.0, 480),
}

_ARGS_DOC = """
    Expects images with values in [0, 255]: the scaling is part of the model
    (`keras.applications.efficientnet_v2.preprocess_input` is the identity).

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
        include_preprocessing: whether the model scales (and for B0-B3, normalizes) its inputs.
        name: the model's name.

    Returns:
        A `keras.Model`.
"""


def EfficientNetV2(
    width_coefficient,
    depth_coefficient,
    default_size,
    dropout_rate=0.2,
    drop_connect_rate=0.2,
    depth_divisor=8,
    min_depth=8,
    bn_momentum=0.9,
    activation="swish",
    blocks_args="default",
    name="efficientnetv2",
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    include_preprocessing=True,
    weights_name=None,
):
    """An EfficientNetV2 of any scaling (Tan and Le, 2021); `EfficientNetV2B0` ... call it.

    Args:
        width_coefficient: scale of the number of filters.
        depth_coefficient: scale of the number of blocks per stage.
        default_size: the input image size of the published weights.
        dropout_rate: dropout rate before the classifier.
        drop_connect_rate: scale of the blocks' residual dropout, growing block by block.
        depth_divisor: filters are rounded to a multiple of it.
        min_depth: the fewest filters of a layer.
        bn_momentum: momentum of the batch normalization layers.
        activation: the activation of the blocks.
        blocks_args: the stages, as the entries of `DEFAULT_BLOCKS_ARGS`; "default" takes the
            entry of the variant (`weights_name`, else `name`).
        name: the model's name (also the published file's name).
        include_top: whether to end with the fully-connected classifier.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        input_shape: optional shape tuple of one image.
        pooling: with `include_top=False`, `None`, `"avg"` or `"max"`.
        classes: number of classes, with `include_top=True`.
        classifier_activation: activation of the top layer (`None` gives logits).
        include_preprocessing: whether the model scales its inputs itself.
        weights_name: the variant of the published weights ("b0" ... "b3", "-s", "-m", "-l").

    Returns:
        A `keras.Model`.
    """
    # Keras picks the stages by the model's name; the variant does the same for the published
    # names and keeps working when a user renames the model.
    variant = f"efficientnetv2-{weights_name.lstrip('-')}" if weights_name else name
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS[variant]
    check_weights_argument(weights, include_top, classes)
    img_input, input_shape = image_input(
        input_tensor, input_shape, default_size, 32, include_top, weights
    )
    bn_axis = 3 if image_data_format() == "channels_last" else 1

    def round_filters(filters):
        filters *= width_coefficient
        minimum = min_depth or depth_divisor
        rounded = int(filters + depth_divisor / 2) // depth_divisor * depth_divisor
        return int(max(minimum, rounded))

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    x = img_input
    if include_preprocessing:
        channels = input_shape[bn_axis - 1]
        if variant.split("-")[-1].startswith("b") and channels == 3:
            # The B variants were trained on ImageNet-normalized inputs in [0, 1].
            x = Rescaling(scale=1.0 / 255)(x)
            x = Normalization(
                mean=[0.485, 0.456, 0.406],
                variance=[0.229**2, 0.224**2, 0.225**2],
                axis=bn_axis,
            )(x)
        else:
            x = Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    x = Conv2D(
        filters=round_filters(blocks_args[0]["input_filters"]),
        kernel_size=3,
        strides=2,
        kernel_initializer=_conv_kernel_initializer(),
        padding="same",
        use_bias=False,
        name="stem_conv",
    )(x)
    x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="stem_bn")(x)
    x = Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    total_blocks = float(sum(args["num_repeat"] for args in blocks_args))
    block_index = 0
    for stage, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError(
                "The number of repeats in `EfficientNetV2` must be > 0. "
                f"Received: num_repeat={args['num_repeat']}"
            )
        args["input_filters"] = round_filters(args["input_filters"])
        args["output_filters"] = round_filters(args["output_filters"])
        block = {0: MBConvBlock, 1: FusedMBConvBlock}[args.pop("conv_type")]
        for repeat in range(round_repeats(args.pop("num_repeat"))):
            if repeat > 0:
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = block(
                activation=activation,
                bn_momentum=bn_momentum,
                survival_probability=drop_connect_rate * block_index / total_blocks,
                name=f"block{stage + 1}{chr(repeat + 97)}_",
                **args,
            )(x)
            block_index += 1

    x = Conv2D(
        filters=round_filters(1280),
        kernel_size=1,
        strides=1,
        kernel_initializer=_conv_kernel_initializer(),
        padding="same",
        use_bias=False,
        name="top_conv",
    )(x)
    x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name="top_bn")(x)
    x = Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Dense(
            classes,
            activation=classifier_activation,
            kernel_initializer=initializers.VarianceScaling(
                scale=1.0 / 3.0, mode="fan_out", distribution="uniform"
            ),
            bias_initializer=initializers.Constant(0.0),
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


def MBConvBlock(
    input_filters,
    output_filters,
    expand_ratio=1,
    kernel_size=3,
    strides=1,
    se_ratio=0.0,
    bn_momentum=0.9,
    activation="swish",
    survival_probability=0.8,
    name=None,
):
    """An MBConv block (1x1 expansion, depthwise convolution, squeeze-and-excitation, 1x1
    projection), as a function of a symbolic tensor; its layers are named `name` + role."""
    bn_axis = 3 if image_data_format() == "channels_last" else 1

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = Conv2D(
                filters=filters,
                kernel_size=1,
                strides=1,
                kernel_initializer=_conv_kernel_initializer(),
                padding="same",
                use_bias=False,
                name=f"{name}expand_conv",
            )(x)
            x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = Activation(activation, name=f"{name}expand_activation")(x)
        x = DepthwiseConv2D(
            kernel_size=kernel_size,
            strides=strides,
            depthwise_initializer=_conv_kernel_initializer(),
            padding="same",
            use_bias=False,
            name=f"{name}dwconv2",
        )(x)
        x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}bn")(x)
        x = Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, input_filters, filters, se_ratio, activation, bn_axis, name)
        x = Conv2D(
            filters=output_filters,
            kernel_size=1,
            strides=1,
            kernel_initializer=_conv_kernel_initializer(),
            padding="same",
            use_bias=False,
            name=f"{name}project_conv",
        )(x)
        x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        return _residual(
            x, inputs, strides, input_filters, output_filters, survival_probability, name
        )

    return apply


def FusedMBConvBlock(
    input_filters,
    output_filters,
    expand_ratio=1,
    kernel_size=3,
    strides=1,
    se_ratio=0.0,
    bn_momentum=0.9,
    activation="swish",
    survival_probability=0.8,
    name=None,
):
    """A fused MBConv block (one full convolution doing the expansion and the spatial work,
    optional squeeze-and-excitation, 1x1 projection), as a function of a symbolic tensor."""
    bn_axis = 3 if image_data_format() == "channels_last" else 1

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = Conv2D(
                filters,
                kernel_size=kernel_size,
                strides=strides,
                kernel_initializer=_conv_kernel_initializer(),
                padding="same",
                use_bias=False,
                name=f"{name}expand_conv",
            )(x)
            x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = Activation(activation=activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, input_filters, filters, se_ratio, activation, bn_axis, name)
        # Without expansion, the projection is the block's only (spatial) convolution.
        x = Conv2D(
            output_filters,
            kernel_size=1 if expand_ratio != 1 else kernel_size,
            strides=1 if expand_ratio != 1 else strides,
            kernel_initializer=_conv_kernel_initializer(),
            padding="same",
            use_bias=False,
            name=f"{name}project_conv",
        )(x)
        x = BatchNormalization(axis=bn_axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if expand_ratio == 1:
            x = Activation(activation=activation, name=f"{name}project_activation")(x)
        return _residual(
            x, inputs, strides, input_filters, output_filters, survival_probability, name
        )

    return apply


def _variant(suffix):
    """The public constructor of one published variant (`EfficientNetV2B0`, ...)."""
    weights_name, width, depth, default_size = _VARIANTS[suffix]

    def constructor(
        include_top=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        include_preprocessing=True,
        name=f"efficientnetv2-{suffix.lower()}",
    ):
        return EfficientNetV2(
            width_coefficient=width,
            depth_coefficient=depth,
            default_size=default_size,
            name=name,
            include_top=include_top,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
            include_preprocessing=include_preprocessing,
            weights_name=weights_name,
        )

    public_name = f"EfficientNetV2{suffix}"
    constructor.__name__ = constructor.__qualname__ = public_name
    constructor.__module__ = __name__
    constructor.__doc__ = (
        f"EfficientNetV2-{suffix} (Tan and Le, 2021), for {default_size}x{default_size} "
        "images.\n" + _ARGS_DOC
    )
    return constructor


EfficientNetV2B0 = _variant("B0")
EfficientNetV2B1 = _variant("B1")
EfficientNetV2B2 = _variant("B2")
EfficientNetV2B3 = _variant("B3")
EfficientNetV2S = _variant("S")
EfficientNetV2M = _variant("M")
EfficientNetV2L = _variant("L")


def preprocess_input(x, data_format=None):
    """The identity: EfficientNetV2 models scale their inputs themselves (kept for API
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


def _conv_kernel_initializer():
    # One initializer per layer, as Keras gives each layer its own from a config dict.
    return initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")


def _squeeze_excite(x, input_filters, filters, se_ratio, activation, bn_axis, name):
    filters_se = max(1, int(input_filters * se_ratio))
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
    return multiply([x, se], name=f"{name}se_excite")


def _residual(x, inputs, strides, input_filters, output_filters, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            # Keras passes the value as the branch's dropout *rate* despite its name; kept, so
            # that training matches Keras.
            x = Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = add([x, inputs], name=f"{name}add")
    return x
