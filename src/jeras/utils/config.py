"""`Config`: a dict of settings whose entries read and write as attributes, and which can be
frozen, as `keras.utils.Config`."""

import copy
import difflib
import json

# The Config's own attributes; every other attribute name is an entry.
_OWN_ATTRIBUTES = frozenset({"_entries", "_frozen"})


class Config:
    """A set of named values: `config.learning_rate = 0.1` and `config["learning_rate"]` are
    the same entry. A frozen Config refuses changes until `unfreeze()`.

    Args:
        **kwargs: the initial entries.
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_entries", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """Whether changes are refused."""
        return self._frozen

    def freeze(self):
        """Refuse every later change (until `unfreeze()`)."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        """Accept changes again."""
        object.__setattr__(self, "_frozen", False)

    def _refuse_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    def as_dict(self):
        """A shallow copy of the entries, as a dict."""
        return copy.copy(self._entries)

    def to_json(self):
        """The entries as a JSON string."""
        return json.dumps(self._entries)

    def keys(self):
        return self._entries.keys()

    def values(self):
        return self._entries.values()

    def items(self):
        return self._entries.items()

    def get(self, keyname, value=None):
        return self._entries.get(keyname, value)

    def pop(self, *args):
        self._refuse_if_frozen()
        return self._entries.pop(*args)

    def update(self, *args, **kwargs):
        self._refuse_if_frozen()
        return self._entries.update(*args, **kwargs)

    def __setattr__(self, name, value):
        if name in _OWN_ATTRIBUTES or name in type(self).__dict__:
            object.__setattr__(self, name, value)
            return
        self._refuse_if_frozen()
        self._entries[name] = value

    def __getattr__(self, name):
        # Only called for names that are not real attributes: those are entries.
        entries = object.__getattribute__(self, "_entries")
        if name in entries:
            return entries[name]
        message = f"Unknown attribute: '{name}'."
        closest = difflib.get_close_matches(name, list(entries), n=1, cutoff=0.7)
        if closest:
            message += f" Did you mean '{closest[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._refuse_if_frozen()
        self._entries[key] = item

    def __getitem__(self, key):
        return self._entries[key]

    def __delitem__(self, key):
        self._refuse_if_frozen()
        del self._entries[key]

    def __contains__(self, item):
        return item in self._entries

    def __iter__(self):
        # Keras iterates in sorted-key order.
        yield from sorted(self._entries)

    def __len__(self):
        return len(self._entries)

    def __repr__(self):
        return f"<Config {self._entries}>"
