"""Test configuration: hypothesis profiles and shared fixtures.

Profiles (choose with ``HYPOTHESIS_PROFILE``):

* ``ci`` (default): derandomized, bounded example counts, no deadline: the same
  examples on every run, so CI is reproducible and its time predictable;
* ``dev``: random examples, a few more of them;
* ``thorough``: many examples, for a long run before a release.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=15, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", max_examples=30, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", max_examples=300, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same generator state."""
    import minidl

    minidl.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture
def rng():
    """A NumPy generator for test data, seeded per test."""
    return np.random.default_rng(1234)
