"""Layers that wrap another layer: `Bidirectional` (a recurrent layer run both ways) and
`TimeDistributed` (a layer applied to every time step)."""

import jax
import jax.numpy as jnp

from jeras.layers.layer import Layer, build_sublayer
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges their outputs.

    Args:
        layer: the recurrent layer (`LSTM`, `GRU`, `SimpleRNN`, an `RNN`, ...); the forward
            layer is a copy of it named `forward_<name>`.
        merge_mode: how the two outputs are combined: "concat" (default), "sum", "mul", "ave",
            or None (a list of the two).
        weights: optional initial weights (the forward layer's, then the backward layer's).
        backward_layer: the layer that reads the sequence backwards; by default a copy of
            `layer` with `go_backwards=True`, named `backward_<name>`.

    Call arguments: `sequences`, `initial_state` (the forward states then the backward ones),
    `mask`, `training`.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Bidirectional: `layer` must be a jeras `Layer` instance, got {layer!r}."
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"Bidirectional: `backward_layer` must be a jeras `Layer` instance, got "
                f"{backward_layer!r}."
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: `merge_mode` must be one of 'sum', 'mul', 'ave', 'concat' or "
                f"None, got {merge_mode!r}."
            )
        super().__init__(**kwargs)
        self.forward_layer = _renamed_copy(layer, "forward_")
        if backward_layer is None:
            backward_layer = _renamed_copy(layer, "backward_", go_backwards=True)
        self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._check_directions()
        for direction in (self.forward_layer, self.backward_layer):
            # As Keras: inside Bidirectional, masked steps of a returned sequence are zeros.
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = list(weights) if weights else None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _check_directions(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                f"Bidirectional {self.name!r}: the forward and backward layers must read in "
                f"opposite directions, but both have go_backwards={forward.go_backwards}."
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(
                    f"Bidirectional {self.name!r}: the forward and backward layers must have "
                    f"the same `{attribute}`, got {getattr(forward, attribute)} (forward) and "
                    f"{getattr(backward, attribute)} (backward)."
                )

    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                build_sublayer(self, direction, tuple(sequences_shape))
        if self._initial_weights is not None:
            half = len(self._initial_weights) // 2
            self.forward_layer.set_weights(self._initial_weights[:half])
            self.backward_layer.set_weights(self._initial_weights[half:])
            self._initial_weights = None
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {}
        if self.forward_layer._call_has_training:
            kwargs["training"] = training
        if self.forward_layer._call_has_mask and mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_reversed = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_reversed[1:])
            y, y_reversed = y[0], y_reversed[0]
        if self.return_sequences:
            # The backward layer's outputs come in its processing order: put them back in time
            # order before merging.
            y_reversed = jnp.flip(y_reversed, axis=1)
        if self.merge_mode == "concat":
            output = jnp.concatenate([y, y_reversed], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_reversed
        elif self.merge_mode == "ave":
            output = (y + y_reversed) / 2
        elif self.merge_mode == "mul":
            output = y * y_reversed
        else:
            output = (y, y_reversed)
        if self.return_state:
            if self.merge_mode is None:
                return output + states
            return (output,) + states
        return output

    def compute_mask(self, inputs, previous_mask):
        if isinstance(previous_mask, list):
            previous_mask = previous_mask[0]
        if self.return_sequences:
            output_mask = previous_mask if self.merge_mode else (previous_mask, previous_mask)
        else:
            output_mask = None if self.merge_mode else (None, None)
        if self.return_state and self.states is not None:
            state_masks = tuple(None for _ in self.states)
            if not isinstance(output_mask, tuple):
                output_mask = (output_mask,)
            return output_mask + state_masks
        return output_mask

    @property
    def states(self):
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    def reset_states(self):
        self.reset_state()

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(
                f"Bidirectional {self.name!r}: reset_state() needs a stateful layer "
                "(`stateful=True` on the wrapped layer)."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def get_config(self):
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize_keras_object(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_keras_object(
                backward, custom_objects=custom_objects
            )
        return cls(**config)


def _renamed_copy(layer, prefix, **overrides):
    """A fresh layer from `layer`'s config, named `<prefix><name>` (a name that already has the
    prefix keeps it once)."""
    config = serialize_keras_object(layer)
    name = layer.name[len(prefix) :] if layer.name.startswith(prefix) else layer.name
    config["config"] = {**config["config"], "name": prefix + name, **overrides}
    return deserialize_keras_object(config)


class TimeDistributed(Layer):
    """Applies a layer to every time step (axis 1) of its inputs, with the same weights.

    A layer without non-trainable state (Dense, convolutions, pooling, Dropout, ...) is applied
    once to the batch and time axes folded together, which computes the same per step; a layer
    with non-trainable state (such as BatchNormalization's moving statistics, updated once per
    step in Keras) is applied step by step, as Keras does.

    Args:
        layer: the layer to apply; it sees inputs of shape `(batch, ...)`.
    """

    rows_independent = True  # see Layer.rows_independent

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed: `layer` must be a jeras `Layer` instance, got {layer!r}."
            )
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _step_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed {self.name!r} needs inputs of rank 3 or more (batch, "
                f"timesteps, ...), got an input of shape {input_shape}."
            )
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        step_shape = self._step_shape(tuple(input_shape))
        if not self.layer.built:
            build_sublayer(self, self.layer, step_shape)
        self.built = True

    def call(self, inputs, training=None, mask=None):
        self._step_shape(tuple(inputs.shape))
        batch_size, timesteps = inputs.shape[0], inputs.shape[1]
        if mask is not None and tuple(mask.shape[:2]) != (batch_size, timesteps):
            raise ValueError(
                f"TimeDistributed {self.name!r}: the mask of shape {tuple(mask.shape)} does not "
                f"match the (batch, timesteps) = {(batch_size, timesteps)} of the inputs "
                f"{tuple(inputs.shape)}."
            )
        kwargs = {}
        if self.layer._call_has_training:
            kwargs["training"] = training
        if self.layer.non_trainable_weights:
            return self._step_by_step(inputs, mask, kwargs)
        folded = jnp.reshape(inputs, (batch_size * timesteps, *inputs.shape[2:]))
        if self.layer._call_has_mask and mask is not None:
            kwargs["mask"] = jnp.reshape(mask, (batch_size * timesteps, *mask.shape[2:]))
        outputs = self.layer.call(folded, **kwargs)
        return jax.tree_util.tree_map(
            lambda out: jnp.reshape(out, (batch_size, timesteps, *out.shape[1:])), outputs
        )

    def _step_by_step(self, inputs, mask, kwargs):
        steps = []
        for t in range(inputs.shape[1]):
            if self.layer._call_has_mask and mask is not None:
                kwargs["mask"] = mask[:, t]
            steps.append(self.layer.call(inputs[:, t], **kwargs))
        return jax.tree_util.tree_map(lambda *outs: jnp.stack(outs, axis=1), *steps)

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def compute_output_shape(self, input_shape):
        step_output = self.layer.compute_output_shape(self._step_shape(tuple(input_shape)))
        return (step_output[0], input_shape[1], *step_output[1:])

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)
