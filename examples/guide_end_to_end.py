"""The Keras guide's first end-to-end example, run on jeras with real data.

Only the import differs from the guide: `import jeras as keras`. MNIST is used when it can be
downloaded (or is cached); offline, Fashion-MNIST from Debian's `dataset-fashion-mnist` package.
"""

import jeras as keras
from jeras import layers


def load_data():
    try:
        return "MNIST", keras.datasets.mnist.load_data()
    except OSError as error:
        print(f"MNIST unavailable ({type(error).__name__}); using Fashion-MNIST instead.")
        return "Fashion-MNIST", keras.datasets.fashion_mnist.load_data()


def main():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)

    name, ((x_train, y_train), (x_test, y_test)) = load_data()
    print(f"Dataset: {name}")

    # Preprocess the data (these are NumPy arrays)
    x_train = x_train.reshape(60000, 784).astype("float32") / 255
    x_test = x_test.reshape(10000, 784).astype("float32") / 255
    y_train = y_train.astype("float32")
    y_test = y_test.astype("float32")

    # Reserve 10,000 samples for validation
    x_val = x_train[-10000:]
    y_val = y_train[-10000:]
    x_train = x_train[:-10000]
    y_train = y_train[:-10000]

    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )

    print("Fit model on training data")
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_data=(x_val, y_val))
    print(history.history)

    print("Evaluate on test data")
    results = model.evaluate(x_test, y_test, batch_size=128)
    print("test loss, test acc:", results)

    print("Generate predictions for 3 samples")
    predictions = model.predict(x_test[:3])
    print("predictions shape:", predictions.shape)

    # The same compile with string identifiers.
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=2)


if __name__ == "__main__":
    main()
