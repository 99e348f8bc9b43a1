"""`Model.summary()`: a table of layers, output shapes and parameter counts, as Keras prints."""

import numpy as np


def _format_shape(layer):
    nodes = getattr(layer, "_inbound_nodes", [])
    if not nodes:
        return "?"
    outputs = nodes[-1].output_tensors
    shapes = [tuple(t.shape) for t in outputs]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in weights))


def print_summary(model, line_length=None, print_fn=None):
    print_fn = print_fn or (lambda line, **kwargs: print(line))
    width = line_length or 80
    columns = (int(width * 0.45), int(width * 0.3), width - int(width * 0.45) - int(width * 0.3))
    rows = []
    layers = model.layers
    for layer in layers:
        params = _count(layer.weights) if layer.built else 0
        rows.append((f"{layer.name} ({type(layer).__name__})", _format_shape(layer), f"{params:,}"))
    print_fn(f'Model: "{model.name}"')
    print_fn("┏" + "━" * (width - 2) + "┓")
    header = ("Layer (type)", "Output Shape", "Param #")
    print_fn(_row(header, columns))
    print_fn("┡" + "━" * (width - 2) + "┩")
    for row in rows:
        print_fn(_row(row, columns))
    print_fn("└" + "─" * (width - 2) + "┘")
    trainable = _count(model.trainable_weights)
    total = _count(model.weights)
    print_fn(f" Total params: {total:,} ({_bytes(model.weights)})")
    print_fn(f" Trainable params: {trainable:,} ({_bytes(model.trainable_weights)})")
    print_fn(f" Non-trainable params: {total - trainable:,} ({_bytes(model.non_trainable_weights)})")


def _bytes(weights):
    size = sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in weights)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _row(cells, widths):
    parts = []
    for cell, w in zip(cells, widths):
        cell = str(cell)
        parts.append((cell[: w - 3] + "…") if len(cell) > w - 2 else cell.ljust(w - 2))
    return "│ " + "│ ".join(parts) + "│"
