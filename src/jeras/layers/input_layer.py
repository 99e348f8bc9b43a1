"""`InputLayer` and `Input()`: the entry points of a functional model."""

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.layers.layer import Layer
from jeras.symbolic.keras_tensor import KerasTensor
from jeras.symbolic.node import Node


class InputLayer(Layer):
    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        sparse=None,
        ragged=None,
        batch_shape=None,
        input_tensor=None,
        optional=False,
        name=None,
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype)
        if shape is not None and batch_shape is not None:
            raise ValueError("InputLayer: pass either `shape` or `batch_shape`, not both.")
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(
                    "InputLayer: `input_tensor` (`tensor` of `keras.Input`) must be a symbolic "
                    f"KerasTensor, such as the output of `keras.Input`; got {input_tensor!r} "
                    f"of type {type(input_tensor).__name__}."
                )
            # The tensor states the shape and dtype unless the caller also gave them.
            if shape is None and batch_shape is None:
                batch_shape = input_tensor.shape
            dtype = dtype or input_tensor.dtype
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: a `shape` (or `batch_shape`) argument is required.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self._batch_shape = tuple(batch_shape)
        self._dtype = standardize_dtype(dtype or floatx())
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        self.optional = optional
        self.built = True

        if input_tensor is None:
            tensor = KerasTensor(
                self._batch_shape, dtype=self._dtype, sparse=self.sparse, name=name
            )
        else:
            tensor = input_tensor
        Node(self, (), {}, tensor)
        self.output_tensor = tensor

    @property
    def batch_shape(self):
        return self._batch_shape

    def call(self, inputs=None):
        return inputs

    def get_config(self):
        return {
            "batch_shape": list(self._batch_shape),
            "dtype": self._dtype,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "name": self.name,
            "optional": self.optional,
        }


def Input(
    shape=None,
    batch_size=None,
    dtype=None,
    sparse=None,
    ragged=None,
    batch_shape=None,
    name=None,
    tensor=None,
    optional=False,
):
    """A symbolic input tensor, the start of a functional model (as `keras.Input`)."""
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        ragged=ragged,
        batch_shape=batch_shape,
        input_tensor=tensor,
        name=name,
        optional=optional,
    )
    return layer.output_tensor
