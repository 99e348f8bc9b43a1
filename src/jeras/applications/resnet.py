"""ResNet50, ResNet101 and ResNet152 (He et al., 2015, "Deep Residual Learning for Image
Recognition"), layer for layer as `keras.applications.resnet`, so Keras's weight files load."""

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
from jeras.layers.merging import Add
from jeras.layers.normalization import BatchNormalization
from jeras.layers.pooling import MaxPooling2D
from jeras.layers.spatial_reshaping import ZeroPadding2D

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# md5 of Keras's published files: (with the top, without it).
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}

# Every BatchNormalization of the family uses this epsilon (the value of the Caffe originals).
BN_EPSILON = 1.001e-5


def ResNet50(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
):
    return ResNet(
        _stacks_v1((3, 4, 6, 3)),
        preact=False,
        use_bias=True,
        weights_name="resnet50",
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
    )


def ResNet101(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101",
):
    return ResNet(
        _stacks_v1((3, 4, 23, 3)),
        preact=False,
        use_bias=True,
        weights_name="resnet101",
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
    )


def ResNet152(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152",
):
    return ResNet(
        _stacks_v1((3, 8, 36, 3)),
        preact=False,
        use_bias=True,
        weights_name="resnet152",
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
    )


for _builder, _blocks in ((ResNet50, "3, 4, 6"), (ResNet101, "3, 4, 23"), (ResNet152, "3, 8, 36")):
    _builder.__doc__ = application_doc(
        f"Instantiate the {_builder.__name__} architecture ({_blocks} and 3 bottleneck blocks).",
        224,
        32,
        "`keras.applications.resnet.preprocess_input`",
    )


def preprocess_input(x, data_format=None):
    """Preprocess images (values in [0, 255]) for ResNet: RGB to BGR, then ImageNet's channel
    means subtracted ("caffe" mode of `imagenet_utils.preprocess_input`).

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


def ResNet(
    stack_fn,
    preact,
    use_bias,
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet",
    weights_name=None,
):
    """The ResNet skeleton shared by v1 and v2: a 7x7 stem, `stack_fn`'s residual stacks, and
    the top. `preact` (v2) moves the stem's batch normalization after the stacks."""
    check_weights_argument(weights, include_top, classes)
    img_input, _ = image_input(
        input_tensor, input_shape, 224, 32, include_top=include_top, weights=weights
    )
    bn_axis = _channel_axis()
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name="conv1_bn")(x)
        x = Activation("relu", name="conv1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack_fn(x)
    if preact:
        x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name="post_bn")(x)
        x = Activation("relu", name="post_relu")(x)
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
    if weights_name in WEIGHTS_HASHES:
        suffix = "" if include_top else "_notop"
        file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
        load_application_weights(model, weights, file_name, WEIGHTS_URL + file_name, file_hash)
    else:
        load_application_weights(model, weights)
    return model


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block (1x1, `kernel_size`, 1x1 convolutions, 4 * `filters` out) added to its
    shortcut: a strided 1x1 projection with `conv_shortcut`, the input itself otherwise."""
    bn_axis = _channel_axis()
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_0_bn")(
            shortcut
        )
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = Conv2D(filters, kernel_size, padding="SAME", name=f"{name}_2_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_3_bn")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """`blocks` v1 blocks; the first projects its shortcut and strides by `stride1`."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for index in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{index}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block (batch normalization and ReLU before the
    convolutions); the stride is on the 3x3 convolution and the shortcut is a 1x1 projection
    of the pre-activation with `conv_shortcut`, else the input (max-pooled when strided)."""
    bn_axis = _channel_axis()
    preact = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_preact_bn")(x)
    preact = Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_1_bn")(x)
    x = Activation("relu", name=f"{name}_1_relu")(x)
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = Conv2D(filters, kernel_size, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = BatchNormalization(axis=bn_axis, epsilon=BN_EPSILON, name=f"{name}_2_bn")(x)
    x = Activation("relu", name=f"{name}_2_relu")(x)
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """`blocks` v2 blocks: the first projects its shortcut, the last strides by `stride1`."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for index in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{index}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _stacks_v1(blocks_per_stage):
    def stack_fn(x):
        for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), blocks_per_stage)):
            # The first stage follows a max pooling and keeps its resolution.
            stride = 1 if stage == 0 else 2
            x = stack_residual_blocks_v1(
                x, filters, blocks, stride1=stride, name=f"conv{stage + 2}"
            )
        return x

    return stack_fn


def stacks_v2(blocks_per_stage):
    """The four v2 stages with `blocks_per_stage` blocks; all but the last halve the size."""

    def stack_fn(x):
        for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), blocks_per_stage)):
            stride = 1 if stage == 3 else 2
            x = stack_residual_blocks_v2(
                x, filters, blocks, stride1=stride, name=f"conv{stage + 2}"
            )
        return x

    return stack_fn


def _channel_axis():
    return 3 if image_data_format() == "channels_last" else 1
