"""`HashedCrossing`: the cross of several categorical features hashed into bins, as Keras's
`tf.sparse.cross_hashed`, computed on the host."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.layers.category_encoding import check_dense, encode_categorical
from jeras.layers.fingerprints import CROSS_HASH_KEY, fingerprint64, fingerprint_cat64
from jeras.layers.host_layer import HostLayer


class HashedCrossing(HostLayer):
    """Crosses two or more categorical features (strings or integers, one value per sample)
    and hashes each combination into one of `num_bins` bins.

    Args:
        num_bins: the number of bins.
        output_mode: "int" (default: the bin index) or "one_hot".
        sparse: must be False (sparse outputs need Keras's TensorFlow backend).
        name: the layer's name.
        dtype: the output dtype (int64 for "int" by default).
        **kwargs: other base layer arguments.
    """

    takes_input_list = True

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        check_dense(self, sparse)
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                f"HashedCrossing layer {self.name!r}: `output_mode` must be 'int' or "
                f"'one_hot', got {output_mode!r}."
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f"HashedCrossing layer {self.name!r} must be called on a list or tuple of at "
                f"least two inputs, got {type(inputs).__name__}."
            )
        return super().__call__(list(inputs), *args, **kwargs)

    def host_call(self, inputs):
        inputs = [np.asarray(x) for x in inputs]
        self._check_shapes([x.shape for x in inputs])
        return self._encode(jnp.asarray(self.cross(inputs)))

    def traced_call(self, inputs):
        self._check_shapes([tuple(x.shape) for x in inputs])
        indices = jax.pure_callback(
            lambda *values: self.cross([np.asarray(v) for v in values]).astype(np.int32),
            jax.ShapeDtypeStruct(tuple(inputs[0].shape), jnp.int32),
            *inputs,
        )
        return self._encode(indices)

    def cross(self, features):
        """The bin of each sample's combination of `features` (NumPy arrays of equal shape)."""
        shape = features[0].shape
        columns = [_feature_fingerprints(f.reshape(-1)) for f in features]
        bins = np.empty(len(columns[0]), np.int64)
        for row in range(len(bins)):
            combined = CROSS_HASH_KEY
            for column in columns:
                combined = fingerprint_cat64(combined, column[row])
            bins[row] = combined % self.num_bins
        return bins.reshape(shape)

    def _encode(self, indices):
        if self.output_mode == "int":
            return indices.astype(self.compute_dtype)
        return encode_categorical(indices, "one_hot", self.num_bins, self.compute_dtype)

    def _check_shapes(self, shapes):
        first = tuple(shapes[0])
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                f"HashedCrossing layer {self.name!r}: every input must have shape (), "
                f"(batch_size,) or (batch_size, 1); got {first}."
            )
        if any(tuple(s) != first for s in shapes[1:]):
            raise ValueError(
                f"HashedCrossing layer {self.name!r}: all inputs must have the same shape, got "
                f"{[tuple(s) for s in shapes]}."
            )

    def compute_output_spec(self, input_spec):
        shape = tuple(input_spec[0].shape)
        if self.output_mode == "one_hot":
            shape = (shape[:-1] if shape and shape[-1] == 1 and len(shape) > 1 else shape) + (
                self.num_bins,
            )
        return shape, self.compute_dtype

    def get_config(self):
        return {
            "num_bins": self.num_bins,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype_policy.name,
        }


def _feature_fingerprints(values):
    """Per-value inputs of the cross: strings by their fingerprint, integers as themselves
    (their two's-complement 64 bits)."""
    if values.dtype.kind in "US":
        return [fingerprint64(str(v).encode("utf-8")) for v in values.tolist()]
    return [int(v) & ((1 << 64) - 1) for v in values.astype(np.int64).tolist()]
