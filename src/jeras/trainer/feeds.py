"""Feeds: every accepted input seen by the step loop the same way, as a sequence of `Call`s,
each the arguments of one compiled call of `count` steps.

`ArrayFeed` keeps in-memory arrays on the device and hands each call a slice of the epoch's
index matrix (batches are gathered on the device); `SourceFeed` stacks host batches from a
generator, `PyDataset` or framework pipeline on a background thread. Both draw their epochs
from an `EpochStream`, the one `steps_per_epoch` rule.
"""

import itertools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import distribution_state
from jeras.data.array_data import ArrayData, epoch_index_matrix, pass_index_matrix
from jeras.data.class_weight import with_class_weights
from jeras.data.epoch_stream import EpochStream
from jeras.data.prefetch import ChunkFeeder
from jeras.trainer.arguments import describe


class Call(NamedTuple):
    """One compiled call: steps `first ... first + count - 1` of the epoch."""

    first: int
    count: int
    args: tuple


class ArrayFeed:
    """In-memory arrays, placed on the device once; batches are gathered there.

    Args:
        data: the `ArrayData`.
        batch_size: samples per batch.
        shuffle: `fit`'s `shuffle` (True, False or "batch").
        steps_per_epoch: batches per epoch, or None for one pass.
        exact_padding: whether the short last batch may be padded to the compiled shape; if
            not, it runs unpadded in a call of its own.
    """

    on = "arrays"

    def __init__(self, data, batch_size, shuffle=False, steps_per_epoch=None, exact_padding=True):
        self.data = data
        self.batch_size = batch_size
        self.exact_padding = exact_padding
        num_batches = max(1, math.ceil(data.num_samples / batch_size))
        self.stream = EpochStream(
            lambda: pass_index_matrix(data.num_samples, batch_size, shuffle),
            steps_per_epoch,
            lambda: num_batches,
        )
        self._device_data = None

    @property
    def steps(self):
        return self.stream.steps

    @property
    def device_data(self):
        """The arrays on the device, their samples padded up to `bucket_size` (rows no index
        points to), so that data of many sizes share a few compiled programs."""
        if self._device_data is None:
            size = bucket_size(self.data.num_samples)
            data = self.data
            # Under a distribution, a copy on every device: each gathers its part of a batch.
            self._device_data = jax.device_put(
                jax.tree_util.tree_map(
                    lambda a: _pad_samples(a, size), (data.x, data.y, data.sample_weight)
                ),
                distribution_state.replicated_sharding(),
            )
        return self._device_data

    def epoch(self, steps_per_call, skip=0, whole_calls=False):
        """The calls of the next epoch, from its batch `skip` on (a resumed epoch).

        Calls run `steps_per_call` steps, the rest of the epoch in calls of powers of two
        (a few compiled programs for any epoch length); with `whole_calls`
        (`steps_per_execution`, whose callbacks see each call) the rest runs in one call."""
        rows = list(itertools.islice(self.stream.next_epoch(), skip, None))
        return self._calls(
            np.asarray(rows, np.int32).reshape(len(rows), self.batch_size),
            steps_per_call,
            skip,
            whole_calls,
        )

    def evaluation(self, steps_per_call, max_steps=None, whole_calls=False):
        """The calls of one pass in order, for `evaluate` and validation (calls as `epoch`)."""
        rows = epoch_index_matrix(self.data.num_samples, self.batch_size, False, max_steps)
        return self._calls(rows, steps_per_call, 0, whole_calls)

    def _calls(self, rows, steps_per_call, first, whole_calls):
        remainder = None
        if len(rows) and not self.exact_padding and (rows[-1] < 0).any():
            # Padding would change the results: the short batch runs alone, at its own shape.
            remainder = rows[-1][rows[-1] >= 0][None, :]
            rows = rows[:-1]
        data = self.device_data
        if len(rows):
            # Rows of -1 after the epoch's: the matrix has a few shapes; no call reads them.
            matrix = jnp.asarray(_pad_rows(rows, power_of_two(len(rows))))
            start = 0
            for count in call_sizes(len(rows), steps_per_call, whole_calls):
                yield Call(first + start, count, (data, matrix, np.int32(start)))
                start += count
        if remainder is not None:
            yield Call(first + len(rows), 1, (data, jnp.asarray(remainder), np.int32(0)))

    def predictions(self, steps_per_call, max_steps=None, bucketed=False):
        """`(calls, assemble)` for `predict`: `assemble(outputs)` joins the calls' stacked
        outputs into one array per output, without the padding rows.

        With `bucketed` (no callback looks at single batches; `steps_per_call` a power of
        two, as `power_of_two` gives), the samples (`bucket_size`), the batch rows and the steps of each call (powers
        of two) are padded up: predicting on many different sample counts then compiles a few
        programs, not one per count; padded steps gather sample 0 and their outputs are
        dropped."""
        rows = epoch_index_matrix(self.data.num_samples, self.batch_size, False, max_steps)
        n = min(self.data.num_samples, len(rows) * self.batch_size)
        remainder = None
        if not self.exact_padding:
            # A padded row would change the others' outputs: the short batch runs alone.
            bucketed = False
            if len(rows) and (rows[-1] < 0).any():
                remainder = rows[-1][rows[-1] >= 0][None, :]
                rows = rows[:-1]
        real_rows = len(rows)
        x = self.data.x
        if bucketed:
            rows = _pad_rows(rows, power_of_two(real_rows))
            x = jax.tree_util.tree_map(
                lambda a: _pad_samples(a, bucket_size(self.data.num_samples)), x
            )
        x_device = jax.device_put(x, distribution_state.replicated_sharding())
        matrix = jnp.asarray(rows)
        calls = []
        for start in range(0, real_rows, steps_per_call):
            count = min(steps_per_call, real_rows - start)
            if bucketed:
                count = min(power_of_two(count), len(rows) - start)
            calls.append(Call(start, count, (x_device, matrix, np.int32(start))))
        if remainder is not None:
            calls.append(Call(real_rows, 1, (x_device, jnp.asarray(remainder), np.int32(0))))

        def assemble(*pieces):
            joined = np.concatenate([np.asarray(p).reshape((-1,) + p.shape[2:]) for p in pieces])
            return joined[:n]

        return calls, assemble

    def close(self):
        pass


class SourceFeed:
    """Host batches from a batch source, stacked `steps_per_call` at a time on a background
    thread and handed to the device ahead of use.

    Args:
        source: the batch source (`data/batch_sources.py`, `data/framework_sources.py`).
        shuffle: `fit`'s `shuffle`, for sources that order their own batches (PyDataset).
        steps_per_epoch: batches per epoch, or None for one pass.
        exact_padding: whether a short batch may be padded to the shape of those before it.
        class_weight: a `{class: weight}` dict turned into sample weights batch by batch.
    """

    on = "host"

    def __init__(
        self, source, shuffle=False, steps_per_epoch=None, exact_padding=True, class_weight=None
    ):
        self.source = source
        self.exact_padding = exact_padding
        self.class_weight = class_weight
        self.stream = EpochStream(
            lambda: source.epoch(bool(shuffle)), steps_per_epoch, lambda: source.num_batches
        )
        self._feeder = None

    @property
    def steps(self):
        return self.stream.steps

    def epoch(self, steps_per_call, skip=0, whole_calls=False):
        # Host batches are stacked `steps_per_call` at a time whatever `whole_calls` says.
        batches = itertools.islice(self.stream.next_epoch(), skip, None)
        if self.class_weight is not None:
            batches = with_class_weights(batches, self.class_weight, describe(self.source))
        yield from self._calls(batches, steps_per_call, skip, self.exact_padding)
        self.source.on_epoch_end()

    def evaluation(self, steps_per_call, max_steps=None, whole_calls=False):
        batches = self.source.epoch(False)
        if max_steps is not None:
            batches = itertools.islice(batches, max_steps)
        yield from self._calls(batches, steps_per_call, 0, self.exact_padding)
        self.source.on_epoch_end()

    def _calls(self, batches, steps_per_call, first, pad):
        feeder = ChunkFeeder(batches, steps_per_call, pad, getattr(self.source, "interrupt", None))
        step = first
        try:
            for stacked, masks, count in feeder:
                yield Call(step, count, (stacked, masks))
                step += count
        finally:
            feeder.close()

    def predictions(self, steps_per_call, max_steps=None):
        batches = self.source.epoch(False)
        if max_steps is not None:
            batches = itertools.islice(batches, max_steps)
        kept = []  # (masks, count) of each call, to drop the padding rows

        def calls():
            # Short batches are padded and trimmed, unless a layer may mix a batch's rows.
            for call in self._calls(
                ((b[0], None, None) for b in batches), steps_per_call, 0, self.exact_padding
            ):
                (x_stacked, _, _), masks = call.args
                kept.append((masks, call.count))
                yield Call(call.first, call.count, (x_stacked,))

        def assemble(*pieces):
            parts = []
            for piece, (masks, count) in zip(pieces, kept):
                piece, masks = np.asarray(piece), np.asarray(masks)
                for i in range(count):
                    parts.append(piece[i][masks[i] > 0])
            return np.concatenate(parts)

        return calls(), assemble

    def close(self):
        self.source.close()


def call_sizes(num_steps, steps_per_call, whole_calls=False):
    """Steps of each call of a pass of `num_steps`: the largest power of two up to
    `steps_per_call`, then what is left in powers of two, largest first; with `whole_calls`,
    `steps_per_call` each and what is left in one call."""
    sizes = []
    left = num_steps
    while left > 0:
        size = min(steps_per_call, left)
        if not whole_calls:
            size = 1 << (size.bit_length() - 1)
        sizes.append(size)
        left -= size
    return sizes


def bucket_size(count):
    """`count` rounded up to one of eight sizes per power of two (at most 1/8 more): the
    shapes of varied requests fall on a few compiled programs."""
    if count <= 8:
        return max(count, 1)
    step = 1 << (count - 1).bit_length() - 3
    return -(-count // step) * step


def power_of_two(count):
    """The smallest power of two not below `count` (1 for 0)."""
    return 1 << max(count - 1, 0).bit_length()


def _pad_rows(rows, size):
    if size == len(rows):
        return rows
    padding = np.full((size - len(rows), rows.shape[1]), -1, rows.dtype)
    return np.concatenate([rows, padding])


def _pad_samples(array, size):
    if size == array.shape[0]:
        return array
    if isinstance(array, jax.Array):
        padding = jnp.zeros((size - array.shape[0],) + array.shape[1:], array.dtype)
        return jnp.concatenate([array, padding])
    array = np.asarray(array)
    padding = np.zeros((size - array.shape[0],) + array.shape[1:], array.dtype)
    return np.concatenate([array, padding])


def num_steps(feed, max_steps):
    """Batches one evaluation or prediction pass runs: all of the feed's, at most
    `max_steps`; None when neither is known (a generator not yet run through)."""
    if isinstance(feed, ArrayFeed):
        steps = math.ceil(feed.data.num_samples / feed.batch_size)
    else:
        steps = feed.source.num_batches
    if max_steps is not None:
        steps = min(steps, max_steps) if steps else max_steps
    return steps


def make_feed(data, batch_size=32, source=None, exact_padding=True):
    """An evaluation or prediction feed for `data` (an `ArrayData`) or `source` (a batch
    source)."""
    if source is not None:
        return SourceFeed(source, exact_padding=exact_padding)
    return ArrayFeed(data, batch_size, exact_padding=exact_padding)
