"""PyDataset worker processes (`use_multiprocessing=True`): the same numbers as without workers,
the dataset's new state seen after `on_epoch_end`, worker errors with their traceback, and no
process or thread left behind, after an error or a Ctrl-C included."""

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import traceback

import numpy as np
import psutil
import pytest
from _worker_datasets import Batches, LoadsOnlyHere, X

import jeras


def _model():
    inputs = jeras.Input((12,))
    hidden = jeras.layers.Dense(16, activation="relu")(inputs)
    model = jeras.Model(inputs, jeras.layers.Dense(4, activation="softmax")(hidden))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _pair():
    a, b = _model(), _model()
    b.set_weights(a.get_weights())
    return a, b


def _assert_nothing_left():
    assert multiprocessing.active_children() == []
    # Python's multiprocessing starts one resource tracker per interpreter with the first
    # spawned process; it idles until the interpreter exits. Anything else is a leftover.
    children = [
        p
        for p in psutil.Process().children(recursive=True)
        if "resource_tracker" not in " ".join(p.cmdline())
    ]
    assert children == []
    names = [t.name for t in threading.enumerate()]
    assert not [n for n in names if n.startswith(("jeras-pydataset", "jeras-prefetch"))], names


def test_processes_train_exactly_as_no_workers_and_see_the_reshuffled_dataset():
    serial_model, process_model = _pair()
    random.seed(7)
    serial = Batches(reshuffle=True, workers=0)
    h_serial = serial_model.fit(serial, epochs=3, verbose=0).history
    random.seed(7)
    processes = Batches(reshuffle=True, workers=2, use_multiprocessing=True, max_queue_size=3)
    h_processes = process_model.fit(processes, epochs=3, verbose=0).history
    assert h_serial["loss"][0] != h_serial["loss"][1]
    for key in h_serial:
        np.testing.assert_allclose(h_processes[key], h_serial[key], rtol=1e-5, err_msg=key)
    # on_epoch_end ran in this process, on this object.
    assert processes.epochs_ended == 3
    # The workers saw each epoch's order: without it the epochs after the first would train on
    # the first order, and differ from the serial run above.
    _assert_nothing_left()
    predicted = process_model.predict(Batches(workers=1, use_multiprocessing=True), verbose=0)
    np.testing.assert_allclose(predicted, serial_model.predict(X, verbose=0), atol=1e-6)
    _assert_nothing_left()


def test_error_in_a_worker_process_surfaces_with_its_original_traceback():
    model = _model()
    with pytest.raises(KeyError, match="batch 5 is broken") as info:
        model.fit(Batches(fail_at=5, workers=1, use_multiprocessing=True), epochs=1, verbose=0)
    text = "".join(traceback.format_exception(info.value))
    assert "_worker_datasets.py" in text and "in __getitem__" in text
    assert 'raise KeyError(f"batch {index} is broken")' in text
    _assert_nothing_left()


def test_a_worker_process_that_dies_is_an_error_not_a_hang():
    model = _model()
    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        model.evaluate(Batches(exit_at=3, workers=1, use_multiprocessing=True), verbose=0)
    _assert_nothing_left()


def test_a_dataset_class_defined_in_a_function_works_in_worker_processes():
    """As with Keras's forked workers: the class travels to the spawned ones by value."""

    class Local(Batches):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 0.5, y

    serial_model, process_model = _pair()
    h_serial = serial_model.fit(Local(workers=0), epochs=2, shuffle=False, verbose=0).history
    h_processes = process_model.fit(
        Local(workers=2, use_multiprocessing=True), epochs=2, shuffle=False, verbose=0
    ).history
    np.testing.assert_allclose(h_processes["loss"], h_serial["loss"], rtol=1e-5)
    _assert_nothing_left()


def test_an_unpicklable_dataset_is_a_clear_error():
    class Locked(Batches):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.lock = threading.Lock()

    with pytest.raises(
        ValueError, match="PyDataset Locked .* cannot be pickled.*use_multiprocessing=False"
    ):
        _model().fit(Locked(workers=2, use_multiprocessing=True), verbose=0)
    _assert_nothing_left()


def test_a_dataset_that_workers_cannot_load_is_a_clear_error():
    with pytest.raises(
        ValueError,
        match="could not load the PyDataset LoadsOnlyHere.*"
        "importable module.*use_multiprocessing=False",
    ):
        _model().evaluate(LoadsOnlyHere(workers=1, use_multiprocessing=True), verbose=0)
    _assert_nothing_left()


def test_ctrl_c_during_fit_stops_it_and_leaves_no_process(tmp_path):
    marker = tmp_path / "training"
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(os.path.dirname(os.path.dirname(here)), "src")
    # Batches from index 4 never finish: the interrupt must not wait for them.
    code = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{src!r}, {here!r}]
        import jeras
        from _worker_datasets import Batches
        inputs = jeras.Input((12,))
        model = jeras.Model(inputs, jeras.layers.Dense(4)(inputs))
        model.compile(optimizer="sgd", loss="mse")
        data = Batches(slow_from=4, marker={str(marker)!r}, workers=2,
                       use_multiprocessing=True)
        model.fit(data, epochs=2, verbose=0)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), proc.stderr.read() if proc.poll() is not None else "timeout"
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) == 3  # two workers and the resource tracker
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "KeyboardInterrupt" in stderr
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
