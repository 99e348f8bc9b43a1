"""Batch sources for inputs that are not in-memory arrays: Python generators and iterators,
`PyDataset`s, and anything else that yields whole batches. Each epoch they give an iterator of
host batches `(x, y, sample_weight)`; the engine stacks and transfers them ahead of use."""

import collections
import itertools
import random

import cloudpickle

from jeras.data.batch_format import standardize_batch
from jeras.data.framework_sources import make_framework_source
from jeras.data.py_dataset import PyDataset
from jeras.data.workers import WorkerProcesses, WorkerThreads

# The `__getitem__` time a worker task aims at: below it, handing out tasks costs more than the
# batches (seconds).
_RUN_SECONDS = 1e-3


class GeneratorSource:
    """A Python generator or iterator. A generator cannot be restarted, so when `fit()` makes full
    passes (no `steps_per_epoch`) the batches of the first pass are kept and replayed in later
    epochs; with `steps_per_epoch` the stream simply continues and nothing is kept."""

    description = "The generator"

    def __init__(self, iterator, keep_batches=True):
        self._iterator = iter(iterator)
        # Peek at the first batch: it tells shapes, and an empty generator is an error now.
        try:
            first = next(self._iterator)
        except StopIteration:
            raise ValueError("The generator passed as `x` yielded no batches.") from None
        # Keras wants tuples from a generator; `predict` here also takes x alone.
        self.yields_tuples = isinstance(first, (tuple, list))
        self.first_type = type(first).__name__
        self._first = standardize_batch(first, self.description)
        self._pending = [self._first]
        self._kept = [self._first] if keep_batches else None
        self._exhausted = False
        self.num_batches = None

    def first_batch(self):
        return self._first

    def epoch(self, shuffle):
        if self._exhausted:
            yield from self._kept or ()
            return
        while self._pending:
            yield self._pending.pop(0)
        for raw in self._iterator:
            batch = standardize_batch(raw, self.description)
            if self._kept is not None:
                self._kept.append(batch)
            yield batch
        self._exhausted = True
        if self._kept is not None:
            self.num_batches = len(self._kept)

    def on_epoch_end(self):
        pass

    def close(self):
        pass


class PyDatasetSource:
    """A `PyDataset`: batches by index, in order (or in a shuffled index order), prepared ahead
    by `workers` threads, or processes with `use_multiprocessing=True`. Results do not depend on
    the number or kind of workers: batch `i` of the epoch is always `dataset[order[i]]`.

    The workers live from the first epoch to `close()`; worker processes are sent the dataset
    again whenever its pickled state changed since they last got it (for example when
    `on_epoch_end` reshuffled it), so each epoch sees the dataset as the main process has it."""

    def __init__(self, dataset):
        dataset._check_initialized()
        self.dataset = dataset
        self.name = type(dataset).__name__
        self.description = f"The PyDataset {self.name}"
        self.num_batches = dataset.num_batches
        if self.num_batches == 0:
            raise ValueError(
                f"The PyDataset {self.name} has length 0; it must return at least one batch."
            )
        if self._uses_processes():
            self._pickled()  # an unpicklable dataset is an error now, not in a worker
        self._first = self._get(0)
        self._workers = None

    def first_batch(self):
        return self._first

    def _uses_processes(self):
        return bool(self.dataset.use_multiprocessing) and (self.dataset.workers or 0) > 0

    def _uses_workers(self):
        # Keras's rule: more than one worker, or one worker process.
        return (self.dataset.workers or 0) > 1 or self._uses_processes()

    def _get(self, index):
        return self._standardize(self.dataset[index])

    def _standardize(self, raw):
        return standardize_batch(raw, f"{self.name}.__getitem__")

    def _pickled(self):
        """The dataset pickled, its large arrays left out of band: `(pickle, buffers)`. Done
        every epoch to see whether it changed, so the arrays are not copied here."""
        buffers = []
        try:
            # cloudpickle, so that a class defined in `__main__`, a notebook or a function
            # travels by value to the spawned workers (Keras's forked workers inherit it); the
            # result is read there by plain `pickle.loads`.
            pickled = cloudpickle.dumps(self.dataset, protocol=5, buffer_callback=buffers.append)
            return pickled, [buffer.raw() for buffer in buffers]
        except Exception as error:
            raise ValueError(
                f"The PyDataset {self.name} uses worker processes (use_multiprocessing=True), "
                f"which receive it pickled, but it cannot be pickled: {type(error).__name__}: "
                f"{error}. Make it picklable (keep no open files, locks or generators on it), or "
                "pass "
                "`use_multiprocessing=False` to use threads."
            ) from error

    def epoch(self, shuffle):
        self.dataset.on_epoch_begin()
        if self.num_batches is None:
            indices = itertools.count()
        else:
            indices = list(range(self.num_batches))
            if shuffle:
                random.shuffle(indices)
        workers = self.start_workers()
        if workers is None:
            for index in indices:
                yield self._get(index)
            return
        yield from self._in_order(workers, iter(indices), self.dataset.max_queue_size or 10)

    def start_workers(self):
        """The workers, holding the dataset as it is now; None when there are none. Called
        before the first epoch too, so that spawned processes import and load the dataset
        while the model compiles."""
        if not self._uses_workers():
            return None
        workers = self._open_workers()
        if self._uses_processes():
            workers.load(*self._pickled())
        return workers

    def _open_workers(self):
        if self._workers is not None and self._workers.interrupted.is_set():
            self.close()
        if self._workers is None:
            count = max(1, self.dataset.workers or 1)
            if self._uses_processes():
                self._workers = WorkerProcesses(count, self.name)
            else:
                self._workers = WorkerThreads(count, self.dataset.__getitem__)
        return self._workers

    def _in_order(self, workers, indices, queue_size):
        """The batches of `indices`, in order, asked of `workers` in runs of consecutive
        indices, at most about `queue_size` batches ahead. A run starts as one index and grows
        while batches are cheap, so that handing work to a worker does not cost more than
        the work."""
        pending = collections.deque()  # (ticket, number of indices)
        ahead = 0
        run = 1

        def ask():
            nonlocal ahead
            while ahead < queue_size or not pending:
                chunk = list(itertools.islice(indices, run))
                if not chunk:
                    return
                pending.append((workers.submit(chunk), len(chunk)))
                ahead += len(chunk)

        try:
            ask()
            while pending:
                # Runs are taken in submission order, so the batch order never depends on
                # which worker finished first.
                ticket, count = pending.popleft()
                ahead -= count
                batches, error, seconds = workers.result(ticket)
                if batches and error is None:
                    run = _run_length(seconds / len(batches), queue_size)
                ask()
                for raw in batches:
                    yield self._standardize(raw)
                if error is not None:
                    raise error
        finally:
            workers.abandon([ticket for ticket, _ in pending])

    def on_epoch_end(self):
        self.dataset.on_epoch_end()

    def interrupt(self):
        """Make an epoch blocked on a slow worker stop promptly (called from another thread)."""
        workers = self._workers
        if workers is not None:
            workers.interrupt()

    def close(self):
        """Stop the workers; a later epoch starts new ones."""
        workers, self._workers = self._workers, None
        if workers is not None:
            workers.close()


def _run_length(seconds_per_batch, queue_size):
    """Indices per worker task: enough for about a millisecond of `__getitem__`, at most the
    queue (the next run is asked for before the batches of the last one are used)."""
    wanted = int(_RUN_SECONDS / max(seconds_per_batch, 1e-9))
    return max(1, min(wanted, queue_size))


def make_source(x, keep_batches=True):
    """A batch source for `x`, or None when `x` is array data."""
    if isinstance(x, PyDataset):
        return PyDatasetSource(x)
    # Before the generator rule: a Grain IterDataset or a torch DataLoader over an iterable
    # dataset is iterable without a length too, yet restartable.
    source = make_framework_source(x)
    if source is not None:
        return source
    if hasattr(x, "__next__") or (
        hasattr(x, "__iter__")
        and not hasattr(x, "__len__")
        and not isinstance(x, (dict, str, bytes))
    ):
        return GeneratorSource(x, keep_batches=keep_batches)
    return None
