"""`to_categorical` and `normalize`: NumPy in, NumPy out; a JAX array in, a JAX array out."""

import jax
import jax.numpy as jnp
import numpy as np

from jeras.backend.config import epsilon


def to_categorical(x, num_classes=None):
    """One-hot encodes class indices: `(..., )` integers become `(..., num_classes)`.

    A trailing axis of size 1 is dropped first (`(n, 1)` labels give `(n, num_classes)`). As
    Keras: array-like input gives a float64 NumPy array (an index of -1 marks the last class);
    a JAX array gives a float32 JAX array (out-of-range indices give all-zero rows).

    Args:
        x: class indices, integers from 0 to `num_classes - 1`.
        num_classes: the number of classes (default `max(x) + 1`; required for a JAX array).

    Returns:
        The one-hot matrix, the class axis last.
    """
    if isinstance(x, jax.Array):
        if x.ndim > 1 and x.shape[-1] == 1:
            x = jnp.reshape(x, x.shape[:-1])
        if num_classes is None:
            raise ValueError(
                "to_categorical: `num_classes` is required for a JAX array input (it fixes the "
                f"output shape). Received x of shape {tuple(x.shape)}."
            )
        return jax.nn.one_hot(x, int(num_classes))
    x = np.array(x, dtype="int64")
    input_shape = x.shape
    if len(input_shape) > 1 and input_shape[-1] == 1:
        input_shape = input_shape[:-1]
    x = x.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(x)) + 1
    categorical = np.zeros((x.shape[0], int(num_classes)))
    categorical[np.arange(x.shape[0]), x] = 1
    return categorical.reshape(input_shape + (int(num_classes),))


def normalize(x, axis=-1, order=2):
    """Scales `x` to unit `order`-norm along `axis`.

    A NumPy array gives a NumPy array (zero vectors are left as they are); anything else a JAX
    array (norms below epsilon count as epsilon), as in Keras. (Keras's NumPy path reads
    `axis=0` as -1 and then fails to broadcast; jeras normalizes along axis 0.)

    Args:
        x: the array to normalize.
        axis: the axis along which to normalize (default -1).
        order: the norm's order (default 2, the L2 norm).

    Returns:
        A normalized copy of `x`.
    """
    if isinstance(x, np.ndarray):
        norm = np.atleast_1d(np.linalg.norm(x, order, axis))
        norm[norm == 0] = 1
        return x / np.expand_dims(norm, axis)
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"normalize: `order` must be an int >= 1. Received: order={order!r}")
    x = jnp.asarray(x)
    if x.ndim == 0:
        x = x[None]
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype("float32")
    if order == 2:
        inverse_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inverse_norm, 1.0 / epsilon())
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, epsilon())
