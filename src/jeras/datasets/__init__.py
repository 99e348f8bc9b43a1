"""Small benchmark datasets returned as NumPy arrays, as in `keras.datasets`."""

from jeras.datasets import fashion_mnist
from jeras.datasets import mnist

__all__ = ["fashion_mnist", "mnist"]
