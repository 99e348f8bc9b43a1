"""Checks of the arguments of `compile`, `fit`, `evaluate` and `predict`, each raising an error
that names the argument, what it got and what to pass instead."""

import jax
import numpy as np

from jeras.data.class_weight import class_weight_to_sample_weight
from jeras.trainer.compile_utils import flatten_outputs


def check_steps(steps, name):
    if steps is None:
        return None
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"`{name}` must be a positive integer or None, got {steps!r}.")
    return int(steps)


def check_epochs(epochs, initial_epoch):
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(
                f"`{name}` must be a non-negative integer (a number of epochs), got {value!r}."
            )
    return int(epochs), int(initial_epoch)


def check_class_weight(class_weight):
    """`class_weight` maps integer class indices to weights."""
    if class_weight is None:
        return
    if not isinstance(class_weight, dict):
        raise ValueError(
            "`class_weight` must be a dict mapping class indices to weights, got a "
            f"{type(class_weight).__name__}."
        )
    for key, weight in class_weight.items():
        if not _is_class_index(key):
            raise ValueError(
                f"`class_weight` keys must be integer class indices (0, 1, ...), got {key!r} "
                f"in {class_weight!r}."
            )
        if not isinstance(weight, (int, float, np.number)) or isinstance(weight, bool):
            raise ValueError(
                f"`class_weight` values must be numbers, got {weight!r} for class {key}."
            )


def _is_class_index(key):
    # Integers, and what reads as one ("3", 3.0), as Keras's own conversion `int(key)` allows.
    if isinstance(key, bool):
        return False
    if isinstance(key, (int, np.integer)):
        return True
    if isinstance(key, (float, np.floating)):
        return float(key).is_integer()
    return isinstance(key, str) and key.strip().lstrip("-").isdigit()


def check_has_samples(data, what):
    if data.num_samples == 0:
        shapes = {
            name: [tuple(a.shape) for a in jax.tree_util.tree_leaves(tree)]
            for name, tree in (("x", data.x), ("y", data.y))
            if tree is not None
        }
        raise ValueError(
            f"`{what}()` got no samples: shapes {shapes}. Pass at least one sample (the first "
            "axis of `x` and `y` is the sample axis)."
        )


def check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if (
        not isinstance(batch_size, (int, np.integer))
        or isinstance(batch_size, bool)
        or batch_size < 1
    ):
        raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def check_steps_per_execution(steps_per_execution):
    if (
        not isinstance(steps_per_execution, (int, np.integer))
        or isinstance(steps_per_execution, bool)
        or steps_per_execution < 1
    ):
        raise ValueError(
            "`steps_per_execution` must be a positive integer (the number of batches run by "
            f"one compiled call), got {steps_per_execution!r}."
        )
    return int(steps_per_execution)


def check_fit_arguments(validation_split, shuffle, class_weight, sample_weight):
    if validation_split and not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"`validation_split` must be a float strictly between 0 and 1, got "
            f"{validation_split!r}."
        )
    if shuffle not in (True, False, "batch"):
        raise ValueError(f"`shuffle` must be True, False or 'batch', got {shuffle!r}.")
    if class_weight is not None and sample_weight is not None:
        raise ValueError("You cannot pass both `class_weight` and `sample_weight`.")
    check_class_weight(class_weight)


def should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` must be >= 1, got {validation_freq}.")
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return (epoch + 1) in validation_freq
    raise ValueError(
        f"`validation_freq` must be an int or a list of epochs, got {validation_freq!r}."
    )


def unpack_validation(validation_data):
    if isinstance(validation_data, (list, tuple)):
        if len(validation_data) == 2:
            return validation_data[0], validation_data[1], None
        if len(validation_data) == 3:
            return tuple(validation_data)
        raise ValueError(
            "`validation_data` must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight), got a {type(validation_data).__name__} of length "
            f"{len(validation_data)}."
        )
    raise ValueError(
        f"`validation_data` of type {type(validation_data).__name__} is not supported yet; pass a "
        "tuple (x_val, y_val) of arrays."
    )


def check_no_targets_with_source(source, y, sample_weight, class_weight, validation_split):
    # "the tf.data.Dataset", "the PyDataset MyData", ...: what the user passed, not a class
    # private to its library.
    kind = describe(source)
    kind = kind[:1].lower() + kind[1:]
    if y is not None:
        raise ValueError(
            f"`y` argument is not supported when `x` is {kind}: the batches it yields "
            "must carry the targets, as (x, y) or (x, y, sample_weight)."
        )
    if sample_weight is not None:
        raise ValueError(
            f"`sample_weight` argument is not supported when `x` is {kind}; yield "
            "(x, y, sample_weight) batches instead."
        )
    if class_weight is not None and not isinstance(class_weight, dict):
        raise ValueError(
            f"`class_weight` must be a dict mapping class indices to weights, got a "
            f"{type(class_weight).__name__}."
        )
    if validation_split:
        raise ValueError(
            "`validation_split` is only supported for NumPy/JAX array inputs; pass "
            "`validation_data` instead."
        )


def class_weight_as_sample_weight(y, class_weight, output_names):
    check_class_weight(class_weight)
    if len(output_names) > 1 or isinstance(y, (dict, list, tuple)) and not hasattr(y, "shape"):
        raise ValueError(
            "`class_weight` is only supported for models with a single output. Use "
            "`sample_weight` for multi-output models."
        )
    if y is None:
        raise ValueError("`class_weight` needs targets `y`.")
    return class_weight_to_sample_weight(y, class_weight)


def check_batches_are_tuples(source, what):
    """Keras's rule for generators in fit and evaluate: batches are tuples, so a dict or an
    array alone is not silently taken for inputs without targets."""
    if getattr(source, "yields_tuples", True):
        return
    raise ValueError(
        f"The generator passed to {what} must yield tuples (x, y) or (x, y, "
        f"sample_weight) (or (x,) for inputs alone); its first batch is a "
        f"{source.first_type}. A dict is always the inputs `x`: yield (x_dict, y) to pass "
        "targets with it."
    )


def check_sample_weights(data, output_names, flatten_sample_weights):
    """Each output's `sample_weight` must be per sample, or per timestep (a prefix of the
    target's shape)."""
    targets = (
        flatten_outputs(data.y, output_names, "`y`")
        if data.y is not None
        else [None] * len(output_names)
    )
    weights = flatten_sample_weights(data.sample_weight, output_names)
    for name, target, weight in zip(output_names, targets, weights):
        if weight is None or target is None:
            continue
        sw_shape, y_shape = tuple(weight.shape), tuple(target.shape)
        fits = sw_shape == y_shape[: len(sw_shape)] or (
            len(sw_shape) == 2 and sw_shape[1] == 1 and sw_shape[0] == y_shape[0]
        )
        if not fits:
            raise ValueError(
                f"`sample_weight` for output {name!r} has shape {sw_shape}, which does not "
                f"match its targets of shape {y_shape}. Pass one weight per sample, shape "
                f"({y_shape[0]},), or per timestep, a prefix of the target shape."
            )


def describe(source):
    return getattr(source, "description", "The data source")


def check_sparse_labels(data, compile_loss, output_shapes, sparse_loss_function):
    """Sparse labels must be class indices `0 ... num_classes - 1`: out of range, the loss reads
    no class and is silently 0 (in Keras too). Checked here, on the host, when the targets are
    host arrays; labels that live on the device or come from a data source are not checked."""
    if compile_loss is None or data.y is None:
        return
    targets = flatten_outputs(data.y, compile_loss.output_names, "`y`")
    for index, loss, _ in compile_loss.entries:
        if getattr(loss, "fn", None) is not sparse_loss_function:
            continue
        labels = targets[index]
        if not isinstance(labels, np.ndarray) or labels.size == 0:
            continue
        num_classes = output_shapes[index][-1]
        ignored = getattr(loss, "_fn_kwargs", {}).get("ignore_class")
        valid = labels if ignored is None else labels[labels != ignored]
        if valid.size == 0:
            continue
        low, high = valid.min(), valid.max()
        if low < 0 or high >= num_classes:
            bad = np.unique(valid[(valid < 0) | (valid >= num_classes)])[:5]
            raise ValueError(
                f"`y` for output {compile_loss.output_names[index]!r} holds labels "
                f"{bad.tolist()} (range {low}..{high}), but the model predicts "
                f"{num_classes} classes: sparse labels must be integers from 0 to "
                f"{num_classes - 1}."
            )
