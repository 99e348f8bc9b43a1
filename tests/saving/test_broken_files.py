"""Damaged, hostile and foreign files give a clean ValueError naming the file and the problem;
a save killed half-way leaves the previous file loadable; saving is fast."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import h5py
import numpy as np
import pytest

import jeras


def _small_model():
    inputs = jeras.Input((4,), name="x")
    hidden = jeras.layers.Dense(3, activation="relu", name="hidden")(inputs)
    model = jeras.Model(inputs, jeras.layers.Dense(2, name="out")(hidden), name="small")
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(np.ones((4, 4), "float32"), np.zeros((4, 2), "float32"))
    return model


@pytest.fixture(scope="module")
def valid_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("valid") / "model.keras")
    _small_model().save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with open(path, "rb") as f:
        return f.read(), members


def _zip(members, extra=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in list(members.items()) + list(extra):
            archive.writestr(name, data)
    return buffer.getvalue()


def _with(members, **replaced):
    out = dict(members)
    for key, value in replaced.items():
        out[{"config": "config.json", "weights": "model.weights.h5"}[key]] = value
    return out


def _h5(build):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5:
        build(h5)
    return buffer.getvalue()


def _config_with(members, edit):
    config = json.loads(members["config.json"])
    edit(config)
    return json.dumps(config).encode()


def _set_layer_class(config, class_name, module="keras.layers", registered=None):
    entry = config["config"]["layers"][1]
    entry["class_name"], entry["module"], entry["registered_name"] = class_name, module, registered


def _corpus(valid_bytes, members):
    other = jeras.Sequential([jeras.Input((4,)), jeras.layers.Dense(7), jeras.layers.Dense(2)])
    wrong_shapes = jeras.saving.saving_lib.weights_bytes(other)

    def linked(h5):
        h5.create_group("layers/dense/vars")
        h5["layers/dense/vars/0"] = h5py.SoftLink("/elsewhere")

    def external(h5):
        h5.create_group("layers/dense/vars").create_dataset(
            "0", shape=(4, 3), dtype="float32", external=[("/etc/passwd", 0, 48)]
        )

    def bomb(h5):
        h5.create_group("layers/dense/vars").create_dataset(
            "0", shape=(1 << 20, 1 << 14), dtype="float32", chunks=(1024, 1024), compression="gzip"
        )

    flipped = bytearray(valid_bytes)
    config_offset = valid_bytes.index(b'"class_name"', 100)
    flipped[config_offset + 2] ^= 0xFF

    return {
        "empty": (b"", "zip archive"),
        "truncated_head": (valid_bytes[:30], "zip archive"),
        "truncated_half": (valid_bytes[: len(valid_bytes) // 2], "zip archive"),
        "truncated_tail": (valid_bytes[:-10], "zip archive"),
        "random_bytes": (np.random.default_rng(1).bytes(5000), "zip archive"),
        "png_renamed": (b"\x89PNG\r\n\x1a\n" + bytes(200), "zip archive"),
        "flipped_byte": (bytes(flipped), "corrupted|CRC|zip"),
        "parent_path_entry": (_zip(members, [("../evil.txt", b"x")]), "unsafe path"),
        "absolute_entry": (_zip(members, [("/tmp/evil.txt", b"x")]), "unsafe path"),
        "nested_parent_entry": (_zip(members, [("assets/../../evil", b"x")]), "unsafe path"),
        "no_config": (
            _zip({k: v for k, v in members.items() if k != "config.json"}),
            "config.json",
        ),
        "no_weights": (
            _zip({k: v for k, v in members.items() if k != "model.weights.h5"}),
            "model.weights.h5",
        ),
        "config_not_json": (_zip(_with(members, config=b"{not json")), "not valid JSON"),
        "config_binary": (_zip(_with(members, config=bytes(range(256)))), "not valid JSON"),
        "config_a_list": (_zip(_with(members, config=b"[1, 2, 3]")), "does not describe"),
        "unknown_layer": (
            _zip(
                _with(
                    members,
                    config=_config_with(members, lambda c: _set_layer_class(c, "NoSuchLayer")),
                )
            ),
            "NoSuchLayer",
        ),
        "unknown_custom_class": (
            _zip(
                _with(
                    members,
                    config=_config_with(
                        members, lambda c: _set_layer_class(c, "Mine", None, "Custom>Mine")
                    ),
                )
            ),
            "Mine",
        ),
        "non_modeling_function": (
            _zip(
                _with(
                    members,
                    config=_config_with(
                        members,
                        lambda c: c["config"]["layers"][1]["config"].update(
                            activation={
                                "module": "keras.saving",
                                "class_name": "function",
                                "config": "load_model",
                                "registered_name": None,
                            }
                        ),
                    ),
                )
            ),
            "load_model",
        ),
        "unknown_model_class": (
            _zip(
                _with(
                    members,
                    config=_config_with(
                        members, lambda c: c.update(class_name="Nope", module="os")
                    ),
                )
            ),
            "Nope",
        ),
        "broken_graph": (
            _zip(
                _with(
                    members,
                    config=_config_with(
                        members,
                        lambda c: c["config"]["layers"][2]["inbound_nodes"][0]["args"][0][
                            "config"
                        ].update(keras_history=["ghost", 0, 0]),
                    ),
                )
            ),
            "ghost",
        ),
        "weights_not_hdf5": (_zip(_with(members, weights=b"definitely not hdf5")), "HDF5"),
        "weights_truncated": (
            _zip(_with(members, weights=members["model.weights.h5"][:500])),
            "HDF5|unreadable",
        ),
        "weights_wrong_shapes": (_zip(_with(members, weights=wrong_shapes)), "shape|expected"),
        "weights_soft_link": (_zip(_with(members, weights=_h5(linked))), "SoftLink"),
        "weights_external": (_zip(_with(members, weights=_h5(external))), "external"),
        "weights_shape_bomb": (_zip(_with(members, weights=_h5(bomb))), "bomb"),
    }


def test_broken_files_give_a_clean_error(valid_file, tmp_path):
    valid_bytes, members = valid_file
    for name, (data, reason) in _corpus(valid_bytes, members).items():
        path = str(tmp_path / f"{name}.keras")
        with open(path, "wb") as f:
            f.write(data)
        started = time.perf_counter()
        with pytest.raises(ValueError) as info:
            jeras.models.load_model(path)
        message = str(info.value)
        assert path in message, (name, message)
        assert any(part.lower() in message.lower() for part in reason.split("|")), (name, message)
        assert time.perf_counter() - started < 10, name
    # Nothing was ever extracted next to the files.
    assert not (tmp_path.parent / "evil.txt").exists()
    assert sorted(os.listdir(tmp_path)) == sorted(
        f"{n}.keras" for n in _corpus(valid_bytes, members)
    )


def test_broken_weights_files_and_paths(valid_file, tmp_path):
    valid_bytes, members = valid_file
    model = _small_model()
    cases = {
        "text.weights.h5": b"hello",
        "cut.weights.h5": members["model.weights.h5"][:300],
        "zip.keras": b"PK\x03\x04 not really",
    }
    for name, data in cases.items():
        path = str(tmp_path / name)
        with open(path, "wb") as f:
            f.write(data)
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            model.load_weights(path)
    with pytest.raises(ValueError, match="not found|File not found"):
        jeras.models.load_model(str(tmp_path / "missing.keras"))
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="legacy"):
        model.save(str(tmp_path / "model.h5"))
    empty_dir = tmp_path / "not_a_model"
    empty_dir.mkdir()
    with pytest.raises(ValueError, match="config.json"):
        jeras.models.load_model(str(empty_dir))
    # A model directory whose weights link outside it.
    linked_dir = tmp_path / "linked"
    linked_dir.mkdir()
    (linked_dir / "config.json").write_bytes(members["config.json"])
    outside = tmp_path / "outside.h5"
    outside.write_bytes(members["model.weights.h5"])
    os.symlink(outside, linked_dir / "model.weights.h5")
    with pytest.raises(ValueError, match="outside"):
        jeras.models.load_model(str(linked_dir))


_WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import jeras

    jeras.utils.set_random_seed(0)
    model = jeras.Sequential([jeras.Input((512,)), jeras.layers.Dense(2048),
                              jeras.layers.Dense(2048), jeras.layers.Dense(512)])
    archive, weights, directory = sys.argv[1:4]
    model.save(archive)
    model.save_weights(weights)
    model.save(directory)
    print("saved", flush=True)
    while True:
        model.save(archive)
        model.save_weights(weights)
        model.save(directory)
""")


def test_a_save_killed_midway_leaves_the_previous_file(tmp_path):
    """A process saving a 25 MB model in a loop is killed with SIGKILL at arbitrary moments;
    every file it was rewriting still loads, whole."""
    archive = str(tmp_path / "model.keras")
    weights = str(tmp_path / "model.weights.h5")
    directory = str(tmp_path / "model_dir")
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    for delay in (0.05, 0.4):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, archive, weights, directory],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            assert writer.stdout.readline().strip() == b"saved"
            time.sleep(delay)
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        model = jeras.models.load_model(archive)
        shapes = [w.shape for w in model.get_weights()]
        assert shapes == [(512, 2048), (2048,), (2048, 2048), (2048,), (2048, 512), (512,)]
        from_dir = jeras.models.load_model(directory)
        for a, b in zip(from_dir.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)
        model.load_weights(weights)
    # Killed writes leave only hidden temporary files beside the targets.
    visible = [n for n in os.listdir(tmp_path) if not n.startswith(".")]
    assert sorted(visible) == ["model.keras", "model.weights.h5", "model_dir"]


def test_saving_the_guide_mlp_is_fast(tmp_path):
    """The guide's MLP (784-64-64-10, compiled, RMSprop state included)."""
    inputs = jeras.Input(shape=(784,), name="digits")
    x = jeras.layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = jeras.layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = jeras.layers.Dense(10, activation="softmax", name="predictions")(x)
    model = jeras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    model.optimizer.build(model.trainable_variables)
    path = str(tmp_path / "mlp.keras")
    model.save(path)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        model.save(path)
        timings.append(time.perf_counter() - started)
    print(
        f"\nsaving the guide MLP: median {1000 * sorted(timings)[2]:.1f} ms, "
        f"{os.path.getsize(path) / 1e3:.0f} kB"
    )
    assert sorted(timings)[2] < 1.0
