"""The host stage of a functional model: the layers that compute on the host (text lookups,
text vectorization, string hashing; `runs_on_host = True`) and read the model's inputs
directly run before the compiled part of the model, on each batch's NumPy data.

Their outputs (and the model inputs the rest of the graph reads directly) travel to the device
as a dict keyed `"host_stage:000"`, `"host_stage:001"`, ...: a plain pytree that the data path
(batching, padding, prefetching) carries like any input dict, and that the model's `call`
recognises and starts from, skipping the layers already run. So the compiled programs never see
text, and a model written as Keras's end-to-end examples write it (`keras.Input(shape=(1,),
dtype="string")`, then `TextVectorization`) trains and predicts with `fit` and `predict`.
"""

import numpy as np

from jeras.layers.preprocessing_data import host_array

STAGE_KEY_PREFIX = "host_stage:"


class HostStage:
    """The host-run front of a functional model (see the module docstring)."""

    def __init__(self, model, host_nodes, boundary):
        self.model = model
        self.host_nodes = host_nodes
        self.host_node_ids = {id(node) for node in host_nodes}
        # The tensors the compiled part starts from, in a fixed order.
        self.boundary = boundary

    @classmethod
    def of(cls, model):
        """The model's host stage, or None when no host layer reads its inputs directly."""
        known = {id(t) for t in model._flat_inputs}
        host_nodes = []
        for node in model._run_nodes:
            layer = node.layer
            if (
                getattr(type(layer), "runs_on_host", False)
                and node.input_tensors
                and all(id(t) in known for t in node.input_tensors)
            ):
                host_nodes.append(node)
                known.update(id(t) for t in node.output_tensors)
        if not host_nodes:
            return None
        host_ids = {id(node) for node in host_nodes}
        boundary, seen = [], set()

        def need(tensor):
            if id(tensor) in known and id(tensor) not in seen:
                seen.add(id(tensor))
                boundary.append(tensor)

        for node in model._run_nodes:
            if id(node) not in host_ids:
                for tensor in node.input_tensors:
                    need(tensor)
        for tensor in model._flat_outputs:
            need(tensor)
        return cls(model, host_nodes, boundary)

    # -- running it --------------------------------------------------------------------------
    def run(self, x):
        """The stage's outputs for the model inputs `x` (NumPy or Python data, text
        included), as the dict the compiled part takes."""
        if is_stage_output(x):
            return x
        flat = self.model._flatten_call_inputs(_as_host(x))
        values = {id(t): v for t, v in zip(self.model._flat_inputs, flat)}
        for node in self.host_nodes:
            outputs = node.run(values)
            leaves = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            for tensor, value in zip(node.output_tensors, leaves):
                values[id(tensor)] = value
        stage = {}
        for index, tensor in enumerate(self.boundary):
            value = values[id(tensor)]
            array = np.asarray(value)
            if array.dtype.kind in "USO":
                raise TypeError(
                    f"Model {self.model.name!r}: the tensor {tensor.name!r} still holds strings "
                    "after the host layers; only numbers can reach the compiled part of the "
                    "model. Convert them with a lookup layer first."
                )
            stage[f"{STAGE_KEY_PREFIX}{index:03d}"] = array
        return stage

    def values_from(self, stage_output):
        """`{id(tensor): value}` for the boundary tensors, from a stage output dict."""
        return {
            id(tensor): stage_output[f"{STAGE_KEY_PREFIX}{index:03d}"]
            for index, tensor in enumerate(self.boundary)
        }

    def wrap_source(self, source):
        """A batch source giving this stage's outputs as each batch's `x`."""
        return _StagedSource(source, self)


def is_stage_output(x):
    return (
        isinstance(x, dict)
        and bool(x)
        and all(isinstance(k, str) and k.startswith(STAGE_KEY_PREFIX) for k in x)
    )


def _as_host(x):
    if isinstance(x, dict):
        return {k: _as_host(v) for k, v in x.items()}
    if (
        isinstance(x, (list, tuple))
        and x
        and all(hasattr(v, "shape") or isinstance(v, (list, tuple)) for v in x)
    ):
        return [_as_host(v) for v in x]
    return host_array(x)


class _StagedSource:
    """A batch source whose batches' `x` went through the host stage; everything else
    (length, workers, positions) is the wrapped source's."""

    def __init__(self, source, stage):
        self._source = source
        self._stage = stage
        self._first = None

    def __getattr__(self, name):
        return getattr(self._source, name)

    def first_batch(self):
        if self._first is None:
            self._first = self._staged(self._source.first_batch())
        return self._first

    def epoch(self, *args, **kwargs):
        for batch in self._source.epoch(*args, **kwargs):
            yield self._staged(batch)

    def _staged(self, batch):
        x, *rest = batch
        return (self._stage.run(x), *rest)
