"""`jeras.layers`: the `Layer` base class and the layer catalogue, named as `keras.layers`."""

from jeras.layers.layer import Layer
from jeras.layers.input_spec import InputSpec
from jeras.layers.input_layer import Input, InputLayer
from jeras.layers.core import Activation, Dense, Identity, Lambda
from jeras.layers.regularization import ActivityRegularization, Dropout
from jeras.layers.reshaping import Flatten, Reshape
