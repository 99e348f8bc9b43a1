"""`get_source_inputs`: the `keras.Input` tensors a symbolic tensor is computed from."""


def get_source_inputs(tensor):
    """The list of input tensors (outputs of `keras.Input`) that `tensor` depends on, each once,
    in the order the graph reaches them, as `keras.utils.get_source_inputs`. A value that is no
    symbolic tensor is returned unchanged."""
    if not hasattr(tensor, "_keras_history"):
        return tensor
    history = tensor._keras_history
    if history is None or not history[0]._inbound_nodes:
        return [tensor]
    layer, node_index, _ = history
    node = layer._inbound_nodes[node_index]
    if node.is_input:
        return list(node.output_tensors)
    sources = []
    for parent in node.input_tensors:
        for source in get_source_inputs(parent):
            if all(source is not known for known in sources):
                sources.append(source)
    return sources
