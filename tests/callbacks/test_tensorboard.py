"""TensorBoard without TensorFlow. Event files need the optional `tensorboard` package (skipped
when it is not installed); the parts that do not need it (argument checks, the PNG encoder,
histogram buckets, the error when the package is missing) are checked always.

The logs of one real fit are read back through the real `tensorboard` server, started as a
subprocess that cannot import TensorFlow, over its HTTP API: what a user sees is what is checked.
"""

import importlib.util
import json
import os
import re
import socket
import struct
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
import zlib

import numpy as np
import pytest
from callback_models import binary_data, classifier

import jeras
from jeras.callbacks import tensorboard as tensorboard_module

HAS_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None


@pytest.mark.parametrize(
    "profile_batch,expected", [(0, (0, 0)), (3, (3, 3)), ("2,5", (2, 5)), ((1, 4), (1, 4))]
)
def test_profile_batch_forms(profile_batch, expected):
    assert tensorboard_module._parse_profile_batch(profile_batch) == expected


@pytest.mark.parametrize("profile_batch", [-1, (5, 2), "a,b", (1, 2, 3)])
def test_invalid_profile_batch_is_refused(profile_batch):
    with pytest.raises(ValueError, match="profile_batch must be a non-negative integer"):
        jeras.callbacks.TensorBoard(profile_batch=profile_batch)


def test_epoch_logging_keeps_fit_fused_and_batch_logging_does_not(tmp_path):
    def per_batch(**kwargs):
        callback = jeras.callbacks.TensorBoard(str(tmp_path), **kwargs)
        return jeras.callbacks.CallbackList([callback]).batch_needs("train")

    assert per_batch() == "nothing"
    assert per_batch(update_freq="batch") != "nothing"
    assert per_batch(update_freq=10) != "nothing"


def test_png_encoder_writes_a_decodable_image():
    rng = np.random.default_rng(0)
    image = rng.random(size=(3, 4, 1))
    data = tensorboard_module._encode_png(image)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        offset += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert (width, height) == (4, 3)
    raw = zlib.decompress(chunks[b"IDAT"])
    rows = [raw[r * 5 + 1 : (r + 1) * 5] for r in range(3)]
    expected = np.round(image[..., 0] * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.frombuffer(b"".join(rows), np.uint8).reshape(3, 4), expected)


def test_histogram_buckets_count_every_value():
    class Proto:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    values = np.random.default_rng(1).normal(size=1000)
    histogram = tensorboard_module._histogram_proto(Proto, values)
    assert sum(histogram.bucket) == 1000
    assert histogram.min == values.min() and histogram.max == values.max()
    assert histogram.bucket_limit[-1] == pytest.approx(values.max())
    assert histogram.sum_squares == pytest.approx(float(np.sum(values**2)))
    constant = tensorboard_module._histogram_proto(Proto, np.full(5, 2.0))
    assert constant.bucket == [5.0]


@pytest.mark.skipif(HAS_TENSORBOARD, reason="the `tensorboard` package is installed")
def test_missing_tensorboard_package_is_a_clear_error_at_train_begin(tmp_path):
    callback = jeras.callbacks.TensorBoard(str(tmp_path / "logs"))
    with pytest.raises(ImportError, match="needs the `tensorboard` package"):
        callback.on_train_begin()


@pytest.mark.skipif(not HAS_TENSORBOARD, reason="needs the optional `tensorboard` package")
def test_fit_with_tensorboard_never_imports_tensorflow(tmp_path):
    # TensorFlow is installed here, so only a fresh interpreter tells whether jeras imports it.
    script = textwrap.dedent(f"""
        import sys
        import numpy as np
        import jeras
        model = jeras.Sequential([jeras.Input((3,)), jeras.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0, validation_split=0.5,
                  callbacks=[jeras.callbacks.TensorBoard({str(tmp_path)!r}, histogram_freq=1,
                                                         update_freq=1)])
        print(sorted(name for name in sys.modules if name.split(".")[0] == "tensorflow"))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]


# -- read back through the real server ----------------------------------------------------------
EPOCHS, BATCH_SIZE, UPDATE_FREQ = 3, 16, 2
TRAIN_SAMPLES = 48  # 64 samples, validation_split=0.25: 3 batches per epoch


class _Recorder(jeras.callbacks.Callback):
    """Keeps what TensorBoard is given: each batch's logs and each epoch's weights, by the
    histogram tag Keras gives them."""

    def __init__(self):
        super().__init__()
        self.batch_losses = {}
        self.weights = []
        self._step = 0

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        self.batch_losses[self._step] = float(logs["loss"])

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(
            {
                f"{w.path.replace(':', '_')}/histogram": np.asarray(w.value)
                for layer in self.model.layers
                for w in layer.weights
            }
        )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One fit logged with TensorBoard, and the `tensorboard` server reading its logs."""
    if not HAS_TENSORBOARD:
        pytest.skip("needs the optional `tensorboard` package")
    log_dir = tmp_path_factory.mktemp("logs")
    x, y = binary_data(TRAIN_SAMPLES + 16)
    jeras.utils.set_random_seed(0)
    model = classifier(jeras)
    model.compile(
        optimizer=jeras.optimizers.Adam(0.02),
        loss="binary_crossentropy",
        metrics=["accuracy", "mae"],
    )
    recorder = _Recorder()
    schedule = jeras.callbacks.LearningRateScheduler(lambda epoch: 0.02 * 0.5**epoch)
    tensorboard = jeras.callbacks.TensorBoard(
        str(log_dir), histogram_freq=1, update_freq=UPDATE_FREQ
    )
    history = model.fit(
        x,
        y,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        validation_split=0.25,
        verbose=0,
        callbacks=[schedule, recorder, tensorboard],
    )
    server = _TensorBoardServer(log_dir, tmp_path_factory.mktemp("no_tensorflow"))
    try:
        if not server.wait_until(lambda: {"train", "validation"} <= set(server.get("runs"))):
            raise TimeoutError("tensorboard did not list the runs train and validation")
        # The server loads event files in the background: runs can be listed before their
        # last events are. Each file's last events are the last epoch's (histograms last in
        # `train`); past the wait, the tests' own assertions say what is missing.
        server.wait_until(
            lambda: all(
                len(server.get(f"plugin/{plugin}/{plugin}", run=run, tag=tag)) == EPOCHS
                for run, plugin, tag in [
                    ("train", "scalars", "epoch_loss"),
                    ("validation", "scalars", "epoch_loss"),
                    *[("train", "histograms", tag) for tag in recorder.weights[0]],
                ]
            )
        )
        yield server, history.history, recorder
    finally:
        server.stop()


class _TensorBoardServer:
    def __init__(self, log_dir, hiding_dir):
        # Its output goes to a file: a pipe nobody reads could fill and stall it.
        self.output = open(hiding_dir / "tensorboard.log", "w+")
        # A `tensorflow` package that fails to import: the server runs as it would where
        # TensorFlow is not installed (its "reduced feature set").
        (hiding_dir / "tensorflow").mkdir()
        (hiding_dir / "tensorflow" / "__init__.py").write_text(
            'raise ImportError("TensorFlow is hidden from this server")\n'
        )
        path = [str(hiding_dir), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tensorboard.main",
                "--logdir",
                str(log_dir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    def get(self, route, **query):
        url = f"http://127.0.0.1:{self.port}/data/{route}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())

    def wait_until(self, ready, timeout=60):
        """Poll `ready()` until it is true (True) or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.output.seek(0)
                raise RuntimeError(f"tensorboard exited: {self.output.read()}")
            try:
                if ready():
                    return True
            except OSError:  # not listening yet, or a tag not loaded yet (HTTP 400)
                pass
            time.sleep(0.2)
        return False

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


def _scalars(server, run, tag):
    """`(steps, values)` of one scalar as the server returns it: rows of
    `[wall_time, step, value]`."""
    rows = server.get("plugin/scalars/scalars", run=run, tag=tag)
    return [row[1] for row in rows], [row[2] for row in rows]


def test_server_runs_without_tensorflow(served):
    server, _, _ = served
    server.output.flush()
    server.output.seek(0)
    assert "TensorFlow installation not found" in server.output.read()


def test_server_lists_the_keras_scalar_tags(served):
    server, _, _ = served
    tags = server.get("plugin/scalars/tags")
    assert {
        "epoch_loss",
        "epoch_accuracy",
        "epoch_mae",
        "epoch_learning_rate",
        "batch_loss",
        "batch_accuracy",
        "batch_mae",
    } <= set(tags["train"])
    assert {"epoch_loss", "epoch_accuracy", "epoch_mae"} <= set(tags["validation"])
    assert not any(tag.startswith(("epoch_val_", "batch_")) for tag in tags["validation"])


@pytest.mark.parametrize(
    "run,tag,key",
    [
        ("train", "epoch_loss", "loss"),
        ("train", "epoch_accuracy", "accuracy"),
        ("train", "epoch_mae", "mae"),
        ("validation", "epoch_loss", "val_loss"),
        ("validation", "epoch_accuracy", "val_accuracy"),
        ("validation", "epoch_mae", "val_mae"),
    ],
)
def test_epoch_scalars_equal_the_history(served, run, tag, key):
    server, history, _ = served
    steps, values = _scalars(server, run, tag)
    assert steps == list(range(EPOCHS))
    np.testing.assert_allclose(values, history[key], rtol=1e-6)


def test_validation_results_against_optimizer_iterations(served):
    # Keras logs each validation's results again with the optimizer's iterations as the step.
    server, history, _ = served
    steps, values = _scalars(server, "validation", "evaluation_loss_vs_iterations")
    per_epoch = TRAIN_SAMPLES // BATCH_SIZE
    assert steps == [per_epoch * (e + 1) for e in range(EPOCHS)]
    np.testing.assert_allclose(values, history["val_loss"], rtol=1e-6)


def test_learning_rate_is_logged_per_epoch(served):
    server, history, _ = served
    steps, values = _scalars(server, "train", "epoch_learning_rate")
    assert steps == list(range(EPOCHS))
    np.testing.assert_allclose(values, [0.02 * 0.5**e for e in range(EPOCHS)], rtol=1e-6)
    np.testing.assert_allclose(values, history["learning_rate"], rtol=1e-6)


def test_batch_scalars_every_update_freq_global_batches(served):
    server, _, recorder = served
    steps, values = _scalars(server, "train", "batch_loss")
    total = EPOCHS * TRAIN_SAMPLES // BATCH_SIZE
    assert steps == list(range(UPDATE_FREQ, total + 1, UPDATE_FREQ))
    np.testing.assert_allclose(values, [recorder.batch_losses[s] for s in steps], rtol=1e-6)


def test_weight_histograms_hold_every_weight_value(served):
    server, _, recorder = served
    tags = server.get("plugin/histograms/tags")["train"]
    assert set(tags) == set(recorder.weights[0])
    for tag, first_epoch in recorder.weights[0].items():
        rows = server.get("plugin/histograms/histograms", run="train", tag=tag)
        assert [row[1] for row in rows] == list(range(EPOCHS))
        for (_, epoch, buckets), weights in zip(rows, (w[tag] for w in recorder.weights)):
            buckets = np.asarray(buckets)  # rows of [left edge, right edge, count]
            assert buckets[:, 2].sum() == weights.size
            assert buckets[0, 0] == pytest.approx(float(weights.min()), abs=1e-6)
            assert buckets[-1, 1] == pytest.approx(float(weights.max()), abs=1e-6)
    assert not np.array_equal(
        recorder.weights[0]["out/kernel/histogram"], recorder.weights[-1]["out/kernel/histogram"]
    )


def test_conceptual_graph_of_the_model(served):
    server, _, _ = served
    info = server.get("plugin/graphs/info")
    assert info["train"]["tags"]["keras"]["conceptual_graph"]
    url = f"http://127.0.0.1:{server.port}/data/plugin/graphs/graph?" + urllib.parse.urlencode(
        dict(run="train", tag="keras", conceptual="true")
    )
    with urllib.request.urlopen(url, timeout=10) as response:
        graph = response.read().decode()
    # A text GraphDef: one node per layer, each naming the layer it takes its input from.
    # Nodes are scoped by the model's name, which depends on how many models the process made.
    model_name = re.search(r'name: "([^"/]+)/hidden"', graph).group(1)
    assert model_name.startswith("functional")
    assert f'input: "{model_name}/features"' in graph
    assert f'name: "{model_name}/out"' in graph and f'input: "{model_name}/hidden"' in graph


def test_unwritable_log_dir_fails_before_the_first_step(tmp_path):
    pytest.importorskip("tensorboard")
    blocker = tmp_path / "not_a_directory"
    blocker.write_text("")
    log_dir = blocker / "logs"
    recorder = _Recorder()
    model = classifier(jeras)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = binary_data(32)
    with pytest.raises(OSError, match="TensorBoard cannot write its logs to .*not_a_directory"):
        model.fit(
            x,
            y,
            epochs=1,
            verbose=0,
            callbacks=[recorder, jeras.callbacks.TensorBoard(str(log_dir))],
        )
    assert recorder.batch_losses == {}


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only directories"
)
def test_read_only_log_dir_fails_before_the_first_step(tmp_path):
    pytest.importorskip("tensorboard")
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o500)
    model = classifier(jeras)
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x, y = binary_data(32)
    try:
        with pytest.raises(PermissionError, match="TensorBoard cannot write its logs to"):
            model.fit(
                x,
                y,
                epochs=1,
                verbose=0,
                callbacks=[jeras.callbacks.TensorBoard(str(read_only / "logs"))],
            )
    finally:
        read_only.chmod(0o700)
