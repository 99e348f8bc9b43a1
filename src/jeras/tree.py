"""`jeras.tree`: nested structures (lists, tuples, dicts, namedtuples) as `keras.tree`.

As in Keras, `None` is a leaf (JAX's own tree utilities treat it as an empty subtree), and dicts
flatten in sorted-key order.
"""

import jax


class MAP_TO_NONE:
    """Returned by the function given to `traverse` to replace a node by None (a plain None
    means "leave this node as it is")."""


def _none_is_leaf(value):
    return value is None


def is_nested(structure):
    """Whether `structure` is a list, tuple, dict or namedtuple (not a leaf)."""
    return isinstance(structure, (list, tuple, dict))


def flatten(structure):
    """The leaves of `structure`, in order."""
    return jax.tree_util.tree_leaves(structure, is_leaf=_none_is_leaf)


def flatten_with_path(structure):
    """`(path, leaf)` pairs; a path is the tuple of keys and indices leading to the leaf."""
    pairs = jax.tree_util.tree_flatten_with_path(structure, is_leaf=_none_is_leaf)[0]
    return [(tuple(_key(k) for k in path), leaf) for path, leaf in pairs]


def _key(entry):
    for attribute in ("key", "idx", "name"):
        if hasattr(entry, attribute):
            return getattr(entry, attribute)
    return entry


def map_structure(func, *structures):
    """`func` applied to the leaves of `structures` (all of the same structure), in place."""
    if not structures:
        raise ValueError("map_structure: pass at least one structure.")
    for other in structures[1:]:
        assert_same_structure(structures[0], other)
    return jax.tree_util.tree_map(func, *structures, is_leaf=_none_is_leaf)


def map_structure_up_to(shallow_structure, func, *structures):
    """`func` applied to the subtrees of `structures` at the leaves of `shallow_structure`."""
    treedef = jax.tree_util.tree_structure(shallow_structure, is_leaf=_none_is_leaf)
    subtrees = [treedef.flatten_up_to(s) for s in structures]
    return jax.tree_util.tree_unflatten(treedef, [func(*args) for args in zip(*subtrees)])


def pack_sequence_as(structure, flat_sequence):
    """The leaves `flat_sequence` arranged in the structure of `structure`."""
    treedef = jax.tree_util.tree_structure(structure, is_leaf=_none_is_leaf)
    flat_sequence = list(flat_sequence)
    if treedef.num_leaves != len(flat_sequence):
        raise ValueError(
            f"pack_sequence_as: the structure has {treedef.num_leaves} leaves, but "
            f"`flat_sequence` has {len(flat_sequence)} elements."
        )
    return jax.tree_util.tree_unflatten(treedef, flat_sequence)


def assert_same_structure(a, b, check_types=True):
    """Raise a ValueError naming both structures when they differ."""
    structure_a = jax.tree_util.tree_structure(a, is_leaf=_none_is_leaf)
    structure_b = jax.tree_util.tree_structure(b, is_leaf=_none_is_leaf)
    if structure_a != structure_b:
        raise ValueError(
            f"The two structures don't have the same nested structure.\nFirst structure: "
            f"{structure_a}\nSecond structure: {structure_b}"
        )


def lists_to_tuples(structure):
    """Every list in `structure` turned into a tuple."""
    if isinstance(structure, dict):
        return {k: lists_to_tuples(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)) and not hasattr(structure, "_fields"):
        return tuple(lists_to_tuples(v) for v in structure)
    return structure


def traverse(func, structure, top_down=True):
    """Visit every node (leaves and containers); a non-None result of `func` replaces the node
    (top-down: and is not traversed further)."""

    def visit(node):
        if top_down:
            replaced = func(node)
            if replaced is not None:
                return None if replaced is MAP_TO_NONE else replaced
        if isinstance(node, dict):
            node = {k: visit(v) for k, v in node.items()}
        elif isinstance(node, (list, tuple)) and not hasattr(node, "_fields"):
            node = type(node)(visit(v) for v in node)
        if not top_down:
            replaced = func(node)
            if replaced is not None:
                return None if replaced is MAP_TO_NONE else replaced
        return node

    return visit(structure)


def assert_same_paths(a, b):
    """Raise a ValueError listing the paths (keys and indices, whatever the container types)
    that one structure has and the other lacks."""
    paths_a = {path for path, _ in flatten_with_path(a)}
    paths_b = {path for path, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        message = "`a` and `b` don't have the same paths."
        if paths_a - paths_b:
            message += f"\nPaths in `a` missing in `b`:\n{paths_a - paths_b}"
        if paths_b - paths_a:
            message += f"\nPaths in `b` missing in `a`:\n{paths_b - paths_a}"
        raise ValueError(message)


def map_shape_structure(func, structure):
    """As `map_structure`, but a list or tuple of ints and Nones is a shape: one leaf given
    whole to `func`."""

    def is_shape(value):
        return value is None or (
            isinstance(value, (list, tuple))
            and all(isinstance(e, (int, type(None))) for e in value)
        )

    return jax.tree_util.tree_map(func, structure, is_leaf=is_shape)
