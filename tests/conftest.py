import os

os.environ.setdefault("KERAS_BACKEND", "jax")

# `pytest -n auto` starts one process per CPU core, each with its own JAX client. On a GPU,
# JAX's default is to reserve 75% of the device's memory when a process first touches it, so
# the second worker would already run out of memory. The variable is read when JAX creates its
# GPU client (the first use of a device), so setting it here, before any test module imports
# or uses jax, is early enough. JAX ignores it on CPU.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # after the environment above, which it must see

# Tests compare jeras against real Keras (or NumPy) with float32 tolerances. On recent GPUs
# XLA's default precision for float32 matmuls and convolutions is TF32-like (about 10 bits of
# mantissa, relative errors near 1e-3), and the two libraries can lower the same product
# differently, so equal weights would give results that differ far beyond those tolerances
# for reasons that are no bug of either. "highest" asks for true float32 products in every
# process of the session (Keras and jeras alike). On CPU float32 matmuls are already exact
# float32, so this changes nothing there.
jax.config.update("jax_default_matmul_precision", "highest")
