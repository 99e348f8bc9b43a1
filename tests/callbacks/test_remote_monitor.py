"""RemoteMonitor against Keras 3 (which posts with `requests`): both post to a local HTTP server
on 127.0.0.1 and must deliver the same data; an unreachable server gives the same warning."""

import http.server
import json
import socket
import threading
import urllib.parse
import warnings

import keras
import numpy as np
import pytest

import jeras


class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(
            (self.path, self.headers.get("Content-Type"), self.headers.get("X-Run"), body)
        )
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


LOGS = {"loss": np.float32(0.25), "accuracy": 0.5, "val_loss": np.array(0.75)}


def _decode(record, field="data"):
    path, content_type, run, body = record
    if content_type.startswith("application/json"):
        return path, run, json.loads(body)
    return path, run, json.loads(urllib.parse.parse_qs(body.decode())[field][0])


@pytest.mark.parametrize("send_as_json", [False, True])
def test_posts_the_same_data_as_keras(server, send_as_json):
    delivered = {}
    for lib in (keras, jeras):
        _Recorder.received = []
        monitor = lib.callbacks.RemoteMonitor(
            root=server,
            path="/epoch/",
            field="payload",
            headers={"X-Run": "r1"},
            send_as_json=send_as_json,
        )
        for epoch in range(2):
            monitor.on_epoch_end(epoch, dict(LOGS))
        delivered[lib] = [_decode(r, "payload") for r in _Recorder.received]
    assert delivered[jeras] == delivered[keras]
    assert delivered[jeras][1] == (
        "/epoch/",
        "r1",
        {"epoch": 1, "loss": 0.25, "accuracy": 0.5, "val_loss": 0.75},
    )


def test_an_error_status_is_not_a_warning(server):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jeras.callbacks.RemoteMonitor(root=server, path="/missing/").on_epoch_end(0, {"loss": 1.0})


def test_unreachable_server_warns_as_keras():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = f"http://127.0.0.1:{port}"
    messages = {}
    for lib in (keras, jeras):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.callbacks.RemoteMonitor(root=root).on_epoch_end(0, {"loss": 1.0})
        messages[lib] = [str(w.message) for w in caught]
    assert (
        messages[jeras]
        == messages[keras]
        == [f"Could not reach RemoteMonitor root server at {root}"]
    )
