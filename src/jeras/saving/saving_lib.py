"""The `.keras` format: `save_model`, `load_model`, `save_weights`, `load_weights`.

A `.keras` file is a zip archive (entries stored, not compressed) of `metadata.json`,
`config.json` (the model's config, as `serialize_keras_object` writes it) and `model.weights.h5`
(the variables, laid out as `state_walk` describes). A path without an extension holds the
same three files in a directory.

Writes are crash-safe: everything is written to a temporary file beside the target, flushed to
disk, then moved into place with `os.replace`, so a process killed mid-save leaves the previous
file as it was. Reads never extract anything to disk and never unpickle: archive entries are
read into memory by their exact names, and the HDF5 weights are read through checks that
refuse links, external or virtual datasets, and implausible sizes.
"""

import datetime
import io
import json
import os
import re
import tempfile
import time
import warnings
import zipfile

import numpy as np

from jeras.backend.variable import Variable
from jeras.layers.layer import Layer
from jeras.saving.serialization import (
    ObjectSharingScope,
    SafeModeScope,
    deserialize_keras_object,
    serialize_keras_object,
)
from jeras.saving.state_walk import walk_saveables
from jeras.version import __version__

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.h5"
ASSETS_DIRNAME = "assets"
# The Keras release whose `.keras` layout these files follow (Keras reads it back).
KERAS_FORMAT_VERSION = "3.15.1"

# An entry or dataset larger than this must be backed by about as many bytes in the file;
# anything else is a decompression or shape bomb.
_BOMB_FLOOR_BYTES = 1 << 30
_MAX_EXPANSION = 100
# A model's config is JSON of its layers' settings: a few hundred kB for the largest models.
# Larger is refused before it is read, so a hostile file cannot make the loader allocate it.
_MAX_CONFIG_BYTES = 16 << 20


# -- saving ---------------------------------------------------------------------------------------
def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Save `model` (architecture, weights, compile state and optimizer state).

    Args:
        model: the model to save.
        filepath: a `.keras` path (a zip archive), a path without an extension (the same files
            in a directory), or a writable binary file object (an archive is written to it).
        overwrite: whether to replace an existing file without asking.
        zipped: whether to write a zip archive; by default, for `.keras` paths only.
    """
    include_optimizer = kwargs.pop("include_optimizer", True)
    kwargs.pop("save_format", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if not include_optimizer:
        warnings.warn(
            "`include_optimizer=False` only applies to the legacy `.h5` format; "
            "the optimizer state is saved.",
            stacklevel=2,
        )
    if not getattr(model, "built", True):
        warnings.warn(
            "You are saving a model that has not yet been built. It might not contain any "
            "weights yet. Consider building the model first by calling it on some data.",
            stacklevel=2,
        )
    _sync_from_engine(model)
    if hasattr(filepath, "write") and not isinstance(filepath, (str, os.PathLike)):
        filepath.write(_archive_bytes(model))
        return
    path = os.fspath(filepath)
    if path.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"Cannot save to {path!r}: the legacy HDF5 model format is not supported by jeras. "
            "Save to a `.keras` file (or, for weights only, a `.weights.h5` file)."
        )
    if zipped is None:
        zipped = path.endswith(".keras")
    if zipped and not path.endswith(".keras"):
        raise ValueError(
            f"Invalid `filepath` argument: expected a `.keras` extension. Received: filepath={path}"
        )
    if not zipped and path.endswith(".keras"):
        raise ValueError(
            "When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
            f"Received: filepath={path}"
        )
    if os.path.exists(path) and not overwrite and not _ask_to_overwrite(path):
        return
    if zipped:
        data = _archive_bytes(model)
        _atomic_write_bytes(path, data)
    else:
        _save_directory(model, path)


def _archive_bytes(model):
    config_json, metadata_json = _model_json(model)
    weights = weights_bytes(model)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA_FILENAME, metadata_json)
        archive.writestr(CONFIG_FILENAME, config_json)
        archive.writestr(WEIGHTS_FILENAME, weights)
        for name, data in _asset_files(model):
            archive.writestr(name, data)
    return buffer.getvalue()


def _asset_files(model):
    """`(entry name, bytes)` of the files objects write with `save_assets` (the vocabularies
    of lookup layers), under `assets/<the object's weights path>/`, as Keras lays them out."""
    files = []

    def visit(obj, path):
        if not hasattr(obj, "save_assets"):
            return
        with tempfile.TemporaryDirectory() as directory:
            obj.save_assets(directory)
            for name in sorted(os.listdir(directory)):
                with open(os.path.join(directory, name), "rb") as f:
                    files.append(("/".join(p for p in (ASSETS_DIRNAME, path, name) if p), f.read()))

    walk_saveables(model, visit)
    return files


def _load_assets(model, asset_names, read_asset):
    """Hand each object with `load_assets` a directory holding its saved asset files (read
    by exact name, into a fresh temporary directory)."""

    def visit(obj, path):
        if not hasattr(obj, "load_assets"):
            return
        prefix = f"{ASSETS_DIRNAME}/{path}/" if path else f"{ASSETS_DIRNAME}/"
        names = [n for n in asset_names if n.startswith(prefix) and "/" not in n[len(prefix) :]]
        if not names:
            return
        with tempfile.TemporaryDirectory() as directory:
            for name in names:
                with open(os.path.join(directory, name[len(prefix) :]), "wb") as f:
                    f.write(read_asset(name))
            obj.load_assets(directory)

    walk_saveables(model, visit)


def _model_json(model):
    config_json = json.dumps(serialize_keras_object(model))
    metadata_json = json.dumps(
        {
            "keras_version": KERAS_FORMAT_VERSION,
            "jeras_version": __version__,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )
    return config_json, metadata_json


def _save_directory(model, path):
    config_json, metadata_json = _model_json(model)
    files = [
        (WEIGHTS_FILENAME, weights_bytes(model)),
        (CONFIG_FILENAME, config_json.encode()),
        (METADATA_FILENAME, metadata_json.encode()),
        *_asset_files(model),
    ]
    if os.path.isdir(path):
        # Each file is replaced on its own, the weights first; other files there are kept.
        for name, data in files:
            os.makedirs(os.path.dirname(os.path.join(path, name)), exist_ok=True)
            _atomic_write_bytes(os.path.join(path, name), data)
        return
    if os.path.exists(path):
        raise ValueError(f"Cannot save the model to directory {path!r}: a file exists there.")
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    _remove_stale_temporaries(path)
    staging = tempfile.mkdtemp(dir=parent, prefix=_temporary_prefix(path), suffix=".tmp")
    try:
        for name, data in files:
            os.makedirs(os.path.dirname(os.path.join(staging, name)), exist_ok=True)
            with open(os.path.join(staging, name), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.chmod(staging, 0o777 & ~_UMASK)
        os.replace(staging, path)
        _fsync_directory(parent)
    except BaseException:
        _remove_tree(staging)
        raise


def save_weights(model, filepath, overwrite=True, max_shard_size=None, **kwargs):
    """Save the model's variables (and the optimizer's) to a `.weights.h5` file."""
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath)
    if max_shard_size is not None:
        raise ValueError(
            "Sharded weights (`max_shard_size`) are not supported by jeras; save "
            "to a single `.weights.h5` file."
        )
    if not path.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={path}")
    if not getattr(model, "built", True):
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model first "
            "by calling it on some data or by using `build()`."
        )
    if os.path.exists(path) and not overwrite and not _ask_to_overwrite(path):
        return
    _sync_from_engine(model)
    _atomic_write_bytes(path, weights_bytes(model))


def weights_bytes(model, objects_to_skip=None):
    """The HDF5 weights file of `model`, as bytes."""
    import h5py

    buffer = io.BytesIO()
    visited = {id(o) for o in objects_to_skip or []}
    with h5py.File(buffer, "w") as h5:

        def visit(obj, path):
            group = h5.require_group(f"{path}/vars" if path else "vars")
            group.attrs["name"] = obj.name
            store = _WriteStore(group)
            if hasattr(obj, "save_own_variables"):
                obj.save_own_variables(store)
            else:
                for index, variable in enumerate(obj.variables):
                    store[str(index)] = variable

        walk_saveables(model, visit, visited)
    return buffer.getvalue()


class _WriteStore:
    """The `store` handed to `save_own_variables`: `store["0"] = value` writes a dataset."""

    def __init__(self, group):
        self._group = group

    def __setitem__(self, key, value):
        array = _to_numpy(value)
        if array.dtype.name == "bfloat16":
            dataset = self._group.create_dataset(key, data=array.astype("float32"))
            dataset.attrs["dtype"] = "bfloat16"
        else:
            self._group.create_dataset(key, data=array)

    def __getitem__(self, key):
        return np.asarray(self._group[key])

    def __contains__(self, key):
        return key in self._group

    def keys(self):
        return self._group.keys()

    def __len__(self):
        return len(self._group)


def _to_numpy(value):
    if isinstance(value, Variable):
        value = value.value
    return np.asarray(value)


def _sync_from_engine(model):
    # During `fit` the newest values live in the compiled engine's state.
    sync = getattr(model, "_state_sync", None)
    if sync is not None:
        sync.variables_current()


# -- loading --------------------------------------------------------------------------------------
def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by `model.save()` (by jeras or by Keras 3).

    Args:
        filepath: a `.keras` archive, a directory written by `model.save(path_without_extension)`
            (or Keras's `zipped=False`), or a readable binary file object.
        custom_objects: a dict of names to custom classes and functions the config refers to.
        compile: whether to compile the model as it was compiled when saved.
        safe_mode: refuse to load Python bytecode (`lambda`s); pass False only for files
            you trust.
    """
    if hasattr(filepath, "read") and not isinstance(filepath, (str, os.PathLike)):
        label = getattr(filepath, "name", "<file object>")
        with _describing_errors(label, "model"):
            data = filepath.read()
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return _load_from_archive(archive, label, custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    if os.path.isdir(path):
        with _describing_errors(path, "model"):
            return _load_from_directory(path, custom_objects, compile, safe_mode)
    if not os.path.exists(path):
        raise ValueError(
            f"File not found: filepath={path}. Please ensure the file is an "
            "accessible `.keras` zip file or a saved model directory."
        )
    if path.endswith((".h5", ".hdf5")) and not zipfile.is_zipfile(path):
        raise ValueError(
            f"Cannot load {path!r}: the legacy HDF5 model format is not supported by jeras; "
            "re-save the model in the `.keras` format."
        )
    with _describing_errors(path, "model"):
        if not zipfile.is_zipfile(path):
            raise ValueError(
                "not a `.keras` zip archive (the file is truncated, corrupted, or in another "
                "format)."
            )
        with zipfile.ZipFile(path) as archive:
            return _load_from_archive(archive, path, custom_objects, compile, safe_mode)


def _load_from_archive(archive, label, custom_objects, compile, safe_mode):
    names = _checked_member_names(archive)
    for required in (CONFIG_FILENAME,):
        if required not in names:
            raise ValueError(
                f"the archive has no `{required}` entry; it is not a Keras model "
                f"file (entries: {sorted(names)[:10]})."
            )
    config_json = _read_member(archive, CONFIG_FILENAME, _MAX_CONFIG_BYTES)
    model = _model_from_config(config_json, custom_objects, compile, safe_mode)
    if WEIGHTS_FILENAME not in names:
        raise ValueError(f"the archive has no `{WEIGHTS_FILENAME}` entry.")
    with _open_member(archive, WEIGHTS_FILENAME) as weights:
        _load_weights_bytes(model, weights, skip_mismatch=False)
    assets = [n for n in names if n.startswith(ASSETS_DIRNAME + "/")]
    _load_assets(model, assets, lambda name: _read_member(archive, name))
    return model


def _load_from_directory(path, custom_objects, compile, safe_mode):
    config_path = _inside(path, CONFIG_FILENAME)
    if not os.path.isfile(config_path):
        raise ValueError(f"the directory has no `{CONFIG_FILENAME}`; it is not a saved model.")
    with open(config_path, "rb") as f:
        config_json = f.read(_MAX_CONFIG_BYTES + 1)
    _check_config_size(CONFIG_FILENAME, len(config_json))
    model = _model_from_config(config_json, custom_objects, compile, safe_mode)
    weights_path = _inside(path, WEIGHTS_FILENAME)
    if not os.path.isfile(weights_path):
        raise ValueError(f"the directory has no `{WEIGHTS_FILENAME}`.")
    with open(weights_path, "rb") as weights:
        _load_weights_bytes(model, weights, skip_mismatch=False)
    assets_root = _inside(path, ASSETS_DIRNAME)
    if os.path.isdir(assets_root):
        assets = []
        for root, _, filenames in os.walk(assets_root):
            for filename in filenames:
                relative = os.path.relpath(os.path.join(root, filename), path)
                assets.append(relative.replace(os.sep, "/"))

        def read_asset(name):
            with open(_inside(path, name), "rb") as f:
                return f.read()

        _load_assets(model, assets, read_asset)
    return model


def _inside(directory, name):
    """`directory/name`, refusing a link that leads outside the directory."""
    path = os.path.join(directory, name)
    real_dir = os.path.realpath(directory)
    if os.path.lexists(path) and os.path.commonpath([real_dir, os.path.realpath(path)]) != real_dir:
        raise ValueError(f"`{name}` links outside the model directory.")
    return path


def _model_from_config(config_json, custom_objects, compile, safe_mode):
    try:
        config = json.loads(config_json)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"`{CONFIG_FILENAME}` is not valid JSON ({err}).") from None
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(
            f"`{CONFIG_FILENAME}` does not describe a model (expected an object "
            "with `class_name` and `config`)."
        )
    if not compile:
        config["compile_config"] = None
    with ObjectSharingScope(), SafeModeScope(safe_mode):
        model = deserialize_keras_object(config, custom_objects, safe_mode=safe_mode)
    if not isinstance(model, Layer):
        raise ValueError(f"`{CONFIG_FILENAME}` describes a {type(model).__name__}, not a model.")
    return model


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load variables saved by `save_weights` or `save` (a `.weights.h5` file, a `.keras`
    archive or a saved model directory) into `model`.

    With `skip_mismatch=True`, objects whose saved variables do not fit (count or shapes) keep
    their values and a warning names them; otherwise a ValueError does."""
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    path = os.fspath(filepath)
    is_legacy = path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5")
    if by_name is not None and not is_legacy:
        raise ValueError(
            "`by_name` only supports loading legacy '.h5' or '.hdf5' files. "
            f"Received: filepath={path}"
        )
    if not getattr(model, "built", True):
        raise ValueError(
            "You are loading weights into a model that has not yet been built. Try building "
            "the model first by calling it on some data or by using `build()`."
        )
    if os.path.isdir(path):
        with _describing_errors(path, "weights"):
            weights_path = _inside(path, WEIGHTS_FILENAME)
            if not os.path.isfile(weights_path):
                raise ValueError(f"the directory has no `{WEIGHTS_FILENAME}`.")
            data = open(weights_path, "rb")
    elif path.endswith(".keras"):
        if not os.path.exists(path):
            raise ValueError(f"File not found: filepath={path}.")
        with _describing_errors(path, "weights"):
            if not zipfile.is_zipfile(path):
                raise ValueError(
                    "not a `.keras` zip archive (the file is truncated, corrupted, "
                    "or in another format)."
                )
            # The archive stays open while the weights are streamed from it.
            archive = zipfile.ZipFile(path)
            try:
                names = _checked_member_names(archive)
                if WEIGHTS_FILENAME not in names:
                    raise ValueError(f"the archive has no `{WEIGHTS_FILENAME}` entry.")
                data = _open_member(archive, WEIGHTS_FILENAME)
            except BaseException:
                archive.close()
                raise
            data = _Closing(data, archive)
    elif path.endswith(".weights.h5"):
        if not os.path.exists(path):
            raise ValueError(f"File not found: filepath={path}.")
        data = open(path, "rb")
    elif is_legacy:
        # Keras 2's layout (and `keras.applications`' published files): see legacy_h5.
        from jeras.saving import legacy_h5

        if not os.path.exists(path):
            raise ValueError(f"File not found: filepath={path}.")
        if objects_to_skip is not None:
            raise ValueError("`objects_to_skip` only supports loading '.weights.h5' files.")
        with _describing_errors(path, "weights"):
            if not legacy_h5.is_legacy_weights_file(path):
                raise ValueError(
                    "not a legacy Keras HDF5 weights file (no `layer_names` attribute); a "
                    "Keras 3 weights file is named `*.weights.h5`."
                )
            legacy_h5.load_legacy_weights(
                model, path, skip_mismatch=skip_mismatch, by_name=bool(by_name)
            )
        _flush_variable_writes(model)
        return
    else:
        raise ValueError(
            f"File format not supported: filepath={path}. jeras loads weights from `.keras` "
            "files, `.weights.h5` files and saved model directories."
        )
    with _describing_errors(path, "weights"), data:
        _load_weights_bytes(model, data, skip_mismatch, objects_to_skip)


def _load_weights_bytes(model, data, skip_mismatch, objects_to_skip=None):
    """Load the HDF5 weights in `data` (bytes, or a seekable binary file read as needed)."""
    import h5py

    if isinstance(data, bytes):
        data = io.BytesIO(data)
    signature = data.read(8)
    data.seek(0)
    if signature != b"\x89HDF\r\n\x1a\n":
        raise ValueError(
            f"the weights are not an HDF5 file (the data is truncated, corrupted, "
            "or in another format)."
        )
    try:
        h5 = h5py.File(data, "r")
    except OSError as err:
        raise ValueError(f"the HDF5 weights are unreadable ({err}).") from None
    errors = []
    with h5:

        def visit(obj, path):
            store = _ReadStore(h5, path)
            try:
                if hasattr(obj, "load_own_variables"):
                    obj.load_own_variables(store)
                else:
                    _load_optimizer_variables(obj, store)
            except _UnsafeFile:
                raise
            except Exception as err:  # noqa: BLE001 - every failure is reported below
                errors.append((obj, err))

        walk_saveables(model, visit, {id(o) for o in objects_to_skip or []})
    _flush_variable_writes(model)
    if errors:
        first_obj, first_err = errors[0]
        names = [getattr(obj, "name", repr(obj)) for obj, _ in errors]
        message = (
            f"A total of {len(errors)} objects could not be loaded. Example error "
            f"message for object {getattr(first_obj, 'name', first_obj)!r}:\n\n"
            f"{first_err}\n\nList of objects that could not be loaded:\n{names}"
        )
        if skip_mismatch:
            warnings.warn(message, stacklevel=3)
        else:
            raise ValueError(message) from first_err


def _load_optimizer_variables(optimizer, store):
    variables = list(optimizer.variables)
    if len(store.keys()) != len(variables):
        message = (
            f"Skipping variable loading for optimizer {optimizer.name!r}, because it "
            f"has {len(variables)} variables whereas the saved optimizer has "
            f"{len(store.keys())} variables. "
        )
        if len(variables) <= 2:
            message += "This is likely because the optimizer has not been called/built yet."
        warnings.warn(message, stacklevel=4)
        return
    for index, variable in enumerate(variables):
        value = np.asarray(store[str(index)])
        if tuple(value.shape) != tuple(variable.shape):
            raise ValueError(
                f"Optimizer {optimizer.name!r}: variable {index} ({variable.name!r}) has shape "
                f"{tuple(variable.shape)}, but the saved value has shape {tuple(value.shape)}."
            )
        variable.assign(value)


def _flush_variable_writes(model):
    # A model in the middle of `fit` keeps its values in the compiled engine: hand it the
    # loaded ones.
    sync = getattr(model, "_state_sync", None)
    if sync is not None:
        sync.variables_written()


class _UnsafeFile(ValueError):
    pass


class _ReadStore:
    """The `store` handed to `load_own_variables`: `store["0"]` reads a dataset of the object's
    `vars` group, through the safety checks; a missing group reads as empty."""

    def __init__(self, h5, path):
        self._group = None
        group_path = f"{path}/vars" if path else "vars"
        node = h5
        for part in group_path.split("/"):
            if not _has_hard_child(node, part):
                return
            node = node[part]
            import h5py

            if not isinstance(node, h5py.Group):
                raise _UnsafeFile(f"`{group_path}` in the weights is not a group.")
        for name in node:
            _has_hard_child(node, name)
        self._group = node

    def keys(self):
        return list(self._group.keys()) if self._group is not None else []

    def __len__(self):
        return len(self.keys())

    def __contains__(self, key):
        return self._group is not None and key in self._group

    def __getitem__(self, key):
        import h5py

        if self._group is None or not _has_hard_child(self._group, key):
            raise KeyError(key)
        dataset = self._group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise _UnsafeFile(f"`{key}` in `{self._group.name}` is not a dataset.")
        if dataset.external:
            raise _UnsafeFile(f"dataset `{dataset.name}` refers to external files.")
        if dataset.is_virtual:
            raise _UnsafeFile(f"dataset `{dataset.name}` is a virtual dataset.")
        if dataset.dtype.kind not in "biuf":
            raise _UnsafeFile(f"dataset `{dataset.name}` is not numeric ({dataset.dtype}).")
        declared = int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
        stored = dataset.id.get_storage_size()
        if declared > _BOMB_FLOOR_BYTES and declared > _MAX_EXPANSION * max(stored, 1):
            raise _UnsafeFile(
                f"dataset `{dataset.name}` declares {declared} bytes but stores {stored}; "
                "refusing a possible decompression bomb."
            )
        value = dataset[()]
        if dataset.attrs.get("dtype") == "bfloat16":
            import ml_dtypes

            value = np.asarray(value).astype(ml_dtypes.bfloat16)
        return np.asarray(value)


def _has_hard_child(group, name):
    import h5py

    if name not in group:
        return False
    link = group.get(name, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise _UnsafeFile(
            f"the weights contain a {type(link).__name__} (`{name}`); links are not allowed."
        )
    return True


# -- archive and file helpers ---------------------------------------------------------------------
def _checked_member_names(archive):
    names = set()
    for info in archive.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise _UnsafeFile(f"the archive has an entry with an unsafe path: {name!r}.")
        names.add(name)
    return names


def _read_member(archive, name, limit=None):
    """The bytes of entry `name`; at most `limit` of them (a config, not weights)."""
    info = archive.getinfo(name)
    if limit is not None:
        _check_config_size(name, info.file_size)
    if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * max(
        info.compress_size, 1
    ):
        raise _UnsafeFile(
            f"entry `{name}` declares {info.file_size} bytes but stores "
            f"{info.compress_size}; refusing a possible decompression bomb."
        )
    with archive.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ValueError(f"entry `{name}` is truncated or corrupted.")
    return data


def _check_config_size(name, size):
    if size > _MAX_CONFIG_BYTES:
        raise _UnsafeFile(
            f"entry `{name}` holds {size} bytes; a model config is at most "
            f"{_MAX_CONFIG_BYTES >> 20} MiB, so the file is refused (corrupted or hostile)."
        )


def _open_member(archive, name):
    """Entry `name` as a seekable binary file, read from the archive as needed rather than
    into memory (weights can be as large as the model). The entry's CRC is checked first, in
    one streamed pass."""
    info = archive.getinfo(name)
    if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > _MAX_EXPANSION * max(
        info.compress_size, 1
    ):
        raise _UnsafeFile(
            f"entry `{name}` declares {info.file_size} bytes but stores "
            f"{info.compress_size}; refusing a possible decompression bomb."
        )
    total = 0
    with archive.open(info) as f:  # reading to the end checks the CRC
        while chunk := f.read(1 << 20):
            total += len(chunk)
            if total > info.file_size:
                break
    if total != info.file_size:
        raise ValueError(f"entry `{name}` is truncated or corrupted.")
    if info.compress_type != zipfile.ZIP_STORED:
        # Seeking back in a compressed entry restarts its decompression: read it whole.
        return io.BytesIO(_read_member(archive, name))
    return _StoredEntry(archive.fp, _entry_data_offset(archive.fp, info), info.file_size)


def _entry_data_offset(fp, info):
    """Where entry `info`'s bytes start: after its local header, whose name and extra
    fields may differ in length from the central directory's."""
    fp.seek(info.header_offset)
    header = fp.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise ValueError(f"entry `{info.filename}` has a corrupted local header.")
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    return info.header_offset + 30 + name_length + extra_length


class _Closing(io.BufferedReader):
    """A reader that closes `also` (the archive it reads from) with itself."""

    def __init__(self, raw, also):
        super().__init__(raw if isinstance(raw, io.RawIOBase) else _BytesRaw(raw))
        self._also = also

    def close(self):
        try:
            super().close()
        finally:
            self._also.close()


class _BytesRaw(io.RawIOBase):
    def __init__(self, buffer):
        super().__init__()
        self._buffer = buffer

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._buffer.tell()

    def seek(self, offset, whence=io.SEEK_SET):
        return self._buffer.seek(offset, whence)

    def readinto(self, buffer):
        return self._buffer.readinto(buffer)


class _StoredEntry(io.RawIOBase):
    """A read-only, seekable window on the bytes of an uncompressed archive entry."""

    def __init__(self, fp, start, size):
        super().__init__()
        self._fp, self._start, self._size, self._position = fp, start, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = min(max(base + offset, 0), self._size)
        return self._position

    def readinto(self, buffer):
        count = min(len(buffer), self._size - self._position)
        if count <= 0:
            return 0
        self._fp.seek(self._start + self._position)
        data = self._fp.read(count)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


class _describing_errors:
    """Turn any failure while reading `label` into a ValueError naming the file and what is
    wrong."""

    def __init__(self, label, what):
        self.label, self.what = label, what

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, Exception):
            return False
        if isinstance(exc, ValueError) and getattr(exc, "_jeras_described", False):
            return False
        if isinstance(exc, zipfile.BadZipFile):
            detail = f"the zip archive is corrupted ({exc})"
        elif isinstance(exc, KeyError):
            detail = f"a required entry is missing ({exc})"
        else:
            detail = str(exc) or type(exc).__name__
        error = ValueError(f"Cannot load {self.what} from {self.label!r}: {detail}")
        error._jeras_described = True
        raise error from exc


def _ask_to_overwrite(path):
    try:
        answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
    except EOFError:
        return False
    while answer not in ("y", "n"):
        try:
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
        except EOFError:
            return False
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _atomic_write_bytes(path, data):
    """Write `data` to `path` so that `path` holds either its old content or all of `data`,
    never a part: a temporary file in the same folder, flushed, then renamed over `path`."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    _remove_stale_temporaries(path)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=_temporary_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _temporary_prefix(path):
    """Temporary files of a save to `path` are named `.<name>.<pid>.<random>.tmp`: hidden, and
    telling which process writes them."""
    return f".{os.path.basename(path)}.{os.getpid()}."


# Temporary files of jeras releases that did not name the writing process: removed once this
# old, far longer than any save takes.
_UNOWNED_TEMPORARY_AGE_S = 24 * 3600


def _remove_stale_temporaries(path):
    """Remove what saves to `path` killed mid-write left behind (they are otherwise never
    cleaned up, and each is as large as the file).

    Safe because only names of exactly our pattern for this very path are touched, and only
    those of a process that no longer exists: a save in progress, in this process or another,
    keeps its file. (A dead writer's process id reused since keeps its file too: removal errs
    on the side of keeping.)"""
    directory = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(rf"\.{re.escape(os.path.basename(path))}\.(?:(\d+)\.)?[^./]+\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        stale_path = os.path.join(directory, name)
        if match.group(1) is not None:
            stale = not _process_exists(int(match.group(1)))
        else:
            try:
                stale = time.time() - os.lstat(stale_path).st_mtime > _UNOWNED_TEMPORARY_AGE_S
            except OSError:
                continue
        if not stale:
            continue
        if os.path.isdir(stale_path) and not os.path.islink(stale_path):
            _remove_tree(stale_path)
        else:
            try:
                os.unlink(stale_path)
            except OSError:
                pass


def _process_exists(pid):
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_tree(path):
    import shutil

    shutil.rmtree(path, ignore_errors=True)
