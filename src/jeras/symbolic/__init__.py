"""Symbolic tensors: `KerasTensor`, the `Node` a layer call on them records, and the symbolic
call itself. `keras.Input` and functional models are built from these."""

from jeras.symbolic.keras_tensor import KerasTensor, is_keras_tensor
from jeras.symbolic.node import Node
from jeras.symbolic.symbolic_call import symbolic_call
