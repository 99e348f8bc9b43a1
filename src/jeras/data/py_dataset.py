"""`PyDataset` (alias `Sequence`): a Python object that returns batches by index."""

import warnings


class PyDataset:
    """Base class for datasets that return whole batches by index.

    Subclasses implement `__len__` (the number of batches; or the `num_batches` property,
    None for an endless dataset) and `__getitem__(index)` returning `(x,)`, `(x, y)` or
    `(x, y, sample_weight)`, and may override `on_epoch_begin` / `on_epoch_end`.

    Batches come in index order (or a shuffled index order) whatever the number of workers.
    `on_epoch_begin` and `on_epoch_end` run in the main process, on this object.

    Args:
        workers: how many threads (or processes) prepare batches ahead of training. With 0, or
            1 thread, batches are prepared on demand.
        use_multiprocessing: use processes instead of threads for the workers. The processes
            are spawned (forking a process that runs JAX's threads can deadlock), so the
            dataset must be picklable and its class importable by module and name (not
            defined in an interactive session or inside a function); it is sent to the
            workers again whenever its pickled state changed, e.g. in `on_epoch_end`. Each
            worker imports the main script again, which must therefore start training under
            `if __name__ == "__main__":`, and which re-creates its module-level variables
            there: keep the data a batch reads on the dataset object, not in such globals.
        max_queue_size: how many batches may be requested from workers ahead of use.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size
        self._initialized = True

    def _check_initialized(self):
        if not getattr(self, "_initialized", False):
            warnings.warn(
                f"Your `{type(self).__name__}` class should call `super().__init__(**kwargs)` in "
                "its constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.",
                stacklevel=3,
            )
            self._workers, self._use_multiprocessing, self._max_queue_size = 1, False, 10
            self._initialized = True

    @property
    def workers(self):
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement `__getitem__`.")

    @property
    def num_batches(self):
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__` or the `num_batches` property "
            "(return None for an endless dataset)."
        )

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass


Sequence = PyDataset
