"""`RematScope` / `remat`: rematerialised layers train to the same numbers (recomputing in the
backward pass changes memory, not results) and really are checkpointed."""

import jax
import keras
import numpy as np
import pytest

import jeras


def _model(lib, mode, dropout=0.0):
    with lib.RematScope(mode=mode, output_size_threshold=100, layer_names=["d1"]):
        inputs = lib.Input((8,))
        hidden = lib.layers.Dense(16, activation="relu", name="d1")(inputs)
        hidden = lib.layers.Dropout(dropout, seed=3)(hidden)
        hidden = lib.layers.Dense(4, activation="tanh", name="d2", kernel_regularizer="l2")(hidden)
        outputs = lib.layers.Dense(1, name="d3")(hidden)
    # Keras 3 cannot build a functional model that was itself created inside a "full" scope
    # (its symbolic build fails), so the model wraps the layers outside the scope.
    model = lib.Model(inputs, outputs)
    model.set_weights(
        [
            np.random.default_rng(i).normal(0, 0.5, w.shape).astype("float32")
            for i, w in enumerate(model.get_weights())
        ]
    )
    model.compile(lib.optimizers.SGD(0.01), "mse")
    return model


def _fit(model):
    x = np.random.default_rng(5).normal(size=(64, 8)).astype("float32")
    history = model.fit(
        x, x.sum(1, keepdims=True), batch_size=8, epochs=2, shuffle=False, verbose=0
    )
    return history.history["loss"], model.get_weights()


@pytest.mark.parametrize("mode", ["full", "activations", "larger_than", "list_of_layers"])
def test_rematerialised_models_train_like_keras_without_remat(mode):
    theirs_loss, theirs_weights = _fit(_model(keras, None))
    ours_loss, ours_weights = _fit(_model(jeras, mode))
    np.testing.assert_allclose(ours_loss, theirs_loss, rtol=1e-6)
    for a, b in zip(ours_weights, theirs_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_state_written_inside_a_checkpoint_leaves_it():
    # Dropout advances its seed stream inside the rematerialised call: the draws and the
    # training must be those of the same model without remat.
    plain_loss, plain_weights = _fit(_model(jeras, None, dropout=0.5))
    remat_loss, remat_weights = _fit(_model(jeras, "full", dropout=0.5))
    np.testing.assert_array_equal(remat_loss, plain_loss)
    for a, b in zip(remat_weights, plain_weights):
        np.testing.assert_array_equal(a, b)


# The name of jax.checkpoint's primitive in a jaxpr ("remat2" in current JAX releases).
CHECKPOINT = {"checkpoint", "remat", "remat2"}


def _checkpointed(fn, x):
    jaxpr = jax.make_jaxpr(jax.grad(lambda v: fn(v).sum()))(x)
    return bool(CHECKPOINT & {eqn.primitive.name for eqn in jaxpr.jaxpr.eqns})


def test_the_call_is_checkpointed_only_where_the_mode_says():
    x = np.ones((2, 8), "float32")
    with jeras.RematScope("full"):
        full = jeras.layers.Dense(3, activation="relu")
    with jeras.RematScope("list_of_layers", layer_names=["picked"]):
        picked = jeras.layers.Dense(3, name="picked")
        other = jeras.layers.Dense(3, name="other")
    with jeras.RematScope("larger_than", output_size_threshold=5):
        small = jeras.layers.Dense(2)  # 4 output elements
        large = jeras.layers.Dense(3)  # 6 output elements
    assert _checkpointed(full, x)
    assert _checkpointed(picked, x)
    assert not _checkpointed(other, x)
    assert not _checkpointed(small, x)
    assert _checkpointed(large, x)
    assert _checkpointed(jeras.remat(jax.numpy.sin), x)
    assert not _checkpointed(jax.numpy.sin, x)


def test_a_bad_mode_is_named():
    with pytest.raises(ValueError, match="invalid mode 'everything'"):
        jeras.RematScope("everything")
