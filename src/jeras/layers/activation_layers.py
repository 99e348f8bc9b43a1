"""Activation layers with arguments of their own: `ReLU`, `LeakyReLU`, `PReLU`, `ELU`, `Softmax`.

(`Activation`, which wraps any named activation function, lives in `core`.)
"""

import jax
import jax.numpy as jnp

from jeras import activations, constraints, initializers, regularizers
from jeras.backend.dtypes import standardize_dtype
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.saving.serialization import serialize_keras_object


class _ElementwiseActivation(Layer):
    """A weightless layer applying one function entry by entry: shape and mask pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        # No weights: usable before the first call, as in Keras.
        self.built = True

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_ElementwiseActivation):
    """Rectified linear unit: `x` where `threshold < x < max_value`, `max_value` above it, and
    `negative_slope * (x - threshold)` below the threshold.

    Args:
        max_value: float >= 0, the largest output; None (default) for no limit.
        negative_slope: float >= 0 (default 0.0), the slope below the threshold.
        threshold: float >= 0 (default 0.0), where the unit switches on.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(
                f"ReLU layer {self.name!r}: `max_value` cannot be negative, got "
                f"max_value={max_value!r}."
            )
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError(
                f"ReLU layer {self.name!r}: `negative_slope` must be a float >= 0, got "
                f"negative_slope={negative_slope!r}."
            )
        if threshold is None or threshold < 0.0:
            raise ValueError(
                f"ReLU layer {self.name!r}: `threshold` must be a float >= 0, got "
                f"threshold={threshold!r}."
            )
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def call(self, inputs):
        return activations.relu(
            inputs,
            negative_slope=self.negative_slope,
            max_value=self.max_value,
            threshold=self.threshold,
        )

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


class LeakyReLU(_ElementwiseActivation):
    """Leaky rectified linear unit: `x` for `x >= 0`, `negative_slope * x` below.

    Args:
        negative_slope: float >= 0 (default 0.3). The old name `alpha` is accepted too.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            # Keras 2's name for the same argument, still found in old configs.
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                f"LeakyReLU layer {self.name!r}: `negative_slope` must be a float >= 0, got "
                f"negative_slope={negative_slope!r}."
            )
        self.negative_slope = negative_slope

    def call(self, inputs):
        return jax.nn.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(_ElementwiseActivation):
    """Exponential linear unit: `x` for `x >= 0`, `alpha * (exp(x) - 1)` below.

    Args:
        alpha: float (default 1.0), the scale of the negative part.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return jax.nn.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """Parametric ReLU: `x` for `x >= 0`, `alpha * x` below, with `alpha` a learned weight of
    the input's per-sample shape (size 1 along `shared_axes`).

    Args:
        alpha_initializer: initializer of `alpha` (default "Zeros").
        alpha_regularizer: optional regularizer of `alpha`.
        alpha_constraint: optional constraint of `alpha`.
        shared_axes: an axis or list of axes (1 = the first axis after the batch) along which
            one `alpha` is shared, e.g. `[1, 2]` for one value per channel of a 2D feature map.
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        alpha_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < rank:
                raise ValueError(
                    f"PReLU layer {self.name!r}: every shared axis must be in [1, {rank - 1}] "
                    f"for an input of shape {input_shape}, got shared_axes={self.shared_axes}."
                )
            alpha_shape[axis - 1] = 1
        if any(d is None for d in alpha_shape):
            raise ValueError(
                f"PReLU layer {self.name!r}: every non-shared axis of the input must be known to "
                f"size `alpha`, got input shape {input_shape}. Share the unknown axes with "
                "`shared_axes`."
            )
        self.alpha = self.add_weight(
            shape=alpha_shape,
            name="alpha",
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
            constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or ())
        self.input_spec = InputSpec(
            ndim=rank, axes={i: input_shape[i] for i in range(1, rank) if i not in shared}
        )
        self.built = True

    def call(self, inputs):
        alpha = self.alpha.value.astype(inputs.dtype)
        return jax.nn.relu(inputs) - alpha * jax.nn.relu(-inputs)

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": serialize_keras_object(self.alpha_initializer),
            "alpha_regularizer": serialize_keras_object(self.alpha_regularizer),
            "alpha_constraint": serialize_keras_object(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


class Softmax(_ElementwiseActivation):
    """Softmax over `axis`; where `mask` is False the input is ignored and the output is 0.

    Args:
        axis: int or list of ints (default -1), the axes normalised together.
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: the logits.
        mask: optional boolean (or 0/1) array broadcastable to `inputs`, True to keep.
    """

    rows_independent = True  # see Layer.rows_independent
    checks_its_masks = True  # any mask that broadcasts to the inputs, as Keras

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = self._broadcastable_mask(inputs, mask)
            # A large finite negative rather than -inf: a row masked entirely stays finite.
            lowest = -3e4 if standardize_dtype(inputs.dtype) == "float16" else -1e9
            inputs = jnp.where(mask, inputs, jnp.asarray(lowest, inputs.dtype))
        axis = tuple(self.axis) if isinstance(self.axis, (list, tuple)) else self.axis
        outputs = jax.nn.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = jnp.where(mask, outputs, jnp.zeros((), outputs.dtype))
        return outputs

    def _broadcastable_mask(self, inputs, mask):
        mask = jnp.asarray(mask)
        fits = mask.ndim <= inputs.ndim and all(
            m in (1, i) for m, i in zip(mask.shape[::-1], inputs.shape[::-1])
        )
        if not fits:
            raise ValueError(
                f"Softmax layer {self.name!r}: `mask` must be broadcastable to the inputs "
                "(each mask axis 1 or equal to the input's, and no more axes), got inputs of "
                f"shape {tuple(inputs.shape)} and a mask of shape {tuple(mask.shape)}."
            )
        if mask.dtype != jnp.bool_:
            mask = mask > jnp.asarray(0.5, mask.dtype)
        return mask

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
