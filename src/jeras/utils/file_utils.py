"""`get_file`: a file from a URL, kept in a cache folder (`~/.keras/datasets` by default),
checked against a hash and optionally extracted, as `keras.utils.get_file`."""

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from jeras.utils.io_utils import print_msg


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Download `origin` into the cache unless it is already there, and return its local path.

    Args:
        fname: the file's name in the cache (default: the last part of the URL's path).
        origin: the URL (`http(s)://`, `ftp://` or `file://`).
        untar: deprecated form of `extract=True` for tar archives.
        md5_hash: deprecated form of `file_hash` with `hash_algorithm="md5"`.
        file_hash: the expected SHA-256 or MD5 hex digest; a cached file that does not match
            is downloaded again, a download that does not match is an error.
        cache_subdir: the folder under `cache_dir` holding the file (default "datasets").
        hash_algorithm: "sha256", "md5" or "auto" (default: by the length of `file_hash`).
        extract: whether to extract the archive; the extraction folder is returned.
        archive_format: "auto" (default; tar then zip), "tar", "zip", or a list of those.
        cache_dir: the cache's root (default `$KERAS_HOME` or `~/.keras`).
        force_download: download even when the file is cached.

    Returns:
        The path of the downloaded file, or of the extraction folder with `extract`.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if cache_dir is None:
        cache_dir = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(cache_dir)
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass  # read-only home: fall back below
    if not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    folder = os.path.join(base, cache_subdir)
    os.makedirs(folder, exist_ok=True)

    given_name = os.fspath(fname) if fname is not None else None
    if not given_name:
        given_name = None
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. Please "
                "specify the `fname` argument."
            )
    else:
        fname = given_name
        if os.sep in fname:
            raise ValueError(
                "Paths are no longer accepted as the `fname` argument. To specify the file's "
                f"parent directory, use the `cache_dir` argument. Received: fname={fname}"
            )

    # Keras's layout: an archive named with an extension extracts beside it into
    # `<stem>_extracted`; otherwise the archive is stored as `<name>_archive` and extracts into
    # `<name>`.
    if extract or untar:
        if given_name and "." in fname:
            target = os.path.join(folder, fname)
            extraction_dir = os.path.join(folder, fname[: fname.find(".")] + "_extracted")
        else:
            target = os.path.join(folder, fname + "_archive")
            extraction_dir = os.path.join(folder, fname)
    else:
        target = os.path.join(folder, fname)

    download = force_download or not os.path.exists(target)
    if (
        not download
        and file_hash is not None
        and not validate_file(target, file_hash, hash_algorithm)
    ):
        print_msg(
            "A local file was found, but it seems to be incomplete or outdated because the "
            f"{hash_algorithm} file hash does not match the original value of {file_hash} so "
            "we will re-download the data."
        )
        download = True
    if download:
        print_msg(f"Downloading data from {origin}")
        _download(origin, target)
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file hash does "
                f"not match the provided value of {file_hash} (file {target}, from {origin})."
            )

    if extract or untar:
        if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
            warnings.warn(f"Could not extract archive {target}.", stacklevel=2)
        return extraction_dir
    return target


def _download(origin, target):
    """Fetch `origin` into `target`; on any failure no partial file is left behind."""
    try:
        urllib.request.urlretrieve(origin, target)
    except (Exception, KeyboardInterrupt) as error:
        if os.path.exists(target):
            os.remove(target)
        if isinstance(error, KeyboardInterrupt):
            raise
        if isinstance(error, urllib.error.HTTPError):
            detail = f"{error.code} -- {error.msg}"
        elif isinstance(error, urllib.error.URLError):
            detail = f"{getattr(error, 'errno', None)} -- {error.reason}"
        else:
            detail = f"{type(error).__name__}: {error}"
        raise Exception(
            f"URL fetch failure on {origin}: {detail}. The file could not be downloaded (no "
            "network?): download it elsewhere and pass its local path, a `file://` URL as "
            "`origin`, or place it in the cache folder under the same name."
        ) from error


def resolve_hasher(algorithm, file_hash=None):
    """The hashlib object for "sha256", "md5" or "auto" (SHA-256 for a 64-digit hash)."""
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The hex digest of the file at `fpath`."""
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's digest equals `file_hash`."""
    hasher = resolve_hasher(algorithm, file_hash)
    return str(hash_file(fpath, hasher, chunk_size)) == str(file_hash)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar or zip archive into `path`; True if it was one of the given formats.
    Members that would land outside `path` (absolute paths, `..`, links leading out) are
    refused."""
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    if isinstance(formats, str):
        formats = [formats]
    for kind in formats:
        if kind == "tar":
            is_kind, opener = tarfile.is_tarfile, tarfile.open
        elif kind == "zip":
            is_kind, opener = zipfile.is_zipfile, zipfile.ZipFile
        else:
            raise NotImplementedError(f"archive_format {kind!r}: use 'tar', 'zip' or 'auto'.")
        if not is_kind(file_path):
            continue
        with opener(file_path) as archive:
            try:
                _extract_safely(archive, path)
            except (tarfile.TarError, RuntimeError, KeyboardInterrupt):
                if os.path.isfile(path):
                    os.remove(path)
                elif os.path.isdir(path):
                    shutil.rmtree(path)
                raise
        return True
    return False


def _extract_safely(archive, path):
    root = os.path.realpath(path)

    def inside(name):
        return os.path.realpath(os.path.join(root, name)).startswith(root + os.sep)

    if isinstance(archive, tarfile.TarFile):
        members = [
            m
            for m in archive.getmembers()
            if inside(m.name)
            and (
                not (m.issym() or m.islnk())
                or inside(
                    m.linkname if m.islnk() else os.path.join(os.path.dirname(m.name), m.linkname)
                )
            )
        ]
        archive.extractall(path, members=members, filter="data")
    else:
        archive.extractall(path, members=[n for n in archive.namelist() if inside(n)])
