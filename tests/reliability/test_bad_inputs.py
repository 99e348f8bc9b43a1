"""Bad inputs give an error that names the argument and the shapes or values involved."""

import numpy as np
import pytest

import jeras

X = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
Y = np.zeros((32,), "int32")


def _model(loss="sparse_categorical_crossentropy"):
    model = jeras.Sequential([jeras.Input((4,)), jeras.layers.Dense(3)])
    model.compile("sgd", loss)
    return model


def test_string_x():
    with pytest.raises(ValueError, match="`x`: str"):
        _model().fit("abc", Y, verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_no_samples(method):
    with pytest.raises(ValueError, match=rf"`{method}\(\)` got no samples.*\(0, 4\)"):
        getattr(_model(), method)(X[:0], Y[:0], verbose=0)


def test_dict_inputs_with_swapped_shapes():
    a, b = jeras.Input((4,), name="a"), jeras.Input((2,), name="b")
    model = jeras.Model({"a": a, "b": b}, jeras.layers.Dense(1)(jeras.layers.Concatenate()([a, b])))
    model.compile("sgd", "mse")
    swapped = {"a": np.zeros((8, 2), "float32"), "b": np.zeros((8, 4), "float32")}
    with pytest.raises(ValueError, match=r'"a".*expected shape \(None, 4\).*\(8, 2\)'):
        model.fit(swapped, np.zeros((8, 1), "float32"), verbose=0)


def test_a_list_of_per_sample_python_lists():
    with pytest.raises(
        ValueError, match=r"`x` is a list of 32 Python lists.*np.array\(x\).*\(32, 4\)"
    ):
        _model().fit(X.tolist(), Y, verbose=0)


@pytest.mark.parametrize("epochs", [-3, 1.5])
def test_epochs(epochs):
    with pytest.raises(ValueError, match=rf"`epochs` must be a non-negative integer.*{epochs}"):
        _model().fit(X, Y, epochs=epochs, verbose=0)


def test_a_custom_loss_not_per_sample():
    model = _model(lambda y_true, y_pred: jeras.ops.zeros((7,)))
    with pytest.raises(ValueError, match=r"shape \(7,\) for a batch of 32 samples"):
        model.fit(X, Y, batch_size=32, verbose=0)


def test_a_custom_loss_returning_none():
    with pytest.raises(ValueError, match="returned None"):
        _model(lambda y_true, y_pred: None).fit(X, Y, verbose=0)


def test_class_weight_with_a_name_for_key():
    with pytest.raises(ValueError, match=r"`class_weight` keys must be integer.*'zero'"):
        _model().fit(X, Y, class_weight={"zero": 1.0}, verbose=0)


def test_predict_names_the_shape_given_not_the_padded_one():
    x = np.zeros((50, 5), "float32")  # padded to 64 rows inside
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\).*\(50, 5\)"):
        _model().predict(x, verbose=0)
    with pytest.raises(ValueError, match=r"expected shape \(None, 4\).*\(3, 5\)"):
        _model().predict(x[:3], verbose=0)  # padded to 4 rows inside


@pytest.mark.parametrize("labels", [Y + 3, Y - 1])
def test_sparse_labels_out_of_range_are_checked_on_the_host(labels):
    with pytest.raises(ValueError, match=r"holds labels \[(3|-1)\].*predicts 3 classes"):
        _model().fit(X, labels, verbose=0)


def test_an_ignored_class_is_not_out_of_range():
    loss = jeras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    labels = Y.copy()
    labels[:4] = -1
    _model(loss).fit(X, labels, verbose=0)
