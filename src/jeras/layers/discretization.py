"""`Discretization`: continuous values to bucket indices, with boundaries given or learned by
`adapt` from quantiles of the data."""

import jax.numpy as jnp
import numpy as np

from jeras.backend import config as backend_config
from jeras.layers.category_encoding import check_dense, encode_categorical, encoded_shape
from jeras.layers.layer import Layer
from jeras.layers.preprocessing_data import adapt_batches

_OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


class Discretization(Layer):
    """Places each value in one of contiguous ranges and outputs the range's index.

    `bin_boundaries=[0., 1., 2.]` makes the bins `(-inf, 0)`, `[0, 1)`, `[1, 2)` and
    `[2, inf)`, indices 0 to 3.

    Args:
        bin_boundaries: the sorted boundaries between bins; then `adapt` is not used.
        num_bins: the number of bins to learn with `adapt` (instead of `bin_boundaries`).
        epsilon: the error tolerance of the approximate quantiles `adapt` computes
            (default 0.01; smaller is more exact and uses more memory).
        output_mode: `"int"` (the bin indices, int32), `"one_hot"`, `"multi_hot"` or
            `"count"` (encoded as by `CategoryEncoding`, with `num_bins` categories).
        sparse: must be False (sparse outputs need Keras's TensorFlow backend).
        dtype: the dtype of encoded outputs (floatx by default).
        name: the layer's name.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        bin_boundaries=None,
        num_bins=None,
        epsilon=0.01,
        output_mode="int",
        sparse=False,
        dtype=None,
        name=None,
    ):
        super().__init__(name=name, dtype=dtype)
        check_dense(self, sparse)
        if output_mode not in _OUTPUT_MODES:
            raise ValueError(
                f"Discretization layer {self.name!r}: unknown `output_mode` {output_mode!r}; "
                f"expected one of {_OUTPUT_MODES}."
            )
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"Discretization layer {self.name!r}: `num_bins` must be >= 0, got {num_bins}."
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"Discretization layer {self.name!r}: pass either `num_bins` (then call "
                f"`adapt`) or `bin_boundaries`, not both. Got num_bins={num_bins} and "
                f"bin_boundaries={bin_boundaries}."
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError(
                f"Discretization layer {self.name!r}: set either `bin_boundaries` or "
                "`num_bins` (and call `adapt`)."
            )
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        # The running quantile summary `adapt` builds: row 0 values, row 1 their weights.
        self.summary = None if bin_boundaries else _empty_summary()
        self.built = True

    def adapt(self, data, steps=None):
        """Learn `num_bins - 1` boundaries from approximate quantiles of `data` (an array, or a
        batch source: a `PyDataset`, a `tf.data.Dataset` or an iterable of batches; `steps`
        limits the batches read)."""
        if self.num_bins is None:
            raise ValueError(
                f"Discretization layer {self.name!r} was given `bin_boundaries`; `adapt` needs "
                "a layer made with `num_bins` instead."
            )
        self.summary = _empty_summary()
        for batch in adapt_batches(data, self, steps):
            batch = np.asarray(batch).astype("float32")
            self.summary = _merge_summaries(
                _summarize(batch, self.epsilon), self.summary, self.epsilon
            )
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization layer {self.name!r} has no bin boundaries: pass "
                "`bin_boundaries` to the constructor or call `adapt(data)` before using it."
            )
        inputs = jnp.asarray(inputs).astype(backend_config.floatx())
        boundaries = jnp.asarray(self.bin_boundaries, inputs.dtype)
        indices = jnp.digitize(inputs, boundaries).astype("int32")
        dtype = "int32" if self.output_mode == "int" else self.compute_dtype
        return encode_categorical(indices, self.output_mode, self._depth(), dtype)

    def _depth(self):
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return self.num_bins

    def compute_output_shape(self, input_shape):
        return encoded_shape(tuple(input_shape), self.output_mode, self._depth())

    def load_own_variables(self, store):
        # Keras writes no variables for this layer (an older format wrote the summary).
        if len(store.keys()) == 1:
            self.summary = np.asarray(store["0"])

    def get_config(self):
        return {
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "name": self.name,
            "dtype": self.dtype_policy.name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer: made with `num_bins`, its learned boundaries restored after.
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


# -- the quantile summary (Keras's algorithm, for identical boundaries) ----------------------------
def _empty_summary():
    return np.array([[], []], dtype="float32")


def _summarize(values, epsilon):
    """Every `step`-th sorted value (about `1 / epsilon` of them), each weighing `step`."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.ones_like(picked) * step])


def _merge_summaries(first, second, epsilon):
    merged = np.concatenate((first, second), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return _compress(merged, epsilon)


def _compress(summary, epsilon):
    """Re-sample a summary at the cumulative-weight fractions epsilon, 2*epsilon, ..., 1."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    cumulative_fractions = cumulative / cumulative[-1]
    values = np.interp(fractions, cumulative_fractions, summary[0])
    cumulative = np.interp(fractions, cumulative_fractions, cumulative)
    weights = cumulative - np.concatenate((np.array([0]), cumulative[:-1]))
    return np.stack((values, weights)).astype("float32")
