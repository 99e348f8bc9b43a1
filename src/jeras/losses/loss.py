"""`Loss` base class and `LossFunctionWrapper`."""

import jax
import jax.numpy as jnp

from jeras.backend.config import floatx
from jeras.backend.dtypes import standardize_dtype
from jeras.backend.masking import get_keras_mask
from jeras.backend.naming import auto_name
from jeras.losses import functions as F
from jeras.losses.reduction import (
    reduce_weighted_values,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from jeras.ops._convert import unwrap
from jeras.saving.public_names import required_public_object
from jeras.saving.serialization import serialize_keras_object


class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` returning per-sample values.

    Args:
        name: the loss's name.
        reduction: "sum_over_batch_size" (default), "sum", "mean", "mean_with_sample_weight",
            "none" or None.
        dtype: the dtype of the computation (floatx by default).

    Capability:
        exact_under_padding: a class's promise that its loss of a batch with extra rows masked
            out (weight 0 in fit()'s row mask) equals its loss of the real rows alone. fit() and
            evaluate() pad a short last batch to the common batch shape (one compiled step
            serves the whole epoch) only when every compiled loss and metric makes this
            promise; otherwise they run that batch at its own size, as Keras does. False here:
            a loss that reduces over the batch itself cannot keep it. Each class states it for
            itself; a subclass that does not restate it is not exact, since it may compute
            something else. A class whose exactness depends on its arguments states it as a
            property of the instance.
    """

    exact_under_padding = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The promise is about a class's own computation, so it is not inherited.
        if "exact_under_padding" not in vars(cls):
            cls.exact_under_padding = False

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
        """The reduced loss; `mask` marks valid samples (fit()'s padding rows are 0).

        As Keras, the mask `y_pred` carries (a model output after `Embedding(mask_zero=True)`
        or `Masking`) joins the sample weight: masked entries weigh 0, and the mean-type
        reductions divide by the number of valid entries instead of all of them."""
        output_mask = get_keras_mask(y_pred)
        y_pred = jax.tree_util.tree_map(lambda v: jnp.asarray(unwrap(v), dtype=self._dtype), y_pred)
        y_true = jax.tree_util.tree_map(lambda v: jnp.asarray(unwrap(v), dtype=self._dtype), y_true)
        values, mask = self._call_with_mask(y_true, y_pred, mask)
        values = self._checked_values(values, y_pred)
        if output_mask is not None:
            mask = self._with_output_mask(values, mask, output_mask)
        if sample_weight is not None:
            sample_weight = jnp.asarray(unwrap(sample_weight), dtype=self._dtype)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self._dtype)

    def _with_output_mask(self, values, mask, output_mask):
        output_mask = jnp.asarray(output_mask)
        values_shape = tuple(jnp.shape(values))
        mask_shape = tuple(output_mask.shape)
        # The mask must line up with the loss values: the same leading axes (a trailing axis
        # of 1 or extra trailing axes of the values are fine, as Keras aligns them).
        compatible = (
            len(mask_shape) <= len(values_shape) + 1
            and (len(mask_shape) <= len(values_shape) or mask_shape[-1] == 1)
            and all(m == v for m, v in zip(mask_shape, values_shape))
        )
        if not compatible:
            raise ValueError(
                f"Loss {self.name!r}: the model output's mask has shape {mask_shape}, but the "
                f"loss values have shape {values_shape}. The mask (from Embedding(mask_zero="
                "True) or Masking) must cover the loss's leading axes (batch, time steps): "
                "compute the loss per time step (e.g. a Dense layer on every step, with a "
                "target of shape (batch, steps, ...)), or drop the mask before the output "
                "(e.g. with GlobalAveragePooling1D)."
            )
        output_mask = output_mask.astype(self._dtype)
        if mask is None:
            return output_mask
        return output_mask * _align(jnp.asarray(mask, self._dtype), output_mask)

    def _call_with_mask(self, y_true, y_pred, mask):
        """The per-sample values and the mask to reduce them with (`mask`: fit()'s row mask)."""
        values = self._checked_values(self.call(y_true, y_pred), y_pred)
        return values, _merge_masks(values, mask, self._entry_mask(y_true, y_pred))

    # Whether values that are not a scalar must have one leading entry per sample (checked,
    # with a clear error). jeras's own losses may reduce over the batch axis by their `axis`
    # argument, as in Keras; a user's loss function may not (see `LossFunctionWrapper`).
    _returns_per_sample_values = False

    def _checked_values(self, values, y_pred):
        """The loss values as an array: a scalar, or one leading entry per sample."""
        if values is None:
            raise ValueError(
                f"The loss {self.name!r} returned None; a loss function must return its value "
                "per sample (shape (batch_size, ...)) or one scalar."
            )
        values = jnp.asarray(values)
        if not self._returns_per_sample_values:
            return values
        leaves = [leaf for leaf in jax.tree_util.tree_leaves(y_pred) if jnp.ndim(leaf)]
        if values.ndim and leaves and values.shape[0] != leaves[0].shape[0]:
            raise ValueError(
                f"The loss {self.name!r} returned values of shape {tuple(values.shape)} for a "
                f"batch of {leaves[0].shape[0]} samples (y_pred shape "
                f"{tuple(leaves[0].shape)}); a loss function must return one value per sample "
                "(a leading batch axis) or one scalar."
            )
        return values

    def _entry_mask(self, y_true, y_pred):
        return None

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"Loss {type(self).__name__} does not implement `call()`.")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _merge_masks(values, row_mask, entry_mask):
    mask = row_mask
    if entry_mask is not None:
        mask = entry_mask if row_mask is None else entry_mask * _align(row_mask, entry_mask)
    if mask is not None:
        mask = jnp.asarray(mask)
        if mask.ndim and (values.ndim == 0 or values.shape[0] != mask.shape[0]):
            # The loss reduced over the batch axis itself (e.g. a custom function returning a
            # scalar): there are no rows left to mask. Keras never pads batches, so it never
            # meets this; jeras's fit() does not pad for such losses (`exact_under_padding`).
            mask = None
    return mask


def _align(mask, values):
    mask = jnp.asarray(mask, dtype=values.dtype)
    while mask.ndim < values.ndim:
        mask = jnp.expand_dims(mask, -1)
    return mask


# jeras's loss functions whose values keep one entry per sample: rows of weight 0 add nothing to
# their weighted mean (metrics built on them share this list).
PER_SAMPLE_LOSS_FUNCTIONS = frozenset(
    {
        F.mean_squared_error,
        F.mean_absolute_error,
        F.mean_absolute_percentage_error,
        F.mean_squared_logarithmic_error,
        F.huber,
        F.log_cosh,
        F.hinge,
        F.squared_hinge,
        F.categorical_hinge,
        F.kl_divergence,
        F.poisson,
        F.cosine_similarity,
        F.binary_crossentropy,
        F.categorical_crossentropy,
        F.sparse_categorical_crossentropy,
        F.binary_focal_crossentropy,
        F.categorical_focal_crossentropy,
        F.categorical_generalized_cross_entropy,
    }
)
# Those, and the ones (dice, tversky, ctc, circle) with a form that takes fit()'s row mask:
# wrapped, they are exact under padding.
PADDING_EXACT_LOSS_FUNCTIONS = PER_SAMPLE_LOSS_FUNCTIONS | {F.dice, F.tversky, F.ctc, F.circle}


class LossFunctionWrapper(Loss):
    """A `Loss` computed by a plain function `fn(y_true, y_pred, **kwargs)`."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(jnp.asarray(y_true), jnp.asarray(y_pred))
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    @property
    def _returns_per_sample_values(self):
        # A user's function: values of another leading size would be averaged silently.
        return getattr(self.fn, "__module__", None) != F.__name__

    def _call_with_mask(self, y_true, y_pred, mask):
        masked = getattr(self.fn, "_jeras_masked", None)
        # Batch-wide jeras functions (dice, tversky, circle) have a form that takes the row mask
        # (and Circle's output mask, which Keras attaches to the function's result). A subclass
        # that overrides `call` keeps its own call.
        if masked is None or type(self).call is not LossFunctionWrapper.call:
            return super()._call_with_mask(y_true, y_pred, mask)
        y_true, y_pred = squeeze_or_expand_to_same_rank(jnp.asarray(y_true), jnp.asarray(y_pred))
        values, mask = masked(y_true, y_pred, mask, **self._fn_kwargs)
        return values, _merge_masks(values, mask, self._entry_mask(y_true, y_pred))

    @property
    def exact_under_padding(self):
        """True when `fn` is one of jeras's loss functions (`PADDING_EXACT_LOSS_FUNCTIONS`), as
        when compile() wraps `loss="mse"`; a user's function may reduce over the batch."""
        return self.fn in PADDING_EXACT_LOSS_FUNCTIONS

    def get_config(self):
        # As Keras: the function itself goes into the config, then its keyword arguments.
        config = super().get_config()
        config["fn"] = serialize_keras_object(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            # The catalogue's `deserialize` (a name gives the function) lives in the package,
            # which imports this module: found through the registry.
            deserialize = required_public_object("losses", "deserialize", "LossFunctionWrapper")
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"
