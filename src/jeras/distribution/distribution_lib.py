"""`keras.distribution` on `jax.sharding`: meshes, layouts, and the data- and model-parallel
distributions that `fit`, `evaluate` and `predict` follow.

A distribution says where each variable and each batch lives (a `jax.sharding.NamedSharding`
over a `jax.sharding.Mesh`); the compiled step is then partitioned by XLA (GSPMD). The engine
reads the distribution in force through `backend/distribution_state.py`, so nothing below this
level imports it.
"""

import collections.abc
import contextlib
import os
import re

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jeras.backend import distribution_state

DEFAULT_BATCH_DIM_NAME = "batch"


# -- devices and processes -----------------------------------------------------------------------
def _jax_devices(device_type=None):
    if device_type is None:
        # As Keras: accelerators when there are any, otherwise the CPU devices, never a mix.
        for platform in ("gpu", "tpu"):
            try:
                return jax.devices(platform)
            except RuntimeError:
                continue
        return jax.devices("cpu")
    device_type = device_type.lower()
    try:
        return jax.devices(device_type)
    except RuntimeError as error:
        raise ValueError(
            f"list_devices: no devices of type {device_type!r} are available ({error}). "
            "Use 'cpu', 'gpu' or 'tpu', or None for the default type."
        ) from None


def list_devices(device_type=None):
    """The devices of `device_type` ("cpu", "gpu", "tpu"; default: accelerators if any, else
    CPUs) as strings `"type:id"`, across all processes.

    Args:
        device_type: "cpu", "gpu" or "tpu", or None for the default type.
    """
    return [f"{d.platform}:{d.id}" for d in _jax_devices(device_type)]


def get_device_count(device_type=None):
    """The number of devices `list_devices(device_type)` lists.

    Args:
        device_type: "cpu", "gpu" or "tpu", or None for the default type.
    """
    return len(_jax_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join this process to a multi-process cluster (`jax.distributed.initialize`); call it
    before any computation. Arguments default to Keras's environment variables
    `KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES` and
    `KERAS_DISTRIBUTION_PROCESS_ID`.

    Args:
        job_addresses: comma-separated addresses of the processes; JAX needs only the first
            (the coordinator, process 0).
        num_processes: the number of processes in the cluster.
        process_id: this process's index, 0 to `num_processes - 1`.
    """
    environ = os.environ
    if job_addresses is None:
        job_addresses = environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in environ:
        num_processes = int(environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in environ:
        process_id = int(environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    coordinator = job_addresses.split(",")[0].strip() if job_addresses else None
    jax.distributed.initialize(
        coordinator_address=coordinator, num_processes=num_processes, process_id=process_id
    )


# -- meshes and layouts --------------------------------------------------------------------------
def _to_jax_device(device):
    if isinstance(device, str):
        platform, _, index = device.partition(":")
        for candidate in _jax_devices(platform):
            if candidate.id == int(index or 0):
                return candidate
        raise ValueError(f"DeviceMesh: no device {device!r}; available: {list_devices(platform)}.")
    return device


class DeviceMesh:
    """Devices arranged in a named grid, as `jax.sharding.Mesh`.

    Args:
        shape: the grid's shape, e.g. `(2, 4)`; its product is the number of devices.
        axis_names: one name per axis of `shape`, e.g. `("batch", "model")`.
        devices: the devices (strings `"type:id"` or JAX devices); default `list_devices()`.
    """

    def __init__(self, shape, axis_names, devices=None):
        shape, axis_names = tuple(shape), tuple(axis_names)
        if not shape or not axis_names:
            raise ValueError("DeviceMesh: `shape` and `axis_names` must not be empty.")
        if len(shape) != len(axis_names):
            raise ValueError(
                f"DeviceMesh: `shape` {shape} and `axis_names` {axis_names} must have the same "
                "length (one name per mesh axis)."
            )
        if devices is None:
            devices = list_devices()
        devices = np.asarray(devices, dtype=object)
        if devices.size != int(np.prod(shape)):
            raise ValueError(
                f"DeviceMesh: shape {shape} needs {int(np.prod(shape))} devices, but "
                f"{devices.size} were given: {devices.ravel().tolist()}."
            )
        self._shape = shape
        self._axis_names = axis_names
        self._devices = devices.reshape(shape)
        self._backend_mesh = None

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    @property
    def backend_mesh(self):
        """The `jax.sharding.Mesh` of these devices."""
        if self._backend_mesh is None:
            jax_devices = np.vectorize(_to_jax_device, otypes=[object])(self._devices)
            self._backend_mesh = Mesh(jax_devices, self._axis_names)
        return self._backend_mesh

    def __repr__(self):
        return f"<DeviceMesh shape={self._shape}, axis_names={self._axis_names}>"


class TensorLayout:
    """How one tensor is split over a `DeviceMesh`: per tensor axis, a mesh axis name to split
    it along, or None to keep it whole (as `jax.sharding.PartitionSpec`).

    Args:
        axes: one entry per tensor axis, each a mesh axis name or None.
        device_mesh: the mesh; may be set later (a `LayoutMap` sets its own).
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = None
        self.device_mesh = device_mesh

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(
                f"TensorLayout {self._axes}: its device mesh is already set to "
                f"{self._device_mesh}; make a new layout for another mesh."
            )
        if device_mesh is not None:
            unknown = [a for a in self._axes if a is not None and a not in device_mesh.axis_names]
            if unknown:
                raise ValueError(
                    f"TensorLayout {self._axes}: axis names {unknown} are not axes of the mesh "
                    f"{device_mesh.axis_names}."
                )
        self._device_mesh = device_mesh

    @property
    def backend_layout(self):
        """The `jax.sharding.NamedSharding` of this layout."""
        if self._device_mesh is None:
            raise ValueError(
                f"TensorLayout {self._axes} has no device mesh: pass `device_mesh=` or add it "
                "to a `LayoutMap`."
            )
        return NamedSharding(self._device_mesh.backend_mesh, PartitionSpec(*self._axes))

    def __repr__(self):
        return f"<TensorLayout axes={self._axes}, device_mesh={self._device_mesh}>"


# -- distributions -------------------------------------------------------------------------------
class Distribution:
    """Where variables and batches live; the base of `DataParallel` and `ModelParallel`.

    Args:
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis batches are split along.
        auto_shard_dataset: in several processes, whether each process reads only its part of
            the data.
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = jax.process_count()
        self._process_id = jax.process_index()

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def num_processes(self):
        return self._num_processes

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = bool(value)

    def get_data_layout(self, data_shape):
        """Batches: split along their first axis over the batch mesh axis."""
        axes = [None] * len(data_shape)
        axes[0] = self._batch_dim_name
        return TensorLayout(axes, self._device_mesh)

    def get_variable_layout(self, variable):
        raise NotImplementedError

    def get_tensor_layout(self, path):
        raise NotImplementedError

    def _replicated(self, variable):
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    @contextlib.contextmanager
    def scope(self):
        """Make this distribution the one in force inside the `with` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def distribute_dataset(self, dataset):
        """The part of `dataset` this process reads. jeras splits arrays and batch sources
        itself when `fit` runs, so the dataset is returned unchanged."""
        return dataset

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self._device_mesh}>"


class DataParallel(Distribution):
    """Every device holds all the variables and computes on its part of each batch.

    Args:
        device_mesh: a 1-D `DeviceMesh` (of a mesh with more axes, the first is the batch
            axis).
        devices: devices to build a 1-D mesh from (instead of `device_mesh`).
        auto_shard_dataset: in several processes, whether each process reads only its part.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None and devices is not None:
            raise ValueError("DataParallel: pass `device_mesh` or `devices`, not both.")
        if device_mesh is None:
            devices = np.asarray(devices if devices is not None else list_devices(), object)
            device_mesh = DeviceMesh((devices.size,), (DEFAULT_BATCH_DIM_NAME,), devices)
        elif not isinstance(device_mesh, DeviceMesh):
            raise ValueError(
                f"DataParallel: `device_mesh` must be a `DeviceMesh`, got "
                f"{type(device_mesh).__name__}."
            )
        super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)

    @property
    def num_model_replicas(self):
        return int(self.device_mesh.devices.size)

    def get_variable_layout(self, variable):
        layout = getattr(variable, "_layout", None)
        return layout if layout is not None else self._replicated(variable)

    def get_tensor_layout(self, path):
        return None


class ModelParallel(Distribution):
    """Variables split over the devices as a `LayoutMap` says, batches along its batch axis.

    Args:
        layout_map: a `LayoutMap` (regex keys over variable paths -> `TensorLayout`).
        batch_dim_name: the mesh axis batches are split along (default: the mesh's first).
        auto_shard_dataset: in several processes, whether each process reads only its part.
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True, **kwargs):
        kwargs.pop("device_mesh", None)
        if kwargs:
            raise ValueError(f"ModelParallel: unrecognized arguments {sorted(kwargs)}.")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "ModelParallel: `layout_map` must be a `keras.distribution.LayoutMap`, got "
                f"{type(layout_map).__name__}."
            )
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(
                f"ModelParallel: `batch_dim_name` {batch_dim_name!r} is not an axis of the "
                f"mesh {mesh.axis_names}."
            )
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map

    @property
    def num_model_replicas(self):
        mesh = self.device_mesh
        return int(mesh.shape[mesh.axis_names.index(self.batch_dim_name)])

    def get_variable_layout(self, variable):
        layout = getattr(variable, "_layout", None)
        if layout is not None:
            return layout
        layout = self._layout_map[variable.path]
        if layout is None:
            return self._replicated(variable)
        if len(layout.axes) != len(variable.shape):
            raise ValueError(
                f"ModelParallel: the layout {layout.axes} given for {variable.path!r} has "
                f"{len(layout.axes)} axes, but the variable has shape {tuple(variable.shape)}."
            )
        return layout

    def get_tensor_layout(self, path):
        return self._layout_map[path]


class LayoutMap(collections.abc.MutableMapping):
    """Variable paths -> `TensorLayout`. A lookup tries the exact key, then every key as a
    regular expression matched against the whole path; two matching keys are an error.

    Args:
        device_mesh: the `DeviceMesh` the layouts refer to.
    """

    def __init__(self, device_mesh):
        self._device_mesh = device_mesh
        self._layouts = collections.OrderedDict()

    def __getitem__(self, key):
        if key in self._layouts:
            return self._layouts[key]
        matches = [pattern for pattern in self._layouts if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"LayoutMap: path {key!r} matches several keys {matches}; make each path match "
                "at most one key."
            )
        return self._layouts[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        if key in self._layouts:
            raise ValueError(
                f"LayoutMap: key {key!r} is already mapped to {self._layouts[key]}; keys must "
                "be unique."
            )
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"LayoutMap[{key!r}]: the value must be a `TensorLayout` or a tuple of mesh axis "
                f"names / None, got {type(layout).__name__}."
            )
        if layout.device_mesh is None:
            layout.device_mesh = self._device_mesh
        self._layouts[key] = layout

    def __delitem__(self, key):
        return self._layouts.pop(key)

    def __len__(self):
        return len(self._layouts)

    def __iter__(self):
        return iter(self._layouts)

    @property
    def device_mesh(self):
        return self._device_mesh


def distribute_tensor(tensor, layout):
    """`tensor` laid out as `layout` (a `TensorLayout` or a `jax.sharding.Sharding`): placed
    on the devices when eager, a sharding constraint inside a compiled function.

    Args:
        tensor: the array.
        layout: a `TensorLayout` or a `jax.sharding.Sharding`.
    """
    if hasattr(tensor, "_keras_history") or type(tensor).__name__ == "KerasTensor":
        # Symbolic tensors only describe the graph; layouts apply to values.
        return tensor
    sharding = layout.backend_layout if isinstance(layout, TensorLayout) else layout
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, sharding)
    return jax.device_put(tensor, sharding)


def distribution():
    """The distribution in force, or None."""
    return distribution_state.current_distribution()


def set_distribution(value):
    """Make `value` (a `Distribution`, or None for one device) the distribution in force.

    Args:
        value: a `Distribution` or None.
    """
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(
            f"set_distribution: expected a `keras.distribution.Distribution` or None, got "
            f"{type(value).__name__}."
        )
    distribution_state.set_current_distribution(value)
