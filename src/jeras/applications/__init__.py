"""`jeras.applications`: the Keras model families (architectures layer for layer as
`keras.applications`, so Keras's weight files load), with their `preprocess_input` and
`decode_predictions`."""

# One module per family, imported one per line so that the families' lines sort apart.
from jeras.applications import densenet as densenet
from jeras.applications import imagenet_utils as imagenet_utils
from jeras.applications import inception_v3 as inception_v3
from jeras.applications import resnet as resnet
from jeras.applications import resnet50 as resnet50
from jeras.applications import resnet_v2 as resnet_v2
from jeras.applications import vgg16 as vgg16
from jeras.applications import vgg19 as vgg19
from jeras.applications import xception as xception
from jeras.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from jeras.applications.inception_v3 import InceptionV3
from jeras.applications.resnet import ResNet50, ResNet101, ResNet152
from jeras.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from jeras.applications.vgg16 import VGG16
from jeras.applications.vgg19 import VGG19
from jeras.applications.xception import Xception

# isort: split
# MobileNet, EfficientNet and ConvNeXt families (helper apps-b).
from jeras.applications import convnext as convnext
from jeras.applications import efficientnet as efficientnet
from jeras.applications import efficientnet_v2 as efficientnet_v2
from jeras.applications import mobilenet as mobilenet
from jeras.applications import mobilenet_v2 as mobilenet_v2
from jeras.applications import mobilenet_v3 as mobilenet_v3
from jeras.applications.convnext import (
    ConvNeXtBase,
    ConvNeXtLarge,
    ConvNeXtSmall,
    ConvNeXtTiny,
    ConvNeXtXLarge,
)
from jeras.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from jeras.applications.efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from jeras.applications.mobilenet import MobileNet
from jeras.applications.mobilenet_v2 import MobileNetV2
from jeras.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
