"""`IndexLookup`: the vocabulary table shared by `StringLookup`, `IntegerLookup` and
`TextVectorization`: tokens to indices (or back, with `invert`), out-of-vocabulary buckets, a
mask token, the vocabulary learned by `adapt` (most frequent first), and the encoded outputs
(one-hot, multi-hot, count, TF-IDF).

The table lives on the host as a Python dict; text never reaches the device. Integer tables
can also run inside compiled steps (`traced_call`): the vocabulary becomes a sorted constant
array searched with `jnp.searchsorted`.
"""

import collections
import os

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend import config as backend_config
from jeras.layers.category_encoding import check_dense, encode_categorical, encoded_shape
from jeras.layers.fingerprints import hash_buckets
from jeras.layers.host_layer import HostLayer
from jeras.layers.layer import baked_constants_changed
from jeras.layers.preprocessing_data import adapt_batches, host_array
from jeras.saving.serialization import in_safe_mode

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
VOCABULARY_FILENAME = "vocabulary.txt"


class IndexLookup(HostLayer):
    """Maps tokens to indices through a vocabulary (the base of the lookup layers; see
    `StringLookup` and `IntegerLookup` for the arguments).

    Indices are laid out as Keras lays them out: the mask token's index 0 (only with
    `output_mode="int"` and a `mask_token`), then `num_oov_indices` out-of-vocabulary indices,
    then the vocabulary's tokens.

    Args:
        max_tokens: the largest vocabulary size, special tokens included (None: no limit).
        num_oov_indices: how many indices out-of-vocabulary tokens are spread over.
        mask_token: the token that means "masked" (None: no mask token).
        oov_token: the token `invert` gives for out-of-vocabulary indices.
        vocabulary_dtype: "string" or "int64".
        vocabulary: a list of tokens, an array, or the path of a text file with one per line.
        idf_weights: with `output_mode="tf_idf"`, the inverse document frequency of each
            vocabulary token.
        invert: map indices back to tokens.
        output_mode: "int", "one_hot", "multi_hot", "count" or "tf_idf".
        sparse: must be False (sparse outputs need Keras's TensorFlow backend).
        pad_to_max_tokens: make encoded outputs `max_tokens` wide whatever the vocabulary size.
        oov_method: "floormod" (integers) or "farmhash": how an out-of-vocabulary token picks
            one of several OOV indices.
        salt: with hashing, a salt (an int or two) that makes the hash a keyed SipHash.
        name: the layer's name.
        **kwargs: `vocabulary_size` and `has_input_vocabulary`, as written in saved configs.
    """

    # Keras's `dtype` of these layers is a float policy, but the table holds tokens.
    def __init__(
        self,
        max_tokens,
        num_oov_indices,
        mask_token,
        oov_token,
        vocabulary_dtype,
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        name=None,
        salt=None,
        **kwargs,
    ):
        frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        where = f"{type(self).__name__} layer {self.name!r}"
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"{where}: `max_tokens` must be > 1 when set, got {max_tokens}.")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"{where}: `pad_to_max_tokens=True` needs `max_tokens` set.")
        if num_oov_indices < 0:
            raise ValueError(f"{where}: `num_oov_indices` must be >= 0, got {num_oov_indices}.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"{where}: `oov_method` must be 'floormod' or 'farmhash', got {oov_method!r}."
            )
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    f"{where}: `salt` can only be used with oov_method='farmhash', got "
                    f"oov_method={oov_method!r}."
                )
            salt = _as_salt(salt, where)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"{where}: unknown `output_mode` {output_mode!r}; expected one of {OUTPUT_MODES}."
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"{where}: `output_mode` must be 'int' when `invert=True`, got {output_mode!r}."
            )
        check_dense(self, sparse)
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                f"{where}: `idf_weights` is only used with output_mode='tf_idf', got "
                f"output_mode={output_mode!r}."
            )
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_vocab_size
        self._has_input_vocabulary = has_input_vocabulary
        # A vocabulary given as a file path is not part of the config (the file may be gone):
        # it is saved as an asset instead, as Keras does.
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._tokens = []
        self._index = {}
        self.idf_weights = None
        self._reset_counts()
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{where}: with output_mode='tf_idf' and a `vocabulary`, pass `idf_weights` too."
            )
        if idf_weights is not None:
            self.idf_weights = np.asarray(idf_weights, backend_config.floatx())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # -- vocabulary --------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index by index (special tokens first unless
        `include_special_tokens=False`)."""
        specials = [self.oov_token] * self._token_start_index()
        if self.mask_token is not None and self.output_mode == "int" and specials:
            specials[0] = self.mask_token
        vocabulary = specials + list(self._tokens)
        if not include_special_tokens:
            vocabulary = vocabulary[self._token_start_index() :]
        return vocabulary

    def vocabulary_size(self):
        """The number of indices: special tokens plus vocabulary tokens."""
        return len(self._tokens) + self._token_start_index()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (a list or array of tokens, or a text file's path with one
        token per line) and, with output_mode='tf_idf', the IDF weights."""
        where = f"{type(self).__name__} layer {self.name!r}"
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(f"{where}: `idf_weights` must be set with output_mode='tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                f"{where}: `idf_weights` is only used with output_mode='tf_idf', got "
                f"output_mode={self.output_mode!r}."
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            self._set_vocabulary_file(os.fspath(vocabulary), where)
            return
        vocabulary = [self._token(v) for v in host_array(vocabulary, self).reshape(-1).tolist()]
        if not vocabulary:
            raise ValueError(f"{where}: cannot set an empty vocabulary.")
        token_start = self._token_start_index()
        specials = [self.mask_token] * self._oov_start_index() + [self.oov_token] * (
            self.num_oov_indices
        )
        found_specials = vocabulary[:token_start] == specials
        tokens = vocabulary[token_start:] if found_specials else vocabulary
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(
                f"{where}: the vocabulary repeats some tokens; make it unique. Repeated: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{where}: the mask token {self.mask_token!r} is in the vocabulary at an "
                "unexpected place. The vocabulary need not hold the mask and OOV tokens; if it "
                f"does, they must come first, in this order: {specials}."
            )
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            raise ValueError(
                f"{where}: the OOV token {self.oov_token!r} is in the vocabulary at an "
                "unexpected place. The vocabulary need not hold the mask and OOV tokens; if it "
                f"does, they must come first, in this order: {specials}."
            )
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{where}: the vocabulary has {token_start + len(tokens)} entries (special "
                f"tokens included), more than max_tokens={self.max_tokens}."
            )
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(idf_weights, dtype="float64").reshape(-1)
            if len(weights) != len(vocabulary):
                raise ValueError(
                    f"{where}: `idf_weights` must be as long as the vocabulary; got "
                    f"{len(weights)} weights for {len(vocabulary)} tokens."
                )
            front = 0 if found_specials else token_start
            back = 0
            if self.pad_to_max_tokens and self.max_tokens is not None:
                back = self.max_tokens - front - len(weights)
            weights = np.pad(weights, (front, back), constant_values=(np.average(weights), 0))
            self.idf_weights = weights.astype(backend_config.floatx())

    def _set_vocabulary_file(self, path, where):
        if in_safe_mode():
            raise ValueError(
                f"{where}: loading the vocabulary file {path!r}, outside of the model archive, "
                "is refused in safe mode (it could read any file). If you trust its source, "
                "pass `safe_mode=False` to the loading function or call "
                "`keras.config.enable_unsafe_deserialization()`."
            )
        if not os.path.exists(path):
            raise ValueError(f"{where}: the vocabulary file {path!r} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(
                f"{where}: output_mode='tf_idf' cannot read its vocabulary from a file."
            )
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self._set_tokens([self._token(line) for line in lines])

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {token: start + i for i, token in enumerate(self._tokens)}
        self._device_table = None
        # Programs traced with the previous table (a `fit` before a new `adapt`) must not
        # keep using it.
        baked_constants_changed()
        self._frozen_vocab_size = self.vocabulary_size()

    def _token(self, value):
        """A vocabulary entry in its canonical Python form (str, or int)."""
        if self.vocabulary_dtype == "string":
            return value.decode("utf-8") if isinstance(value, bytes) else str(value)
        return int(value)

    # -- adapt -------------------------------------------------------------------------------
    def adapt(self, data, steps=None):
        """Learn the vocabulary from `data` (an array or list, or a batch source: PyDataset,
        tf.data.Dataset or iterable of batches): the most frequent tokens first, ties in
        decreasing token order, at most `max_tokens` entries with the special tokens."""
        self._reset_counts()
        for batch in adapt_batches(data, self, steps, lists_are_batches=False):
            if batch.ndim == 1 and not _is_batch_source(data):
                # A flat array is a column of one-token documents.
                batch = batch[:, None]
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer {self.name!r} after setting a static vocabulary via the "
                "`vocabulary` argument or `set_vocabulary()`."
            )
        documents = self._documents(data)
        for document in documents:
            self._token_counts.update(document)
        if self.output_mode == "tf_idf":
            for document in documents:
                self._document_counts.update(set(document))
            self._num_documents += len(documents)

    def _documents(self, data):
        """`data` as a list of documents (lists of tokens): rows of a 2-D array, or lists."""
        if isinstance(data, list) and (not data or isinstance(data[0], list)):
            return [[self._token(t) for t in row] for row in data]
        array = host_array(data, self)
        if array.ndim == 0:
            array = array[None]
        if array.ndim == 1:
            array = array[None]
        rows = array.reshape(array.shape[0], -1).tolist()
        return [[self._token(t) for t in row] for row in rows]

    def finalize_state(self):
        if self._has_input_vocabulary or not self._token_counts:
            return
        counts = dict(self._token_counts)
        counts.pop(self.mask_token, None)
        counts.pop(self.oov_token, None)
        # Most frequent first; ties broken by the larger token first (Keras's lexsort, reversed).
        ordered = sorted(counts.items(), key=lambda item: (item[1], _sort_key(item[0])))[::-1]
        tokens = [token for token, _ in ordered]
        if self.max_tokens:
            tokens = tokens[: self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            document_counts = np.array([self._document_counts[t] for t in tokens], "float64")
            idf = np.log(1 + self._num_documents / (1 + document_counts))
            idf = idf.astype(backend_config.floatx())
            idf = np.pad(idf, (self._token_start_index(), 0), constant_values=np.mean(idf))
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size), constant_values=0)
            self.idf_weights = idf.astype(backend_config.floatx())
        self._reset_counts()

    def reset_state(self):
        self._reset_counts()

    def _reset_counts(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    # -- the lookup --------------------------------------------------------------------------
    def host_call(self, inputs):
        self._check_vocabulary_known()
        inputs = np.asarray(inputs)
        scalar = inputs.ndim == 0
        if scalar:
            inputs = inputs[None]
        if self.invert:
            return self._invert(inputs)
        indices = self.lookup_tokens(inputs)
        if self.output_mode == "int":
            indices = indices[0] if scalar else indices
            return jnp.asarray(indices)
        return self.encode(jnp.asarray(indices))

    def lookup_tokens(self, tokens):
        """The indices of `tokens` (a NumPy array of any shape), as an int64 array; out-of-
        vocabulary tokens get their OOV index, the mask token its mask index."""
        flat = tokens.reshape(-1)
        unique, inverse = np.unique(flat, return_inverse=True)
        unique_tokens = [self._token(t) for t in unique.tolist()]
        default = self._default_index()
        found = np.array([self._index.get(t, default) for t in unique_tokens], np.int64)
        if self.mask_token is not None:
            is_mask = np.array([t == self.mask_token for t in unique_tokens], bool)
            found = np.where(is_mask, self._mask_index(), found)
        else:
            is_mask = np.zeros(len(unique_tokens), bool)
        out_of_vocabulary = (found == default) & ~is_mask
        if self.num_oov_indices == 0 and out_of_vocabulary.any():
            missing = [t for t, oov in zip(unique_tokens, out_of_vocabulary) if oov]
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: when num_oov_indices=0 all inputs "
                f"should be in the vocabulary; found OOV values {missing[:10]}. Consider "
                "setting num_oov_indices=1."
            )
        if self.num_oov_indices > 1 and out_of_vocabulary.any():
            oov_values = unique[out_of_vocabulary]
            found[out_of_vocabulary] = self._oov_buckets(oov_values) + self._oov_start_index()
        return found[inverse.reshape(-1)].reshape(tokens.shape)

    def _oov_buckets(self, values):
        if self.vocabulary_dtype != "string" and self.oov_method != "farmhash":
            return np.mod(values.astype(np.int64), self.num_oov_indices)
        return hash_buckets(values, self.num_oov_indices, self.salt)

    def _invert(self, indices):
        indices = indices.astype(np.int64)
        vocabulary = np.array(self.get_vocabulary(), dtype=object)
        valid = (indices >= self._token_start_index()) & (indices < len(vocabulary))
        tokens = np.where(
            valid, vocabulary[np.clip(indices, 0, len(vocabulary) - 1)], self.oov_token
        )
        if self.mask_token is not None:
            tokens = np.where(indices == 0, self.mask_token, tokens)
        if self.vocabulary_dtype == "string":
            return tokens.astype(str)
        return jnp.asarray(tokens.astype(np.int64))

    def encode(self, indices):
        """Encode int `indices` (padding/mask entries negative) as `output_mode` says."""
        depth = self._encoding_depth()
        if self.output_mode == "tf_idf":
            counts = encode_categorical(indices, "count", depth, backend_config.floatx())
            return counts * jnp.asarray(self.idf_weights)
        return encode_categorical(indices, self.output_mode, depth, "int32")

    def traced_call(self, inputs):
        """Integer vocabularies inside compiled steps: a sorted-array search on the device."""
        if self.vocabulary_dtype == "string" or self.invert:
            return super().traced_call(inputs)
        self._check_vocabulary_known()
        keys, values = self._device_arrays()
        inputs = inputs.astype(keys.dtype)
        position = jnp.clip(jnp.searchsorted(keys, inputs), 0, max(len(self._tokens) - 1, 0))
        default = self._default_index()
        if len(self._tokens):
            indices = jnp.where(keys[position] == inputs, values[position], default)
        else:
            indices = jnp.full(inputs.shape, default, "int32")
        is_mask = jnp.zeros(inputs.shape, bool)
        if self.mask_token is not None:
            is_mask = inputs == self.mask_token
            indices = jnp.where(is_mask, self._mask_index(), indices)
        if self.num_oov_indices > 1:
            out_of_vocabulary = (indices == default) & ~is_mask
            if self.oov_method == "farmhash":
                buckets = jax.pure_callback(
                    lambda v: self._oov_buckets(np.asarray(v)).astype(np.int32),
                    jax.ShapeDtypeStruct(inputs.shape, jnp.int32),
                    inputs,
                )
            else:
                buckets = jnp.mod(inputs, self.num_oov_indices).astype("int32")
            indices = jnp.where(out_of_vocabulary, buckets + self._oov_start_index(), indices)
        if self.output_mode == "int":
            return indices
        return self.encode(indices)

    def _device_arrays(self):
        if getattr(self, "_device_table", None) is None:
            keys = np.array(self._tokens, dtype=np.int64)
            order = np.argsort(keys, kind="stable")
            values = (np.arange(len(keys)) + self._token_start_index())[order]
            self._device_table = (keys[order].astype(np.int32), values.astype(np.int32))
        keys, values = self._device_table
        return jnp.asarray(keys), jnp.asarray(values)

    # -- shapes and indices ------------------------------------------------------------------
    def compute_output_spec(self, input_spec):
        if self.invert:
            return tuple(input_spec.shape), self.vocabulary_dtype_name()
        if self.output_mode == "int":
            return tuple(input_spec.shape), "int32"
        dtype = backend_config.floatx() if self.output_mode == "tf_idf" else "int32"
        return encoded_shape(
            tuple(input_spec.shape), self.output_mode, self._encoding_depth()
        ), dtype

    def vocabulary_dtype_name(self):
        return "string" if self.vocabulary_dtype == "string" else "int32"

    def _encoding_depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _default_index(self):
        return self._oov_start_index() if self.num_oov_indices == 1 else -1

    def _mask_index(self):
        # Outside of "int" mode, masked tokens encode to nothing: an index no row has.
        return 0 if self.output_mode == "int" else -2

    def _check_vocabulary_known(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{type(self).__name__} layer {self.name!r}: with output_mode="
                f"{self.output_mode!r} and pad_to_max_tokens=False, the vocabulary must be set "
                "before the layer is called: pass `vocabulary=` or call `adapt(data)` first."
            )

    # -- config and saving -------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _listed(self.input_idf_weights),
            "vocabulary": _listed(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf":
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            self.idf_weights = np.asarray(store["idf_weights"]).astype(backend_config.floatx())

    def save_assets(self, dir_path):
        """Write the vocabulary (special tokens included) to `dir_path/vocabulary.txt`, unless
        it is part of the config."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, VOCABULARY_FILENAME), "w", encoding="utf-8") as f:
            f.write("\n".join(str(token) for token in self.get_vocabulary()))

    def load_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, VOCABULARY_FILENAME)
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if not lines:
            return
        tokens = [self._token(line) for line in lines]
        if self.output_mode == "tf_idf":
            self.set_vocabulary(tokens, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(tokens)


def _as_salt(salt, where):
    if isinstance(salt, (tuple, list)) and len(salt) == 2:
        return list(salt)
    if isinstance(salt, int):
        return [salt, salt]
    raise ValueError(f"{where}: `salt` must be an int or a pair of ints, got {salt!r}.")


def _sort_key(token):
    # Strings compare as Keras compares them: by their UTF-8 bytes.
    return token.encode("utf-8") if isinstance(token, str) else token


def _is_batch_source(data):
    return (
        not isinstance(data, (list, tuple, np.ndarray))
        and hasattr(data, "__iter__")
        and not (isinstance(data, jax.Array) or type(data).__name__ == "EagerTensor")
    )


def _listed(value):
    if value is None:
        return None
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value
