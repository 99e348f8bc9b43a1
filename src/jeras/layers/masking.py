"""`Masking`: marks the time steps whose features all equal `mask_value` as padding."""

import jax.numpy as jnp

from jeras.backend.masking import set_keras_mask
from jeras.layers.layer import Layer
from jeras.saving.serialization import deserialize_keras_object


class Masking(Layer):
    """Masks the time steps of `(batch, steps, features)` inputs whose features all equal
    `mask_value`: those steps are zeroed in the output, and the output carries a mask of shape
    `(batch, steps)` (False at those steps) that later layers (GlobalAveragePooling1D, recurrent
    and attention layers) and the loss honour.

    Args:
        mask_value: the value that marks a padding step (default 0.0).
        **kwargs: base `Layer` arguments (`name`, `dtype`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        # A saved model may hold the value as a serialized tensor.
        if isinstance(mask_value, dict) and mask_value.get("config"):
            mask_value = deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = jnp.any(jnp.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = jnp.where(keep, inputs, jnp.zeros((), inputs.dtype))
        set_keras_mask(outputs, jnp.squeeze(keep, axis=-1))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
