"""torch `DataLoader` inputs to fit / evaluate / predict: batches of torch tensors train exactly as
the same arrays; the loader's own shuffling, length and collation are respected."""

import numpy as np
import pytest
from same_as_arrays import (
    BATCH,
    X,
    Y,
    assert_same_history,
    check_same_as_arrays,
    check_steps_per_epoch_continues,
    compiled_pair,
)

from jeras.data.batch_sources import make_source

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, IterableDataset, TensorDataset  # noqa: E402


def loader(*arrays, **kwargs):
    return DataLoader(
        TensorDataset(*(torch.from_numpy(a) for a in arrays)), batch_size=BATCH, **kwargs
    )


class Samples(IterableDataset):
    """Samples one by one, with no length: the loader's number of batches is unknown."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        return iter(zip(self.x, self.y))


def test_data_loader_trains_evaluates_and_predicts_as_arrays():
    check_same_as_arrays(loader)


def test_steps_per_epoch_continues_through_one_pass_of_the_loader():
    check_steps_per_epoch_continues(loader(X, Y), loader(X[:50], Y[:50]))


def test_loader_over_an_iterable_dataset_without_length_trains_as_arrays():
    arrays_model, loader_model = compiled_pair()
    expected = arrays_model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0).history
    samples = DataLoader(Samples(X, Y), batch_size=BATCH)
    assert make_source(samples).num_batches is None
    assert_same_history(expected, loader_model.fit(samples, epochs=2, verbose=0).history)


def test_shuffled_loader_reshuffles_each_epoch_and_trains():
    torch.manual_seed(0)
    source = make_source(loader(X, Y, shuffle=True))
    orders = [np.concatenate([y for _, y, _ in source.epoch(False)]) for _ in range(2)]
    assert sorted(orders[0]) == sorted(Y) and list(orders[0]) != list(orders[1])
    model, _ = compiled_pair()
    history = model.fit(loader(X, Y, shuffle=True), epochs=3, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


def test_batches_become_numpy_floats_float32_integers_kept_dicts_kept():
    x, y, sw = make_source(loader(X, Y, X[:, 0].copy())).first_batch()
    assert (x.dtype, y.dtype, sw.dtype) == (np.float32, np.int64, np.float32)
    half = TensorDataset(torch.from_numpy(X).to(torch.bfloat16))
    assert make_source(DataLoader(half, batch_size=4)).first_batch()[0].dtype == np.float32
    dicts = [({"a": X[i], "b": X[i, :3]}, Y[i]) for i in range(8)]
    x, y, _ = make_source(DataLoader(dicts, batch_size=4)).first_batch()
    assert sorted(x) == ["a", "b"] and x["b"].shape == (4, 3) and y.shape == (4,)
    assert make_source(loader(X)).num_batches == 13


def test_a_torch_dataset_without_a_loader_is_an_error_that_says_to_wrap_it():
    model, _ = compiled_pair()
    with pytest.raises(ValueError, match="TensorDataset.*DataLoader\\(dataset, batch_size"):
        model.fit(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), verbose=0)


def test_targets_beside_a_loader_and_empty_loaders_are_errors():
    model, _ = compiled_pair()
    with pytest.raises(ValueError, match="`y` argument is not supported .*DataLoader"):
        model.fit(loader(X, Y), Y, verbose=0)
    with pytest.raises(ValueError, match="torch DataLoader .*yielded no batches"):
        model.fit(loader(X[:0], Y[:0]), verbose=0)
