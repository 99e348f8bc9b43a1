"""VGG19 (16 convolutions, 3 fully-connected layers), layer for layer as
`keras.applications.vgg19`; built by `vgg16.build_vgg`."""

from jeras.applications.application_base import application_doc
from jeras.applications.vgg16 import build_vgg, decode_predictions, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]


def VGG19(
    include_top=True,
    weights="imagenet",
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg19",
):
    return build_vgg(
        (2, 2, 4, 4, 4),
        "vgg19",
        include_top,
        weights,
        input_tensor,
        input_shape,
        pooling,
        classes,
        classifier_activation,
        name,
    )


VGG19.__doc__ = application_doc(
    "Instantiate the VGG19 architecture (16 convolutions, 3 fully-connected layers).",
    224,
    32,
    "`keras.applications.vgg19.preprocess_input`",
)
