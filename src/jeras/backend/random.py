"""Seed streams: `SeedGenerator` keeps its state in a `Variable`, so random layers draw fresh keys
on every step both eagerly and inside a compiled `fit()` step."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.naming import uniquify
from jeras.backend.variable import Variable

_global_seed = None
# The host-side stream for initial weights; kept apart from NumPy's global generator so that
# building a model does not change the data order `np.random` gives fit().
_host_rng = [np.random.default_rng()]


def host_generator():
    return _host_rng[0]


def set_random_seed(seed):
    """Seed Python's `random`, NumPy and every `SeedGenerator` created after this call."""
    import random as _random

    global _global_seed
    if not isinstance(seed, int):
        raise ValueError(f"set_random_seed: `seed` must be an int, got {seed!r}.")
    _global_seed = seed
    _random.seed(seed)
    np.random.seed(seed)
    _host_rng[0] = np.random.default_rng(seed)
    # Restart the numbering of unseeded generators too: a model built again after the same
    # `set_random_seed` call draws the same dropout masks (as in Keras).
    _counter[0] = 0


class SeedGenerator:
    """A stream of JAX PRNG keys, as `keras.random.SeedGenerator(seed=None)`."""

    def __init__(self, seed=None, name=None):
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1)) if _global_seed is None else _global_seed
            if _global_seed is not None:
                # Different generators must still differ under a global seed.
                seed = (_global_seed * 1_000_003 + _next_index()) % (2**31 - 1)
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator: `seed` must be an int or None, got {seed!r}.")
        self._initial_seed = int(seed)
        self.name = name or uniquify("seed_generator")
        self.state = Variable(
            np.array([0, int(seed)], dtype=np.uint32),
            dtype="uint32",
            trainable=False,
            name="seed_generator_state",
        )

    def next(self):
        """A fresh key; advances the state (through the state scope when traced)."""
        state = self.state.value
        key = jax.random.fold_in(jax.random.PRNGKey(state[1]), state[0])
        self.state.assign(state + jnp.array([1, 0], dtype="uint32"))
        return key

    def get_config(self):
        return {"seed": self._initial_seed}


_counter = [0]


def _next_index():
    _counter[0] += 1
    return _counter[0]


class UnseededRandomInTrace(ValueError):
    """An unseeded random op met while JAX traces: its draw would be a compiled constant."""


def draw_seed(seed):
    """A key from an int, a `SeedGenerator` or None (a fresh, non-reproducible key)."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        if is_tracing():
            # A key drawn on the host while JAX traces would be baked into the compiled
            # function: the same "random" values on every call. Keras on JAX refuses it too.
            raise UnseededRandomInTrace(
                "An unseeded random op (`seed=None`) was called while JAX traces a function "
                "(inside fit(), evaluate(), predict(), jax.jit or a stateless call). Its draw "
                "would become a constant of the compiled function. Create a "
                "`keras.random.SeedGenerator` in the layer's `__init__` (e.g. "
                "`self.seed_generator = keras.random.SeedGenerator(seed=1337)`) and pass it as "
                "`seed=self.seed_generator` to the random op."
            )
        return jax.random.PRNGKey(int(np.random.randint(0, 2**31 - 1)))
    if isinstance(seed, (int, np.integer)):
        return jax.random.PRNGKey(int(seed))
    return seed


def is_tracing():
    """Whether JAX is tracing a function now (arrays made here would be tracers)."""
    return isinstance(jnp.zeros(()), jax.core.Tracer)
