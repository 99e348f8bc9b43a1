"""Bad inputs to fit / evaluate: each is a ValueError that says what is wrong, with the sizes and
shapes involved, before or instead of a JAX traceback."""

import numpy as np
import pytest

import jeras

rng = np.random.default_rng(1)
X = rng.normal(size=(64, 4)).astype("float32")
Y = rng.normal(size=(64, 2)).astype("float32")


def _model():
    inputs = jeras.Input((4,), name="features")
    model = jeras.Model(inputs, jeras.layers.Dense(2)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    return model


class Batches(jeras.utils.PyDataset):
    def __init__(self, width=4, odd_width_at=None, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.odd_width_at = odd_width_at

    def __len__(self):
        return 2

    def __getitem__(self, index):
        width = 5 if index == self.odd_width_at else self.width
        return rng.normal(size=(32, width)).astype("float32"), Y[:32]


def test_x_and_y_of_different_lengths_name_both_sizes():
    with pytest.raises(ValueError, match=r"x sizes: \[10\], y sizes: \[12\]"):
        _model().fit(X[:10], Y[:12], verbose=0)


def test_y_or_sample_weight_with_a_pydataset_is_an_error():
    with pytest.raises(ValueError, match="`y` argument is not supported.*Batches"):
        _model().fit(Batches(), Y, verbose=0)
    with pytest.raises(ValueError, match="`sample_weight` argument is not supported"):
        _model().evaluate(Batches(), sample_weight=np.ones(64), verbose=0)


@pytest.mark.parametrize("batch", [{"features": X[:8]}, X[:8]], ids=["dict", "array"])
def test_a_generator_of_non_tuples_is_an_error_in_fit(batch):
    with pytest.raises(
        ValueError, match=f"must yield tuples.*first batch is a {type(batch).__name__}"
    ):
        _model().fit(iter([batch]), verbose=0)


def test_validation_split_with_a_pydataset_is_an_error():
    with pytest.raises(ValueError, match="validation_split.*validation_data"):
        _model().fit(Batches(), validation_split=0.2, verbose=0)


def test_pydataset_batches_of_the_wrong_feature_size_name_the_input_and_shapes():
    with pytest.raises(ValueError, match=r"features.*\(None, 4\).*\(32, 5\)"):
        _model().fit(Batches(width=5), verbose=0)


def test_a_later_batch_with_another_feature_size_names_the_input_and_shapes():
    with pytest.raises(ValueError, match=r"features.*\(None, 4\).*\(32, 5\)"):
        _model().fit(Batches(odd_width_at=1), verbose=0)
