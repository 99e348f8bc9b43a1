"""The public-name registry: which jeras class or function stands for a Keras public name.

Each catalogue (`jeras.layers`, `jeras.losses`, `jeras.initializers`, ...) registers its public
namespace at the end of its own import, and `jeras/__init__` imports every catalogue, so once
`jeras` is imported the registry is full. Lower levels reach higher ones through it instead of
importing them: serialization turns `keras.layers.Dense` into the jeras class and back, a
`Variable` resolves a string initializer, an operator on a `KerasTensor` finds the layer that
records it.

This sits at level 0, beside `object_registration` (the user's custom objects): it imports
nothing from jeras.
"""

import types

# The top-level `jeras` module, once it is fully imported: a lambda read back from a file runs
# with it as its `keras` global.
_TOP_LEVEL = {}
# namespace -> {public name: class or function}. A namespace is a Keras package below `keras.`
# ("layers", "optimizers.schedules") or, for the few internal lookups, a dotted name documented
# where it is registered.
_NAMESPACES = {}


def register_public_names(namespace, objects):
    """Record the classes and functions of `objects` (a `{name: object}` mapping, typically a
    package's `vars()`) as `keras.<namespace>.<name>`. Private names (`_x`), modules and plain
    values are left out. Registering a namespace again replaces it."""
    if not isinstance(namespace, str) or not namespace:
        raise TypeError(f"`namespace` must be a non-empty string, got {namespace!r}.")
    _NAMESPACES[namespace] = {
        name: obj
        for name, obj in objects.items()
        if not name.startswith("_") and callable(obj) and not isinstance(obj, types.ModuleType)
    }


def public_object(namespace, name):
    """The class or function registered as `keras.<namespace>.<name>`, or None."""
    return _NAMESPACES.get(namespace, {}).get(name)


def public_name(namespace, obj):
    """The name under which `obj` is registered in `namespace` (its own `__name__` first, else
    the name it is exported under, as `GroupQueryAttention` for the class
    `GroupedQueryAttention`), or None."""
    names = _NAMESPACES.get(namespace, {})
    own = getattr(obj, "__name__", None)
    if own is not None and names.get(own) is obj:
        return own
    return next((name for name, value in names.items() if value is obj), None)


def required_public_object(namespace, name, needed_by):
    """As `public_object`, but a missing entry is an error that says what to import: it means
    the package registering `namespace` was never imported."""
    found = public_object(namespace, name)
    if found is None:
        raise RuntimeError(
            f"{needed_by} needs `jeras.{namespace}.{name}`, which is not registered: "
            f"`import jeras` (or `jeras.{namespace.split('.')[0]}`) before using it."
        )
    return found


# Keras classes with no public name that still appear in files (the layers an application
# module defines, as `keras.src.applications.convnext.LayerScale`): (Keras module, class
# name) <-> the jeras class that stands for it.
_INTERNAL_CLASSES = {}
_INTERNAL_NAMES = {}


def register_internal_class(keras_module):
    """A class decorator: the class stands for Keras's non-public `keras_module.<its name>`, so
    files Keras writes with that module load in jeras and files jeras writes load in Keras."""

    def register(cls):
        _INTERNAL_CLASSES[(keras_module, cls.__name__)] = cls
        _INTERNAL_NAMES[cls] = (keras_module, cls.__name__)
        return cls

    return register


def internal_class(keras_module, class_name):
    """The jeras class registered for Keras's non-public `keras_module.class_name`, or None."""
    return _INTERNAL_CLASSES.get((keras_module, class_name))


def internal_name(cls):
    """`(Keras module, class name)` of a class registered with `register_internal_class`."""
    return _INTERNAL_NAMES.get(cls)


def register_top_level_package(module):
    """Record the top-level package (`jeras/__init__` calls this once it has imported all)."""
    _TOP_LEVEL["package"] = module


def top_level_package(needed_by):
    """The top-level `jeras` package, for code that needs the whole public surface."""
    if "package" not in _TOP_LEVEL:
        raise RuntimeError(f"{needed_by} needs the whole `jeras` package: `import jeras` first.")
    return _TOP_LEVEL["package"]
