"""A bounded cache of compiled programs: each program is one `jax.jit` of its own, keyed by what
it runs and the shapes and dtypes of its arguments, and the least recently used is dropped (and
its executable freed) past a capacity.

`jax.jit` alone keeps every shape it has ever seen, in caches that hold their executables for the
life of the process: a model called on ever new shapes grows without bound. Here a program that
falls out of the cache is a function nothing refers to any more, and its jit caches are cleared,
so its memory goes back.
"""

import collections
import threading

import jax
import numpy as np

# Programs one cache (one engine, one model's eager calls) keeps. Padding to a few sizes
# (`trainer/feeds.py`) keeps the programs of a loop well under this; the bound only matters for
# a stream of truly new shapes.
MAX_PROGRAMS = 64


class ProgramCache:
    """Compiled programs, at most `capacity`, the least recently used dropped first.

    Args:
        capacity: how many compiled programs to keep.

    Attributes:
        compiled: how many programs this cache has compiled over its life (a program dropped
            and needed again counts twice).
    """

    def __init__(self, capacity=MAX_PROGRAMS):
        self.capacity = capacity
        self.compiled = 0
        self._programs = collections.OrderedDict()
        self._lock = threading.Lock()

    def function(self, key, run, donate_argnums=(), fixed_args=1):
        """`run` compiled once per shape signature of its arguments, under `key`. The first
        `fixed_args` arguments (the state: same shapes for the cache's life) are left out of
        the signature, so a call costs one walk over the small arguments only."""
        return CachedFunction(self, key, run, donate_argnums, fixed_args)

    def __len__(self):
        return len(self._programs)

    def programs_under(self, key):
        with self._lock:
            return sum(1 for held_key, _ in self._programs if held_key == key)

    def clear(self):
        """Drop every program (the engine is being replaced)."""
        with self._lock:
            dropped = list(self._programs.values())
            self._programs.clear()
        for program in dropped:
            program.clear_cache()

    def _program(self, key, signature, run, donate_argnums):
        full_key = (key, signature)
        with self._lock:
            program = self._programs.get(full_key)
            if program is not None:
                self._programs.move_to_end(full_key)
                return program

            # A function object of its own: JAX's caches are keyed by the function, so once
            # dropped here nothing keeps this program's traces and executable alive.
            def program_fn(*args):
                return run(*args)

            program = jax.jit(program_fn, donate_argnums=donate_argnums)
            self._programs[full_key] = program
            self.compiled += 1
            evicted = []
            while len(self._programs) > self.capacity:
                evicted.append(self._programs.popitem(last=False)[1])
        for old in evicted:
            # A caller still running `old` keeps its executable until it returns.
            old.clear_cache()
        return program


class CachedFunction:
    """What `ProgramCache.function` returns: called like the function it compiles."""

    def __init__(self, cache, key, run, donate_argnums, fixed_args):
        self.cache = cache  # the `ProgramCache` holding the programs
        self._key = key
        self._run = run
        self._donate_argnums = donate_argnums
        self._fixed_args = fixed_args

    def __call__(self, *args):
        signature = shape_signature(args[self._fixed_args :])
        program = self.cache._program(self._key, signature, self._run, self._donate_argnums)
        return program(*args)

    def _cache_size(self):
        """Programs held for this function (the name `jax.jit` functions report it by)."""
        return self.cache.programs_under(self._key)


def shape_signature(args):
    """The structure, shapes and dtypes of `args`: what makes `jax.jit` compile anew."""
    leaves, treedef = jax.tree_util.tree_flatten(args)
    return (treedef, tuple(_leaf_signature(leaf) for leaf in leaves))


def _leaf_signature(leaf):
    shape = getattr(leaf, "shape", None)
    dtype = getattr(leaf, "dtype", None)
    if shape is None or dtype is None:
        # Python scalars trace as weakly typed values of their type.
        return (type(leaf),)
    return (tuple(shape), np.dtype(dtype), bool(getattr(leaf, "weak_type", False)))
