"""`Hashing`: values (strings or integers) to bucket indices by hashing, bucket for bucket as
Keras (FarmHash Fingerprint64, or SipHash with a salt), computed on the host."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import config as backend_config
from jeras.layers.category_encoding import check_dense, encode_categorical, encoded_shape
from jeras.layers.fingerprints import hash_buckets
from jeras.layers.host_layer import HostLayer

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


class Hashing(HostLayer):
    """Hashes each value into one of `num_bins` buckets.

    Strings are hashed as UTF-8 text and integers as their decimal text (floats are truncated
    to integers first), so the buckets are Keras's. The hashing runs on the host; inside a
    compiled step, integer inputs go to the host through a callback.

    Args:
        num_bins: the number of buckets, mask bucket included.
        mask_value: a value that goes to bucket 0 (the others then share buckets
            `1 .. num_bins - 1`); None for none.
        salt: an int or a pair of ints: hash with keyed SipHash instead of FarmHash.
        output_mode: "int" (default), "one_hot", "multi_hot" or "count".
        sparse: must be False (sparse outputs need Keras's TensorFlow backend).
        **kwargs: base layer arguments (`name`, `dtype`: "int64"/"int32" in "int" mode, the
            float dtype of encoded outputs otherwise).
    """

    def __init__(
        self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs
    ):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend_config.floatx()
        super().__init__(**kwargs)
        where = f"Hashing layer {self.name!r}"
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"{where}: `num_bins` must be a positive int, got {num_bins}.")
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(
                f"{where}: with output_mode='int', `dtype` must be 'int32' or 'int64', got "
                f"{kwargs['dtype']!r}."
            )
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"{where}: unknown `output_mode` {output_mode!r}; expected one of {_OUTPUT_MODES}."
            )
        check_dense(self, sparse)
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(f"{where}: `salt` must be an int or a pair of ints, got {salt!r}.")

    def host_call(self, inputs):
        inputs = np.asarray(inputs)
        if self.output_mode == "one_hot" and inputs.ndim and inputs.shape[-1] == 1:
            inputs = inputs[..., 0]
        return self._encode(jnp.asarray(self.bucket(inputs)))

    def traced_call(self, inputs):
        if self.output_mode == "one_hot" and inputs.ndim and inputs.shape[-1] == 1:
            inputs = inputs[..., 0]
        indices = jax.pure_callback(
            lambda values: self.bucket(np.asarray(values)).astype(np.int32),
            jax.ShapeDtypeStruct(inputs.shape, jnp.int32),
            inputs,
        )
        return self._encode(indices)

    def bucket(self, values):
        """The bucket of every element of the NumPy array `values` (int64, same shape)."""
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype(np.int64)
        buckets = hash_buckets(values, bins, self.salt)
        if mask is not None:
            buckets = np.where(mask, 0, buckets + 1)
        return buckets

    def _encode(self, indices):
        dtype = self.compute_dtype
        if self.output_mode == "int":
            return indices.astype(dtype)
        return encode_categorical(indices, self.output_mode, self.num_bins, dtype)

    def compute_output_spec(self, input_spec):
        shape = tuple(input_spec.shape)
        if self.output_mode == "int":
            return shape, self.compute_dtype
        if self.output_mode == "one_hot" and shape and shape[-1] == 1:
            shape = shape[:-1]
            return shape + (self.num_bins,), self.compute_dtype
        return encoded_shape(shape, self.output_mode, self.num_bins), self.compute_dtype

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }
