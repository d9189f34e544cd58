"""pytest fixtures shared by the integration tests (see sipsd.py)."""

import pytest

import sipsd


@pytest.fixture
def bus():
    b = sipsd.PrivateBus()
    yield b
    b.stop()


@pytest.fixture
def daemon(bus, request):
    """A started daemon with a fresh home on a private bus; a test module sets
    DAEMON_SETTINGS (e.g. peers.LOOPBACK_SETTINGS) to configure it."""
    d = sipsd.Daemon(bus, settings=getattr(request.module, 'DAEMON_SETTINGS', None))
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


@pytest.fixture
def sipp(tmp_path):
    """Factory for sipp peers (peers.Sipp); every one made is stopped at teardown."""
    import peers
    made = []

    def make(*args, **kwargs):
        s = peers.Sipp(str(tmp_path), *args, **kwargs)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


@pytest.fixture
def kam_factory(tmp_path, request):
    """Factory for started kamailio servers (kamailio.Kamailio); a test module sets
    KAMAILIO_OPTIONS (e.g. {'presence': True}) for all of its servers. Each is stopped at
    teardown, its log printed (shown for a failed test)."""
    import kamailio
    defaults = getattr(request.module, 'KAMAILIO_OPTIONS', {})
    started = []

    def make(**kwargs):
        k = kamailio.Kamailio(tmp_path / ('kamailio%d' % len(started)), **dict(defaults, **kwargs))
        started.append(k)
        return k.start()
    yield make
    for k in started:
        k.stop()
        print('---- kamailio log (port %d)\n%s' % (k.port, k.log_text()[-20000:]))
