"""Differential tests of SGD, RMSprop and Adam against real Keras 3 (JAX backend), and through
them of the arguments every optimizer shares (clipping, weight decay, EMA, gradient
accumulation, loss scaling, learning-rate schedules), `get`, names and configs."""

import re

import keras
import numpy as np
import pytest
from oracle import assert_close

import jeras

STEPS = 20
SHAPES = {"kernel": (3, 2), "bias": (2,), "scale": (1,)}
RTOL, ATOL = 1e-5, 1e-6


def _initial_values(seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape).astype("float32") for name, shape in SHAPES.items()}


def _gradient_sequence(steps=STEPS, seed=1):
    # Mixed scales, so that clipping sometimes bites and sometimes does not.
    rng = np.random.default_rng(seed)
    return [
        [
            (rng.normal(size=shape) * rng.choice([0.1, 1.0, 3.0])).astype("float32")
            for shape in SHAPES.values()
        ]
        for _ in range(steps)
    ]


GRADS = _gradient_sequence()


def _variables(module, values):
    return [module.Variable(values[name], name=name) for name in SHAPES]


def _value(v):
    return np.asarray(v.value if hasattr(v, "value") else v)


def _run(module, cls_name, kwargs, grads=GRADS, hook=None):
    opt = getattr(module.optimizers, cls_name)(**kwargs)
    variables = _variables(module, _initial_values())
    for step, step_grads in enumerate(grads):
        if hook is not None:
            hook(step, opt)
        opt.apply_gradients(zip(step_grads, variables))
    return opt, variables


CONFIGS = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.5, "clipvalue": 0.3}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "global_clipnorm": 1.0}),
    ("SGD", {"learning_rate": 0.1, "weight_decay": 0.1}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    (
        "RMSprop",
        {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 1e-4},
    ),
    ("RMSprop", {"learning_rate": 0.01, "clipnorm": 1.0}),
    ("RMSprop", {"learning_rate": 0.01, "global_clipnorm": 0.5, "weight_decay": 0.05}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-4}),
    ("Adam", {"learning_rate": 0.01, "clipvalue": 0.5}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 0.5, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.01, "global_clipnorm": 2.0}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.1}),
    # The other common arguments.
    ("Adam", {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.5, "use_ema": True, "ema_overwrite_frequency": 3}),
    ("Adam", {"learning_rate": 0.01, "gradient_accumulation_steps": 3}),
    (
        "SGD",
        {
            "learning_rate": 0.1,
            "momentum": 0.5,
            "gradient_accumulation_steps": 2,
            "use_ema": True,
            "ema_overwrite_frequency": 2,
            "clipnorm": 1.0,
        },
    ),
    ("RMSprop", {"learning_rate": 0.01, "loss_scale_factor": 4.0}),
]
CONFIG_IDS = [
    f"{c}-{'_'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for c, kw in CONFIGS
]


def _base(name):
    return re.sub(r"_\d+$", "", name)


def _slot_paths(opt):
    # Slot names embed the optimizer's (uniquified) name; compare with it swapped for its base.
    return [v.path.replace(opt.name + "/", _base(opt.name) + "/", 1) for v in opt.variables]


@pytest.mark.parametrize("cls_name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_trajectory_matches_keras(cls_name, kwargs):
    # Keras's eager gradient accumulation compiles a `lax.cond` per call (slow): fewer steps.
    steps = 6 if "gradient_accumulation_steps" in kwargs else STEPS
    k_opt, k_vars = _run(keras, cls_name, kwargs, GRADS[:steps])
    j_opt, j_vars = _run(jeras, cls_name, kwargs, GRADS[:steps])
    for jv, kv in zip(j_vars, k_vars):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)
        assert jv.shape == tuple(kv.shape)
    assert _slot_paths(j_opt) == _slot_paths(k_opt)
    assert [v.name for v in j_opt.variables] == [v.name for v in k_opt.variables]
    # The optimizer's own state (iteration, learning rate, slots) matches too.
    for jv, kv in zip(j_opt.variables, k_opt.variables):
        assert_close(_value(jv), _value(kv), atol=1e-5, rtol=RTOL)
    # Under gradient accumulation `iterations` counts applied updates.
    expected_steps = steps // kwargs.get("gradient_accumulation_steps", 1)
    assert int(_value(j_opt.iterations)) == int(_value(k_opt.iterations)) == expected_steps
    # Auto names are uniquified per process, so compare their base.
    assert dict(j_opt.get_config(), name=_base(j_opt.name)) == dict(
        k_opt.get_config(), name=_base(k_opt.name)
    )


@pytest.mark.parametrize(
    "cls_name,kwargs",
    [c for c in CONFIGS if c[0] != "RMSprop"][:3]
    + [("Adam", {"use_ema": True}), ("RMSprop", {"centered": True})],
    ids=["sgd", "sgd_momentum", "sgd_nesterov", "adam_ema", "rmsprop_centered"],
)
def test_finalize_variable_values_matches_keras(cls_name, kwargs):
    k_opt, k_vars = _run(keras, cls_name, kwargs, GRADS[:5])
    j_opt, j_vars = _run(jeras, cls_name, kwargs, GRADS[:5])
    k_opt.finalize_variable_values(k_vars)
    j_opt.finalize_variable_values(j_vars)
    for jv, kv in zip(j_vars, k_vars):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)


def test_constraints_apply_after_moving_average_like_keras():
    def run(module):
        opt = module.optimizers.SGD(
            learning_rate=0.5, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3
        )
        variables = _variables(module, _initial_values())
        # Nonlinear, so the order of averaging and constraining shows in the result.
        variables[0].constraint = lambda x: module.ops.tanh(x)
        for step_grads in GRADS[:7]:
            opt.apply_gradients(zip(step_grads, variables))
        return variables

    for jv, kv in zip(run(jeras), run(keras)):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)


def test_learning_rate_assignment_applies_to_next_step():
    def hook(step, opt):
        if step == 5:
            opt.learning_rate = 0.5
        if step == 12:
            opt.learning_rate = 0.05

    k_opt, k_vars = _run(keras, "SGD", {"learning_rate": 0.01, "momentum": 0.5}, hook=hook)
    j_opt, j_vars = _run(jeras, "SGD", {"learning_rate": 0.01, "momentum": 0.5}, hook=hook)
    for jv, kv in zip(j_vars, k_vars):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)
    assert_close(float(np.asarray(j_opt.learning_rate)), 0.05, atol=ATOL, rtol=RTOL)
    assert j_opt.get_config()["learning_rate"] == k_opt.get_config()["learning_rate"]

    # Hand check of one SGD step right after an assignment: theta -= lr * g.
    opt = jeras.optimizers.SGD(learning_rate=0.01)
    var = jeras.Variable(np.array([1.0, 2.0], "float32"), name="w")
    opt.apply_gradients([(np.array([1.0, -1.0], "float32"), var)])
    opt.learning_rate = 0.5
    opt.apply_gradients([(np.array([1.0, -1.0], "float32"), var)])
    assert_close(var.value, [1.0 - 0.01 - 0.5, 2.0 + 0.01 + 0.5], atol=ATOL, rtol=RTOL)


def test_learning_rate_schedule_and_callable_match_keras():
    class Halving(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.1 * 0.5 ** keras.ops.cast(step, "float32")

        def get_config(self):
            return {}

    class JHalving(jeras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.1 * 0.5 ** jeras.ops.cast(step, "float32")

        def get_config(self):
            return {}

    k_opt, k_vars = _run(keras, "SGD", {"learning_rate": Halving()}, GRADS[:6])
    j_opt, j_vars = _run(jeras, "SGD", {"learning_rate": JHalving()}, GRADS[:6])
    for jv, kv in zip(j_vars, k_vars):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)
    assert [v.name for v in j_opt.variables] == [v.name for v in k_opt.variables]
    with pytest.raises(TypeError):
        k_opt.learning_rate = 0.1
    with pytest.raises(TypeError):
        j_opt.learning_rate = 0.1

    k_opt, k_vars = _run(keras, "Adam", {"learning_rate": lambda: 0.03}, GRADS[:4])
    j_opt, j_vars = _run(jeras, "Adam", {"learning_rate": lambda: 0.03}, GRADS[:4])
    for jv, kv in zip(j_vars, k_vars):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)


def test_iterations_count_and_apply_forms():
    opt = jeras.optimizers.Adam()
    variables = _variables(jeras, _initial_values())
    assert int(_value(opt.iterations)) == 0
    assert opt.iterations.path == f"{opt.name}/iteration"
    for n, step_grads in enumerate(GRADS[:4], start=1):
        if n % 2:
            opt.apply_gradients(zip(step_grads, variables))
        else:
            opt.apply(step_grads, variables)
        assert int(_value(opt.iterations)) == n
    assert str(np.asarray(opt.iterations.value).dtype) == "int32"

    # With accumulation `iterations` counts applied updates: 3 calls, 2 per update -> 1.
    k_opt, _ = _run(keras, "SGD", {"gradient_accumulation_steps": 2}, GRADS[:3])
    j_opt, _ = _run(jeras, "SGD", {"gradient_accumulation_steps": 2}, GRADS[:3])
    assert int(_value(j_opt.iterations)) == int(_value(k_opt.iterations)) == 1


def test_none_gradients_are_skipped_like_keras():
    values = _initial_values()
    grads = [GRADS[0][0], None, GRADS[0][2]]
    k_opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    j_opt = jeras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    k_vars, j_vars = _variables(keras, values), _variables(jeras, values)
    for _ in range(2):
        k_opt.apply_gradients(zip(grads, k_vars))
        j_opt.apply_gradients(zip(grads, j_vars))
    for jv, kv in zip(j_vars, k_vars):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)
    with pytest.raises(ValueError):
        jeras.optimizers.SGD().apply_gradients(zip([None, None, None], j_vars))


# -- construction, names, configs, lookups -------------------------------------------------
@pytest.mark.parametrize(
    "identifier,cls_name",
    [
        ("adam", "Adam"),
        ("Adam", "Adam"),
        ("ADAM", "Adam"),
        ("RMSprop", "RMSprop"),
        ("rmsprop", "RMSprop"),
        ("sgd", "SGD"),
        ("SGD", "SGD"),
    ],
)
def test_get_by_name_matches_keras(identifier, cls_name):
    k_opt, j_opt = keras.optimizers.get(identifier), jeras.optimizers.get(identifier)
    assert type(k_opt).__name__ == type(j_opt).__name__ == cls_name
    assert dict(j_opt.get_config(), name=None) == dict(k_opt.get_config(), name=None)


def test_get_config_dict_and_instance():
    opt = jeras.optimizers.Adam(learning_rate=0.01)
    assert jeras.optimizers.get(opt) is opt
    cfg = {"class_name": "SGD", "config": {"learning_rate": 0.3, "momentum": 0.5}}
    k_opt, j_opt = keras.optimizers.get(cfg), jeras.optimizers.get(cfg)
    assert isinstance(j_opt, jeras.optimizers.SGD)
    assert dict(j_opt.get_config(), name=None) == dict(k_opt.get_config(), name=None)


@pytest.mark.parametrize("identifier", ["adamz", "lamb", "", "sgd_1"])
def test_get_unknown_raises_value_error(identifier):
    with pytest.raises(ValueError):
        keras.optimizers.get(identifier)
    with pytest.raises(ValueError):
        jeras.optimizers.get(identifier)


@pytest.mark.parametrize(
    "cls_name,base", [("SGD", "sgd"), ("RMSprop", "rm_sprop"), ("Adam", "adam")]
)
def test_default_names_are_keras_auto_names(cls_name, base):
    k_first, j_first = getattr(keras.optimizers, cls_name)(), getattr(jeras.optimizers, cls_name)()
    k_second, j_second = (
        getattr(keras.optimizers, cls_name)(),
        getattr(jeras.optimizers, cls_name)(),
    )
    for k_opt, j_opt in ((k_first, j_first), (k_second, j_second)):
        assert _base(k_opt.name) == _base(j_opt.name) == base

    # Each new instance gets the next suffix, as in Keras.
    def suffix(name):
        match = re.search(r"_(\d+)$", name)
        return int(match.group(1)) if match and _base(name) != name else 0

    assert suffix(j_second.name) == suffix(j_first.name) + 1
    assert suffix(k_second.name) == suffix(k_first.name) + 1
    assert jeras.optimizers.Adam(name="custom").name == "custom"


@pytest.mark.parametrize("cls_name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_get_config_matches_keras_before_build(cls_name, kwargs):
    k_cfg = getattr(keras.optimizers, cls_name)(name="opt", **kwargs).get_config()
    j_opt = getattr(jeras.optimizers, cls_name)(name="opt", **kwargs)
    assert j_opt.get_config() == k_cfg
    assert type(j_opt).from_config(j_opt.get_config()).get_config() == k_cfg


@pytest.mark.parametrize(
    "learning_rate",
    [1, np.float32(0.1), True, "0.1", None],
    ids=["int", "np_float32", "bool", "str", "none"],
)
def test_learning_rate_type_errors_match_keras(learning_rate):
    with pytest.raises(ValueError):
        keras.optimizers.SGD(learning_rate=learning_rate)
    with pytest.raises(ValueError, match="learning_rate"):
        jeras.optimizers.SGD(learning_rate=learning_rate)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clipnorm": 1.0, "clipvalue": 1.0},
        {"clipnorm": 1.0, "global_clipnorm": 1.0},
        {"gradient_accumulation_steps": 1},
        {"use_ema": True, "ema_momentum": 1.5},
        {"not_an_argument": 3},
    ],
    ids=["clipnorm+clipvalue", "clipnorm+global", "accum1", "ema_momentum", "unknown"],
)
def test_invalid_arguments_raise_like_keras(kwargs):
    with pytest.raises(ValueError):
        keras.optimizers.Adam(**kwargs)
    with pytest.raises(ValueError):
        jeras.optimizers.Adam(**kwargs)


@pytest.mark.parametrize("momentum", [1, -0.1, 1.5], ids=["int", "negative", "above_one"])
def test_sgd_momentum_validation_matches_keras(momentum):
    with pytest.raises(ValueError):
        keras.optimizers.SGD(momentum=momentum)
    with pytest.raises(ValueError):
        jeras.optimizers.SGD(momentum=momentum)


def test_exclude_from_weight_decay_matches_keras():
    def run(module):
        opt = module.optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
        variables = _variables(module, _initial_values())
        opt.exclude_from_weight_decay(var_names=["bias"])
        for step_grads in GRADS[:3]:
            opt.apply_gradients(zip(step_grads, variables))
        return variables

    for jv, kv in zip(run(jeras), run(keras)):
        assert_close(jv.value, kv.value, atol=ATOL, rtol=RTOL)


def test_scale_loss_matches_keras():
    k_opt = keras.optimizers.SGD(loss_scale_factor=8.0)
    j_opt = jeras.optimizers.SGD(loss_scale_factor=8.0)
    assert_close(
        j_opt.scale_loss(np.float32(1.5)), k_opt.scale_loss(np.float32(1.5)), atol=ATOL, rtol=RTOL
    )
    assert_close(jeras.optimizers.SGD().scale_loss(np.float32(1.5)), 1.5, atol=ATOL, rtol=RTOL)
