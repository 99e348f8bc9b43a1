"""Merging layers: combine a list of tensors into one (`Concatenate`, `Add`, `Subtract`,
`Multiply`, `Average`, `Maximum`, `Minimum`, `Dot`), plus the lower-case functional forms that
build the layer and call it at once (`concatenate([a, b])`)."""

import jax
import jax.numpy as jnp

from jeras.backend.config import epsilon
from jeras.backend.masking import get_keras_mask, set_keras_mask
from jeras.layers.layer import Layer


class _Merge(Layer):
    """Element-wise merge of two or more inputs whose per-sample shapes broadcast.

    As in Keras, an input of lower rank gets length-1 axes inserted right after the batch axis,
    so `(batch, 3)` merges with `(batch, 4, 3)`.
    """

    rows_independent = True  # see Layer.rows_independent

    min_inputs = 1
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs):
        # Checked on every call too: a built layer may later see arrays of other shapes, and
        # the error should name the layer instead of coming from a broadcast deep inside.
        self._check_shapes([tuple(x.shape) for x in self._as_list(inputs)])
        inputs = list(inputs)
        max_rank = max(x.ndim for x in inputs)
        if all(x.ndim == max_rank for x in inputs):
            return self._merge(inputs)
        # Inputs of lower rank are reshaped, and the new arrays carry no mask (as in Keras).
        inputs = [x.reshape(x.shape[:1] + (1,) * (max_rank - x.ndim) + x.shape[1:]) for x in inputs]
        return self._merge(inputs)

    def _merge(self, inputs):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        # As Keras: the output step is valid where any input's step is, and there is no mask
        # unless every input has one.
        if mask is None:
            return None
        _check_mask_list(self, inputs, mask)
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = jnp.logical_or(output_mask, m)
        return output_mask

    def _as_list(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} must be called on a list of "
                f"tensors, got a single input of shape {getattr(inputs, 'shape', None)}."
            )
        return list(inputs)

    def _check_count(self, shapes):
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            wanted = (
                f"exactly {self.min_inputs}"
                if self.min_inputs == self.max_inputs
                else f"at least {self.min_inputs}"
            )
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} must be called on {wanted} "
                f"input(s), got {n} with shapes {[_shape(s) for s in shapes]}."
            )

    def _check_shapes(self, input_shape):
        shapes = self._as_list(input_shape)
        if shapes and not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} must be called on a list of "
                f"tensors, got input shape {_shape(input_shape)}."
            )
        self._check_count(shapes)
        shapes = [_shape(s) for s in shapes]
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: inputs have different batch "
                f"sizes; received shapes {shapes}."
            )
        merged = ()
        for shape in shapes:
            merged = _broadcast_sample_shapes(merged, shape[1:])
            if merged is None:
                raise ValueError(
                    f"{type(self).__name__} layer {self.name!r}: inputs have incompatible "
                    f"shapes {shapes}; apart from the batch axis each axis must be equal or 1."
                )

    def compute_output_shape(self, input_shape):
        shapes = [_shape(s) for s in input_shape]
        merged = ()
        for shape in shapes:
            merged = _broadcast_sample_shapes(merged, shape[1:])
        batch_sizes = {s[0] for s in shapes if s} - {None}
        return (batch_sizes.pop() if len(batch_sizes) == 1 else None,) + tuple(merged)


class Add(_Merge):
    """Element-wise sum of a list of inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """`inputs[0] - inputs[1]`, for exactly two inputs."""

    min_inputs = max_inputs = 2

    def _merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Element-wise product of a list of inputs."""

    def _merge(self, inputs):
        masks = [get_keras_mask(x) for x in inputs]
        if all(m is None for m in masks):
            out = inputs[0]
            for x in inputs[1:]:
                out = out * x
            return out
        # As Keras: masked steps count as 1 in the product; when every input is masked, the
        # output is 0 where no input is valid and carries the OR of the masks.
        every_input_masked = all(m is not None for m in masks)
        out, out_mask = None, None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = jnp.broadcast_to(jnp.expand_dims(mask, -1), x.shape)
                x = jnp.where(mask, x, jnp.ones((), x.dtype))
                if every_input_masked:
                    out_mask = mask if out_mask is None else jnp.logical_or(out_mask, mask)
            out = x if out is None else out * x
        if every_input_masked:
            out = jnp.where(out_mask, out, jnp.zeros((), out.dtype))
            set_keras_mask(out, jnp.any(out_mask, axis=-1))
        return out


class Average(_Merge):
    """Element-wise mean of a list of inputs."""

    def _merge(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out / len(inputs)


class Maximum(_Merge):
    """Element-wise maximum of a list of inputs."""

    def _merge(self, inputs):
        return _merge_with_masks(jnp.maximum, inputs)


class Minimum(_Merge):
    """Element-wise minimum of a list of inputs."""

    def _merge(self, inputs):
        return _merge_with_masks(jnp.minimum, inputs)


class Concatenate(_Merge):
    """Joins a list of inputs along `axis` (default -1, the last); all other axes must match.

    Args:
        axis: the concatenation axis; it counts the batch axis, as in `numpy.concatenate`.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        inputs = self._as_list(inputs)
        self._check_shapes([tuple(x.shape) for x in inputs])
        return jnp.concatenate(inputs, axis=self.axis)

    def _check_shapes(self, input_shape):
        shapes = self._as_list(input_shape)
        if not shapes or not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(
                f"Concatenate layer {self.name!r} must be called on a list of at least one "
                f"tensor, got input shape {_shape(input_shape)}."
            )
        shapes = [_shape(s) for s in shapes]
        ranks = {len(s) for s in shapes}
        problem = None
        if len(ranks) > 1:
            problem = "inputs have different ranks"
        else:
            rank = ranks.pop()
            if not -rank <= self.axis < rank:
                problem = f"axis={self.axis} is out of range for inputs of rank {rank}"
            else:
                axis = self.axis % rank
                for i in range(rank):
                    known = {s[i] for s in shapes} - {None}
                    if i != axis and len(known) > 1:
                        problem = f"axis {i} differs"
                        break
        if problem is not None:
            raise ValueError(
                f"Concatenate layer {self.name!r} needs inputs of matching shapes except on the "
                f"concatenation axis (axis={self.axis}), but {problem}; received shapes "
                f"{shapes}."
            )

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        _check_mask_list(self, inputs, mask)
        if all(m is None for m in mask):
            return None
        # Each input's mask widened to the input's rank (all True for an unmasked input),
        # joined like the inputs, then a step is valid where any of its entries is.
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(jnp.ones(x.shape, bool))
            elif m.ndim < x.ndim:
                masks.append(jnp.broadcast_to(jnp.expand_dims(m, -1), x.shape))
            else:
                masks.append(m)
        return jnp.any(jnp.concatenate(masks, axis=self.axis), axis=-1)

    def compute_output_shape(self, input_shape):
        shapes = [_shape(s) for s in input_shape]
        out = list(shapes[0])
        sizes = [s[self.axis] for s in shapes]
        out[self.axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Per-sample dot product of two inputs, contracting `axes` (one per input).

    Args:
        axes: an int (the same axis of both inputs) or a pair of ints; axis 0 is the batch axis
            and cannot be contracted.
        normalize: L2-normalize both inputs along the contracted axes first, so a dot product
            of vectors is their cosine similarity.

    The output holds the first input's remaining axes, then the second's; a result with only
    the batch axis left gets a trailing axis of length 1, as in Keras.
    """

    rows_independent = True  # see Layer.rows_independent

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes
            ):
                raise ValueError(
                    f"Dot layer {self.name!r}: `axes` must be an int or a pair of ints, got "
                    f"axes={axes!r}."
                )
        elif not isinstance(axes, int) or isinstance(axes, bool):
            raise TypeError(
                f"Dot layer {self.name!r}: `axes` must be an int or a pair of ints, got "
                f"axes={axes!r}."
            )
        self.axes = axes
        self.normalize = normalize

    def _pair_axes(self, shapes):
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        return tuple(a % len(s) if a < 0 else a for a, s in zip(axes, shapes))

    def _check_shapes(self, input_shape):
        shapes = self._as_list(input_shape)
        if not all(isinstance(s, (list, tuple)) for s in shapes):
            raise ValueError(
                f"Dot layer {self.name!r} must be called on a list of 2 tensors, got input "
                f"shape {_shape(input_shape)}."
            )
        self._check_count(shapes)
        shapes = [_shape(s) for s in shapes]
        if any(len(s) < 2 for s in shapes):
            raise ValueError(
                f"Dot layer {self.name!r} needs inputs of rank >= 2 (batch plus at least one "
                f"axis), received shapes {shapes}."
            )
        batch_sizes = {s[0] for s in shapes} - {None}
        axes = self._pair_axes(shapes)
        problem = None
        if len(batch_sizes) > 1:
            problem = "the batch sizes differ"
        elif any(not 0 < a < len(s) for a, s in zip(axes, shapes)):
            problem = "an axis is the batch axis or out of range"
        else:
            d1, d2 = shapes[0][axes[0]], shapes[1][axes[1]]
            if d1 is not None and d2 is not None and d1 != d2:
                problem = f"the contracted axes have sizes {d1} and {d2}"
        if problem is not None:
            raise ValueError(
                f"Dot layer {self.name!r}: cannot contract axes {axes} of inputs with shapes "
                f"{shapes[0]} and {shapes[1]}: {problem}."
            )

    def call(self, inputs):
        inputs = self._as_list(inputs)
        self._check_shapes([tuple(x.shape) for x in inputs])
        x1, x2 = inputs
        a1, a2 = self._pair_axes([x1.shape, x2.shape])
        if self.normalize:
            x1, x2 = _l2_normalize(x1, a1), _l2_normalize(x2, a2)
        out = jax.lax.dot_general(x1, x2, (((a1,), (a2,)), ((0,), (0,))))
        if out.ndim == 1:
            out = out[:, None]
        return out

    def compute_mask(self, inputs, mask=None):
        # The contracted axis is gone: no mask, as in Keras.
        return None

    def compute_output_shape(self, input_shape):
        s1, s2 = (list(_shape(s)) for s in input_shape)
        a1, a2 = self._pair_axes([s1, s2])
        out = (
            [s1[0]]
            + [d for i, d in enumerate(s1) if i not in (0, a1)]
            + [d for i, d in enumerate(s2) if i not in (0, a2)]
        )
        return tuple(out) if len(out) > 1 else tuple(out) + (1,)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


# -- functional forms ----------------------------------------------------------------------------
def add(inputs, **kwargs):
    """`Add(**kwargs)(inputs)`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """`Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """`Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """`Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """`Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`Concatenate(axis, **kwargs)(inputs)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """`Dot(axes, **kwargs)(inputs)`."""
    return Dot(axes=axes, **kwargs)(inputs)


# -- helpers -------------------------------------------------------------------------------------
def _check_mask_list(layer, inputs, mask):
    if not isinstance(mask, (list, tuple)):
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: `mask` should be a list (one mask or "
            f"None per input). Received: mask={mask!r}"
        )
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: `inputs` should be a list. "
            f"Received an input of shape {getattr(inputs, 'shape', None)}."
        )
    if len(mask) != len(inputs):
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r}: the lists `inputs` and `mask` "
            f"should have the same length. Received {len(inputs)} inputs and {len(mask)} masks."
        )


def _merge_with_masks(op, inputs):
    """Fold `op` over the inputs where their steps are valid (Keras's Maximum/Minimum): a
    masked step takes the other operand's value, and the output carries the OR of the masks
    when every input has one."""
    out, out_mask = None, None
    for x in inputs:
        mask = get_keras_mask(x)
        if mask is not None:
            mask = jnp.broadcast_to(jnp.expand_dims(mask, -1), x.shape)
        if out is None:
            out, out_mask = x, mask
            continue
        if mask is not None:
            x = jnp.where(mask, x, out)
        if out_mask is not None:
            out = jnp.where(out_mask, out, x)
        out_mask = (
            jnp.logical_or(out_mask, mask) if (mask is not None and out_mask is not None) else None
        )
        out = op(out, x)
    if out_mask is not None:
        set_keras_mask(out, jnp.any(out_mask, axis=-1))
    return out


def _shape(shape):
    return tuple(shape) if isinstance(shape, (list, tuple)) else shape


def _broadcast_sample_shapes(a, b):
    """The broadcast of two per-sample shapes aligned on their last axes (None = unknown), or
    None when they cannot broadcast."""
    if len(a) < len(b):
        a, b = b, a
    out = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b) :], b):
        if i is None or j is None:
            out.append(j if i == 1 else i if j == 1 else None)
        elif i == 1 or j == 1 or i == j:
            out.append(j if i == 1 else i)
        else:
            return None
    return tuple(out)


def _l2_normalize(x, axis):
    # x * rsqrt(sum x^2), with the inverse norm capped at 1/epsilon so zero vectors stay zero.
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv_norm, 1.0 / epsilon())
