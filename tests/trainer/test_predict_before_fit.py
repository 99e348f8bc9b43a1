"""`predict` before the first `fit` / `evaluate`: the engine it makes has no loss yet, and the
loops after it must not reuse it (they once trained on a loss of 0.0)."""

import numpy as np

import jeras


def _model(lib):
    inputs = lib.Input((8,))
    outputs = lib.layers.Dense(1)(lib.layers.Dense(4, activation="tanh")(inputs))
    model = lib.Model(inputs, outputs)
    model.compile(lib.optimizers.SGD(0.01), "mse", metrics=["mae"])
    return model


def test_fit_and_evaluate_after_predict_match_keras():
    import keras

    x = np.random.default_rng(5).normal(size=(64, 8)).astype("float32")
    y = x.sum(1, keepdims=True)
    ours, theirs = _model(jeras), _model(keras)
    theirs.set_weights(ours.get_weights())
    for model in (ours, theirs):
        model.predict(x, verbose=0)
    ours_eval = ours.evaluate(x, y, verbose=0)
    theirs_eval = theirs.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(ours_eval, theirs_eval, rtol=1e-5)
    assert ours_eval[0] > 1.0
    ours_history = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    theirs_history = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    for key in ("loss", "mae"):
        np.testing.assert_allclose(ours_history[key], theirs_history[key], rtol=1e-5)
