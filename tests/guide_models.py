"""Models the guide builds, written as the guide writes them, for any library with Keras's API
(`jeras` or `keras`): several test files build the same model in both to compare them."""


def multi_input_multi_output_model(lib):
    """The guide's model with an image input and a time-series input, a score output and a
    five-class output (layer names come from the library's counters)."""
    layers = lib.layers
    image_input = lib.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = lib.Input(shape=(None, 10), name="ts_input")
    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)
    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return lib.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])
