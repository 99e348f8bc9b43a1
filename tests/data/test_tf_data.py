"""`tf.data.Dataset` inputs to fit / evaluate / predict, as the guide uses them: the same numbers as
the same data given as arrays; steps_per_epoch continues through one iterator while every
validation starts the validation dataset afresh; TensorFlow is imported only by its users."""

import subprocess
import sys

import numpy as np
import pytest
from same_as_arrays import (
    BATCH,
    SW,
    X,
    Y,
    assert_same_history,
    check_same_as_arrays,
    check_steps_per_epoch_continues,
    compiled_pair,
    numpy_batches,
)

import jeras
from jeras.data.batch_sources import make_source

tf = pytest.importorskip("tensorflow")


def batched(*arrays):
    return tf.data.Dataset.from_tensor_slices(arrays if len(arrays) > 1 else arrays[0]).batch(BATCH)


def test_dataset_trains_evaluates_and_predicts_as_arrays():
    check_same_as_arrays(batched)


def test_guide_shuffled_dataset_trains_and_is_reproducible_under_a_seed():
    def shuffled():
        tf.random.set_seed(7)
        return tf.data.Dataset.from_tensor_slices((X, Y)).shuffle(buffer_size=1024).batch(64)

    def first_epoch_targets(dataset):
        return np.concatenate([y for _, y, _ in make_source(dataset).epoch(False)])

    order = first_epoch_targets(shuffled())
    np.testing.assert_array_equal(order, first_epoch_targets(shuffled()))
    assert sorted(order) == sorted(Y) and list(order) != list(Y)
    model, _ = compiled_pair()
    history = model.fit(shuffled(), epochs=3, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    results = model.evaluate(batched(X, Y), verbose=0, return_dict=True)
    assert set(results) == {"loss", "accuracy"}


def test_guide_dict_dataset_for_a_multi_input_multi_output_model():
    def build():
        image = jeras.Input((8, 8, 3), name="img_input")
        series = jeras.Input((5, 4), name="ts_input")
        merged = jeras.layers.concatenate(
            [jeras.layers.Flatten()(image), jeras.layers.Flatten()(series)]
        )
        score = jeras.layers.Dense(1, name="score_output")(merged)
        classes = jeras.layers.Dense(5, name="class_output")(merged)
        return jeras.Model([image, series], [score, classes])

    rng = np.random.default_rng(1)
    inputs = {"img_input": rng.random((100, 8, 8, 3)), "ts_input": rng.random((100, 5, 4))}
    targets = {"score_output": rng.random((100, 1)), "class_output": rng.random((100, 5))}
    arrays_model, dataset_model = compiled_pair(
        build,
        optimizer="rmsprop",
        loss={
            "score_output": jeras.losses.MeanSquaredError(),
            "class_output": jeras.losses.CategoricalCrossentropy(from_logits=True),
        },
    )
    expected = arrays_model.fit(
        inputs, targets, batch_size=32, epochs=2, shuffle=False, verbose=0
    ).history
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(32)
    actual = dataset_model.fit(dataset, epochs=2, verbose=0).history
    assert "class_output_loss" in actual
    assert_same_history(expected, actual)
    predicted = dataset_model.predict(
        tf.data.Dataset.from_tensor_slices(inputs).batch(32), verbose=0
    )
    np.testing.assert_allclose(
        predicted[1], arrays_model.predict(inputs, verbose=0)[1], rtol=1e-5, atol=1e-6
    )


def counted(batches, passes, drawn, repeat=False):
    """A dataset of `batches()` that counts its passes and the batches drawn from it."""

    def generate():
        passes.append(1)
        for batch in batches():
            drawn.append(1)
            yield batch

    signature = (tf.TensorSpec((None, 12), tf.float64), tf.TensorSpec((None,), tf.int64))
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    if repeat:
        dataset = dataset.repeat()
    # tf.data would otherwise read ahead on its own threads, making the counts vary.
    options = tf.data.Options()
    options.autotune.enabled = False
    options.experimental_optimization.inject_prefetch = False
    return dataset.with_options(options)


def test_steps_per_epoch_keeps_drawing_from_one_iterator_and_validation_restarts():
    passes, drawn = [], []
    dataset = counted(lambda: numpy_batches(X, Y), passes, drawn)
    check_steps_per_epoch_continues(dataset, batched(X[:50], Y[:50]))
    # One pass for the four epochs, no batch read twice: the first batch, read before
    # training to build the model, is the first step of epoch 1.
    assert (len(passes), len(drawn)) == (1, 13)


def test_infinite_dataset_with_steps_per_epoch_continues_through_the_repeats():
    passes, drawn = [], []
    dataset = counted(lambda: numpy_batches(X, Y), passes, drawn, repeat=True)
    model, _ = compiled_pair()
    # 13 batches a pass, 5 steps an epoch: epochs 3 and 4 straddle the end of the first pass.
    history = model.fit(dataset, epochs=4, steps_per_epoch=5, verbose=0).history
    assert len(history["loss"]) == 4
    # 20 batches from one iterator take 2 passes; restarting it each epoch would take 4.
    assert (len(passes), len(drawn)) == (2, 20)


def test_dtypes_floats_become_float32_and_integers_are_kept():
    x, y, sw = make_source(batched(X, Y, SW)).first_batch()
    assert (x.dtype, y.dtype, sw.dtype) == (np.float32, np.int64, np.float32)
    assert make_source(batched(X)).num_batches == 13
    assert make_source(batched(X).repeat()).num_batches is None


def test_tensorflow_is_imported_only_when_a_tf_object_is_passed():
    script = (
        "import sys, numpy as np, jeras\n"
        "m = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(1)])\n"
        "m.compile(optimizer='sgd', loss='mse')\n"
        "m.fit(np.ones((8, 3)), np.ones(8), verbose=0)\n"
        "m.fit((b for b in [(np.ones((4, 3)), np.ones(4))]), verbose=0)\n"
        "m.predict(np.ones((2, 3)), verbose=0)\n"
        "print(sorted({k.split('.')[0] for k in sys.modules} & {'tensorflow', 'torch', 'grain'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_targets_passed_beside_a_dataset_are_an_error_naming_its_type():
    model, _ = compiled_pair()
    with pytest.raises(
        ValueError, match=r"`y` argument is not supported when `x` is the tf\.data\.Dataset"
    ):
        model.fit(batched(X, Y), Y, verbose=0)


def test_a_dataset_of_four_tuples_is_an_error():
    model, _ = compiled_pair()
    with pytest.raises(ValueError, match="tf.data.Dataset must yield .* got a tuple of 4"):
        model.fit(batched(X, Y, SW, SW), verbose=0)


def test_an_empty_dataset_is_an_error():
    model, _ = compiled_pair()
    with pytest.raises(ValueError, match="tf.data.Dataset .*yielded no batches"):
        model.fit(batched(X, Y).take(0), verbose=0)
    with pytest.raises(ValueError, match="yielded no batches"):
        model.fit(
            batched(X, Y), validation_data=batched(X, Y).filter(lambda x, y: False), verbose=0
        )


def test_a_ragged_batch_is_an_error_that_says_how_to_densify():
    ragged = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[1.0], [2.0, 3.0]])).batch(2)
    model, _ = compiled_pair()
    with pytest.raises(ValueError, match="RaggedTensor.*to_tensor"):
        model.predict(ragged, verbose=0)
