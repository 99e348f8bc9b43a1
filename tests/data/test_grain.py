"""Grain inputs to fit / evaluate / predict: `MapDataset`, `IterDataset` and `DataLoader` of
batches train exactly as the same arrays; the README's Grain versions of the guide's tf.data
examples run as written."""

import re
from pathlib import Path

import numpy as np
import pytest
from same_as_arrays import (
    BATCH,
    X,
    Y,
    check_same_as_arrays,
    check_steps_per_epoch_continues,
    compiled_pair,
    numpy_batches,
)

import jeras
from jeras.data.batch_sources import make_source

grain = pytest.importorskip("grain")

README = Path(__file__).resolve().parents[2] / "README.md"
README_SECTION = "## Grain: the guide's tf.data examples without TensorFlow"


def batched(*arrays):
    samples = list(zip(*arrays)) if len(arrays) > 1 else arrays[0]
    return grain.MapDataset.source(samples).batch(BATCH)


def test_map_dataset_trains_evaluates_and_predicts_as_arrays():
    check_same_as_arrays(batched)


def test_iter_dataset_with_steps_per_epoch_continues_through_one_pass():
    check_steps_per_epoch_continues(
        batched(X, Y).to_iter_dataset(), batched(X[:50], Y[:50]).to_iter_dataset()
    )


def data_loader(*arrays):
    samples = list(zip(*arrays)) if len(arrays) > 1 else arrays[0]
    return grain.DataLoader(
        data_source=samples,
        sampler=grain.samplers.IndexSampler(len(samples), shuffle=False, num_epochs=1, seed=0),
        operations=[grain.transforms.Batch(BATCH)],
        worker_count=0,
    )


def test_data_loader_trains_evaluates_and_predicts_as_arrays():
    for (x, y, _), (x_ref, y_ref) in zip(
        make_source(data_loader(X, Y)).epoch(False), numpy_batches(X, Y)
    ):
        np.testing.assert_array_equal(x, x_ref.astype("float32"))
        np.testing.assert_array_equal(y, y_ref)
    check_same_as_arrays(data_loader)


def test_seeded_shuffle_is_the_same_every_pass_and_a_repeat_reshuffles():
    def targets(batches):
        return np.concatenate([y for _, y, _ in batches])

    shuffled = grain.MapDataset.source(list(zip(X, Y))).shuffle(seed=3).batch(BATCH)
    source = make_source(shuffled)
    first, second = targets(source.epoch(False)), targets(source.epoch(False))
    np.testing.assert_array_equal(first, second)
    assert sorted(first) == sorted(Y) and list(first) != list(Y)
    assert source.num_batches is None  # as Keras: a MapDataset's length may count filtered rows
    repeated = grain.MapDataset.source(list(zip(X, Y))).shuffle(seed=3).repeat().batch(203)
    passes = make_source(repeated).epoch(False)
    one, two = next(passes)[1], next(passes)[1]
    assert sorted(one) == sorted(two) == sorted(Y) and list(one) != list(two)


def test_bad_grain_inputs_are_clear_errors():
    model, _ = compiled_pair()
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        model.fit(batched(X, Y), Y, verbose=0)
    with pytest.raises(ValueError, match="Grain dataset .*yielded no batches"):
        model.fit(batched(X[:0], Y[:0]), verbose=0)
    with pytest.raises(ValueError, match="Grain dataset must yield .* got a tuple of 4"):
        model.fit(batched(X, Y, Y, Y), verbose=0)


# -- the README's examples ---------------------------------------------------------------------
def readme_snippets():
    text = README.read_text()
    section = text[text.index(README_SECTION) :]
    section = section[: section.index("\n## ", len(README_SECTION))]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def guide_names():
    """Small stand-ins for the guide's MNIST arrays and models, under the guide's names."""
    rng = np.random.default_rng(0)

    def digits(n):
        return rng.random((n, 784)), rng.integers(0, 10, n).astype("float64")

    def get_compiled_model():
        inputs = jeras.Input(shape=(784,), name="digits")
        hidden = jeras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
        hidden = jeras.layers.Dense(64, activation="relu", name="dense_2")(hidden)
        outputs = jeras.layers.Dense(10, activation="softmax", name="predictions")(hidden)
        model = jeras.Model(inputs=inputs, outputs=outputs)
        model.compile(
            optimizer="rmsprop",
            loss="sparse_categorical_crossentropy",
            metrics=["sparse_categorical_accuracy"],
        )
        return model

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = digits(256), digits(128), digits(128)
    return dict(
        np=np,
        keras=jeras,
        get_compiled_model=get_compiled_model,
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=x_test,
        y_test=y_test,
    )


def guide_two_input_two_output_model():
    image = jeras.Input(shape=(32, 32, 3), name="img_input")
    series = jeras.Input(shape=(None, 10), name="ts_input")
    image_features = jeras.layers.GlobalMaxPooling2D()(jeras.layers.Conv2D(3, 3)(image))
    series_features = jeras.layers.GlobalMaxPooling1D()(jeras.layers.Conv1D(3, 3)(series))
    merged = jeras.layers.concatenate([image_features, series_features])
    model = jeras.Model(
        [image, series],
        [
            jeras.layers.Dense(1, name="score_output")(merged),
            jeras.layers.Dense(5, name="class_output")(merged),
        ],
    )
    model.compile(
        optimizer="rmsprop",
        loss=[jeras.losses.MeanSquaredError(), jeras.losses.CategoricalCrossentropy()],
    )
    rng = np.random.default_rng(1)
    return dict(
        model=model,
        img_data=rng.random((100, 32, 32, 3)),
        ts_data=rng.random((100, 20, 10)),
        score_targets=rng.random((100, 1)),
        class_targets=rng.random((100, 5)),
    )


def test_readme_examples():
    snippets = readme_snippets()
    assert len(snippets) == 5
    names = guide_names()
    for snippet in snippets:
        if "img_input" in snippet:
            names.update(guide_two_input_two_output_model())
        exec(compile(snippet, str(README), "exec"), names)
        assert names["model"].history.history["loss"], snippet
    assert names["predictions"].shape == (128, 10)
