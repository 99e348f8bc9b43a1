"""`class_weight` as per-sample weights, for array targets and for the batches of a source."""

import numpy as np


def class_weight_to_sample_weight(y, class_weight):
    """Keras's rule: the class of a sample is the argmax of a one-hot (or probability) target,
    or the rounded integer label; a class missing from `class_weight` weighs 1."""
    y = np.asarray(y)
    if y.ndim > 1 and y.shape[-1] != 1:
        classes = np.argmax(y, axis=-1)
    elif y.ndim > 1:
        classes = np.squeeze(y, -1)
    else:
        classes = y
    classes = np.round(classes).astype(np.int64)
    weights = np.ones(classes.shape, dtype="float32")
    for cls, weight in class_weight.items():
        weights[classes == int(cls)] = weight
    return weights


def with_class_weights(batches, class_weight, where):
    """`(x, y, sample_weight)` batches with the sample weights drawn from `class_weight`."""
    for x, y, sample_weight in batches:
        if sample_weight is not None:
            raise ValueError(
                f"{where} yields sample weights (x, y, sample_weight) and `class_weight` was "
                "passed too; use one or the other."
            )
        if y is None:
            raise ValueError(
                f"`class_weight` needs targets, but {where} yields batches without `y`; yield "
                "(x, y) batches."
            )
        yield x, y, class_weight_to_sample_weight(y, class_weight)
