"""Numeric preprocessing layers that run inside the model: `Rescaling` (a fixed affine map) and
`Normalization` (centre and scale by a mean and variance given or learned by `adapt`)."""

import math

import jax.numpy as jnp
import numpy as np

from jeras.backend import config as backend_config
from jeras.layers.layer import Layer
from jeras.symbolic.keras_tensor import has_keras_tensors


class Rescaling(Layer):
    """Multiplies the inputs by `scale` and adds `offset`, e.g. `Rescaling(1 / 255)` maps pixel
    values to [0, 1] and `Rescaling(1 / 127.5, offset=-1)` to [-1, 1].

    Args:
        scale: a float, or one float per channel (a list or array).
        offset: a float, or one float per channel (default 0.0).
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        inputs = _numeric(inputs, self)
        dtype = self.compute_dtype
        scale = jnp.asarray(self.scale, dtype)
        offset = jnp.asarray(self.offset, dtype)
        if scale.ndim > 0 and backend_config.image_data_format() == "channels_first":
            # Per-channel factors meet channels-first images on their channel axis.
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return inputs.astype(dtype) * scale + offset

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


class Normalization(Layer):
    """Shifts and scales the inputs to zero mean and unit variance along `axis`:
    `(x - mean) / sqrt(variance)` (or the inverse with `invert=True`).

    The mean and variance are either given, or computed from data by `adapt` before the layer
    is used (they are then saved with the model, as non-trainable weights).

    Args:
        axis: int, tuple of ints or None (default -1): the axes that keep their own mean and
            variance (the features); every other axis is averaged over. None: one mean and
            variance for everything.
        mean: optional mean (a float or an array broadcastable to the kept axes).
        variance: optional variance, given together with `mean`.
        invert: apply the inverse map, `mean + x * sqrt(variance)` (default False).
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape = None
        # Whether the statistics exist: given, learned by `adapt`, or loaded from a file.
        self._has_statistics = mean is not None
        if (mean is None) != (variance is None):
            raise ValueError(
                f"Normalization layer {self.name!r}: give both `mean` and `variance`, or "
                f"neither (then call `adapt`); got mean={mean!r} and variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    f"Normalization layer {self.name!r}: `mean` and `variance` must have the "
                    f"same shape, got {np.shape(mean)} and {np.shape(variance)}."
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization layer {self.name!r}: `mean` has {np.ndim(mean)} axes but "
                    f"only {len(self.axis)} axes are kept (axis={self.axis})."
                )

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(
                f"Normalization layer {self.name!r}: every `axis` must be in [-{rank}, {rank}) "
                f"for inputs of shape {input_shape}, got axis={self.axis}."
            )
        self._build_input_shape = input_shape
        self._keep_axis = tuple(sorted(a % rank for a in self.axis))
        unknown = [a for a in self._keep_axis if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f"Normalization layer {self.name!r}: the kept axes {self._keep_axis} must have "
                f"known sizes, got inputs of shape {input_shape}."
            )
        self._reduce_axis = tuple(d for d in range(rank) if d not in self._keep_axis)
        self._broadcast_shape = tuple(
            input_shape[d] if d in self._keep_axis else 1 for d in range(rank)
        )
        self._statistics_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            # Keras's three weights, in its order; "count" is kept for file compatibility.
            self.adapt_mean = self.add_weight(
                shape=self._statistics_shape, name="mean", initializer="zeros", trainable=False
            )
            self.adapt_variance = self.add_weight(
                shape=self._statistics_shape,
                name="variance",
                initializer="ones",
                trainable=False,
            )
            self.count = self.add_weight(
                shape=(), name="count", dtype="int32", initializer="zeros", trainable=False
            )
        self.built = True

    def __call__(self, *args, **kwargs):
        # Building a functional model before `adapt` is fine (symbolic inputs); running it on
        # data without statistics is not.
        if args and not has_keras_tensors(args[0]) and not self._has_statistics:
            raise ValueError(
                f"Normalization layer {self.name!r} has no mean and variance yet: call "
                "`layer.adapt(data)` on representative data before using it (in a model too), "
                "or pass `mean=` and `variance=` to the constructor."
            )
        return super().__call__(*args, **kwargs)

    def call(self, inputs):
        inputs = _numeric(inputs, self).astype(self.compute_dtype)
        mean, variance = self._statistics(inputs.ndim)
        scale = jnp.maximum(jnp.sqrt(variance), backend_config.epsilon())
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    def _statistics(self, rank):
        dtype = self.compute_dtype
        if self.input_mean is None:
            mean = self.adapt_mean.value.reshape(self._broadcast_shape)
            variance = self.adapt_variance.value.reshape(self._broadcast_shape)
            return mean.astype(dtype), variance.astype(dtype)
        mean = jnp.asarray(self.input_mean, dtype)
        variance = jnp.asarray(self.input_variance, dtype)
        if mean.ndim > 0:
            # The given statistics line up with the last kept axes.
            shape = [1] * rank
            for offset in range(1, mean.ndim + 1):
                shape[self._keep_axis[-offset]] = mean.shape[-offset]
            mean, variance = mean.reshape(shape), variance.reshape(shape)
        return (
            jnp.broadcast_to(mean, self._broadcast_shape),
            jnp.broadcast_to(variance, self._broadcast_shape),
        )

    def adapt(self, data):
        """Compute the mean and variance of `data` over the non-kept axes.

        `data` is an array, or a batch source: a `PyDataset`, a `tf.data.Dataset`, or any
        iterable of batches (a batch may be an `(x, y, ...)` tuple; its `x` is used). Batches
        are combined exactly (the result equals that of one array holding them all)."""
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization layer {self.name!r} was given `mean` and `variance`; `adapt` "
                "has nothing to learn."
            )
        batches = _batches(data, self.name)
        first = next(batches, None)
        if first is None:
            raise ValueError(
                f"Normalization layer {self.name!r}: `adapt` received no data (an empty "
                "iterable). Pass an array or at least one batch."
            )
        if not self.built:
            self._build_with_shapes(first.shape)
        total_mean = total_var = None
        total_count = 0
        for batch in _chain(first, batches):
            self._check_adapt_shape(batch.shape)
            batch = batch.astype(np.float64)
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            batch_mean = batch.mean(axis=self._reduce_axis)
            batch_var = batch.var(axis=self._reduce_axis)
            if total_mean is None:
                total_mean, total_var, total_count = batch_mean, batch_var, count
                continue
            # Pooled mean and variance of two groups (each variance about its own mean).
            new_count = total_count + count
            weight = count / new_count
            new_mean = total_mean + (batch_mean - total_mean) * weight
            total_var = (1 - weight) * (total_var + (total_mean - new_mean) ** 2) + weight * (
                batch_var + (batch_mean - new_mean) ** 2
            )
            total_mean, total_count = new_mean, new_count
        self.adapt_mean.assign(total_mean.astype(np.float32))
        self.adapt_variance.assign(total_var.astype(np.float32))
        self._has_statistics = True

    def _check_adapt_shape(self, shape):
        if len(shape) != len(self._build_input_shape) or any(
            shape[d] != self._build_input_shape[d] for d in self._keep_axis
        ):
            raise ValueError(
                f"Normalization layer {self.name!r} was built for inputs of shape "
                f"{self._build_input_shape}, but `adapt` received data of shape {tuple(shape)} "
                f"(the kept axes {self._keep_axis} must match)."
            )

    def load_own_variables(self, store):
        super().load_own_variables(store)
        self._has_statistics = True

    def get_build_config(self):
        if self._build_input_shape is not None:
            return {"input_shape": self._build_input_shape}
        return None

    def build_from_config(self, config):
        if config and not self.built:
            self._build_with_shapes(config["input_shape"])

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


# -- helpers ---------------------------------------------------------------------------------------
def _numeric(inputs, layer):
    """Refuse string data before it reaches the device, naming the layer."""
    dtype = getattr(inputs, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind in "USO":
        raise TypeError(
            f"{type(layer).__name__} layer {layer.name!r} received strings (dtype {dtype}); it "
            "works on numbers. Convert the strings to numbers first (e.g. with a lookup)."
        )
    return jnp.asarray(inputs)


def _plain(value):
    """A scale or offset as JSON-ready numbers (arrays become nested lists)."""
    if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "__jax_array__"):
        return np.asarray(value).tolist()
    return value


def _batches(data, layer_name):
    """The `x` arrays of `data` (an array, a PyDataset or an iterable of batches), one by one."""

    def as_array(batch):
        if isinstance(batch, tuple):
            batch = batch[0]
        if isinstance(batch, dict):
            raise TypeError(
                f"Normalization layer {layer_name!r}: `adapt` received a batch that is a dict; "
                "pass the one feature's array instead."
            )
        array = np.asarray(batch)
        if array.dtype.kind in "USO":
            raise TypeError(
                f"Normalization layer {layer_name!r}: `adapt` received strings (dtype "
                f"{array.dtype}); it needs numbers."
            )
        return array

    if isinstance(data, np.ndarray) or hasattr(data, "__jax_array__") or hasattr(data, "dtype"):
        yield as_array(data)
        return
    if hasattr(data, "num_batches") and hasattr(data, "__getitem__"):
        count = data.num_batches
        index = 0
        while count is None or index < count:
            try:
                batch = data[index]
            except IndexError:
                return
            yield as_array(batch)
            index += 1
        return
    if isinstance(data, (list, tuple)) and data and np.ndim(data[0]) == 0:
        # A plain list of numbers is one array, not a list of batches.
        yield as_array(np.asarray(data))
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f"Normalization layer {layer_name!r}: `adapt` takes an array, a PyDataset, a "
            f"tf.data.Dataset or an iterable of batches, got {type(data).__name__}."
        )
    for batch in data:
        yield as_array(batch)


def _chain(first, rest):
    yield first
    yield from rest
