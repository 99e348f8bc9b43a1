"""`SpectralNormalization`: a wrapper dividing another layer's kernel by its largest singular
value, estimated by power iteration."""

import jax
import jax.numpy as jnp

from jeras import initializers
from jeras.backend.config import epsilon as backend_epsilon
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object


class SpectralNormalization(Layer):
    """Wraps a layer with a `kernel` (or `embeddings`) and, in training, replaces it by
    `kernel / sigma`, sigma being its spectral norm estimated by power iteration, as
    `keras.layers.SpectralNormalization` (Miyato et al., 2018).

    The estimate's vector `vector_u` is a non-trainable weight, updated by each training call
    (inside `fit()` too). As Keras on JAX, inside `fit()` the normalized kernel is used for the
    step's forward pass only: the optimizer updates the wrapped layer's kernel itself, through
    the gradient of the normalization. A training call outside `fit()` writes the normalized
    kernel into the wrapped layer. A kernel of zeros is left as it is.

    Args:
        layer: the layer to wrap, with a `kernel` or `embeddings` weight once built.
        power_iterations: power iteration steps per training call (at least 1).
        **kwargs: base layer arguments (`name`, `dtype`, `trainable`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, layer, power_iterations=1, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"SpectralNormalization: `layer` must be a jeras layer, got {layer!r} of type "
                f"{type(layer).__name__}."
            )
        super().__init__(**kwargs)
        self.layer = layer
        if power_iterations <= 0:
            raise ValueError(
                f"SpectralNormalization layer {self.name!r}: `power_iterations` must be greater "
                f"than zero, got power_iterations={power_iterations}."
            )
        self.power_iterations = power_iterations

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if not self.layer.built:
            self.layer._build_with_shapes(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if getattr(self.layer, "kernel", None) is not None:
            self.kernel = self.layer.kernel
        elif getattr(self.layer, "embeddings", None) is not None:
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(
                f"SpectralNormalization layer {self.name!r}: the wrapped layer "
                f"{self.layer.name!r} ({type(self.layer).__name__}) has neither a `kernel` nor "
                "an `embeddings` weight to normalize."
            )
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False,
            name="vector_u",
            dtype=self.kernel.dtype,
        )
        self.built = True

    def call(self, inputs, training=False):
        if training:
            kernel = self.kernel.value
            vector_u, normalized = jax.lax.cond(
                jnp.all(kernel == 0),
                lambda: (self.vector_u.value, kernel),
                self.normalized_weights,
            )
            self.vector_u.assign(vector_u)
            self.kernel.assign(normalized)
        outputs = self.layer(inputs)
        return outputs.astype(inputs.dtype)

    def normalized_weights(self):
        """`(vector_u, kernel / sigma)` after `power_iterations` steps from `vector_u`; the
        singular vectors are constants for the gradient, sigma is not."""
        kernel = self.kernel.value
        matrix = jnp.reshape(kernel, (-1, self.kernel_shape[-1]))
        vector_u = self.vector_u.value
        for _ in range(self.power_iterations):
            vector_v = _unit(vector_u @ matrix.T)
            vector_u = _unit(vector_v @ matrix)
        vector_u = jax.lax.stop_gradient(vector_u)
        vector_v = jax.lax.stop_gradient(vector_v)
        sigma = (vector_v @ matrix) @ vector_u.T
        normalized = jnp.reshape(kernel / sigma, self.kernel_shape)
        return vector_u.astype(self.vector_u.dtype), normalized.astype(self.kernel.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "layer": serialize_keras_object(self.layer),
            "power_iterations": self.power_iterations,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


def _unit(x):
    # Keras's `normalize(x, axis=None)`: x / ||x||, with 1 / ||x|| capped at 1 / epsilon.
    inverse_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x)))
    return x * jnp.minimum(inverse_norm, 1.0 / backend_epsilon())
