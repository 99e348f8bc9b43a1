"""`jeras.callbacks`: `Callback`, `CallbackList`, `History`, `ProgbarLogger`."""

from jeras.callbacks.callback import Callback
from jeras.callbacks.callback_list import CallbackList
from jeras.callbacks.history import History
from jeras.callbacks.progbar_logger import ProgbarLogger
