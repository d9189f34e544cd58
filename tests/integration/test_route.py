"""Session1.New's route: the next hop of the INVITE, over its transport (udp, tcp, tls).

The callee URI is never directly reachable (a port nothing listens on), so only the
route can make a call work. Over UDP and TCP the route is a real kamailio proxy that
forwards to a second daemon (bob's binding, registered by the test); over TLS it is the
second daemon's TLS port itself (it takes any Request-URI into account 0). Where the
INVITE went is read from the caller's own --verbose SIP trace, and from the proxy's log."""

import re
import socket

import pytest

import kamailio
import sipsd
from sipsd import v
from test_calls import Peer, SI, TIMEOUT

_SEND = re.compile(r'sofia: send \d+ bytes to (\w+)/\[([^\]]+)\]:(\d+)')
_LINE = re.compile(r'sofia:\s{3,}(.*)$')


def sent_requests(peer, method):
    """[(transport, host, port)] every `method` request in the peer's SIP trace went to."""
    out = []
    lines = peer.daemon.stdout_text().splitlines()
    for i, line in enumerate(lines):
        m = _SEND.search(line)
        if not m:
            continue
        for follow in lines[i + 1:i + 4]:
            first = _LINE.search(follow)
            if first and first.group(1).strip() and not first.group(1).startswith('---'):
                if first.group(1).startswith(method + ' '):
                    out.append((m.group(1), m.group(2), int(m.group(3))))
                break
    return out


@pytest.fixture(scope='module')
def caller():
    """Alice: a daemon with its SIP trace on (--verbose), TLS peers not verified."""
    mp = pytest.MonkeyPatch()
    mp.setenv('SIPSD_VERBOSE', '1')
    try:
        a = Peer({'TlsVerifyServer': False})
    finally:
        mp.undo()
    yield a
    a.stop()


@pytest.fixture(scope='module')
def callee():
    """Bob: the daemon the calls reach (any Request-URI lands in its account 0)."""
    mp = pytest.MonkeyPatch()
    mp.delenv('SIPSD_VERBOSE', raising=False)
    try:
        b = Peer()
    finally:
        mp.undo()
    yield b
    b.stop()


@pytest.fixture(scope='module')
def proxy(tmp_path_factory, callee):
    """kamailio as the proxy, with bob's binding pointing at the callee daemon."""
    kam = kamailio.Kamailio(tmp_path_factory.mktemp('kamailio')).start()
    try:
        register(kam, 'bob', 'sip:bob@127.0.0.1:%d' % callee.ports['udp'])
        assert kam.bindings('bob'), kam.log_text()
        yield kam
    finally:
        kam.stop()


def register(kam, user, contact):
    """Saves a binding at kamailio (its registrar asks no credentials when users=None)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(('127.0.0.1', 0))
        sock.settimeout(5)
        sock.sendto(kam._request('REGISTER', kam.uri, user, sock.getsockname()[1],
                                 'Contact: <%s>\r\nExpires: 600\r\n' % contact),
                    ('127.0.0.1', kam.port))
        while True:
            status = sock.recv(65535).decode(errors='replace').split('\r\n', 1)[0]
            if not status.startswith('SIP/2.0 1'):
                break
    finally:
        sock.close()
    assert status.startswith('SIP/2.0 200'), status


@pytest.fixture
def ab(caller, callee):
    for p in (caller, callee):
        p.rec.clear()
    return caller, callee


def unreachable_uri():
    """bob at a loopback port nothing listens on (UDP and TCP)."""
    return 'sip:bob@127.0.0.1:%d' % sipsd.free_ports(1)[0]


def call(a, uri, route):
    path = a.daemon.create_session()
    a.call(path, 'New', v('(sosbb)', (uri, '/', route, True, False)))
    return path


def call_via_route(a, b, uri, route):
    """A calls uri via route; B must get it and accept; both hang up cleanly."""
    pa = call(a, uri, route)
    assert a.props(pa)['Route'] == route
    r = b.rec.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming', TIMEOUT)
    assert r, 'B got no call via %s; A saw %s' % (route, a.events(pa))
    pb = r[0]
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    a.wait(pa, 'DidStart')
    b.wait(pb, 'DidStart')
    # the session keeps its route once established, too
    assert a.props(pa)['Route'] == route
    a.call(pa, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')
    assert not [e for e in a.events(pa) if e[0] == 'DidFail'], a.events(pa)
    return pa, pb


@pytest.mark.parametrize('transport', ['udp', 'tcp'])
def test_call_through_proxy_route(ab, proxy, transport):
    a, b = ab
    uri = unreachable_uri()
    route = 'sip:127.0.0.1:%d;transport=%s' % (proxy.port, transport)
    before = len(sent_requests(a, 'INVITE'))
    call_via_route(a, b, uri, route)
    # the INVITE went to the route, over its transport, not to the callee URI's port
    invites = sent_requests(a, 'INVITE')[before:]
    assert invites and set(invites) == {(transport, '127.0.0.1', proxy.port)}, invites
    # and the proxy forwarded it to bob's binding
    routed = [e for e in proxy.events('ROUTED') if e.get('method') == 'INVITE']
    assert routed and routed[-1]['ruri'] == 'sip:bob@127.0.0.1:%d' % b.ports['udp'], routed
    # the BYE followed the route too
    byes = sent_requests(a, 'BYE')
    assert byes and byes[-1] == (transport, '127.0.0.1', proxy.port), byes


def test_empty_route_uses_the_accounts_outbound_proxy(ab, proxy):
    """route "" = the account's OutboundProxy, which then routes the call the same way."""
    a, b = ab
    outbound = 'sip:127.0.0.1:%d;transport=tcp' % proxy.port
    a.daemon.set(sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'OutboundProxy', v('s', outbound))
    try:
        before = len(sent_requests(a, 'INVITE'))
        pa = call(a, unreachable_uri(), '')
        assert a.props(pa)['Route'] == outbound
        r = b.rec.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming', TIMEOUT)
        assert r, 'B got no call via the outbound proxy; A saw %s' % a.events(pa)
        b.call(r[0], 'Reject')
        a.wait(pa, 'DidEnd')
        assert ('DidFail', 'remote', 603, 'Decline') in a.events(pa)
        invites = sent_requests(a, 'INVITE')[before:]
        assert invites and set(invites) == {('tcp', '127.0.0.1', proxy.port)}, invites
    finally:
        a.daemon.set(sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'OutboundProxy', v('s', ''))


def test_call_through_tls_route(ab):
    a, b = ab
    uri = unreachable_uri()
    route = 'sip:127.0.0.1:%d;transport=tls' % b.ports['tls']
    before = len(sent_requests(a, 'INVITE'))
    pa, pb = call_via_route(a, b, uri, route)
    invites = sent_requests(a, 'INVITE')[before:]
    assert invites and set(invites) == {('tls', '127.0.0.1', b.ports['tls'])}, invites
    # B saw the callee URI as the Request-URI, not the route
    assert b.props(pb)['LocalUri'] == uri


def test_sips_route_means_tls(ab):
    a, b = ab
    route = 'sips:127.0.0.1:%d' % b.ports['tls']
    before = len(sent_requests(a, 'INVITE'))
    call_via_route(a, b, unreachable_uri(), route)
    invites = sent_requests(a, 'INVITE')[before:]
    assert invites and set(invites) == {('tls', '127.0.0.1', b.ports['tls'])}, invites


@pytest.mark.parametrize('transport', ['tcp', 'tls'])
def test_callee_uri_transport_is_honoured_without_route(ab, transport):
    """No route: the callee URI's own ;transport= (or sips:) picks the transport. (Its
    parameters once became the To header's and the INVITE went over UDP.)"""
    a, b = ab
    uri = b.uri('bob', transport)
    before = len(sent_requests(a, 'INVITE'))
    pa = call(a, uri, '')
    r = b.rec.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming', TIMEOUT)
    assert r, 'B got no call at %s; A saw %s' % (uri, a.events(pa))
    b.call(r[0], 'Reject')
    a.wait(pa, 'DidEnd')
    invites = sent_requests(a, 'INVITE')[before:]
    assert invites and set(invites) == {(transport, '127.0.0.1', b.ports[transport])}, invites
    assert a.props(pa)['CalleeUri'] == uri


@pytest.mark.parametrize('transport', ['udp', 'tcp'])
def test_without_route_the_call_fails(ab, proxy, transport):
    """The premise: the callee URI alone reaches nobody."""
    a, b = ab
    uri = unreachable_uri() + (';transport=tcp' if transport == 'tcp' else '')
    pa = call(a, uri, '')
    a.wait(pa, 'DidEnd', timeout=40)
    fail = [e for e in a.events(pa) if e[0] == 'DidFail']
    assert fail and fail[0][1] == 'local' and fail[0][2] in (408, 503), a.events(pa)
    assert not [r for r in b.rec.records if r[2] == 'NewIncoming']
    assert a.props(pa)['Route'] == ''


def test_route_to_dead_proxy_fails_though_callee_is_reachable(ab):
    """The route wins over the callee URI: a route nothing listens on fails the call even
    when the callee URI would have reached B."""
    a, b = ab
    dead = sipsd.free_ports(1)[0]
    route = 'sip:127.0.0.1:%d;transport=tcp' % dead
    before = len(sent_requests(a, 'INVITE'))
    pa = call(a, b.uri('bob'), route)
    a.wait(pa, 'DidEnd')
    fail = [e for e in a.events(pa) if e[0] == 'DidFail']
    assert fail and fail[0][1] == 'local' and fail[0][2] in (408, 503), a.events(pa)
    assert not [r for r in b.rec.records if r[2] == 'NewIncoming']
    # (a refused TCP connection leaves no "send" in the trace; nothing went to B either)
    assert not [s for s in sent_requests(a, 'INVITE')[before:] if s[2] == b.ports['udp']]
    assert a.props(pa)['Route'] == route
