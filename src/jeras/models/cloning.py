"""`clone_model`: a new model of the same architecture (new layers, new weights unless the
clone function copies them), as `keras.models.clone_model`."""

import inspect

import jax

from jeras.layers.core import OperationLayer
from jeras.layers.input_layer import Input, InputLayer
from jeras.models.functional import Functional
from jeras.models.sequential import Sequential
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object
from jeras.symbolic.keras_tensor import KerasTensor


def clone_model(
    model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs
):
    """A new model with the architecture of `model` and newly initialised weights.

    Sequential and functional models are rebuilt layer by layer: each layer is replaced by
    `clone_function(layer)` (by default a new layer from the layer's config), and a layer
    used several times is cloned once. A subclassed model is rebuilt from its config. Weights
    are not copied: call `set_weights(model.get_weights())` for that. A compiled model's clone
    is compiled with the same settings.

    Args:
        model: the `Sequential`, functional or subclassed model.
        input_tensors: new inputs (KerasTensors) for the clone, of the structure of
            `model.input` (one tensor for a Sequential), instead of new `keras.Input`s.
        clone_function: `layer -> new layer`; returning the layer itself shares it between the
            two models. Sequential and functional models only.
        call_function: `(layer, *args, **kwargs) -> outputs`, called instead of
            `layer(*args, **kwargs)` for each call of the graph (e.g. to insert layers after
            some of them). Functional models only.
        recursive: clone nested Sequential and functional models layer by layer with the same
            functions, instead of passing them whole to `clone_function`.

    Returns:
        The new model.
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"Unexpected keyword argument(s): {tuple(kwargs.keys())}")
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` argument is not supported with Sequential models. In a "
                "Sequential model, layers aren't called at model-construction time (they're "
                "merely listed). Use `call_function` with Functional models only. Received "
                f"model of type '{type(model).__name__}', with call_function={call_function}"
            )
        clone = _caching_clone_function(clone_function, call_function, recursive, cache)
        return _clone_sequential(model, clone, input_tensors)
    if isinstance(model, Functional):
        clone = _caching_clone_function(clone_function, call_function, recursive, cache)
        # A Functional subclass with its own get_config is rebuilt from its config, unless the
        # caller asks for layer-by-layer control.
        own_config = type(model).get_config is not Functional.get_config
        if not own_config or clone_function is not None or input_tensors is not None:
            return _clone_functional(model, clone, input_tensors, call_function)
    if clone_function is not None or input_tensors is not None:
        raise ValueError(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential "
            f"models or Functional models. Received model of type '{type(model).__name__}', "
            f"with clone_function={clone_function} and input_tensors={input_tensors}"
        )
    if call_function is not None:
        raise ValueError(
            "Argument `call_function` is only supported for Functional models. Received model "
            f"of type '{type(model).__name__}', with call_function={call_function}"
        )
    config = serialize_keras_object(model)
    return deserialize_keras_object(config, custom_objects={type(model).__name__: type(model)})


def _new_layer_from_config(layer):
    return type(layer).from_config(layer.get_config())


def _caching_clone_function(clone_function, call_function, recursive, cache):
    """`clone_function` (default: a new layer from the config) that clones each layer once
    and, with `recursive`, descends into nested models."""
    clone_function = clone_function or _new_layer_from_config
    cache = {} if cache is None else cache

    def clone(layer):
        if id(layer) in cache:
            return cache[id(layer)]
        if recursive and isinstance(layer, (Sequential, Functional)):
            copy = clone_model(
                layer,
                clone_function=clone_function,
                call_function=call_function if isinstance(layer, Functional) else None,
                recursive=True,
                cache=cache,
            )
        else:
            copy = clone_function(layer)
        cache[id(layer)] = copy
        return copy

    return clone


def _clone_sequential(model, clone, input_tensors):
    new_layers = [clone(layer) for layer in model.layers]
    first = model._stack[0] if model._stack else None
    if isinstance(first, InputLayer):
        name, batch_shape, dtype, optional = (
            first.name,
            first.batch_shape,
            first._dtype,
            first.optional,
        )
    else:
        name, batch_shape, dtype, optional = None, None, None, False
    if input_tensors is not None:
        if isinstance(input_tensors, (list, tuple)):
            if len(input_tensors) != 1:
                raise ValueError("Argument `input_tensors` must contain a single tensor.")
            input_tensors = input_tensors[0]
        if not isinstance(input_tensors, KerasTensor):
            raise ValueError(
                "Argument `input_tensors` must be a KerasTensor. Received invalid value: "
                f"input_tensors={input_tensors}"
            )
        history = input_tensors._keras_history
        if history is None or not isinstance(history[0], InputLayer):
            raise ValueError(
                "clone_model: for a Sequential model, `input_tensors` must be the output of "
                f"`keras.Input`; got {input_tensors}, computed by a layer."
            )
        # Sequential takes the Input's tensor and starts from its InputLayer.
        new_layers = [input_tensors] + new_layers
    elif batch_shape is not None:
        inputs = Input(batch_shape=batch_shape, dtype=dtype, name=name, optional=optional)
        new_layers = [inputs] + new_layers
    cloned = Sequential(new_layers, name=model.name, trainable=model.trainable)
    _compile_like(cloned, model)
    return cloned


def _clone_functional(model, clone, input_tensors, call_function):
    if input_tensors is not None:
        leaves = jax.tree_util.tree_leaves(
            input_tensors, is_leaf=lambda v: isinstance(v, KerasTensor)
        )
        if not all(isinstance(x, KerasTensor) for x in leaves):
            raise ValueError(
                "All entries in `input_tensors` must be KerasTensors. Received invalid values: "
                f"input_tensors={input_tensors}"
            )
        given = model.input
        if (
            isinstance(given, (list, tuple))
            and len(given) == 1
            and not isinstance(input_tensors, (list, tuple))
        ):
            given = given[0]
        if _structure(input_tensors) != _structure(given):
            raise ValueError(
                "`input_tensors` must have the same structure as model.input\nReference "
                f"structure: {model.input}\nReceived structure: {input_tensors}"
            )
    else:
        input_tensors = jax.tree_util.tree_map(
            lambda x: Input(batch_shape=x.shape, dtype=x.dtype, name=x._keras_history[0].name),
            model.input,
            is_leaf=lambda v: isinstance(v, KerasTensor),
        )
    new_inputs = jax.tree_util.tree_leaves(
        input_tensors, is_leaf=lambda v: isinstance(v, KerasTensor)
    )
    # Run the recorded graph once more, symbolically, with the cloned layers.
    values = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    for node in model._run_nodes:
        if node.is_input:
            continue
        # An operator on symbolic tensors (`x + y`) holds no weights: the clone calls it too.
        layer = node.layer if isinstance(node.layer, OperationLayer) else clone(node.layer)

        def substitute(x):
            return values[id(x)] if isinstance(x, KerasTensor) else x

        args = jax.tree_util.tree_map(
            substitute, node.call_args, is_leaf=lambda v: isinstance(v, KerasTensor)
        )
        kwargs = jax.tree_util.tree_map(
            substitute, node.call_kwargs, is_leaf=lambda v: isinstance(v, KerasTensor)
        )
        if call_function is not None:
            outputs = call_function(layer, *args, **kwargs)
        else:
            outputs = layer(*args, **kwargs)
        new_outputs = jax.tree_util.tree_leaves(
            outputs, is_leaf=lambda v: isinstance(v, KerasTensor)
        )
        if len(new_outputs) != len(node.output_tensors):
            raise ValueError(
                f"clone_model: the clone of layer {node.layer.name!r} returned "
                f"{len(new_outputs)} output(s) where the original returned "
                f"{len(node.output_tensors)}."
            )
        for old, new in zip(node.output_tensors, new_outputs):
            values[id(old)] = new
    output_tensors = jax.tree_util.tree_map(
        lambda t: values[id(t)], model.output, is_leaf=lambda v: isinstance(v, KerasTensor)
    )
    if _takes_inputs_and_outputs(type(model)):
        cloned = type(model)(input_tensors, output_tensors, name=model.name)
    else:
        cloned = Functional(input_tensors, output_tensors, name=model.name)
    _compile_like(cloned, model)
    return cloned


def _structure(tree):
    return jax.tree_util.tree_structure(tree, is_leaf=lambda v: isinstance(v, KerasTensor))


def _takes_inputs_and_outputs(cls):
    """Whether `cls.__init__` has Functional's arguments (so the clone keeps the class)."""
    arguments = inspect.getfullargspec(cls.__init__).args[1:]
    return arguments == inspect.getfullargspec(Functional.__init__).args[1:]


def _compile_like(clone, model):
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
