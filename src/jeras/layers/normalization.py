"""Normalization layers: `BatchNormalization`, `LayerNormalization`, `GroupNormalization`,
`UnitNormalization`, `RMSNormalization`.

Each computes in float32 at least (half-precision inputs are normalized in float32, as Keras
does) and applies its scale and offset as `x * inv + (offset - mean * inv)`, Keras's order of
operations, so the two libraries agree to a few float32 ulps from the same weights.
"""

import operator
import warnings

import jax
import jax.numpy as jnp

from jeras import constraints, initializers, regularizers
from jeras.backend.config import epsilon as backend_epsilon
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.saving.serialization import serialize_keras_object


class BatchNormalization(Layer):
    """Normalizes its inputs with the batch's statistics in training and moving averages of
    them in inference, as `keras.layers.BatchNormalization`.

    In training (`fit()`, or a call with `training=True`) each channel of `axis` is normalized
    with the mean and variance of the current batch, and the non-trainable `moving_mean` and
    `moving_variance` move towards them: `moving = moving * momentum + batch * (1 - momentum)`.
    In inference the moving statistics are used. A layer with `trainable=False` always runs in
    inference mode, even when called with `training=True` (Keras's rule for fine-tuning).

    Inside `fit()` the batch statistics are those of the real rows only: a model holding a
    trainable BatchNormalization runs a short last batch at its own size instead of padding it.

    Args:
        axis: the axis of the features (channels), normalized separately. -1 by default; use 1
            after a `channels_first` convolution.
        momentum: momentum of the moving averages.
        epsilon: added to the variance before its square root.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned factor `gamma`.
        beta_initializer, gamma_initializer: initializers of `beta` and `gamma`.
        moving_mean_initializer, moving_variance_initializer: initializers of the moving
            statistics.
        beta_regularizer, gamma_regularizer: optional regularizers of `beta` and `gamma`.
        beta_constraint, gamma_constraint: optional constraints of `beta` and `gamma`.
        synchronized: Keras's flag for statistics over all replicas (TensorFlow only there).
            Accepted and saved; on one device True and False give the same numbers. (A batch
            sharded over devices inside one jitted program is reduced over all its rows.)
        renorm: whether to use batch renormalization (Ioffe, 2017), which keeps the extra
            non-trainable `moving_stddev`, `renorm_mean` and `renorm_stddev`.
        renorm_clipping: with `renorm`, a dict of optional `"rmax"`, `"rmin"` and `"dmax"`
            bounding the correction factors `r` and `d`.
        renorm_momentum: with `renorm`, the momentum of `renorm_mean` and `renorm_stddev`.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).

    Call arguments:
        inputs: a tensor of any rank.
        training: whether to normalize with the batch's statistics (and update the moving
            ones).
        mask: optional, of the inputs' shape without the feature axis; only the positions
            where it is true count in the batch statistics.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.axis = _int_axis(axis, self)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.synchronized = synchronized
        self.renorm = renorm
        if renorm:
            renorm_clipping = _checked_renorm_clipping(renorm_clipping or {}, self.name)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.supports_masking = True
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    @property
    def mixes_samples_in_training(self):
        # Batch statistics make every row's output depend on the others, so `fit()` must not
        # pad a short batch with rows of weight 0 while this layer trains (see `Layer`).
        return self.trainable

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axis = canonical_axis(self.axis, input_shape, self)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f"BatchNormalization layer {self.name!r}: the feature axis {self.axis} of the "
                f"input must have a known size, got input shape {input_shape}."
            )
        shape = (channels,)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
            )
        self.moving_mean = self.add_weight(
            shape=shape,
            name="moving_mean",
            initializer=self.moving_mean_initializer,
            trainable=False,
            autocast=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape,
            name="moving_variance",
            initializer=self.moving_variance_initializer,
            trainable=False,
            autocast=False,
        )
        if self.renorm:
            variance_initializer = self.moving_variance_initializer

            def stddev_initializer(shape, dtype=None):
                return jnp.sqrt(variance_initializer(shape, dtype=dtype))

            self.moving_stddev = self.add_weight(
                shape=shape,
                name="moving_stddev",
                initializer=stddev_initializer,
                trainable=False,
                autocast=False,
            )
            self.renorm_mean = self.add_weight(
                shape=shape,
                name="renorm_mean",
                initializer=self.moving_mean_initializer,
                trainable=False,
                autocast=False,
            )
            self.renorm_stddev = self.add_weight(
                shape=shape,
                name="renorm_stddev",
                initializer=stddev_initializer,
                trainable=False,
                autocast=False,
            )
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})
        self._reduction_axes = tuple(i for i in range(len(input_shape)) if i != axis)
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if mask is not None and jnp.ndim(mask) != inputs.ndim - 1:
            raise ValueError(
                f"BatchNormalization layer {self.name!r}: the mask must have one dimension "
                f"less than the inputs (no feature axis); got mask.shape={jnp.shape(mask)} "
                f"and inputs.shape={inputs.shape}."
            )
        inputs = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
        dtype = inputs.dtype
        gamma = self.gamma.value.astype(dtype) if self.scale else None
        beta = self.beta.value.astype(dtype) if self.center else None
        if training and self.trainable:
            mean, variance = self._batch_moments(inputs, mask)
            if self.renorm:
                gamma, beta = self._renormalized_scale_and_offset(mean, variance, gamma, beta)
                self._update_renorm_statistics(mean, variance)
            else:
                keep = self.momentum
                self.moving_mean.assign(
                    self.moving_mean.value.astype(dtype) * keep + mean * (1.0 - keep)
                )
                self.moving_variance.assign(
                    self.moving_variance.value.astype(dtype) * keep + variance * (1.0 - keep)
                )
        else:
            mean = self.moving_mean.value.astype(dtype)
            variance = self.moving_variance.value.astype(dtype)
        outputs = normalize_with(inputs, mean, variance, gamma, beta, self.epsilon, self.axis)
        return outputs.astype(self.compute_dtype)

    def _batch_moments(self, inputs, mask):
        axes = self._reduction_axes
        if mask is None:
            return jnp.mean(inputs, axis=axes), jnp.var(inputs, axis=axes)
        # Keras's weighting: the mask covers every axis but the last, and its sum gets
        # backend.epsilon() so an all-masked batch gives zeros, not NaN.
        weights = jnp.broadcast_to(jnp.expand_dims(mask, -1), inputs.shape).astype(bool)
        count = jnp.sum(weights.astype(inputs.dtype), axis=axes, keepdims=True)
        count = count + backend_epsilon()
        mean = jnp.sum(jnp.where(weights, inputs, 0), axis=axes, keepdims=True) / count
        squared = jnp.square(jnp.where(weights, inputs - mean, 0))
        variance = jnp.sum(squared, axis=axes, keepdims=True) / count
        return jnp.reshape(mean, (-1,)), jnp.reshape(variance, (-1,))

    def _renormalized_scale_and_offset(self, mean, variance, gamma, beta):
        """Batch renormalization: the batch-normalized values are corrected by `r` and `d`
        (constants for the gradient), folded into the scale and offset."""
        dtype = mean.dtype
        stddev = jnp.sqrt(variance + self.epsilon)
        renorm_mean = self.renorm_mean.value.astype(dtype)
        renorm_stddev = jnp.maximum(
            self.renorm_stddev.value.astype(dtype), jnp.sqrt(jnp.asarray(self.epsilon, dtype))
        )
        r = stddev / renorm_stddev
        d = (mean - renorm_mean) / renorm_stddev
        clipping = self.renorm_clipping
        if clipping.get("rmin") is not None:
            r = jnp.maximum(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = jnp.minimum(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = jnp.clip(d, -clipping["dmax"], clipping["dmax"])
        r, d = jax.lax.stop_gradient(r), jax.lax.stop_gradient(d)
        if gamma is not None:
            scale, offset = r * gamma, d * gamma
        else:
            scale, offset = r, d
        if beta is not None:
            offset = offset + beta
        return scale, offset

    def _update_renorm_statistics(self, mean, variance):
        dtype = mean.dtype
        stddev = jnp.sqrt(variance + self.epsilon)
        keep = self.renorm_momentum
        self.renorm_mean.assign(self.renorm_mean.value.astype(dtype) * keep + mean * (1.0 - keep))
        self.renorm_stddev.assign(
            self.renorm_stddev.value.astype(dtype) * keep + stddev * (1.0 - keep)
        )
        keep = self.momentum
        self.moving_mean.assign(self.moving_mean.value.astype(dtype) * keep + mean * (1.0 - keep))
        moving_stddev = self.moving_stddev.value.astype(dtype) * keep + stddev * (1.0 - keep)
        self.moving_stddev.assign(moving_stddev)
        # The variance follows the moving standard deviation, as in Keras.
        self.moving_variance.assign(jax.nn.relu(moving_stddev * moving_stddev - self.epsilon))

    def compute_output_shape(self, input_shape):
        canonical_axis(self.axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "moving_mean_initializer": serialize_keras_object(self.moving_mean_initializer),
            "moving_variance_initializer": serialize_keras_object(self.moving_variance_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


class LayerNormalization(Layer):
    """Normalizes each sample over `axis` (its own mean and variance), then scales by `gamma`
    and shifts by `beta`, as `keras.layers.LayerNormalization`.

    Args:
        axis: an int or a list of ints, the axes normalized together (and the shape of
            `gamma` and `beta`). -1 by default.
        epsilon: added to the variance before its square root.
        center: whether to add the learned offset `beta`.
        scale: whether to multiply by the learned factor `gamma`.
        beta_initializer, gamma_initializer: initializers of `beta` and `gamma`.
        beta_regularizer, gamma_regularizer: optional regularizers of `beta` and `gamma`.
        beta_constraint, gamma_constraint: optional constraints of `beta` and `gamma`.
        rms_scaling: deprecated in Keras 3 (it divides by the standard deviation without
            centering, and has no `beta`); kept for old configs, with Keras's warning. Use
            `RMSNormalization` instead.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        rms_scaling = kwargs.pop("rms_scaling", False)
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated (as in Keras 3): it scales "
                "the input by its variance, not by its root mean square. Use "
                "`keras.layers.RMSNormalization` for RMS normalization.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.axis = _int_or_list_axis(axis, self)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        # Inputs keep their dtype: the statistics are computed in float32 at least anyway.
        self.autocast = False

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        # As Keras: the axis becomes a sorted list once built (and so in the saved config).
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            canonical_axis(axis, input_shape, self)
        self.axis = axes
        shape = _known_sizes(input_shape, axes, self)
        self.gamma = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma",
                shape=shape,
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
            )
        self.beta = None
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta",
                shape=shape,
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
            )
        self.built = True

    def call(self, inputs):
        original_dtype = inputs.dtype
        x = inputs.astype(jnp.result_type(inputs.dtype, jnp.float32))
        gamma = None if self.gamma is None else _broadcastable(self.gamma.value, x, self.axis)
        beta = None if self.beta is None else _broadcastable(self.beta.value, x, self.axis)
        if self.rms_scaling:
            variance = jnp.var(x, axis=self.axis, keepdims=True)
            outputs = x * jax.lax.rsqrt(variance + self.epsilon)
            if gamma is not None:
                outputs = outputs * gamma
        else:
            mean = jnp.mean(x, axis=self.axis, keepdims=True)
            variance = jnp.var(x, axis=self.axis, keepdims=True)
            inv = jax.lax.rsqrt(variance + self.epsilon)
            if gamma is not None:
                inv = inv * gamma
            offset = -mean * inv
            if beta is not None:
                offset = offset + beta
            outputs = x * inv + offset
        return outputs.astype(original_dtype).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            canonical_axis(axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }


class GroupNormalization(Layer):
    """Splits the channels of `axis` into `groups` and normalizes each group of each sample
    over its channels and all other non-batch axes, as `keras.layers.GroupNormalization`.

    `groups=1` is layer normalization over all non-batch axes; `groups=-1` (one channel per
    group) is instance normalization.

    Args:
        groups: the number of groups; it must divide the number of channels. -1 means one
            group per channel. 32 by default.
        axis: the channels axis (-1 by default).
        epsilon: added to the variance before its square root.
        center: whether to add the learned offset `beta` (one per channel).
        scale: whether to multiply by the learned factor `gamma` (one per channel).
        beta_initializer, gamma_initializer: initializers of `beta` and `gamma`.
        beta_regularizer, gamma_regularizer: optional regularizers of `beta` and `gamma`.
        beta_constraint, gamma_constraint: optional constraints of `beta` and `gamma`.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        groups=32,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        if (
            not isinstance(groups, int)
            or isinstance(groups, bool)
            or (groups <= 0 and groups != -1)
        ):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive integer (or -1 for instance "
                f"normalization), got groups={groups!r}."
            )
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = _int_axis(axis, self)
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.autocast = False

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axis = canonical_axis(self.axis, input_shape, self)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: axis {self.axis} of the input must "
                f"have a known size, got input shape {input_shape}."
            )
        groups = channels if self.groups == -1 else self.groups
        if channels % groups:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: `groups` ({groups}) must divide the "
                f"number of channels ({channels}, axis {self.axis} of input shape "
                f"{input_shape}). Choose a divisor of {channels}, or -1 for one group per "
                "channel."
            )
        # As Keras: -1 becomes the channel count once built (and so in the saved config).
        self.groups = groups
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(
                shape=(channels,),
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=(channels,),
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
            )
        self.built = True

    def call(self, inputs):
        original_dtype = inputs.dtype
        rank = inputs.ndim
        axis = self.axis % rank
        channels = inputs.shape[axis]
        # The channels axis splits into (groups, channels per group); the statistics run over
        # every axis but the batch and the group one.
        grouped_shape = (
            inputs.shape[:axis] + (self.groups, channels // self.groups) + inputs.shape[axis + 1 :]
        )
        x = jnp.reshape(inputs, grouped_shape).astype(jnp.result_type(inputs.dtype, jnp.float32))
        reduction_axes = tuple(i for i in range(1, rank + 1) if i != axis)
        mean = jnp.mean(x, axis=reduction_axes, keepdims=True)
        variance = jnp.var(x, axis=reduction_axes, keepdims=True)
        inv = jax.lax.rsqrt(variance + self.epsilon)
        broadcast_shape = [1] * (rank + 1)
        broadcast_shape[axis : axis + 2] = [self.groups, channels // self.groups]
        if self.gamma is not None:
            inv = inv * jnp.reshape(self.gamma.value, broadcast_shape).astype(x.dtype)
        offset = -mean * inv
        if self.beta is not None:
            offset = offset + jnp.reshape(self.beta.value, broadcast_shape).astype(x.dtype)
        outputs = (x * inv + offset).astype(original_dtype)
        return jnp.reshape(outputs, inputs.shape).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape):
        canonical_axis(self.axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": serialize_keras_object(self.beta_initializer),
            "gamma_initializer": serialize_keras_object(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis`, as `keras.layers.UnitNormalization`.

    Args:
        axis: an int or a list of ints, the axes whose norm becomes 1. -1 by default.
        **kwargs: base layer arguments (`name`, `dtype`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_or_list_axis(axis, self)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        axes = self.axis if isinstance(self.axis, int) else tuple(self.axis)
        for axis in [axes] if isinstance(axes, int) else axes:
            canonical_axis(axis, inputs.shape, self)
        squared_norm = jnp.sum(jnp.square(inputs), axis=axes, keepdims=True)
        # Keras bounds 1 / norm by 1e12, so an all-zero sample stays zero instead of NaN.
        return inputs * jnp.minimum(jax.lax.rsqrt(squared_norm), 1e12)

    def compute_output_shape(self, input_shape):
        for axis in [self.axis] if isinstance(self.axis, int) else self.axis:
            canonical_axis(axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Divides each sample by its root mean square over `axis` and multiplies by the learned
    `scale`, as `keras.layers.RMSNormalization`.

    Args:
        axis: an int or a list of ints, the axes of the root mean square (and the shape of
            `scale`). -1 by default.
        epsilon: added to the mean square before its square root.
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_or_list_axis(axis, self)
        self.epsilon = epsilon

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            canonical_axis(axis, input_shape, self)
        self.axis = axes
        self.scale = self.add_weight(
            name="scale", shape=_known_sizes(input_shape, axes, self), initializer="ones"
        )
        self.built = True

    def call(self, x):
        original_dtype = x.dtype
        x = x.astype(jnp.result_type(x.dtype, jnp.float32))
        mean_square = jnp.mean(jnp.square(x), axis=self.axis, keepdims=True)
        outputs = x * jax.lax.rsqrt(mean_square + self.epsilon)
        outputs = outputs * _broadcastable(self.scale.value, x, self.axis)
        return outputs.astype(original_dtype)

    def compute_output_shape(self, input_shape):
        for axis in self.axis if isinstance(self.axis, list) else [self.axis]:
            canonical_axis(axis, input_shape, self)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


# -- shared helpers -------------------------------------------------------------------------------
def canonical_axis(axis, input_shape, layer):
    """`axis` of an input of `input_shape` as a non-negative index; out of range is an error
    naming the layer, the shape and the valid range."""
    rank = len(input_shape)
    if not -rank <= axis < rank:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: axis {axis} is out of range for "
            f"input shape {tuple(input_shape)} (rank {rank}); use an axis in "
            f"[{-rank}, {rank - 1}] (the batch axis 0 included)."
        )
    return axis % rank


def normalize_with(x, mean, variance, gamma, beta, epsilon, axis):
    """`(x - mean) / sqrt(variance + epsilon) * gamma + beta` with per-channel statistics on
    `axis`, in Keras's order of operations."""
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    inv = jax.lax.rsqrt(jnp.reshape(variance, shape) + epsilon)
    if gamma is not None:
        inv = inv * jnp.reshape(gamma, shape)
    offset = -jnp.reshape(mean, shape) * inv
    if beta is not None:
        offset = offset + jnp.reshape(beta, shape)
    return x * inv + offset


def _int_axis(axis, layer):
    """`axis` as a Python int (NumPy integers accepted); anything else is a TypeError."""
    if not isinstance(axis, bool):
        try:
            return operator.index(axis)
        except TypeError:
            pass
    raise TypeError(
        f"{type(layer).__name__} layer {layer.name!r}: `axis` must be an int (or, where the "
        f"layer takes several axes, a list of ints), got {axis!r}."
    )


def _int_or_list_axis(axis, layer):
    """`axis` as an int, or a list of ints when given as a list or tuple."""
    if isinstance(axis, (list, tuple)):
        return [_int_axis(a, layer) for a in axis]
    return _int_axis(axis, layer)


def _known_sizes(input_shape, axes, layer):
    sizes = tuple(input_shape[axis] for axis in axes)
    if any(size is None for size in sizes):
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: the normalized axes {axes} of the "
            f"input must have known sizes, got input shape {tuple(input_shape)}."
        )
    return sizes


def _broadcastable(weight, x, axes):
    """A weight of the sizes of `axes` (in `axes` order) shaped to broadcast against `x`."""
    weight = weight.astype(x.dtype)
    if list(axes) == [x.ndim - 1] or list(axes) == [-1]:
        return weight
    shape = [1] * x.ndim
    for axis in axes:
        shape[axis] = x.shape[axis]
    return jnp.reshape(weight, shape)


def _checked_renorm_clipping(clipping, name):
    unknown = set(clipping) - {"rmax", "rmin", "dmax"}
    if unknown:
        raise ValueError(
            f"BatchNormalization layer {name!r}: `renorm_clipping` accepts the keys 'rmax', "
            f"'rmin' and 'dmax', got {clipping}."
        )
    rmax, rmin, dmax = clipping.get("rmax"), clipping.get("rmin"), clipping.get("dmax")
    if rmax is not None and rmin is not None and rmax < rmin:
        raise ValueError(
            f"BatchNormalization layer {name!r}: `renorm_clipping` needs rmax >= rmin, got "
            f"rmax={rmax} and rmin={rmin}."
        )
    if dmax is not None and dmax < 0:
        raise ValueError(
            f"BatchNormalization layer {name!r}: `renorm_clipping` needs dmax >= 0, got "
            f"dmax={dmax}."
        )
    return clipping
