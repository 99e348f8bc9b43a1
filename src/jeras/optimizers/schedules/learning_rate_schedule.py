"""Learning-rate schedules: `LearningRateSchedule` and Keras's built-in decays.

A schedule is called with the optimizer's 0-based step count, which inside `fit()` is a traced
int32 array: everything here is `jnp` arithmetic, with `jnp.where` for the branches Keras takes
with `ops.cond`.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import config
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object


class LearningRateSchedule:
    """Subclass and implement `__call__(step)` (step is the optimizer's 0-based iteration count,
    a traced integer inside `fit()`) and `get_config()`."""

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must override `__call__(self, step)`."
        )

    def get_config(self):
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__} must override `get_config()`."
        )

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _as_tensor(value):
    # As Keras's `convert_to_tensor`: Python floats become floatx, everything else keeps its
    # natural dtype (Python ints int32). The schedule computes in the dtype of its first value.
    if isinstance(value, float):
        return jnp.asarray(value, dtype=config.floatx())
    return jnp.asarray(value)


def _check_decay_steps(value, arg="decay_steps"):
    if value <= 0:
        raise ValueError(f"Argument `{arg}` must be > 0. Received: {arg}={value}")


class _DecayPerSteps(LearningRateSchedule):
    """A rate decayed as a function of `step / decay_steps` (floored when `staircase`):
    ExponentialDecay and InverseTimeDecay, which take the same arguments."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        lr = _as_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        p = jnp.asarray(step).astype(dtype) / jnp.asarray(self.decay_steps, dtype)
        if self.staircase:
            p = jnp.floor(p)
        return self._decayed(lr, jnp.asarray(self.decay_rate, dtype), p)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_DecayPerSteps):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`, the exponent floored when
    `staircase`.

    Args:
        initial_learning_rate: the rate at step 0, a Python float.
        decay_steps: the number of steps over which the rate falls by one factor of `decay_rate`;
            must be positive.
        decay_rate: the decay factor.
        staircase: whether `step / decay_steps` is floored, so the rate drops in discrete jumps
            (default False: it falls smoothly).
        name: a name for the schedule, kept in its config (default 'ExponentialDecay').
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="ExponentialDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decayed(self, lr, rate, p):
        return lr * jnp.power(rate, p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` for
    `boundaries[i-1] < step <= boundaries[i]`, and `values[-1]` past the last boundary.

    Args:
        boundaries: increasing step counts at which the rate changes, one fewer than `values`.
        values: the rates of the intervals the boundaries delimit, in order.
        name: a name for the schedule, kept in its config (default 'PiecewiseConstant').
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = jnp.asarray(step)
        # Boundaries compare in the step's dtype (Keras casts them to it).
        boundaries = [jnp.asarray(b).astype(step.dtype) for b in self.boundaries]
        values = [_as_tensor(v) for v in self.values]
        dtype = values[0].dtype
        # A sum of indicator * value, one term per interval: branch-free, so it traces.
        result = (step <= boundaries[0]).astype(dtype) * values[0]
        result = result + (step > boundaries[-1]).astype(dtype) * values[-1]
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            result = result + ((step > low) & (step <= high)).astype(dtype) * value
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, holding `end` after
    `decay_steps`; with `cycle`, the horizon grows to the next multiple of `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0, a Python float.
        decay_steps: the number of steps to go from the initial to the end rate; must be positive.
        end_learning_rate: the rate reached after `decay_steps` (default 0.0001).
        power: the exponent of the polynomial (default 1.0: a straight line).
        cycle: whether to restart the decay past `decay_steps` rather than hold the end rate
            (default False).
        name: a name for the schedule, kept in its config (default 'PolynomialDecay').
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        lr = _as_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        end = jnp.asarray(self.end_learning_rate, dtype)
        power = jnp.asarray(self.power, dtype)
        step = jnp.asarray(step).astype(dtype)
        horizon = jnp.asarray(self.decay_steps, dtype)
        if self.cycle:
            # Step 0 would give a zero horizon; it belongs to the first cycle.
            multiplier = jnp.where(step == 0, 1.0, jnp.ceil(step / self.decay_steps))
            horizon = horizon * multiplier
        else:
            step = jnp.minimum(step, horizon)
        p = step / horizon
        # Under jit XLA turns `/ horizon` into `* (1 / horizon)`, so at the end of the decay
        # `1 - p` can come out as -5e-8, and a fractional power of it NaN (as Keras on JAX does
        # inside a compiled fit). Clamping keeps the value Keras computes eagerly.
        return (lr - end) * jnp.power(jnp.maximum(1 - p, 0), power) + end

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_DecayPerSteps):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`, the ratio floored when
    `staircase`.

    Args:
        initial_learning_rate: the rate at step 0, a Python float.
        decay_steps: the number of steps that make one unit of decay time; must be positive.
        decay_rate: how much the denominator grows per `decay_steps` steps.
        staircase: whether `step / decay_steps` is floored, so the rate drops in discrete jumps
            (default False: it falls smoothly).
        name: a name for the schedule, kept in its config (default 'InverseTimeDecay').
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        decay_rate,
        staircase=False,
        name="InverseTimeDecay",
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decayed(self, lr, rate, p):
        return lr / (jnp.asarray(1, lr.dtype) + rate * p)


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the start rate down to `alpha` times it over `decay_steps`, then flat.
    With `warmup_target`, first a linear ramp from `initial_learning_rate` to `warmup_target`
    over `warmup_steps`, and the cosine then starts from `warmup_target`.

    Args:
        initial_learning_rate: the rate at step 0, a Python float.
        decay_steps: the number of steps of the cosine part; must be positive.
        alpha: the final rate as a fraction of the rate the cosine starts from (default 0.0).
        name: a name for the schedule, kept in its config (default 'CosineDecay').
        warmup_target: the rate the warmup ramp ends at and the cosine starts from (default None:
            no warmup).
        warmup_steps: the number of steps of the warmup ramp (default 0).
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_decay_steps(decay_steps)

    def _decay(self, step, decay_steps, start, dtype):
        cosine = 0.5 * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * (step / decay_steps)))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        lr = _as_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        decay_steps = jnp.asarray(self.decay_steps, dtype)
        step = jnp.asarray(step).astype(dtype)
        if self.warmup_target is None:
            return self._decay(jnp.minimum(step, decay_steps), decay_steps, lr, dtype)
        target = jnp.asarray(self.warmup_target, dtype)
        warmup_steps = jnp.asarray(self.warmup_steps, dtype)
        step = jnp.minimum(step, decay_steps + warmup_steps)
        warmup = (target - lr) * (step / warmup_steps) + lr
        decay = self._decay(step - warmup_steps, decay_steps, target, dtype)
        # Both branches are computed; the ramp's 0/0 at warmup_steps=0 is never selected.
        return jnp.where(step < warmup_steps, warmup, decay)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


def _constant_periods(fraction, t_mul):
    restart = jnp.floor(fraction)
    return restart, fraction - restart


def _growing_periods(fraction, t_mul):
    # Periods grow geometrically: invert the partial sum (1 - t^i) / (1 - t) for i.
    restart = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
    elapsed = (1.0 - jnp.power(t_mul, restart)) / (1.0 - t_mul)
    return restart, (fraction - elapsed) / jnp.power(t_mul, restart)


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): period `i` lasts `first_decay_steps * t_mul**i`
    steps and peaks at `initial_learning_rate * m_mul**i`.

    Args:
        initial_learning_rate: the rate at step 0, a Python float.
        first_decay_steps: the length of the first period, in steps; must be positive.
        t_mul: the factor by which each period is longer than the one before (default 2.0).
        m_mul: the factor by which each period's starting rate is lower than the one before
            (default 1.0).
        alpha: the rate every period decays to, as a fraction of `initial_learning_rate`
            (default 0.0).
        name: a name for the schedule, kept in its config (default 'SGDRDecay').
    """

    def __init__(
        self,
        initial_learning_rate,
        first_decay_steps,
        t_mul=2.0,
        m_mul=1.0,
        alpha=0.0,
        name="SGDRDecay",
    ):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_decay_steps(first_decay_steps, "first_decay_steps")

    def __call__(self, step):
        lr = _as_tensor(self.initial_learning_rate)
        dtype = lr.dtype
        alpha = jnp.asarray(self.alpha, dtype)
        t_mul = jnp.asarray(self._t_mul, dtype)
        m_mul = jnp.asarray(self._m_mul, dtype)
        fraction = jnp.asarray(step).astype(dtype) / jnp.asarray(self.first_decay_steps, dtype)

        # A `lax.cond` although t_mul is a constant: Keras takes this branch through `ops.cond`,
        # so even eagerly its arithmetic is compiled by XLA, whose rewrites move the last bits;
        # the same path gives the same bits. The branches are module functions (t_mul an
        # operand), so eager calls reuse one compiled cond instead of compiling per call.
        restart, fraction = jax.lax.cond(
            np.asarray(self._t_mul, dtype) == 1.0,
            _constant_periods,
            _growing_periods,
            fraction,
            t_mul,
        )
        cosine = (
            0.5
            * jnp.power(m_mul, restart)
            * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * fraction))
        )
        return lr * ((1 - alpha) * cosine + alpha)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_BUILT_IN = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule):
    """The schedule as Keras writes it inside an optimizer config."""
    config = serialize_keras_object(learning_rate_schedule)
    if _BUILT_IN.get(type(learning_rate_schedule).__name__) is type(learning_rate_schedule):
        # Keras files name the public module of the built-in schedules.
        config = dict(config, module="keras.optimizers.schedules", registered_name=None)
    return config


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, custom_objects=custom_objects, module_objects=_BUILT_IN)
