"""`jeras.callbacks`: `Callback`, `CallbackList` and the built-in callbacks of Keras 3."""

from jeras.callbacks.backup_and_restore import BackupAndRestore
from jeras.callbacks.callback import Callback
from jeras.callbacks.callback_list import CallbackList
from jeras.callbacks.csv_logger import CSVLogger
from jeras.callbacks.early_stopping import EarlyStopping
from jeras.callbacks.history import History
from jeras.callbacks.lambda_callback import LambdaCallback
from jeras.callbacks.learning_rate_scheduler import LearningRateScheduler
from jeras.callbacks.model_checkpoint import ModelCheckpoint
from jeras.callbacks.progbar_logger import ProgbarLogger
from jeras.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from jeras.callbacks.remote_monitor import RemoteMonitor
from jeras.callbacks.swap_ema_weights import SwapEMAWeights
from jeras.callbacks.tensorboard import TensorBoard
from jeras.callbacks.terminate_on_nan import TerminateOnNaN
from jeras.saving.public_names import register_public_names as _register_public_names

_register_public_names("callbacks", vars())
