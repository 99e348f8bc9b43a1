"""`keras.ops`'s math family (Keras's `keras.src.ops.math`): segment reductions, top-k, special
functions, framing and Fourier transforms, computed with `jax`.

Complex values cross the API as `(real, imag)` pairs of float arrays, as in Keras: the Fourier
functions take and return such pairs, so models never hold complex dtypes.
"""

import math as _math

import jax
import jax.numpy as jnp

from jeras.backend.config import floatx
from jeras.ops._convert import unwrap
from jeras.ops.linalg import _check_factorisable_dtype


# -- segment reductions ------------------------------------------------------------------------
def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    """Sums of the rows of `data` that share a segment id: `out[i] = sum(data[ids == i])`."""
    return _segment_reduce(
        jax.ops.segment_sum, "segment_sum", data, segment_ids, num_segments, sorted
    )


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    """Maxima of the rows of `data` that share a segment id (the dtype's lowest where empty)."""
    return _segment_reduce(
        jax.ops.segment_max, "segment_max", data, segment_ids, num_segments, sorted
    )


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """Minima of the rows of `data` that share a segment id (the dtype's highest where empty)."""
    return _segment_reduce(
        jax.ops.segment_min, "segment_min", data, segment_ids, num_segments, sorted
    )


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    """Products of the rows of `data` that share a segment id (1 where empty)."""
    return _segment_reduce(
        jax.ops.segment_prod, "segment_prod", data, segment_ids, num_segments, sorted
    )


def _segment_reduce(reduce, function, data, segment_ids, num_segments, sorted):
    data, segment_ids = jnp.asarray(unwrap(data)), jnp.asarray(unwrap(segment_ids))
    if segment_ids.ndim != 1 or data.ndim < 1 or segment_ids.shape[0] != data.shape[0]:
        raise ValueError(
            f"{function}: `segment_ids` must be 1-D with one id per row of `data`. Received: "
            f"data.shape={data.shape}, segment_ids.shape={segment_ids.shape}"
        )
    if num_segments is None:
        # The output shape depends on it, so under jit it must be given (as Keras on JAX asks).
        if isinstance(segment_ids, jax.core.Tracer):
            raise ValueError(
                f"{function}: pass `num_segments` (the number of output rows) when the "
                "segment ids are traced, e.g. inside a jitted function or a model."
            )
        num_segments = int(jnp.max(segment_ids)) + 1 if segment_ids.size else 0
    return reduce(data, segment_ids, num_segments, indices_are_sorted=sorted)


# -- ranking -----------------------------------------------------------------------------------
def top_k(x, k, sorted=True):
    """The `k` largest values along the last axis and their int32 indices, largest first.

    JAX always returns them sorted, which `sorted=False` (no order promised) allows."""
    return jax.lax.top_k(jnp.asarray(unwrap(x)), k)


def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest of its row of `predictions`.

    Ties count in the target's favour (its rank is 1 + the number of strictly higher scores);
    a NaN score at the target is never in the top k.
    """
    targets, predictions = jnp.asarray(unwrap(targets)), jnp.asarray(unwrap(predictions))
    target_score = jnp.take_along_axis(predictions, targets[..., None].astype("int32"), axis=-1)
    target_score = jnp.where(jnp.isnan(target_score), -jnp.inf, target_score)
    rank = 1 + jnp.sum(predictions > target_score, axis=-1)
    return rank <= k


# -- reductions and special functions ----------------------------------------------------------
def logsumexp(x, axis=None, keepdims=False):
    """`log(sum(exp(x)))` along `axis`, computed without overflow."""
    return jax.nn.logsumexp(unwrap(x), axis=axis, keepdims=keepdims)


def rsqrt(x):
    """`1 / sqrt(x)`, elementwise; integers give `floatx()`."""
    return jax.lax.rsqrt(_as_float(x))


def erf(x):
    """The Gauss error function, elementwise."""
    return jax.scipy.special.erf(_as_float(x))


def erfc(x):
    """The complementary error function `1 - erf(x)`, accurate for large `x`."""
    return jax.scipy.special.erfc(_as_float(x))


def erfinv(x):
    """The inverse of `erf` on (-1, 1)."""
    return jax.scipy.special.erfinv(_as_float(x))


def logdet(x):
    """`log(det(x))` of the square matrices `x`, computed through the LU factors."""
    x = jnp.asarray(unwrap(x))
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"logdet: expected square matrices (..., n, n). Received: x.shape={x.shape}"
        )
    _check_factorisable_dtype(x, "logdet")
    return jnp.linalg.slogdet(x)[1]


def cdist(x, y):
    """The Euclidean distances between the rows of `x` (..., m, d) and of `y` (..., n, d)."""
    x, y = jnp.asarray(unwrap(x)), jnp.asarray(unwrap(y))
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "cdist: expected `x` (..., m, d) and `y` (..., n, d) with the same d. Received: "
            f"x.shape={x.shape}, y.shape={y.shape}"
        )
    difference = x[..., :, None, :] - y[..., None, :, :]
    return jnp.sqrt(jnp.sum(difference * difference, axis=-1))


def view_as_complex(x):
    """The complex64 array whose real and imaginary parts are `x[..., 0]` and `x[..., 1]`."""
    x = jnp.asarray(unwrap(x))
    if x.ndim < 1 or x.shape[-1] != 2:
        raise ValueError(
            "view_as_complex: the last axis must have size 2 (real, imaginary). Received: "
            f"x.shape={x.shape}"
        )
    return jax.lax.complex(x[..., 0].astype("float32"), x[..., 1].astype("float32"))


def view_as_real(x):
    """The real and imaginary parts of `x` stacked on a new last axis of size 2."""
    x = jnp.asarray(unwrap(x))
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


# -- framing and Fourier transforms ------------------------------------------------------------
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` samples every `sequence_stride` along the last axis:
    shape (..., num_sequences, sequence_length), num_sequences = 1 + (n - length) // stride."""
    x = jnp.asarray(unwrap(x))
    if x.ndim < 1 or x.shape[-1] < sequence_length:
        raise ValueError(
            f"extract_sequences: the last axis (x.shape={x.shape}) must hold at least "
            f"sequence_length={sequence_length} samples."
        )
    return _frames(x, sequence_length, sequence_stride)


def fft(x):
    """The 1-D discrete Fourier transform over the last axis of the complex `(real, imag)`."""
    return _as_pair(jnp.fft.fft(_complex(x, "fft")))


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of the complex `(real, imag)`."""
    return _as_pair(jnp.fft.fft2(_complex(x, "fft2")))


def ifft2(x):
    """The inverse of `fft2`, on and to `(real, imag)` pairs."""
    return _as_pair(jnp.fft.ifft2(_complex(x, "ifft2")))


def rfft(x, fft_length=None):
    """The Fourier transform of the real `x` over its last axis: the `fft_length // 2 + 1`
    non-negative frequencies as `(real, imag)` (`x` is cut or zero-padded to `fft_length`)."""
    return _as_pair(jnp.fft.rfft(jnp.asarray(unwrap(x)), n=fft_length, axis=-1))


def irfft(x, fft_length=None):
    """The inverse of `rfft`: a real signal of `fft_length` samples (default
    `2 * (n - 1)`) from the `(real, imag)` of its non-negative frequencies."""
    return jnp.fft.irfft(_complex(x, "irfft"), n=fft_length, axis=-1)


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform of the real `x` over its last axis, as `(real, imag)`
    of shape (..., num_sequences, fft_length // 2 + 1).

    Each frame of `sequence_length` samples is multiplied by `window` ("hann", "hamming", an
    array of `sequence_length` values, or None for none) centred in `fft_length` samples. With
    `center`, `x` is first reflect-padded by `fft_length // 2` on both sides, so frame t is
    centred on sample `t * sequence_stride`.
    """
    x = jnp.asarray(unwrap(x))
    _check_stride(sequence_stride, "stft")
    if x.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"stft: `x` must be float32 or float64. Received: x.dtype={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(
            f"stft: fft_length={fft_length} must be at least sequence_length={sequence_length}."
        )
    if center:
        half = fft_length // 2
        x = jnp.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode="reflect")
    weights = _padded_window(window, sequence_length, fft_length, x.dtype, "stft")
    frames = _frames(x, fft_length, sequence_stride) * weights
    return _as_pair(jnp.fft.rfft(frames, n=fft_length, axis=-1))


def istft(
    x,
    sequence_length,
    sequence_stride,
    fft_length,
    length=None,
    window="hann",
    center=True,
):
    """The inverse of `stft`: overlap-added, window-normalised frames from the `(real, imag)`
    of shape (..., num_sequences, fft_length // 2 + 1).

    With `center` the `fft_length // 2` samples `stft` padded on each side are removed;
    `length` (if given) sets the number of samples returned.
    """
    _check_stride(sequence_stride, "istft")
    spectrum = _complex(x, "istft")
    if spectrum.ndim < 2:
        raise ValueError(
            "istft: `x` must have a frames axis and a frequencies axis. Received shape "
            f"{spectrum.shape}"
        )
    dtype = jnp.real(spectrum).dtype
    weights = _padded_window(window, sequence_length, fft_length, dtype, "istft")
    frames = jnp.fft.irfft(spectrum, n=fft_length, axis=-1) * weights
    num_frames = spectrum.shape[-2]
    signal = _overlap_add(frames, sequence_stride)
    overlap = _overlap_add(
        jnp.broadcast_to(weights * weights, (num_frames, fft_length)), sequence_stride
    )
    # Keras's JAX backend goes through jax.scipy.signal.istft, which leaves samples that no
    # window covers undivided and, without a window, divides by the stride: same here.
    signal = signal / jnp.where(overlap > 1e-10, overlap, 1.0)
    if window is None:
        signal = signal * fft_length / sequence_stride
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = signal.shape[-1] - fft_length // 2
    else:
        end = signal.shape[-1]
    return signal[..., start:end]


def _check_stride(sequence_stride, function):
    if not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(
            f"{function}: `sequence_stride` must be a positive integer. Received: "
            f"sequence_stride={sequence_stride!r}"
        )


def _frames(x, frame_length, stride):
    num_frames = 1 + (x.shape[-1] - frame_length) // stride
    positions = stride * jnp.arange(num_frames)[:, None] + jnp.arange(frame_length)[None, :]
    return x[..., positions]


def _overlap_add(frames, stride):
    """Sums frames (..., num_frames, frame_length) placed every `stride` samples."""
    num_frames, frame_length = frames.shape[-2:]
    total = frame_length + stride * (num_frames - 1)
    positions = stride * jnp.arange(num_frames)[:, None] + jnp.arange(frame_length)[None, :]
    out = jnp.zeros(frames.shape[:-2] + (total,), frames.dtype)
    return out.at[..., positions].add(frames)


def _padded_window(window, sequence_length, fft_length, dtype, function):
    """The analysis window as `fft_length` weights: the `sequence_length` window in the middle."""
    if window is None:
        return jnp.ones((fft_length,), dtype)
    if isinstance(window, str):
        # Periodic windows (as scipy.signal.get_window gives for spectral analysis).
        phase = 2 * _math.pi * jnp.arange(sequence_length) / sequence_length
        if window == "hann":
            weights = 0.5 - 0.5 * jnp.cos(phase)
        elif window == "hamming":
            weights = 0.54 - 0.46 * jnp.cos(phase)
        else:
            raise ValueError(
                f'{function}: a string `window` must be "hann" or "hamming". Received: '
                f"window={window!r}"
            )
    else:
        weights = jnp.asarray(unwrap(window))
        if weights.shape != (sequence_length,):
            raise ValueError(
                f"{function}: `window` must have shape (sequence_length,) = "
                f"({sequence_length},). Received shape {weights.shape}"
            )
    left = (fft_length - sequence_length) // 2
    return jnp.pad(weights.astype(dtype), (left, fft_length - sequence_length - left))


def _complex(x, function):
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"{function}: `x` must be a pair (real, imag) of float arrays. Received: "
            f"{type(x).__name__}"
        )
    real, imag = (jnp.asarray(unwrap(part)) for part in x)
    if real.shape != imag.shape:
        raise ValueError(
            f"{function}: the real and imaginary parts must have the same shape. Received: "
            f"{real.shape} and {imag.shape}"
        )
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError(
            f"{function}: the real and imaginary parts must be float arrays. Received: "
            f"{real.dtype} and {imag.dtype}"
        )
    return jax.lax.complex(real, imag)


def _as_pair(z):
    return jnp.real(z), jnp.imag(z)


def _as_float(x):
    x = jnp.asarray(unwrap(x))
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(floatx())
