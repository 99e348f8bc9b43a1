"""Custom JAX train steps with several models, optimizers and metrics (a GAN, a VAE), step for
step against Keras (JAX backend) from the same weights; random draws inside compiled steps."""

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
from oracle import assert_close, matmul_tolerance

import jeras


class BatchLogs:
    """Collects every batch's logs (as floats) of a `fit`."""

    def __init__(self, lib):
        rows = self.rows = []

        class Collect(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                rows.append({k: float(v) for k, v in logs.items()})

        self.callback = Collect()


# -- GAN ------------------------------------------------------------------------------------------
def gan_class(keras):
    class GAN(keras.Model):
        """Two sub-models, each with its own optimizer; the latent vectors come as `y` so that
        both libraries see the same noise."""

        def __init__(self, discriminator, generator):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn
            d_optimizer.build(self.discriminator.trainable_variables)
            g_optimizer.build(self.generator.trainable_variables)

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_variables, metrics_variables = state
            real_images, noise = data
            n_d = len(self.discriminator.trainable_variables)
            d_vars, g_vars = trainable[:n_d], trainable[n_d:]
            # optimizer_variables: compile()'s default optimizer, then d_optimizer, g_optimizer.
            n_main = len(self.optimizer.variables)
            n_dopt = len(self.d_optimizer.variables)
            main_opt = optimizer_variables[:n_main]
            d_opt = optimizer_variables[n_main : n_main + n_dopt]
            g_opt = optimizer_variables[n_main + n_dopt :]
            batch = real_images.shape[0]

            def d_loss_fn(d_vars):
                fake, _ = self.generator.stateless_call(g_vars, [], noise)
                combined = jnp.concatenate([fake, real_images])
                labels = jnp.concatenate([jnp.ones((batch, 1)), jnp.zeros((batch, 1))])
                predictions, _ = self.discriminator.stateless_call(d_vars, [], combined)
                return self.loss_fn(labels, predictions)

            d_loss, d_grads = jax.value_and_grad(d_loss_fn)(d_vars)
            d_vars, d_opt = self.d_optimizer.stateless_apply(d_opt, d_grads, d_vars)

            def g_loss_fn(g_vars):
                fake, _ = self.generator.stateless_call(g_vars, [], noise)
                predictions, _ = self.discriminator.stateless_call(d_vars, [], fake)
                return self.loss_fn(jnp.zeros((batch, 1)), predictions)

            g_loss, g_grads = jax.value_and_grad(g_loss_fn)(g_vars)
            g_vars, g_opt = self.g_optimizer.stateless_apply(g_opt, g_grads, g_vars)
            d_metric = self.d_loss_tracker.stateless_update_state(metrics_variables[:2], d_loss)
            g_metric = self.g_loss_tracker.stateless_update_state(metrics_variables[2:], g_loss)
            logs = {
                "d_loss": self.d_loss_tracker.stateless_result(d_metric),
                "g_loss": self.g_loss_tracker.stateless_result(g_metric),
            }
            state = (
                list(d_vars) + list(g_vars),
                non_trainable,
                list(main_opt) + list(d_opt) + list(g_opt),
                list(d_metric) + list(g_metric),
            )
            return logs, state

    return GAN


def _gan(lib, weights=None):
    d_in = lib.Input(shape=(6,))
    d_hidden = lib.layers.Dense(8, activation="relu")(d_in)
    discriminator = lib.Model(d_in, lib.layers.Dense(1)(d_hidden))
    g_in = lib.Input(shape=(3,))
    g_hidden = lib.layers.Dense(8, activation="relu")(g_in)
    generator = lib.Model(g_in, lib.layers.Dense(6, activation="tanh")(g_hidden))
    model = gan_class(lib)(discriminator, generator)
    if weights is not None:
        discriminator.set_weights(weights[0])
        generator.set_weights(weights[1])
    model.compile(
        d_optimizer=lib.optimizers.Adam(learning_rate=0.01),
        g_optimizer=lib.optimizers.Adam(learning_rate=0.02),
        loss_fn=lib.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


@pytest.mark.slow
def test_gan_with_two_optimizers_trains_like_keras_step_for_step():
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (32, 6)).astype("float32")
    noise = rng.normal(size=(32, 3)).astype("float32")
    k_gan = _gan(keras)
    weights = (k_gan.discriminator.get_weights(), k_gan.generator.get_weights())
    j_gan = _gan(jeras, weights)
    # Keras's fit carries only `model.optimizer`'s variables; its GAN step runs by hand here
    # with the state jeras's fit builds (see `_state_optimizers`).
    k_gan.optimizer.build(k_gan.trainable_variables)
    values = lambda vs: [v.value for v in vs]  # noqa: E731
    optimizers = (k_gan.optimizer, k_gan.d_optimizer, k_gan.g_optimizer)
    state = (
        values(k_gan.trainable_variables),
        values(k_gan.non_trainable_variables),
        [v for o in optimizers for v in values(o.variables)],
        values(k_gan.metrics_variables),
    )
    step = jax.jit(k_gan.train_step)
    want = []
    for i in range(4):
        logs, state = step(state, (real[i * 8 : (i + 1) * 8], noise[i * 8 : (i + 1) * 8]))
        want.append({k: float(v) for k, v in logs.items()})
    logs = BatchLogs(jeras)
    j_gan.fit(
        real, noise, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[logs.callback]
    )
    assert_close(logs.rows, want, **matmul_tolerance())
    assert_close(
        j_gan.discriminator.get_weights() + j_gan.generator.get_weights(),
        [np.asarray(v) for v in state[0]],
        **matmul_tolerance(),
    )
    assert int(j_gan.d_optimizer.iterations.numpy()) == 4
    assert int(j_gan.optimizer.iterations.numpy()) == 0  # compile()'s default, never applied


def test_an_unbuilt_second_optimizer_is_named():
    model = _gan(jeras)
    model.h_optimizer = jeras.optimizers.SGD()
    with pytest.raises(ValueError, match=r"`h_optimizer`, which is not built"):
        model.fit(np.zeros((8, 6), "float32"), np.zeros((8, 3), "float32"), verbose=0)


# -- VAE ------------------------------------------------------------------------------------------
def vae_classes(keras, replay_jeras_keys):
    class Sampling(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = self.draw(z_mean.shape)
            return z_mean + jnp.exp(0.5 * z_log_var) * epsilon

        def draw(self, shape):
            if not replay_jeras_keys:
                return keras.random.normal(shape=shape, seed=self.seed_generator)
            # The Keras run draws jeras's keys (state [counter, seed], the counter folded into
            # PRNGKey(seed)): the two libraries turn a seed into a key differently. This is the
            # one thing the Keras run takes from jeras.
            state = self.seed_generator.state
            value = state.value
            key = jax.random.fold_in(jax.random.PRNGKey(value[1]), value[0])
            state.assign(value + jnp.array([1, 0], value.dtype))
            return jax.random.normal(key, shape)

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.sampling = Sampling()
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

        def call(self, x, training=None):
            z_mean, z_log_var = self.encoder(x)
            z = self.sampling([z_mean, z_log_var])
            return z_mean, z_log_var, self.decoder(z)

        def losses_of(self, trainable, non_trainable, x):
            (z_mean, z_log_var, reconstruction), non_trainable = self.stateless_call(
                trainable, non_trainable, x, training=True
            )
            reconstruction = jnp.clip(reconstruction, 1e-7, 1 - 1e-7)
            bce = -(x * jnp.log(reconstruction) + (1 - x) * jnp.log(1 - reconstruction))
            reconstruction_loss = jnp.mean(jnp.sum(bce, axis=1))
            kl = -0.5 * (1 + z_log_var - jnp.square(z_mean) - jnp.exp(z_log_var))
            kl_loss = jnp.mean(jnp.sum(kl, axis=1))
            total = reconstruction_loss + kl_loss
            return total, (reconstruction_loss, kl_loss, non_trainable)

        def train_step(self, state, data):
            trainable, non_trainable, optimizer_variables, metrics_variables = state
            grad_fn = jax.value_and_grad(self.losses_of, has_aux=True)
            (total, (reconstruction_loss, kl_loss, non_trainable)), grads = grad_fn(
                trainable, non_trainable, data
            )
            trainable, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable
            )
            new_metrics_variables, logs = [], {}
            for metric, value in zip(self.metrics, (total, reconstruction_loss, kl_loss)):
                start = len(new_metrics_variables)
                this = metrics_variables[start : start + len(metric.variables)]
                this = metric.stateless_update_state(this, value)
                logs[metric.name] = metric.stateless_result(this)
                new_metrics_variables += this
            return logs, (trainable, non_trainable, optimizer_variables, new_metrics_variables)

    return VAE


def _vae(lib, weights=None):
    e_in = lib.Input(shape=(8,))
    hidden = lib.layers.Dense(6, activation="relu")(e_in)
    encoder = lib.Model(e_in, [lib.layers.Dense(2)(hidden), lib.layers.Dense(2)(hidden)])
    d_in = lib.Input(shape=(2,))
    d_hidden = lib.layers.Dense(6, activation="relu")(d_in)
    decoder = lib.Model(d_in, lib.layers.Dense(8, activation="sigmoid")(d_hidden))
    model = vae_classes(lib, replay_jeras_keys=lib is keras)(encoder, decoder)
    if weights is not None:
        encoder.set_weights(weights[0])
        decoder.set_weights(weights[1])
    if lib is keras:
        model.sampling.seed_generator.state.assign(np.array([0, 1337], "uint32"))
    model(np.zeros((1, 8), "float32"))  # built (and one draw) before fit, on both sides
    model.compile(optimizer=lib.optimizers.Adam(learning_rate=0.01))
    return model


@pytest.mark.slow
def test_vae_with_several_mean_metrics_trains_like_keras_step_for_step():
    x = np.random.default_rng(1).uniform(0, 1, (20, 8)).astype("float32")
    k_vae = _vae(keras)
    j_vae = _vae(jeras, (k_vae.encoder.get_weights(), k_vae.decoder.get_weights()))
    histories, batches = [], []
    for model, lib in ((k_vae, keras), (j_vae, jeras)):
        logs = BatchLogs(lib)
        history = model.fit(
            x, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[logs.callback]
        )
        histories.append(history.history)
        batches.append(logs.rows)
    assert_close(batches[1], batches[0], **matmul_tolerance())
    assert_close(histories[1], histories[0], **matmul_tolerance())
    assert_close(j_vae.get_weights(), k_vae.get_weights(), **matmul_tolerance())
    # 1 draw building + 3 batches (the last one short) x 2 epochs.
    counter = int(np.asarray(j_vae.sampling.seed_generator.state.value)[0])
    assert counter == 7


# -- randomness in evaluate / predict -------------------------------------------------------------
def _noisy_model(lib):
    class Noise(lib.layers.Layer):
        """Adds uniform noise in every mode (training or not)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = lib.random.SeedGenerator(3)

        def call(self, inputs):
            return inputs + lib.random.uniform(inputs.shape, seed=self.seed_generator)

    inputs = lib.Input(shape=(2,))
    model = lib.Model(inputs, Noise()(lib.layers.Dense(1)(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    return model


def _counter(model, lib):
    (layer,) = [layer for layer in model.layers if hasattr(layer, "seed_generator")]
    value = np.asarray(layer.seed_generator.state.value)
    return int(value[0] if lib is jeras else value[1])  # jeras: [counter, seed]


@pytest.mark.parametrize("batch_size", [1, 2])
def test_predict_draws_anew_per_batch_and_per_call_as_keras(batch_size):
    x = np.ones((6, 2), "float32")
    for lib in (keras, jeras):
        model = _noisy_model(lib)
        first = model.predict(x, batch_size=batch_size, verbose=0)
        second = model.predict(x, batch_size=batch_size, verbose=0)
        assert not np.allclose(first, second), lib.__name__
        assert not np.allclose(first[0], first[-1]), lib.__name__
        assert _counter(model, lib) == 2 * 6 // batch_size, lib.__name__


def test_evaluate_draws_anew_per_batch_and_per_call_as_keras():
    x = np.ones((6, 2), "float32")
    y = np.zeros((6, 1), "float32")
    for lib in (keras, jeras):
        model = _noisy_model(lib)
        first = model.evaluate(x, y, batch_size=2, verbose=0)
        second = model.evaluate(x, y, batch_size=2, verbose=0)
        assert first != second, lib.__name__
        assert _counter(model, lib) == 6, lib.__name__


def test_unseeded_random_in_call_is_refused_in_fit_as_keras():
    for lib in (keras, jeras):

        class Unseeded(lib.layers.Layer):
            def call(self, inputs):
                return inputs + lib.random.normal(inputs.shape)

        with pytest.raises(ValueError, match="SeedGenerator"):
            # Keras refuses when it builds the functional graph, jeras when it compiles fit.
            inputs = lib.Input(shape=(2,))
            model = lib.Model(inputs, Unseeded()(lib.layers.Dense(1)(inputs)))
            model.compile(optimizer="sgd", loss="mse")
            model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)


def test_the_subclassing_guides_custom_dropout_draws_a_new_mask_every_step():
    class CustomDropout(jeras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = jeras.random.SeedGenerator(1337)

        def call(self, inputs, training=None):
            if training:
                return jeras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            return inputs

    inputs = jeras.Input(shape=(4,))
    dropout = CustomDropout(0.5)
    model = jeras.Model(inputs, jeras.layers.Dense(1)(dropout(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((12, 4)), np.ones((12, 1)), batch_size=4, epochs=2, verbose=0)
    assert int(np.asarray(dropout.seed_generator.state.value)[0]) == 6  # one draw per step
    x = np.ones((64, 4), "float32")
    first = np.asarray(dropout(x, training=True))
    second = np.asarray(dropout(x, training=True))
    assert not np.array_equal(first, second)
    assert set(np.unique(first)) <= {0.0, 2.0}


def test_unseeded_random_in_an_eager_call_draws_fresh_values_as_keras():
    class Unseeded(jeras.layers.Layer):
        def call(self, inputs):
            return inputs + jeras.random.normal(inputs.shape)

    class Noisy(jeras.Model):
        def __init__(self):
            super().__init__()
            self.noise = Unseeded()

        def call(self, x):
            return self.noise(x)

    model = Noisy()
    x = np.zeros((3, 2), "float32")
    model(x)
    assert not np.array_equal(np.asarray(model(x)), np.asarray(model(x)))
