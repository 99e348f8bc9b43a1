"""`jeras.distribution` on simulated devices, against one device and against real Keras.

The eight-device runs happen in one subprocess (`eight_devices.py`: XLA's device count is fixed
when JAX starts); the API's argument checks run here on this process's device.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from jeras import distribution as dist

HERE = os.path.dirname(__file__)


@pytest.fixture(scope="module")
def eight_devices():
    env = dict(os.environ)
    src = os.path.join(HERE, "..", "..", "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.abspath(src), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, os.path.join(HERE, "eight_devices.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _close_histories(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=2e-6, err_msg=key)


def _close_runs(run, reference):
    # Sharded reductions add in another order than one device does, and XLA:CPU splits work by
    # the threads it gets: float32 noise of a few ulps of the larger values after a few steps.
    _close_histories(run["history"], reference["history"])
    np.testing.assert_allclose(run["evaluate"], reference["evaluate"], rtol=2e-6)
    np.testing.assert_allclose(run["predict"], reference["predict"], rtol=1e-5, atol=1e-5)
    for w, r in zip(run["weights"], reference["weights"]):
        np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_eight_devices_are_listed(eight_devices):
    assert eight_devices["devices"] == [f"cpu:{i}" for i in range(8)]


@pytest.mark.slow
def test_data_parallel_fit_matches_keras_and_one_device(eight_devices):
    _close_runs(eight_devices["data_parallel"], eight_devices["keras_data_parallel"])
    _close_runs(eight_devices["data_parallel"], eight_devices["one_device"])
    # DataParallel replicates every variable on the 8 devices.
    assert eight_devices["data_parallel_kernel"] == {"devices": 8, "spec": [None, None]}


@pytest.mark.slow
def test_data_parallel_on_a_py_dataset_and_on_batches_that_do_not_split_evenly(eight_devices):
    _close_histories(
        eight_devices["data_parallel_pydataset"], eight_devices["one_device_pydataset"]
    )
    # Batches of 30 over 8 devices (Keras refuses such batches; XLA pads the shards).
    _close_histories(eight_devices["data_parallel_uneven"], eight_devices["one_device_uneven"])


@pytest.mark.slow
def test_model_parallel_shards_variables_and_their_optimizer_slots(eight_devices):
    _close_runs(eight_devices["model_parallel"], eight_devices["one_device"])
    assert eight_devices["model_parallel_kernel"] == {"devices": 8, "spec": [None, "model"]}
    # Adam's two slots of the first kernel follow it.
    assert eight_devices["model_parallel_slots"] == [{"devices": 8, "spec": [None, "model"]}] * 2


@pytest.mark.slow
def test_a_model_saved_under_model_parallel_loads_resharded(eight_devices):
    assert eight_devices["model_parallel_restored_kernel"] == {
        "devices": 8,
        "spec": [None, "model"],
    }
    np.testing.assert_allclose(
        eight_devices["model_parallel_restored_predict"],
        eight_devices["model_parallel"]["predict"],
        rtol=1e-6,
    )


# -- the API's checks, on this process's devices ---------------------------------------------------
def test_layout_map_looks_up_regex_keys_as_keras():
    mesh = dist.DeviceMesh((1,), ("model",), dist.list_devices()[:1])
    layout_map = dist.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map["exact/bias"] = ("model",)
    assert layout_map["dense_1/kernel"].axes == (None, "model")
    assert layout_map["exact/bias"].axes == ("model",)
    assert layout_map["conv/kernel"] is None
    assert layout_map["dense_1/kernel"].device_mesh is mesh
    layout_map[".*kernel"] = (None, None)
    with pytest.raises(ValueError, match="matches several keys"):
        layout_map["dense_1/kernel"]
    with pytest.raises(ValueError, match="already mapped"):
        layout_map["exact/bias"] = ("model",)
    with pytest.raises(ValueError, match="TensorLayout"):
        layout_map["other"] = "model"


def test_bad_meshes_and_layouts_are_named():
    devices = dist.list_devices()
    with pytest.raises(ValueError, match=r"needs 2 devices, but 1 were given"):
        dist.DeviceMesh((2,), ("batch",), devices[:1])
    with pytest.raises(ValueError, match="same length"):
        dist.DeviceMesh((1,), ("batch", "model"), devices[:1])
    mesh = dist.DeviceMesh((1,), ("batch",), devices[:1])
    with pytest.raises(ValueError, match=r"\['model'\] are not axes of the mesh"):
        dist.TensorLayout((None, "model"), mesh)
    with pytest.raises(ValueError, match="`layout_map` must be"):
        dist.ModelParallel(layout_map={"a": (None,)})
    with pytest.raises(ValueError, match="set_distribution"):
        dist.set_distribution("data_parallel")


def test_a_layout_of_the_wrong_rank_names_the_variable():
    import jeras

    mesh = dist.DeviceMesh((1,), ("model",), dist.list_devices()[:1])
    layout_map = dist.LayoutMap(mesh)
    layout_map[".*kernel"] = ("model",)
    with dist.ModelParallel(layout_map=layout_map).scope():
        with pytest.raises(ValueError, match=r"has 1 axes, but the variable has shape \(3, 2\)"):
            jeras.layers.Dense(2).build((None, 3))
    assert dist.distribution() is None


def test_distribute_tensor_places_values_and_constrains_traced_ones():
    import jax

    mesh = dist.DeviceMesh((1,), ("batch",), dist.list_devices()[:1])
    layout = dist.TensorLayout(("batch", None), mesh)
    value = dist.distribute_tensor(np.ones((4, 2), "float32"), layout)
    assert value.sharding == layout.backend_layout
    traced = jax.jit(lambda x: dist.distribute_tensor(x * 2, layout))(value)
    np.testing.assert_array_equal(traced, np.full((4, 2), 2.0))


@pytest.mark.slow
def test_the_distribution_guide_runs_as_written_with_keras_numbers(eight_devices):
    guide = eight_devices["guide"]
    np.testing.assert_allclose(
        guide["jeras"]["data_parallel_loss"], guide["keras"]["data_parallel_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        guide["jeras"]["model_parallel_loss"], guide["keras"]["model_parallel_loss"], rtol=1e-5
    )
    assert guide["jeras"]["model_parallel_kernel"] == guide["keras"]["model_parallel_kernel"]


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _launch(script, *args):
    env = dict(os.environ)
    src = os.path.abspath(os.path.join(HERE, "..", "..", "src"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _result(process):
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_processes_joined_by_initialize_fit_as_one_process(tmp_path):
    port = _free_port()
    shared, alone = tmp_path / "two_processes_backup", tmp_path / "one_process_backup"
    workers = [_launch("two_processes.py", i, port, 2, shared) for i in range(2)]
    results = [_result(w) for w in workers]
    reference = _result(_launch("two_processes.py", 0, 0, 1, alone))
    for result in results:
        assert (result["processes"], result["devices"], result["local_devices"]) == (2, 8, 4)
        _close_histories(result["history"], reference["history"])
        _close_histories(result["py_dataset"], reference["py_dataset"])
        np.testing.assert_allclose(result["evaluate"], reference["evaluate"], rtol=2e-6)
        np.testing.assert_allclose(result["predict"], reference["predict"], rtol=1e-5, atol=1e-6)
        for w, r in zip(result["weights"], reference["weights"]):
            np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-6)
        # The backup written by process 0 resumes every process at epoch 3.
        assert result["resumed_epochs"] == reference["resumed_epochs"] == [2]
        _close_histories(result["resumed_history"], reference["resumed_history"])
        for w, r in zip(result["resumed_weights"], reference["resumed_weights"]):
            np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-6)
    # Process 0 backs up as one process does; process 1 into its own sub-folder.
    assert sorted(p.name for p in shared.iterdir()) == sorted(
        [p.name for p in alone.iterdir()] + ["process-1"]
    )


@pytest.mark.slow
def test_the_jax_sharding_guide_runs_with_keras_numbers(eight_devices):
    ours, theirs = eight_devices["jax_guide"]["jeras"], eight_devices["jax_guide"]["keras"]
    assert ours["devices"] == theirs["devices"] == 8
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-4)
    np.testing.assert_allclose(ours["predict"], theirs["predict"], rtol=1e-3, atol=1e-4)
