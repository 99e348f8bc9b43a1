"""Run with 8 simulated CPU devices (the flag must be set before JAX starts, hence a script run
in a subprocess by test_distribution.py): trains the same model on one device, under
`DataParallel` and `ModelParallel`, and in real Keras under `DataParallel`; prints one JSON
object of histories, predictions and shardings."""

import json
import os
import sys
import tempfile

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
os.environ["KERAS_BACKEND"] = "jax"

import numpy as np  # noqa: E402

import jeras  # noqa: E402
from jeras import distribution as dist  # noqa: E402

rng = np.random.default_rng(0)
X = rng.normal(size=(200, 20)).astype("float32")
Y = rng.integers(0, 4, 200)


def build(lib):
    inputs = lib.Input((20,))
    hidden = lib.layers.Dense(32, activation="relu", name="dense_1")(inputs)
    outputs = lib.layers.Dense(4, name="dense_2")(hidden)
    model = lib.Model(inputs, outputs)
    model.compile(
        optimizer=lib.optimizers.Adam(0.01),
        loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


class Batches(jeras.utils.PyDataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return X[i * 32 : (i + 1) * 32], Y[i * 32 : (i + 1) * 32]


def run(model, batch_size):
    history = model.fit(X, Y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0).history
    return {
        "history": {k: list(map(float, v)) for k, v in history.items()},
        "evaluate": [float(v) for v in model.evaluate(X, Y, batch_size=batch_size, verbose=0)],
        "predict": np.asarray(model.predict(X[:64], verbose=0)).tolist(),
        "weights": [w.tolist() for w in model.get_weights()],
    }


def sharding_of(variable):
    sharding = variable.value.sharding
    return {
        "devices": len(sharding.device_set),
        "spec": [a for a in getattr(sharding, "spec", ())],
    }


def main():
    out = {"devices": dist.list_devices()}
    initial = build(jeras).get_weights()

    model = build(jeras)
    model.set_weights(initial)
    out["one_device"] = run(model, 32)
    model = build(jeras)
    model.set_weights(initial)
    out["one_device_pydataset"] = model.fit(Batches(), epochs=2, shuffle=False, verbose=0).history

    with dist.DataParallel().scope():
        model = build(jeras)
        model.set_weights(initial)
        out["data_parallel"] = run(model, 32)
        out["data_parallel_kernel"] = sharding_of(model.layers[1].kernel)
        model = build(jeras)
        model.set_weights(initial)
        out["data_parallel_pydataset"] = model.fit(
            Batches(), epochs=2, shuffle=False, verbose=0
        ).history
        # 30 rows do not split evenly over 8 devices.
        model = build(jeras)
        model.set_weights(initial)
        out["data_parallel_uneven"] = model.fit(
            X, Y, batch_size=30, epochs=1, shuffle=False, verbose=0
        ).history

    model = build(jeras)
    model.set_weights(initial)
    out["one_device_uneven"] = model.fit(
        X, Y, batch_size=30, epochs=1, shuffle=False, verbose=0
    ).history

    mesh = dist.DeviceMesh((2, 4), ("batch", "model"))
    layout_map = dist.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map[".*dense.*bias"] = ("model",)
    dist.set_distribution(dist.ModelParallel(layout_map=layout_map))
    try:
        model = build(jeras)
        model.set_weights(initial)
        out["model_parallel"] = run(model, 32)
        out["model_parallel_kernel"] = sharding_of(model.layers[1].kernel)
        slots = [v for v in model.optimizer.variables if v.shape == (20, 32)]
        out["model_parallel_slots"] = [sharding_of(v) for v in slots]
        path = os.path.join(tempfile.mkdtemp(), "model.keras")
        model.save(path)
        restored = jeras.saving.load_model(path)
        out["model_parallel_restored_kernel"] = sharding_of(restored.layers[1].kernel)
        out["model_parallel_restored_predict"] = np.asarray(
            restored.predict(X[:64], verbose=0)
        ).tolist()
    finally:
        dist.set_distribution(None)

    import keras

    keras.distribution.set_distribution(keras.distribution.DataParallel())
    model = build(keras)
    model.set_weights(initial)
    out["keras_data_parallel"] = run(model, 32)
    keras.distribution.set_distribution(None)

    out["guide"] = {lib.__name__: distribution_guide(lib) for lib in (jeras, keras)}
    out["jax_guide"] = {lib.__name__: jax_sharding_guide(lib) for lib in (jeras, keras)}
    json.dump(out, sys.stdout)


def jax_sharding_guide(keras):
    """The keras.io guide "Multi-GPU distributed training with JAX" (raw `jax.sharding`, the
    model's `stateless_call` and the optimizer's `stateless_apply` under `jax.jit`), as written
    but for: 512 synthetic MNIST-shaped images instead of `mnist.load_data()` and tf.data
    batches made with NumPy; the same initial weights in both libraries, and Dropout's rate set
    to 0 on the built layer (the libraries draw different masks)."""
    import jax
    from jax.experimental import mesh_utils
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    def get_model():
        inputs = keras.Input(shape=(28, 28, 1))
        x = keras.layers.Rescaling(1.0 / 255.0)(inputs)
        x = keras.layers.Conv2D(filters=12, kernel_size=3, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization(scale=False, center=True)(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.Conv2D(filters=24, kernel_size=6, use_bias=False, strides=2)(x)
        x = keras.layers.BatchNormalization(scale=False, center=True)(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.Conv2D(
            filters=32, kernel_size=6, padding="same", strides=2, name="large_k"
        )(x)
        x = keras.layers.BatchNormalization(scale=False, center=True)(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        x = keras.layers.Dense(256, activation="relu")(x)
        x = keras.layers.Dropout(0.5)(x)
        outputs = keras.layers.Dense(10)(x)
        model = keras.Model(inputs, outputs)
        return model

    rng = np.random.default_rng(11)
    images = rng.integers(0, 256, (512, 28, 28, 1)).astype("float32")
    labels = rng.integers(0, 10, 512)
    num_epochs = 2
    batch_size = 64
    train_data = [
        (images[i : i + batch_size], labels[i : i + batch_size]) for i in range(0, 512, batch_size)
    ]

    model = get_model()
    model.set_weights(
        [
            np.random.default_rng(i).normal(0, 0.1, w.shape).astype("float32")
            for i, w in enumerate(model.get_weights())
        ]
    )
    model.layers[-2].rate = 0.0
    optimizer = keras.optimizers.Adam(1e-3)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    (one_batch, one_batch_labels) = train_data[0]
    model.build(one_batch)
    optimizer.build(model.trainable_variables)

    def compute_loss(trainable_variables, non_trainable_variables, x, y):
        y_pred, updated_non_trainable_variables = model.stateless_call(
            trainable_variables, non_trainable_variables, x
        )
        loss_value = loss(y, y_pred)
        return loss_value, updated_non_trainable_variables

    compute_gradients = jax.value_and_grad(compute_loss, has_aux=True)

    @jax.jit
    def train_step(train_state, x, y):
        trainable_variables, non_trainable_variables, optimizer_variables = train_state
        (loss_value, non_trainable_variables), grads = compute_gradients(
            trainable_variables, non_trainable_variables, x, y
        )
        trainable_variables, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables
        )
        return loss_value, (trainable_variables, non_trainable_variables, optimizer_variables)

    def get_replicated_train_state(devices):
        var_mesh = Mesh(devices, axis_names=("_"))
        var_replication = NamedSharding(var_mesh, P())
        # `v.value`: current JAX no longer takes Keras's Variable objects here (see
        # tests/test_stateless_api.py); the guide passes the variables themselves.
        trainable_variables = jax.device_put(
            [v.value for v in model.trainable_variables], var_replication
        )
        non_trainable_variables = jax.device_put(
            [v.value for v in model.non_trainable_variables], var_replication
        )
        optimizer_variables = jax.device_put(
            [v.value for v in optimizer.variables], var_replication
        )
        return (trainable_variables, non_trainable_variables, optimizer_variables)

    num_devices = len(jax.local_devices())
    devices = mesh_utils.create_device_mesh((num_devices,))
    data_mesh = Mesh(devices, axis_names=("batch",))
    data_sharding = NamedSharding(data_mesh, P("batch"))
    train_state = get_replicated_train_state(devices)
    losses = []
    for epoch in range(num_epochs):
        for x, y in train_data:
            sharded_x = jax.device_put(x, data_sharding)
            loss_value, train_state = train_step(train_state, sharded_x, y)
        losses.append(float(loss_value))
    trainable_variables, non_trainable_variables, optimizer_variables = train_state
    for variable, value in zip(model.trainable_variables, trainable_variables):
        variable.assign(value)
    for variable, value in zip(model.non_trainable_variables, non_trainable_variables):
        variable.assign(value)
    return {
        "losses": losses,
        "devices": len(trainable_variables[0].sharding.device_set),
        "predict": np.asarray(model.predict(images[:16], verbose=0)).tolist(),
    }


def distribution_guide(keras):
    """The keras.io guide "Distributed training with Keras 3" as written (with `keras` the
    library under test), then a short fit of each model on synthetic data from fixed weights."""
    from contextlib import redirect_stdout

    layers = keras.layers
    results = {}
    with redirect_stdout(sys.stderr):
        try:
            keras.distribution.initialize()
        except Exception as e:
            print(f"Keras distribution initialization skipped or failed: {e}")
        devices = keras.distribution.list_devices()
        mesh = keras.distribution.DeviceMesh(
            shape=(2, 4), axis_names=["data", "model"], devices=devices
        )
        keras.distribution.TensorLayout(axes=("model", "data"), device_mesh=mesh)

        data_parallel = keras.distribution.DataParallel()
        keras.distribution.set_distribution(data_parallel)
        inputs = layers.Input(shape=(28, 28, 1))
        y = layers.Flatten()(inputs)
        y = layers.Dense(units=200, activation="relu")(y)
        y = layers.Dropout(0.4)(y)
        outputs = layers.Dense(units=10, activation="softmax")(y)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(loss="mse", optimizer="adam")
        model.summary()
        images = np.random.default_rng(1).uniform(size=(64, 28, 28, 1)).astype("float32")
        labels = np.eye(10, dtype="float32")[np.arange(64) % 10]
        model.set_weights(
            [
                np.random.default_rng(i).normal(0, 0.05, w.shape)
                for i, w in enumerate(model.get_weights())
            ]
        )
        # Dropout draws differ between libraries: compare in inference, after one epoch
        # whose dropout is off (`rate` set to 0 on the built layer).
        model.layers[3].rate = 0.0
        results["data_parallel_loss"] = model.fit(
            images, labels, batch_size=16, epochs=1, shuffle=False, verbose=0
        ).history["loss"]

        layout_map = keras.distribution.LayoutMap(mesh)
        layout_map["d1/kernel"] = (None, "model")
        layout_map["d1/bias"] = ("model",)
        layout_map["d2/output"] = ("data", None)
        # The guide's keys name no variable of a Sequential model ("sequential/d1/kernel");
        # these do, for the check below.
        layout_map["sequential.*/d1/kernel"] = (None, "model")
        model_parallel = keras.distribution.ModelParallel(
            layout_map=layout_map, batch_dim_name="data"
        )
        keras.distribution.set_distribution(model_parallel)
        model = keras.Sequential(
            [
                layers.Input(shape=(784,)),
                layers.Dense(200, activation="relu", name="d1"),
                layers.Dense(10, activation="softmax", name="d2"),
            ]
        )
        model.summary()
        model.compile(loss="mse", optimizer="adam")
        model.set_weights(
            [
                np.random.default_rng(i).normal(0, 0.05, w.shape)
                for i, w in enumerate(model.get_weights())
            ]
        )
        results["model_parallel_kernel"] = sharding_of(model.layers[0].kernel)
        results["model_parallel_loss"] = model.fit(
            images.reshape(64, 784), labels, batch_size=16, epochs=1, shuffle=False, verbose=0
        ).history["loss"]
        keras.distribution.set_distribution(None)
    return results


if __name__ == "__main__":
    main()
