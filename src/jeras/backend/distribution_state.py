"""The distribution in force (`keras.distribution.set_distribution`), where lower levels find it.

`jeras.distribution` (level 10) defines `DataParallel`, `ModelParallel` and their layouts; the
backend, the layers and the engine only ask this module for shardings. Every function here
answers None when no distribution is set, and the caller then leaves placement to JAX (one
device), so single-device code pays nothing.

The distribution object is used through three methods only: `get_variable_layout(variable)`,
`get_data_layout(shape)` (each returning a layout whose `backend_layout` is a
`jax.sharding.Sharding`) and `device_mesh.backend_mesh` (a `jax.sharding.Mesh`).
"""

import threading

import jax
from jax.sharding import NamedSharding, PartitionSpec

# One process-wide setting, as Keras's global attribute; a thread that enters
# `distribution.scope()` changes it for all threads, as in Keras.
_current = [None]
_lock = threading.Lock()


def current_distribution():
    return _current[0]


def set_current_distribution(distribution):
    with _lock:
        _current[0] = distribution


def variable_sharding(variable):
    """Where `variable`'s value lives under the current distribution (None: no distribution)."""
    distribution = _current[0]
    if distribution is None:
        return None
    layout = getattr(variable, "_layout", None) or distribution.get_variable_layout(variable)
    return layout.backend_layout


def data_sharding(shape):
    """How a batch of `shape` is split over the devices (along its first, batch axis)."""
    distribution = _current[0]
    if distribution is None or not shape:
        return None
    return distribution.get_data_layout(shape).backend_layout


def replicated_sharding():
    """A copy on every device of the mesh: arrays every step reads whole (the dataset that
    batches are gathered from on the device, scalars)."""
    distribution = _current[0]
    if distribution is None:
        return None
    return NamedSharding(distribution.device_mesh.backend_mesh, PartitionSpec())


def place(value, sharding):
    """`value` laid out as `sharding` (unchanged when None or already so)."""
    if sharding is None or getattr(value, "sharding", None) == sharding:
        return value
    return jax.device_put(value, sharding)


def constrain(value, sharding):
    """Inside a compiled step: tell XLA the layout `value` must have (no-op when None)."""
    if sharding is None:
        return value
    return jax.lax.with_sharding_constraint(value, sharding)


def place_batch(tree):
    """Each leaf of a batch (host arrays) split along its first axis over the devices."""
    if _current[0] is None:
        return tree
    return jax.tree_util.tree_map(
        lambda leaf: place(leaf, data_sharding(getattr(leaf, "shape", ()))), tree
    )


def constrain_batch(tree):
    """Inside a compiled step: each batch leaf split along its first axis over the devices."""
    if _current[0] is None:
        return tree
    return jax.tree_util.tree_map(
        lambda leaf: constrain(leaf, data_sharding(getattr(leaf, "shape", ()))), tree
    )


def lay_out_output(layer_path, outputs):
    """A layer's outputs laid out as the distribution's `get_tensor_layout("<path>/output")`
    says (ModelParallel's layout map may name layer outputs), else unchanged."""
    distribution = _current[0]
    if distribution is None:
        return outputs
    layout = distribution.get_tensor_layout(f"{layer_path}/output")
    if layout is None:
        return outputs
    sharding = layout.backend_layout

    def lay_out(value):
        if isinstance(value, jax.core.Tracer):
            return jax.lax.with_sharding_constraint(value, sharding)
        return jax.device_put(value, sharding)

    return jax.tree_util.tree_map(lay_out, outputs)


def readable_by_every_process(tree):
    """Inside a compiled step: results the host reads (predictions) gathered onto every device
    when several processes share the mesh, since a process can only read its own devices."""
    if _current[0] is None or jax.process_count() == 1:
        return tree
    return constrain_all(tree, replicated_sharding())


def constrain_all(tree, sharding):
    return jax.tree_util.tree_map(lambda leaf: constrain(leaf, sharding), tree)


def stacked_batches_on_devices(tree):
    """Host batches stacked as `(steps, batch, ...)`, on the devices. With several processes,
    each process's devices receive only their rows of each batch (every process holds the same
    batches); otherwise one transfer, and the compiled step splits the batch."""
    if _current[0] is None or jax.process_count() == 1:
        return jax.device_put(tree)

    def global_array(leaf):
        spec = [None] * leaf.ndim
        spec[1] = _current[0].batch_dim_name
        sharding = NamedSharding(_current[0].device_mesh.backend_mesh, PartitionSpec(*spec))
        return jax.make_array_from_callback(leaf.shape, sharding, lambda index: leaf[index])

    return jax.tree_util.tree_map(global_array, tree)
