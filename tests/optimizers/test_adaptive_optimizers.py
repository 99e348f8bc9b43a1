"""Differential tests: AdamW, Adagrad, Adadelta, Adamax, Nadam, Ftrl, Lion, Adafactor and Lamb
against real Keras 3 (JAX backend), eagerly and inside a compiled `fit`."""

import re

import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras

STEPS = 20
# A matrix and a rank-3 tensor exercise Adafactor's factored second moment; the vectors and the
# 1-element variable its unfactored one.
SHAPES = {"kernel": (4, 3), "bias": (3,), "scale": (1,), "conv": (2, 3, 4)}
ADAPTIVE = ["AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Lion", "Adafactor", "Lamb"]


def _initial_values(seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape).astype("float32") for name, shape in SHAPES.items()}


def _gradient_sequence(steps=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    return [
        [
            (rng.normal(size=shape) * rng.choice([0.1, 1.0, 3.0])).astype("float32")
            for shape in SHAPES.values()
        ]
        for _ in range(steps)
    ]


GRADS = _gradient_sequence()


def _run(module, cls_name, kwargs, grads=GRADS):
    opt = getattr(module.optimizers, cls_name)(**kwargs)
    variables = [module.Variable(value, name=name) for name, value in _initial_values().items()]
    for step_grads in grads:
        opt.apply_gradients(zip(step_grads, variables))
    return opt, variables


def _base(name):
    return re.sub(r"_\d+$", "", name)


def _paths(opt):
    # Optimizer names and Nadam's auto-named `variable_<n>` carry per-process counters.
    return [_base(v.path.replace(opt.name + "/", _base(opt.name) + "/", 1)) for v in opt.variables]


CONFIGS = [
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.05, "initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.8, "epsilon": 1e-5}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.9, "clipnorm": 1.0}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.01, "beta_1": 0.85, "epsilon": 1e-4, "weight_decay": 0.05}),
    ("Ftrl", {}),
    (
        "Ftrl",
        {
            "learning_rate": 0.1,
            "learning_rate_power": -0.7,
            "initial_accumulator_value": 0.3,
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.05,
            "beta": 0.2,
        },
    ),
    ("Lion", {}),
    ("Lion", {"learning_rate": 0.003, "beta_1": 0.95, "beta_2": 0.9, "global_clipnorm": 2.0}),
    ("Adafactor", {}),
    (
        "Adafactor",
        {
            "learning_rate": 0.05,
            "relative_step": False,
            "beta_2_decay": -0.5,
            "epsilon_2": 1e-2,
            "clip_threshold": 0.5,
        },
    ),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "epsilon": 1e-4, "clipvalue": 0.5}),
    # Per-step state and the shared machinery: EMA, accumulation, loss scaling.
    ("Nadam", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    (
        "Adafactor",
        {"learning_rate": 0.01, "use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 5},
    ),
    ("Lamb", {"learning_rate": 0.01, "loss_scale_factor": 8.0, "use_ema": True}),
]
CONFIG_IDS = [
    f"{c}-{'_'.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for c, kw in CONFIGS
]


@pytest.mark.parametrize("cls_name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_trajectory_matches_keras(cls_name, kwargs):
    # Keras's eager gradient accumulation compiles a `lax.cond` per call (slow): fewer steps.
    steps = 4 if "gradient_accumulation_steps" in kwargs else STEPS
    k_opt, k_vars = _run(keras, cls_name, kwargs, GRADS[:steps])
    j_opt, j_vars = _run(jeras, cls_name, kwargs, GRADS[:steps])
    for jv, kv in zip(j_vars, k_vars):
        assert_close(jv.value, kv.value, atol=1e-6)
    # Same state variables, in the same order, with the same names, shapes, dtypes and values.
    assert _paths(j_opt) == _paths(k_opt)
    assert [_base(v.name) for v in j_opt.variables] == [_base(v.name) for v in k_opt.variables]
    for jv, kv in zip(j_opt.variables, k_opt.variables):
        assert tuple(jv.shape) == tuple(kv.shape)
        assert str(np.asarray(jv.value).dtype) == str(np.asarray(kv.value).dtype)
        # Ftrl's accumulators grow into the hundreds: relative tolerance.
        assert_close(jv.value, kv.value, rtol=1e-5, atol=1e-5)
    assert dict(j_opt.get_config(), name=_base(j_opt.name)) == dict(
        k_opt.get_config(), name=_base(k_opt.name)
    )


def test_nadam_momentum_product_matches_formula():
    # The running product of mu_t = beta_1 * (1 - 0.5 * 0.96**t) advances once per step, however
    # many variables there are.
    opt, _ = _run(jeras, "Nadam", {"beta_1": 0.9}, GRADS[:5])
    expected = np.prod([0.9 * (1 - 0.5 * 0.96**t) for t in range(1, 6)])
    assert_close(opt.variables[-1].value, expected, atol=1e-6)


def test_adafactor_factored_second_moment_matches_formula():
    # One step on a matrix, by hand: r and c are the row/column means of g^2 + eps_1 (beta_2 at
    # t=1 is 0), v = outer(r / mean(r), c), and the update is clipped to RMS <= 1.
    theta = np.random.default_rng(3).normal(size=(4, 3)).astype("float32")
    g = np.random.default_rng(4).normal(size=(4, 3)).astype("float32")
    opt = jeras.optimizers.Adafactor(learning_rate=0.5)
    var = jeras.Variable(theta, name="w")
    opt.apply_gradients([(g, var)])
    sq = g.astype("float64") ** 2 + 1e-30
    r, c = sq.mean(axis=1), sq.mean(axis=0)
    v = np.outer(r / r.mean(), c)
    u = g / np.sqrt(v)
    u_hat = u / max(1.0, np.sqrt(np.mean(u**2)))
    alpha = max(1e-3, np.sqrt(np.mean(theta.astype("float64") ** 2))) * min(0.5, 1.0)
    assert_close(var.value, theta - alpha * u_hat, rtol=1e-5, atol=1e-6)


def test_lamb_trust_ratio_is_one_for_zero_weights():
    # ||theta|| = 0: the step is lr * Adam's bias-corrected direction (sign(g) at step 1).
    opt = jeras.optimizers.Lamb(learning_rate=0.1)
    var = jeras.Variable(np.zeros(3, "float32"), name="w")
    opt.apply_gradients([(np.array([0.5, -2.0, 0.0], "float32"), var)])
    assert_close(var.value, [-0.1, 0.1, 0.0], atol=1e-5)


# -- get, names, configs, validation ---------------------------------------------------------
@pytest.mark.parametrize(
    "identifier",
    [
        "adamw",
        "AdamW",
        "adagrad",
        "adadelta",
        "ADAMAX",
        "nadam",
        "ftrl",
        "lion",
        "adafactor",
        "Adafactor",
    ],
)
def test_get_by_name_matches_keras(identifier):
    k_opt, j_opt = keras.optimizers.get(identifier), jeras.optimizers.get(identifier)
    assert type(k_opt).__name__ == type(j_opt).__name__
    assert dict(j_opt.get_config(), name=None) == dict(k_opt.get_config(), name=None)


@pytest.mark.parametrize(
    "identifier",
    ["lamb", "Lamb", "adam_w", {"class_name": "Lamb", "config": {}}],
    ids=["lamb", "Lamb", "adam_w", "lamb_dict"],
)
def test_unregistered_names_raise_like_keras(identifier):
    # Keras exports `Lamb` but leaves it out of the registry that `get` reads.
    with pytest.raises(ValueError):
        keras.optimizers.get(identifier)
    with pytest.raises(ValueError):
        jeras.optimizers.get(identifier)


def test_get_base_class_name_raises_type_error_like_keras():
    with pytest.raises(TypeError):
        keras.optimizers.get("optimizer")
    with pytest.raises(TypeError):
        jeras.optimizers.get("optimizer")


@pytest.mark.parametrize("cls_name", ADAPTIVE)
def test_config_round_trip_and_dict_get_match_keras(cls_name):
    kwargs = dict(next(kw for c, kw in reversed(CONFIGS) if c == cls_name), name="opt")
    k_cfg = getattr(keras.optimizers, cls_name)(**kwargs).get_config()
    j_opt = getattr(jeras.optimizers, cls_name)(**kwargs)
    assert j_opt.get_config() == k_cfg
    assert type(j_opt).from_config(j_opt.get_config()).get_config() == k_cfg
    if cls_name != "Lamb":
        as_dict = {"class_name": cls_name, "config": k_cfg}
        assert (
            jeras.optimizers.get(as_dict).get_config() == keras.optimizers.get(as_dict).get_config()
        )


@pytest.mark.parametrize("cls_name", ADAPTIVE)
def test_default_names_are_keras_auto_names(cls_name):
    k_opt, j_opt = getattr(keras.optimizers, cls_name)(), getattr(jeras.optimizers, cls_name)()
    assert _base(j_opt.name) == _base(k_opt.name)


@pytest.mark.parametrize("cls_name", ADAPTIVE)
@pytest.mark.parametrize("learning_rate", [1, np.float32(0.1)], ids=["int", "np_float32"])
def test_non_float_learning_rate_raises_like_keras(cls_name, learning_rate):
    with pytest.raises(ValueError):
        getattr(keras.optimizers, cls_name)(learning_rate=learning_rate)
    with pytest.raises(ValueError, match="learning_rate"):
        getattr(jeras.optimizers, cls_name)(learning_rate=learning_rate)


@pytest.mark.parametrize(
    "cls_name,kwargs",
    [
        ("AdamW", {"weight_decay": None}),
        ("Lion", {"beta_1": 0.0}),
        ("Lion", {"beta_1": 1.5}),
        ("Ftrl", {"initial_accumulator_value": -0.1}),
        ("Ftrl", {"learning_rate_power": 0.5}),
        ("Ftrl", {"l1_regularization_strength": -1.0}),
        ("Ftrl", {"l2_regularization_strength": -1.0}),
        ("Ftrl", {"l2_shrinkage_regularization_strength": -1.0}),
        ("Nadam", {"unknown_argument": 1}),
    ],
    ids=lambda v: v if isinstance(v, str) else "_".join(f"{k}={x}" for k, x in v.items()),
)
def test_invalid_arguments_raise_like_keras(cls_name, kwargs):
    with pytest.raises(ValueError):
        getattr(keras.optimizers, cls_name)(**kwargs)
    with pytest.raises(ValueError):
        getattr(jeras.optimizers, cls_name)(**kwargs)


def test_lion_accepts_beta_1_of_one_like_keras():
    keras.optimizers.Lion(beta_1=1.0)
    jeras.optimizers.Lion(beta_1=1.0)


def test_many_variables_update_like_one_at_a_time():
    # The slot lookup is a dict; with many variables each still finds its own slots.
    rng = np.random.default_rng(5)
    values = [rng.normal(size=(2,)).astype("float32") for _ in range(100)]
    grads = [rng.normal(size=(2,)).astype("float32") for _ in range(100)]
    opt = jeras.optimizers.Adam(learning_rate=0.1)
    variables = [jeras.Variable(v, name=f"v{i}") for i, v in enumerate(values)]
    opt.apply_gradients(zip(grads, variables))
    # Adam's first step is -lr * g / (|g| + eps_hat), eps_hat = eps / sqrt(1 - beta_2).
    eps_hat = 1e-7 / np.sqrt(1 - 0.999)
    for var, v, g in zip(variables, values, grads):
        assert_close(var.value, v - 0.1 * g / (np.abs(g) + eps_hat), atol=1e-6)


# -- inside a compiled fit ------------------------------------------------------------------
def _model(lib):
    inputs = lib.Input(shape=(5,), name="x")
    h = lib.layers.Dense(4, activation="tanh", name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="out")(h))


@pytest.mark.parametrize(
    "cls_name,kwargs",
    [
        ("Nadam", {"learning_rate": 0.01}),
        ("Adafactor", {"learning_rate": 0.05}),
        ("Lamb", {"learning_rate": 0.01, "gradient_accumulation_steps": 2}),
    ],
)
def test_compiled_fit_matches_keras(cls_name, kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 5)).astype("float32")
    y = rng.normal(size=(40, 2)).astype("float32")
    k_model, j_model = _model(keras), _model(jeras)
    j_model.set_weights(k_model.get_weights())
    k_model.compile(optimizer=getattr(keras.optimizers, cls_name)(**kwargs), loss="mse")
    j_model.compile(optimizer=getattr(jeras.optimizers, cls_name)(**kwargs), loss="mse")
    fit = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    k_hist = k_model.fit(x, y, **fit).history
    j_hist = j_model.fit(x, y, **fit).history
    assert_close(j_hist["loss"], k_hist["loss"], **matmul_tolerance(atol=1e-5, rtol=1e-4))
    for jw, kw in zip(j_model.get_weights(), k_model.get_weights()):
        assert_close(jw, kw, **matmul_tolerance(atol=1e-5, rtol=1e-4))
    # Built by fit (outside Keras's name scope): Adafactor's placeholders keep bare paths.
    assert _paths(j_model.optimizer) == _paths(k_model.optimizer)
    for jv, kv in zip(j_model.optimizer.variables, k_model.optimizer.variables):
        assert_close(jv.value, kv.value, **matmul_tolerance(atol=1e-5, rtol=1e-4))


def _jit_cache_sizes(model):
    return {
        key: fn._cache_size()
        for key, fn in model._engine._functions.items()
        if hasattr(fn, "_cache_size")
    }


def test_learning_rate_assignment_between_and_within_fits_matches_keras_without_recompiling():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")

    def run(lib):
        class Halve(lib.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 1:
                    self.model.optimizer.learning_rate = 0.5 * float(
                        np.asarray(self.model.optimizer.learning_rate)
                    )

        model = _model(lib)
        model.set_weights(weights)
        model.compile(optimizer=lib.optimizers.Nadam(learning_rate=0.05), loss="mse")
        fit = dict(batch_size=8, shuffle=False, verbose=0)
        model.fit(x, y, epochs=2, callbacks=[Halve()], **fit)
        sizes = _jit_cache_sizes(model) if lib is jeras else None
        model.optimizer.learning_rate = 0.01
        model.fit(x, y, epochs=1, **fit)
        if lib is jeras:
            # The learning rate is a state value of the compiled step, not a constant in it.
            assert sizes and _jit_cache_sizes(model) == sizes
        return model

    weights = _model(keras).get_weights()
    k_model, j_model = run(keras), run(jeras)
    assert_close(float(np.asarray(j_model.optimizer.learning_rate)), 0.01, atol=1e-6)
    for jw, kw in zip(j_model.get_weights(), k_model.get_weights()):
        assert_close(jw, kw, **matmul_tolerance(atol=1e-5, rtol=1e-4))
    assert (
        j_model.optimizer.get_config()["learning_rate"]
        == k_model.optimizer.get_config()["learning_rate"]
    )
