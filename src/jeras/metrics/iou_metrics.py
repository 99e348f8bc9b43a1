"""Intersection-over-union metrics over an accumulated (num_classes x num_classes) confusion
matrix: `IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`, `OneHotMeanIoU`.

Labels and predictions are class indices (or, when not sparse, argmax-ed along `axis`). As in
Keras, a pair whose label or prediction lies outside [0, num_classes), or whose label is
`ignore_class`, is dropped: it adds nothing to the matrix and raises no error.
"""

import warnings

import jax.numpy as jnp

from jeras.backend.config import epsilon
from jeras.metrics.metric import Metric
from jeras.ops._convert import unwrap


class _IoUBase(Metric):
    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        # Counts are integers by default.
        super().__init__(name=name, dtype=dtype or "int")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(num_classes, num_classes),
            initializer="zeros",
            dtype=self.dtype,
            name="total_confusion_matrix",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = jnp.asarray(unwrap(y_true)), jnp.asarray(unwrap(y_pred))
        if not self.sparse_y_true:
            y_true = jnp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = jnp.argmax(y_pred, axis=self.axis)
        label_shape = y_true.shape
        # With the integer dtype, float inputs truncate toward zero (as Keras's conversion).
        y_true = y_true.astype(self.dtype).reshape(-1)
        y_pred = y_pred.astype(self.dtype).reshape(-1)
        if sample_weight is None:
            sample_weight = jnp.ones((), self.dtype)
        else:
            sample_weight = unwrap(sample_weight)
            # Keras warns only for array inputs (a Python list passes silently).
            if "float" in str(getattr(sample_weight, "dtype", "")) and "int" in self.dtype:
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may "
                    "result in an incorrect weight due to type casting Consider using "
                    "integer weights."
                )
            sample_weight = jnp.asarray(sample_weight).astype(self.dtype)
            extra = len(label_shape) - sample_weight.ndim
            if (
                sample_weight.ndim
                and extra > 0
                and sample_weight.shape == label_shape[: sample_weight.ndim]
            ):
                # One weight per sample of multi-dimensional labels (fit()'s padding mask):
                # spread it over the sample's entries. Keras accepts only weights per entry.
                sample_weight = jnp.broadcast_to(
                    sample_weight.reshape(sample_weight.shape + (1,) * extra), label_shape
                )
            sample_weight = sample_weight.reshape(-1)
        sample_weight = jnp.broadcast_to(sample_weight, y_true.shape)
        valid = (
            (y_true >= 0)
            & (y_true < self.num_classes)
            & (y_pred >= 0)
            & (y_pred < self.num_classes)
        )
        if self.ignore_class is not None:
            valid = valid & (y_true != self.ignore_class)
        # Dropped pairs are sent to cell (0, 0) with weight 0, keeping every index in range.
        y_true = jnp.where(valid, y_true, 0).astype("int32")
        y_pred = jnp.where(valid, y_pred, 0).astype("int32")
        sample_weight = jnp.where(valid, sample_weight, 0).astype(self.dtype)
        batch_cm = (
            jnp.zeros((self.num_classes, self.num_classes), self.dtype)
            .at[y_true, y_pred]
            .add(sample_weight)
        )
        self.total_cm.assign(self.total_cm.value + batch_cm)


class IoU(_IoUBase):
    """Mean over `target_class_ids` of TP / (TP + FP + FN), skipping classes that never occur
    as label or prediction.

    Args:
        num_classes: number of classes (the confusion matrix is num_classes x num_classes).
        target_class_ids: the classes to average over.
        ignore_class: a label value whose pairs are dropped.
        sparse_y_true / sparse_y_pred: False when that input holds per-class scores, argmax-ed
            along `axis`.
    """

    exact_under_padding = True

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which "
                f"is [0, {num_classes})."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self):
        cm = self.total_cm.value
        predicted = jnp.sum(cm, axis=0).astype(self.dtype)
        actual = jnp.sum(cm, axis=1).astype(self.dtype)
        tp = jnp.diagonal(cm).astype(self.dtype)
        ids = jnp.asarray(self.target_class_ids, "int32")
        union = (predicted + actual - tp)[ids].astype("float32")
        tp = tp[ids].astype("float32")
        present = union > 1e-9
        iou = jnp.where(present, tp / (union + epsilon()), 0.0)
        # The sum runs over the one axis of the per-target vector.
        return jnp.sum(iou) / (jnp.sum(present.astype("float32")) + epsilon())

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of two classes from probabilities: a prediction >= `threshold` is class 1.

    Labels are converted to the (integer) dtype, so they should be 0 or 1."""

    exact_under_padding = True

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = jnp.asarray(unwrap(y_true)).astype(self.dtype)
        y_pred = jnp.asarray(unwrap(y_pred)).astype("float32") >= self.threshold
        return super().update_state(y_true, y_pred.astype(self.dtype), sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes."""

    exact_under_padding = True

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """`IoU` with one-hot labels (and, by default, per-class scores as predictions)."""

    exact_under_padding = True

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` with one-hot labels (and, by default, per-class scores as predictions)."""

    exact_under_padding = True

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
