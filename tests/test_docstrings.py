"""Every public class of the main packages has a docstring that names each constructor argument.

An argument counts as documented when its name appears as a word in the class's own docstring,
or in the docstring of the nearest base class whose `__init__` declares it (so the arguments all
optimizers share are written once, on `Optimizer`). `self`, `*args` and `**kwargs` are skipped.
"""

import importlib
import inspect
import re

import pytest

PACKAGES = (
    "jeras.models", "jeras.optimizers", "jeras.optimizers.schedules", "jeras.initializers",
    "jeras.callbacks", "jeras.layers", "jeras.losses", "jeras.metrics",
)

# Arguments not yet documented, as (qualified class name, argument). Only packages other helpers
# are rewriting in parallel (layers, losses, metrics) may appear here; the packages whose
# docstrings this test was written with (models, optimizers, schedules, initializers, callbacks)
# must stay complete. Remove an entry once its argument is documented.
KNOWN_MISSING = set()


def _public_classes():
    found = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for name, value in vars(package).items():
            if name.startswith("_") or not inspect.isclass(value):
                continue
            if not value.__module__.startswith("jeras."):
                continue
            found[f"{value.__module__}.{value.__qualname__}"] = value
    return sorted(found.items())


def _named_parameters(function):
    skipped = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in inspect.signature(function).parameters.values()
            if p.name != "self" and p.kind not in skipped]


def _mentions(docstring, argument):
    return re.search(rf"(?<![\w.]){re.escape(argument)}(?!\w)", docstring or "") is not None


def _documented(cls, argument):
    if _mentions(cls.__doc__, argument):
        return True
    # The nearest base that declares the argument in its own `__init__` documents it for all.
    for base in cls.__mro__[1:]:
        init = base.__dict__.get("__init__")
        if init is None or not inspect.isfunction(init):
            continue
        if argument in _named_parameters(init):
            return _mentions(base.__doc__, argument)
    return False


def _undocumented(cls):
    init = cls.__init__
    if not inspect.isfunction(init):  # object.__init__ and C slots: nothing to document
        return []
    return [a for a in _named_parameters(init) if not _documented(cls, a)]


CLASSES = _public_classes()


@pytest.mark.parametrize("qualname,cls", CLASSES, ids=[q for q, _ in CLASSES])
def test_public_class_has_a_docstring(qualname, cls):
    assert "__doc__" in cls.__dict__ and (cls.__doc__ or "").strip(), (
        f"{qualname} has no docstring of its own: add a one-line summary and an `Args:` section.")


@pytest.mark.parametrize("qualname,cls", CLASSES, ids=[q for q, _ in CLASSES])
def test_every_constructor_argument_is_documented(qualname, cls):
    missing = [a for a in _undocumented(cls) if (qualname, a) not in KNOWN_MISSING]
    assert not missing, (
        f"{qualname}.__init__ takes {missing} but neither its docstring nor that of the base class "
        f"declaring them mentions them: add them to the `Args:` section.")


def test_known_missing_entries_are_still_missing():
    # A stale exception hides nothing, but it misleads the reader: drop entries once fixed.
    by_name = dict(CLASSES)
    stale = sorted(entry for entry in KNOWN_MISSING
                   if entry[0] not in by_name or entry[1] not in _undocumented(by_name[entry[0]]))
    assert not stale, f"KNOWN_MISSING lists documented or vanished arguments: {stale}"


def test_known_missing_is_limited_to_packages_being_rewritten_elsewhere():
    allowed = ("jeras.layers.", "jeras.losses.", "jeras.metrics.")
    outside = sorted(entry for entry in KNOWN_MISSING if not entry[0].startswith(allowed))
    assert not outside, f"these packages must be fully documented: {outside}"
