"""ConvNeXt Tiny to XLarge, as `keras.applications.convnext`: a patchify stem, four stages of
blocks (7x7 depthwise convolution, layer normalization, an MLP, a learned per-channel scale),
downsampling between stages, and the ImageNet normalization built into the model.

Layer names, order and weights are Keras's, so weight files written by Keras load here."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras import initializers
from jeras.applications import imagenet_utils
from jeras.applications.application_base import (
    check_weights_argument,
    global_pooling,
    image_input,
    load_application_weights,
    source_inputs,
)
from jeras.backend.config import image_data_format
from jeras.backend.random import SeedGenerator
from jeras.layers import (
    Activation,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    Layer,
    LayerNormalization,
    Normalization,
)
from jeras.models.functional import Functional
from jeras.models.sequential import Sequential
from jeras.saving.public_names import register_internal_class

_WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# (top, no top) SHA-256 hashes of the published files.
_WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}

MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {
        "depths": [3, 3, 27, 3],
        "projection_dims": [96, 192, 384, 768],
        "default_size": 224,
    },
    "base": {
        "depths": [3, 3, 27, 3],
        "projection_dims": [128, 256, 512, 1024],
        "default_size": 224,
    },
    "large": {
        "depths": [3, 3, 27, 3],
        "projection_dims": [192, 384, 768, 1536],
        "default_size": 224,
    },
    "xlarge": {
        "depths": [3, 3, 27, 3],
        "projection_dims": [256, 512, 1024, 2048],
        "default_size": 224,
    },
}

# ImageNet's per-channel mean and standard deviation, on the [0, 255] scale of the inputs.
_IMAGENET_MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255]
_IMAGENET_VARIANCE = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]

_ARGS_DOC = """
    Expects images with values in [0, 255]: the ImageNet normalization is part of the model
    (`keras.applications.convnext.preprocess_input` is the identity).

    Args:
        include_top: whether to end with the fully-connected classifier.
        include_preprocessing: whether the model normalizes its (3-channel) inputs itself.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        input_shape: optional shape tuple of one image, e.g. `(224, 224, 3)`; at least 32x32.
            Only needed with `include_top=False` or another size than 224.
        pooling: with `include_top=False`, `None` (4D output), `"avg"` or `"max"` (global
            pooling to 2D).
        classes: number of classes, with `include_top=True`.
        classifier_activation: activation of the top layer (`None` gives logits).
        name: the model's name (with "imagenet" weights it must contain the variant's name,
            e.g. "convnext_tiny").

    Returns:
        A `keras.Model`.
"""


@register_internal_class("keras.src.applications.convnext")
class LayerScale(Layer):
    """Multiplies its inputs by a learned per-channel scale (the last axis), initialized to a
    small constant so that a residual branch starts close to the identity (Touvron et al.,
    2021).

    Args:
        init_values: the initial value of every scale.
        projection_dim: the number of channels.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            trainable=True,
        )
        self.built = True

    def call(self, inputs):
        return inputs * self.gamma.value

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "init_values": self.init_values,
            "projection_dim": self.projection_dim,
        }


@register_internal_class("keras.src.applications.convnext")
class StochasticDepth(Layer):
    """In training, drops the whole input of a sample with probability `drop_path_rate` (and
    scales the kept ones by `1 / (1 - drop_path_rate)`): a residual branch skipped per sample
    (Huang et al., 2016). The identity at inference.

    Args:
        drop_path_rate: the probability of dropping a sample's branch.
        seed: optional integer seed of the random draws.
    """

    def __init__(self, drop_path_rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate
        self.seed = seed
        self.seed_generator = SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training or not self.drop_path_rate:
            return inputs
        keep_prob = 1.0 - self.drop_path_rate
        shape = (inputs.shape[0],) + (1,) * (inputs.ndim - 1)
        # floor(keep_prob + U[0, 1)) is 1 with probability keep_prob, else 0.
        uniform = jax.random.uniform(self.seed_generator.next(), shape, dtype=inputs.dtype)
        keep = jnp.floor(keep_prob + uniform)
        return inputs / keep_prob * keep

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """One ConvNeXt block, as a function of a symbolic tensor: depthwise 7x7 convolution, layer
    normalization, a pointwise MLP (4x wider, GELU), the layer scale, and the residual
    connection (through stochastic depth when `drop_path_rate` > 0)."""
    if name is None:
        raise ValueError("ConvNeXtBlock needs a `name`: its layers are named after it.")

    def apply(inputs):
        x = Conv2D(
            filters=projection_dim,
            kernel_size=7,
            padding="same",
            groups=projection_dim,
            name=f"{name}_depthwise_conv",
        )(inputs)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = Activation("gelu", name=f"{name}_gelu")(x)
        x = Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            branch = Activation("linear", name=f"{name}_identity")
        return inputs + branch(x)

    return apply


def PreStem(name):
    """The ImageNet normalization of the inputs, as a function of a symbolic tensor."""

    def apply(x):
        return Normalization(
            mean=_IMAGENET_MEAN,
            variance=_IMAGENET_VARIANCE,
            name=f"{name}_prestem_normalization",
        )(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """The classifier: global average pooling, layer normalization, a dense layer."""

    def apply(x):
        x = GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return Dense(num_classes, activation=classifier_activation, name=f"{name}_head_dense")(x)

    return apply


def ConvNeXt(
    depths,
    projection_dims,
    drop_path_rate=0.0,
    layer_scale_init_value=1e-6,
    default_size=224,
    name="convnext",
    include_preprocessing=True,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    weights_name=None,
):
    """A ConvNeXt of any depth and width (Liu et al., 2022); `ConvNeXtTiny` ... call it.

    Args:
        depths: the number of blocks of each of the four stages.
        projection_dims: the number of channels of each stage.
        drop_path_rate: the largest stochastic depth rate, reached by the last block.
        layer_scale_init_value: initial value of the layer scales (None: no layer scale).
        default_size: the input image size of the published weights.
        name: the model's name; its layers are named after it.
        include_preprocessing: whether the model normalizes its (3-channel) inputs itself.
        include_top: whether to end with the fully-connected classifier.
        weights: `None` (random initialization), `"imagenet"` or the path to a weights file.
        input_tensor: optional symbolic tensor (output of `keras.Input()`) to build the model on.
        input_shape: optional shape tuple of one image.
        pooling: with `include_top=False`, `None`, `"avg"` or `"max"`.
        classes: number of classes, with `include_top=True`.
        classifier_activation: activation of the top layer (`None` gives logits).
        weights_name: the variant of the published weights ("convnext_tiny", ...).

    Returns:
        A `keras.Model`.
    """
    if image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt does not support the `channels_first` image data format. Switch to "
            "`channels_last` with `keras.config.set_image_data_format('channels_last')` (or "
            "in ~/.keras/keras.json)."
        )
    check_weights_argument(weights, include_top, classes)
    img_input, input_shape = image_input(
        input_tensor, input_shape, default_size, 32, include_top, weights
    )
    if input_tensor is not None:
        inputs = source_inputs(input_tensor)
        if isinstance(inputs, list):
            inputs = inputs[0]
    else:
        inputs = img_input
    x = img_input

    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)
    stem = Sequential(
        [
            Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
            LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
        ],
        name=f"{name}_stem",
    )
    downsample_layers = [stem]
    for i in range(3):
        downsample_layers.append(
            Sequential(
                [
                    LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
                    Conv2D(
                        projection_dims[i + 1],
                        kernel_size=2,
                        strides=2,
                        name=f"{name}_downsampling_conv_{i}",
                    ),
                ],
                name=f"{name}_downsampling_block_{i}",
            )
        )

    # Stochastic depth grows linearly over all blocks, from 0 to `drop_path_rate`.
    depth_drop_rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    first_block = 0
    for stage in range(4):
        x = downsample_layers[stage](x)
        for j in range(depths[stage]):
            x = ConvNeXtBlock(
                projection_dim=projection_dims[stage],
                drop_path_rate=depth_drop_rates[first_block + j],
                layer_scale_init_value=layer_scale_init_value,
                name=f"{name}_stage_{stage}_block_{j}",
            )(x)
        first_block += depths[stage]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        x = global_pooling(x, pooling)
        x = LayerNormalization(epsilon=1e-6)(x)

    model = Functional(inputs=inputs, outputs=x, name=name)
    file_name = file_hash = None
    if weights == "imagenet":
        variant = weights_name.split("convnext_")[-1]
        expected = MODEL_CONFIGS[variant]
        if depths != expected["depths"] or projection_dims != expected["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant. When using "
                "pre-trained weights, the model architecture must match the pre-trained "
                f"configuration exactly. Expected depths: {expected['depths']}, got: {depths}. "
                f"Expected projection_dims: {expected['projection_dims']}, got: "
                f"{projection_dims}."
            )
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". When '
                "using imagenet weights, model name must contain the weights variant (e.g., "
                f'"convnext_{variant}").'
            )
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = _WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    load_application_weights(
        model, weights, file_name, file_name and _WEIGHTS_URL + file_name, file_hash
    )
    return model


def _variant(size):
    """The public constructor of one published size (`ConvNeXtTiny`, ...)."""
    config = MODEL_CONFIGS[size]
    weights_name = f"convnext_{size}"

    def constructor(
        include_top=True,
        include_preprocessing=True,
        weights="imagenet",
        input_tensor=None,
        input_shape=None,
        pooling=None,
        classes=1000,
        classifier_activation="softmax",
        name=weights_name,
    ):
        return ConvNeXt(
            weights_name=weights_name,
            depths=config["depths"],
            projection_dims=config["projection_dims"],
            drop_path_rate=0.0,
            layer_scale_init_value=1e-6,
            default_size=config["default_size"],
            name=name,
            include_top=include_top,
            include_preprocessing=include_preprocessing,
            weights=weights,
            input_tensor=input_tensor,
            input_shape=input_shape,
            pooling=pooling,
            classes=classes,
            classifier_activation=classifier_activation,
        )

    public_name = "ConvNeXt" + ("XLarge" if size == "xlarge" else size.capitalize())
    constructor.__name__ = constructor.__qualname__ = public_name
    constructor.__module__ = __name__
    constructor.__doc__ = f"ConvNeXt-{size.capitalize()} (Liu et al., 2022).\n" + _ARGS_DOC
    return constructor


ConvNeXtTiny = _variant("tiny")
ConvNeXtSmall = _variant("small")
ConvNeXtBase = _variant("base")
ConvNeXtLarge = _variant("large")
ConvNeXtXLarge = _variant("xlarge")


def preprocess_input(x, data_format=None):
    """The identity: ConvNeXt models normalize their inputs themselves (kept for API
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
