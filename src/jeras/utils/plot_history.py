"""`plot_history`: the loss and metric curves of a `fit`, drawn with matplotlib.

Not part of Keras. matplotlib (jeras's optional `plot` extra) is imported only when a plot is
asked for, and the figure is drawn on its own Agg canvas: pyplot's global state (the current
figure, the user's chosen backend) is left alone, so it works the same in scripts, on headless
machines and in notebooks.
"""

import math
import os

import numpy as np

VALIDATION_PREFIX = "val_"


def plot_history(history, to_file="history.png", dpi=100):
    """Draw the curves of a training history, one subplot per loss or metric.

    Each subplot (`loss` first) shows the training values against the epoch (1 for the first)
    and, where the history has `val_<name>`, the validation values on the same axes.

    Args:
        history: the `History` object `fit` returns, or its `.history` dict (name -> one value
            per epoch).
        to_file: the image file to write (its format is the file's extension: `png`, `svg`,
            `pdf`, ...; `png` when it has none), or None to only return the figure.
        dpi: the image resolution.

    Returns:
        The `matplotlib.figure.Figure` drawn (a notebook displays it when it is the cell's
        value).
    """
    logs, epochs = _history_logs(history)
    Figure, FigureCanvasAgg = _import_matplotlib()
    names = _curve_names(logs)
    columns = 1 if len(names) == 1 else 2
    rows = math.ceil(len(names) / columns)
    figure = Figure(figsize=(6 * columns, 4 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        if name in logs:
            _plot_curve(axes, epochs, logs[name], "train")
        if VALIDATION_PREFIX + name in logs:
            _plot_curve(axes, epochs, logs[VALIDATION_PREFIX + name], "validation")
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.grid(True, alpha=0.3)
        axes.legend()
    if to_file is not None:
        to_file = os.fspath(to_file)
        extension = os.path.splitext(to_file)[1][1:] or "png"
        figure.savefig(to_file, format=extension, dpi=dpi)
    return figure


def _history_logs(history):
    """The dict of per-epoch values, and the epoch numbers (1-based) of a full-length list."""
    if isinstance(history, dict):
        logs, epochs = history, None
    elif isinstance(getattr(history, "history", None), dict):
        logs = history.history
        # A resumed fit (`initial_epoch`) numbers its epochs from where it started.
        epochs = [int(e) + 1 for e in getattr(history, "epoch", None) or []] or None
    else:
        raise TypeError(
            "`plot_history` expects the `History` object returned by `model.fit()` or its "
            f"`.history` dict; received {type(history).__name__}: {history!r:.80}"
        )
    logs = {name: values for name, values in logs.items() if len(np.atleast_1d(values))}
    if not logs:
        raise ValueError(
            "`plot_history` received an empty history: there is nothing to plot. Pass the "
            "`History` returned by a `model.fit()` that ran at least one epoch."
        )
    length = max(len(values) for values in logs.values())
    if epochs is None or len(epochs) != length:
        epochs = list(range(1, length + 1))
    return logs, epochs


def _curve_names(logs):
    """One name per subplot, `loss` first, then in the history's order; each shared by its
    training key and its `val_` key."""
    names = ["loss"] if "loss" in logs or VALIDATION_PREFIX + "loss" in logs else []
    for key in logs:
        name = key[len(VALIDATION_PREFIX) :] if key.startswith(VALIDATION_PREFIX) else key
        if name not in names:
            names.append(name)
    return names


def _plot_curve(axes, epochs, values, label):
    values = np.asarray(values, dtype="float64")
    values = values.reshape(len(values), -1)
    # A list shorter than the epochs comes from `validation_freq`: spread it over the run,
    # ending at the last epoch (exact for an integer frequency).
    if len(values) < len(epochs):
        stride = len(epochs) / len(values)
        epochs = [epochs[round((i + 1) * stride) - 1] for i in range(len(values))]
    marker = "o" if len(values) <= 30 else None
    for column in range(values.shape[1]):
        # A metric with one value per class (e.g. `F1Score(average=None)`) draws a line each.
        suffix = f" [{column}]" if values.shape[1] > 1 else ""
        axes.plot(epochs, values[:, column], marker=marker, label=label + suffix)


def _import_matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "`plot_history` needs matplotlib: `pip install matplotlib` (or jeras's `plot` "
            f"extra). ({error})"
        ) from error
    return Figure, FigureCanvasAgg
