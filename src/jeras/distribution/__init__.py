"""`jeras.distribution`: data and model parallelism on `jax.sharding`, named as
`keras.distribution`."""

from jeras.distribution.distribution_lib import (
    DataParallel,
    DeviceMesh,
    Distribution,
    LayoutMap,
    ModelParallel,
    TensorLayout,
    distribute_tensor,
    distribution,
    get_device_count,
    initialize,
    list_devices,
    set_distribution,
)
