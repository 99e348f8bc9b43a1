"""`keras.ops.rearrange`: einops-style axis reordering, splitting and merging, on `jax.numpy`.

A pattern reads `"<input axes> -> <output axes>"`; each side lists named axes, and a group in
parentheses is one array axis made of several named ones (`"b (h w) c"`). The rearrangement is
always the same three moves: split the input's groups into their named axes (a reshape), order
the named axes as the output lists them (a transpose), and merge the output's groups (a reshape).
"""

import math
import re

import jax.numpy as jnp

from jeras.ops._convert import unwrap

_TOKEN = re.compile(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S")


def _parse_side(side, pattern):
    """The groups of one side of `pattern`: a list of lists of axis names, one per array axis."""
    groups, open_group = [], None
    for token in _TOKEN.findall(side):
        if token == "(":
            if open_group is not None:
                raise ValueError(f"rearrange: nested parentheses in pattern {pattern!r}.")
            open_group = []
        elif token == ")":
            if open_group is None:
                raise ValueError(f"rearrange: unbalanced ')' in pattern {pattern!r}.")
            groups.append(open_group)
            open_group = None
        elif token.isidentifier() and open_group is None:
            groups.append([token])
        elif token.isidentifier():
            open_group.append(token)
        else:
            raise ValueError(
                f"rearrange: unexpected {token!r} in pattern {pattern!r}; axes are names, "
                "groups are in parentheses (ellipsis and numbers are not supported)."
            )
    if open_group is not None:
        raise ValueError(f"rearrange: unbalanced '(' in pattern {pattern!r}.")
    return groups


def _axis_sizes(input_groups, shape, axes_lengths, pattern):
    """The size of every named input axis, from the input's shape and `axes_lengths`."""
    if len(input_groups) != len(shape):
        raise ValueError(
            f"rearrange: pattern {pattern!r} describes {len(input_groups)} input axes, but the "
            f"tensor has shape {tuple(shape)} ({len(shape)} axes)."
        )
    sizes = {}
    for group, length in zip(input_groups, shape):
        unknown = [name for name in group if name not in axes_lengths]
        known = math.prod(axes_lengths[name] for name in group if name in axes_lengths)
        if len(unknown) > 1:
            raise ValueError(
                f"rearrange: cannot split an axis of length {length} into {group} with only "
                f"{sorted(set(group) - set(unknown))} given; pass the lengths of all but one "
                f"of {unknown} as keyword arguments."
            )
        if unknown:
            if known == 0 or length % known:
                raise ValueError(
                    f"rearrange: an axis of length {length} cannot be split into {group} with "
                    f"the given lengths { ({n: axes_lengths[n] for n in group if n != unknown[0]}) }."
                )
            sizes[unknown[0]] = length // known
        elif known != length:
            raise ValueError(
                f"rearrange: the axis {group} has length {length}, but the given lengths "
                f"multiply to {known}."
            )
        for name in group:
            sizes.setdefault(name, axes_lengths.get(name))
    return sizes


def rearrange(tensor, pattern, **axes_lengths):
    """Reorder, split and merge the axes of `tensor` as the einops-style `pattern` says
    (`"b h w c -> b (h w) c"`); `axes_lengths` gives the sizes needed to split an axis."""
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(
            f"rearrange: `pattern` must be a string with one '->', such as "
            f"'b h w c -> b c h w'; got {pattern!r}."
        )
    tensor = jnp.asarray(unwrap(tensor))
    left, right = pattern.split("->")
    input_groups, output_groups = _parse_side(left, pattern), _parse_side(right, pattern)
    input_names = [name for group in input_groups for name in group]
    output_names = [name for group in output_groups for name in group]
    for side, names in (("input", input_names), ("output", output_names)):
        if len(set(names)) != len(names):
            raise ValueError(f"rearrange: an axis name repeats on the {side} side of {pattern!r}.")
    if set(input_names) != set(output_names):
        raise ValueError(
            f"rearrange: both sides of {pattern!r} must name the same axes; only on one side: "
            f"{sorted(set(input_names) ^ set(output_names))}."
        )
    sizes = _axis_sizes(input_groups, tensor.shape, axes_lengths, pattern)
    split = jnp.reshape(tensor, [sizes[name] for name in input_names])
    ordered = jnp.transpose(split, [input_names.index(name) for name in output_names])
    return jnp.reshape(ordered, [math.prod(sizes[name] for name in g) for g in output_groups])
