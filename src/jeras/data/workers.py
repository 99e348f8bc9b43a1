"""Workers that prepare `PyDataset` batches by index ahead of training: threads, or processes
when `use_multiprocessing=True`. Both answer `submit(indices)` with a ticket and `result(ticket)`
with `(batches, error, seconds)`: the batches of the indices in order, up to the first one that
raised, that error (or None), and the time `__getitem__` took. So the caller keeps the batch
order whatever worker finishes first, and can size its runs of indices to the cost of a batch.

The processes are started with "spawn": JAX runs threads, and a forked copy of a process that
runs threads can deadlock. A spawned process shares nothing, so the dataset travels to it
pickled, and travels again whenever its pickled state changes (a dataset that reshuffles itself
in `on_epoch_end` is seen in its new state by the next epoch's workers).

Each worker talks to the main process through its own pipe, and nothing is shared between
processes: a worker that dies or is terminated cannot leave a lock held, so the main process
never hangs on it."""

import concurrent.futures
import itertools
import multiprocessing
import pickle
import signal
import threading
import time
import traceback
from multiprocessing.connection import wait as wait_for_ready

import numpy as np

# How often a waiting main process checks for an interrupt (seconds).
_POLL = 0.1
# How long a worker may take to stop when asked nicely before it is terminated (seconds).
_STOP_GRACE = 5.0
# Bytes compared at once when checking whether the dataset changed.
_COMPARE_BLOCK = 1 << 20


class WorkerTraceback(Exception):
    """The traceback of an error raised in a worker process, shown as the cause of the error
    re-raised in the main process."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return "\n\n" + self.text.rstrip()


class Interrupted(Exception):
    """Raised in a thread waiting on workers when the workers are being shut down."""


class WorkerThreads:
    """`count` threads that call `get(index)`; the dataset is shared, so `load` is a no-op."""

    def __init__(self, count, get):
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=count, thread_name_prefix="jeras-pydataset"
        )
        self._get = get
        self.interrupted = threading.Event()

    def load(self, payload):
        pass

    def submit(self, indices):
        return self._executor.submit(_get_run, self._get, indices)

    def result(self, future):
        # Waiting in short slices keeps the wait interruptible; one long wait would block
        # until a slow `__getitem__` returns.
        while True:
            try:
                return future.result(timeout=_POLL)
            except TimeoutError:
                if future.done():
                    raise  # raised by `__getitem__` itself
                if self.interrupted.is_set():
                    raise Interrupted() from None

    def abandon(self, futures):
        for future in futures:
            future.cancel()

    def interrupt(self):
        self.interrupted.set()

    def close(self):
        self._executor.shutdown(wait=True, cancel_futures=True)


class WorkerProcesses:
    """`count` spawned processes that return `dataset[index]` for submitted indices.

    Args:
        count: the number of processes.
        name: names the dataset in error messages.
    """

    def __init__(self, count, name):
        self.name = name
        context = multiprocessing.get_context("spawn")
        self._processes, self._pipes = [], []
        for i in range(count):
            ours, theirs = context.Pipe(duplex=True)
            process = context.Process(
                target=_serve, args=(theirs,), daemon=True, name=f"jeras-pydataset-{i}"
            )
            process.start()
            theirs.close()
            self._processes.append(process)
            self._pipes.append(ours)
        self._outstanding = [set() for _ in range(count)]
        self._results = {}
        self._abandoned = set()
        self._tickets = itertools.count()
        self._loaded = None  # (pickle, buffers) the workers hold
        self.interrupted = threading.Event()

    # -- the dataset ---------------------------------------------------------------------------
    def load(self, pickled, buffers):
        """Give every worker the dataset pickled as `pickled` with its large arrays in
        `buffers` (pickle protocol 5, out of band), unless the workers already hold it."""
        if self._loaded is not None and _same_state(self._loaded, pickled, buffers):
            return
        buffers = [bytes(buffer) for buffer in buffers]
        # A worker reads its pipe in order, so once idle it takes the new dataset before any
        # later index; waiting for idle workers also keeps the large write from blocking on a
        # worker that is itself blocked writing a result.
        self._drain()
        for worker in range(len(self._pipes)):
            self._send(worker, ("load", pickled, buffers))
        self._loaded = (pickled, buffers)

    # -- batches -------------------------------------------------------------------------------
    def submit(self, indices):
        """Ask the least busy worker for `dataset[i]` for each of `indices`; returns a ticket
        for `result`."""
        ticket = next(self._tickets)
        worker = min(range(len(self._pipes)), key=lambda w: len(self._outstanding[w]))
        self._outstanding[worker].add(ticket)
        self._send(worker, ("get", ticket, indices))
        return ticket

    def result(self, ticket):
        """`(batches, error, seconds)` for `ticket`, waiting for it; an error raised in the
        worker comes back with the worker's traceback as its cause."""
        while ticket not in self._results:
            self._receive()
        batches, error, seconds = self._results.pop(ticket)
        if error is not None:
            error = _rebuild_error(error, self.name)
        return batches, error, seconds

    def abandon(self, tickets):
        """The results of `tickets` will not be asked for: drop them when they arrive."""
        for ticket in tickets:
            if self._results.pop(ticket, None) is None:
                self._abandoned.add(ticket)

    # -- shutdown ------------------------------------------------------------------------------
    def interrupt(self):
        """Make a thread blocked in `result` raise `Interrupted` promptly (thread-safe)."""
        self.interrupted.set()

    def close(self):
        """Stop every worker: politely when all are idle, otherwise at once."""
        busy = any(self._outstanding) or self.interrupted.is_set()
        for pipe in self._pipes:
            try:
                pipe.send(None)
            except OSError:
                pass
        for process in self._processes:
            if busy:
                process.terminate()
            process.join(_STOP_GRACE)
            if process.is_alive():
                process.kill()
                process.join()
        for pipe in self._pipes:
            pipe.close()
        self._processes, self._pipes = [], []

    # -- plumbing ------------------------------------------------------------------------------
    def _send(self, worker, message):
        try:
            self._pipes[worker].send(message)
            return
        except OSError:
            pass
        self._raise_dead(worker)

    def _drain(self):
        self.abandon([t for tickets in self._outstanding for t in tickets])
        while any(self._outstanding):
            self._receive()

    def _receive(self):
        """Wait for one message from any worker (or for a worker to die)."""
        pipes = {pipe: worker for worker, pipe in enumerate(self._pipes)}
        sentinels = {process.sentinel: worker for worker, process in enumerate(self._processes)}
        while True:
            if self.interrupted.is_set():
                raise Interrupted()
            ready = wait_for_ready(list(pipes) + list(sentinels), timeout=_POLL)
            for handle in ready:
                if handle in pipes:
                    worker = pipes[handle]
                    try:
                        message = handle.recv()
                    except (EOFError, OSError):
                        message = None
                    if message is None:
                        self._raise_dead(worker)
                    self._store(worker, message)
                    return
            for handle in ready:
                # A worker that exited may still have left a result in its pipe.
                worker = sentinels[handle]
                if not self._pipes[worker].poll():
                    self._raise_dead(worker)

    def _store(self, worker, message):
        ticket, result = message
        self._outstanding[worker].discard(ticket)
        if ticket in self._abandoned:
            self._abandoned.discard(ticket)
        else:
            self._results[ticket] = result

    def _raise_dead(self, worker):
        process = self._processes[worker]
        process.join(_POLL)
        raise RuntimeError(
            f"A worker process of the PyDataset {self.name} (use_multiprocessing=True) exited "
            f"unexpectedly with exit code {process.exitcode} while preparing batches; its own "
            "error, if any, is printed above. Worker processes import the main script, so it "
            'must start training under `if __name__ == "__main__":`. If `__getitem__` can '
            "crash the interpreter or run out of memory, try fewer workers or "
            "`use_multiprocessing=False`."
        )


def _serve(pipe):
    """A worker's loop: load datasets and return batches until told to stop."""
    # Ctrl-C reaches the whole process group; the main process decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    dataset, load_error = None, None
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "load":
            try:
                dataset, load_error = pickle.loads(message[1], buffers=message[2]), None
            except BaseException as error:
                dataset, load_error = None, _describe_error(error, loading=True)
            continue
        _, ticket, indices = message
        if load_error is not None:
            result = ([], load_error, 0.0)
        else:
            batches, error, seconds = _get_run(dataset.__getitem__, indices)
            result = (batches, None if error is None else _describe_error(error), seconds)
        try:
            pipe.send((ticket, result))
        except (EOFError, OSError):
            return
        except BaseException as error:  # a batch could not be pickled
            pipe.send((ticket, ([], _describe_error(error), 0.0)))


def _same_state(loaded, pickled, buffers):
    """Whether a dataset pickled now equals the one the workers hold. The large buffers are
    compared a block at a time: comparing memoryviews directly is element by element, slow."""
    old_pickled, old_buffers = loaded
    if pickled != old_pickled or len(buffers) != len(old_buffers):
        return False
    for buffer, old in zip(buffers, old_buffers):
        new, old = np.frombuffer(buffer, np.uint8), np.frombuffer(old, np.uint8)
        if new.size != old.size:
            return False
        for start in range(0, new.size, _COMPARE_BLOCK):
            end = start + _COMPARE_BLOCK
            if not np.array_equal(new[start:end], old[start:end]):
                return False
    return True


def _get_run(get, indices):
    """`get(i)` for each of `indices` until one raises: `(batches, error or None, seconds)`."""
    batches, error = [], None
    start = time.perf_counter()
    for index in indices:
        try:
            batches.append(get(index))
        except BaseException as raised:
            error = raised
            break
    return batches, error, time.perf_counter() - start


def _describe_error(error, loading=False):
    """An error as it can cross to the main process: the exception pickled when it can be, and
    its traceback as text."""
    try:
        pickled = pickle.dumps(error)
        pickle.loads(pickled)
    except BaseException:
        pickled = None
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return {
        "pickled": pickled,
        "type": type(error).__name__,
        "message": str(error),
        "traceback": text,
        "loading": loading,
    }


def _rebuild_error(description, name):
    cause = WorkerTraceback(description["traceback"])
    if description["loading"]:
        error = ValueError(
            f"A worker process could not load the PyDataset {name}: "
            f"{description['type']}: {description['message']}. A spawned process imports the "
            "dataset's class by its module and name, so a class defined in an interactive "
            "session, in `python -c` code or inside a function cannot be loaded: define it in "
            "an importable module, or pass `use_multiprocessing=False`."
        )
    elif description["pickled"] is not None:
        error = pickle.loads(description["pickled"])
    else:
        error = RuntimeError(
            f"{description['type']} raised in a worker process of the PyDataset {name}: "
            f"{description['message']}"
        )
    error.__cause__ = cause
    return error
