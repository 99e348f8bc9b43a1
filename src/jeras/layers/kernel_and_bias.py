"""The kernel-and-bias pair of Dense and the convolutions: their initializer, regularizer and
constraint arguments, and the two weights built from them."""

from jeras import constraints, initializers, regularizers


def set_kernel_and_bias_options(
    layer,
    use_bias,
    kernel_initializer,
    bias_initializer,
    kernel_regularizer,
    bias_regularizer,
    kernel_constraint,
    bias_constraint,
):
    """Resolve the arguments (identifiers, configs or objects) onto `layer`'s attributes."""
    layer.use_bias = use_bias
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)


def add_kernel_and_bias(layer, kernel_shape, bias_shape):
    """Create `layer.kernel` and, with `use_bias`, `layer.bias` (else None), in that order."""
    layer.kernel = layer.add_weight(
        shape=kernel_shape,
        name="kernel",
        initializer=layer.kernel_initializer,
        regularizer=layer.kernel_regularizer,
        constraint=layer.kernel_constraint,
    )
    layer.bias = None
    if layer.use_bias:
        layer.bias = layer.add_weight(
            shape=bias_shape,
            name="bias",
            initializer=layer.bias_initializer,
            regularizer=layer.bias_regularizer,
            constraint=layer.bias_constraint,
        )
