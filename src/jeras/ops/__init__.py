"""`jeras.ops`: the array API named as `keras.ops`, so user code needs no JAX import.

Everything accepts JAX arrays, NumPy arrays, Python numbers and `jeras.Variable`s.
"""

from jeras.ops import core, image, nn, numpy  # noqa: F401
from jeras.ops.core import *  # noqa: F401,F403
from jeras.ops.nn import *  # noqa: F401,F403
from jeras.ops.numpy import *  # noqa: F401,F403
from jeras.ops.numpy import _SAME_AS_JNP  # noqa: F401
