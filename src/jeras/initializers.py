"""Weight initializers with Keras's names, defaults and distributions, as `keras.initializers`."""

import math

import jax.numpy as jnp
import numpy as np

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.naming import to_snake_case as _to_snake_case
from jeras.backend.random import host_generator
from jeras.saving import serialization as _serialization
from jeras.saving.public_names import register_public_names as _register_public_names

# Initial values are drawn on the host with NumPy: drawing them with jax.random would compile one
# XLA program per weight shape, seconds of start-up for even a small model.


class Initializer:
    """Base class: `__call__(shape, dtype=None)` returns an array; `get_config()` its arguments."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    """Fills the weight with zeros."""

    def __call__(self, shape, dtype=None):
        return jnp.zeros(shape, standardize_dtype(dtype))


class Ones(Initializer):
    """Fills the weight with ones."""

    def __call__(self, shape, dtype=None):
        return jnp.ones(shape, standardize_dtype(dtype))


class Constant(Initializer):
    """Fills the weight with one scalar value.

    Args:
        value: the value to fill with (default 0.0).
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return jnp.full(shape, self.value, standardize_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class _Random(Initializer):
    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"{type(self).__name__}: `seed` must be an int or None, got {seed!r}.")
        self.seed = seed

    def _rng(self):
        # A seeded initializer repeats its draw; an unseeded one gives a new draw at every call,
        # as in Keras.
        return np.random.default_rng(self.seed) if self.seed is not None else host_generator()

    def get_config(self):
        return {"seed": self.seed}


class RandomUniform(_Random):
    """Draws values uniformly from `[minval, maxval)`.

    Args:
        minval: the lower bound of the range (default -0.05).
        maxval: the upper bound of the range (default 0.05).
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        values = self._rng().uniform(self.minval, self.maxval, size=shape)
        return jnp.asarray(values, standardize_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class RandomNormal(_Random):
    """Draws values from a normal distribution.

    Args:
        mean: the mean of the distribution (default 0.0).
        stddev: its standard deviation (default 0.05).
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        values = self.mean + self.stddev * self._rng().standard_normal(size=shape)
        return jnp.asarray(values, standardize_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomNormal):
    """Draws values from a normal distribution, redrawing any that fall more than two standard
    deviations from the mean.

    Args:
        mean: the mean of the distribution before truncation (default 0.0).
        stddev: its standard deviation before truncation (default 0.05).
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
    """

    def __call__(self, shape, dtype=None):
        values = self.mean + self.stddev * _truncated_normal(self._rng(), shape)
        return jnp.asarray(values, standardize_dtype(dtype))


def _fans(shape, input_axes=None, output_axes=None):
    if input_axes is not None and output_axes is not None:
        return (
            int(np.prod([shape[a] for a in input_axes])),
            int(np.prod([shape[a] for a in output_axes])),
        )
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(_Random):
    """Draws values whose variance is `scale / fan`, where the fan comes from the weight's shape.

    Args:
        scale: the variance before division by the fan; must be positive (default 1.0).
        mode: which fan divides the scale: "fan_in" (default), "fan_out" or "fan_avg" (their mean).
        distribution: "truncated_normal" (default; cut at two standard deviations and rescaled so
            the variance stays `scale / fan`), "untruncated_normal" or "uniform".
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
        input_axes: the axes of the weight shape whose sizes multiply into the fan-in; give it
            together with `output_axes` (default None: the last axis is the output, the one before
            it the input, and any leading axes a receptive field).
        output_axes: the axes whose sizes multiply into the fan-out (default None).
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        super().__init__(seed)
        # Keras 3.15: the axes whose sizes make fan-in and fan-out (both or neither).
        self.input_axes, self.output_axes = input_axes, output_axes
        if scale <= 0:
            raise ValueError(f"VarianceScaling: `scale` must be positive, got {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: invalid `mode` {mode!r}.")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: invalid `distribution` {distribution!r}.")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        dtype = standardize_dtype(dtype)
        fan_in, fan_out = _fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "truncated_normal":
            # 0.879... is the stddev of a unit normal truncated to [-2, 2].
            stddev = math.sqrt(variance) / 0.87962566103423978
            values = stddev * _truncated_normal(rng, shape)
        else:
            values = math.sqrt(variance) * rng.standard_normal(size=shape)
        return jnp.asarray(values, dtype)

    def get_config(self):
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(VarianceScaling):
    """Glorot (Xavier) uniform: uniform values with variance `1 / fan_avg`.

    Args:
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
        input_axes: the axes of the weight shape whose sizes multiply into the fan-in; give it
            together with `output_axes` (default None: the last axis is the output, the one before
            it the input, and any leading axes a receptive field).
        output_axes: the axes whose sizes multiply into the fan-out (default None).
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "uniform", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotNormal(VarianceScaling):
    """Glorot (Xavier) normal: truncated normal values with variance `1 / fan_avg`.

    Args:
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
        input_axes: the axes of the weight shape whose sizes multiply into the fan-in; give it
            together with `output_axes` (default None: the last axis is the output, the one before
            it the input, and any leading axes a receptive field).
        output_axes: the axes whose sizes multiply into the fan-out (default None).
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class HeUniform(VarianceScaling):
    """He uniform: uniform values with variance `2 / fan_in`.

    Args:
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
        input_axes: the axes of the weight shape whose sizes multiply into the fan-in; give it
            together with `output_axes` (default None: the last axis is the output, the one before
            it the input, and any leading axes a receptive field).
        output_axes: the axes whose sizes multiply into the fan-out (default None).
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "uniform", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class HeNormal(VarianceScaling):
    """He normal: truncated normal values with variance `2 / fan_in`.

    Args:
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
        input_axes: the axes of the weight shape whose sizes multiply into the fan-in; give it
            together with `output_axes` (default None: the last axis is the output, the one before
            it the input, and any leading axes a receptive field).
        output_axes: the axes whose sizes multiply into the fan-out (default None).
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class LecunUniform(VarianceScaling):
    """LeCun uniform: uniform values with variance `1 / fan_in`.

    Args:
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
        input_axes: the axes of the weight shape whose sizes multiply into the fan-in; give it
            together with `output_axes` (default None: the last axis is the output, the one before
            it the input, and any leading axes a receptive field).
        output_axes: the axes whose sizes multiply into the fan-out (default None).
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "uniform", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class LecunNormal(VarianceScaling):
    """LeCun normal: truncated normal values with variance `1 / fan_in`.

    Args:
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
        input_axes: the axes of the weight shape whose sizes multiply into the fan-in; give it
            together with `output_axes` (default None: the last axis is the output, the one before
            it the input, and any leading axes a receptive field).
        output_axes: the axes whose sizes multiply into the fan-out (default None).
    """

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class Orthogonal(_Random):
    """Fills the weight with a random orthogonal matrix, times a gain.

    The shape is flattened to two dimensions (the last axis kept) for the matrix.

    Args:
        gain: the factor applied to the orthogonal matrix (default 1.0).
        seed: an int makes every call return the same values; None (default) draws new values
            at each call.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
        cols = shape[-1]
        flat = self._rng().standard_normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return jnp.asarray(self.gain * q.reshape(shape), standardize_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


def _truncated_normal(rng, shape):
    """Unit normal values redrawn until they fall inside [-2, 2]."""
    values = rng.standard_normal(size=shape)
    outside = np.abs(values) > 2
    while np.any(outside):
        values[outside] = rng.standard_normal(size=int(outside.sum()))
        outside = np.abs(values) > 2
    return values


_BY_NAME = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_uniform": RandomUniform,
    "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform,
    "he_normal": HeNormal,
    "lecun_uniform": LecunUniform,
    "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
    "uniform": RandomUniform,
    "normal": RandomNormal,
}


def get(identifier):
    """An initializer from a name, a class, an instance, a config dict or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        key = identifier if identifier in _BY_NAME else _snake(identifier)
        if key not in _BY_NAME:
            raise ValueError(
                f"Unknown initializer {identifier!r}. Valid names: {sorted(_BY_NAME)}."
            )
        return _BY_NAME[key]()
    if isinstance(identifier, dict):
        return _serialization.deserialize_keras_object(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}.")


def _snake(name):
    return _to_snake_case(name)


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("initializers", vars())
