"""ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016, "Identity Mappings in Deep Residual
Networks": pre-activation blocks), layer for layer as `keras.applications.resnet_v2`."""

from jeras.applications import imagenet_utils
from jeras.applications.application_base import application_doc
from jeras.applications.resnet import ResNet, stacks_v2


def ResNet50V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50v2",
):
    return _resnet_v2(
        (3, 4, 6, 3),
        "resnet50v2",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ResNet101V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101v2",
):
    return _resnet_v2(
        (3, 4, 23, 3),
        "resnet101v2",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


def ResNet152V2(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152v2",
):
    return _resnet_v2(
        (3, 8, 36, 3),
        "resnet152v2",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


for _builder in (ResNet50V2, ResNet101V2, ResNet152V2):
    _builder.__doc__ = application_doc(
        f"Instantiate the {_builder.__name__} architecture (pre-activation residual blocks).",
        224,
        32,
        "`keras.applications.resnet_v2.preprocess_input`",
    )


def preprocess_input(x, data_format=None):
    """Preprocess images (values in [0, 255]) for ResNetV2: scaled to [-1, 1] ("tf" mode of
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


def _resnet_v2(
    blocks_per_stage,
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
    return ResNet(
        stacks_v2(blocks_per_stage),
        preact=True,
        use_bias=True,
        weights_name=weights_name,
        include_top=include_top,
        weights=weights,
        input_tensor=input_tensor,
        input_shape=input_shape,
        pooling=pooling,
        classes=classes,
        classifier_activation=classifier_activation,
        name=name,
    )
