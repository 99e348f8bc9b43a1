"""Single-head attention over `[query, value(, key)]`: `Attention` (Luong, dot-product) and
`AdditiveAttention` (Bahdanau)."""

import jax
import jax.numpy as jnp

from jeras.backend.random import SeedGenerator
from jeras.layers.layer import Layer

# Masked scores are pushed down by this much before the softmax (65504 is float16's largest).
_MASK_PENALTY = {"float16": 65504.0}
_DEFAULT_MASK_PENALTY = 1.0e9


class Attention(Layer):
    """Dot-product attention, a.k.a. Luong-style attention.

    Called on `[query, value]` or `[query, value, key]` (key defaults to value), of shapes
    `(batch, Tq, dim)` and `(batch, Tv, dim)`: scores `(batch, Tq, Tv)` from query and key,
    their softmax over `Tv`, and the weighted sum of the values.

    Args:
        use_scale: whether to learn a scalar that multiplies the scores.
        score_mode: "dot" (query . key) or "concat" (sum of tanh(query + key)).
        dropout: dropout rate on the attention probabilities.
        seed: seed of the dropout.

    Call arguments: `inputs`, `mask=[query_mask, value_mask]` (the output is zero where the
    query mask is False, and masked values get no weight), `training`,
    `return_attention_scores`, `use_causal_mask`.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: `score_mode` must be one of "
                f"'dot' or 'concat', got {score_mode!r}."
            )
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: `dropout` must be in [0, 1], got "
                f"{dropout!r}."
            )
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if dropout > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True

    def build(self, input_shape):
        self._check_inputs_and_mask(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(shape=(), name="scale", initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(
                shape=(), name="concat_score_weight", initializer="ones"
            )
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = jnp.matmul(query, jnp.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = scores * self.scale.value
            return scores
        # (batch, Tq, 1, dim) + (batch, 1, Tv, dim) -> summed over dim.
        pairs = jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3)
        if self.scale is not None:
            pairs = self.scale.value * pairs
        return self.concat_score_weight.value * jnp.sum(jnp.tanh(pairs), axis=-1)

    def call(
        self,
        inputs,
        mask=None,
        training=False,
        return_attention_scores=False,
        use_causal_mask=False,
    ):
        self._check_inputs_and_mask(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        self._check_query_and_value_masks(query, value, query_mask, value_mask)
        scores = self._scores(query, key)
        scores_mask = None
        if value_mask is not None:
            scores_mask = jnp.expand_dims(jnp.asarray(value_mask).astype(bool), -2)
        if use_causal_mask:
            causal = jnp.tril(jnp.ones((1,) + scores.shape[-2:], bool))
            scores_mask = causal if scores_mask is None else jnp.logical_and(scores_mask, causal)
        if scores_mask is not None:
            penalty = _MASK_PENALTY.get(str(scores.dtype), _DEFAULT_MASK_PENALTY)
            scores = jnp.where(scores_mask, scores, scores - penalty)
        probabilities = jax.nn.softmax(scores, axis=-1)
        weights = probabilities
        if training and self.dropout > 0:
            keep = jax.random.bernoulli(
                self.seed_generator.next(), 1.0 - self.dropout, probabilities.shape
            )
            weights = jnp.where(keep, probabilities / (1.0 - self.dropout), 0.0)
        outputs = jnp.matmul(weights, value)
        if query_mask is not None:
            keep_rows = jnp.expand_dims(jnp.asarray(query_mask).astype(bool), -1)
            outputs = jnp.where(keep_rows, outputs, jnp.zeros((), outputs.dtype))
        if return_attention_scores:
            return outputs, probabilities
        return outputs

    def compute_mask(self, inputs, previous_mask=None):
        self._check_inputs_and_mask(inputs, previous_mask)
        if previous_mask is None or previous_mask[0] is None:
            return None
        return jnp.asarray(previous_mask[0])

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def _check_inputs_and_mask(self, inputs, mask=None):
        kind = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or _is_one_shape(inputs):
            raise ValueError(
                f"{kind} layer {self.name!r} must be called on a list of inputs, namely "
                "[query, value] or [query, value, key]; got one tensor."
            )
        if not 2 <= len(inputs) <= 3:
            raise ValueError(
                f"{kind} layer {self.name!r} takes a list of 2 or 3 inputs, namely "
                f"[query, value] or [query, value, key]; got {len(inputs)}."
            )
        shapes = [tuple(getattr(x, "shape", x)) for x in inputs]
        if any(len(shape) != len(shapes[0]) or len(shape) < 2 for shape in shapes):
            raise ValueError(
                f"{kind} layer {self.name!r}: query, value and key must have the same rank "
                f"(batch, ..., positions, features); got shapes {shapes}."
            )
        if mask is not None and (not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3):
            raise ValueError(
                f"{kind} layer {self.name!r}: `mask` must be a list [query_mask, value_mask]; "
                f"got {mask!r}."
            )

    def _check_query_and_value_masks(self, query, value, query_mask, value_mask):
        for name, mask, tensor in (("query", query_mask, query), ("value", value_mask, value)):
            if mask is not None and tuple(jnp.shape(mask)) != tuple(tensor.shape[:-1]):
                raise ValueError(
                    f"{type(self).__name__} layer {self.name!r}: the {name} mask must have the "
                    f"{name}'s shape without its last axis, {tuple(tensor.shape[:-1])}; got "
                    f"{tuple(jnp.shape(mask))}."
                )

    def get_config(self):
        return {
            **super().get_config(),
            "use_scale": self.use_scale,
            "score_mode": self.score_mode,
            "dropout": self.dropout,
            "seed": self.seed,
        }


def _is_one_shape(value):
    """Whether `value` is the shape of one tensor (what `build` gets for a lone input)."""
    return isinstance(value, tuple) and all(isinstance(d, (int, type(None))) for d in value)


class AdditiveAttention(Attention):
    """Additive attention, a.k.a. Bahdanau-style attention: the scores are
    `sum(scale * tanh(query + key))` over the features.

    Args:
        use_scale: whether to learn a per-feature scale of the scores (default True).
        dropout: dropout rate on the attention probabilities.
        seed: seed of the dropout.

    Call arguments: as `Attention`.
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check_inputs_and_mask(input_shape)
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(
                shape=(input_shape[0][-1],), name="scale", initializer="glorot_uniform"
            )
        self.built = True

    def _scores(self, query, key):
        pairs = jnp.tanh(jnp.expand_dims(query, -2) + jnp.expand_dims(key, -3))
        if self.scale is not None:
            pairs = self.scale.value * pairs
        return jnp.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
