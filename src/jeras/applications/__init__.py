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
