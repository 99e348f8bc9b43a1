"""`compile(optimizer=<optax GradientTransformation>)`: the transformation runs inside the compiled
`fit` step with its state in optimizer variables; compared with the equivalent Keras optimizer
in a real Keras fit, and with NumPy."""

import subprocess
import sys

import keras
import numpy as np
import pytest
from oracle import regression_data

import jeras

optax = pytest.importorskip("optax")


def _model(lib):
    inputs = lib.Input(shape=(4,))
    h = lib.layers.Dense(3, activation="tanh", name="hidden")(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="out")(h))


WEIGHTS = None


def _weights():
    global WEIGHTS
    if WEIGHTS is None:
        WEIGHTS = _model(keras).get_weights()
    return WEIGHTS


def _fit(lib, optimizer, epochs=3):
    x, y = regression_data()
    model = _model(lib)
    model.set_weights(_weights())
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return model, history.history


def test_get_wraps_a_gradient_transformation():
    tx = optax.sgd(0.1)
    opt = jeras.optimizers.get(tx)
    assert isinstance(opt, jeras.optimizers.OptaxOptimizer)
    assert opt.transformation is tx
    with pytest.raises(ValueError):
        jeras.optimizers.OptaxOptimizer(object())
    with pytest.raises(ValueError):
        jeras.optimizers.OptaxOptimizer.from_config(opt.get_config())


def test_optax_sgd_in_fit_matches_sgd():
    k_model, k_hist = _fit(keras, keras.optimizers.SGD(0.1))
    o_model, o_hist = _fit(jeras, optax.sgd(0.1))
    assert isinstance(o_model.optimizer, jeras.optimizers.OptaxOptimizer)
    for ow, kw in zip(o_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ow, kw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o_hist["loss"], k_hist["loss"], rtol=1e-5)
    assert int(np.asarray(o_model.optimizer.iterations.value)) == 12


def test_optax_adam_in_fit_matches_adam_up_to_epsilon_placement():
    # optax divides the bias-corrected m by sqrt(v_hat) + eps; Keras folds the bias
    # correction into the step size and add eps to sqrt(v) uncorrected, i.e. eps * sqrt(1 -
    # beta_2^t) in optax's terms. With a tiny eps both are the same update to ~1e-6.
    k_model, _ = _fit(keras, keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-10))
    o_model, _ = _fit(jeras, optax.adam(0.01, eps=1e-10))
    for ow, kw in zip(o_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ow, kw, rtol=1e-4, atol=1e-5)
    # The state lives in optimizer variables, one per leaf of optax's state pytree: the step
    # count, then mu and nu for each of the 4 weights.
    opt = o_model.optimizer
    state = opt._state_variables
    assert len(state) == 1 + 4 + 4
    assert {id(v) for v in state} <= {id(v) for v in opt.variables}
    assert int(np.asarray(state[0].value)) == 12
    assert state[1].path == f"{opt.name}/{state[1].name}"
    assert str(np.asarray(state[0].value).dtype) == "int32"
    # mu after 12 steps matches Keras Adam's first-moment slot for the same weight.
    k_momentum = next(v for v in k_model.optimizer.variables if v.name.endswith("momentum"))
    np.testing.assert_allclose(
        np.asarray(state[1].value), np.asarray(k_momentum.value), rtol=1e-3, atol=1e-6
    )


def test_optax_with_gradient_accumulation_and_learning_rate_scale():
    k_model, _ = _fit(
        keras, keras.optimizers.SGD(0.05, momentum=0.9, gradient_accumulation_steps=2)
    )
    o_model, _ = _fit(
        jeras,
        jeras.optimizers.OptaxOptimizer(
            optax.sgd(0.1, momentum=0.9), learning_rate=0.5, gradient_accumulation_steps=2
        ),
    )
    # optax's trace is m <- g + 0.9 m and the step -0.1 m; SGD's m <- 0.9 m - lr g: the same
    # trajectory when 0.1 * 0.5 == 0.05.
    for ow, kw in zip(o_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(ow, kw, rtol=1e-5, atol=1e-6)
    assert int(np.asarray(o_model.optimizer.iterations)) == 6


def test_eager_apply_leaves_variables_without_gradients_unchanged():
    opt = jeras.optimizers.OptaxOptimizer(optax.sgd(0.5))
    a = jeras.Variable(np.array([1.0, 2.0], "float32"), name="a")
    b = jeras.Variable(np.array([3.0], "float32"), name="b")
    opt.apply_gradients([(np.array([1.0, -1.0], "float32"), a), (None, b)])
    np.testing.assert_allclose(np.asarray(a.value), [0.5, 2.5])
    np.testing.assert_allclose(np.asarray(b.value), [3.0])


def test_importing_jeras_does_not_import_optax():
    code = "import sys, jeras; jeras.optimizers.get('adam'); print('optax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
