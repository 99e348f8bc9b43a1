"""`pad_sequences`: a list of sequences of different lengths as one padded NumPy array."""

import numpy as np


def pad_sequences(
    sequences,
    maxlen=None,
    dtype="int32",
    padding="pre",
    truncating="pre",
    value=0.0,
):
    """Pads (and truncates) sequences to one length, giving a `(len(sequences), maxlen, ...)`
    NumPy array. Pair it with `Embedding(mask_zero=True)` or `Masking` so that the model skips
    the padding.

    Args:
        sequences: a list of sequences (lists or arrays); each element may itself be an array,
            all of the same shape.
        maxlen: the output length (default: the longest sequence).
        dtype: the output dtype (default "int32"; `object` for strings of varied length).
        padding: "pre" (default) or "post": pad before or after each sequence.
        truncating: "pre" (default) or "post": drop values from the start or the end of
            sequences longer than `maxlen`.
        value: the padding value (default 0.0).

    Returns:
        The padded NumPy array.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"pad_sequences: `sequences` must be a list of sequences, got {type(sequences)}."
        )
    lengths, sample_shape = [], None
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError(
                "pad_sequences: `sequences` must be a list of iterables. Found non-iterable "
                f"{sequence!r} at position {index}."
            ) from error
        if sample_shape is None and len(sequence):
            # The shape of each step, from the first non-empty sequence.
            sample_shape = np.asarray(sequence).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    for argument, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(
                f'pad_sequences: `{argument}` must be "pre" or "post". Received: '
                f"{argument}={given!r}"
            )
    is_string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not is_string_dtype:
        raise ValueError(
            f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type: "
            f"{type(value)}\nYou should set `dtype=object` for variable length strings."
        )
    padded = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence) or not maxlen:
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(
                f"pad_sequences: the steps of the sequence at position {index} have shape "
                f"{kept.shape[1:]}, different from the expected shape {tuple(sample_shape)} "
                "(that of the first non-empty sequence)."
            )
        if padding == "post":
            padded[index, : len(kept)] = kept
        else:
            padded[index, -len(kept) :] = kept
    return padded
