"""Small benchmark datasets returned as NumPy arrays, as in `keras.datasets`."""

from jeras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
