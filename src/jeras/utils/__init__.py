"""`jeras.utils`: the progress bar, seeding, sequence and timeseries helpers, and small tools."""

from jeras.backend.random import set_random_seed
from jeras.data.batch_format import pack_x_y_sample_weight, unpack_x_y_sample_weight
from jeras.data.py_dataset import PyDataset, Sequence
from jeras.saving.object_registration import custom_object_scope, register_keras_serializable
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from jeras.utils.numerical_utils import normalize, to_categorical
from jeras.utils.plot_history import plot_history
from jeras.utils.plot_model import model_to_dot, plot_model
from jeras.utils.progbar import Progbar
from jeras.utils.sequence_utils import pad_sequences
from jeras.utils.timeseries_dataset import timeseries_dataset_from_array
