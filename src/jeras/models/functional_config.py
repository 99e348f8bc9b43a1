"""A functional model's graph as Keras 3 writes it in `get_config()`, and the model rebuilt from
that config.

The config lists every operation of the graph (layers and the operations behind tensor
operators) with the calls that belong to this model (`inbound_nodes`), each call's arguments
given as `__keras_tensor__` entries pointing at `[layer name, node index, tensor index]`.
"""

import inspect

import jax

from jeras.layers.layer import Layer
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from jeras.symbolic.keras_tensor import KerasTensor


def _is_kt(x):
    return isinstance(x, KerasTensor)


def functional_like_constructor(cls):
    """Whether `cls.__init__` takes the functional arguments, so that its config is the graph
    (a subclass with its own constructor arguments is saved with those instead)."""
    # Lazy: functional.py imports this module for its get_config.
    from jeras.models.functional import Functional

    spec = inspect.getfullargspec(cls.__init__)
    if spec.args[1:] == inspect.getfullargspec(Functional.__init__).args[1:]:
        return True
    return spec.varargs is not None and spec.varkw is not None


def functional_get_config(model):
    from jeras.models.functional import Functional  # lazy: functional.py imports this module

    if not functional_like_constructor(type(model)):
        return Layer.get_config(model)
    own_nodes = _own_nodes(model)
    operations = list(model._graph_layers)

    # Keras numbers a nested functional model's calls from 1 in `input_layers`/`output_layers`
    # (a built-in node once stood at 0), and leaves out calls made outside this model.
    kept_index = {}
    for operation in operations:
        kept = 1 if isinstance(operation, Functional) else 0
        for index, node in enumerate(operation._inbound_nodes):
            if id(node) in own_nodes:
                kept_index[(id(operation), index)] = kept
                kept += 1

    layer_configs = []
    for operation in operations:
        nodes = [
            _serialize_node(node, own_nodes)
            for node in operation._inbound_nodes
            if id(node) in own_nodes and node.input_tensors
        ]
        entry = serialize_keras_object(operation)
        entry["name"] = operation.name
        entry["inbound_nodes"] = nodes
        layer_configs.append(entry)

    def tensor_config(tensor):
        layer, node_index, tensor_index = tensor._keras_history
        return [layer.name, kept_index[(id(layer), node_index)], tensor_index]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": _map_structure(tensor_config, model._inputs_struct),
        "output_layers": _map_structure(tensor_config, model._outputs_struct),
    }


def _own_nodes(model):
    nodes = {id(node) for node in model._run_nodes}
    for tensor in model._flat_inputs:
        layer, node_index, _ = tensor._keras_history
        nodes.add(id(layer._inbound_nodes[node_index]))
    return nodes


def _map_structure(fn, structure):
    if _is_kt(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {key: _map_structure(fn, value) for key, value in structure.items()}
    return [_map_structure(fn, item) for item in structure]


def _serialize_node(node, own_nodes):
    def tensor_entry(x):
        if not _is_kt(x):
            return x
        layer, node_index, tensor_index = x._keras_history
        # Calls of the producing layer made outside this model do not count.
        skipped = sum(
            1 for earlier in layer._inbound_nodes[:node_index] if id(earlier) not in own_nodes
        )
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": list(x.shape),
                "dtype": x.dtype,
                "keras_history": [layer.name, node_index - skipped, tensor_index],
            },
        }

    args = jax.tree_util.tree_map(tensor_entry, list(node.call_args), is_leaf=_is_kt)
    kwargs = jax.tree_util.tree_map(tensor_entry, dict(node.call_kwargs), is_leaf=_is_kt)
    return {"args": serialize_keras_object(args), "kwargs": serialize_keras_object(kwargs)}


# -- from config --------------------------------------------------------------------------------
class _NodeNotReady(Exception):
    """A call's input comes from a layer call that has not been re-made yet."""


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a functional model of class `cls` from its `get_config()`."""
    from jeras.models.functional import Functional  # lazy: functional.py imports this module

    config = dict(config)
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"Invalid functional model config: missing {key!r}.")
    layer_entries = config.pop("layers")
    input_layers = config.pop("input_layers")
    output_layers = config.pop("output_layers")
    name = config.pop("name", None)
    trainable = config.pop("trainable", None)
    if not isinstance(layer_entries, list):
        raise ValueError("Invalid functional model config: `layers` must be a list.")

    created = {}
    pending = []
    for entry in layer_entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ValueError(
                f"Invalid functional model config: each layer entry needs a `name`, got "
                f"{_short(entry)}."
            )
        layer = deserialize_keras_object(entry, custom_objects=custom_objects)
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Invalid functional model config: entry {entry['name']!r} does not describe a "
                f"layer (got {type(layer).__name__})."
            )
        created[entry["name"]] = layer
        nodes = entry.get("inbound_nodes", [])
        if not isinstance(nodes, list):
            raise ValueError(
                f"Invalid functional model config: `inbound_nodes` of {entry['name']!r} must "
                "be a list."
            )
        pending.append([layer, list(nodes)])

    # Calls are re-made in config order; a call whose inputs do not exist yet (a layer shared
    # at different depths) waits for the next pass.
    while any(nodes for _, nodes in pending):
        progressed = False
        for item in pending:
            layer, nodes = item
            while nodes:
                try:
                    args, kwargs = _deserialize_node(nodes[0], created)
                except _NodeNotReady:
                    break
                layer(*args, **kwargs)
                nodes.pop(0)
                progressed = True
        if not progressed:
            stuck = [layer.name for layer, nodes in pending if nodes]
            raise ValueError(
                "Invalid functional model config: the graph has loops or disconnected calls; "
                f"these layers' calls could not be resolved: {stuck}."
            )

    def get_tensor(layer_name, node_index, tensor_index):
        if layer_name not in created:
            raise ValueError(
                f"Invalid functional model config: unknown layer {layer_name!r} in the model's "
                "inputs or outputs."
            )
        layer = created[layer_name]
        if isinstance(layer, Functional):
            node_index -= 1
        try:
            return layer._inbound_nodes[node_index].output_tensors[tensor_index]
        except (IndexError, TypeError):
            raise ValueError(
                f"Invalid functional model config: layer {layer_name!r} has no output "
                f"[{node_index}, {tensor_index}]."
            ) from None

    def map_tensors(structure):
        if isinstance(structure, list) and len(structure) == 3 and isinstance(structure[0], str):
            return get_tensor(*structure)
        if isinstance(structure, dict):
            return {key: map_tensors(value) for key, value in structure.items()}
        if isinstance(structure, (list, tuple)):
            return [map_tensors(value) for value in structure]
        raise ValueError(
            f"Invalid functional model config: cannot read tensor reference {structure!r}."
        )

    inputs = map_tensors(input_layers)
    outputs = map_tensors(output_layers)
    if trainable is None:
        trainable = True
    return cls(inputs=inputs, outputs=outputs, name=name, trainable=trainable, **config)


def _deserialize_node(node_data, created):
    if isinstance(node_data, list):
        # The Keras 2 form: a list of [layer name, node index, tensor index(, kwargs)].
        tensors, kwargs = [], {}
        for item in node_data:
            if not isinstance(item, list) or len(item) not in (3, 4):
                raise ValueError(f"Invalid functional model config: bad node {item!r}.")
            tensors.append(_revive(item[0], item[1], item[2], created))
            if len(item) == 4:
                kwargs = item[3]
        return [tensors[0] if len(tensors) == 1 else tensors], _call_kwargs(kwargs)
    if not isinstance(node_data, dict):
        raise ValueError(f"Invalid functional model config: bad node {_short(node_data)}.")
    args = deserialize_keras_object(node_data.get("args", []))
    kwargs = deserialize_keras_object(node_data.get("kwargs", {})) or {}
    if not isinstance(kwargs, dict):
        raise ValueError(f"Invalid functional model config: bad node kwargs {kwargs!r}.")

    def revive(x):
        history = getattr(x, "_pre_serialization_keras_history", None) if _is_kt(x) else None
        if history is None:
            return x
        if not isinstance(history, (list, tuple)) or len(history) != 3:
            raise ValueError(f"Invalid functional model config: bad keras_history {history!r}.")
        return _revive(history[0], history[1], history[2], created)

    args = jax.tree_util.tree_map(revive, args, is_leaf=_is_kt)
    kwargs = jax.tree_util.tree_map(revive, kwargs, is_leaf=_is_kt)
    return list(args), _call_kwargs(kwargs)


def _revive(layer_name, node_index, tensor_index, created):
    layer = created.get(layer_name)
    if layer is None:
        raise ValueError(f"Invalid functional model config: unknown layer {layer_name!r}.")
    if not isinstance(node_index, int) or not isinstance(tensor_index, int):
        raise ValueError(
            f"Invalid functional model config: bad reference [{layer_name!r}, {node_index!r}, "
            f"{tensor_index!r}]."
        )
    if node_index >= len(layer._inbound_nodes):
        raise _NodeNotReady()
    outputs = layer._inbound_nodes[node_index].output_tensors
    if not 0 <= tensor_index < len(outputs):
        raise ValueError(
            f"Invalid functional model config: layer {layer_name!r} has no output "
            f"{tensor_index} in call {node_index}."
        )
    return outputs[tensor_index]


def _call_kwargs(kwargs):
    # Keras records the `training` default and a `mask=None` on each call; at run time the
    # outer call's `training` overrides it, so the saved value is dropped here.
    kwargs = dict(kwargs)
    kwargs.pop("training", None)
    if kwargs.get("mask", 0) is None:
        kwargs.pop("mask")
    return kwargs


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
