import gzip
import hashlib
import io
import os
import urllib.error
import urllib.request

import numpy as np
import pytest

from jeras.datasets import _download, fashion_mnist, mnist

REAL_FASHION_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    # Keep the real Debian files out of the way unless a test opts in, so the
    # synthetic files are what gets loaded.
    monkeypatch.setattr(fashion_mnist, "_SYSTEM_DIR", str(tmp_path / "none"))
    return home


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def fail(url, *args, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", fail)
    return calls


@pytest.fixture
def fake_server(monkeypatch):
    """Serve `contents[url]` from urlopen without touching the network."""
    contents = {}
    calls = []

    def serve(url, *args, **kwargs):
        calls.append((url, kwargs.get("timeout")))
        if url not in contents:
            raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)
        return io.BytesIO(contents[url])

    monkeypatch.setattr(urllib.request, "urlopen", serve)
    return contents, calls


def _labels_idx(labels):
    labels = np.asarray(labels, np.uint8)
    header = np.array([0x801, labels.size], ">u4").tobytes()
    return header + labels.tobytes()


def _images_idx(images):
    images = np.asarray(images, np.uint8)
    header = np.array([0x803, *images.shape], ">u4").tobytes()
    return header + images.tobytes()


def _synthetic_fashion(n_train=5, n_test=3, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def _write_fashion(directory, arrays, compress=True):
    directory.mkdir(parents=True, exist_ok=True)
    payloads = {
        "train-labels-idx1-ubyte.gz": _labels_idx(arrays["y_train"]),
        "train-images-idx3-ubyte.gz": _images_idx(arrays["x_train"]),
        "t10k-labels-idx1-ubyte.gz": _labels_idx(arrays["y_test"]),
        "t10k-images-idx3-ubyte.gz": _images_idx(arrays["x_test"]),
    }
    for name, payload in payloads.items():
        if compress:
            (directory / name).write_bytes(gzip.compress(payload))
        else:
            (directory / name[: -len(".gz")]).write_bytes(payload)
    return payloads


def _check_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for got, key in [
        (x_train, "x_train"),
        (y_train, "y_train"),
        (x_test, "x_test"),
        (y_test, "y_test"),
    ]:
        assert got.dtype == np.uint8
        assert got.shape == arrays[key].shape
        np.testing.assert_array_equal(got, arrays[key])


def test_package_exports_modules_without_jax():
    import jeras.datasets as ds

    assert ds.mnist is mnist and ds.fashion_mnist is fashion_mnist
    assert callable(mnist.load_data) and callable(fashion_mnist.load_data)


def test_fashion_mnist_reads_cached_idx_files(keras_home, no_network):
    arrays = _synthetic_fashion()
    _write_fashion(keras_home / "datasets" / "fashion-mnist", arrays)
    _check_loaded(fashion_mnist.load_data(), arrays)
    assert no_network == []


def test_fashion_mnist_uses_system_dir_gz_or_plain(keras_home, tmp_path, monkeypatch, no_network):
    arrays = _synthetic_fashion(seed=1)
    for compress in (True, False):
        system = tmp_path / f"system_{compress}"
        _write_fashion(system, arrays, compress=compress)
        monkeypatch.setattr(fashion_mnist, "_SYSTEM_DIR", str(system))
        _check_loaded(fashion_mnist.load_data(), arrays)
    assert no_network == []


def test_fashion_mnist_cache_takes_precedence_over_system_dir(
    keras_home, tmp_path, monkeypatch, no_network
):
    cached = _synthetic_fashion(seed=2)
    _write_fashion(keras_home / "datasets" / "fashion-mnist", cached)
    system = tmp_path / "system"
    _write_fashion(system, _synthetic_fashion(seed=3))
    monkeypatch.setattr(fashion_mnist, "_SYSTEM_DIR", str(system))
    _check_loaded(fashion_mnist.load_data(), cached)


def test_fashion_mnist_downloads_into_cache(keras_home, fake_server):
    contents, calls = fake_server
    arrays = _synthetic_fashion(seed=4)
    for name, payload in _write_fashion(keras_home.parent / "served", arrays).items():
        contents[fashion_mnist._BASE_URL + name] = gzip.compress(payload)
    _check_loaded(fashion_mnist.load_data(), arrays)
    assert len(calls) == 4
    assert all(t == _download.DOWNLOAD_TIMEOUT_S for _, t in calls)
    cache = keras_home / "datasets" / "fashion-mnist"
    # Only the four data files: no temporary .part files are left behind.
    assert sorted(os.listdir(cache)) == sorted(name.rsplit("/", 1)[1] for name in contents)
    _check_loaded(fashion_mnist.load_data(), arrays)
    assert len(calls) == 4  # second load served from the cache


def test_fashion_mnist_offline_error_is_clear(keras_home, no_network):
    with pytest.raises(_download.DatasetDownloadError) as info:
        fashion_mnist.load_data()
    assert isinstance(info.value, OSError)
    message = str(info.value)
    assert fashion_mnist._BASE_URL + "train-labels-idx1-ubyte.gz" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert not os.listdir(keras_home / "datasets" / "fashion-mnist")


def test_fashion_mnist_rejects_corrupt_files(keras_home, no_network):
    arrays = _synthetic_fashion()
    cache = keras_home / "datasets" / "fashion-mnist"
    _write_fashion(cache, arrays)
    images = cache / "train-images-idx3-ubyte.gz"
    images.write_bytes(gzip.compress(_images_idx(arrays["x_train"])[:-10]))
    with pytest.raises(ValueError, match="truncated"):
        fashion_mnist.load_data()
    images.write_bytes(gzip.compress(_labels_idx(arrays["y_train"])))
    with pytest.raises(ValueError, match="magic number"):
        fashion_mnist.load_data()


def _mnist_npz_bytes():
    rng = np.random.default_rng(5)
    buffer = io.BytesIO()
    arrays = {
        "x_train": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 4, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 2, dtype=np.uint8),
    }
    np.savez(buffer, **arrays)
    return buffer.getvalue(), arrays


def test_mnist_downloads_verifies_and_loads(keras_home, fake_server, monkeypatch):
    contents, calls = fake_server
    payload, arrays = _mnist_npz_bytes()
    contents[mnist._ORIGIN] = payload
    monkeypatch.setattr(mnist, "_SHA256", hashlib.sha256(payload).hexdigest())
    _check_loaded(mnist.load_data(), arrays)
    assert (keras_home / "datasets" / "mnist.npz").read_bytes() == payload
    _check_loaded(mnist.load_data(), arrays)
    assert len(calls) == 1

    _check_loaded(mnist.load_data(path="other.npz"), arrays)
    assert (keras_home / "datasets" / "other.npz").exists()


def test_mnist_checksum_mismatch_raises_and_discards(keras_home, fake_server):
    contents, _ = fake_server
    contents[mnist._ORIGIN] = b"definitely not the mnist archive"
    with pytest.raises(ValueError, match="SHA-256"):
        mnist.load_data()
    assert os.listdir(keras_home / "datasets") == []


def test_stale_cached_file_is_redownloaded(keras_home, fake_server, monkeypatch):
    contents, calls = fake_server
    payload, arrays = _mnist_npz_bytes()
    contents[mnist._ORIGIN] = payload
    monkeypatch.setattr(mnist, "_SHA256", hashlib.sha256(payload).hexdigest())
    stale = keras_home / "datasets" / "mnist.npz"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"partial")
    _check_loaded(mnist.load_data(), arrays)
    assert len(calls) == 1


def test_mnist_offline_error_is_clear(keras_home, no_network):
    with pytest.raises(_download.DatasetDownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    assert mnist._ORIGIN in message
    assert "network disabled in tests" in message
    assert os.path.join(str(keras_home), "datasets", "mnist.npz") in message
    assert "fashion_mnist" in message
    assert os.listdir(keras_home / "datasets") == []


def test_mnist_rejects_paths_in_fname(keras_home, no_network):
    with pytest.raises(ValueError, match="bare file name"):
        mnist.load_data(path=os.path.join("sub", "mnist.npz"))


def test_cache_dir_falls_back_to_tmp_when_unwritable(tmp_path, monkeypatch):
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(readonly))
    real_access = os.access
    monkeypatch.setattr(
        _download.os,
        "access",
        lambda p, mode: False if str(p) == str(readonly) else real_access(p, mode),
    )
    fallback = str(tmp_path / "tmp_keras")
    monkeypatch.setattr(_download, "_tmp_keras_dir", lambda: fallback)
    assert _download.cache_dir() == os.path.join(fallback, "datasets")
    assert os.path.isdir(os.path.join(fallback, "datasets"))


def test_cache_dir_defaults_to_home_dot_keras(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert _download.cache_dir() == os.path.join(str(tmp_path), ".keras", "datasets")


@pytest.mark.skipif(
    not os.path.isdir(REAL_FASHION_DIR),
    reason="Debian package dataset-fashion-mnist is not installed",
)
def test_real_fashion_mnist_from_debian_package(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    for labels in (y_train, y_test):
        assert labels.min() == 0 and labels.max() == 9
        # Fashion-MNIST is exactly balanced: 6000 / 1000 images per class.
        assert np.all(np.bincount(labels) == labels.size // 10)
    assert no_network == []
