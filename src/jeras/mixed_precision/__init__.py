"""`jeras.mixed_precision`: float32 variables with bfloat16 / float16 computations, and loss
scaling for float16, named as `keras.mixed_precision`."""

from jeras.backend.dtype_policy import DTypePolicy, global_policy, set_global_policy
from jeras.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy
# Keras's other names for the same two functions.
dtype_policy = global_policy
set_dtype_policy = set_global_policy
