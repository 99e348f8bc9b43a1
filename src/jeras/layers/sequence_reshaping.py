"""Reshaping layers for sequences and axes: `RepeatVector`, `Permute`, `Cropping1D`,
`ZeroPadding1D`, `UpSampling1D` (no weights; shapes and configs as Keras 3).

None is built before its first call: as in Keras, that call records the input shape, which a
saved model keeps as the layer's build config."""

import jax.numpy as jnp

from jeras.layers.convolution import standardize_data_format
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer


class RepeatVector(Layer):
    """Repeats a `(batch, features)` input `n` times: `(batch, n, features)`.

    Args:
        n: the number of repetitions, a positive integer.
        **kwargs: base layer arguments (`name`, `dtype`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive_int(n, "n", self)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return jnp.repeat(inputs[:, None, :], self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Permutes the non-batch axes of the input: `dims` lists them, numbered from 1.

    Args:
        dims: a permutation of `1, ..., rank - 1`; e.g. `(2, 1)` swaps the two axes of a
            sequence of vectors.
        **kwargs: base layer arguments (`name`, `dtype`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute layer {self.name!r}: `dims` must be a permutation of the axes "
                f"1, ..., {len(self.dims)} (the batch axis 0 stays first), got dims={dims!r}."
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return jnp.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class Cropping1D(Layer):
    """Removes entries from the start and end of the time axis of `(batch, steps, features)`.

    Args:
        cropping: an int (the same at both ends) or a pair `(start, end)` of non-negative ints.
        **kwargs: base layer arguments (`name`, `dtype`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _non_negative_pair(cropping, "cropping", self)
        self.input_spec = InputSpec(ndim=3)

    def _check_inputs(self, inputs):
        super()._check_inputs(inputs)
        self.compute_output_shape(tuple(inputs.shape))

    def call(self, inputs):
        start, end = self.cropping
        return inputs[:, start : inputs.shape[1] - end, :]

    def compute_output_shape(self, input_shape):
        length = input_shape[1]
        if length is not None:
            length -= sum(self.cropping)
            if length <= 0:
                raise ValueError(
                    f"Cropping1D layer {self.name!r}: cropping={self.cropping} removes all "
                    f"{input_shape[1]} steps of input shape {tuple(input_shape)}; the cropping "
                    "must total less than the input length."
                )
        return (input_shape[0], length, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class ZeroPadding1D(Layer):
    """Adds zeros at the start and end of the time axis of a 3-D input.

    Args:
        padding: an int (the same at both ends) or a pair `(start, end)` of non-negative ints.
        data_format: "channels_last" (`(batch, steps, features)`, the default unless
            `image_data_format` says otherwise) or "channels_first" (`(batch, features,
            steps)`).
        **kwargs: base layer arguments (`name`, `dtype`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = _non_negative_pair(padding, "padding", self)
        self.input_spec = InputSpec(ndim=3)

    @property
    def _steps_axis(self):
        return 2 if self.data_format == "channels_first" else 1

    def call(self, inputs):
        widths = [(0, 0)] * 3
        widths[self._steps_axis] = self.padding
        return jnp.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        if output_shape[self._steps_axis] is not None:
            output_shape[self._steps_axis] += sum(self.padding)
        return tuple(output_shape)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class UpSampling1D(Layer):
    """Repeats each time step `size` times along the time axis of `(batch, steps, features)`.

    Args:
        size: the upsampling factor, a positive integer.
        **kwargs: base layer arguments (`name`, `dtype`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = _positive_int(size, "size", self)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return jnp.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def _positive_int(value, arg_name, layer):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(
            f"{type(layer).__name__} layer {layer.name!r}: `{arg_name}` must be an integer, got "
            f"{arg_name}={value!r} of type {type(value).__name__}."
        )
    if value <= 0:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: `{arg_name}` must be a positive "
            f"integer, got {arg_name}={value}."
        )
    return value


def _non_negative_pair(value, arg_name, layer):
    """An int or a pair of non-negative ints as a 2-tuple (Keras saves it as a tuple)."""
    if isinstance(value, int) and not isinstance(value, bool):
        pair = (value, value)
    else:
        try:
            pair = tuple(value)
        except TypeError:
            pair = None
    if (
        pair is None
        or len(pair) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in pair)
    ):
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: `{arg_name}` must be a non-negative "
            f"int or a pair of non-negative ints, got {arg_name}={value!r}."
        )
    return pair
