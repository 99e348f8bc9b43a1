"""`Functional`: a model defined by a graph of layer calls from `Input`s to outputs."""

import jax
import jax.numpy as jnp

from jeras.backend.masking import set_keras_mask
from jeras.layers.core import OperationLayer
from jeras.layers.input_layer import InputLayer
from jeras.layers.layer import Layer, raise_mask_shape_error
from jeras.models.functional_config import functional_get_config
from jeras.models.graph import map_graph
from jeras.models.host_stage import HostStage, is_stage_output
from jeras.models.model import Model
from jeras.symbolic.keras_tensor import KerasTensor
from jeras.trainer.trainer import Trainer


def _is_kt(x):
    return isinstance(x, KerasTensor)


class Functional(Model):
    """A model whose forward pass is a recorded graph of layer calls from `Input`s to outputs.

    `keras.Model(inputs, outputs)` returns one; its layers, configuration and summary come from the
    graph, so it is saved and reloaded without its Python code.

    Args:
        inputs: the `keras.Input` tensor(s): one, a list, or a dict keyed by input name; data
            passed to the model must have the same structure.
        outputs: the tensor(s) computed from `inputs` by layer calls, in any nesting of lists and
            dicts; the model's predictions keep that structure.
        name: the model's name ("functional" plus a counter by default).
        trainable: whether the model's weights are updated by `fit()` (default True).
        **kwargs: further `Layer` arguments, e.g. `dtype`.
    """

    rows_independent = True  # see Layer.rows_independent

    # The weights-file walk visits `layers` before the attributes, as Keras does for graphs.
    layers_saved_first = True

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        Trainer.__init__(self)
        self._init_from_graph(inputs, outputs)

    def _init_from_graph(self, inputs, outputs, name=None):
        if name is not None:
            self.name = name
        # `model.input` / `model.output` give back the structures as passed; calls unwrap a
        # one-element list, as Keras does.
        self._given_inputs, self._given_outputs = inputs, outputs
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        for tensor in jax.tree_util.tree_leaves((inputs, outputs), is_leaf=_is_kt):
            if not _is_kt(tensor):
                raise ValueError(
                    f"Model inputs and outputs must be KerasTensors (from `keras.Input` and layer "
                    f"calls), got {type(tensor).__name__}: {tensor!r}"
                )
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._flat_inputs = jax.tree_util.tree_leaves(inputs, is_leaf=_is_kt)
        self._flat_outputs = jax.tree_util.tree_leaves(outputs, is_leaf=_is_kt)
        self._run_nodes, self._graph_layers = map_graph(self._flat_inputs, self._flat_outputs)
        self.built = True
        self._build_shapes = None

    # -- structure -----------------------------------------------------------------------------
    @property
    def _layers(self):
        return list(self._graph_layers)

    @property
    def layers(self):
        # Operators on symbolic tensors (`x + y`, `x[0]`) are graph nodes but not layers, as in
        # Keras, where they are plain operations.
        return [layer for layer in self._graph_layers if not isinstance(layer, OperationLayer)]

    @property
    def inputs(self):
        return list(self._flat_inputs)

    @property
    def outputs(self):
        return list(self._flat_outputs)

    @property
    def input(self):
        return self._given_inputs

    @property
    def output(self):
        return self._given_outputs

    @property
    def input_names(self):
        return [t._keras_history[0].name for t in self._flat_inputs]

    @property
    def output_names(self):
        # As Keras: the names of the layers that produce the outputs, in flattened order (a dict
        # of outputs flattens in sorted key order).
        return [t._keras_history[0].name for t in self._flat_outputs]

    def _compiled_output_names(self):
        # Losses and metrics given as dicts are keyed like the model's output dict.
        if isinstance(self._outputs_struct, dict):
            return sorted(self._outputs_struct.keys())
        return self.output_names

    @property
    def input_shape(self):
        shapes = [t.shape for t in self._flat_inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self._flat_outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    # -- execution -----------------------------------------------------------------------------
    def _host_stage(self):
        """The host-run front of the graph (text layers on the inputs), or None."""
        if "_host_stage_cache" not in self.__dict__:
            self.__dict__["_host_stage_cache"] = HostStage.of(self)
        return self.__dict__["_host_stage_cache"]

    def call(self, inputs, training=None, mask=None):
        if is_stage_output(inputs):
            return self._call_after_host_stage(inputs)
        flat = self._flatten_call_inputs(inputs)
        if mask is not None:
            # As Keras: masks given for the inputs are attached to them, and the graph's
            # layers take them from there.
            masks = jax.tree_util.tree_leaves(mask, is_leaf=lambda v: v is None)
            if len(masks) != len(flat):
                raise ValueError(
                    f"Model {self.name!r} has {len(flat)} input(s), but `mask` holds "
                    f"{len(masks)} mask(s). Pass one mask (or None) per input."
                )
            for value, input_mask, tensor in zip(flat, masks, self._flat_inputs):
                if input_mask is None:
                    continue
                # A model input's mask covers its leading (batch, time steps) axes.
                value_shape, mask_shape = tuple(jnp.shape(value)), tuple(jnp.shape(input_mask))
                if (
                    len(mask_shape) > len(value_shape)
                    or value_shape[: len(mask_shape)] != mask_shape
                ):
                    raise_mask_shape_error(
                        tensor._keras_history[0], mask_shape, value_shape, value_shape[:2]
                    )
                set_keras_mask(value, input_mask)
        values = {}
        for tensor, value in zip(self._flat_inputs, flat):
            values[id(tensor)] = value
        for node in self._run_nodes:
            outputs = node.run(values)
            out_leaves = jax.tree_util.tree_leaves(outputs)
            if len(out_leaves) != len(node.output_tensors):
                raise ValueError(
                    f"Layer {node.layer.name!r} returned {len(out_leaves)} outputs when called, but "
                    f"{len(node.output_tensors)} when the model was built."
                )
            for tensor, value in zip(node.output_tensors, out_leaves):
                values[id(tensor)] = value
        return jax.tree_util.tree_map(lambda t: values[id(t)], self._outputs_struct, is_leaf=_is_kt)

    def _call_after_host_stage(self, stage_output):
        """The graph from the host stage's outputs on (its layers already ran on the host)."""
        stage = self._host_stage()
        values = stage.values_from(stage_output)
        for node in self._run_nodes:
            if id(node) in stage.host_node_ids:
                continue
            outputs = node.run(values)
            for tensor, value in zip(node.output_tensors, jax.tree_util.tree_leaves(outputs)):
                values[id(tensor)] = value
        return jax.tree_util.tree_map(lambda t: values[id(t)], self._outputs_struct, is_leaf=_is_kt)

    def _flatten_call_inputs(self, inputs):
        names = [t._keras_history[0].name for t in self._flat_inputs]
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                # In the order of `_flat_inputs` (pytree leaves: dict keys sorted), not the order
                # the dict was written in.
                keys = sorted(self._inputs_struct.keys())
                missing = [k for k in keys if k not in inputs]
                if missing:
                    raise ValueError(
                        f"Model {self.name!r}: missing input(s) {missing}; received keys "
                        f"{sorted(inputs)}, expected {keys}."
                    )
                flat = [inputs[k] for k in keys]
            else:
                missing = [n for n in names if n not in inputs]
                if missing:
                    raise ValueError(
                        f"Model {self.name!r}: missing input(s) {missing}; received keys "
                        f"{sorted(inputs)}, expected the model's input names {names}."
                    )
                flat = [inputs[n] for n in names]
        elif isinstance(inputs, (list, tuple)):
            flat = list(inputs)
            if len(self._flat_inputs) == 1 and len(flat) != 1:
                flat = [inputs]
        else:
            flat = [inputs]
        if len(flat) != len(self._flat_inputs):
            raise ValueError(
                f"Model {self.name!r} expects {len(self._flat_inputs)} input(s) {names}, but it "
                f"received {len(flat)} input tensors."
            )
        flat = [_with_input_rank(value, tensor) for value, tensor in zip(flat, self._flat_inputs)]
        for tensor, value, name in zip(self._flat_inputs, flat, names):
            expected = tensor.shape
            actual = getattr(value, "shape", None)
            if actual is not None and (
                len(actual) != len(expected)
                or any(e is not None and e != a for e, a in zip(expected, actual))
            ):
                raise ValueError(
                    f'Input "{name}" of model "{self.name}" is incompatible with the model: '
                    f"expected shape {expected}, but received input with shape {tuple(actual)}."
                )
        return flat

    def _maybe_build(self, inputs):
        pass

    def get_build_config(self):
        # A functional model is built by its graph; Keras writes an empty input shape.
        return {"input_shape": None}

    def get_config(self):
        return functional_get_config(self)


def _with_input_rank(value, tensor):
    """Keras's leniency on input ranks: a value one axis short of its input's rank gets the
    last axis of size 1 the input declares (a batch of scalars for `shape=(1,)`), and a value
    with one extra last axis of size 1 loses it."""
    expected = tensor.shape
    actual = getattr(value, "shape", None)
    if actual is None or not expected:
        return value
    if len(actual) == len(expected) - 1 and expected[-1] == 1:
        return value[..., None]
    if len(actual) == len(expected) + 1 and actual and actual[-1] == 1 and expected[-1] != 1:
        return value[..., 0]
    return value
