"""`Embedding`: a trainable lookup table from integer indices to dense vectors."""

import warnings

import jax.numpy as jnp
import numpy as np

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
        lora_rank: if set, the table is frozen and the layer learns a low-rank update
            `(lora_alpha / lora_rank) * lora_embeddings_a @ lora_embeddings_b` instead (LoRA),
            enabled when the layer is built (see `enable_lora`).
        lora_alpha: the scale of the low-rank update. As Keras, building the layer enables
            LoRA with `lora_alpha` equal to `lora_rank`, whatever was passed here; call
            `enable_lora(rank, lora_alpha)` on a built layer to choose it.
        quantization_config: accepted for Keras's signature; jeras has no quantized layers, so
            a value other than None raises.
        **kwargs: base `Layer` arguments (`name`, `dtype`, `activity_regularizer`, ...).
    """

    rows_independent = True  # see Layer.rows_independent

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
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
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
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    @property
    def embeddings(self):
        """The `(input_dim, output_dim)` table: the `Variable`, or with LoRA the frozen table
        plus the scaled low-rank update (an array)."""
        if not self.built:
            raise AttributeError(
                f"Embedding layer {self.name!r} is not built yet: call it on data (or build "
                "it) before reading `embeddings`."
            )
        if not self.lora_enabled:
            return self._embeddings
        update = jnp.matmul(self.lora_embeddings_a.value, self.lora_embeddings_b.value)
        merged = self._embeddings.value + (self.lora_alpha / self.lora_rank) * update
        return merged.astype(self.compute_dtype)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Freeze the table and learn a rank-`rank` update of it instead (LoRA).

        Args:
            rank: the rank of the update.
            lora_alpha: its scale is `lora_alpha / rank` (default: `rank`, a scale of 1).
            a_initializer: initializer of `lora_embeddings_a`, `(input_dim, rank)`.
            b_initializer: initializer of `lora_embeddings_b`, `(rank, output_dim)`; zeros
                make the update start at 0.
        """
        if self.embeddings_constraint:
            raise ValueError(
                f"Embedding layer {self.name!r}: LoRA is incompatible with embedding "
                "constraints. Remove `embeddings_constraint` to enable LoRA on this layer."
            )
        if not self.built:
            raise ValueError(
                f"Embedding layer {self.name!r}: cannot enable LoRA on a layer that is not "
                "built yet."
            )
        if self.lora_enabled:
            raise ValueError(
                f"Embedding layer {self.name!r}: LoRA is already enabled; it can be enabled "
                "only once per layer."
            )
        self.lora_embeddings_a = self.add_weight(
            shape=(self.input_dim, rank),
            initializer=initializers.get(a_initializer),
            dtype="float32",
            regularizer=self.embeddings_regularizer,
            name="lora_embeddings_a",
        )
        self.lora_embeddings_b = self.add_weight(
            shape=(rank, self.output_dim),
            initializer=initializers.get(b_initializer),
            dtype="float32",
            regularizer=self.embeddings_regularizer,
            name="lora_embeddings_b",
        )
        self._embeddings.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def call(self, inputs):
        if inputs.dtype not in (jnp.int32, jnp.int64):
            inputs = inputs.astype(jnp.int32)
        table = self.embeddings
        table = table.value if not self.lora_enabled else table
        return jnp.take(table, inputs, axis=0).astype(self.compute_dtype)

    # A LoRA layer saves the merged table alone, as Keras does: the file loads into a plain
    # Embedding, and loading restarts the low-rank update from zero.
    def save_own_variables(self, store):
        if not self.built:
            return
        store["0"] = np.asarray(self.embeddings if self.lora_enabled else self._embeddings.value)

    def load_own_variables(self, store):
        if not self.lora_enabled:
            return super().load_own_variables(store)
        if len(store.keys()) != 1:
            raise ValueError(
                f"Layer {self.name!r} expected 1 variable (the merged embeddings table), but "
                f"received {len(store.keys())} variables during loading."
            )
        value = np.asarray(store["0"])
        if tuple(value.shape) != tuple(self._embeddings.shape):
            raise ValueError(
                f"Layer {self.name!r}: variable 'embeddings' has shape "
                f"{tuple(self._embeddings.shape)}, but the saved value has shape "
                f"{tuple(value.shape)}."
            )
        self._embeddings.assign(value)
        for variable in (self.lora_embeddings_a, self.lora_embeddings_b):
            variable.assign(np.zeros(variable.shape, variable.dtype))

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
            **(
                {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha}
                if self.lora_rank
                else {}
            ),
        }
