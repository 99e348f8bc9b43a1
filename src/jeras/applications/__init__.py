"""`jeras.applications`: the Keras model families (architectures layer for layer as
`keras.applications`, so Keras's weight files load), with their `preprocess_input` and
`decode_predictions`."""

# One module per family, imported one per line so that the families' lines sort apart.
from jeras.applications import imagenet_utils as imagenet_utils
from jeras.applications import resnet as resnet
from jeras.applications import resnet50 as resnet50
from jeras.applications.resnet import ResNet50, ResNet101, ResNet152
