"""`jeras.utils`: the progress bar, seeding and small helpers."""

from jeras.backend.random import set_random_seed
from jeras.data.batch_format import pack_x_y_sample_weight, unpack_x_y_sample_weight
from jeras.data.py_dataset import PyDataset, Sequence
from jeras.saving.object_registration import custom_object_scope, register_keras_serializable
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from jeras.utils.plot_history import plot_history
from jeras.utils.plot_model import model_to_dot, plot_model
from jeras.utils.progbar import Progbar


def to_categorical(x, num_classes=None):
    import numpy as np

    x = np.asarray(x, dtype="int64")
    input_shape = x.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = input_shape[:-1]
    x = x.reshape(-1)
    num_classes = int(num_classes or x.max() + 1)
    out = np.zeros((x.shape[0], num_classes), dtype="float32")
    out[np.arange(x.shape[0]), x] = 1
    return out.reshape(input_shape + (num_classes,))
