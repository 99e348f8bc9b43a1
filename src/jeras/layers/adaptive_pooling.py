"""Adaptive pooling layers: pool every input, whatever its spatial size, to a fixed
`output_size` (`AdaptiveAveragePooling1D/2D/3D`, `AdaptiveMaxPooling1D/2D/3D`).

The windows are PyTorch's (output cell `i` of an axis of length `n` pools input cells
`floor(i n / out)` to `ceil((i + 1) n / out)`), computed by `jeras.ops.adaptive_average_pool`
and `adaptive_max_pool`.
"""

from jeras.layers.convolution import standardize_data_format
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.ops import nn


class _AdaptivePooling(Layer):
    """Mean or max over adaptive windows of the `rank` spatial axes."""

    rows_independent = True  # see Layer.rows_independent

    rank = None
    pool = None  # the op, set by each family

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        kind = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif not (
            isinstance(output_size, (tuple, list))
            and len(output_size) == self.rank
            and all(isinstance(v, int) and not isinstance(v, bool) for v in output_size)
        ):
            raise TypeError(
                f"{kind} layer {self.name!r}: `output_size` must be an int or a tuple of "
                f"{self.rank} ints, got output_size={output_size!r}."
            )
        if any(v <= 0 for v in output_size):
            raise ValueError(
                f"{kind} layer {self.name!r}: every value of `output_size` must be > 0, got "
                f"output_size={tuple(output_size)}."
            )
        self.output_size = tuple(output_size)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        # No weights: usable (and summarized) before the first call, as in Keras.
        self.built = True

    def call(self, inputs):
        return type(self).pool(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": self.output_size,
            "data_format": self.data_format,
        }


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean pooling of `(batch, steps, channels)` inputs to `output_size` steps, whatever the
    input length.

    Args:
        output_size: int or tuple of 1 int, the number of output steps.
        data_format: "channels_last" (default) or "channels_first".
    """

    rank, pool = 1, staticmethod(nn.adaptive_average_pool)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean pooling of `(batch, height, width, channels)` inputs to `output_size`.

    Args:
        output_size: int or `(height, width)`.
        data_format: "channels_last" (default) or "channels_first".
    """

    rank, pool = 2, staticmethod(nn.adaptive_average_pool)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean pooling of `(batch, depth, height, width, channels)` inputs to `output_size`.

    Args:
        output_size: int or `(depth, height, width)`.
        data_format: "channels_last" (default) or "channels_first".
    """

    rank, pool = 3, staticmethod(nn.adaptive_average_pool)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max pooling of `(batch, steps, channels)` inputs to `output_size` steps.

    Args:
        output_size: int or tuple of 1 int, the number of output steps.
        data_format: "channels_last" (default) or "channels_first".
    """

    rank, pool = 1, staticmethod(nn.adaptive_max_pool)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max pooling of `(batch, height, width, channels)` inputs to `output_size`.

    Args:
        output_size: int or `(height, width)`.
        data_format: "channels_last" (default) or "channels_first".
    """

    rank, pool = 2, staticmethod(nn.adaptive_max_pool)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max pooling of `(batch, depth, height, width, channels)` inputs to `output_size`.

    Args:
        output_size: int or `(depth, height, width)`.
        data_format: "channels_last" (default) or "channels_first".
    """

    rank, pool = 3, staticmethod(nn.adaptive_max_pool)
