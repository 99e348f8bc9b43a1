"""The registry of custom classes and functions: `register_keras_serializable`,
`get_registered_object`, `custom_object_scope`."""

import threading

_GLOBAL_CUSTOM_OBJECTS = {}
_GLOBAL_CUSTOM_NAMES = {}
_scope = threading.local()


def register_keras_serializable(package="Custom", name=None):
    """Decorator registering a class or function under `"{package}>{name}"`."""

    def decorator(obj):
        registered_name = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: classes must implement `get_config()`."
            )
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj):
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None))


def _scoped_objects():
    merged = {}
    for objects in getattr(_scope, "stack", []):
        merged.update(objects)
    return merged


def get_registered_object(name, custom_objects=None, module_objects=None):
    """Look up `name` in custom_object_scope, the global registry, `custom_objects`, then
    `module_objects`; None when absent."""
    scoped = _scoped_objects()
    if name in scoped:
        return scoped[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class CustomObjectScope:
    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        stack = getattr(_scope, "stack", None)
        if stack is None:
            stack = _scope.stack = []
        stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope.stack.pop()
        return False


custom_object_scope = CustomObjectScope


def get_custom_objects():
    return _GLOBAL_CUSTOM_OBJECTS
