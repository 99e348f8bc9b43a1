"""`jeras.ops`: the array API named as `keras.ops`, so user code needs no JAX import.

Everything accepts JAX arrays, NumPy arrays, Python numbers and `jeras.Variable`s.
"""

import types as _types

from jeras.ops._symbolic import register_operations, use_registered_operations
from jeras.ops.core import *  # noqa: F401,F403
from jeras.ops.einops import rearrange  # noqa: F401
from jeras.ops.linalg import *  # noqa: F401,F403
from jeras.ops.math import *  # noqa: F401,F403
from jeras.ops.nn import *  # noqa: F401,F403
from jeras.ops.numpy import *  # noqa: F401,F403
from jeras.ops.numpy import _SAME_AS_JNP  # noqa: F401

# The star imports also copied the modules those files import (`jax`, `jnp`, the standard
# `math`, which would hide `jeras.ops.math`): drop them, then name the ops families.
for _name, _value in list(globals().items()):
    if isinstance(_value, _types.ModuleType) and not _name.startswith("_"):
        del globals()[_name]

# isort: split
from jeras.ops import core, einops, image, linalg, math, nn, numpy  # noqa: E402,F401

# Symbolic tensors: every public function of these families records a functional-graph node when
# called on a KerasTensor (see ops/_symbolic.py). The second argument of each entry is the Keras
# family its operation classes belong to, the third the public functions that are no ops.
for _module, _family, _not_operations in (
    (
        numpy,
        "numpy",
        ("shape", "dtype", "is_tensor", "convert_to_numpy", "shape_equal", "vectorize"),
    ),
    (nn, "nn", ()),
    (image, "image", ()),
    (linalg, "linalg", ()),
    (math, "math", ()),
    (einops, "einops", ()),
    (core, "core", ("custom_gradient",)),
):
    register_operations(vars(_module), _family, _not_operations)
# The names star-imported above are replaced by their registered versions.
use_registered_operations(globals())
