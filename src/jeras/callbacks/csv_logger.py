"""`CSVLogger`: streams every epoch's logs to a CSV file."""

import collections.abc
import csv
import os

import numpy as np

from jeras.callbacks.callback import Callback


class CSVLogger(Callback):
    """Write one CSV row per epoch: `epoch` then the log keys in sorted order.

    The columns are fixed by the first epoch's logs. When that epoch has no `val_` key, a
    `val_<key>` column is added for every key (filled with `NA` until validation runs), so a
    file stays rectangular when validation starts later.

    Args:
        filename: the CSV file (its directory must exist).
        separator: the field delimiter.
        append: add to an existing file (its header is written only if the file is empty)
            instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        mode = "w"
        if self.append:
            mode = "a"
            if os.path.exists(self.filename):
                with open(self.filename, "r") as existing:
                    self.append_header = not existing.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        try:
            self.csv_file = open(self.filename, mode, newline="")
        except OSError as error:
            raise type(error)(
                f"CSVLogger cannot open {self.filename!r} for writing: {error.strerror or error}. "
                "Make sure its directory exists and is writable."
            ) from error
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch"] + self.keys, dialect=_dialect(self.sep)
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        for key in self.keys:
            row[key] = _cell(logs.get(key, "NA"))
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _dialect(separator):
    return type("_CSVLoggerDialect", (csv.excel,), {"delimiter": separator})


def _cell(value):
    """Strings and scalars as they are (floats keep their full repr); other iterables as
    `"[a, b, ...]"`."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value
    if isinstance(value, collections.abc.Iterable):
        return '"[%s]"' % ", ".join(map(str, value))
    return value
