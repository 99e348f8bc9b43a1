"""SwapEMAWeights against Keras 3: validation inside fit runs on the moving averages, the
averages stay in the model with `swap_on_epoch`, and a stand-alone evaluate / predict uses
them and then gives the trained weights back."""

import keras
import numpy as np
import pytest
from callback_models import binary_data, compiled_pair

import jeras


def _ema_optimizer(lib):
    return lib.optimizers.Adam(0.05, use_ema=True, ema_momentum=0.9)


def _fit(model, callbacks, x, y):
    return model.fit(
        x,
        y,
        batch_size=16,
        epochs=3,
        validation_split=0.25,
        shuffle=False,
        verbose=0,
        callbacks=callbacks,
    )


def test_validation_uses_the_averages_and_they_stay_in_the_model_as_keras():
    x, y = binary_data(96)
    k_model, j_model = compiled_pair(optimizer=_ema_optimizer)
    j_history = _fit(j_model, [jeras.callbacks.SwapEMAWeights(swap_on_epoch=True)], x, y)
    k_history = _fit(k_model, [keras.callbacks.SwapEMAWeights(swap_on_epoch=True)], x, y)
    for key in ("loss", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(
            j_history.history[key], k_history.history[key], rtol=1e-4, atol=1e-5, err_msg=key
        )
    for got, want in zip(j_model.get_weights(), k_model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_stand_alone_evaluate_and_predict_use_the_averages_then_restore_the_weights():
    x, y = binary_data(80, seed=3)
    model = compiled_pair(optimizer=_ema_optimizer)[1]
    model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(0)
    averages = [
        w + rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()
    ]
    for average, value in zip(model.optimizer._ema_averages, averages):
        average.assign(value)
    trained = model.get_weights()

    reference = compiled_pair()[0]
    reference.set_weights(averages)
    expected_loss = reference.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)["loss"]
    expected_outputs = reference.predict(x, batch_size=16, verbose=0)

    swap = jeras.callbacks.SwapEMAWeights()
    result = model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[swap], return_dict=True)
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    np.testing.assert_allclose(
        model.predict(x, batch_size=16, verbose=0, callbacks=[swap]),
        expected_outputs,
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        model.predict(x[:5], verbose=0, callbacks=[swap]),
        expected_outputs[:5],
        rtol=1e-5,
        atol=1e-6,
    )
    for got, want in zip(model.get_weights(), trained):
        np.testing.assert_array_equal(got, want)
    for average, want in zip(model.optimizer._ema_averages, averages):
        np.testing.assert_array_equal(np.asarray(average.value), want)
    # Without the callback: the trained weights.
    reference.set_weights(trained)
    assert model.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(
        reference.evaluate(x, y, batch_size=16, verbose=0), rel=1e-5
    )


def test_requires_an_optimizer_with_use_ema(built_pair):
    errors = {}
    for model, lib in zip(built_pair, (keras, jeras)):
        callback = lib.callbacks.SwapEMAWeights()
        callback.set_model(model)
        with pytest.raises(ValueError) as info:
            callback.on_test_begin()
        errors[lib] = str(info.value)
    assert errors[jeras] == errors[keras]
