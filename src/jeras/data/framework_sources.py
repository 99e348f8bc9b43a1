"""Batch sources for other frameworks' input pipelines: `tf.data.Dataset`, torch `DataLoader`,
and Grain's `MapDataset`, `IterDataset` and `DataLoader`.

Each is recognised by the module and name of its classes, never by `isinstance`, so TensorFlow,
torch or Grain is imported only by the user who passes one of their objects. The pipeline already
batches and shuffles, so a source only makes passes over it and turns its tensors into NumPy."""

import jax
import numpy as np

from jeras.data.batch_format import standardize_batch


def make_framework_source(x):
    """A batch source for a tf.data / torch / Grain pipeline, or None for any other input."""
    # predict() on small arrays costs microseconds, so common inputs are turned away first.
    if x is None or isinstance(x, (np.ndarray, jax.Array, dict, list, tuple, str, bytes)):
        return None
    if not any(
        (cls.__module__ or "").partition(".")[0] in _FRAMEWORK_PACKAGES for cls in type(x).__mro__
    ):
        return None
    for source_class in (TFDatasetSource, TorchDataLoaderSource, GrainDatasetSource):
        if _derives_from(x, source_class.module, source_class.class_names):
            return source_class(x)
    if _derives_from(x, "torch.utils.data", ("Dataset", "IterableDataset")):
        # Keras takes only DataLoaders: a Dataset yields single samples, not batches.
        raise ValueError(
            f"A torch {type(x).__name__} was passed as data, but fit(), evaluate() and "
            "predict() take batches. Wrap it in a loader: "
            "`torch.utils.data.DataLoader(dataset, batch_size=32)`."
        )
    return None


_FRAMEWORK_PACKAGES = ("tensorflow", "torch", "grain")


class PipelineSource:
    """A re-iterable pipeline of batches: each epoch is a fresh `iter()` over it, which is where
    tf.data and torch reshuffle. With `steps_per_epoch`, `EpochStream` keeps one epoch iterator
    alive across epochs instead, so the pipeline is not restarted (Keras's rule)."""

    module = ""
    class_names = ()
    description = "The input pipeline"

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.num_batches = self._count_batches()
        # Reading the first batch tells the shapes that build the model and makes an empty
        # pipeline an error before training starts; the pass it opened serves the first epoch,
        # so no batch is drawn twice.
        self._open_pass = iter(pipeline)
        try:
            first = next(self._open_pass)
        except StopIteration:
            raise ValueError(
                f"{self.description} ({type(pipeline).__name__}) yielded no batches: it is empty. "
                "Check the data it is built from and any filter/take/skip steps."
            ) from None
        self._first = self._standardize(first)

    def _count_batches(self):
        return None

    def first_batch(self):
        return self._first

    def epoch(self, shuffle):
        """One pass over the pipeline. `shuffle` is ignored, as in Keras: the pipeline decides
        its own order."""
        if self._open_pass is not None:
            batches, self._open_pass = self._open_pass, None
            yield self._first
        else:
            batches = iter(self.pipeline)
        for raw in batches:
            yield self._standardize(raw)

    def _standardize(self, raw):
        return standardize_batch(jax.tree_util.tree_map(_to_host_leaf, raw), self.description)

    def on_epoch_end(self):
        pass

    def close(self):
        # Lets a loader's worker processes end when the first pass was never consumed.
        self._open_pass = None


class TFDatasetSource(PipelineSource):
    """A `tf.data.Dataset` whose elements are batches `x`, `(x, y)` or `(x, y, sample_weight)`."""

    module = "tensorflow."
    class_names = ("DatasetV2",)
    description = "The tf.data.Dataset"

    def _count_batches(self):
        cardinality = int(self.pipeline.cardinality())
        # Negative cardinalities mean infinite (-1) or unknown (-2).
        return cardinality if cardinality >= 0 else None


class TorchDataLoaderSource(PipelineSource):
    """A `torch.utils.data.DataLoader`; its length is known when its dataset has one."""

    module = "torch.utils.data"
    class_names = ("DataLoader",)
    description = "The torch DataLoader"

    def _count_batches(self):
        if hasattr(self.pipeline.dataset, "__len__"):
            return len(self.pipeline)
        return None


class GrainDatasetSource(PipelineSource):
    """A Grain `MapDataset`, `IterDataset` or `DataLoader` of batches. The number of batches is
    left unknown, as in Keras: a `MapDataset`'s length also counts the elements a `filter` drops."""

    module = "grain"
    class_names = ("MapDataset", "IterDataset", "DataLoader")
    description = "The Grain dataset"


def _derives_from(x, module, class_names):
    return any(
        cls.__name__ in class_names and (cls.__module__ or "").startswith(module)
        for cls in type(x).__mro__
    )


def _to_host_leaf(leaf):
    """A torch or TensorFlow tensor as a NumPy array; anything else is left to
    `standardize_batch`, which casts floats to floatx like the array path."""
    module = type(leaf).__module__ or ""
    if module.startswith("torch") and hasattr(leaf, "detach"):
        leaf = leaf.detach().cpu()
        if str(leaf.dtype) == "torch.bfloat16":
            leaf = leaf.float()  # NumPy has no bfloat16; floats become floatx next anyway
        return leaf.numpy()
    if module.startswith("tensorflow"):
        kind = type(leaf).__name__
        if kind in ("SparseTensor", "RaggedTensor"):
            densify = "tf.sparse.to_dense(t)" if kind == "SparseTensor" else "t.to_tensor()"
            raise ValueError(
                f"The tf.data.Dataset yields a tf.{kind}; jeras trains on dense batches. "
                f"Make it dense in the pipeline with `dataset.map(...)` and `{densify}`."
            )
        return leaf.numpy()
    return leaf
