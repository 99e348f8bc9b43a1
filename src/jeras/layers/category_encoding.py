"""`CategoryEncoding`: integer category indices to one-hot, multi-hot or count vectors, and the
encoding function the other categorical layers (lookups, hashing, discretization) share."""

import jax.numpy as jnp

from jeras.layers.layer import Layer

ENCODED_OUTPUT_MODES = ("one_hot", "multi_hot", "count")


class CategoryEncoding(Layer):
    """Encodes integer category indices in `[0, num_tokens)` as dense vectors.

    Indices outside that range contribute nothing (an all-zero one-hot row).

    Args:
        num_tokens: the number of categories: the size of the last output axis.
        output_mode: `"one_hot"` (one vector per index; a last input axis of size 1 is
            replaced), `"multi_hot"` (one vector per sample with a 1 for every index present;
            the last input axis is the sample's indices) or `"count"` (as multi_hot, counting
            each index's occurrences). Default `"multi_hot"`.
        sparse: must be False (sparse outputs need the TensorFlow backend in Keras too).
        **kwargs: base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: integer indices (floats holding integers are accepted).
        count_weights: with `output_mode="count"`, a weight per input index that is summed
            instead of 1.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ENCODED_OUTPUT_MODES:
            raise ValueError(
                f"CategoryEncoding layer {self.name!r}: unknown `output_mode` {output_mode!r}; "
                f"expected one of {ENCODED_OUTPUT_MODES}."
            )
        if num_tokens is None:
            raise ValueError(
                f"CategoryEncoding layer {self.name!r}: `num_tokens` must be set. If the number "
                "of categories is not known beforehand, use an `IntegerLookup` layer instead."
            )
        if num_tokens < 1:
            raise ValueError(
                f"CategoryEncoding layer {self.name!r}: `num_tokens` must be >= 1, got "
                f"{num_tokens}."
            )
        check_dense(self, sparse)
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"CategoryEncoding layer {self.name!r}: `count_weights` is only used with "
                    f"output_mode='count', got output_mode={self.output_mode!r}."
                )
            count_weights = jnp.asarray(count_weights, self.compute_dtype)
        return encode_categorical(
            inputs, self.output_mode, self.num_tokens, self.compute_dtype, count_weights
        )

    def compute_output_shape(self, input_shape):
        return encoded_shape(tuple(input_shape), self.output_mode, self.num_tokens)

    def get_config(self):
        # Keras leaves `sparse` out of this layer's config.
        return {
            **super().get_config(),
            "num_tokens": self.num_tokens,
            "output_mode": self.output_mode,
        }


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None):
    """`indices` encoded as Keras's layers encode them: `"int"` casts; `"one_hot"` adds an axis
    of size `depth` (replacing a last axis of size 1); `"multi_hot"` / `"count"` reduce the
    sample axis (axis 1, or 0 for one sample) to a presence / count vector of size `depth`."""
    indices = jnp.asarray(indices)
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices[None]
    indices = indices.astype("int32")
    if output_mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices.reshape(indices.shape[:-1])
        return _one_hot(indices, depth, dtype)
    reduce_axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return jnp.max(_one_hot(indices, depth, dtype), axis=reduce_axis)
    if output_mode == "count":
        if count_weights is not None:
            encoded = _one_hot(indices, depth, count_weights.dtype) * count_weights[..., None]
        else:
            encoded = _one_hot(indices, depth, dtype)
        return jnp.sum(encoded, axis=reduce_axis)
    raise ValueError(f"Unknown output_mode {output_mode!r}.")


def encoded_shape(input_shape, output_mode, depth):
    """The output shape `encode_categorical` gives for inputs of `input_shape`."""
    if output_mode == "int":
        return input_shape
    if len(input_shape) == 0:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


def check_dense(layer, sparse):
    """Sparse outputs exist only on Keras's TensorFlow backend; jeras's are dense."""
    if sparse:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: `sparse=True` can only be used with "
            "the TensorFlow backend; jeras returns dense arrays (leave sparse=False)."
        )


def _one_hot(indices, depth, dtype):
    # Out-of-range and negative indices give all-zero rows, as Keras's one_hot on JAX.
    return (indices[..., None] == jnp.arange(depth, dtype=indices.dtype)).astype(dtype)
