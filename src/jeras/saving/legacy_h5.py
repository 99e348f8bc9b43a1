"""Weights in the legacy HDF5 layout of Keras 2 (`model.save_weights("x.h5")`, `model.save("x.h5")`
and the published `*_weights_tf_dim_ordering_tf_kernels.h5` files of `keras.applications`),
loaded as Keras 3 loads them.

The layout: the root group (or its `model_weights` group, in a whole-model file) lists its layers
in the attribute `layer_names`; each layer's group lists its weights in `weight_names`, in the
order trainable weights then non-trainable ones, and holds one dataset per name. Loading matches
layers in order (the model's layers that have weights against the saved layers that have
weights) or, with `by_name=True`, by layer name.
"""

import warnings

import numpy as np

# A whole-model legacy file keeps the weights under this group; a weights file at the root.
_MODEL_WEIGHTS_GROUP = "model_weights"
_TOP_LEVEL_GROUP = "top_level_model_weights"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def is_legacy_weights_file(path):
    """Whether `path` is an HDF5 file in the legacy layout (its root, or its `model_weights`
    group, has a `layer_names` attribute), as opposed to a Keras 3 `.weights.h5` file."""
    import h5py

    with open(path, "rb") as f:
        if f.read(8) != HDF5_SIGNATURE:
            return False
    with h5py.File(path, "r") as h5:
        return _weights_group(h5) is not None


def load_legacy_weights(model, path, skip_mismatch=False, by_name=False):
    """Load the legacy HDF5 weights file at `path` into `model`.

    Args:
        model: a built model (or layer).
        path: the file.
        skip_mismatch: whether a layer whose saved weights do not fit (count or shapes) keeps
            its values with a warning instead of raising a ValueError.
        by_name: match saved layers to the model's layers by name (layers absent from either
            side are skipped) instead of by order.
    """
    import h5py

    with h5py.File(path, "r") as h5:
        group = _weights_group(h5)
        if group is None:
            raise ValueError(
                f"{path!r} is not a legacy Keras HDF5 weights file: it has no `layer_names` "
                "attribute (a Keras 3 weights file ends in `.weights.h5`)."
            )
        if by_name:
            _load_by_name(model, group, skip_mismatch)
        else:
            _load_in_order(model, group, skip_mismatch)
        _load_top_level(model, group, skip_mismatch)


def _weights_group(h5):
    if _names_attribute(h5, "layer_names") is not None:
        return h5
    if _MODEL_WEIGHTS_GROUP in h5 and _names_attribute(h5[_MODEL_WEIGHTS_GROUP], "layer_names"):
        return h5[_MODEL_WEIGHTS_GROUP]
    return None


def _load_in_order(model, group, skip_mismatch):
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    saved = [
        name for name in _names_attribute(group, "layer_names") if _saved_weight_names(group, name)
    ]
    if len(saved) != len(layers):
        raise ValueError(
            "Layer count mismatch when loading weights from file. Model expected "
            f"{len(layers)} layers with weights, found {len(saved)} saved layers with weights "
            f"(model: {[layer.name for layer in layers][:8]}...; file: {saved[:8]}...). Check "
            "that the file was saved from the same architecture, or pass `by_name=True`."
        )
    for index, (layer, saved_name) in enumerate(zip(layers, saved)):
        values = _saved_values(group, saved_name)
        variables = _legacy_weights(layer)
        where = f"layer #{index} (named {layer.name!r} in the model, {saved_name!r} in the file)"
        if len(values) != len(variables):
            raise ValueError(
                f"Weight count mismatch for {where}: the layer has {len(variables)} weight(s), "
                f"the file {len(values)}."
            )
        _assign(variables, values, where, skip_mismatch)


def _load_by_name(model, group, skip_mismatch):
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    for index, saved_name in enumerate(_names_attribute(group, "layer_names")):
        layers = by_name.get(saved_name, [])
        if not layers:
            continue
        values = _saved_values(group, saved_name)
        for layer in layers:
            variables = _legacy_weights(layer)
            where = f"layer #{index} (named {layer.name!r})"
            if len(values) != len(variables):
                message = (
                    f"Weight count mismatch for {where}: the layer has {len(variables)} "
                    f"weight(s), the file {len(values)}."
                )
                if skip_mismatch:
                    warnings.warn(f"Skipping {where}. {message}", stacklevel=4)
                    continue
                raise ValueError(message)
            _assign(variables, values, where, skip_mismatch)


def _load_top_level(model, group, skip_mismatch):
    # Weights a model owns directly, outside its layers (a subclassed model's own variables).
    if _TOP_LEVEL_GROUP not in group:
        return
    values = _saved_values(group, _TOP_LEVEL_GROUP)
    own = list(model._trainable_variables) + list(model._non_trainable_variables)
    if not values and not own:
        return
    if len(values) != len(own):
        message = (
            f"Weight count mismatch for the top-level weights of model {model.name!r}: it has "
            f"{len(own)}, the file {len(values)}."
        )
        if skip_mismatch:
            warnings.warn(message, stacklevel=4)
            return
        raise ValueError(message)
    _assign(own, values, f"the top-level weights of model {model.name!r}", skip_mismatch)


def _legacy_weights(layer):
    # The order Keras 2 saved: trainable weights, then non-trainable ones.
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _assign(variables, values, where, skip_mismatch):
    for variable, value in zip(variables, values):
        if tuple(variable.shape) != tuple(value.shape):
            message = (
                f"Shape mismatch in {where} for weight {variable.path!r}: the weight has shape "
                f"{tuple(variable.shape)}, the saved value {tuple(value.shape)}."
            )
            if skip_mismatch:
                warnings.warn(f"Skipping it. {message}", stacklevel=5)
                continue
            raise ValueError(message)
        variable.assign(value)


def _saved_weight_names(group, layer_name):
    if layer_name not in group:
        raise ValueError(
            f"The weights file lists layer {layer_name!r} in `layer_names` but has no group "
            "for it: the file is truncated or corrupted."
        )
    return _names_attribute(group[layer_name], "weight_names") or []


def _saved_values(group, layer_name):
    import h5py

    layer_group = group[layer_name]
    values = []
    for weight_name in _saved_weight_names(group, layer_name):
        dataset = layer_group.get(weight_name)
        if not isinstance(dataset, h5py.Dataset):
            raise ValueError(
                f"The weights file lists weight {weight_name!r} of layer {layer_name!r} but "
                "has no dataset for it: the file is truncated or corrupted."
            )
        if dataset.external or dataset.is_virtual or dataset.dtype.kind not in "biuf":
            raise ValueError(
                f"Dataset {dataset.name!r} of the weights file is not a plain numeric array; "
                "refusing to read it."
            )
        values.append(np.asarray(dataset[()]))
    return values


def _names_attribute(group, name):
    """A list of names stored in `group.attrs[name]`, or split over `name0`, `name1`, ... when it
    was too large for one HDF5 attribute; None when absent."""
    if name in group.attrs:
        chunks = [group.attrs[name]]
    else:
        chunks = []
        while f"{name}{len(chunks)}" in group.attrs:
            chunks.append(group.attrs[f"{name}{len(chunks)}"])
        if not chunks:
            return None
    return [
        entry.decode("utf8") if hasattr(entry, "decode") else str(entry)
        for chunk in chunks
        for entry in np.atleast_1d(chunk)
    ]
