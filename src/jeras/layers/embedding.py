"""`Embedding`: a trainable lookup table from integer indices to dense vectors."""

import warnings

import jax.numpy as jnp

from jeras import constraints, initializers, regularizers
from jeras.layers.layer import Layer
from jeras.saving.serialization import serialize_keras_object


class Embedding(Layer):
    """Turns integer indices into dense vectors: `output[..., :] = embeddings[index]`.

    Input `(batch, ...)` integers (floats are cast to int32), output `(batch, ..., output_dim)`.

    Indices outside `[0, input_dim)` are not an error, as in Keras on JAX (its lookup is
    `jnp.take`): an index in `[-input_dim, 0)` counts from the end of the table, and any other
    gives a row of NaN (integer dtypes: the dtype's minimum).

    Args:
        input_dim: size of the vocabulary (the largest index plus one).
        output_dim: size of each embedding vector.
        embeddings_initializer: initializer of the table (default "uniform").
        embeddings_regularizer: optional regularizer of the table.
        embeddings_constraint: optional constraint on the table.
        mask_zero: whether index 0 is padding. Then the output carries a mask (False where the
            index is 0) that later layers and the loss honour; index 0 is then not usable for
            data, so `input_dim` is the vocabulary size plus one.
        weights: an optional `(input_dim, output_dim)` array of initial values.
        lora_rank: accepted for Keras's signature; LoRA is not supported by jeras yet, so a
            value other than None raises.
        lora_alpha: as `lora_rank`.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `activity_regularizer`, ...).
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        for argument, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"Embedding: `{argument}` must be a positive integer. Received: "
                    f"{argument}={value!r} (of type {type(value).__name__})."
                )
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", stacklevel=2)
        super().__init__(**kwargs)
        if lora_rank is not None or lora_alpha is not None:
            raise NotImplementedError(
                f"Embedding layer {self.name!r}: LoRA (lora_rank={lora_rank!r}) is not "
                "supported by jeras yet. Create the layer without `lora_rank`."
            )
        if quantization_config is not None:
            raise ValueError(
                f"Embedding layer {self.name!r}: quantized layers are not supported by jeras "
                f"(got quantization_config={quantization_config!r})."
            )
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.lora_rank = None
        self.lora_alpha = None
        # Indices are not cast to the compute dtype.
        self.autocast = False
        if weights is not None:
            self._build_with_shapes(None)
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self._embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
            trainable=True,
        )
        self.built = True

    @property
    def embeddings(self):
        """The `(input_dim, output_dim)` table (a `Variable`)."""
        if not self.built:
            raise AttributeError(
                f"Embedding layer {self.name!r} is not built yet: call it on data (or build "
                "it) before reading `embeddings`."
            )
        return self._embeddings

    def call(self, inputs):
        if inputs.dtype not in (jnp.int32, jnp.int64):
            inputs = inputs.astype(jnp.int32)
        outputs = jnp.take(self._embeddings.value, inputs, axis=0)
        return outputs.astype(self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return jnp.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize_keras_object(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
