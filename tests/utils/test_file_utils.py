"""`keras.utils.get_file`: cache layout, hashes and extraction as Keras, from `file://` URLs and a
local HTTP server; a clear error naming the URL when nothing can be downloaded."""

import functools
import hashlib
import http.server
import os
import tarfile
import threading
import zipfile

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import pytest

import jeras


@pytest.fixture
def archive_folder(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "data.txt").write_text("hello")
    (source / "folder").mkdir()
    (source / "folder" / "inner.txt").write_text("inner")
    with tarfile.open(tmp_path / "bundle.tar.gz", "w:gz") as archive:
        archive.add(source / "data.txt", arcname="data.txt")
        archive.add(source / "folder", arcname="folder")
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as archive:
        archive.write(source / "data.txt", arcname="data.txt")
        archive.write(source / "folder" / "inner.txt", arcname="folder/inner.txt")
    (tmp_path / "plain.bin").write_bytes(b"0123456789" * 100)
    return tmp_path


@pytest.fixture
def http_server(archive_folder):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(archive_folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _relative_tree(root):
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": "plain.bin"},
        {"fname": "renamed.bin", "origin": "plain.bin"},
        {"origin": "bundle.tar.gz", "extract": True},
        {"fname": "bundle.tar.gz", "origin": "bundle.tar.gz", "extract": True},
        {"fname": "bundle", "origin": "bundle.zip", "extract": True},
        {"origin": "bundle.zip", "extract": True, "archive_format": "zip"},
        {"origin": "bundle.tar.gz", "untar": True},
        {"origin": "plain.bin", "cache_subdir": "elsewhere"},
    ],
)
def test_paths_and_contents_match_keras(archive_folder, http_server, kwargs, monkeypatch):
    monkeypatch.chdir(archive_folder)
    results = {}
    for name, lib in (("jeras", jeras), ("keras", keras)):
        cache = archive_folder / f"cache_{name}"
        # Keras falls back to /tmp/.keras for a cache folder that does not exist yet.
        cache.mkdir()
        call = dict(kwargs, origin=f"{http_server}/{kwargs['origin']}", cache_dir=str(cache))
        path = lib.utils.get_file(**call)
        relative = os.path.relpath(path, cache)
        listing = _relative_tree(path) if os.path.isdir(path) else open(path, "rb").read()
        results[name] = (relative, listing)
    assert results["jeras"] == results["keras"]


def test_file_urls_and_hashes(archive_folder):
    origin = (archive_folder / "plain.bin").as_uri()
    digest = hashlib.sha256((archive_folder / "plain.bin").read_bytes()).hexdigest()
    md5 = hashlib.md5((archive_folder / "plain.bin").read_bytes()).hexdigest()
    cache = str(archive_folder / "cache")
    path = jeras.utils.get_file(origin=origin, file_hash=digest, cache_dir=cache)
    assert open(path, "rb").read() == (archive_folder / "plain.bin").read_bytes()
    assert jeras.utils.get_file(origin=origin, md5_hash=md5, cache_dir=cache) == path
    with pytest.raises(ValueError, match="hash does not match"):
        jeras.utils.get_file(
            origin=origin, file_hash="0" * 64, cache_dir=str(archive_folder / "cache2")
        )


def test_a_cached_file_is_not_downloaded_again(archive_folder):
    cache = archive_folder / "cache"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "missing.bin").write_bytes(b"cached")
    path = jeras.utils.get_file(origin="http://127.0.0.1:9/missing.bin", cache_dir=str(cache))
    assert open(path, "rb").read() == b"cached"


def test_an_unreachable_url_is_a_clear_error_naming_it(archive_folder):
    origin = "http://127.0.0.1:9/nothing/here.zip"
    with pytest.raises(Exception, match="URL fetch failure on http://127.0.0.1:9/nothing/here.zip"):
        jeras.utils.get_file(origin=origin, cache_dir=str(archive_folder / "cache"))
    assert not os.path.exists(archive_folder / "cache" / "datasets" / "here.zip")


def test_bad_arguments(archive_folder):
    with pytest.raises(ValueError, match="origin"):
        jeras.utils.get_file("x.bin")
    with pytest.raises(ValueError, match="cache_dir"):
        jeras.utils.get_file("a/b.bin", origin="http://127.0.0.1:9/b.bin")
