"""Host batches to device chunks on a background thread: batches of the same shape are stacked
`chunk` at a time (a short last batch padded and masked when padding is exact), transferred to
the device, and queued, so the device never waits on Python when batches arrive fast enough."""

import queue
import sys
import threading

import jax
import numpy as np

from jeras.backend import distribution_state


class ChunkFeeder:
    """Iterate `(stacked_batches, masks, num_steps)` device chunks from host `batches`: each
    leaf stacked to `(num_steps, batch_size, ...)` with `num_steps <= chunk` (a chunk ends
    early at the end of the batches or where their shapes change), `masks` 1 for real rows.

    Args:
        batches: an iterator of `(x, y, sample_weight)` host batches.
        chunk: steps per compiled call.
        pad_short_batches: whether a batch smaller than the ones before it may be padded with
            masked rows (exact padding) instead of starting a new compiled shape.
        interrupt: called by `close()` while `batches` is still being drawn, to make it stop
            waiting (a `PyDataset`'s workers); without it, `close()` waits for the next batch.
    """

    _DONE = object()

    def __init__(self, batches, chunk, pad_short_batches, interrupt=None):
        self._batches = batches
        self._chunk = chunk
        self._pad = pad_short_batches
        self._interrupt = interrupt
        self._drawn = False  # set once `batches` is exhausted or failed
        self._queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="jeras-prefetch", daemon=True)
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._DONE:
            raise StopIteration
        if isinstance(item, _Failure):
            raise item.error.with_traceback(item.traceback)
        return item

    def close(self):
        self._stop.set()
        while self._thread.is_alive():
            if self._interrupt is not None and not self._drawn:
                # Repeated: the workers may be starting in the producer right now.
                self._interrupt()
            # Unblock the producer if it waits on a full queue.
            try:
                self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=0.05)

    # -- producer ------------------------------------------------------------------------------
    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self):
        try:
            group, signature = [], None
            for batch in self._batches:
                if self._stop.is_set():
                    return
                leaves, treedef = jax.tree_util.tree_flatten(batch)
                leaves = [np.asarray(leaf) for leaf in leaves]
                size, sig = _signature(leaves, treedef)
                fits = (
                    signature is not None
                    and (sig == signature[1])
                    and (size == signature[0] or (self._pad and size < signature[0]))
                )
                if group and (not fits or len(group) == self._chunk):
                    if not self._put(self._stack(group, signature)):
                        return
                    group = []
                if not group:
                    signature = (size, sig)
                group.append((leaves, size))
            self._drawn = True
            if group and not self._put(self._stack(group, signature)):
                return
        except BaseException as error:  # surfaced in the consuming thread, as raised here
            self._drawn = True
            self._put(_Failure(error, sys.exc_info()[2]))
            return
        self._put(self._DONE)

    def _stack(self, group, signature):
        """One chunk: each leaf's batches copied once into a fresh buffer, which the device
        then uses in place where it can (a CPU device does when the buffer is aligned)."""
        batch_size, (treedef, leaf_specs) = signature
        count = len(group)
        masks = np.zeros((count, batch_size), "float32")
        for i, (_, size) in enumerate(group):
            masks[i, :size] = 1.0
        stacked = []
        for position, (feature_shape, dtype) in enumerate(leaf_specs):
            out = _aligned_empty((count, batch_size) + feature_shape, dtype)
            for i, (leaves, size) in enumerate(group):
                out[i, :size] = leaves[position]
                if size < batch_size:
                    out[i, size:] = 0
            stacked.append(out)
        return distribution_state.stacked_batches_on_devices(
            (treedef.unflatten(stacked), masks)
        ) + (count,)


class _Failure:
    def __init__(self, error, traceback):
        self.error = error
        self.traceback = traceback


def _signature(leaves, treedef):
    """(batch size, (tree structure, per-leaf feature shape and dtype)) of a flattened batch."""
    size = leaves[0].shape[0] if leaves else 0
    for leaf in leaves:
        if leaf.shape[0] != size:
            raise ValueError(
                "All arrays in a batch must have the same number of samples; got sizes "
                f"{sorted({leaf.shape[0] for leaf in leaves})}."
            )
    return size, (treedef, tuple((leaf.shape[1:], leaf.dtype) for leaf in leaves))


def _aligned_empty(shape, dtype, alignment=64):
    """An uninitialised array whose data starts on an `alignment`-byte boundary: XLA's CPU
    client adopts such a buffer without copying it."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(nbytes + alignment, np.uint8)
    offset = -raw.ctypes.data % alignment
    return raw[offset : offset + nbytes].view(dtype).reshape(shape)
