"""plot_history: a PNG of a real fit's curves, one subplot per loss or metric, with the
training and validation values of the history on each; the user's matplotlib state untouched;
clear errors for what cannot be plotted."""

import numpy as np
import pytest

import jeras
from jeras.utils import plot_history

matplotlib = pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _lines(axes):
    """`{label: (x, y)}` of the curves drawn on one subplot."""
    return {
        line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
        for line in axes.get_lines()
    }


@pytest.fixture(scope="module")
def history():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    model = jeras.Sequential([jeras.Input((4,)), jeras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "mae"])
    return model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, verbose=0)


def test_fit_history_is_a_png_with_a_subplot_per_metric(history, tmp_path):
    path = tmp_path / "history.png"
    figure = plot_history(history, path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    axes = figure.get_axes()
    assert [a.get_title() for a in axes] == ["loss", "accuracy", "mae"]
    for a in axes:
        name = a.get_title()
        curves = _lines(a)
        assert set(curves) == {"train", "validation"}
        assert curves["train"] == ([1, 2, 3], pytest.approx(history.history[name]))
        assert curves["validation"] == ([1, 2, 3], pytest.approx(history.history["val_" + name]))
        assert a.get_xlabel() == "epoch"


def test_history_dict_without_validation_has_train_curves_only(tmp_path):
    logs = {"accuracy": [0.5, 0.6, 0.7, 0.8], "loss": [0.9, 0.5, 0.4, 0.3]}
    figure = plot_history(logs, tmp_path / "curves")  # no extension: PNG
    assert (tmp_path / "curves").read_bytes()[:8] == PNG_MAGIC
    assert [a.get_title() for a in figure.get_axes()] == ["loss", "accuracy"]
    for a in figure.get_axes():
        assert list(_lines(a)) == ["train"]
        assert _lines(a)["train"][1] == logs[a.get_title()]


def test_validation_every_other_epoch_is_drawn_at_those_epochs():
    # `fit(..., validation_freq=2)` over 4 epochs: validation after epochs 2 and 4.
    figure = plot_history({"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [3.5, 1.5]}, None)
    (axes,) = figure.get_axes()
    assert _lines(axes)["validation"] == ([2, 4], [3.5, 1.5])


def test_resumed_fit_numbers_epochs_from_its_start():
    resumed = jeras.callbacks.History()
    resumed.epoch = [5, 6]
    resumed.history = {"loss": [0.2, 0.1]}
    (axes,) = plot_history(resumed, None).get_axes()
    assert _lines(axes)["train"] == ([6, 7], [0.2, 0.1])


def test_user_matplotlib_state_is_left_alone(history, tmp_path):
    import matplotlib.pyplot as plt

    backend, figures = matplotlib.get_backend(), plt.get_fignums()
    plot_history(history, tmp_path / "h.svg")
    assert "<svg" in (tmp_path / "h.svg").read_text()
    assert matplotlib.get_backend() == backend
    assert plt.get_fignums() == figures


@pytest.mark.parametrize("empty", [{}, {"loss": []}, jeras.callbacks.History()])
def test_empty_history_is_a_clear_error(empty):
    with pytest.raises(ValueError, match="empty history"):
        plot_history(empty, None)


@pytest.mark.parametrize("wrong", [[0.5, 0.4], "history.png", None])
def test_wrong_type_is_a_clear_error(wrong):
    with pytest.raises(TypeError, match="expects the `History` object returned by"):
        plot_history(wrong, None)
