"""Where each layer's and the optimizer's variables live in a weights file.

Keras 3 walks the model: first the `layers` list of a functional or Sequential model, then the
object's attributes in alphabetical order (private ones last), each object once. Objects held
in an attribute are found under the attribute's name (`d1/vars`); objects inside a list, tuple
or dict under their snake_case class name, numbered per name (`layers/dense_1/vars`). jeras
walks its objects the same way so that the files are interchangeable.
"""

from jeras.backend.naming import to_snake_case
from jeras.layers.layer import Layer
from jeras.losses.loss import Loss
from jeras.metrics.metric import Metric
from jeras.optimizers.optimizer import Optimizer


def walk_saveables(model, visit, visited=None):
    """Call `visit(obj, path)` for the model, its layers (nested) and its optimizer, in Keras's
    order, each object once. `path` is "" for the model, else e.g. `"layers/dense"`."""
    visited = set() if visited is None else visited
    _walk(model, "", visit, visited)


def _walk(obj, path, visit, visited):
    if id(obj) in visited:
        return
    visit(obj, path)
    visited.add(id(obj))
    for attribute, child in _children(obj):
        child_path = f"{path}/{attribute}" if path else attribute
        if _is_saveable(child):
            _walk(child, child_path, visit, visited)
        elif isinstance(child, (list, tuple, dict)):
            _walk_container(child, child_path, visit, visited, set())


def _walk_container(container, path, visit, visited, seen_containers):
    if id(container) in seen_containers:
        return
    seen_containers.add(id(container))
    items = list(container.values()) if isinstance(container, dict) else list(container)
    used = {}
    for item in items:
        if _is_named_object(item):
            name = _unique(to_snake_case(type(item).__name__), used)
            if _is_saveable(item):
                _walk(item, f"{path}/{name}", visit, visited)
        elif isinstance(item, (list, tuple, dict)):
            name = _unique("container", used)
            _walk_container(item, f"{path}/{name}", visit, visited, seen_containers)


def _unique(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _is_saveable(obj):
    """Objects whose variables go into the file: layers (models included) and optimizers."""
    return isinstance(obj, (Layer, Optimizer))


def _is_named_object(obj):
    """Objects that take a numbered name inside a container (Keras counts its metrics and
    losses too, though they save nothing)."""
    if _is_saveable(obj):
        return True
    return isinstance(obj, (Loss, Metric))


# Attributes of jeras's own base classes. Keras skips everything a bare `Layer()` has; these are
# jeras's counterparts, and they must not be walked (several hold layers: graph nodes, the
# constructor's arguments, compiled-call caches).
_FRAMEWORK_ATTRIBUTES = {
    "_inbound_nodes",
    "_outbound_nodes",
    "_constructor_args",
    "_eager_forward_cache",
    "_compile_config",
    "_engine",
    "_engine_signature",
    "_state_sync",
    "execution_plan",
    "_stack",
    "_functional",
    "_graph_layers",
    "_run_nodes",
    "_given_inputs",
    "_given_outputs",
    "_inputs_struct",
    "_outputs_struct",
    "_flat_inputs",
    "_flat_outputs",
    "_trainable_variables",
    "_non_trainable_variables",
    "_seed_generators",
    "_metrics",
    "_losses_override",
    "_losses",
    "_compile_loss",
    "_compile_metrics",
    "_loss_tracker",
    "history",
    "input_spec",
    "activity_regularizer",
    "output_tensor",
    "_call_signature",
    "_build_shapes",
    "_input_shape_arg",
}


def _children(obj):
    """`(attribute, value)` pairs of `obj` that may hold saveables, in Keras's visiting order.
    Models sit above this walk: they state what it visits (`layers_saved_first`,
    `saveable_attributes`) as class attributes."""
    if isinstance(obj, Optimizer):
        # jeras optimizers hold no nested optimizers; their slots are plain variables.
        return
    if getattr(type(obj), "layers_saved_first", False):
        yield "layers", obj.layers
    names = set()
    for name, value in vars(obj).items():
        if name in _FRAMEWORK_ATTRIBUTES or name.startswith("__"):
            continue
        if _is_saveable(value) or isinstance(value, (list, tuple, dict)):
            names.add(name)
    for klass in type(obj).__mro__:
        if (klass.__module__ or "").startswith("jeras.") or klass is object:
            continue
        # Properties of the user's classes show in `dir()`, so Keras visits them too.
        names.update(
            name
            for name, value in vars(klass).items()
            if isinstance(value, property) and not name.startswith("__")
        )
    for name in getattr(type(obj), "saveable_attributes", ()):
        if getattr(obj, name, None) is not None:
            names.add(name)
    for name in sorted(names, key=lambda n: "~" + n if n.startswith("_") else n):
        try:
            value = getattr(obj, name)
        except Exception:
            continue
        yield name, value
