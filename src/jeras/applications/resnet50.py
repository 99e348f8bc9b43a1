"""`keras.applications.resnet50`: ResNet50 alone, with its preprocessing (see `resnet`)."""

from jeras.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
