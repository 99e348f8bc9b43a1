"""`EpochStream`: the one place that says which batches make each epoch of `fit` (Keras's
`steps_per_epoch` rule), for arrays and for every batch source alike."""

import warnings


class EpochStream:
    """The batches `fit()` draws epoch after epoch, from passes over the data.

    Without `steps_per_epoch` every epoch is one fresh pass. With it, epochs continue through
    the current pass: a pass used up exactly at an epoch's end is followed by a fresh one at
    the next epoch, and a pass that runs out inside an epoch ends that epoch early, with a
    warning; the next epoch starts a fresh pass.

    Args:
        new_pass: returns the batches of one new pass: a sequence (the rows of an index
            matrix, which can be saved and restored for resuming) or an iterator.
        steps_per_epoch: batches per epoch, or None for one pass.
        pass_length: returns the number of batches in a pass, or None while unknown (a
            generator before its first pass ends).
    """

    def __init__(self, new_pass, steps_per_epoch=None, pass_length=lambda: None):
        self._new_pass = new_pass
        self.steps_per_epoch = steps_per_epoch
        self._pass_length = pass_length
        self._pass = None  # the current pass when it is a sequence (for snapshots)
        self._items = None  # the iterator over the current pass
        self._seen = 0  # batches drawn from the current pass

    @property
    def steps(self):
        """Batches per epoch: `steps_per_epoch`, else a pass's length (None if unknown)."""
        return self.steps_per_epoch or self._pass_length()

    def next_epoch(self):
        """An iterator over the batches of the next epoch."""
        if self.steps_per_epoch is None:
            self._start_pass()
            yield from self._items
            self._end_pass()
            return
        taken = 0
        while taken < self.steps_per_epoch:
            if self._items is None:
                self._start_pass()
            item = next(self._items, _END)
            if item is _END:
                ended_at = self._seen
                self._end_pass()
                if taken == 0 and ended_at > 0:
                    # The last epoch used this pass up exactly (its length was not known to
                    # end it there): this epoch starts the next pass.
                    continue
                if ended_at > 0:
                    warnings.warn(
                        "Your input ran out of data; interrupting training. Make sure that your "
                        "dataset or generator can generate at least `steps_per_epoch * epochs` "
                        "batches. You may need to use the `.repeat()` function when building "
                        "your dataset.",
                        stacklevel=2,
                    )
                return
            self._seen += 1
            taken += 1
            yield item
        length = self._pass_length()
        if length is not None and self._seen >= length:
            self._end_pass()

    def _start_pass(self):
        self._end_pass()
        batches = self._new_pass()
        self._pass = batches if hasattr(batches, "__getitem__") else None
        self._items = iter(batches)
        self._seen = 0

    def _end_pass(self):
        if self._items is not None:
            # Stops a pass's workers now rather than when its generator is collected.
            getattr(self._items, "close", lambda: None)()
        self._pass, self._items = None, None

    # -- resuming (passes that are sequences only) -------------------------------------------
    def snapshot(self):
        """The stream's place in its pass, or None when the pass cannot be saved."""
        if self._items is not None and self._pass is None:
            return None
        return {"pass": None if self._pass is None else self._pass.copy(), "seen": self._seen}

    def restore(self, snapshot):
        rows = snapshot["pass"]
        self._end_pass()
        self._seen = int(snapshot["seen"])
        if rows is not None:
            self._pass = rows
            self._items = iter(rows[self._seen :])


_END = object()
