"""`plot_model` and `model_to_dot`: draw a model's layer graph with Graphviz.

Needs the optional `pydot` package and the Graphviz `dot` program (`pip install pydot` and,
e.g., `apt-get install graphviz`); both are imported or run only when a plot is asked for.
"""

import os
import re
import sys

from jeras.saving.public_names import required_public_object


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """Draw `model`'s layer graph into an image file (the format is the file's extension,
    `png` when it has none).

    Args:
        model: a built model.
        to_file: the image file to write.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show layer names next to their classes.
        rankdir: Graphviz direction: `"TB"` (top to bottom) or `"LR"` (left to right).
        expand_nested: draw nested models' layers inside dashed clusters.
        dpi: the image resolution.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: mark layers with weights as trainable or not.
        splines: Graphviz edge style.

    Returns:
        An `IPython.display.Image` (or `SVG`) of the file when IPython is installed and can
        show its format, else None.
    """
    _check_built(model)
    try:
        pydot = _import_pydot("plot_model")
        try:
            pydot.Dot.create(pydot.Dot())
        except (OSError, getattr(pydot, "PydotException", OSError)):
            raise ImportError(
                "You must install graphviz (see instructions at "
                "https://graphviz.gitlab.io/download/) for `plot_model` to work."
            ) from None
    except ImportError as error:
        # In a notebook (as Keras does) the missing dependency is reported, not raised.
        if "IPython.core.magics.namespace" in sys.modules:
            print(str(error))
            return None
        raise
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    return _notebook_image(to_file, extension)


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """The `pydot.Dot` graph `plot_model` draws (a `pydot.Cluster` with `subgraph=True`)."""
    _check_built(model)
    pydot = _import_pydot("model_to_dot")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    options = dict(
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
    )
    graph = layer_graph(model, expand_nested)
    return _to_pydot(pydot, graph, options, rankdir, dpi, splines, subgraph)


# -- the graph, independent of pydot ---------------------------------------------------------
class LayerGraph:
    """What a plot shows: `boxes` (one per layer: id, layer, input/output symbolic tensors),
    `edges` (pairs of box ids) and `clusters` (nested models drawn expanded, each a
    `LayerGraph` of its own)."""

    def __init__(self, name):
        self.name = name
        self.boxes = []
        self.edges = []
        self.clusters = []

    def add_edge(self, source, destination):
        edge = (str(id(source)), str(id(destination)))
        if edge not in self.edges:
            self.edges.append(edge)


def layer_graph(model, expand_nested=False):
    """The layers of `model` and the connections between them."""
    graph = LayerGraph(model.name)
    if _is_sequential(model):
        layers = list(model.layers)
        node_of = _nodes_by_layer(getattr(model, "_functional", None))
    elif _is_functional(model):
        layers = list(model._layers)
        node_of = _nodes_by_layer(model)
    else:
        # A subclassed model is one box: its inner graph is Python code, not data.
        graph.boxes.append(_box(model, None))
        return graph
    for layer in layers:
        if expand_nested and _is_nested_model(layer):
            graph.clusters.append(layer_graph(layer, expand_nested=True))
        else:
            graph.boxes.append(_box(layer, node_of.get(id(layer))))
    if _is_sequential(model):
        chain = [_entry_layer(l) if expand_nested else l for l in layers]
        exits = [_exit_layer(l) if expand_nested else l for l in layers]
        for source, destination in zip(exits[:-1], chain[1:]):
            graph.add_edge(source, destination)
        return graph
    for node in model._run_nodes:
        for position, tensor in enumerate(node.input_tensors):
            history = tensor._keras_history
            if history is None:
                continue
            source, destination = history[0], node.layer
            if expand_nested:
                source = _exit_layer(source, history[2])
                destination = _entry_layer(destination, position)
            graph.add_edge(source, destination)
    return graph


def _box(layer, node):
    inputs = node.input_tensors if node is not None else None
    outputs = node.output_tensors if node is not None else None
    if node is None and _is_input_layer(layer):
        tensor = getattr(layer, "output_tensor", None)
        outputs = [tensor] if tensor is not None else None
    return {"id": str(id(layer)), "layer": layer, "inputs": inputs, "outputs": outputs}


def _nodes_by_layer(functional):
    """Each layer's call node inside `functional` (its InputLayers have none)."""
    if functional is None:
        return {}
    out = {}
    for node in functional._run_nodes:
        out.setdefault(id(node.layer), node)
    return out


def _entry_layer(layer, position=0):
    """The layer that receives a nested model's input number `position`."""
    while _is_nested_model(layer):
        if _is_sequential(layer):
            layer = layer.layers[0]
        else:
            layer = layer.inputs[position]._keras_history[0]
            position = 0
    return layer


def _exit_layer(layer, index=0):
    """The layer that produces a nested model's output number `index`."""
    while _is_nested_model(layer):
        layer, _, index = layer.outputs[index]._keras_history
    return layer


def _is_functional(model):
    return hasattr(model, "_run_nodes") and hasattr(model, "_graph_layers")


def _is_sequential(model):
    # Through the registry, not an import: `jeras.utils` loads this module, and the callbacks
    # (below models) import `jeras.utils.progbar`.
    return isinstance(model, required_public_object("models", "Sequential", "plot_model"))


def _is_nested_model(layer):
    return _is_sequential(layer) or _is_functional(layer)


def _is_input_layer(layer):
    return type(layer).__name__ == "InputLayer"


def display_class_name(layer):
    """The class a box shows: operators on symbolic tensors (`x + y`) show as Keras names them
    (`Add`), not as jeras's internal wrapper."""
    name = type(layer).__name__
    if name == "OperationLayer":
        if getattr(layer, "_keras_operation", None):
            return layer._keras_operation
        base = re.sub(r"_\d+$", "", layer.name)
        return "".join(part.capitalize() for part in base.split("_"))
    return name


# -- labels and pydot ------------------------------------------------------------------------
def layer_label(
    box,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    show_layer_activations=False,
    show_trainable=False,
):
    """The HTML-like Graphviz label of one layer's box."""
    layer = box["layer"]
    class_name = display_class_name(layer)
    span = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    title = f"<b>{layer.name}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    html = (
        '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
        f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
        f"{title}</font></td></tr>"
    )
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        html += (
            f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">Activation: '
            f"<b>{_activation_name(activation)}</b></font></td></tr>"
        )
    cells = []
    if show_shapes:
        if not _is_input_layer(layer):
            cells.append(_cell(f"Input shape: <b>{_format_shapes(box['inputs'])}</b>"))
        cells.append(_cell(f"Output shape: <b>{_format_shapes(box['outputs'])}</b>"))
    if show_dtype:
        cells.append(_cell(f"Output dtype: <b>{_format_dtypes(box['outputs'])}</b>"))
    if show_trainable and getattr(layer, "weights", None):
        if layer.trainable:
            cells.append(
                '<td bgcolor="forestgreen"><font point-size="14" color="white">'
                "<b>Trainable</b></font></td>"
            )
        else:
            cells.append(
                '<td bgcolor="firebrick"><font point-size="14" color="white">'
                "<b>Non-trainable</b></font></td>"
            )
    if cells:
        html += "<tr>" + "".join(cells) + "</tr>"
    return html + "</table>>"


def _cell(text):
    return f'<td bgcolor="white"><font point-size="14">{text}</font></td>'


def _format_shapes(tensors):
    if not tensors:
        return "?"
    shapes = [tuple(t.shape) for t in tensors]
    text = str(shapes[0]) if len(shapes) == 1 else str(shapes)
    return text.replace("{", "").replace("}", "")


def _format_dtypes(tensors):
    if not tensors:
        return "?"
    dtypes = [str(t.dtype) for t in tensors]
    return dtypes[0] if len(dtypes) == 1 else str(dtypes)


def _activation_name(activation):
    for attribute in ("name", "__name__"):
        value = getattr(activation, attribute, None)
        if isinstance(value, str):
            return value
    return str(activation)


def _to_pydot(pydot, graph, options, rankdir, dpi, splines, subgraph):
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=graph.name)
        dot.set("label", graph.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    for box in graph.boxes:
        node = pydot.Node(box["id"], label=layer_label(box, **options))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)
    for cluster in graph.clusters:
        dot.add_subgraph(_to_pydot(pydot, cluster, options, rankdir, dpi, splines, True))
    for source, destination in graph.edges:
        edge = pydot.Edge(source, destination)
        edge.set("penwidth", "2")
        dot.add_edge(edge)
    return dot


def _check_built(model):
    if not getattr(model, "built", False):
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )


def _import_pydot(caller):
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    raise ImportError(f"You must install pydot (`pip install pydot`) for `{caller}` to work.")


def _notebook_image(path, extension):
    """The written file as an IPython display object, when IPython is installed and can show
    that format (Keras hands every non-PDF file to `IPython.display.Image`, which raises for
    extension-less names and SVG after the file is written)."""
    try:
        from IPython import display
    except ImportError:
        return None
    if extension.lower() == "svg":
        return display.SVG(filename=path)
    if extension.lower() in ("png", "jpg", "jpeg", "gif", "webp"):
        return display.Image(filename=path, format=extension.lower())
    return None
