"""`serialize_keras_object` / `deserialize_keras_object`: objects to and from the
`{"module", "class_name", "config", "registered_name"}` dicts that Keras 3 writes.

jeras classes are written under Keras's public module names (`keras.layers`, `keras.losses`, ...)
so that Keras reads jeras files, and those names are read back as the jeras classes of the same
name so that jeras reads Keras files.
"""

import base64
import builtins
import marshal
import threading
import types
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.variable import Variable
from jeras.saving.object_registration import (
    _GLOBAL_CUSTOM_NAMES,
    _GLOBAL_CUSTOM_OBJECTS,
    _scoped_objects,
    custom_object_scope,
    get_registered_name,
    get_registered_object,
)
from jeras.saving.public_names import (
    internal_class,
    internal_name,
    public_name,
    public_object,
    required_public_object,
    top_level_package,
)
from jeras.symbolic.keras_tensor import KerasTensor

# Packages whose classes and functions a config may name, as `keras.<package>.<Name>`. Order
# matters for functions: the first package holding a name wins, as in Keras.
_PUBLIC_PACKAGES = (
    "layers",
    "losses",
    "metrics",
    "optimizers.schedules",
    "optimizers",
    "initializers",
    "regularizers",
    "constraints",
    "activations",
)
_FUNCTION_PACKAGES = (
    "activations",
    "constraints",
    "initializers",
    "losses",
    "metrics",
    "optimizers",
    "regularizers",
)
_FUNCTIONAL_MODULE = "keras.src.models.functional"
_OPS_MODULE = "keras.src.ops.numpy"

_state = threading.local()


# -- safe mode ---------------------------------------------------------------------------------
class SafeModeScope:
    """Within this scope, nested deserialization uses the given `safe_mode`."""

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc):
        _state.safe_mode = self._previous
        return False


_unsafe_globally = False


def enable_unsafe_deserialization():
    """Allow lambdas (Python bytecode) to be deserialized everywhere, as Keras's function of
    the same name. Only do this for files from a source you trust."""
    global _unsafe_globally
    _unsafe_globally = True


def in_safe_mode():
    """The safe mode in effect: the innermost scope's, else False once unsafe deserialization
    was enabled globally, else None (callers treat None as safe)."""
    scoped = getattr(_state, "safe_mode", None)
    if scoped is not None:
        return scoped
    return False if _unsafe_globally else None


def lambda_refused_message(what="a Python lambda"):
    return (
        f"Requested the deserialization of {what}. Its bytecode would run on load, which can "
        "execute arbitrary code, so this is refused by default (safe_mode=True). If you trust "
        "the source of the file, pass `safe_mode=False` to the loading function, or call "
        "`jeras.config.enable_unsafe_deserialization()`."
    )


# -- objects shared between several places of one config ---------------------------------------
class ObjectSharingScope:
    """During one load, configs carrying the same `shared_object_id` give the same object."""

    def __enter__(self):
        self._previous = getattr(_state, "shared", None)
        _state.shared = {}
        return self

    def __exit__(self, *exc):
        _state.shared = self._previous
        return False


# -- serialization ------------------------------------------------------------------------------
def serialize_keras_object(obj):
    """The JSON-ready config of `obj`, in Keras 3's format."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, list):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, tuple):
        return tuple(serialize_keras_object(x) for x in obj)
    if isinstance(obj, dict):
        return serialize_dict(obj)
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": serialize_keras_object(obj.start),
                "stop": serialize_keras_object(obj.stop),
                "step": serialize_keras_object(obj.step),
            },
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, KerasTensor):
        history = obj._keras_history
        if history is not None:
            history = [history[0].name, history[1], history[2]]
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": list(obj.shape), "dtype": obj.dtype, "keras_history": history},
        }
    array = _as_array(obj)
    if array is not None:
        if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
            if array.ndim == 0:
                return array.item()
            return {
                "class_name": "__numpy__",
                "config": {"value": array.tolist(), "dtype": str(array.dtype)},
            }
        return {
            "class_name": "__tensor__",
            "config": {"value": array.tolist(), "dtype": str(array.dtype)},
        }
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        warnings.warn(
            "The object being serialized includes a `lambda`. Loading it back needs "
            "`safe_mode=False`; prefer named, registered functions.",
            stacklevel=2,
        )
        return {"class_name": "__lambda__", "config": {"value": dump_function(obj)}}
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        # Keras writes every function the same way: by its (registered) name.
        return {
            "module": "builtins",
            "class_name": "function",
            "config": get_registered_name(obj),
            "registered_name": "function",
        }
    if isinstance(obj, type):
        return {
            "module": "builtins",
            "class_name": "type",
            "config": get_registered_name(obj),
            "registered_name": "type",
        }
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize object {obj!r} of type {type(obj).__name__}. To be serializable, "
            "a class must implement the `get_config()` method."
        )
    inner = obj.get_config()
    if not isinstance(inner, dict):
        raise TypeError(
            f"The `get_config()` method of {obj!r} should return a dict. It returned: {inner!r}"
        )
    operation = getattr(obj, "_keras_operation", None)
    if operation is not None:
        # An operator on symbolic tensors: Keras records it as the operation class it calls.
        config = {
            "module": getattr(obj, "_keras_operation_module", None) or _OPS_MODULE,
            "class_name": operation,
            "config": serialize_dict(inner),
            "registered_name": operation,
        }
    else:
        config = _class_entry(type(obj), serialize_dict(inner))
    build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build_config is not None:
        config["build_config"] = serialize_dict(build_config)
    compile_config = obj.get_compile_config() if hasattr(obj, "get_compile_config") else None
    if compile_config is not None:
        config["compile_config"] = serialize_dict(compile_config)
    return config


def serialize_dict(obj):
    return {key: serialize_keras_object(value) for key, value in obj.items()}


def _class_entry(cls, inner):
    """The `{module, class_name, config, registered_name}` head of a class's config."""
    registered = _GLOBAL_CUSTOM_NAMES.get(cls)
    if registered is None:
        public = keras_public_name(cls)
        if public is not None:
            module, class_name, registered_name = public
            return {
                "module": module,
                "class_name": class_name,
                "config": inner,
                "registered_name": registered_name,
            }
    module = cls.__module__
    if module == "__main__":
        module = None
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": inner,
        "registered_name": registered or (None if module == "builtins" else cls.__name__),
    }


def keras_public_name(cls):
    """`(module, class_name, registered_name)` under which Keras 3 writes the Keras class that
    `cls` stands for, or None for a class of the user's."""
    module = getattr(cls, "__module__", "") or ""
    if not module.startswith("jeras."):
        return None
    internal = internal_name(cls)
    if internal is not None:
        # Keras writes its non-public classes under their source module, named as themselves.
        return internal[0], internal[1], internal[1]
    if cls is public_object("models", "Functional"):
        return _FUNCTIONAL_MODULE, "Functional", "Functional"
    if cls in (public_object("models", "Model"), public_object("models", "Sequential")):
        return "keras", cls.__name__, None
    for package in _PUBLIC_PACKAGES:
        prefix = "jeras." + package
        if module == prefix or module.startswith(prefix + "."):
            name = public_name(package, cls)
            if name is not None:
                return "keras." + package, name, None
            return None
    return None


def _as_array(obj):
    """A NumPy view of array-likes that are values (JAX/NumPy arrays, Variables), else None."""
    if isinstance(obj, Variable):
        return np.asarray(obj.value)
    if isinstance(obj, (np.ndarray, np.generic)):
        return np.asarray(obj)
    if isinstance(obj, jax.Array):
        return np.asarray(obj)
    return None


def dump_function(fn):
    """`(code, defaults, closure)` of a Python function, as Keras writes lambdas: the code
    object marshalled and base64-encoded."""
    code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
    # base64 of Keras's codec inserts a newline every 76 characters; both decode alike.
    closure = tuple(cell.cell_contents for cell in fn.__closure__) if fn.__closure__ else None
    return code, fn.__defaults__, closure


def load_function(code, defaults=None, closure=None):
    """Rebuild a function written by `dump_function` (or Keras). This runs the file's
    bytecode: callers check safe mode first."""
    if isinstance(code, (list, tuple)):
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    try:
        raw = base64.b64decode(code.encode("ascii"))
        code_object = marshal.loads(raw)
    except Exception as err:
        raise ValueError(
            f"Cannot rebuild a serialized Python function: its bytecode is unreadable ({err}). "
            "Lambdas only load in the Python version that saved them."
        ) from None
    if not isinstance(code_object, types.CodeType):
        raise ValueError("Cannot rebuild a serialized Python function: no code object found.")
    cells = None
    if closure is not None:
        cells = tuple(types.CellType(value) for value in closure)
    # A lambda from a Keras file refers to `keras`, `ops`, ... as globals, so it runs against the
    # whole top-level package (level 10), found through the registry.
    jeras = top_level_package("Loading a Python lambda")
    namespace = {
        "__builtins__": builtins,
        "keras": jeras,
        "jeras": jeras,
        "ops": jeras.ops,
        "jnp": jnp,
        "np": np,
    }
    return types.FunctionType(code_object, namespace, code_object.co_name, defaults, cells)


# -- deserialization ----------------------------------------------------------------------------
def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a Keras 3 config describes (classes are looked up in `custom_objects`, the
    registry, then jeras's own catalogue)."""
    scoped = in_safe_mode()
    safe_mode = scoped if scoped is not None else safe_mode
    module_objects = kwargs.pop("module_objects", None)
    custom_objects = dict(custom_objects or {})
    if config is None:
        return None
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects, module_objects)
        return found if found is not None else config
    if isinstance(config, (list, tuple)):
        return [
            deserialize_keras_object(x, custom_objects, safe_mode, module_objects=module_objects)
            for x in config
        ]
    if isinstance(config, (int, float, bool)):
        return config
    if not isinstance(config, dict):
        raise ValueError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {
            key: deserialize_keras_object(value, custom_objects, safe_mode)
            for key, value in config.items()
        }

    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    special = _deserialize_special(class_name, inner, custom_objects, safe_mode)
    if special is not _NOT_SPECIAL:
        return special
    if not isinstance(class_name, str):
        raise ValueError(f"Invalid config: `class_name` must be a string, got {class_name!r}.")
    module = config.get("module")
    registered_name = config.get("registered_name") or class_name

    if class_name == "function":
        if not isinstance(inner, str):
            raise ValueError(
                f"Invalid config for a function: expected its name as `config`, got {config!r}."
            )
        return _retrieve_function(inner, module, custom_objects, module_objects, config)
    if class_name == "type" and isinstance(inner, str):
        return _retrieve_class(inner, inner, module, custom_objects, module_objects, config)
    if not isinstance(inner, dict):
        raise ValueError(
            f"Invalid config for {class_name!r}: expected a dict as `config`, got "
            f"{type(inner).__name__}. Full config: {config!r}"
        )

    shared = getattr(_state, "shared", None)
    shared_id = config.get("shared_object_id")
    if shared is not None and shared_id is not None and shared_id in shared:
        return shared[shared_id]

    cls = _retrieve_class(
        class_name, registered_name, module, custom_objects, module_objects, config
    )
    if isinstance(cls, types.FunctionType):
        return cls
    if not hasattr(cls, "from_config"):
        raise ValueError(
            f"Unable to reconstruct an instance of {class_name!r}: the class has no "
            f"`from_config()` method. Full config: {config!r}"
        )
    with custom_object_scope(custom_objects), SafeModeScope(safe_mode):
        instance = cls.from_config(dict(inner))
        build_config = config.get("build_config")
        if build_config and not getattr(instance, "built", True):
            instance.build_from_config(build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(instance, "compile_from_config"):
            instance.compile_from_config(compile_config)
    if shared is not None and shared_id is not None:
        shared[shared_id] = instance
    return instance


_NOT_SPECIAL = object()


def _deserialize_special(class_name, inner, custom_objects, safe_mode):
    if class_name == "__keras_tensor__":
        tensor = KerasTensor(inner["shape"], dtype=inner["dtype"])
        tensor._pre_serialization_keras_history = inner.get("keras_history")
        return tensor
    if class_name == "__tensor__":
        return jnp.asarray(np.asarray(inner["value"], dtype=inner["dtype"]))
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(
            *(
                deserialize_keras_object(inner.get(k), custom_objects, safe_mode)
                for k in ("start", "stop", "step")
            )
        )
    if class_name == "__lambda__":
        if safe_mode is not False:
            raise ValueError(lambda_refused_message())
        value = inner.get("value", inner)
        if isinstance(value, dict):
            value = (value["code"], value.get("defaults"), value.get("closure"))
        return load_function(value)
    if class_name in ("__tuple__",):
        return tuple(
            deserialize_keras_object(x, custom_objects, safe_mode) for x in inner.get("value", [])
        )
    return _NOT_SPECIAL


def _retrieve_function(name, module, custom_objects, module_objects, config):
    found = get_registered_object(name, custom_objects, module_objects)
    if found is not None:
        return found
    if module and (module == "builtins" or module == "keras" or module.startswith("keras.")):
        packages = _FUNCTION_PACKAGES
        if module.startswith("keras."):
            wanted = module.split(".")[1] if not module.startswith("keras.src.") else None
            if wanted in _FUNCTION_PACKAGES:
                packages = (wanted,) + tuple(p for p in packages if p != wanted)
        for package in packages:
            fn = public_object(package, name)
            # Only the catalogue's own functions: nothing a package happens to import.
            if (
                callable(fn)
                and not isinstance(fn, (type, types.ModuleType))
                and (getattr(fn, "__module__", "") or "").startswith(("jeras", "jax"))
            ):
                return fn
        if ">" not in name:
            # Files from Keras <= 3.6 name registered functions without their package.
            for key, value in {**get_all_custom(), **(custom_objects or {})}.items():
                if key.endswith(">" + name):
                    return value
    raise ValueError(
        f"Could not locate function {name!r}. Make sure custom functions are decorated with "
        "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`. "
        f"Full object config: {config!r}"
    )


def get_all_custom():
    return {**_GLOBAL_CUSTOM_OBJECTS, **_scoped_objects()}


def _retrieve_class(class_name, registered_name, module, custom_objects, module_objects, config):
    found = get_registered_object(registered_name, custom_objects, module_objects)
    if found is None and registered_name != class_name:
        found = get_registered_object(class_name, custom_objects, module_objects)
    if found is not None:
        return found
    if module == _FUNCTIONAL_MODULE or (class_name == "Functional" and module in (None, "")):
        return required_public_object("models", "Functional", "Loading a functional model")
    if module and module.startswith("keras.src.ops"):
        operation_class = required_public_object(
            "layers.operations", "operation_class", "Loading an operator on symbolic tensors"
        )
        cls = operation_class(class_name, module)
        if cls is not None:
            return cls
        raise ValueError(
            f"The model applies the Keras operation {class_name!r} ({module}) to symbolic "
            f"tensors, which jeras cannot rebuild. Full object config: {_short(config)}"
        )
    if module is not None and internal_class(module, class_name) is not None:
        return internal_class(module, class_name)
    if module is not None and (module == "keras" or module.startswith("keras.")):
        cls = _public_class(class_name, module)
        if cls is not None:
            return cls
    if module is None:
        hint = (
            f"{class_name!r} is a custom class: register it with "
            "`@keras.saving.register_keras_serializable()` or pass it in `custom_objects`."
        )
    else:
        hint = (
            "Make sure custom classes are decorated with "
            "`@keras.saving.register_keras_serializable()` or passed in `custom_objects`, "
            "and imported before loading."
        )
    raise ValueError(
        f"Could not locate class {class_name!r} (module {module!r}). {hint} "
        f"Full object config: {_short(config)}"
    )


def _public_class(class_name, module):
    """The jeras class a Keras module path and class name stand for."""
    if module == "keras" and class_name in ("Sequential", "Model"):
        return required_public_object("models", class_name, f"Loading a {class_name}")
    parts = module.split(".")
    preferred = None
    if len(parts) >= 2 and parts[1] != "src":
        preferred = ".".join(parts[1:])
    elif len(parts) >= 3:
        preferred = parts[2]
    packages = list(_PUBLIC_PACKAGES)
    if preferred in packages:
        packages.remove(preferred)
        packages.insert(0, preferred)
    for package in packages:
        cls = public_object(package, class_name)
        if isinstance(cls, type) and hasattr(cls, "from_config"):
            return cls
    if class_name in ("Sequential", "Model", "Functional"):
        return required_public_object("models", class_name, f"Loading a {class_name}")
    return None


def _short(config, limit=300):
    text = repr(config)
    return text if len(text) <= limit else text[:limit] + "..."
