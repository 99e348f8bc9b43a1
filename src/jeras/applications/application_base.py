"""What every application family does around its architecture: check the `weights` argument,
make the image input (a new `Input`, or the user's `input_tensor`), close the functional model
over the true source inputs, and load the weights it was asked for (a local file, or Keras's
published ImageNet file from the Keras cache)."""

import os

from jeras.applications.imagenet_utils import (
    fetch_keras_file,
    obtain_input_shape,
    validate_activation,
)
from jeras.backend.config import image_data_format
from jeras.layers.core import Dense
from jeras.layers.input_layer import Input, InputLayer
from jeras.layers.pooling import GlobalAveragePooling2D, GlobalMaxPooling2D
from jeras.models.functional import Functional
from jeras.symbolic.keras_tensor import is_keras_tensor


def check_weights_argument(weights, include_top, classes):
    """`weights` is None, "imagenet" or the path of an existing file; ImageNet weights with the
    top layer need the 1000 ImageNet classes."""
    if not (weights in {"imagenet", None} or _is_existing_path(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights} (no such file)"
        )
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(
            "If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
            f"Received classes={classes}"
        )


def image_input(
    input_tensor, input_shape, default_size, min_size, include_top, weights, require_flatten=None
):
    """The tensor the architecture starts from and the resolved input shape.

    `input_shape` is checked and completed as `obtain_input_shape` says (`require_flatten`
    defaults to `include_top`). With `input_tensor` (a symbolic tensor, e.g. the output of
    other layers) the architecture is built on it directly."""
    input_shape = obtain_input_shape(
        input_shape,
        default_size=default_size,
        min_size=min_size,
        data_format=image_data_format(),
        require_flatten=include_top if require_flatten is None else require_flatten,
        weights=weights,
    )
    if input_tensor is None:
        return Input(shape=input_shape), input_shape
    if not is_keras_tensor(input_tensor):
        raise ValueError(
            "`input_tensor` must be a symbolic tensor (the output of `keras.Input()` or of "
            f"layers called on one). Received: input_tensor={input_tensor!r} of type "
            f"{type(input_tensor).__name__}. To run the model on an array, build it with "
            "`input_shape` and call it on the array."
        )
    return input_tensor, input_shape


def application_model(img_input, outputs, input_tensor, name):
    """The functional model from the true inputs to `outputs`: the new `Input`, or, when the
    architecture was built on `input_tensor`, the `Input`s that tensor comes from (so layers
    before it become part of the model, as in Keras)."""
    inputs = img_input if input_tensor is None else source_inputs(input_tensor)
    return Functional(inputs, outputs, name=name)


def source_inputs(tensor):
    """The `Input` tensors a symbolic tensor is computed from, depth first in the order of each
    call's arguments (as Keras): the tensor itself when it is one; a lone input is returned
    alone, several as a list."""
    found, seen, pending = [], set(), [tensor]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        history = current._keras_history
        if history is None:
            raise ValueError(
                f"The symbolic tensor {current.name!r} does not come from a `keras.Input`: "
                "build `input_tensor` from `keras.Input()`."
            )
        layer, node_index, _ = history
        node = layer._inbound_nodes[node_index]
        if isinstance(layer, InputLayer) or node.is_input:
            found.append(current)
        else:
            pending.extend(reversed(node.input_tensors))
    return found[0] if len(found) == 1 else found


def load_application_weights(model, weights, imagenet_file=None, imagenet_url=None, file_hash=None):
    """Load what `weights` names into `model`: nothing for None, the file at a path, or for
    "imagenet" Keras's published file `imagenet_file` (found in the Keras cache; offline and
    absent, an error says where to get it and to pass its local path)."""
    if weights is None:
        return
    if weights == "imagenet":
        if imagenet_file is None:
            return
        path = fetch_keras_file(
            imagenet_file,
            imagenet_url,
            file_hash,
            f"`{model.name}` with weights='imagenet'",
        )
    else:
        path = os.fspath(weights)
    model.load_weights(path)


def _is_existing_path(weights):
    try:
        return os.path.exists(os.fspath(weights))
    except TypeError:
        return False


def classifier_or_pooling(
    x,
    include_top,
    pooling,
    classes,
    classifier_activation,
    weights,
    pooling_names=(None, None),
):
    """The end of a family: with `include_top`, global average pooling ("avg_pool") and the
    `classes`-way "predictions" layer; otherwise the `pooling` the user asked for ("avg" or
    "max", named as `pooling_names` where the family names them)."""
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        validate_activation(classifier_activation, weights)
        return Dense(classes, activation=classifier_activation, name="predictions")(x)
    return global_pooling(x, pooling, pooling_names)


def global_pooling(x, pooling, pooling_names=(None, None)):
    """The `pooling` a user asked for without the top: "avg" or "max" over the spatial axes
    (named as `pooling_names` where the family names them), None for the feature maps."""
    if pooling == "avg":
        return GlobalAveragePooling2D(name=pooling_names[0])(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=pooling_names[1])(x)
    return x


def application_doc(summary, default_size, min_size, preprocessing):
    """The docstring of a family's builder: `summary`, then the arguments all families share."""
    return f"""{summary}

    Inputs are images with values in [0, 255], preprocessed by {preprocessing}.

    Args:
        include_top: whether to end with the fully-connected classifier of `classes` outputs.
        weights: None (random initialization), "imagenet" (Keras's published ImageNet weights,
            read from the Keras cache `~/.keras/models/`: jeras cannot download them offline),
            or the path of a weights file to load (such as Keras's published `.h5` file).
        input_tensor: an optional symbolic tensor (from `keras.Input()`, possibly through other
            layers) to build the model on.
        input_shape: an optional shape tuple without the batch dimension. With `include_top`
            it defaults to (and with ImageNet weights must be) `({default_size}, {default_size},
            3)`; otherwise the spatial sizes are free but at least {min_size}x{min_size}.
        pooling: with `include_top=False`: None (the 4D output of the last convolutional
            block), "avg" or "max" (global pooling to a 2D tensor).
        classes: the number of classes of the top layer; 1000 with ImageNet weights.
        classifier_activation: the activation of the top layer, a name or a callable (None for
            the logits). With pretrained weights only None or "softmax".
        name: the model's name.

    Returns:
        A functional `Model`.
    """
