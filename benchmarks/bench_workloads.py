"""The table of benchmark workloads: one entry per model (and way of calling fit).

A workload says what the jeras and Keras contestants build and how they call `fit` (the
same code for both, given the imported module as `keras`), and, where there is one, the
hand-written JAX model the floor contestant trains (parameters, forward pass, optax
optimizer); bench_contestants.py holds the loops that run them. Adding a model to the
benchmarks is adding one entry to WORKLOADS.

Only the standard library is imported at module level (see bench_harness.py): model code
imports what it needs inside its functions, after the contestant's timed import.
"""

import dataclasses
import itertools
from collections.abc import Callable

import small_resnet

JERAS_KERAS_JAX = ("jeras", "keras", "jax")
JERAS_KERAS = ("jeras", "keras")


@dataclasses.dataclass(frozen=True)
class Ratio:
    """One line of a report: `numerator.metric / denominator.metric`, with an optional
    target `(">=" or "<=", threshold)` printed beside it (never asserted)."""

    label: str
    numerator: str
    denominator: str
    metric: str
    target: tuple | None = None


@dataclasses.dataclass(frozen=True)
class FloorModel:
    """The hand-written JAX version of a workload's model.

    init_params(rng): a list of numpy arrays, drawn with a `numpy.random.Generator`
        (compiling jax.random's initialisers would add seconds of cold start on CPU).
    forward(params, x, training, key): class probabilities; `key` drives dropout.
    optimizer(): the optax transformation equal to the Keras optimizer the others use.
    scan_on_cpu: whether the floor fuses a whole epoch into one `lax.scan` on CPU too. On
        accelerators it always does; XLA:CPU runs convolutions inside a loop several times
        slower than in one compiled call per step, so a convnet's floor steps from Python
        there, like the engine does.
    init_state(): the model's non-trainable state (a pytree of numpy arrays: BatchNormalization's
        moving statistics), or None for a stateless model. With state, the forward pass is
        `forward(params, state, x, training, key)` and returns `(probabilities, new_state)`.
    """

    init_params: Callable
    forward: Callable
    optimizer: Callable
    scan_on_cpu: bool
    init_state: Callable | None = None


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark: a model, its data and how fit is called.

    build(keras): the compiled model, written once against the Keras API.
    callbacks(keras): callbacks passed to fit besides the epoch timer.
    verbose: fit's `verbose`; with 1, the contestant sends the progress bar to a file.
    val_holdout: the last N training samples are the validation set (never trained on).
    train_steps / val_steps: default steps per epoch (None: the whole split); the training
        and validation sets are cut to steps x batch_size samples, so every contestant sees
        the same samples and a full pass is an epoch.
    min_val_acc: a sanity floor for full runs of 4 epochs or more (a warning, never fatal).
    inputs: "pixels" (uint8 images, scaled to [0, 1]), "raw_pixels" (uint8 images as float32
        0..255: the model rescales them itself) or "word_ids" (kept as they are).
    """

    name: str
    title: str
    dataset: str
    input_shape: tuple
    labels: str  # "sparse" (integer labels) or "one_hot"
    accuracy_key: str
    batch_size: int
    val_holdout: int
    train_steps: int | None
    val_steps: int | None
    build: Callable
    floor: FloorModel | None
    ratios: tuple
    callbacks: Callable = lambda keras: []
    verbose: int = 0
    min_val_acc: float | None = None
    inputs: str = "pixels"

    @property
    def contestants(self):
        return JERAS_KERAS_JAX if self.floor is not None else JERAS_KERAS


def standard_ratios(epoch_target=None, with_floor=True):
    """Steady-state epoch, cold run and predict-on-3 ratios, the first with an optional
    target. keras/jeras > 1 means jeras is faster; jeras/jax is jeras's overhead over the
    hand-written loop."""
    ratios = [
        Ratio("epoch    keras/jeras", "keras", "jeras", "epoch_s", epoch_target),
        Ratio("cold     keras/jeras", "keras", "jeras", "cold_s"),
        Ratio("predict3 keras/jeras", "keras", "jeras", "predict3_ms"),
    ]
    if with_floor:
        ratios += [
            Ratio("epoch    jeras/jax  ", "jeras", "jax", "epoch_s"),
            Ratio("cold     jeras/jax  ", "jeras", "jax", "cold_s"),
        ]
    return tuple(ratios)


# --------------------------------------------------------------------------
# The Keras guide's MLP ("Training & evaluation with the built-in methods")
# --------------------------------------------------------------------------


def build_guide_mlp(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


def guide_loss_history(keras):
    """The guide's `LossHistory` callback: per-batch losses, read from the logs."""

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    return [LossHistory()]


def _glorot_uniform(rng, shape, fan_in, fan_out):
    import numpy as np

    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return rng.uniform(-limit, limit, shape).astype(np.float32)


def _dense_params(rng, sizes):
    import numpy as np

    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        params += [
            _glorot_uniform(rng, (fan_in, fan_out), fan_in, fan_out),
            np.zeros(fan_out, np.float32),
        ]
    return params


def _mlp_forward(params, x, training, key):
    import jax

    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        h = jax.nn.relu(h) if i < n_layers - 1 else jax.nn.softmax(h, axis=-1)
    return h


def _keras_rmsprop():
    import optax

    # Keras's RMSprop: rho=0.9, epsilon=1e-7 added *inside* the square root, velocity
    # starting at zero, no momentum, not centered.
    return optax.rmsprop(
        learning_rate=1e-3,
        decay=0.9,
        eps=1e-7,
        initial_scale=0.0,
        eps_in_sqrt=True,
        centered=False,
        momentum=None,
    )


def _keras_adam():
    import optax

    # Keras's Adam (lr 1e-3, betas 0.9/0.999, epsilon 1e-7). Keras folds the bias
    # corrections into the step size, which scales its epsilon by sqrt(1 - beta_2^t)
    # relative to optax's; the work per step is the same.
    return optax.adam(learning_rate=1e-3, b1=0.9, b2=0.999, eps=1e-7)


GUIDE_MLP_FLOOR = FloorModel(
    init_params=lambda rng: _dense_params(rng, (784, 64, 64, 10)),
    forward=_mlp_forward,
    optimizer=_keras_rmsprop,
    scan_on_cpu=True,
)


def _guide_mlp(name, title, ratios, floor=GUIDE_MLP_FLOOR, **fit):
    return Workload(
        name=name,
        title=title,
        dataset="fashion_mnist",
        input_shape=(784,),
        labels="sparse",
        accuracy_key="sparse_categorical_accuracy",
        batch_size=64,
        val_holdout=10_000,
        train_steps=None,
        val_steps=None,
        build=build_guide_mlp,
        floor=floor,
        ratios=ratios,
        min_val_acc=0.8,
        **fit,
    )


GUIDE_MLP_TITLE = "MLP 784-64-64-10, RMSprop(1e-3), batch 64"

# The targets come from the issue; they are printed beside the ratios, never asserted.
GUIDE_MLP_RATIOS = (
    Ratio("epoch    keras/jeras", "keras", "jeras", "epoch_s", (">=", 1.5)),
    Ratio("cold     keras/jeras", "keras", "jeras", "cold_s", (">=", 1.3)),
    Ratio("predict3 keras/jeras", "keras", "jeras", "predict3_ms", (">=", 3.0)),
    Ratio("call     keras/jeras", "keras", "jeras", "call_ms", (">=", 3.0)),
    Ratio("import   keras/jeras", "keras", "jeras", "import_s", (">=", 1.0)),
    Ratio("epoch    jeras/jax  ", "jeras", "jax", "epoch_s", ("<=", 1.15)),
)


# --------------------------------------------------------------------------
# keras-io's "Simple MNIST convnet"
# --------------------------------------------------------------------------


def build_mnist_convnet(keras):
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def _convnet_params(rng):
    import numpy as np

    params = []
    for cin, cout in ((1, 32), (32, 64)):
        params += [
            _glorot_uniform(rng, (3, 3, cin, cout), 9 * cin, 9 * cout),
            np.zeros(cout, np.float32),
        ]
    return params + _dense_params(rng, (5 * 5 * 64, 10))


def _convnet_forward(params, x, training, key):
    import jax
    import jax.numpy as jnp
    from jax import lax

    def conv_relu(h, kernel, bias):
        h = lax.conv_general_dilated(
            h, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return jax.nn.relu(h + bias)

    def max_pool(h):
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    h = max_pool(conv_relu(x, params[0], params[1]))
    h = max_pool(conv_relu(h, params[2], params[3]))
    h = h.reshape(h.shape[0], -1)
    if training:
        keep = jax.random.bernoulli(key, 0.5, h.shape)
        h = jnp.where(keep, h / 0.5, 0.0)
    return jax.nn.softmax(h @ params[4] + params[5], axis=-1)


MNIST_CONVNET = Workload(
    name="mnist_convnet",
    title="keras-io MNIST convnet (Conv32-Pool-Conv64-Pool-Flatten-Dropout-Dense10), "
    "Adam, categorical cross-entropy, batch 128",
    dataset="mnist",
    input_shape=(28, 28, 1),
    labels="one_hot",
    accuracy_key="accuracy",
    batch_size=128,
    # keras-io trains with validation_split=0.1: the last 6,000 of 60,000 samples.
    val_holdout=6_000,
    # Convolutions are slow on a shared 2-core CPU: 50 steps (6,400 samples) by default.
    train_steps=50,
    val_steps=10,
    build=build_mnist_convnet,
    floor=FloorModel(
        init_params=_convnet_params,
        forward=_convnet_forward,
        optimizer=_keras_adam,
        scan_on_cpu=False,
    ),
    ratios=standard_ratios(epoch_target=(">=", 1.3)),
    min_val_acc=0.9,
)


# --------------------------------------------------------------------------
# A wide MLP: big matmuls, where per-step overhead matters least
# --------------------------------------------------------------------------


def build_wide_mlp(keras):
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(4096, activation="relu"),
            layers.Dense(4096, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


WIDE_MLP = Workload(
    name="wide_mlp",
    title="wide MLP 784-4096-4096-10, Adam, sparse categorical cross-entropy, batch 1024",
    dataset="fashion_mnist",
    input_shape=(784,),
    labels="sparse",
    accuracy_key="accuracy",
    batch_size=1024,
    val_holdout=10_000,
    # About 0.1 TFLOP per step: a few steps per epoch by default on CPU.
    train_steps=3,
    val_steps=1,
    build=build_wide_mlp,
    floor=FloorModel(
        init_params=lambda rng: _dense_params(rng, (784, 4096, 4096, 10)),
        forward=_mlp_forward,
        optimizer=_keras_adam,
        scan_on_cpu=True,
    ),
    ratios=standard_ratios(),
    min_val_acc=0.8,
)


# --------------------------------------------------------------------------
# keras-io's "Text classification with Transformer"
# --------------------------------------------------------------------------


def build_transformer_text(keras):
    """The program's model: token and position embeddings, one Transformer block
    (MultiHeadAttention, LayerNormalization, a feed-forward Sequential, Dropout), mean over
    time steps, a small classifier head; Adam and sparse categorical cross-entropy."""
    layers, ops = keras.layers, keras.ops
    vocab_size, maxlen, embed_dim, num_heads, ff_dim = 20_000, 200, 32, 2, 32

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attended = self.dropout1(self.att(inputs, inputs))
            out1 = self.layernorm1(inputs + attended)
            return self.layernorm2(out1 + self.dropout2(self.ffn(out1)))

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            positions = self.pos_emb(ops.arange(start=0, stop=ops.shape(x)[-1], step=1))
            return self.token_emb(x) + positions

    inputs = layers.Input(shape=(maxlen,))
    x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)
    x = TransformerBlock(embed_dim, num_heads, ff_dim)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# keras-io's "Bidirectional LSTM on IMDB" stack, on image rows as sequences
# --------------------------------------------------------------------------


def build_bidirectional_lstm(keras):
    # keras-io's two bidirectional LSTMs of 64 units. jeras has no Embedding layer yet and the
    # benchmarks have no text data: the sequences are Fashion-MNIST images read row by row
    # (28 steps of 28 features), and the head is a 10-way softmax instead of a sigmoid.
    layers = keras.layers
    inputs = keras.Input(shape=(28, 28))
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(inputs)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


TRANSFORMER_TEXT = Workload(
    name="transformer_text",
    title="keras-io text classification with Transformer (token+position Embedding, "
    "MultiHeadAttention 2x32, LayerNormalization, FFN 32), Adam, batch 32, 200 words",
    dataset="synthetic_reviews",
    input_shape=(200,),
    labels="sparse",
    accuracy_key="accuracy",
    batch_size=32,
    val_holdout=2_000,
    # Attention over 200 positions: 100 steps (3,200 reviews) by default on CPU.
    train_steps=100,
    val_steps=20,
    build=build_transformer_text,
    floor=None,
    ratios=standard_ratios(with_floor=False),
    min_val_acc=0.7,
    inputs="word_ids",
)


def _orthogonal(rng, rows, cols):
    import numpy as np

    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.sign(np.diag(r))
    return (q if rows >= cols else q.T)[:rows, :cols].astype(np.float32)


def _lstm_direction_params(rng, features, units):
    import numpy as np

    bias = np.zeros(4 * units, np.float32)
    bias[units : 2 * units] = 1.0  # unit_forget_bias
    return [
        _glorot_uniform(rng, (features, 4 * units), features, 4 * units),
        _orthogonal(rng, units, 4 * units),
        bias,
    ]


def _bidirectional_lstm_params(rng):
    params = []
    for features in (28, 128):
        for _direction in ("forward", "backward"):
            params += _lstm_direction_params(rng, features, 64)
    return params + _dense_params(rng, (128, 10))


def _lstm_direction(x, kernel, recurrent_kernel, bias, reverse):
    """One LSTM over time-major `x`: the outputs in time order and the last processed one."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    # The input projection of every step at once; only the recurrent product is sequential.
    projected = x @ kernel + bias
    zeros = jnp.zeros((x.shape[1], recurrent_kernel.shape[0]), x.dtype)

    def step(carry, z_x):
        h, c = carry
        i, f, g, o = jnp.split(z_x + h @ recurrent_kernel, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return (h, c), h

    (h, _), outputs = lax.scan(step, (zeros, zeros), projected, reverse=reverse)
    return outputs, h


def _bidirectional_lstm_forward(params, x, training, key):
    import jax
    import jax.numpy as jnp

    h = jnp.swapaxes(x, 0, 1)
    forward, _ = _lstm_direction(h, *params[0:3], reverse=False)
    backward, _ = _lstm_direction(h, *params[3:6], reverse=True)
    h = jnp.concatenate([forward, backward], axis=-1)
    _, last_forward = _lstm_direction(h, *params[6:9], reverse=False)
    _, last_backward = _lstm_direction(h, *params[9:12], reverse=True)
    h = jnp.concatenate([last_forward, last_backward], axis=-1)
    return jax.nn.softmax(h @ params[12] + params[13], axis=-1)


BIDIRECTIONAL_LSTM = Workload(
    name="bidirectional_lstm",
    title="keras-io Bidirectional LSTM stack (Bi-LSTM 64 sequences -> Bi-LSTM 64 -> "
    "Dense10 softmax) on Fashion-MNIST rows as 28-step sequences, Adam, batch 32",
    dataset="fashion_mnist",
    input_shape=(28, 28),
    labels="sparse",
    accuracy_key="accuracy",
    batch_size=32,
    val_holdout=10_000,
    # Four LSTMs of 28 sequential steps per batch: a few dozen steps by default on CPU.
    train_steps=40,
    val_steps=10,
    build=build_bidirectional_lstm,
    floor=FloorModel(
        init_params=_bidirectional_lstm_params,
        forward=_bidirectional_lstm_forward,
        optimizer=_keras_adam,
        scan_on_cpu=True,
    ),
    ratios=standard_ratios(),
    min_val_acc=0.7,
)


# --------------------------------------------------------------------------
# The guide "Customizing what happens in fit() with JAX": its first CustomModel
# (train_step over stateless_call / stateless_compute_loss / stateless_apply)
# on the guide's MLP
# --------------------------------------------------------------------------


def build_custom_train_step_mlp(keras):
    import jax

    # The guide's model, except that its loss helper is not named `compute_loss_and_updates`:
    # the guide's version changes that method's return value, which Keras's default
    # test_step (validation) reads, so validation fails in Keras (and in jeras, the same way).
    class CustomModel(keras.Model):
        def loss_and_updates(
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
                trainable_variables, non_trainable_variables, x, training=training
            )
            loss, (trainable_variables, non_trainable_variables, metrics_variables) = (
                self.stateless_compute_loss(
                    trainable_variables,
                    non_trainable_variables,
                    metrics_variables,
                    x=x,
                    y=y,
                    y_pred=y_pred,
                    sample_weight=sample_weight,
                    training=training,
                )
            )
            return loss, (y_pred, non_trainable_variables, metrics_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = (
                state
            )
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            grad_fn = jax.value_and_grad(self.loss_and_updates, has_aux=True)
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
                start = len(new_metrics_vars)
                this_metric_vars = metrics_variables[start : start + len(metric.variables)]
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

    layers = keras.layers
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = CustomModel(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model


CUSTOM_TRAIN_STEP = Workload(
    name="custom_train_step",
    title=GUIDE_MLP_TITLE + ", the JAX custom-fit guide's train_step, fit(verbose=0)",
    dataset="fashion_mnist",
    input_shape=(784,),
    labels="sparse",
    accuracy_key="sparse_categorical_accuracy",
    batch_size=64,
    val_holdout=10_000,
    train_steps=300,
    val_steps=30,
    build=build_custom_train_step_mlp,
    floor=GUIDE_MLP_FLOOR,
    ratios=standard_ratios((">=", 1.0)),
    min_val_acc=0.7,
)


# --------------------------------------------------------------------------
# A small ResNet with BatchNormalization and augmentation layers inside the model
# --------------------------------------------------------------------------

SMALL_RESNET = Workload(
    name="small_resnet",
    title="small ResNet (RandomFlip, RandomTranslation, Rescaling in the model; Conv-BN stem, "
    "3 residual blocks 32/64/128, GAP, Dense10), Adam, batch 64, 32x32x3 images",
    dataset="synthetic_cifar",
    input_shape=(32, 32, 3),
    labels="sparse",
    accuracy_key="accuracy",
    batch_size=64,
    val_holdout=2_000,
    # Nine convolutions on 32x32 images: a few dozen steps by default on CPU.
    train_steps=30,
    val_steps=10,
    build=small_resnet.build_small_resnet,
    floor=FloorModel(
        init_params=small_resnet.init_params,
        forward=small_resnet.forward,
        optimizer=_keras_adam,
        scan_on_cpu=False,
        init_state=small_resnet.init_state,
    ),
    ratios=standard_ratios(),
    min_val_acc=0.5,
    inputs="raw_pixels",
)


WORKLOADS = {
    w.name: w
    for w in (
        _guide_mlp("guide_mlp", GUIDE_MLP_TITLE + ", fit(verbose=0)", GUIDE_MLP_RATIOS),
        _guide_mlp(
            "guide_mlp_loss_history",
            GUIDE_MLP_TITLE + ", fit(verbose=0) with the guide's LossHistory callback",
            standard_ratios((">=", 1.3), with_floor=False),
            floor=None,
            callbacks=guide_loss_history,
        ),
        _guide_mlp(
            "guide_mlp_progress_bar",
            GUIDE_MLP_TITLE + ", fit(verbose=1) with the progress bar sent to a file",
            standard_ratios((">=", 1.5), with_floor=False),
            floor=None,
            verbose=1,
        ),
        MNIST_CONVNET,
        WIDE_MLP,
        TRANSFORMER_TEXT,
        BIDIRECTIONAL_LSTM,
        CUSTOM_TRAIN_STEP,
        SMALL_RESNET,
    )
}
