"""`StringLookup`: strings to integer indices through a vocabulary (on the host)."""

from jeras.layers.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary (given, or learned by `adapt`), or
    indices back to strings with `invert=True`.

    Runs on the host (NumPy and Python): call it on NumPy string arrays, Python lists or
    TensorFlow string tensors, in the data pipeline, or as the first layer of a model taking
    `keras.Input(..., dtype="string")` (jeras runs it before the compiled part).

    Args:
        max_tokens: the largest vocabulary size, special tokens included (None: no limit).
        num_oov_indices: how many indices out-of-vocabulary strings are hashed into
            (default 1; 0 makes unknown strings an error).
        mask_token: the string meaning "masked" (index 0 in "int" mode); None for none.
        oov_token: the string `invert` gives for out-of-vocabulary indices (default "[UNK]").
        vocabulary: a list or array of strings, or the path of a text file with one per line.
        idf_weights: with `output_mode="tf_idf"`, one inverse document frequency per token.
        invert: map indices to strings instead.
        output_mode: "int" (default), "one_hot", "multi_hot", "count" or "tf_idf".
        pad_to_max_tokens: make encoded outputs `max_tokens` wide.
        sparse: must be False (sparse outputs need Keras's TensorFlow backend).
        encoding: the text encoding of byte strings (default "utf-8").
        name: the layer's name.
        salt: an int or a pair of ints: hash out-of-vocabulary strings with keyed SipHash.
        **kwargs: base arguments as written in saved configs (`vocabulary_size`, `dtype`).
    """

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token="[UNK]",
        vocabulary=None,
        idf_weights=None,
        invert=False,
        output_mode="int",
        pad_to_max_tokens=False,
        sparse=False,
        encoding="utf-8",
        name=None,
        salt=None,
        **kwargs,
    ):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            pad_to_max_tokens=pad_to_max_tokens,
            sparse=sparse,
            name=name,
            salt=salt,
            vocabulary_dtype="string",
            **kwargs,
        )

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        return {**config, "encoding": self.encoding}
