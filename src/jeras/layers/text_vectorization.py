"""`TextVectorization`: raw text to token indices or token-count vectors: standardize, split,
n-grams, then a vocabulary lookup, all on the host (NumPy and Python, no TensorFlow)."""

import re

import jax.numpy as jnp
import numpy as np

from jeras.backend import config as backend_config
from jeras.layers.category_encoding import check_dense, encode_categorical
from jeras.layers.host_layer import HostLayer
from jeras.layers.index_lookup import OUTPUT_MODES
from jeras.layers.preprocessing_data import adapt_batches, host_array
from jeras.layers.string_lookup import StringLookup
from jeras.saving.serialization import deserialize_keras_object, serialize_keras_object

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
# The characters Keras's "strip_punctuation" removes (its regex class, spelled out).
_PUNCTUATION = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'"
_STRIP_PUNCTUATION = str.maketrans("", "", _PUNCTUATION)
# TensorFlow's `lower` without an encoding changes ASCII letters only.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# TensorFlow's whitespace split: runs of ASCII whitespace, empty pieces dropped.
_WHITESPACE = re.compile("[ \t\n\v\f\r]+")


class TextVectorization(HostLayer):
    """Turns strings into sequences of token indices (or per-text token vectors).

    Each text is standardized (lowercased, punctuation stripped), split into tokens (at
    whitespace, or into characters), optionally combined into n-grams, and looked up in a
    vocabulary given or learned by `adapt` (index 0 is padding, 1 is out-of-vocabulary).

    Runs on the host: call it on NumPy string arrays, Python lists or TensorFlow string
    tensors, map it over a dataset, or put it first in a model taking
    `keras.Input(shape=(1,), dtype="string")` (jeras runs it before the compiled part).

    Args:
        max_tokens: the largest vocabulary size, padding and OOV included (None: no limit).
        standardize: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation",
            None, or a callable taking and returning an array of strings.
        split: "whitespace" (default), "character", None, or a callable taking an array of
            strings and returning a list of token lists per string.
        ngrams: None, an int n (all 1..n-grams) or a tuple of the n-gram sizes wanted.
        output_mode: "int" (default: index sequences), "multi_hot", "count" or "tf_idf"
            (one vector per text), or "one_hot".
        output_sequence_length: with "int", pad or cut every sequence to this length (else
            sequences are padded to the longest of the batch).
        pad_to_max_tokens: make vector outputs `max_tokens` wide.
        vocabulary: a list or array of tokens, or the path of a text file with one per line.
        idf_weights: with "tf_idf" and a `vocabulary`, one inverse document frequency per
            token.
        sparse: must be False (sparse outputs need Keras's TensorFlow backend).
        ragged: must be False (ragged outputs need Keras's TensorFlow backend).
        encoding: the text encoding of byte strings (default "utf-8").
        name: the layer's name.
        **kwargs: base arguments as written in saved configs (`vocabulary_size`, `dtype`).
    """

    def __init__(
        self,
        max_tokens=None,
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        ngrams=None,
        output_mode="int",
        output_sequence_length=None,
        pad_to_max_tokens=False,
        vocabulary=None,
        idf_weights=None,
        sparse=False,
        ragged=False,
        encoding="utf-8",
        name=None,
        **kwargs,
    ):
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        where = f"TextVectorization layer {self.name!r}"
        if not (standardize is None or callable(standardize) or standardize in _STANDARDIZE):
            raise ValueError(
                f"{where}: `standardize` must be one of {_STANDARDIZE}, None or a callable, got "
                f"{standardize!r}."
            )
        if not (split is None or callable(split) or split in _SPLIT):
            raise ValueError(
                f"{where}: `split` must be one of {_SPLIT}, None or a callable, got {split!r}."
            )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"{where}: unknown `output_mode` {output_mode!r}; expected one of {OUTPUT_MODES}."
            )
        if not (
            ngrams is None
            or isinstance(ngrams, int)
            or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))
        ):
            raise ValueError(
                f"{where}: `ngrams` must be None, an int or a tuple of ints, got {ngrams!r}."
            )
        if output_mode == "int" and not (
            output_sequence_length is None or isinstance(output_sequence_length, int)
        ):
            raise ValueError(
                f"{where}: `output_sequence_length` must be None or an int, got "
                f"{output_sequence_length!r}."
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                f"{where}: `output_sequence_length` is only used with output_mode='int', got "
                f"output_mode={output_mode!r}."
            )
        if ragged:
            raise ValueError(
                f"{where}: `ragged=True` can only be used with the TensorFlow backend; jeras "
                "returns padded arrays (leave ragged=False)."
            )
        check_dense(self, sparse)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens,
            mask_token="",
            output_mode=output_mode,
            sparse=sparse,
            has_input_vocabulary=has_input_vocabulary,
            encoding=encoding,
            vocabulary_size=vocabulary_size,
        )
        self.built = True

    # -- vocabulary --------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from texts: an array or list of strings, or a batch source (a
        `tf.data.Dataset`, a PyDataset, an iterable of batches; `steps` limits the batches)."""
        self.reset_state()
        for batch in adapt_batches(data, self, steps, lists_are_batches=False):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        self._lookup_layer.update_state(self._preprocess(data))

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- the text pipeline -------------------------------------------------------------------
    def _preprocess(self, inputs):
        """Standardized texts, split into token lists (a list per text) unless `split` is
        None (then an array of strings)."""
        texts = host_array(inputs, self)
        if texts.dtype.kind not in "U":
            raise TypeError(
                f"TextVectorization layer {self.name!r} received {texts.dtype} values; it "
                "takes strings."
            )
        texts = self._standardized(texts)
        if self._split is None:
            return texts
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(
                    f"TextVectorization layer {self.name!r}: to split strings, the input must "
                    f"have rank 1 or a last axis of size 1; got shape {texts.shape}."
                )
            texts = texts[..., 0]
        if texts.ndim == 0:
            texts = texts[None]
        if self._split == "whitespace":
            rows = [[t for t in _WHITESPACE.split(text) if t] for text in texts.tolist()]
        elif self._split == "character":
            rows = [list(text) for text in texts.tolist()]
        else:
            rows = _token_lists(self._split(texts))
        if self._ngrams is not None:
            rows = [_ngrams(row, self._ngrams) for row in rows]
        return rows

    def _standardized(self, texts):
        if callable(self._standardize):
            return host_array(self._standardize(texts), self)
        if self._standardize is None:
            return texts
        lower = self._standardize in ("lower", "lower_and_strip_punctuation")
        strip = self._standardize in ("strip_punctuation", "lower_and_strip_punctuation")

        def standardize(text):
            if lower:
                text = text.translate(_ASCII_LOWER)
            if strip:
                text = text.translate(_STRIP_PUNCTUATION)
            return text

        flat = [standardize(t) for t in texts.reshape(-1).tolist()]
        return np.array(flat, dtype=str).reshape(texts.shape)

    def host_call(self, inputs):
        tokens = self._preprocess(inputs)
        lookup = self._lookup_layer
        lookup._check_vocabulary_known()
        if self._split is None:
            return lookup.host_call(tokens)
        lengths = [len(row) for row in tokens]
        flat = np.array([t for row in tokens for t in row], dtype=str)
        indices = lookup.lookup_tokens(flat) if flat.size else np.zeros(0, np.int64)
        if self._output_mode == "int":
            width = self._output_sequence_length
            if width is None:
                width = max(lengths, default=0)
            return jnp.asarray(_padded(indices, lengths, width, 0).astype(np.int32))
        # Padding slots get an index no vector has, so they count for nothing.
        padded = _padded(indices, lengths, max(max(lengths, default=0), 1), -1)
        return lookup.encode(jnp.asarray(padded.astype(np.int32)))

    def compute_output_spec(self, input_spec):
        shape = tuple(input_spec.shape)
        if self._output_mode == "int":
            return (shape[0] if shape else None, self._output_sequence_length), "int32"
        lookup = self._lookup_layer
        depth = lookup._encoding_depth()
        dtype = backend_config.floatx() if self._output_mode == "tf_idf" else "int32"
        if self._output_mode == "one_hot":
            return (shape[0] if shape else None, None, depth), dtype
        return (shape[0] if shape else None, depth), dtype

    # -- config and saving -------------------------------------------------------------------
    def get_config(self):
        lookup = self._lookup_layer
        return {
            **super().get_config(),
            "max_tokens": lookup.max_tokens,
            "standardize": _callable_config(self._standardize),
            "split": _callable_config(self._split),
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": lookup.sparse,
            "ragged": self._ragged,
            "vocabulary": _listed(lookup.input_vocabulary),
            "idf_weights": _listed(lookup.input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)


def _ngrams(tokens, widths):
    """All n-grams of `tokens` for each width in turn, joined with spaces (as
    `tf.strings.ngrams` without padding: a text shorter than n has no n-grams)."""
    grams = []
    for width in widths:
        grams.extend(" ".join(tokens[i : i + width]) for i in range(len(tokens) - width + 1))
    return grams


def _token_lists(split_result):
    """A user `split`'s result (a RaggedTensor, nested lists, an array) as lists of str."""
    if hasattr(split_result, "to_list"):
        split_result = split_result.to_list()
    rows = []
    for row in split_result:
        row = row.tolist() if hasattr(row, "tolist") else list(row)
        rows.append([t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in row])
    return rows


def _padded(flat, lengths, width, fill):
    """The ragged rows (`flat` cut at `lengths`) as a `(rows, width)` array, cut or padded."""
    out = np.full((len(lengths), width), fill, np.int64)
    start = 0
    for row, length in enumerate(lengths):
        kept = min(length, width)
        out[row, :kept] = flat[start : start + kept]
        start += length
    return out


def _callable_config(value):
    return serialize_keras_object(value) if callable(value) else value


def _listed(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value
