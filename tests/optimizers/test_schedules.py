"""Learning-rate schedules against real Keras 3: values (eager and under `jax.jit` with a traced
int32 step), configs, serialization inside optimizer configs, and a custom schedule driving a
compiled `fit`."""

import re

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import same_class_pair

import jeras

STEPS = np.array(
    [
        0,
        1,
        2,
        3,
        5,
        7,
        9,
        10,
        11,
        15,
        19,
        20,
        21,
        29,
        30,
        31,
        45,
        60,
        61,
        99,
        100,
        101,
        150,
        250,
        1000,
    ],
    dtype="int32",
)

SCHEDULES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.3, decay_steps=7, decay_rate=0.9, staircase=True, name="exp"),
    ),
    ("PiecewiseConstantDecay", dict(boundaries=[10, 20, 30], values=[1.0, 0.5, 0.1, 0.01])),
    ("PiecewiseConstantDecay", dict(boundaries=[100], values=[0.2, 0.02], name="pc")),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=30)),
    (
        "PolynomialDecay",
        dict(
            initial_learning_rate=0.1, decay_steps=20, end_learning_rate=0.01, power=2.0, cycle=True
        ),
    ),
    ("PolynomialDecay", dict(initial_learning_rate=1.0, decay_steps=15, power=0.5)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=0.1, decay_steps=6, decay_rate=2.0, staircase=True),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=50)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=40, alpha=0.1)),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.0, decay_steps=60, warmup_target=0.2, warmup_steps=20),
    ),
    (
        "CosineDecay",
        dict(
            initial_learning_rate=0.05,
            decay_steps=30,
            alpha=0.2,
            warmup_target=0.1,
            warmup_steps=10,
            name="warm",
        ),
    ),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=10)),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=8, t_mul=1.0, m_mul=0.5, alpha=0.05),
    ),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.2, first_decay_steps=5, t_mul=1.5, m_mul=0.9),
    ),
]
IDS = [f"{c}-{i}" for i, (c, _) in enumerate(SCHEDULES)]


@pytest.mark.parametrize("cls_name,kwargs", SCHEDULES, ids=IDS)
def test_values_match_keras_eager_and_traced(cls_name, kwargs):
    k_sched, j_sched = same_class_pair("optimizers.schedules", cls_name, **kwargs)
    # Keras's schedules run an `ops.cond` that compiles anew on every eager call (0.3 s each):
    # one vmapped call gives all its values at once.
    expected = np.asarray(jax.vmap(k_sched)(jnp.asarray(STEPS)))
    eager = np.array([float(j_sched(int(s))) for s in STEPS])
    np.testing.assert_allclose(eager, expected, rtol=1e-5, atol=1e-7)
    # Inside fit the step is a traced int32 scalar.
    traced = jax.jit(jax.vmap(j_sched))(jnp.asarray(STEPS))
    assert traced.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(traced), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cls_name,kwargs", SCHEDULES, ids=IDS)
def test_config_matches_keras_and_round_trips(cls_name, kwargs):
    k_sched, j_sched = same_class_pair("optimizers.schedules", cls_name, **kwargs)
    assert j_sched.get_config() == k_sched.get_config()
    again = type(j_sched).from_config(j_sched.get_config())
    assert again.get_config() == k_sched.get_config()
    assert jeras.optimizers.schedules.serialize(j_sched) == keras.optimizers.schedules.serialize(
        k_sched
    )
    restored = jeras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(k_sched))
    assert type(restored) is type(j_sched)
    assert restored.get_config() == k_sched.get_config()


@pytest.mark.parametrize(
    "cls_name,kwargs",
    [
        ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=0, decay_rate=0.5)),
        ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=-3, decay_rate=0.5)),
        ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=0)),
        ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=-1, decay_rate=0.5)),
        ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=0)),
        ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=0)),
        ("PiecewiseConstantDecay", dict(boundaries=[1, 2], values=[0.1, 0.2])),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_invalid_arguments_raise_like_keras(cls_name, kwargs):
    with pytest.raises(ValueError):
        getattr(keras.optimizers.schedules, cls_name)(**kwargs)
    with pytest.raises(ValueError):
        getattr(jeras.optimizers.schedules, cls_name)(**kwargs)


def test_base_class_needs_overrides():
    with pytest.raises(NotImplementedError):
        jeras.optimizers.schedules.LearningRateSchedule()(0)
    with pytest.raises(NotImplementedError):
        jeras.optimizers.schedules.LearningRateSchedule().get_config()


# -- schedules inside optimizers ------------------------------------------------------------
@pytest.mark.parametrize(
    "opt_name,cls_name,kwargs",
    [
        ("SGD", *SCHEDULES[1]),
        ("Adam", *SCHEDULES[12]),
        ("RMSprop", *SCHEDULES[2]),
        ("Adafactor", *SCHEDULES[9]),
        ("Nadam", *SCHEDULES[5]),
    ],
    ids=[
        "sgd_exp",
        "adam_cosine_warmup",
        "rmsprop_piecewise",
        "adafactor_cosine",
        "nadam_polynomial_cycle",
    ],
)
def test_optimizer_with_schedule_matches_keras(opt_name, cls_name, kwargs):
    rng = np.random.default_rng(0)
    init = rng.normal(size=(3, 2)).astype("float32")
    # 12 steps cross the warmup, piecewise and staircase boundaries of these schedules.
    grads = [rng.normal(size=(3, 2)).astype("float32") for _ in range(12)]

    def run(lib):
        sched = getattr(lib.optimizers.schedules, cls_name)(**kwargs)
        opt = getattr(lib.optimizers, opt_name)(learning_rate=sched, name="opt")
        var = lib.Variable(init, name="w")
        for g in grads:
            opt.apply_gradients([(g, var)])
        return opt, var

    k_opt, k_var = run(keras)
    j_opt, j_var = run(jeras)
    np.testing.assert_allclose(
        np.asarray(j_var.value), np.asarray(k_var.value), rtol=1e-5, atol=1e-6
    )
    # The schedule is read at the step count before the increment.
    np.testing.assert_allclose(float(j_opt.learning_rate), float(k_opt.learning_rate), rtol=1e-6)
    # No learning-rate variable with a schedule; the config carries the serialized schedule.
    # (Nadam's auto-named `variable_<n>` carries a per-process counter.)
    assert [re.sub(r"_\d+$", "", v.path) for v in j_opt.variables] == [
        re.sub(r"_\d+$", "", v.path) for v in k_opt.variables
    ]
    k_cfg, j_cfg = k_opt.get_config(), j_opt.get_config()
    assert j_cfg["learning_rate"] == k_cfg["learning_rate"]
    assert j_cfg == k_cfg
    rebuilt = type(j_opt).from_config(j_cfg)
    assert type(rebuilt._learning_rate).__name__ == cls_name
    assert rebuilt.get_config() == k_cfg
    assert jeras.optimizers.get({"class_name": opt_name, "config": k_cfg}).get_config() == k_cfg


class KHalving(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, start=0.1):
        self.start = start

    def __call__(self, step):
        return self.start * 0.5 ** keras.ops.cast(step, "float32")

    def get_config(self):
        return {"start": self.start}


class JHalving(jeras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, start=0.1):
        self.start = start

    def __call__(self, step):
        return self.start * 0.5 ** jnp.asarray(step, "float32")

    def get_config(self):
        return {"start": self.start}


def test_custom_schedule_config_matches_keras():
    k_cfg = keras.optimizers.SGD(learning_rate=KHalving(0.2)).get_config()["learning_rate"]
    j_cfg = jeras.optimizers.SGD(learning_rate=JHalving(0.2)).get_config()["learning_rate"]
    # The class names differ by construction; everything else is what Keras writes.
    assert dict(j_cfg, class_name="K", registered_name="K") == dict(
        k_cfg, class_name="K", registered_name="K"
    )
    assert j_cfg["class_name"] == j_cfg["registered_name"] == "JHalving"


class LinearWarmup(jeras.optimizers.schedules.LearningRateSchedule):
    """lr(s) = 0.1 * (s + 1) / 4 for the first 4 steps, then 0.1; a traced int step inside fit."""

    def __call__(self, step):
        s = jnp.asarray(step, "float32")
        return 0.1 * jnp.minimum((s + 1.0) / 4.0, 1.0)

    def get_config(self):
        return {}


def test_custom_schedule_inside_compiled_fit_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = rng.normal(size=(24, 1)).astype("float32")
    w0 = rng.normal(size=(3, 1)).astype("float32")
    b0 = np.zeros(1, "float32")
    model = jeras.Sequential([jeras.Input(shape=(3,)), jeras.layers.Dense(1)])
    model.set_weights([w0, b0])
    model.compile(optimizer=jeras.optimizers.SGD(learning_rate=LinearWarmup()), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)

    # The same 12 steps by hand: mse gradient 2/n * X^T (Xw + b - y).
    w, b = w0.astype("float64"), b0.astype("float64")
    step = 0
    for _ in range(2):
        for start in range(0, 24, 4):
            xb, yb = x[start : start + 4].astype("float64"), y[start : start + 4].astype("float64")
            err = xb @ w + b - yb
            grad_w, grad_b = 2 * xb.T @ err / err.size, 2 * err.sum(axis=0) / err.size
            lr = 0.1 * min((step + 1) / 4, 1.0)
            w, b = w - lr * grad_w, b - lr * grad_b
            step += 1
    got_w, got_b = model.get_weights()
    np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-6)
    assert int(np.asarray(model.optimizer.iterations.value)) == 12
