"""Attention over projected heads: `MultiHeadAttention` and `GroupedQueryAttention` (exported
as `GroupQueryAttention`).

Both project query, key and value with `EinsumDense` sub-layers, attend, and project back.
Where nothing needs the attention probabilities themselves (no dropout on them, no
`return_attention_scores`) the attention is one `ops.dot_product_attention` call, which XLA
(or cuDNN) fuses; otherwise it is spelled out so the probabilities exist. Keras chooses the same
way, and the two ways differ on a query row that may attend nowhere: the fused one averages all
values there, the spelled-out one gives zeros.
"""

import math
import string

import jax
import jax.numpy as jnp
import numpy as np

from jeras import constraints, initializers, regularizers
from jeras.layers.einsum_dense import EinsumDense
from jeras.layers.layer import CallFrame, Layer, call_stack
from jeras.layers.regularization import Dropout
from jeras.ops.nn import dot_product_attention
from jeras.saving.serialization import serialize_keras_object
from jeras.utils import config_switches

# The fill of masked scores before the softmax of the spelled-out path (Keras's `Softmax`).
_MASKED_SCORE = {"float16": -3e4}
_DEFAULT_MASKED_SCORE = -1e9


class _ProjectedAttention(Layer):
    """What `MultiHeadAttention` and `GroupedQueryAttention` share: building from the shapes of
    several call arguments, the masks, the sub-layers' common arguments and the attention."""

    def _set_common_options(
        self,
        dropout,
        use_bias,
        sliding_window,
        flash_attention,
        kernel_initializer,
        bias_initializer,
        kernel_regularizer,
        bias_regularizer,
        kernel_constraint,
        bias_constraint,
        use_gate,
        seed,
    ):
        kind = type(self).__name__
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{kind} layer {self.name!r}: `dropout` must be in [0, 1], got {dropout!r}."
            )
        if sliding_window is not None and (
            not isinstance(sliding_window, int)
            or isinstance(sliding_window, bool)
            or sliding_window <= 0
        ):
            raise ValueError(
                f"{kind} layer {self.name!r}: `sliding_window` must be None or a positive "
                f"integer, got {sliding_window!r}."
            )
        if flash_attention is None:
            # `keras.config.disable_flash_attention()` (or enable) decides for layers that left
            # it open; an explicit True or False of the layer's own wins.
            flash_attention = config_switches.is_flash_attention_enabled()
        if flash_attention and dropout > 0:
            raise ValueError(
                f"{kind} layer {self.name!r}: dropout on the attention probabilities is not "
                f"possible with flash attention (got dropout={dropout}, flash_attention=True). "
                "Set dropout=0.0 or flash_attention=None."
            )
        self.supports_masking = True
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        self._sliding_window = sliding_window
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._build_shapes_dict = None

    # -- building from the shapes of query, value and key -----------------------------------------
    def __call__(self, *args, **kwargs):
        if not self.built:
            try:
                bound = self._call_signature.bind(*args, **kwargs)
            except TypeError as error:
                raise TypeError(f"{type(self).__name__} layer {self.name!r}: {error}") from None
            shapes = {}
            for name in ("query", "value", "key"):
                tensor = bound.arguments.get(name)
                if tensor is not None:
                    shapes[f"{name}_shape"] = tuple(
                        np.shape(tensor) if not hasattr(tensor, "shape") else tensor.shape
                    )
            self._build_from_shapes(shapes)
        return super().__call__(*args, **kwargs)

    def _build_from_shapes(self, shapes):
        stack = call_stack()
        stack.append(CallFrame(self, None))
        try:
            self.build(**shapes)
        finally:
            stack.pop()
        self.built = True
        self._build_shapes_dict = shapes

    def get_build_config(self):
        if self._build_shapes_dict is None:
            return None
        if len(self._build_shapes_dict) == 1:
            return {"input_shape": next(iter(self._build_shapes_dict.values()))}
        return {"shapes_dict": self._build_shapes_dict}

    def build_from_config(self, config):
        if not config or self.built:
            return
        if config.get("shapes_dict") is not None:
            shapes = {k: tuple(v) for k, v in config["shapes_dict"].items()}
        elif config.get("input_shape") is not None:
            shapes = {"query_shape": tuple(config["input_shape"])}
        else:
            return
        shapes.setdefault("value_shape", shapes["query_shape"])
        self._build_from_shapes(shapes)

    def _check_shapes(self, query_shape, value_shape, key_shape):
        kind = type(self).__name__
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError(
                f"{kind} layer {self.name!r}: all dimensions of `value` and `key` except the "
                f"last one must be equal; got value shape {tuple(value_shape)} and key shape "
                f"{tuple(key_shape)}."
            )
        if len(query_shape) != len(value_shape):
            raise ValueError(
                f"{kind} layer {self.name!r}: `query` and `value` must have the same rank; got "
                f"query shape {tuple(query_shape)} and value shape {tuple(value_shape)}."
            )
        if len(query_shape) < 3:
            raise ValueError(
                f"{kind} layer {self.name!r}: `query`, `value` and `key` need a batch axis, at "
                f"least one sequence axis and a feature axis; got query shape "
                f"{tuple(query_shape)}."
            )

    def _sublayer_options(self):
        # Fresh initializer objects per projection, as Keras does, so that no two share one.
        return dict(
            kernel_initializer=type(self._kernel_initializer).from_config(
                self._kernel_initializer.get_config()
            ),
            bias_initializer=type(self._bias_initializer).from_config(
                self._bias_initializer.get_config()
            ),
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self.activity_regularizer,
            kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
            dtype=self.dtype_policy,
        )

    # -- masks ------------------------------------------------------------------------------------
    def _attention_mask(
        self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
    ):
        """The boolean `(B, T, S)` mask combining every mask given (None if there is none)."""
        kind = type(self).__name__
        combined = None

        def merge(mask):
            nonlocal combined
            combined = mask if combined is None else jnp.logical_and(combined, mask)

        for name, mask, axis in (
            ("query_mask", query_mask, -1),
            ("value_mask", value_mask, -2),
            ("key_mask", key_mask, -2),
        ):
            if mask is None:
                continue
            mask = jnp.asarray(mask)
            expected = query.shape[:2] if name == "query_mask" else value.shape[:2]
            if query.ndim == 3 and (mask.ndim != 2 or mask.shape[1] != expected[1]):
                raise ValueError(
                    f"{kind} layer {self.name!r}: `{name}` must have shape (batch, "
                    f"{expected[1]}); got {tuple(mask.shape)} for query shape "
                    f"{tuple(query.shape)} and value shape {tuple(value.shape)}."
                )
            merge(jnp.expand_dims(mask.astype(bool), axis))
        query_length, value_length = query.shape[1], value.shape[1]
        if use_causal_mask:
            merge(_causal_mask(query_length, value_length))
        if self._sliding_window is not None:
            rows = np.arange(query_length)[:, None]
            columns = np.arange(value_length)[None, :]
            merge(jnp.asarray(np.abs(rows - columns) < self._sliding_window)[None])
        if attention_mask is not None:
            attention_mask = jnp.asarray(attention_mask)
            scores_axes = (query.shape[0], query.shape[1], value.shape[1])
            if query.ndim == 3 and (
                attention_mask.ndim > 3
                or not all(
                    m in (1, s) for m, s in zip(attention_mask.shape[::-1], scores_axes[::-1])
                )
            ):
                raise ValueError(
                    f"{kind} layer {self.name!r}: `attention_mask` of shape "
                    f"{tuple(attention_mask.shape)} does not broadcast to (batch, query "
                    f"positions, key positions) = {scores_axes} for query shape "
                    f"{tuple(query.shape)} and value shape {tuple(value.shape)}."
                )
            attention_mask = attention_mask.astype(bool)
            combined = (
                attention_mask if combined is None else jnp.logical_and(attention_mask, combined)
            )
        return combined

    def call(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        value = jnp.asarray(value, self.compute_dtype)
        key = value if key is None else jnp.asarray(key, self.compute_dtype)
        self._check_call_inputs(query, value)
        if self._flash_attention and return_attention_scores:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: attention scores cannot be returned "
                "with flash attention (flash_attention=True). Pass flash_attention=None to "
                "get them."
            )
        # A causal mask alone goes to the fused kernel as `is_causal` instead of as an array.
        causal_only = (
            use_causal_mask
            and query_mask is None
            and value_mask is None
            and key_mask is None
            and attention_mask is None
            and self._sliding_window is None
        )
        if not causal_only:
            attention_mask = self._attention_mask(
                query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask
            )
        if self._use_gate:
            gate = self._gate_dense(query)
        projected_query = self._query_dense(query)
        projected_key, projected_value = self._project_key_and_value(key, value)
        outputs, scores = self._attend(
            projected_query,
            projected_key,
            projected_value,
            None if causal_only else attention_mask,
            training,
            return_attention_scores,
            causal_only,
        )
        if self._use_gate:
            outputs = outputs * gate
        outputs = self._output_dense(outputs)
        if return_attention_scores:
            return outputs, scores
        return outputs

    def _check_call_inputs(self, query, value):
        """Raise for call inputs this kind of attention cannot take (all are welcome here)."""

    def _project_key_and_value(self, key, value):
        return self._key_dense(key), self._value_dense(value)

    def _masked_softmax(self, scores, mask, mask_axis):
        """Keras's `Softmax` with a mask over the last `num_axes` axes: masked scores are
        filled with a large negative number, and masked probabilities are zero."""
        num_axes = len(self._softmax_axes)
        if mask is not None:
            while mask.ndim < scores.ndim:
                mask = jnp.expand_dims(mask, mask_axis)
            fill = _MASKED_SCORE.get(str(scores.dtype), _DEFAULT_MASKED_SCORE)
            scores = jnp.where(mask, scores, jnp.asarray(fill, scores.dtype))
        if num_axes == 1:
            probabilities = jax.nn.softmax(scores, axis=self._softmax_axes[0])
        else:
            probabilities = jnp.exp(
                scores - jax.nn.logsumexp(scores, axis=self._softmax_axes, keepdims=True)
            )
        if mask is not None:
            probabilities = jnp.where(mask, probabilities, jnp.zeros((), probabilities.dtype))
        return probabilities


def _causal_mask(query_length, value_length):
    return jnp.asarray(np.tril(np.ones((query_length, value_length), bool)))[None]


class MultiHeadAttention(_ProjectedAttention):
    """Multi-head attention as in "Attention is all you need" (Vaswani et al., 2017).

    Query, key and value are projected to `num_heads` heads, each head attends with scaled
    dot products, and the heads are projected back to the query's last dimension (or to
    `output_shape`).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default: `key_dim`).
        dropout: dropout rate on the attention probabilities.
        use_bias: whether the projections have biases.
        output_shape: the output's shape besides the batch and sequence axes (an int or a
            tuple); default: the query's last dimension.
        attention_axes: the axes attention runs over (default: all but batch, heads and
            features).
        sliding_window: if set, a query position attends only to key positions less than this
            many positions away.
        flash_attention: True to require the fused (flash) kernel, False to refuse it, None to
            use it where the inputs allow.
        kernel_initializer / bias_initializer: default "glorot_uniform" / "zeros".
        kernel_regularizer / bias_regularizer / activity_regularizer: optional penalties.
        kernel_constraint / bias_constraint: optional constraints.
        use_gate: whether the attention output is gated by a sigmoid projection of the query.
        seed: seed of the dropout.

    Call arguments: `query` `(B, T, dim)`, `value` `(B, S, dim)`, `key` (default: `value`),
    `query_mask` `(B, T)`, `value_mask` / `key_mask` `(B, S)`, `attention_mask` `(B, T, S)`
    (True where a query position may attend to a key position), `return_attention_scores`,
    `training`, `use_causal_mask`.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for argument, value, optional in (
            ("num_heads", num_heads, False),
            ("key_dim", key_dim, False),
            ("value_dim", value_dim, True),
        ):
            if optional and value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"MultiHeadAttention layer {self.name!r}: `{argument}` must be a positive "
                    f"integer{' or None' if optional else ''}, got {value!r}."
                )
        self._set_common_options(
            dropout,
            use_bias,
            sliding_window,
            flash_attention,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
            use_gate,
            seed,
        )
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"MultiHeadAttention layer {self.name!r}: `output_shape` must be an int, a "
                    f"tuple or a list, got {output_shape!r}."
                ) from None
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(
                f"MultiHeadAttention layer {self.name!r}: `attention_axes` must be an int, a "
                f"list or a tuple, got {attention_axes!r}."
            )
        self._attention_axes = tuple(attention_axes) if attention_axes is not None else None
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(key_dim))

    # Keras reaches the projections through these properties, so its files hold them under
    # these names (GroupQueryAttention has no such properties: its files use `_query_dense`).
    saveable_attributes = ("key_dense", "output_dense", "query_dense", "value_dense")
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)
        self._query_dense = self._projection(rank, self._key_dim, "query")
        self._query_dense.build(tuple(query_shape))
        self._key_dense = self._projection(rank, self._key_dim, "key")
        self._key_dense.build(tuple(key_shape))
        if self._use_gate:
            self._gate_dense = self._projection(rank, self._value_dim, "gate", "sigmoid")
            self._gate_dense.build(tuple(query_shape))
        self._value_dense = self._projection(rank, self._value_dim, "value")
        self._value_dense.build(tuple(value_shape))
        self._build_attention(rank + 1)
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype_policy)
        # The output projection contracts heads and head size back to the output's axes.
        output_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes = _projection_equation(rank - 1, 2, len(output_shape))
        self._output_dense = EinsumDense(
            equation,
            output_shape=[None] * (rank - 2) + list(output_shape),
            bias_axes=bias_axes if self._use_bias else None,
            name="attention_output",
            **self._sublayer_options(),
        )
        heads_shape = tuple(query_shape[:-1]) + (self._num_heads, self._value_dim)
        self._output_dense.build(heads_shape)

    def _projection(self, rank, head_size, name, activation=None):
        equation, bias_axes = _projection_equation(rank - 1, 1, 2)
        return EinsumDense(
            equation,
            output_shape=[None] * (rank - 2) + [self._num_heads, head_size],
            bias_axes=bias_axes if self._use_bias else None,
            activation=activation,
            name=name,
            **self._sublayer_options(),
        )

    def _build_attention(self, rank):
        """The einsum equations of scores and combination for projected tensors of `rank`
        axes `(batch, <non-attention axes>, <attention axes>, heads, head size)`."""
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(
                a if a >= 0 else (rank - 1) + a for a in self._attention_axes
            )
        invalid = [a for a in self._attention_axes if not 0 < a < rank - 2]
        if invalid:
            raise ValueError(
                f"MultiHeadAttention layer {self.name!r}: attention_axes {invalid} are not "
                f"sequence axes of inputs of rank {rank - 1} (choose among 1..{rank - 3}, or "
                "negative counts from -2)."
            )
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(
            rank, self._attention_axes
        )
        num_axes = len(self._attention_axes)
        self._softmax_axes = tuple(range(scores_rank - num_axes, scores_rank))

    def _attend(self, query, key, value, attention_mask, training, return_scores, is_causal):
        fused = not (self._dropout > 0 or return_scores or query.ndim != 4)
        # The mask's missing axes go in front of the query positions: heads, then the
        # non-attention axes.
        mask_axis = -2 * len(self._attention_axes) - 1
        if fused:
            if attention_mask is not None:
                while attention_mask.ndim < 4:
                    attention_mask = jnp.expand_dims(attention_mask, mask_axis)
            outputs = dot_product_attention(
                query,
                key,
                value,
                mask=attention_mask,
                scale=self._inverse_sqrt_key_dim,
                is_causal=is_causal,
                flash_attention=self._flash_attention,
            )
            return outputs, None
        if is_causal:
            attention_mask = _causal_mask(query.shape[1], value.shape[1])
        query = query * jnp.asarray(self._inverse_sqrt_key_dim, query.dtype)
        scores = jnp.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask, mask_axis)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0 else scores
        outputs = jnp.einsum(self._combine_equation, dropped, value)
        return outputs, scores

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_heads": self._num_heads,
                "key_dim": self._key_dim,
                "value_dim": self._value_dim,
                "dropout": self._dropout,
                "use_bias": self._use_bias,
                "use_gate": self._use_gate,
                "output_shape": self._output_shape,
                "attention_axes": self._attention_axes,
                "sliding_window": self._sliding_window,
                "kernel_initializer": serialize_keras_object(self._kernel_initializer),
                "bias_initializer": serialize_keras_object(self._bias_initializer),
                "kernel_regularizer": serialize_keras_object(self._kernel_regularizer),
                "bias_regularizer": serialize_keras_object(self._bias_regularizer),
                "activity_regularizer": serialize_keras_object(self.activity_regularizer),
                "kernel_constraint": serialize_keras_object(self._kernel_constraint),
                "bias_constraint": serialize_keras_object(self._bias_constraint),
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("output_shape", "attention_axes"):
            if isinstance(config.get(key), list):
                config[key] = tuple(config[key])
        return cls(**config)


class GroupedQueryAttention(_ProjectedAttention):
    """Grouped-query attention (Ainslie et al., 2023): `num_query_heads` query heads share
    `num_key_value_heads` key and value heads, `num_query_heads // num_key_value_heads` each
    (multi-query attention when there is one key/value head).

    Args:
        head_dim: size of each attention head.
        num_query_heads: number of query heads.
        num_key_value_heads: number of key and value heads; must divide `num_query_heads`.
        dropout: dropout rate on the attention probabilities.
        use_bias: whether the projections have biases.
        sliding_window: if set, a query position attends only to key positions less than this
            many positions away.
        flash_attention: True to require the fused (flash) kernel, False to refuse it, None to
            use it where the inputs allow.
        kernel_initializer / bias_initializer: default "glorot_uniform" / "zeros".
        kernel_regularizer / bias_regularizer / activity_regularizer: optional penalties.
        kernel_constraint / bias_constraint: optional constraints.
        use_gate: whether the attention output is gated by a sigmoid projection of the query.
        seed: seed of the dropout.

    Call arguments: as `MultiHeadAttention` (inputs of shape `(B, T, dim)` and `(B, S, dim)`).

    Exported as `GroupQueryAttention`, as in Keras, whose class of that name is
    `GroupedQueryAttention` (its automatic names and the paths of its weights in files follow
    the class name: `grouped_query_attention`).
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(
        self,
        head_dim,
        num_query_heads,
        num_key_value_heads,
        dropout=0.0,
        use_bias=True,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for argument, value in (
            ("head_dim", head_dim),
            ("num_query_heads", num_query_heads),
            ("num_key_value_heads", num_key_value_heads),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"GroupedQueryAttention layer {self.name!r}: `{argument}` must be a positive "
                    f"integer, got {value!r}."
                )
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(
                f"GroupedQueryAttention layer {self.name!r}: `num_query_heads` must be divisible "
                f"by `num_key_value_heads`; got num_query_heads={num_query_heads} and "
                f"num_key_value_heads={num_key_value_heads}."
            )
        self._set_common_options(
            dropout,
            use_bias,
            sliding_window,
            flash_attention,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            kernel_constraint,
            bias_constraint,
            use_gate,
            seed,
        )
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads
        self._inverse_sqrt_head_dim = 1.0 / math.sqrt(float(head_dim))
        self._softmax_axes = (-1,)

    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    use_gate = property(lambda self: self._use_gate)
    sliding_window = property(lambda self: self._sliding_window)

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self._check_shapes(query_shape, value_shape, key_shape)
        if len(query_shape) != 3:
            raise ValueError(
                f"GroupedQueryAttention layer {self.name!r}: inputs must have shape (batch, "
                f"sequence, features); got query shape {tuple(query_shape)}."
            )
        self.feature_dim = query_shape[-1]
        heads = (None, self.num_query_heads, self.head_dim)
        kv_heads = (None, self.num_key_value_heads, self.head_dim)
        bias = self._use_bias
        self._query_dense = self._projection(
            "bqm,muh->bquh", heads, "uh" if bias else None, "query"
        )
        self._query_dense.build(tuple(query_shape))
        self._key_dense = self._projection("bkm,mvh->bkvh", kv_heads, "vh" if bias else None, "key")
        self._key_dense.build(tuple(key_shape))
        if self._use_gate:
            self._gate_dense = self._projection(
                "bqm,muh->bquh", heads, "uh" if bias else None, "gate", "sigmoid"
            )
            self._gate_dense.build(tuple(query_shape))
        self._value_dense = self._projection(
            "bkm,mvh->bkvh", kv_heads, "vh" if bias else None, "value"
        )
        self._value_dense.build(tuple(value_shape))
        self._dropout_layer = Dropout(rate=self._dropout, seed=self.seed, dtype=self.dtype_policy)
        self._output_dense = self._projection(
            "bquh,uhm->bqm", (None, self.feature_dim), "m" if bias else None, "attention_output"
        )
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))

    def _projection(self, equation, output_shape, bias_axes, name, activation=None):
        return EinsumDense(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes,
            activation=activation,
            name=name,
            **self._sublayer_options(),
        )

    def _check_call_inputs(self, query, value):
        if query.shape[-1] != value.shape[-1]:
            raise ValueError(
                f"GroupedQueryAttention layer {self.name!r}: the last dimension of `query` and "
                f"`value` must be equal; got query shape {tuple(query.shape)} and value shape "
                f"{tuple(value.shape)}."
            )

    def _project_key_and_value(self, key, value):
        # Each key/value head serves `num_repeats` consecutive query heads.
        return (
            jnp.repeat(self._key_dense(key), self.num_repeats, axis=2),
            jnp.repeat(self._value_dense(value), self.num_repeats, axis=2),
        )

    def _attend(self, query, key, value, attention_mask, training, return_scores, is_causal):
        if not (self._dropout > 0 or return_scores):
            if attention_mask is not None:
                while attention_mask.ndim < 4:
                    attention_mask = jnp.expand_dims(attention_mask, -3)
            outputs = dot_product_attention(
                query,
                key,
                value,
                mask=attention_mask,
                scale=self._inverse_sqrt_head_dim,
                is_causal=is_causal,
                flash_attention=self._flash_attention,
            )
            return outputs, None
        if is_causal:
            attention_mask = _causal_mask(query.shape[1], value.shape[1])
        query = query * jnp.asarray(self._inverse_sqrt_head_dim, query.dtype)
        scores = jnp.einsum("bquh,bkuh->buqk", query, key)
        scores = self._masked_softmax(scores, attention_mask, -3)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0 else scores
        return jnp.einsum("buqk,bkuh->bquh", dropped, value), scores

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        return tuple(query_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "use_bias": self._use_bias,
                "use_gate": self._use_gate,
                "sliding_window": self._sliding_window,
                "dropout": self._dropout,
                "kernel_initializer": serialize_keras_object(self._kernel_initializer),
                "bias_initializer": serialize_keras_object(self._bias_initializer),
                "kernel_regularizer": serialize_keras_object(self._kernel_regularizer),
                "bias_regularizer": serialize_keras_object(self._bias_regularizer),
                "activity_regularizer": serialize_keras_object(self.activity_regularizer),
                "kernel_constraint": serialize_keras_object(self._kernel_constraint),
                "bias_constraint": serialize_keras_object(self._bias_constraint),
                "seed": self.seed,
            }
        )
        return config


# -- einsum equations ----------------------------------------------------------------------------
def _projection_equation(free_dims, bound_dims, output_dims):
    """`(equation, bias_axes)` of a projection that keeps `free_dims` leading axes, contracts
    `bound_dims` axes with the kernel and produces `output_dims` new ones."""
    letters = string.ascii_lowercase
    free = letters[:free_dims]
    bound = letters[free_dims : free_dims + bound_dims]
    produced = letters[free_dims + bound_dims : free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{produced}->{free}{produced}", produced


def _attention_equations(rank, attention_axes):
    """Scores and combination equations for projected tensors of `rank` axes.

    Scores: key `(<batch>, <key positions>, heads, size)` and query `(<batch>, <query
    positions>, heads, size)` give `(<batch>, heads, <query positions>, <key positions>)`,
    where `<batch>` is every axis not attended over. Combination: scores and value give the
    query's layout back.
    """
    letters = string.ascii_lowercase
    query_term = letters[:rank]
    batch_axes = [i for i in range(rank - 1) if i not in attention_axes]
    extra = iter(letters[rank:])
    key_term = "".join(
        query_term[i] if i in batch_axes or i == rank - 1 else next(extra) for i in range(rank)
    )
    scores_term = (
        "".join(query_term[i] for i in batch_axes)
        + "".join(query_term[i] for i in attention_axes)
        + "".join(key_term[i] for i in attention_axes)
    )
    return (
        f"{key_term},{query_term}->{scores_term}",
        f"{scores_term},{key_term}->{query_term}",
        len(scores_term),
    )


# Keras exports its GroupedQueryAttention class under this name only.
GroupQueryAttention = GroupedQueryAttention
