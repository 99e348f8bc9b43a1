"""`jeras.utils`: the progress bar, seeding, registration, datasets from files and folders,
image helpers, sequence and timeseries helpers, and small tools."""

from jeras.backend import clear_session, is_keras_tensor
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.random import set_random_seed
from jeras.data.batch_format import pack_x_y_sample_weight, unpack_x_y_sample_weight
from jeras.data.py_dataset import PyDataset, Sequence
from jeras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from jeras.utils.config import Config
from jeras.utils.dataset_utils import split_dataset
from jeras.utils.file_utils import get_file
from jeras.utils.graph_utils import get_source_inputs
from jeras.utils.image_dataset import image_dataset_from_directory
from jeras.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from jeras.utils.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from jeras.utils.numerical_utils import normalize, to_categorical
from jeras.utils.plot_history import plot_history
from jeras.utils.plot_model import model_to_dot, plot_model
from jeras.utils.progbar import Progbar
from jeras.utils.sequence_utils import pad_sequences
from jeras.utils.text_dataset import text_dataset_from_directory
from jeras.utils.timeseries_dataset import timeseries_dataset_from_array
