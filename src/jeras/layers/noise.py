"""Noise layers, active only in training: `GaussianNoise`, `GaussianDropout`, `AlphaDropout` and
`SpatialDropout1D/2D/3D` (whole feature maps dropped).

Each draws from its own `SeedGenerator`, whose state is a variable: inside `fit()` the compiled
step advances it, so every step draws afresh, and `set_random_seed` makes the draws repeat.
"""

import math

import jax
import jax.numpy as jnp

from jeras.backend.random import SeedGenerator
from jeras.layers.convolution import standardize_data_format
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.layers.regularization import Dropout

# The constants of SELU (and so of AlphaDropout, which keeps SELU's mean and variance).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_fraction(layer, arg_name, value):
    if not 0 <= value <= 1:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: `{arg_name}` must be a float in "
            f"[0, 1], got {arg_name}={value!r}."
        )


class _TrainingNoise(Layer):
    """A weightless layer that changes its inputs only when `training` is true."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GaussianNoise(_TrainingNoise):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` during training.

    Args:
        stddev: float in [0, 1], the standard deviation of the noise.
        seed: optional int, the seed of the noise stream.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_fraction(self, "stddev", stddev)
        self.stddev = stddev
        self.seed = seed
        if stddev > 0:
            self.seed_generator = SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = jax.random.normal(self.seed_generator.next(), inputs.shape, inputs.dtype)
        return inputs + self.stddev * noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_TrainingNoise):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` during training.

    Args:
        rate: float in [0, 1], the drop probability of the equivalent `Dropout`.
        seed: optional int, the seed of the noise stream.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_fraction(self, "rate", rate)
        self.rate = rate
        self.seed = seed
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = jax.random.normal(self.seed_generator.next(), inputs.shape, inputs.dtype)
        return inputs * (1.0 + stddev * noise)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(_TrainingNoise):
    """Dropout for self-normalizing (SELU) networks: dropped entries take SELU's negative
    saturation value, then an affine map restores the inputs' mean and variance.

    Args:
        rate: float in [0, 1], the drop probability.
        noise_shape: optional shape of the drop pattern, broadcast over the inputs (None
            entries take the input's size).
        seed: optional int, the seed of the drop stream.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_fraction(self, "rate", rate)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for s, n in zip(inputs.shape, self.noise_shape))
        uniform = jax.random.uniform(self.seed_generator.next(), shape)
        kept = (uniform >= self.rate).astype(inputs.dtype)
        saturation = -_SELU_ALPHA * _SELU_SCALE
        # The affine correction a * x + b that gives the dropped-out activations SELU's fixed
        # point (zero mean, unit variance) again.
        a = ((1 - self.rate) * (1 + self.rate * saturation**2)) ** -0.5
        b = -a * saturation * self.rate
        dropped = inputs * kept + saturation * (1 - kept)
        return a * dropped + b

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per (sample, channel), shared along space."""

    rows_independent = True  # see Layer.rows_independent

    rank = None

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return jnp.zeros_like(inputs)
        if self.data_format == "channels_last":
            shape = (inputs.shape[0],) + (1,) * self.rank + (inputs.shape[-1],)
        else:
            shape = inputs.shape[:2] + (1,) * self.rank
        keep = jax.random.bernoulli(self.seed_generator.next(), 1.0 - self.rate, shape)
        return jnp.where(keep, inputs / (1.0 - self.rate), jnp.zeros((), inputs.dtype))

    def get_config(self):
        # Keras's spatial dropouts take no other base argument (no `trainable`), so their
        # config holds exactly these keys.
        config = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of `(batch, steps, channels)` inputs during training, scaling the
    kept ones by `1 / (1 - rate)`.

    Args:
        rate: float in [0, 1], the probability of dropping a channel.
        seed: optional int, the seed of the drop stream.
        name: the layer's name.
        dtype: the layer's dtype.
    """

    rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None):
        # Keras's SpatialDropout1D takes no data_format: channels are always last.
        super().__init__(rate, data_format="channels_last", seed=seed, name=name, dtype=dtype)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of 4D inputs during training, scaling the kept ones by
    `1 / (1 - rate)`.

    Args:
        rate: float in [0, 1], the probability of dropping a feature map.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        seed: optional int, the seed of the drop stream.
        name: the layer's name.
        dtype: the layer's dtype.
    """

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of 5D inputs during training; arguments as
    `SpatialDropout2D`.

    Args:
        rate: float in [0, 1], the probability of dropping a feature volume.
        data_format: "channels_last" or "channels_first"; None follows
            `keras.config.image_data_format()`.
        seed: optional int, the seed of the drop stream.
        name: the layer's name.
        dtype: the layer's dtype.
    """

    rank = 3
