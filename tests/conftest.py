"""Test configuration: hypothesis profiles and shared fixtures.

Profiles (choose with ``HYPOTHESIS_PROFILE``):

* ``ci`` (default): derandomized, bounded example counts, no deadline: the same
  examples on every run, so CI is reproducible and its time predictable;
* ``dev``: random examples, a few more of them;
* ``thorough``: many examples, for a long run before a release.

A test's own count is written as a weight, ``@examples(n)`` from tests/strategies.py: n
examples in ci, n times the profile's default over ci's (2x dev, 20x thorough) elsewhere.
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


# ------------------------------------------------------------------------ devices
# Tests that take a ``device`` argument run once per device: the CPU and the strict
# stand-in device of tests/strict_device.py (which refuses, as CuPy does, any mixing
# of host NumPy arrays with device arrays). ``--devices cpu`` narrows the list and
# ``--devices cpu,strict,cuda`` adds a real GPU. Without that option the GPU runs the
# tests marked ``gpu`` (tests/cuda/test_gpu.py), which skip, saying why, without one.
from tests import strict_device  # noqa: E402


def pytest_addoption(parser):
    parser.addoption(
        "--devices", default=None,
        help="comma-separated devices for device-parameterised tests "
             "(default: cpu,strict; add cuda to run them all on a GPU too)")


def pytest_configure(config):
    strict_device.register()
    config.addinivalue_line(
        "markers", "gpu: runs on a CUDA GPU; skipped (with the reason) where there is none")


def _devices(config) -> list:
    chosen = config.getoption("--devices") or "cpu,strict"
    return [d.strip() for d in chosen.split(",") if d.strip()]


def pytest_generate_tests(metafunc):
    if "device" in metafunc.fixturenames:
        params = [pytest.param(d, marks=pytest.mark.gpu) if d.startswith("cuda") else d
                  for d in _devices(metafunc.config)]
        metafunc.parametrize("device", params)


def pytest_runtest_setup(item):
    if item.get_closest_marker("gpu") is not None:
        import minidl.cuda

        if not minidl.cuda.is_available():
            from minidl import backend

            pytest.skip(f"no CUDA GPU here: {backend.cuda_unavailable_reason()}")


@pytest.fixture
def strict():
    """The strict stand-in device's name, for tests that need a second device explicitly."""
    return strict_device.DEVICE
