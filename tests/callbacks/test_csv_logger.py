"""CSVLogger against Keras 3: byte-identical files for the same sequence of epoch logs
(columns, `NA` filling, separators, appending, value formatting); clear errors at train begin.
The rows of a real fit are compared with its History in test_fit_with_callbacks.py."""

import keras
import numpy as np
import pytest

import jeras


def _write(lib, path, epochs_logs, **kwargs):
    callback = lib.callbacks.CSVLogger(str(path), **kwargs)
    callback.on_train_begin()
    for epoch, logs in enumerate(epochs_logs):
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end()
    return path.read_bytes()


LOGS = {
    "train_only": [
        {"loss": 0.4749999940395355, "accuracy": 0.5},
        {"loss": 0.25, "accuracy": 0.625},
    ],
    "with_validation": [
        {"loss": 0.5, "val_loss": 0.75, "accuracy": 0.1, "val_accuracy": 0.2},
        {"loss": 0.4, "val_loss": 0.7, "accuracy": 0.3, "val_accuracy": 0.4},
    ],
    "validation_from_epoch_2": [{"loss": 0.5}, {"loss": 0.4, "val_loss": 0.6}],
    "keys_change": [{"b": 1.0, "a": 2.0}, {"a": 3.0, "c": 4.0}],
    "values_of_many_kinds": [
        {
            "loss": np.float32(0.1),
            "lr": 1e-3,
            "per_class": [0.5, 0.25],
            "arr": np.array([1.0, 2.0]),
            "scalar": np.array(3.5),
            "note": "text, with comma",
        }
    ],
    "empty": [{}, {}],
}


@pytest.mark.parametrize("case", sorted(LOGS))
@pytest.mark.parametrize("separator", [",", ";"])
def test_file_matches_keras_byte_for_byte(tmp_path, case, separator):
    expected = _write(keras, tmp_path / "keras.csv", LOGS[case], separator=separator)
    got = _write(jeras, tmp_path / "jeras.csv", LOGS[case], separator=separator)
    assert got == expected


def test_append_adds_rows_without_a_second_header(tmp_path):
    for lib in (keras, jeras):
        path = tmp_path / f"{lib.__name__}.csv"
        _write(lib, path, LOGS["with_validation"])
        _write(lib, path, LOGS["with_validation"][:1], append=True)
    assert (tmp_path / "jeras.csv").read_bytes() == (tmp_path / "keras.csv").read_bytes()
    assert (tmp_path / "jeras.csv").read_text().count("epoch") == 1


def test_append_to_an_empty_file_writes_the_header(tmp_path):
    for lib in (keras, jeras):
        path = tmp_path / f"{lib.__name__}.csv"
        path.write_text("")
        _write(lib, path, LOGS["train_only"], append=True)
    assert (tmp_path / "jeras.csv").read_bytes() == (tmp_path / "keras.csv").read_bytes()


def test_missing_directory_fails_at_train_begin_naming_the_file(tmp_path):
    path = tmp_path / "no_such_dir" / "log.csv"
    callback = jeras.callbacks.CSVLogger(str(path))
    with pytest.raises(FileNotFoundError, match="CSVLogger cannot open .*log.csv"):
        callback.on_train_begin()
