"""`InputSpec`: what a layer accepts, checked on every call so shape mistakes name the layer."""


class InputSpec:
    def __init__(
        self,
        dtype=None,
        shape=None,
        ndim=None,
        max_ndim=None,
        min_ndim=None,
        axes=None,
        allow_last_axis_squeeze=False,
        name=None,
        optional=False,
    ):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name
        self.optional = optional

    def get_config(self):
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }


def assert_input_compatibility(spec, shape, layer_name, input_index=0):
    """Raise a ValueError naming the layer when `shape` does not satisfy `spec`."""
    if spec is None or shape is None:
        return
    shape = tuple(shape)
    prefix = f'Input {input_index} of layer "{layer_name}" is incompatible with the layer: '
    rank = len(shape)
    if spec.ndim is not None and rank != spec.ndim:
        raise ValueError(
            f"{prefix}expected ndim={spec.ndim}, found ndim={rank}. Full shape received: {shape}"
        )
    if spec.min_ndim is not None and rank < spec.min_ndim:
        raise ValueError(
            f"{prefix}expected min_ndim={spec.min_ndim}, found ndim={rank}. "
            f"Full shape received: {shape}"
        )
    if spec.max_ndim is not None and rank > spec.max_ndim:
        raise ValueError(
            f"{prefix}expected max_ndim={spec.max_ndim}, found ndim={rank}. "
            f"Full shape received: {shape}"
        )
    for axis, value in spec.axes.items():
        if value is None:
            continue
        if -rank <= axis < rank:
            actual = shape[axis]
            if actual is not None and actual != value:
                raise ValueError(
                    f"{prefix}expected axis {axis} of input shape to have value {value}, "
                    f"but received input with shape {shape}"
                )
