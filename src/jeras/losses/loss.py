"""`Loss` base class and `LossFunctionWrapper`."""

import jax
import jax.numpy as jnp

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.naming import auto_name
from jeras.losses.reduction import (reduce_weighted_values, squeeze_or_expand_to_same_rank,
                                    standardize_reduction)
from jeras.ops._convert import unwrap


class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` returning per-sample values.

    Args:
        name: the loss's name.
        reduction: "sum_over_batch_size" (default), "sum", "mean", "mean_with_sample_weight",
            "none" or None.
        dtype: the dtype of the computation (floatx by default).
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(self)
        self.reduction = standardize_reduction(reduction)
        self._dtype = standardize_dtype(dtype or floatx())

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self._loss_with_mask(y_true, y_pred, sample_weight, None)

    def _loss_with_mask(self, y_true, y_pred, sample_weight, mask):
        """The reduced loss; `mask` marks valid samples (fit()'s padding rows are 0)."""
        y_pred = jax.tree_util.tree_map(lambda v: jnp.asarray(unwrap(v), dtype=self._dtype), y_pred)
        y_true = jax.tree_util.tree_map(lambda v: jnp.asarray(unwrap(v), dtype=self._dtype), y_true)
        values = self.call(y_true, y_pred)
        extra = self._entry_mask(y_true, y_pred)
        if extra is not None:
            mask = extra if mask is None else extra * _align(mask, extra)
        if sample_weight is not None:
            sample_weight = jnp.asarray(unwrap(sample_weight), dtype=self._dtype)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self._dtype)

    def _entry_mask(self, y_true, y_pred):
        return None

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"Loss {type(self).__name__} does not implement `call()`.")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _align(mask, values):
    mask = jnp.asarray(mask, dtype=values.dtype)
    while mask.ndim < values.ndim:
        mask = jnp.expand_dims(mask, -1)
    return mask


class LossFunctionWrapper(Loss):
    """A `Loss` computed by a plain function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(jnp.asarray(y_true), jnp.asarray(y_pred))
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(self._fn_kwargs)
        return config

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"
