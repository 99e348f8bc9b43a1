"""`Node`: one call of a layer on symbolic tensors, the edge list of the functional graph."""

import jax

from jeras.symbolic.keras_tensor import KerasTensor


def _is_kt(x):
    return isinstance(x, KerasTensor)


class Node:
    def __init__(self, layer, call_args, call_kwargs, outputs):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.output_tensors = jax.tree_util.tree_leaves(outputs, is_leaf=_is_kt)
        self.input_tensors = [
            x
            for x in jax.tree_util.tree_leaves((call_args, call_kwargs), is_leaf=_is_kt)
            if _is_kt(x)
        ]
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for tensor_index, tensor in enumerate(self.output_tensors):
            tensor._keras_history = (layer, node_index, tensor_index)
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                tensor._keras_history[0]._outbound_nodes.append(self)

    @property
    def inputs(self):
        return list(self.input_tensors)

    @property
    def parent_nodes(self):
        parents = []
        for tensor in self.input_tensors:
            if tensor._keras_history is not None:
                layer, node_index, _ = tensor._keras_history
                parents.append(layer._inbound_nodes[node_index])
        return parents

    @property
    def is_input(self):
        return not self.input_tensors

    def run(self, values):
        """Call the layer with the concrete values of this node's symbolic inputs."""

        def substitute(x):
            return values[id(x)] if _is_kt(x) else x

        args = map_keeping_order(substitute, self.call_args)
        kwargs = map_keeping_order(substitute, self.call_kwargs)
        return self.layer(*args, **kwargs)


def map_keeping_order(function, structure):
    """`function` applied to the leaves of nested lists, tuples and dicts, dicts keeping their
    key order (as Keras passes them: a layer that reads `inputs.values()` sees the order it was
    called with; `jax.tree_util` would sort the keys)."""
    if isinstance(structure, dict):
        return type(structure)(
            (key, map_keeping_order(function, value)) for key, value in structure.items()
        )
    if isinstance(structure, (list, tuple)) and not _is_kt(structure):
        mapped = [map_keeping_order(function, value) for value in structure]
        if isinstance(structure, tuple) and hasattr(structure, "_fields"):
            return type(structure)(*mapped)
        return type(structure)(mapped)
    return function(structure)
