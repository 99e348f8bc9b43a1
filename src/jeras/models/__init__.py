"""`jeras.models`: `Model`, `Sequential`, and the functional graph."""

from jeras.models.model import Model
from jeras.models.functional import Functional
from jeras.models.sequential import Sequential
from jeras.models.keras_tensor import KerasTensor
