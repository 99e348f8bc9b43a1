"""`jeras.optimizers.schedules`: learning rates as functions of the optimizer's step."""

from jeras.optimizers.schedules.learning_rate_schedule import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
    deserialize,
    serialize,
)
from jeras.saving.public_names import register_public_names as _register_public_names

_register_public_names("optimizers.schedules", vars())
