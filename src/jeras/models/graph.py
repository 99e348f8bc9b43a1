"""Ordering a functional graph: which layers it holds and in which order its nodes run.

Keras orders operations by depth (distance from the outputs, deepest first) and, within a depth,
by when a depth-first walk from the outputs first met them. Matching that order matters: it is
the order of `model.layers` and so of `get_weights()`.
"""

from jeras.symbolic.keras_tensor import KerasTensor


def map_graph(inputs, outputs):
    """Return `(nodes_in_run_order, layers_in_keras_order)` for flat input/output tensor lists."""
    input_ids = {id(t) for t in inputs}
    finished, in_progress = set(), set()
    post_order = []
    first_seen = {}

    def visit(tensor):
        if tensor._keras_history is None:
            raise ValueError(
                f"Output tensor {tensor} was not produced by a layer call on a `keras.Input`; "
                "functional models must be built from `Input` tensors."
            )
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(id(node))
            return
        if id(node) in in_progress:
            raise ValueError(f"Tensor {tensor} from layer {layer.name!r} is part of a cycle.")
        first_seen.setdefault(id(layer), (len(first_seen), layer))
        in_progress.add(id(node))
        if not node.is_input:
            for parent_tensor in node.input_tensors:
                visit(parent_tensor)
        finished.add(id(node))
        in_progress.discard(id(node))
        post_order.append(node)

    for tensor in outputs:
        visit(tensor)

    node_depth, layer_depth = {}, {}
    in_graph = {id(n) for n in post_order}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))

    for tensor in inputs:
        layer, node_index, _ = tensor._keras_history
        if id(layer) not in layer_depth and layer._inbound_nodes[node_index].is_input:
            layer_depth[id(layer)] = 0
            first_seen.setdefault(id(layer), (-1, layer))

    layers = sorted(
        (entry for entry in first_seen.values() if id(entry[1]) in layer_depth),
        key=lambda entry: (-layer_depth[id(entry[1])], entry[0]),
    )
    nodes = sorted(post_order, key=lambda n: -node_depth[id(n)])

    computable = set(input_ids)
    for node in nodes:
        if node.is_input:
            # An `Input` gives a value only when it is one of the model's inputs.
            continue
        for tensor in node.input_tensors:
            if id(tensor) not in computable:
                source = tensor._keras_history[0]
                what = (
                    f"the Input {source.name!r}"
                    if source._inbound_nodes[0].is_input
                    else f"tensor {tensor.name!r} from layer {source.name!r}"
                )
                raise ValueError(
                    f"Graph disconnected: cannot obtain the value of {what} (shape "
                    f"{tensor.shape}) needed by layer {node.layer.name!r}. Pass every "
                    "`keras.Input` the outputs depend on in `inputs`."
                )
        computable.update(id(t) for t in node.output_tensors)

    names = [entry[1].name for entry in layers]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the model. '
                "All layer names should be unique."
            )
    return [n for n in nodes if not n.is_input], [entry[1] for entry in layers]
