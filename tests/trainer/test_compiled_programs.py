"""`predict` on many different sample counts compiles a few programs, not one per count, and
the padding it adds never shows in its results (checked against a NumPy forward pass)."""

import gc
import os

import numpy as np
import pytest

import jeras


def _numpy_forward(weights, x):
    kernel1, bias1, kernel2, bias2 = weights
    hidden = np.maximum(x @ kernel1 + bias1, 0.0)
    return hidden @ kernel2 + bias2


def test_predict_on_varied_sample_counts_compiles_a_bounded_number_of_programs():
    model = jeras.Sequential(
        [
            jeras.Input((20,)),
            jeras.layers.Dense(16, activation="relu"),
            jeras.layers.Dense(3),
        ]
    )
    x = np.random.default_rng(0).normal(size=(300, 20)).astype("float32")
    expected = _numpy_forward(model.get_weights(), x)
    for n in range(33, 233):
        out = model.predict(x[:n], verbose=0)
        assert out.shape == (n, 3)
        np.testing.assert_allclose(out, expected[:n], rtol=1e-5, atol=1e-5)
    programs = sum(fn._cache_size() for fn in model._engine._functions.values())
    # 200 sample counts: one program per power of two of steps per call and of batch rows.
    assert programs <= 16, programs


def test_predict_with_a_batch_callback_sees_only_real_batches():
    model = jeras.Sequential([jeras.Input((20,)), jeras.layers.Dense(3)])
    x = np.random.default_rng(1).normal(size=(70, 20)).astype("float32")
    seen = []

    class Sizes(jeras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append((batch, logs["outputs"].shape[0]))

    out = model.predict(x, batch_size=32, verbose=0, callbacks=[Sizes()])
    np.testing.assert_allclose(
        out, x @ model.get_weights()[0] + model.get_weights()[1], rtol=1e-5, atol=1e-5
    )
    assert [batch for batch, _ in seen] == [0, 1, 2]


# -- fit and evaluate on varied sizes ----------------------------------------------------------
def _linear_model(seed=0):
    model = jeras.Sequential([jeras.Input((5,)), jeras.layers.Dense(2)])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=(5, 2)).astype("float32"), np.zeros(2, "float32")])
    model.compile(jeras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return model


def _numpy_sgd_epoch(kernel, bias, x, y, batch_size, learning_rate):
    """One epoch of SGD on the mean squared error, batches in order, the last one short."""
    for start in range(0, len(x), batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        error = xb @ kernel + bias - yb
        scale = 2.0 / error.size
        kernel = kernel - learning_rate * scale * xb.T @ error
        bias = bias - learning_rate * scale * error.sum(axis=0)
    return kernel, bias


def test_fit_and_evaluate_on_varied_sizes_compile_a_bounded_number_of_programs():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 5)).astype("float32")
    y = rng.normal(size=(400, 2)).astype("float32")
    model = _linear_model()
    for n in range(40, 400, 6):  # 60 sizes, each with a short last batch
        kernel, bias = model.get_weights()
        model.fit(x[:n], y[:n], batch_size=16, epochs=1, shuffle=False, verbose=0)
        want_kernel, want_bias = _numpy_sgd_epoch(kernel, bias, x[:n], y[:n], 16, 0.05)
        np.testing.assert_allclose(model.get_weights()[0], want_kernel, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(model.get_weights()[1], want_bias, rtol=1e-4, atol=1e-5)
        loss, mae = model.evaluate(x[: n + 3], y[: n + 3], batch_size=16, verbose=0)
        error = x[: n + 3] @ want_kernel + want_bias - y[: n + 3]
        np.testing.assert_allclose(loss, np.mean(error**2), rtol=1e-4)
        np.testing.assert_allclose(mae, np.mean(np.abs(error)), rtol=1e-4)
    # Before, each size compiled its own programs (its data shape, and its last call): about
    # 240 here. Now samples fall on 8 sizes per power of two and calls run powers of two of
    # steps, so the count grows with the logarithm of the largest size only.
    assert model._engine.programs.compiled <= 90, model._engine.programs.compiled


def _rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_memory_stays_flat_over_many_calls_of_varied_sizes():
    """150 fit / evaluate / predict calls on sizes never seen before: the program cache stays
    within its capacity, dropped programs free their memory, and RSS stays flat (each call
    compiles new programs, about 0.7 s each on 2 cores: 150 keeps the test near 100 s)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 5)).astype("float32")
    y = rng.normal(size=(3000, 2)).astype("float32")
    model = _linear_model()
    model.fit(x[:64], y[:64], epochs=1, verbose=0)
    model._engine.programs.capacity = 8  # eviction exercised from the first calls on
    sizes = rng.permutation(np.arange(20, 3000))[:150]
    for i, n in enumerate(sizes):
        if i == 50:
            gc.collect()
            baseline = _rss_mb()
        if i % 3 == 0:
            model.fit(x[:n], y[:n], batch_size=int(n % 7 + 4), epochs=1, verbose=0)
        elif i % 3 == 1:
            model.evaluate(x[:n], y[:n], batch_size=int(n % 5 + 8), verbose=0)
        else:
            model.predict(x[:n], batch_size=int(n % 9 + 8), verbose=0)
        assert len(model._engine.programs) <= 8
    gc.collect()
    growth = _rss_mb() - baseline
    # Before the bound every new shape kept its executable (about 1 MB each here, and a call
    # compiles one to three): 100 calls would have grown it by well over 100 MB.
    assert growth < 60, f"RSS grew by {growth:.0f} MB over 100 calls"
