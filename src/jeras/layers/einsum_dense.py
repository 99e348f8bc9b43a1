"""`EinsumDense`: a dense layer whose product with the kernel is any einsum equation."""

import re
import string

import jax.numpy as jnp

from jeras import activations, constraints, initializers, regularizers
from jeras.layers.input_spec import InputSpec
from jeras.layers.layer import Layer
from jeras.saving.serialization import serialize_keras_object


class EinsumDense(Layer):
    """`output = activation(einsum(equation, input, kernel) + bias)`.

    Args:
        equation: the einsum equation, in one of the forms `ab,bc->ac` (every input axis named),
            `...ab,bc->...ac` (leading axes elided) or `ab...,bc->ac...` (trailing axes
            elided). The kernel's axes are the second term's letters.
        output_shape: the output shape without the batch axis and the elided axes: an int for
            one axis, or a tuple whose unknown entries are None (taken from the input).
        activation: activation function or its name (default: none).
        bias_axes: the letters of the output term that the bias spans (default: no bias).
        kernel_initializer / bias_initializer: default "glorot_uniform" / "zeros". A
            variance-scaling kernel initializer counts the kernel's input and output axes in
            its fans.
        kernel_regularizer / bias_regularizer / activity_regularizer: optional penalties.
        kernel_constraint / bias_constraint: optional constraints.
        lora_rank / lora_alpha / gptq_unpacked_column_size / quantization_config: Keras's
            LoRA and quantization arguments, accepted for its signature; jeras supports
            neither, so a LoRA rank or a quantization config is an error.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        gptq_unpacked_column_size=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if lora_rank or quantization_config is not None:
            raise ValueError(
                f"EinsumDense layer {self.name!r}: LoRA and quantized layers are not supported "
                f"by jeras (got lora_rank={lora_rank!r}, "
                f"quantization_config={quantization_config!r})."
            )
        if not isinstance(equation, str):
            raise ValueError(
                f"EinsumDense layer {self.name!r}: `equation` must be a string such as "
                f"'ab,bc->ac', got {equation!r}."
            )
        self.equation = equation
        self._terms = _parse_equation(equation, self.name)
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        try:
            self.partial_output_shape = tuple(output_shape)
        except TypeError:
            raise ValueError(
                f"EinsumDense layer {self.name!r}: `output_shape` must be an int or a tuple of "
                f"ints (None for unknown), got {output_shape!r}."
            ) from None
        if bias_axes is not None:
            missing = [axis for axis in bias_axes if axis not in self._terms.output]
            if missing:
                raise ValueError(
                    f"EinsumDense layer {self.name!r}: bias axes {missing} of "
                    f"bias_axes={bias_axes!r} are not in the output term "
                    f"{self._terms.output!r} of equation {equation!r}."
                )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        shapes = _einsum_shapes(
            self._terms, self.bias_axes, tuple(input_shape), self.partial_output_shape, self.name
        )
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.kernel = self.add_weight(
            shape=shapes.kernel,
            name="kernel",
            initializer=self._kernel_initializer_with_axes(shapes),
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if shapes.bias is not None:
            self.bias = self.add_weight(
                shape=shapes.bias,
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.built = True

    def _kernel_initializer_with_axes(self, shapes):
        # The default fans (last axis out, the one before in) are wrong for a kernel of any
        # other layout: name the axes instead, as Keras does, on a copy.
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers.VarianceScaling) and (
            initializer.input_axes is None or initializer.output_axes is None
        ):
            config = initializer.get_config()
            config.update(
                input_axes=shapes.kernel_input_axes, output_axes=shapes.kernel_output_axes
            )
            initializer = type(initializer).from_config(config)
        return initializer

    def call(self, inputs, training=None):
        outputs = jnp.einsum(self.equation, inputs, self.kernel.value)
        if self.bias is not None:
            outputs = outputs + self.bias.value
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        shapes = _einsum_shapes(
            self._terms, self.bias_axes, tuple(input_shape), self.partial_output_shape, self.name
        )
        return shapes.output

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "output_shape": self.partial_output_shape,
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": serialize_keras_object(self.kernel_initializer),
                "bias_initializer": serialize_keras_object(self.bias_initializer),
                "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
                "bias_regularizer": serialize_keras_object(self.bias_regularizer),
                "activity_regularizer": serialize_keras_object(self.activity_regularizer),
                "kernel_constraint": serialize_keras_object(self.kernel_constraint),
                "bias_constraint": serialize_keras_object(self.bias_constraint),
                "quantization_config": None,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)


# -- the equation --------------------------------------------------------------------------------
class _Terms:
    """The three terms of an equation without the ellipsis, and where the ellipsis stood."""

    __slots__ = ("input", "kernel", "output", "elided")

    def __init__(self, input_term, kernel_term, output_term, elided):
        self.input, self.kernel, self.output = input_term, kernel_term, output_term
        self.elided = elided  # None, "left" or "right"


_LETTERS = f"[{string.ascii_letters}]"
_FORMS = (
    (re.compile(rf"^({_LETTERS}+),({_LETTERS}+)->({_LETTERS}+)$"), None),
    (re.compile(rf"^\.\.\.({_LETTERS}+),({_LETTERS}+)->\.\.\.({_LETTERS}+)$"), "left"),
    (re.compile(rf"^({_LETTERS}{{2,}})\.\.\.,({_LETTERS}+)->({_LETTERS}+)\.\.\.$"), "right"),
)


def _parse_equation(equation, layer_name):
    compact = equation.replace(" ", "")
    for pattern, elided in _FORMS:
        match = pattern.match(compact)
        if match:
            return _Terms(*match.groups(), elided)
    raise ValueError(
        f"EinsumDense layer {layer_name!r}: invalid equation {equation!r}. Equations must have "
        "the form 'ab,bc->ac', '...ab,bc->...ac' or 'ab...,bc->ac...'."
    )


class _Shapes:
    __slots__ = ("kernel", "bias", "output", "kernel_input_axes", "kernel_output_axes")


def _einsum_shapes(terms, bias_axes, input_shape, partial_output_shape, layer_name):
    """Kernel, bias and full output shapes of the equation applied to `input_shape`."""
    where = f"EinsumDense layer {layer_name!r}"
    num_elided = len(input_shape) - len(terms.input)
    if num_elided < 0 or (terms.elided is None and num_elided != 0):
        raise ValueError(
            f"{where}: the input term {terms.input!r} names {len(terms.input)} axes, but the "
            f"input has shape {input_shape} ({len(input_shape)} axes)."
        )
    output = [input_shape[0], *partial_output_shape]
    if terms.elided == "left":
        # The batch axis is the first elided one; the others follow it.
        output[1:1] = input_shape[1:num_elided]
    elif terms.elided == "right" and num_elided:
        output.extend(input_shape[len(input_shape) - num_elided :])
    first_named = num_elided if terms.elided == "left" else 0
    if len(output) - (num_elided if terms.elided else 0) != len(terms.output):
        raise ValueError(
            f"{where}: output_shape={partial_output_shape} does not fit the output term "
            f"{terms.output!r} of the equation for an input of shape {input_shape}."
        )
    input_size = {letter: input_shape[first_named + i] for i, letter in enumerate(terms.input)}
    output_size = {letter: output[first_named + i] for i, letter in enumerate(terms.output)}
    for letter, size in input_size.items():
        if letter in output_size and output_size[letter] is None:
            output_size[letter] = size
            output[first_named + terms.output.index(letter)] = size
        elif letter in output_size and size is not None and output_size[letter] != size:
            raise ValueError(
                f"{where}: the input and the output disagree on axis {letter!r}: "
                f"{size} in the input of shape {input_shape}, {output_size[letter]} in "
                f"output_shape={partial_output_shape}."
            )
    for letter in terms.output:
        if letter not in terms.input and letter not in terms.kernel:
            raise ValueError(
                f"{where}: output axis {letter!r} appears in neither the input term "
                f"{terms.input!r} nor the kernel term {terms.kernel!r}."
            )
    shapes = _Shapes()
    kernel, shapes.kernel_input_axes, shapes.kernel_output_axes = [], [], []
    for index, letter in enumerate(terms.kernel):
        if letter in output_size:
            kernel.append(output_size[letter])
            shapes.kernel_output_axes.append(index)
        elif letter in input_size:
            kernel.append(input_size[letter])
            shapes.kernel_input_axes.append(index)
        else:
            raise ValueError(
                f"{where}: kernel axis {letter!r} appears in neither the input term "
                f"{terms.input!r} nor the output term {terms.output!r}, so its size is unknown."
            )
    if any(size is None for size in kernel):
        raise ValueError(
            f"{where}: the kernel's shape {tuple(kernel)} has unknown sizes; give them in "
            f"output_shape or build the layer on an input shape that knows them "
            f"(got {input_shape})."
        )
    shapes.kernel = tuple(kernel)
    shapes.bias = None
    if bias_axes:
        # The bias spans the output from its first biased axis on, 1 on the unbiased ones, so
        # that it broadcasts against the output's trailing axes.
        first = min(terms.output.index(letter) for letter in bias_axes)
        bias = [output_size[c] if c in bias_axes else 1 for c in terms.output[first:]]
        if terms.elided == "right":
            bias.extend([1] * num_elided)
        shapes.bias = tuple(bias)
    shapes.output = tuple(output)
    return shapes
