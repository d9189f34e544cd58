"""pytest fixtures shared by the integration tests (see sipsd.py)."""

import pytest

import sipsd


@pytest.fixture
def bus():
    b = sipsd.PrivateBus()
    yield b
    b.stop()


@pytest.fixture
def daemon(bus):
    """A started daemon with a fresh home on a private bus."""
    d = sipsd.Daemon(bus)
    try:
        d.start()
        yield d
    finally:
        d.cleanup()


@pytest.fixture
def recorder(bus):
    r = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    yield r
    r.close()
