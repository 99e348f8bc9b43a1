"""`HostLayer`: the base of the preprocessing layers whose work is done on the host in NumPy
and Python (string lookups, text vectorization, string hashing), because JAX arrays hold no
text.

Such a layer is called eagerly on NumPy arrays, Python lists or TensorFlow tensors (so it works
in a `tf.data` pipeline: `dataset.map(layer)` through `tf.numpy_function`, or on batches in a
Python loop), and returns a JAX array of its numeric result. Inside a functional model, the
layers that declare `runs_on_host = True` and sit directly on the model's inputs are run on the
host by `fit`, `evaluate` and `predict` before the compiled part of the model
(see `jeras.models.host_stage`). A host layer reached inside a compiled step on values it
cannot handle there raises an error that says where to put it instead.
"""

import sys

import jax
import numpy as np

from jeras.layers.layer import Layer
from jeras.layers.preprocessing_data import host_array
from jeras.symbolic.keras_tensor import KerasTensor, has_keras_tensors
from jeras.symbolic.node import Node


class HostLayer(Layer):
    """Base class of layers computed on the host (see the module docstring).

    Subclasses implement `host_call(inputs)` on NumPy arrays (text as `str` arrays) and
    `compute_output_spec(input_spec)`, returning `(shape, dtype)` of the output; a subclass that
    can also run inside compiled steps for numeric inputs implements `traced_call`.

    Args:
        **kwargs: base layer arguments (`name`, `dtype`, ...).
    """

    # A capability read by functional models: this layer's call runs on the host, so a model
    # runs it (when it reads the model's inputs directly) before its compiled part.
    runs_on_host = True
    rows_independent = True  # see Layer.rows_independent
    # Whether the call takes a list of several inputs (else one array, or a Python list of
    # values that makes one array).
    takes_input_list = False

    def __call__(self, *args, **kwargs):
        if (args and has_keras_tensors(args[0])) or has_keras_tensors(kwargs):
            return self._symbolic_call(args, kwargs)
        if not args:
            raise ValueError(f"Layer {self.name!r} was called without inputs.")
        inputs = args[0]
        leaves = list(inputs) if self.takes_input_list else [inputs]
        if any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
            return self.traced_call(inputs)
        if any(_is_tf_graph_tensor(leaf) for leaf in leaves):
            return self._tf_graph_call(leaves)
        if self.takes_input_list:
            inputs = [host_array(v, self) for v in inputs]
        else:
            inputs = host_array(inputs, self)
        if not self.built:
            self.build(jax.tree_util.tree_map(np.shape, inputs))
            self.built = True
        return self.host_call(inputs, *args[1:], **kwargs)

    def host_call(self, inputs):
        raise NotImplementedError

    def call(self, inputs):
        return self(inputs)

    def traced_call(self, inputs):
        """The call inside a compiled function (inputs are JAX tracers, never text)."""
        raise TypeError(
            f"Layer {self.name!r} ({type(self).__name__}) runs on the host (it handles strings "
            "in NumPy), but it was reached inside a compiled step. Apply it to the model's "
            "inputs directly (jeras then runs it on the host before the compiled part of the "
            "model), or in the data pipeline (`dataset.map(layer)`) before the model."
        )

    def compute_output_spec(self, input_spec):
        """`(shape, dtype)` of the output for an input of `input_spec` (a KerasTensor)."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        spec = KerasTensor(tuple(input_shape), dtype=self._input_dtype_guess())
        return self.compute_output_spec(spec)[0]

    def _input_dtype_guess(self):
        return "string"

    def _tf_graph_call(self, leaves):
        """Inside a `tf.data` map (TensorFlow graph tensors): the host call wrapped in
        `tf.numpy_function`, with the output shape set as far as it is known."""
        tf = sys.modules["tensorflow"]
        specs = [
            KerasTensor(tuple(leaf.shape.as_list()), dtype=_spec_dtype(leaf.dtype))
            for leaf in leaves
        ]
        shape, dtype = self.compute_output_spec(specs if self.takes_input_list else specs[0])

        def run(*arrays):
            outputs = self(list(arrays) if self.takes_input_list else arrays[0])
            outputs = np.asarray(outputs)
            if outputs.dtype.kind == "U":
                return np.char.encode(outputs, "utf-8").astype(object)
            return outputs

        result = tf.numpy_function(
            run, leaves, tf.string if dtype == "string" else tf.as_dtype(dtype), stateful=False
        )
        result.set_shape(shape)
        return result

    def _symbolic_call(self, args, kwargs):
        if not self.built:
            self.build(jax.tree_util.tree_map(lambda t: t.shape, args[0], is_leaf=_is_kt))
            self.built = True
        shape, dtype = self.compute_output_spec(args[0])
        outputs = KerasTensor(tuple(shape), dtype=dtype)
        Node(self, args, kwargs, outputs)
        return outputs

    def get_build_config(self):
        return {}

    def build_from_config(self, config):
        self.built = True


def _is_kt(value):
    return isinstance(value, KerasTensor)


def _is_tf_graph_tensor(value):
    """A TensorFlow tensor of a graph being built (a `tf.data` map function), which holds no
    values yet. TensorFlow is only looked at when the caller already imported it."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and tf.is_tensor(value) and not hasattr(value, "numpy")


def _spec_dtype(tf_dtype):
    return "string" if tf_dtype.name == "string" else tf_dtype.name
