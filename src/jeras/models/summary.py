"""`Model.summary()`: the layer table Keras prints, drawn here without `rich`.

Keras builds a `rich` table and lets `rich` lay it out; users compare, log and test that text, so
this module reproduces the same characters: the same column widths (rich's fixed-width columns
shrunk or grown to the table width), the same word wrapping with "…" for words that do not fit,
the same box characters, and the same cropping to the console's width. Colours and bold, which
rich adds only on a terminal, are left out.
"""

import math
import os
import re
import shutil
import sys

from jeras.backend.dtypes import standardize_dtype
from jeras.layers.core import OperationLayer

_HEADERS = {
    "layer": "Layer (type)",
    "shape": "Output Shape",
    "params": "Param #",
    "connections": "Connected to",
    "trainable": "Trainable",
}


def print_summary(
    model,
    line_length=None,
    positions=None,
    print_fn=None,
    expand_nested=False,
    show_trainable=False,
    layer_range=None,
):
    layers, model_nodes = _summary_layers(model)
    sequential_like = model_nodes is None or _is_sequential_like(model, model_nodes)
    columns, justify, default_length, positions = _column_plan(
        sequential_like, show_trainable, positions
    )
    if line_length is None:
        # Keras keeps the table four columns narrower than the terminal.
        line_length = min(default_length, shutil.get_terminal_size().columns - 4)
    content_widths = _widths_from_positions(positions, line_length)

    start, stop = _layer_index_range(layers, layer_range)
    rows = []
    for layer in layers[start:stop]:
        rows.extend(_layer_rows(layer, columns, model_nodes, expand_nested, level=0))

    headers = [_HEADERS[c] for c in columns]
    widths = _fit_widths(content_widths, line_length)
    console_width = _console_width(to_stdout=print_fn is None)
    lines = _wrap_plain(f'Model: "{model.name}"', console_width)
    lines += [line[:console_width] for line in _draw_table(headers, rows, widths, justify)]
    for total in _total_lines(model):
        lines += _wrap_plain(total, console_width)
    text = "".join(line + "\n" for line in lines)
    # Keras hands the whole summary to `print_fn` in one call, ending with a newline.
    if print_fn is not None:
        print_fn(text)
    else:
        sys.stdout.write(text)


# -- what the table lists ------------------------------------------------------------------------
def _summary_layers(model):
    """The rows' layers, and the nodes of the model's graph (None when it has no graph)."""
    # Lazy: model.py imports this module, and both these classes subclass Model.
    from jeras.models.functional import Functional
    from jeras.models.sequential import Sequential

    if isinstance(model, Sequential) or not isinstance(model, Functional):
        return model.layers, None
    # A functional model lists every graph operation, its `Input`s and operators included.
    input_nodes = []
    for tensor in model._flat_inputs:
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if node not in input_nodes:
            input_nodes.append(node)
    return list(model._graph_layers), list(model._run_nodes) + input_nodes


def _is_sequential_like(model, nodes):
    """Keras drops the "Connected to" column when the graph is a plain chain: one node per depth,
    each with a single input, and no layer called twice in the graph."""
    depths = _node_depths(nodes)
    per_depth = {}
    for node in nodes:
        per_depth[depths[id(node)]] = per_depth.get(depths[id(node)], 0) + 1
    if any(count > 1 for count in per_depth.values()):
        return False
    if any(len(node.input_tensors) > 1 for node in nodes):
        return False
    node_ids = {id(node) for node in nodes}
    for layer in model._graph_layers:
        if sum(1 for node in layer._inbound_nodes if id(node) in node_ids) > 1:
            return False
    return True


def _node_depths(nodes):
    """Distance of each node from the outputs: its longest path to an output node."""
    depths = {}
    # `nodes` runs producers before consumers (inputs last), so walking it backwards meets every
    # consumer before its producers.
    for node in reversed(nodes):
        depth = depths.setdefault(id(node), 0)
        for parent in node.parent_nodes:
            depths[id(parent)] = max(depths.get(id(parent), 0), depth + 1)
    return depths


def _column_plan(sequential_like, show_trainable, positions):
    """Column keys, their justification, the default table width and the column end positions."""
    if sequential_like:
        columns, justify = ["layer", "shape", "params"], ["left", "left", "right"]
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
    else:
        columns = ["layer", "shape", "params", "connections"]
        justify = ["left", "left", "right", "left"]
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
    positions = list(positions or default_positions)
    if show_trainable:
        # The extra column takes the last tenth: every other position is scaled, given or not.
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        columns.append("trainable")
        justify.append("center")
    return columns, justify, default_length, positions


def _widths_from_positions(positions, line_length):
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    return widths


def _layer_index_range(layers, layer_range):
    """`[first, last + 1]` of the layers whose names match `layer_range`'s two regexes."""
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(
            f"layer_range must be a list or tuple of length 2. Received: layer_range = "
            f"{layer_range} of length {len(layer_range)}"
        )
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: {layer_range}"
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _layer_rows(layer, columns, model_nodes, expand_nested, level):
    prefix = "   " * level + "└ " if level else ""
    cells = {
        "layer": f"{prefix}{layer.name} ({_class_name(layer)})",
        "shape": _output_shape(layer),
        "params": _param_cell(layer),
        "connections": lambda: _connections(layer, model_nodes),
        "trainable": lambda: _trainable_cell(layer),
    }
    row = [cells[c]() if callable(cells[c]) else cells[c] for c in columns]
    rows = [row]
    sublayers = getattr(layer, "layers", None) if expand_nested else None
    for sublayer in sublayers or []:
        rows.extend(_layer_rows(sublayer, columns, model_nodes, expand_nested, level + 1))
    return rows


def _is_operation(layer):
    return isinstance(layer, OperationLayer)


def _class_name(layer):
    # An operator on symbolic tensors is a Keras operation (`Add`), shown under that class name.
    if _is_operation(layer) and layer._keras_operation:
        return layer._keras_operation
    return type(layer).__name__


def _param_cell(layer):
    # Keras operations have no `built` flag: their count is a bare 0.
    if _is_operation(layer):
        return "0"
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _trainable_cell(layer):
    if _is_operation(layer) or not layer.weights:
        return "-"
    return "Y" if layer.trainable else "N"


def _connections(layer, model_nodes):
    node_ids = {id(node) for node in model_nodes}
    sources = []
    for node in layer._inbound_nodes:
        # A layer called outside this model (a nested model's inner layer) has no edge here.
        if id(node) not in node_ids:
            continue
        for tensor in node.input_tensors:
            source, node_index, tensor_index = tensor._keras_history
            sources.append(f"{source.name}[{node_index}][{tensor_index}]")
    return ", ".join(sources) or "-"


def _format_shape(shape):
    return "(" + ", ".join(str(dim) for dim in shape) + ")"


def _output_shape(layer):
    if layer._inbound_nodes:
        # The latest call decides, as in Keras.
        shapes = [_format_shape(t.shape) for t in layer._inbound_nodes[-1].output_tensors]
    elif getattr(layer, "_build_shapes", None) is not None:
        shapes = _built_output_shapes(layer)
        if shapes is None:
            return "?"
    else:
        return "?"
    if len(shapes) == 1:
        return shapes[0]
    return "[" + ", ".join(shapes) + "]"


def _built_output_shapes(layer):
    """Output shapes of a layer built without a graph (in a subclassed model), or None."""
    try:
        shape = (
            layer.output_shape
            if hasattr(layer, "output_shape")
            else layer.compute_output_shape(layer._build_shapes)
        )
    except NotImplementedError:
        return None
    if _is_shape(shape):
        return [_format_shape(shape)]
    flat = shape.values() if isinstance(shape, dict) else shape
    return [_format_shape(s) for s in flat]


def _is_shape(value):
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


# -- totals --------------------------------------------------------------------------------------
def _count(weights):
    return int(sum(math.prod(w.shape) for w in weights))


def _bits(dtype):
    name = standardize_dtype(dtype)
    if name == "bool":
        return 1
    return int(re.search(r"\d+$", name).group(0))


def _memory(weights):
    """Bytes taken by the weights, each variable counted once."""
    unique = {id(w): w for w in weights}.values()
    return sum(math.prod(w.shape) * _bits(w.dtype) for w in unique) / 8


def _readable(size):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _total_lines(model):
    trainable, frozen = model.trainable_weights, model.non_trainable_weights
    parts = [
        ("Trainable", _count(trainable), _memory(trainable)),
        ("Non-trainable", _count(frozen), _memory(frozen)),
    ]
    optimizer = getattr(model, "optimizer", None)
    # Optimizer variables count only once the optimizer has made them (first step or build).
    if getattr(model, "compiled", False) and optimizer is not None and optimizer.built:
        parts.append(("Optimizer", _count(optimizer.variables), _memory(optimizer.variables)))
    count = sum(p[1] for p in parts)
    size = sum(p[2] for p in parts)
    lines = [f" Total params: {count:,} ({_readable(size)})"]
    lines += [f" {label} params: {n:,} ({_readable(b)})" for label, n, b in parts]
    return lines


# -- layout, as rich draws a table ---------------------------------------------------------------
def _fit_widths(content_widths, line_length):
    """Cell widths (padding included) that fill `line_length` less the borders.

    Each column asks for its width plus one space each side; rich then takes the excess off all
    columns evenly, or spreads the shortfall in proportion to their widths."""
    room = line_length - (len(content_widths) + 1)
    widths = [min(w + 2, room) or 1 for w in content_widths]
    if sum(widths) > room:
        widths = _reduce_evenly(sum(widths) - room, widths)
        widths = [max(min(w + 2, width), 0) for w, width in zip(content_widths, widths)]
    if sum(widths) < room:
        widths = [w + extra for w, extra in zip(widths, _distribute(room - sum(widths), widths))]
    return widths


def _reduce_evenly(excess, widths):
    remaining, shares, result = excess, len(widths), []
    for width in widths:
        # Python's round (halves to even) decides who gives the odd column, as in rich.
        taken = min(width, round(remaining / shares))
        result.append(width - taken)
        remaining -= taken
        shares -= 1
    return result


def _distribute(total, weights):
    remaining, weight_left, shares = total, sum(weights), []
    for weight in weights:
        share = math.ceil(weight * remaining / weight_left) if weight_left > 0 else remaining
        shares.append(share)
        weight_left -= weight
        remaining -= share
    return shares


# Each entry: left edge, fill, column joint, right edge.
_BOX = {
    "top": "┏━┳┓",
    "head": "┃ ┃┃",
    "head_rule": "┡━╇┩",
    "row": "│ ││",
    "rule": "├─┼┤",
    "bottom": "└─┴┘",
}
# rich falls back to plain ASCII borders when stdout's encoding is not a UTF one.
_ASCII_BOX = {
    "top": "+--+",
    "head": "| ||",
    "head_rule": "|-+|",
    "row": "| ||",
    "rule": "|-+|",
    "bottom": "+--+",
}


def _box():
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    return _BOX if encoding.startswith("utf") else _ASCII_BOX


def _rule(box, kind, widths):
    left, fill, joint, right = box[kind]
    return left + joint.join(fill * w for w in widths) + right


def _draw_table(headers, rows, widths, justify):
    box = _box()
    lines = [_rule(box, "top", widths)]
    lines += _draw_row(box["head"][0], headers, widths, justify, vertical="bottom")
    lines.append(_rule(box, "head_rule", widths))
    for index, row in enumerate(rows):
        if index:
            lines.append(_rule(box, "rule", widths))
        lines += _draw_row(box["row"][0], row, widths, justify, vertical="top")
    lines.append(_rule(box, "bottom", widths))
    return lines


def _draw_row(bar, cells, widths, justify, vertical):
    rendered = [
        [" " + line + " " for line in _wrap_cell(str(cell), width - 2, how)]
        for cell, width, how in zip(cells, widths, justify)
    ]
    height = max(len(lines) for lines in rendered)
    for lines, width in zip(rendered, widths):
        blank = [" " * width] * (height - len(lines))
        # Headers sit on the rule below them; body cells hang from the rule above.
        at = 0 if vertical == "bottom" else len(lines)
        lines[at:at] = blank
    return [bar + bar.join(lines[i] for lines in rendered) + bar for i in range(height)]


# -- text wrapping, as rich wraps a cell ---------------------------------------------------------
_WORD = re.compile(r"\s*\S+\s*")


def _break_offsets(text, width, fold):
    """Where to start new lines so that words fit `width`.

    A word longer than a whole line is folded across lines when `fold`, else left to be cut."""
    breaks, used, position = [], 0, 0
    match = _WORD.match(text, position)
    while match is not None:
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - used >= length:
            used += len(word)
        elif length > width and fold:
            chunks = [word[i : i + width] for i in range(0, len(word), width)]
            for last, chunk in ((i == len(chunks) - 1, c) for i, c in enumerate(chunks)):
                if start:
                    breaks.append(start)
                if last:
                    used = len(chunk)
                else:
                    start += len(chunk)
        elif length > width or (used and start):
            if start:
                breaks.append(start)
            used = len(word)
        match = _WORD.match(text, match.end())
    return breaks


def _split_lines(text, width, fold):
    pieces = []
    for line in text.split("\n"):
        bounds = [0, *_break_offsets(line, width, fold), len(line)]
        for start, end in zip(bounds, bounds[1:]):
            piece = line[start:end]
            # Trailing spaces past the width go; those within it stay.
            trailing = len(piece) - len(piece.rstrip())
            pieces.append(piece[: len(piece) - min(trailing, max(len(piece) - width, 0))])
    return pieces


def _ellipsize(text, width):
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _wrap_cell(text, width, justify):
    lines = []
    for piece in _split_lines(text, width, fold=False):
        if justify == "left":
            lines.append(_ellipsize(piece, width).ljust(width))
            continue
        piece = _ellipsize(piece.rstrip(), width)
        if justify == "right":
            lines.append(piece.rjust(width))
        else:
            left = (width - len(piece)) // 2
            lines.append((" " * left + piece).ljust(width))
    return lines


def _wrap_plain(text, width):
    """A line printed outside the table: rich folds it at the console's width."""
    return [piece[:width] for piece in _split_lines(text, width, fold=True)]


def _console_width(to_stdout):
    """The width rich would give its console: `COLUMNS`, else the first terminal among stdin,
    stdout and stderr, else 80."""
    if (
        to_stdout
        and os.environ.get("TERM", "").lower() in ("dumb", "unknown")
        and getattr(sys.stdout, "isatty", lambda: False)()
    ):
        return 80
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
            break
        except (AttributeError, ValueError, OSError):
            continue
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        width = int(columns)
    return width or 80
