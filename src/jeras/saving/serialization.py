"""`serialize_keras_object` / `deserialize_keras_object`: objects to and from
`{"module", "class_name", "config", "registered_name"}` dicts, as Keras writes them."""

import importlib
import types

from jeras.saving.object_registration import (_GLOBAL_CUSTOM_NAMES, get_registered_object)


def serialize_keras_object(obj):
    if obj is None:
        return None
    if isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(o) for o in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, types.FunctionType) or isinstance(obj, types.BuiltinFunctionType):
        registered = _GLOBAL_CUSTOM_NAMES.get(obj)
        if obj.__name__ == "<lambda>":
            return {"module": "builtins", "class_name": "function", "config": "__lambda__",
                    "registered_name": "function"}
        return {"module": _public_module(obj) if registered is None else None,
                "class_name": "function", "config": obj.__name__,
                "registered_name": registered or "function"}
    cls = type(obj)
    registered = _GLOBAL_CUSTOM_NAMES.get(cls)
    config = obj.get_config() if hasattr(obj, "get_config") else {}
    return {"module": None if registered else _public_module(cls), "class_name": cls.__name__,
            "config": config, "registered_name": registered or cls.__name__
            if registered or not _public_module(cls).startswith("keras") else None}


def _public_module(obj):
    module = getattr(obj, "__module__", "") or ""
    if module.startswith("jeras."):
        # Files are written with Keras's module names so that Keras can read them.
        return "keras." + module.split(".")[1]
    return module


def deserialize_keras_object(config, custom_objects=None, module_objects=None, **kwargs):
    if config is None:
        return None
    if isinstance(config, (int, float, bool)):
        return config
    if isinstance(config, str):
        obj = get_registered_object(config, custom_objects, module_objects)
        if obj is None:
            raise ValueError(f"Unknown object {config!r}; pass it in `custom_objects`.")
        return obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize {config!r}: expected a dict with 'class_name'.")
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "function":
        if inner == "__lambda__":
            raise ValueError("Refusing to deserialize a lambda function (its code is not saved).")
        name = config.get("registered_name")
        name = inner if name in (None, "function") else name
        obj = get_registered_object(name, custom_objects, module_objects)
        if obj is None:
            obj = _lookup_builtin(config.get("module"), inner)
        if obj is None:
            raise ValueError(f"Unknown function {inner!r}; pass it in `custom_objects`.")
        return obj
    name = config.get("registered_name") or class_name
    cls = get_registered_object(name, custom_objects, module_objects)
    if cls is None:
        cls = get_registered_object(class_name, custom_objects, module_objects)
    if cls is None:
        cls = _lookup_builtin(config.get("module"), class_name)
    if cls is None:
        raise ValueError(
            f"Could not locate class {class_name!r}. Make sure custom classes are decorated with "
            "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`.")
    if hasattr(cls, "from_config"):
        return cls.from_config(inner)
    return cls(**inner)


def _lookup_builtin(module, name):
    candidates = []
    if module:
        if module.startswith("keras"):
            parts = module.split(".")
            top = parts[2] if len(parts) > 2 and parts[1] == "src" else (parts[1] if len(parts) > 1 else None)
            if top:
                candidates.append("jeras." + top)
            candidates.append("jeras")
    candidates += ["jeras.layers", "jeras.losses", "jeras.metrics", "jeras.optimizers",
                   "jeras.optimizers.schedules", "jeras.initializers", "jeras.regularizers",
                   "jeras.constraints", "jeras.activations", "jeras.models", "jeras"]
    for candidate in candidates:
        try:
            mod = importlib.import_module(candidate)
        except ImportError:
            continue
        if hasattr(mod, name):
            return getattr(mod, name)
    return None
