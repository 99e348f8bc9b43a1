"""`jeras.ops.linalg`: the linear algebra of `keras.ops.linalg`, computed with `jax.numpy.linalg`
and `jax.scipy.linalg`.

Every function works on a matrix or a batch of them (the last two axes). Inputs of the wrong
rank or shape get an error that names the function and the shapes, before JAX sees them.
"""

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from jeras.backend.config import floatx
from jeras.ops._convert import unwrap


def cholesky(x, upper=False):
    """The Cholesky factor of the symmetric positive definite matrices `x`: lower triangular
    `L` with `x = L @ L^T` (or upper `U` with `x = U^T @ U` when `upper`)."""
    x = _matrices(x, "cholesky", square=True, factorised=True)
    factor = jnp.linalg.cholesky(x, upper=upper)
    # JAX returns NaNs for a matrix that is not positive definite; eagerly we can say so.
    if not isinstance(factor, jax.core.Tracer) and bool(jnp.any(jnp.isnan(factor))):
        raise ValueError(
            "cholesky: the decomposition failed; the input (shape "
            f"{x.shape}) is not a symmetric positive definite matrix."
        )
    return factor


def cholesky_inverse(x, upper=False):
    """The inverse of `A` given its Cholesky factor `x` (lower `L` with `A = L @ L^T`, or upper
    `U` with `A = U^T @ U` when `upper`)."""
    x = _matrices(x, "cholesky_inverse", square=True)
    identity = jnp.broadcast_to(jnp.eye(x.shape[-1], dtype=x.dtype), x.shape)
    factor_inverse = jsl.solve_triangular(x, identity, lower=not upper)
    transposed = jnp.swapaxes(factor_inverse, -1, -2)
    if upper:
        return factor_inverse @ transposed
    return transposed @ factor_inverse


def det(x):
    """The determinants of the square matrices `x`."""
    return jnp.linalg.det(_matrices(x, "det", square=True))


def eig(x):
    """The eigenvalues and right eigenvectors (complex) of the square matrices `x`."""
    return jnp.linalg.eig(_matrices(x, "eig", square=True, factorised=True))


def eigh(x):
    """The eigenvalues (ascending) and eigenvectors of the symmetric (Hermitian) matrices `x`."""
    return jnp.linalg.eigh(_matrices(x, "eigh", square=True, factorised=True))


def inv(x):
    """The inverses of the square matrices `x`."""
    return jnp.linalg.inv(_matrices(x, "inv", square=True, factorised=True))


def lu_factor(x):
    """The LU factorisation with partial pivoting: the packed `lu` matrix (L below the unit
    diagonal, U on and above it) and the pivot indices, as `scipy.linalg.lu_factor`."""
    x = _matrices(x, "lu_factor", factorised=True)
    factorise = jsl.lu_factor
    for _ in range(x.ndim - 2):  # jax.scipy's lu_factor takes one matrix
        factorise = jax.vmap(factorise)
    return factorise(x)


def norm(x, ord=None, axis=None, keepdims=False):
    """The vector or matrix norm of `x` (as `numpy.linalg.norm`); integers give `floatx()`."""
    x = jnp.asarray(unwrap(x))
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(floatx())
    return jnp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def qr(x, mode="reduced"):
    """The QR decomposition `(q, r)` of the matrices `x`; `mode` is "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f'qr: `mode` must be "reduced" or "complete". Received: mode={mode!r}')
    return jnp.linalg.qr(_matrices(x, "qr", factorised=True), mode=mode)


def solve(a, b):
    """The solution `x` of `a @ x = b` for square `a`."""
    a = _matrices(a, "solve", square=True, argument="a", factorised=True)
    b = _right_hand_side(a, b, "solve")
    return jnp.linalg.solve(a, b)


def solve_triangular(a, b, lower=False):
    """The solution `x` of `a @ x = b` for triangular `a` (lower when `lower`, else upper)."""
    a = _matrices(a, "solve_triangular", square=True, argument="a")
    b = _right_hand_side(a, b, "solve_triangular")
    return jsl.solve_triangular(a, b, lower=lower)


def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition `(u, s, vh)` of `x` (only `s` without `compute_uv`)."""
    return jnp.linalg.svd(
        _matrices(x, "svd", factorised=True), full_matrices=full_matrices, compute_uv=compute_uv
    )


def lstsq(a, b, rcond=None):
    """The least-squares solution `x` minimising `|b - a @ x|` (`a` of shape (m, n), `b` of
    shape (m,) or (m, k))."""
    a = _matrices(a, "lstsq", argument="a", factorised=True)
    b = jnp.asarray(unwrap(b))
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(
            "lstsq: expected `a` of shape (m, n) and `b` of shape (m,) or (m, k). Received: "
            f"a.shape={a.shape}, b.shape={b.shape}"
        )
    return jnp.linalg.lstsq(a, b, rcond=rcond)[0]


def matrix_rank(x, tol=None):
    """The rank (int32) of the matrices `x`: the number of singular values above `tol`."""
    return jnp.linalg.matrix_rank(_matrices(x, "matrix_rank", factorised=True), tol=tol).astype(
        "int32"
    )


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverses of the matrices `x`."""
    return jnp.linalg.pinv(_matrices(x, "pinv", factorised=True), rtol=rcond)


def jvp(fun, primals, tangents, has_aux=False):
    """`(fun(*primals), J @ tangents)`: a forward-mode Jacobian-vector product of `fun`."""
    # Variables among the primals or tangents count as their values.
    return jax.jvp(
        fun, tuple(unwrap(p) for p in primals), tuple(unwrap(t) for t in tangents), has_aux=has_aux
    )


def _matrices(x, function, square=False, argument="x", factorised=False):
    x = jnp.asarray(unwrap(x))
    if factorised:
        _check_factorisable_dtype(x, function, argument)
    if x.ndim < 2:
        raise ValueError(
            f"{function}: `{argument}` must be a matrix or a batch of matrices (rank >= 2). "
            f"Received: {argument}.shape={x.shape}"
        )
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(
            f"{function}: `{argument}` must hold square matrices (shape (..., n, n)). "
            f"Received: {argument}.shape={x.shape}"
        )
    return x


def _right_hand_side(a, b, function):
    """`b` checked against `a`: a batch of vectors (..., n) or of matrices (..., n, k)."""
    b = jnp.asarray(unwrap(b))
    rows = a.shape[-1]
    if (
        b.ndim < 1
        or (b.ndim == a.ndim and b.shape[-2] != rows)
        or (b.ndim == a.ndim - 1 and b.shape[-1] != rows)
    ):
        raise ValueError(
            f"{function}: `b` must have {rows} rows to match `a`. Received: a.shape={a.shape}, "
            f"b.shape={b.shape}"
        )
    return b


def _check_factorisable_dtype(x, function, argument="x"):
    """JAX's matrix factorisations (LAPACK, cuSOLVER) have no half-precision kernels; say so
    instead of JAX's bare "Unsupported dtype"."""
    if x.dtype in (jnp.float16, jnp.bfloat16):
        raise TypeError(
            f"{function}: `{argument}` is {x.dtype} (shape {x.shape}), but matrix "
            "factorisations need float32 or float64. Cast it first, e.g. "
            f"`keras.ops.cast({argument}, 'float32')`."
        )
