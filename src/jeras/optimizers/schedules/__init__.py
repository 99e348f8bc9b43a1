"""`jeras.optimizers.schedules`: learning rates as functions of the optimizer's step."""

from jeras.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
    InverseTimeDecay, CosineDecay, CosineDecayRestarts, serialize, deserialize)
