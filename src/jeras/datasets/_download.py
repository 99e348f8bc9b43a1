"""Cache-directory resolution and checksummed downloads for `jeras.datasets`.

Kept numpy/stdlib-only so that importing the datasets does not pull in JAX.
"""

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request

# Offline or firewalled machines should fail within seconds rather than hang
# on the OS-level connect timeout (which can be minutes).
DOWNLOAD_TIMEOUT_S = 15

_CHUNK = 1 << 20


class DatasetDownloadError(OSError):
    """A dataset file is not cached locally and could not be downloaded."""


def _tmp_keras_dir():
    base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
    return os.path.join(base, ".keras")


def keras_home():
    """Return the writable Keras home directory, creating it if needed.

    Same resolution as Keras: `$KERAS_HOME`, else `~/.keras`, falling back to
    `/tmp/.keras` when that location cannot be written (read-only homes on
    clusters and containers are common).
    """
    if "KERAS_HOME" in os.environ:
        home = os.path.expanduser(os.environ["KERAS_HOME"])
    else:
        user_dir = os.path.expanduser("~")
        if not os.access(user_dir, os.W_OK):
            user_dir = "/tmp"
        home = os.path.join(user_dir, ".keras")
    try:
        os.makedirs(home, exist_ok=True)
    except OSError:
        pass
    if not os.access(home, os.W_OK):
        home = _tmp_keras_dir()
    return home


def cache_dir(cache_subdir="datasets"):
    """Return (and create) `<keras_home>/<cache_subdir>`."""
    path = os.path.join(keras_home(), cache_subdir)
    os.makedirs(path, exist_ok=True)
    return path


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(origin, target, file_hash, offline_hint):
    directory = os.path.dirname(target)
    # Writing next to the target lets os.replace be an atomic rename, so an
    # interrupted download never leaves a truncated file that looks cached.
    fd, tmp_path = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(target) + ".", suffix=".part"
    )
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    for block in iter(lambda: response.read(_CHUNK), b""):
                        out.write(block)
            except (urllib.error.URLError, OSError, ValueError) as e:
                reason = getattr(e, "reason", None) or e
                message = f"Could not download {origin} (to {target}): {reason}."
                if offline_hint:
                    message += " " + offline_hint
                raise DatasetDownloadError(message) from e
        if file_hash is not None:
            actual = file_sha256(tmp_path)
            if actual != file_hash.lower():
                raise ValueError(
                    f"Downloaded file from {origin} is corrupted or not the "
                    f"expected version: its SHA-256 is {actual}, expected "
                    f"{file_hash}. The file was discarded; retry the download "
                    "or place a correct copy at "
                    f"{target}."
                )
        os.replace(tmp_path, target)
    except BaseException:
        # BaseException so that Ctrl-C during a large download also cleans up.
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def get_file(fname, origin, cache_subdir="datasets", file_hash=None, offline_hint=""):
    """Return the local path of `fname`, downloading it from `origin` if needed.

    Args:
        fname: file name inside the cache subdirectory (no directories).
        origin: URL to fetch the file from when it is not cached.
        cache_subdir: directory under the Keras home to cache into.
        file_hash: expected SHA-256 hex digest, or None to skip verification.
        offline_hint: extra sentence appended to the error when the download
            fails, telling the user how to obtain the file without network.

    Raises:
        ValueError: `fname` contains a directory, or the downloaded file's
            SHA-256 does not match `file_hash`.
        DatasetDownloadError (an `OSError`): the download failed.
    """
    fname = os.fspath(fname)
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "`fname` must be a bare file name; the file is always cached in "
            f"the Keras datasets directory. Received: fname={fname!r}"
        )
    target = os.path.join(cache_dir(cache_subdir), fname)
    if os.path.exists(target):
        if file_hash is None or file_sha256(target) == file_hash.lower():
            return target
        # A stale or partial copy (e.g. from an older tool) is replaced rather
        # than trusted, which is also what Keras does.
        print(
            f"Cached file {target} does not match the expected SHA-256 "
            f"{file_hash}; downloading it again.",
            file=sys.stderr,
        )
    print(f"Downloading data from {origin}", file=sys.stderr)
    _download(origin, target, file_hash, offline_hint)
    return target
