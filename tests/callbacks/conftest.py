"""Fixtures for the callback tests."""

import pytest
from callback_models import binary_data, compiled_pair


@pytest.fixture(scope="session")
def built_pair():
    """A compiled pair whose compiled metrics are built (callbacks resolving `mode="auto"`
    look them up); for tests that drive callbacks directly, without training."""
    k_model, j_model = compiled_pair()
    x, y = binary_data(16)
    k_model.evaluate(x, y, verbose=0)
    j_model.evaluate(x, y, verbose=0)
    return k_model, j_model
