"""`jeras.dtype_policies`: a layer's variable and compute dtypes, named as
`keras.dtype_policies`."""

from jeras.backend.dtype_policy import DTypePolicy, FloatDTypePolicy, deserialize, get, serialize
