"""`jeras.layers`: the `Layer` base class and the layer catalogue, named as `keras.layers`."""

from jeras.layers import core as _core
from jeras.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from jeras.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from jeras.layers.attention import AdditiveAttention, Attention
from jeras.layers.category_encoding import CategoryEncoding
from jeras.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from jeras.layers.convolution import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from jeras.layers.convolution_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from jeras.layers.core import Activation, Dense, Identity, Lambda
from jeras.layers.depthwise_convolution import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from jeras.layers.discretization import Discretization
from jeras.layers.einsum_dense import EinsumDense
from jeras.layers.embedding import Embedding
from jeras.layers.hashed_crossing import HashedCrossing
from jeras.layers.hashing import Hashing
from jeras.layers.image_augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from jeras.layers.image_preprocessing import CenterCrop, Resizing
from jeras.layers.input_layer import Input, InputLayer
from jeras.layers.input_spec import InputSpec
from jeras.layers.integer_lookup import IntegerLookup
from jeras.layers.layer import Layer
from jeras.layers.masking import Masking
from jeras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from jeras.layers.multi_head_attention import GroupQueryAttention, MultiHeadAttention
from jeras.layers.noise import (
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from jeras.layers.normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from jeras.layers.numeric_preprocessing import Normalization, Rescaling
from jeras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from jeras.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from jeras.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from jeras.layers.regularization import ActivityRegularization, Dropout
from jeras.layers.reshaping import Flatten, Reshape
from jeras.layers.sequence_reshaping import (
    Cropping1D,
    Permute,
    RepeatVector,
    UpSampling1D,
    ZeroPadding1D,
)
from jeras.layers.spatial_reshaping import (
    Cropping2D,
    Cropping3D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from jeras.layers.spectral_normalization import SpectralNormalization
from jeras.layers.string_lookup import StringLookup
from jeras.layers.text_vectorization import TextVectorization
from jeras.layers.wrappers import Bidirectional, TimeDistributed
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names


def serialize(layer):
    """The config dict of `layer` (class, config, build config), as Keras writes it."""
    return _serialization.serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer (or model) a config dict describes; `custom_objects` maps names to the
    user's classes."""
    layer = _serialization.deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            "`keras.layers.deserialize` needs the config of a layer; this one describes "
            f"{type(layer).__name__}: {str(config)[:300]}"
        )
    return layer


_register_public_names("layers", vars())
# Operators on a KerasTensor (level 1) build the layer that records them, and a saved model's
# `keras.src.ops` entries revive it: both find it here.
_register_public_names(
    "layers.operations",
    {"make_operation": _core.make_operation, "operation_class": _core.operation_class},
)
