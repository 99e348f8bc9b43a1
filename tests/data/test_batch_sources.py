"""Generators, iterators and PyDatasets as fit / evaluate / predict inputs: the same numbers as
the same data given as arrays, whatever the number of workers; clean errors; nothing left
running."""

import threading

import keras
import numpy as np
import pytest
from _worker_datasets import Batches as JBatches
from _worker_datasets import X, Y, dataset_class
from oracle import assert_same_history, matmul_tolerance

import jeras

# The same data through two input paths into the same compiled step: float32 rounding only.
SAME_RUN_TOLERANCE = {"atol": 1e-6, "rtol": 1e-5}

rng = np.random.default_rng(0)


def _model(lib=jeras):
    inputs = lib.Input((12,))
    hidden = lib.layers.Dense(16, activation="relu")(inputs)
    return lib.Model(inputs, lib.layers.Dense(4, activation="softmax")(hidden))


def _compiled_pair(lib_a=jeras, lib_b=jeras):
    a, b = _model(lib_a), _model(lib_b)
    b.set_weights(a.get_weights())
    for model in (a, b):
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
    return a, b


def _generator(batch_size=16, limit=None):
    for i in range(0, len(X) if limit is None else limit, batch_size):
        yield X[i : i + batch_size], Y[i : i + batch_size]


@pytest.mark.parametrize("workers", [1, 3])
def test_pydataset_trains_exactly_as_arrays_whatever_the_workers(workers):
    arrays_model, dataset_model = _compiled_pair()
    h_arrays = arrays_model.fit(
        X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0, validation_data=(X[:50], Y[:50])
    ).history
    dataset = JBatches(16, workers=workers)
    h_dataset = dataset_model.fit(
        dataset, epochs=2, shuffle=False, verbose=0, validation_data=(X[:50], Y[:50])
    ).history
    assert_same_history(h_arrays, h_dataset, **SAME_RUN_TOLERANCE)
    assert dataset.epochs_ended == 2
    np.testing.assert_allclose(
        dataset_model.predict(JBatches(16, workers=workers), verbose=0),
        arrays_model.predict(X, verbose=0),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        dataset_model.evaluate(JBatches(16), verbose=0),
        arrays_model.evaluate(X, Y, batch_size=16, verbose=0),
        rtol=1e-6,
    )


def test_shuffled_pydataset_is_identical_with_one_or_many_workers():
    import random

    a, b = _compiled_pair()
    random.seed(3)
    h_a = a.fit(JBatches(16, workers=1), epochs=2, verbose=0).history
    random.seed(3)
    h_b = b.fit(JBatches(16, workers=4), epochs=2, verbose=0).history
    assert_same_history(h_a, h_b, **SAME_RUN_TOLERANCE)


def test_pydataset_matches_keras():
    k_model, j_model = _compiled_pair(keras, jeras)
    KBatches = dataset_class(keras.utils.PyDataset)
    h_keras = k_model.fit(KBatches(16), epochs=2, shuffle=False, verbose=0).history
    h_jeras = j_model.fit(JBatches(16), epochs=2, shuffle=False, verbose=0).history
    assert_same_history(h_keras, h_jeras, **matmul_tolerance(atol=1e-6, rtol=1e-5))


def test_finite_generator_is_reused_across_epochs():
    arrays_model, generator_model = _compiled_pair()
    h_arrays = arrays_model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    h_gen = generator_model.fit(_generator(), epochs=3, verbose=0).history
    assert_same_history(h_arrays, h_gen, **SAME_RUN_TOLERANCE)


def test_infinite_generator_with_steps_per_epoch_continues_through_the_stream():
    def endless():
        while True:
            yield from _generator()

    arrays_model, generator_model = _compiled_pair()
    # 13 batches per pass; epochs of 4 steps: the array stream continues too.
    h_arrays = arrays_model.fit(
        X, Y, batch_size=16, epochs=3, steps_per_epoch=4, shuffle=False, verbose=0
    ).history
    h_gen = generator_model.fit(endless(), epochs=3, steps_per_epoch=4, verbose=0).history
    assert_same_history(h_arrays, h_gen, **SAME_RUN_TOLERANCE)


def test_generator_of_x_only_for_predict_and_sample_weight_triples():
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    out = model.predict((X[i : i + 50] for i in range(0, 203, 50)), verbose=0)
    np.testing.assert_allclose(out, model.predict(X, verbose=0), atol=1e-6)
    sw = rng.uniform(0, 2, len(X)).astype("float32")
    weighted = model.evaluate(
        ((X[i : i + 32], Y[i : i + 32], sw[i : i + 32]) for i in range(0, 203, 32)), verbose=0
    )
    assert weighted == pytest.approx(
        model.evaluate(X, Y, sample_weight=sw, batch_size=32, verbose=0), rel=1e-6
    )


def test_worker_error_surfaces_with_its_original_traceback_and_no_thread_is_left():
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(KeyError, match="batch 5 is broken") as info:
        model.fit(JBatches(16, fail_at=5, workers=2), epochs=1, verbose=0)
    assert any("__getitem__" in str(entry.name) for entry in info.traceback)
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert leftover == []


def test_no_thread_is_left_after_a_normal_fit():
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = {t.ident for t in threading.enumerate()}
    model.fit(JBatches(16, workers=3), epochs=2, verbose=0)
    assert [t for t in threading.enumerate() if t.ident not in before and t.is_alive()] == []


# -- bad input --------------------------------------------------------------------------------
def _compiled():
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def test_y_with_a_generator_is_an_error():
    with pytest.raises(ValueError, match="`y` argument is not supported"):
        _compiled().fit(_generator(), Y, verbose=0)


def test_generator_yielding_a_four_tuple_is_an_error():
    def four():
        yield X[:8], Y[:8], Y[:8], Y[:8]

    with pytest.raises(ValueError, match="4 elements"):
        _compiled().fit(four(), verbose=0)


def test_empty_generator_is_an_error():
    with pytest.raises(ValueError, match="no batches"):
        _compiled().fit(iter([]), verbose=0)


def test_empty_pydataset_is_an_error():
    class Empty(jeras.utils.PyDataset):
        def __len__(self):
            return 0

    with pytest.raises(ValueError, match="length 0"):
        _compiled().fit(Empty(), verbose=0)


def test_validation_split_with_a_generator_is_an_error():
    with pytest.raises(ValueError, match="validation_split"):
        _compiled().fit(_generator(), validation_split=0.2, verbose=0)


def test_batches_of_the_wrong_feature_size_name_the_shapes():
    def wrong():
        yield X[:8, :5], Y[:8]

    with pytest.raises(ValueError, match=r"\(None, 12\).*\(8, 5\)"):
        _compiled().fit(wrong(), verbose=0)


def test_pandas_dataframe_and_series_train_as_arrays():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(12)])
    labels = pd.Series(Y)
    arrays_model, pandas_model = _compiled_pair()
    h_arrays = arrays_model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    h_pandas = pandas_model.fit(
        frame, labels, batch_size=16, epochs=2, shuffle=False, verbose=0
    ).history
    assert_same_history(h_arrays, h_pandas, **SAME_RUN_TOLERANCE)
    np.testing.assert_allclose(
        pandas_model.predict(frame, verbose=0), arrays_model.predict(X, verbose=0), atol=1e-6
    )


def test_dict_of_pandas_columns_feeds_named_inputs():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1]})
    a = jeras.Input((1,), name="a")
    b = jeras.Input((1,), name="b")
    merged = jeras.layers.Dense(1)(jeras.layers.concatenate([a, b]))
    model = jeras.Model([a, b], merged)
    model.compile(optimizer="sgd", loss="mse")
    columns = {"a": frame["a"].to_numpy()[:, None], "b": frame["b"].to_numpy()[:, None]}
    kernel, bias = model.get_weights()
    out = model.predict(columns, verbose=0)
    np.testing.assert_allclose(out, X[:, :2] @ kernel + bias, atol=1e-5)


# -- class_weight and validation_data from sources ---------------------------------------------
CLASS_WEIGHT = {0: 0.5, 1: 2.0, 3: 1.5}  # class 2 missing: weight 1


def _weighted_pair():
    a, b = _model(), _model()
    b.set_weights(a.get_weights())
    for model in (a, b):
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", weighted_metrics=["accuracy"]
        )
    return a, b


@pytest.mark.parametrize("form", ["pydataset", "generator"])
def test_class_weight_with_a_source_trains_as_with_arrays(form):
    arrays_model, source_model = _weighted_pair()
    h_arrays = arrays_model.fit(
        X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0, class_weight=CLASS_WEIGHT
    ).history
    data = JBatches(16, workers=2) if form == "pydataset" else _generator()
    h_source = source_model.fit(
        data, epochs=2, shuffle=False, verbose=0, class_weight=CLASS_WEIGHT
    ).history
    assert_same_history(h_arrays, h_source, **SAME_RUN_TOLERANCE)
    unweighted = (
        _weighted_pair()[0].fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0).history
    )
    assert unweighted["loss"][0] != pytest.approx(h_arrays["loss"][0], rel=1e-3)


def test_class_weight_with_batches_that_carry_sample_weights_is_an_error():
    weighted = ((X[i : i + 16], Y[i : i + 16], np.ones(16, "float32")) for i in range(0, 64, 16))
    with pytest.raises(ValueError, match="sample weights.*`class_weight`"):
        _weighted_pair()[0].fit(weighted, class_weight=CLASS_WEIGHT, verbose=0)


def test_class_weight_with_a_multi_output_source_is_an_error():
    inputs = jeras.Input((12,))
    model = jeras.Model(inputs, [jeras.layers.Dense(4)(inputs), jeras.layers.Dense(4)(inputs)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    batches = ((X[i : i + 16], (Y[i : i + 16], Y[i : i + 16])) for i in range(0, 64, 16))
    with pytest.raises(ValueError, match="single output"):
        model.fit(batches, class_weight=CLASS_WEIGHT, verbose=0)


def test_validation_data_as_a_pydataset_or_a_generator_matches_arrays():
    class FirstFifty(JBatches):
        def __len__(self):
            return 2  # batches of 25

    forms = [
        (X[:50], Y[:50]),
        FirstFifty(25, workers=2),
        ((X[i : i + 25], Y[i : i + 25]) for i in range(0, 50, 25)),
    ]
    models = [_compiled_pair()[0] for _ in forms]
    weights = models[0].get_weights()
    histories = []
    for model, form in zip(models, forms):
        model.set_weights(weights)
        histories.append(
            model.fit(
                X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0, validation_data=form
            ).history
        )
    assert "val_loss" in histories[0]
    assert_same_history(histories[0], histories[1], **SAME_RUN_TOLERANCE)
    assert_same_history(histories[0], histories[2], **SAME_RUN_TOLERANCE)


@pytest.mark.parametrize("batch_size, steps, runs_out", [(29, 7, False), (16, 7, True)])
def test_steps_per_epoch_through_a_finite_pydataset_follows_the_arrays_rule(
    batch_size, steps, runs_out
):
    """Epochs continue through a pass; a pass used up exactly at an epoch's end is followed by a
    fresh one (7 batches of 29, 7 steps), one that runs out inside an epoch ends it early with a
    warning (13 batches of 16, 7 steps). The in-memory path applies Keras's rule."""
    import warnings

    arrays_model, dataset_model = _compiled_pair()
    kwargs = dict(epochs=4, steps_per_epoch=steps, shuffle=False, verbose=0)
    with warnings.catch_warnings(record=True) as from_arrays:
        warnings.simplefilter("always")
        want = arrays_model.fit(X, Y, batch_size=batch_size, **kwargs).history
    with warnings.catch_warnings(record=True) as from_dataset:
        warnings.simplefilter("always")
        got = dataset_model.fit(JBatches(batch_size), **kwargs).history
    assert_same_history(want, got, **SAME_RUN_TOLERANCE)
    ran_out = ["ran out of data" in str(w.message) for w in from_dataset]
    assert any(ran_out) == runs_out
    assert sum(ran_out) == sum("ran out of data" in str(w.message) for w in from_arrays)
    assert dataset_model.optimizer.iterations.numpy() == arrays_model.optimizer.iterations.numpy()
