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

    def clone(self):
        """A new initializer with the same config."""
        return type(self).from_config(self.get_config())


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


class Identity(Initializer):
    """Fills a two-dimensional weight with the identity matrix (ones on the main diagonal of a
    rectangular shape), times a gain.

    Args:
        gain: the factor applied to the identity matrix (default 1.0).
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(
                "Identity: the identity initializer fills two-dimensional weights only; got "
                f"shape={tuple(shape)} of rank {len(shape)}. Use it for Dense-like kernels."
            )
        dtype = standardize_dtype(dtype)
        return self.gain * jnp.eye(*shape, dtype=dtype)

    def get_config(self):
        return {"gain": self.gain}


class STFT(Initializer):
    """Kernels of a convolution that computes a short-time Fourier transform: the real (cosine)
    or imaginary (sine) part of the DFT basis, optionally windowed and normalised.

    The weight shape is `(frame_length, input_channels, fft_length // 2 + 1)`.

    Args:
        side: "real" (default) or "imag": which part of the transform the kernel computes.
        window: the name of a window of `scipy.signal.windows` ("hann", default, "hamming",
            ...), an array of `frame_length` values, or None for no window.
        scaling: "density" (default; divide by the window's L2 norm), "spectrum" (by its L1
            norm) or None.
        periodic: whether a named window is periodic rather than symmetric (default False).
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: `side` must be 'real' or 'imag', got {side!r}.")
        if isinstance(window, str):
            _scipy_window(window, 1, False)  # an unknown name fails here, not at the first call
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(
                f"STFT: `scaling` must be None, 'density' or 'spectrum', got {scaling!r}."
            )
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape, dtype=None):
        dtype = standardize_dtype(dtype)
        if len(shape) != 3:
            raise ValueError(
                "STFT: the weight shape must be (frame_length, input_channels, "
                f"fft_length // 2 + 1), got {tuple(shape)}."
            )
        frame_length, _, bins = shape
        # The DFT angle of time step t and frequency bin k, for an FFT of 2 * (bins - 1) points.
        time = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        frequency = np.arange(bins, dtype=np.float64).reshape(1, 1, bins) / ((bins - 1) * 2)
        angle = -2.0 * np.pi * time * frequency
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            window = self.window
            if isinstance(window, str):
                window = _scipy_window(window, frame_length, self.periodic)
            window = np.asarray(window, dtype=np.float64)
            if window.shape != (frame_length,):
                raise ValueError(
                    f"STFT: the window must hold frame_length={frame_length} values, got an "
                    f"array of shape {window.shape}."
                )
            norm = 1.0
            if self.scaling == "density":
                norm = np.sqrt(np.sum(window**2))
            elif self.scaling == "spectrum":
                norm = np.sum(np.abs(window))
            kernel = kernel * window.reshape(frame_length, 1, 1) / norm
        return jnp.asarray(kernel, dtype)

    def get_config(self):
        window = self.window
        if isinstance(window, np.ndarray):
            window = window.tolist()
        return {
            "side": self.side,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
        }


def _scipy_window(name, length, periodic):
    import scipy.signal  # only STFT needs SciPy

    # SciPy's `fftbins=True` is the periodic window.
    return scipy.signal.get_window(name, length, fftbins=periodic)


def _truncated_normal(rng, shape):
    """Unit normal values redrawn until they fall inside [-2, 2]."""
    values = rng.standard_normal(size=shape)
    outside = np.abs(values) > 2
    while np.any(outside):
        values[outside] = rng.standard_normal(size=int(outside.sum()))
        outside = np.abs(values) > 2
    return values


# Keras exports every class under its snake_case name too, and a few older spellings.
zeros, ones, constant = Zeros, Ones, Constant
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
orthogonal = OrthogonalInitializer = Orthogonal
identity = IdentityInitializer = Identity
stft = STFTInitializer = STFT

_CLASSES = (
    Initializer,
    Zeros,
    Ones,
    Constant,
    RandomUniform,
    RandomNormal,
    TruncatedNormal,
    VarianceScaling,
    GlorotUniform,
    GlorotNormal,
    HeUniform,
    HeNormal,
    LecunUniform,
    LecunNormal,
    Orthogonal,
    Identity,
    STFT,
)
# The names a string or a config's `class_name` may use: class names, their snake_case forms,
# and Keras's aliases.
_BY_NAME = {
    **{cls.__name__: cls for cls in _CLASSES},
    **{_to_snake_case(cls.__name__): cls for cls in _CLASSES},
    "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal,
    "STFTInitializer": STFT,
    "uniform": RandomUniform,
    "normal": RandomNormal,
    "one": Ones,
    "zero": Zeros,
}


def serialize(initializer):
    """The config dict of `initializer` (for a function: its registered name), as Keras writes
    it."""
    return _serialization.serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """The initializer a config dict (or a name) describes; `custom_objects` maps names to the
    user's classes."""
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    return _serialization.deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=_BY_NAME
    )


def get(identifier):
    """An initializer from a name, a config dict, a class, an instance, a callable, or an array
    (whose values the returned function gives back for its own shape)."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = deserialize(identifier)
    elif isinstance(identifier, (np.ndarray, np.generic, jnp.ndarray)):
        found = _from_array(identifier)
    else:
        found = identifier
    if isinstance(found, type):
        return found()
    if callable(found):
        return found
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. Pass a name such as "
        f"'glorot_uniform', a config dict, an Initializer or a callable(shape, dtype)."
    )


def _from_array(values):
    def initialize_from_array(shape, dtype=None):
        if tuple(shape) != tuple(values.shape):
            raise ValueError(
                f"An array used as initializer has shape {tuple(values.shape)}, but the weight "
                f"asks for shape={tuple(shape)}."
            )
        return jnp.asarray(values, standardize_dtype(dtype))

    return initialize_from_array


# The catalogue under Keras's names, for serialization and for lower levels (see public_names).
_register_public_names("initializers", vars())
