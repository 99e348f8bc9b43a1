"""The string hashes Keras's preprocessing layers use, computed on the host in plain Python.

Keras hands these jobs to TensorFlow: `Hashing` buckets values with FarmHash's Fingerprint64
(`tf.strings.to_hash_bucket_fast`) or, given a salt, with keyed SipHash-2-4
(`to_hash_bucket_strong`); `HashedCrossing` combines per-feature fingerprints with
`FingerprintCat64` (`tf.sparse.cross_hashed`). jeras computes the same 64-bit values without
TensorFlow, so its buckets are Keras's bucket for bucket. Integers are hashed as their decimal
text, as TensorFlow's `as_string` writes them.
"""

import numpy as np

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_CAT_MUL = 0xC6A4A7935BD1E995
# The key `tf.sparse.cross_hashed` starts from when none is given.
CROSS_HASH_KEY = 0xDECAFCAFFE


def fingerprint64(data: bytes) -> int:
    """FarmHash Fingerprint64 of `data` (as TensorFlow's `Fingerprint64`)."""
    n = len(data)
    if n <= 16:
        return _hash_0_to_16(data, n)
    if n <= 32:
        return _hash_17_to_32(data, n)
    if n <= 64:
        return _hash_33_to_64(data, n)
    return _hash_long(data, n)


def siphash(data: bytes, key0: int, key1: int) -> int:
    """SipHash-2-4 of `data` under the 128-bit key `(key0, key1)` (TensorFlow's strong hash)."""
    v0 = key0 ^ 0x736F6D6570736575
    v1 = key1 ^ 0x646F72616E646F6D
    v2 = key0 ^ 0x6C7967656E657261
    v3 = key1 ^ 0x7465646279746573

    def rounds(count):
        nonlocal v0, v1, v2, v3
        for _ in range(count):
            v0 = (v0 + v1) & _MASK
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & _MASK
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _MASK
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _MASK
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)

    whole = len(data) - len(data) % 8
    for start in range(0, whole, 8):
        block = int.from_bytes(data[start : start + 8], "little")
        v3 ^= block
        rounds(2)
        v0 ^= block
    last = int.from_bytes(data[whole:], "little") | ((len(data) & 0xFF) << 56)
    v3 ^= last
    rounds(2)
    v0 ^= last
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


def fingerprint_cat64(first: int, second: int) -> int:
    """Two fingerprints combined into one (TensorFlow's `FingerprintCat64`)."""
    result = first ^ _CAT_MUL
    result ^= (_shift_mix((second * _CAT_MUL) & _MASK) * _CAT_MUL) & _MASK
    result = (result * _CAT_MUL) & _MASK
    result = (_shift_mix(result) * _CAT_MUL) & _MASK
    return _shift_mix(result)


def as_hash_bytes(value) -> bytes:
    """The bytes TensorFlow hashes for one value: UTF-8 text, or an integer's decimal text."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (float, np.floating)):
        # Keras casts floats to int64 before hashing them (truncation toward zero).
        value = int(value)
    return str(int(value)).encode("ascii")


def hash_buckets(values, num_buckets, salt=None):
    """Bucket index (`hash % num_buckets`) of every element of the array `values`, as an int64
    array of the same shape. Equal values are hashed once."""
    values = np.asarray(values)
    flat = values.reshape(-1)
    unique, inverse = np.unique(flat, return_inverse=True)
    buckets = np.empty(len(unique), np.int64)
    for index, value in enumerate(unique.tolist()):
        data = as_hash_bytes(value)
        digest = fingerprint64(data) if salt is None else siphash(data, salt[0], salt[1])
        buckets[index] = digest % num_buckets
    return buckets[inverse.reshape(-1)].reshape(values.shape)


# -- FarmHash (farmhashna) internals ---------------------------------------------------------------
def _rotr(value, shift):
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & _MASK


def _rotl(value, shift):
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _fetch64(data, start):
    return int.from_bytes(data[start : start + 8], "little")


def _fetch32(data, start):
    return int.from_bytes(data[start : start + 4], "little")


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_0_to_16(data, n):
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(data, 0) + _K2) & _MASK
        b = _fetch64(data, n - 8)
        c = (_rotr(b, 37) * mul + a) & _MASK
        d = ((_rotr(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _fetch32(data, 0)
        return _hash_len16((n + (a << 3)) & _MASK, _fetch32(data, n - 4), mul)
    if n > 0:
        a, b, c = data[0], data[n >> 1], data[n - 1]
        y = a + (b << 8)
        z = n + (c << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _hash_17_to_32(data, n):
    mul = _K2 + n * 2
    a = (_fetch64(data, 0) * _K1) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, n - 8) * mul) & _MASK
    d = (_fetch64(data, n - 16) * _K2) & _MASK
    return _hash_len16(
        (_rotr((a + b) & _MASK, 43) + _rotr(c, 30) + d) & _MASK,
        (a + _rotr((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _hash_33_to_64(data, n):
    mul = _K2 + n * 2
    a = (_fetch64(data, 0) * _K2) & _MASK
    b = _fetch64(data, 8)
    c = (_fetch64(data, n - 8) * mul) & _MASK
    d = (_fetch64(data, n - 16) * _K2) & _MASK
    y = (_rotr((a + b) & _MASK, 43) + _rotr(c, 30) + d) & _MASK
    z = _hash_len16(y, (a + _rotr((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_fetch64(data, 16) * mul) & _MASK
    f = _fetch64(data, 24)
    g = ((y + _fetch64(data, n - 32)) * mul) & _MASK
    h = ((z + _fetch64(data, n - 24)) * mul) & _MASK
    return _hash_len16(
        (_rotr((e + f) & _MASK, 43) + _rotr(g, 30) + h) & _MASK,
        (e + _rotr((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak_hash_32_with_seeds(data, start, a, b):
    w, x = _fetch64(data, start), _fetch64(data, start + 8)
    y, z = _fetch64(data, start + 16), _fetch64(data, start + 24)
    a = (a + w) & _MASK
    b = _rotr((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotr(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def _hash_long(data, n):
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _fetch64(data, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    s = 0
    while True:
        x = (_rotr((x + y + v[0] + _fetch64(data, s + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotr((y + v[1] + _fetch64(data, s + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(data, s + 40)) & _MASK
        z = (_rotr((z + w[0]) & _MASK, 33) * _K1) & _MASK
        v = _weak_hash_32_with_seeds(data, s, (v[1] * _K1) & _MASK, (x + w[0]) & _MASK)
        w = _weak_hash_32_with_seeds(
            data, s + 32, (z + w[1]) & _MASK, (y + _fetch64(data, s + 16)) & _MASK
        )
        z, x = x, z
        s += 64
        if s == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    s = last64
    w = ((w[0] + ((n - 1) & 63)) & _MASK, w[1])
    v = ((v[0] + w[0]) & _MASK, v[1])
    w = ((w[0] + v[0]) & _MASK, w[1])
    x = (_rotr((x + y + v[0] + _fetch64(data, s + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotr((y + v[1] + _fetch64(data, s + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * 9) & _MASK
    y = (y + v[0] * 9 + _fetch64(data, s + 40)) & _MASK
    z = (_rotr((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_hash_32_with_seeds(data, s, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_hash_32_with_seeds(
        data, s + 32, (z + w[1]) & _MASK, (y + _fetch64(data, s + 16)) & _MASK
    )
    z, x = x, z
    return _hash_len16(
        (_hash_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_hash_len16(v[1], w[1], mul) + x) & _MASK,
        mul,
    )
