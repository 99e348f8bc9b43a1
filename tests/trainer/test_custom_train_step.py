"""The keras.io guide "Customizing what happens in fit() with JAX", snippet by snippet, on jeras
and on Keras (JAX backend) from the same weights: the same loss history and final weights. The
data are synthetic, of the guide's shapes, fewer samples (100: a short last batch)."""

import jax
import keras
import numpy as np
import pytest
from oracle import assert_close, assert_same_history, matmul_tolerance

import jeras


def guide_models(keras):
    """The guide's three `CustomModel` classes, written as in the guide for one library."""

    class CustomModel(keras.Model):
        def compute_loss_and_updates(
            self,
            trainable_variables,
            non_trainable_variables,
            metrics_variables,
            x,
            y,
            sample_weight,
            training=False,
        ):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables,
                non_trainable_variables,
                x,
                training=training,
            )
            (
                loss,
                (
                    trainable_variables,
                    non_trainable_variables,
                    metrics_variables,
                ),
            ) = self.stateless_compute_loss(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x=x,
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
                training=training,
            )
            return loss, (y_pred, non_trainable_variables, metrics_variables)

        def train_step(self, state, data):
            (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                metrics_variables,
            ) = state
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables, metrics_variables)), grads = grad_fn(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x,
                y,
                sample_weight,
                training=True,
            )
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
                ]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, loss, sample_weight=sample_weight
                    )
                else:
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, y, y_pred, sample_weight=sample_weight
                    )
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                new_metrics_vars,
            )
            return logs, state

    class LowerLevelModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def compute_loss_and_updates(
            self,
            trainable_variables,
            non_trainable_variables,
            x,
            y,
            sample_weight,
            training=False,
        ):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables,
                non_trainable_variables,
                x,
                training=training,
            )
            loss = self.loss_fn(y, y_pred, sample_weight=sample_weight)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                metrics_variables,
            ) = state
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables,
                non_trainable_variables,
                x,
                y,
                sample_weight,
                training=True,
            )
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables
            )
            loss_tracker_vars = metrics_variables[: len(self.loss_tracker.variables)]
            mae_metric_vars = metrics_variables[len(self.loss_tracker.variables) :]
            loss_tracker_vars = self.loss_tracker.stateless_update_state(
                loss_tracker_vars, loss, sample_weight=sample_weight
            )
            mae_metric_vars = self.mae_metric.stateless_update_state(
                mae_metric_vars, y, y_pred, sample_weight=sample_weight
            )
            logs = {}
            logs[self.loss_tracker.name] = self.loss_tracker.stateless_result(loss_tracker_vars)
            logs[self.mae_metric.name] = self.mae_metric.stateless_result(mae_metric_vars)
            new_metrics_vars = loss_tracker_vars + mae_metric_vars
            state = (
                trainable_variables,
                non_trainable_variables,
                optimizer_variables,
                new_metrics_vars,
            )
            return logs, state

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class EvalModel(keras.Model):
        def test_step(self, state, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            (
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
            ) = state
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables,
                non_trainable_variables,
                x,
                training=False,
            )
            (
                loss,
                (
                    trainable_variables,
                    non_trainable_variables,
                    metrics_variables,
                ),
            ) = self.stateless_compute_loss(
                trainable_variables,
                non_trainable_variables,
                metrics_variables,
                x=x,
                y=y,
                y_pred=y_pred,
                sample_weight=sample_weight,
                training=False,
            )
            new_metrics_vars = []
            logs = {}
            for metric in self.metrics:
                this_metric_vars = metrics_variables[
                    len(new_metrics_vars) : len(new_metrics_vars) + len(metric.variables)
                ]
                if metric.name == "loss":
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, loss, sample_weight=sample_weight
                    )
                else:
                    this_metric_vars = metric.stateless_update_state(
                        this_metric_vars, y, y_pred, sample_weight=sample_weight
                    )
                logs[metric.name] = metric.stateless_result(this_metric_vars)
                new_metrics_vars += this_metric_vars
            state = (
                trainable_variables,
                non_trainable_variables,
                new_metrics_vars,
            )
            return logs, state

    return {"first": CustomModel, "lower": LowerLevelModel, "eval": EvalModel}


def _data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 32)).astype("float32"), rng.random((n, 1)).astype("float32")


def _pair(section):
    models = {}
    for lib in (keras, jeras):
        inputs = lib.Input(shape=(32,))
        outputs = lib.layers.Dense(1)(inputs)
        models[lib] = guide_models(lib)[section](inputs, outputs)
    models[jeras].set_weights(models[keras].get_weights())
    return models[keras], models[jeras]


def _fit_both(k_model, j_model, x, y, **kwargs):
    histories = []
    for model in (k_model, j_model):
        np.random.seed(1)  # fit shuffles with NumPy's global generator: the same order
        histories.append(model.fit(x, y, verbose=0, **kwargs).history)
    return histories


@pytest.mark.slow
def test_first_simple_example_trains_like_keras():
    k_model, j_model = _pair("first")
    for model in (k_model, j_model):
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x, y = _data()
    want, got = _fit_both(k_model, j_model, x, y, epochs=3, batch_size=32)
    assert_same_history(got, want, **matmul_tolerance())
    assert_close(j_model.get_weights(), k_model.get_weights(), **matmul_tolerance())


def test_going_lower_level_updates_weights_and_reports_its_own_loss():
    """compile(optimizer="adam") only: the loss lives in the custom step. (jeras used to run its
    own step here, logging `loss: 0.0` with the weights unchanged.)"""
    k_model, j_model = _pair("lower")
    for model in (k_model, j_model):
        model.compile(optimizer="adam")
    x, y = _data()
    start = j_model.get_weights()
    want, got = _fit_both(k_model, j_model, x, y, epochs=3, batch_size=32)
    assert_same_history(got, want, **matmul_tolerance())
    assert min(got["loss"]) > 0.01
    assert not np.allclose(j_model.get_weights()[0], start[0])
    assert_close(j_model.get_weights(), k_model.get_weights(), **matmul_tolerance())


def test_going_lower_level_validation_fails_as_in_keras():
    """The guide's lower-level model changes `compute_loss_and_updates`'s signature, which
    Keras's default test_step calls: validation fails in Keras, and in jeras the same way."""
    k_model, j_model = _pair("lower")
    for model in (k_model, j_model):
        model.compile(optimizer="adam")
    x, y = _data()
    for model in (k_model, j_model):
        with pytest.raises(TypeError, match="multiple values for argument 'training'"):
            model.fit(x, y, epochs=1, batch_size=16, validation_split=0.2, verbose=0)


def test_providing_your_own_evaluation_step():
    k_model, j_model = _pair("eval")
    for model in (k_model, j_model):
        model.compile(loss="mse", metrics=["mae"])
    x, y = _data()
    want = k_model.evaluate(x, y, return_dict=True, verbose=0)
    got = j_model.evaluate(x, y, return_dict=True, verbose=0)
    assert_close(got, want, **matmul_tolerance())


def test_overridden_train_step_runs_fused_and_the_short_batch_unpadded():
    """The user's step is compiled into the engine's scan; the short last batch (100 = 3 * 32
    + 4) runs in a call of its own, at its own size, so the step never sees padding rows."""
    seen = []

    class Recording(guide_models(jeras)["first"]):
        def train_step(self, state, data):
            seen.append(tuple(data[0].shape))
            return super().train_step(state, data)

    inputs = jeras.Input(shape=(32,))
    model = Recording(inputs, jeras.layers.Dense(1)(inputs))
    model.compile(optimizer="adam", loss="mse")
    x, y = _data()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    # Traced once per program (a scan of 3 full batches, one short batch), not per step.
    assert sorted(set(seen)) == [(4, 32), (32, 32)]
    assert len(seen) <= 3
    assert "unpadded" in model.execution_plan.reason
    assert model.execution_plan.steps_per_call > 1


def test_default_steps_through_keras_methods_match_builtin():
    """Overriding only `compute_loss` (Keras's documented hook) trains through it."""

    def build(lib):
        class Scaled(lib.Model):
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                return 2.0 * super().compute_loss(x, y, y_pred, sample_weight, training=training)

        inputs = lib.Input(shape=(32,))
        return Scaled(inputs, lib.layers.Dense(1)(inputs))

    k_model, j_model = build(keras), build(jeras)
    j_model.set_weights(k_model.get_weights())
    for model in (k_model, j_model):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = _data()
    want, got = _fit_both(k_model, j_model, x, y, epochs=2, batch_size=32, validation_split=0.1)
    assert_same_history(got, want, **matmul_tolerance())
    assert_close(j_model.get_weights(), k_model.get_weights(), **matmul_tolerance())


# -- bad input ----------------------------------------------------------------------------------
def _model_with_step(train_step):
    class Broken(jeras.Model):
        pass

    Broken.train_step = train_step
    inputs = jeras.Input(shape=(32,))
    model = Broken(inputs, jeras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_state_with_a_missing_element_is_named():
    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        return {"loss": 0.0}, (trainable, non_trainable, optimizer_variables)

    x, y = _data(32)
    with pytest.raises(ValueError, match="tuple of 4 lists.*metrics_variables"):
        _model_with_step(train_step).fit(x, y, verbose=0)


def test_state_with_a_short_list_names_the_element_and_the_variables():
    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        return {"loss": 0.0}, (trainable[:1], non_trainable, optimizer_variables, metrics_variables)

    x, y = _data(32)
    with pytest.raises(ValueError, match=r"returned `trainable_variables` holds 1 values.*2"):
        _model_with_step(train_step).fit(x, y, verbose=0)


def test_state_with_a_wrong_shape_names_the_variable():
    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        trainable = [trainable[0][:3], trainable[1]]
        return {"loss": 0.0}, (trainable, non_trainable, optimizer_variables, metrics_variables)

    x, y = _data(32)
    with pytest.raises(
        ValueError, match=r"element 0 of the returned `trainable_variables`.*kernel"
    ):
        _model_with_step(train_step).fit(x, y, verbose=0)


def test_swapped_logs_and_state_are_reported():
    def train_step(self, state, data):
        return state, {"loss": 0.0}

    x, y = _data(32)
    with pytest.raises(ValueError, match=r"\(state, logs\).*swap"):
        _model_with_step(train_step).fit(x, y, verbose=0)


def test_a_tensorflow_style_train_step_gets_the_jax_signature():
    def train_step(self, data):
        return {}

    x, y = _data(32)
    with pytest.raises(TypeError, match=r"train_step\(self, state, data\)"):
        _model_with_step(train_step).fit(x, y, verbose=0)


def test_overridden_predict_step_runs_in_predict_as_keras():
    def build(keras):
        class Doubling(keras.Model):
            def predict_step(self, state, data):
                outputs, non_trainable = super().predict_step(state, data)
                return outputs * 2.0, non_trainable

        inputs = keras.Input(shape=(32,))
        return Doubling(inputs, keras.layers.Dense(3)(inputs))

    k_model, j_model = build(keras), build(jeras)
    j_model.set_weights(k_model.get_weights())
    x, _ = _data(10)
    for batch_size in (4, 32):
        want = k_model.predict(x, batch_size=batch_size, verbose=0)
        got = j_model.predict(x, batch_size=batch_size, verbose=0)
        assert_close(got, want, **matmul_tolerance())
    assert_close(j_model(x), want / 2.0, **matmul_tolerance())  # a plain call is unchanged
