"""Turns Variables (and nested structures of them) into JAX arrays at the boundary of every op."""

import jax

from jeras.backend.variable import Variable


def unwrap(x):
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, (list, tuple)) and any(isinstance(v, Variable) for v in x):
        return type(x)(unwrap(v) for v in x)
    return x


def accepting_variables(fn, name=None):
    """Wrap a `jax.numpy`-style function so it also accepts `Variable` arguments."""

    def op(*args, **kwargs):
        args = [unwrap(a) for a in args]
        kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        return fn(*args, **kwargs)

    op.__name__ = name or getattr(fn, "__name__", "op")
    op.__qualname__ = op.__name__
    op.__doc__ = f"`keras.ops.{op.__name__}`, computed with `jax.numpy`."
    # Its parameters are those of the jax function (read by `inspect.signature`), which are not
    # always Keras's: symbolic calls record only the arguments given (see `ops/_symbolic.py`).
    op.__wrapped__ = fn
    op._jax_signature = True
    return op
