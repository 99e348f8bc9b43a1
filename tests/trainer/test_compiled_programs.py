"""`predict` on many different sample counts compiles a few programs, not one per count, and
the padding it adds never shows in its results (checked against a NumPy forward pass)."""

import numpy as np

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
