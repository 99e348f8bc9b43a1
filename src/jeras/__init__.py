"""jeras: the Keras 3 training API, implemented natively on JAX.

`import jeras as keras` and Keras code runs unchanged.
"""

import sys as _sys

from jeras import (
    activations,
    applications,
    backend,
    callbacks,
    config,
    constraints,
    datasets,
    distribution,
    dtype_policies,
    initializers,
    layers,
    losses,
    metrics,
    mixed_precision,
    models,
    ops,
    optimizers,
    random,
    regularizers,
    saving,
    tree,
    utils,
)
from jeras.backend.remat import RematScope, remat
from jeras.backend.state_scope import StatelessScope
from jeras.backend.variable import Variable
from jeras.callbacks import Callback
from jeras.layers import Input, InputSpec, Layer
from jeras.losses import Loss
from jeras.metrics import Metric
from jeras.models import Model, Sequential
from jeras.optimizers import Optimizer
from jeras.saving import register_keras_serializable
from jeras.saving.public_names import register_top_level_package as _register_top_level_package
from jeras.version import __version__

version = lambda: __version__  # noqa: E731

# Everything is imported: code below this level that needs the whole package (a lambda read back
# from a file runs with it as `keras`) finds it through the registry from now on.
_register_top_level_package(_sys.modules[__name__])
