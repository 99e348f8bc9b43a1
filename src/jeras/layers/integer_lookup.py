"""`IntegerLookup`: integers to contiguous indices through a vocabulary; on the host when
called eagerly, on the device inside compiled steps."""

from jeras.layers.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integer values to contiguous indices through a vocabulary (given, or learned by
    `adapt`), or indices back to values with `invert=True`.

    Unlike the string layers, its lookup also runs inside compiled steps (`fit`, `predict`): the
    vocabulary is searched as a sorted array on the device.

    Args:
        max_tokens: the largest vocabulary size, special tokens included (None: no limit).
        num_oov_indices: how many indices out-of-vocabulary values are spread over (default 1;
            with more, `value mod num_oov_indices` picks one).
        mask_token: the value meaning "masked" (index 0 in "int" mode); None for none.
        oov_token: the value `invert` gives for out-of-vocabulary indices (default -1).
        vocabulary: a list or array of integers, or the path of a text file with one per line.
        vocabulary_dtype: must be "int64".
        idf_weights: with `output_mode="tf_idf"`, one inverse document frequency per token.
        invert: map indices to values instead.
        output_mode: "int" (default), "one_hot", "multi_hot", "count" or "tf_idf".
        sparse: must be False (sparse outputs need Keras's TensorFlow backend).
        pad_to_max_tokens: make encoded outputs `max_tokens` wide.
        oov_method: "floormod" (default) or "farmhash" (hash the values' decimal text).
        salt: with oov_method="farmhash", an int or a pair of ints for a keyed SipHash.
        name: the layer's name.
        **kwargs: base arguments as written in saved configs (`vocabulary_size`, `dtype`).
    """

    # Integer lookups run where the model runs, compiled steps included.
    runs_on_host = False

    def __init__(
        self,
        max_tokens=None,
        num_oov_indices=1,
        mask_token=None,
        oov_token=-1,
        vocabulary=None,
        vocabulary_dtype="int64",
        idf_weights=None,
        invert=False,
        output_mode="int",
        sparse=False,
        pad_to_max_tokens=False,
        oov_method="floormod",
        salt=None,
        name=None,
        **kwargs,
    ):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup: only vocabulary_dtype='int64' is supported, got "
                f"{vocabulary_dtype!r}."
            )
        super().__init__(
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
            mask_token=mask_token,
            oov_token=oov_token,
            vocabulary=vocabulary,
            vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights,
            invert=invert,
            output_mode=output_mode,
            sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens,
            oov_method=oov_method,
            salt=salt,
            name=name,
            **kwargs,
        )

    def _input_dtype_guess(self):
        return "int32"

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
