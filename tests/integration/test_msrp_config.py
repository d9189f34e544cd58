"""MSRPConfiguration1 changes on a running daemon apply to chats made after them
(issue 10, item 6): LocalUseTls, LocalIp and LocalPort are set over D-Bus on A, the
next chat's a=path (A's MSRPChat1.LocalPath, and what B got in A's SDP as its
RemotePath) is on the new scheme, address and port, and a message goes through it. A
chat made before keeps its endpoint and still works. A change the daemon cannot apply
(an address not on this
machine, a port in use) is refused and changes nothing.

Mixed schemes: a TLS chat answered with a plain msrp:// path (or the other way) cannot
work (RFC 4975 §14.4: msrps and msrp are not interchangeable); it fails at once with
the reason instead of staying `connecting` until a timeout."""

import time

import pytest

import kamailio
import sipsd
import test_chat as chat
import test_chat_relay as relay_test
from sipsd import v

SI = chat.SI
CI = chat.CI
MC, MI = sipsd.MSRP_CONFIG, sipsd.MSRP_IFACE


@pytest.fixture
def pair():
    # A starts on msrps://127.0.0.2 (loopback /8), B on msrps://127.0.0.1
    a = chat.Peer(True, local_ip='127.0.0.2')
    try:
        b = chat.Peer(True)
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


def authority(path_uri):
    """('msrps', '127.0.0.1', 2855) of msrps://127.0.0.1:2855/id;tcp"""
    scheme, rest = path_uri.split('://', 1)
    host, port = rest.split('/', 1)[0].rsplit(':', 1)
    return scheme, host, int(port)


def local_path(p, path):
    return p.daemon.get(path + '/Chat', CI, 'LocalPath')


def test_changes_apply_to_next_chat(pair):
    a, b = pair
    pa1, pb1 = chat.establish(a, b)
    before = local_path(a, pa1)
    assert authority(before[0])[:2] == ('msrps', '127.0.0.2'), before

    port = sipsd.free_ports(1)[0]
    a.daemon.set(MC, MI, 'LocalUseTls', v('b', False))
    a.daemon.set(MC, MI, 'LocalIp', v('s', '127.0.0.1'))
    a.daemon.set(MC, MI, 'LocalPort', v('u', port))
    assert a.daemon.get(MC, MI, 'LocalPort') == port

    pa2, pb2 = chat.establish(a, b)
    after = local_path(a, pa2)
    assert len(after) == 1 and authority(after[0]) == ('msrp', '127.0.0.1', port), after
    # B got that path in A's SDP
    assert b.daemon.get(pb2 + '/Chat', CI, 'RemotePath') == after
    assert a.daemon.get(pa2 + '/Chat', CI, 'UseTls') is False
    assert b.daemon.get(pb2 + '/Chat', CI, 'UseTls') is False
    chat.check_exchange(a, b, pa2, pb2)

    # the chat made before keeps its TLS endpoint on 127.0.0.2, and works
    assert local_path(a, pa1) == before
    assert a.daemon.get(pa1 + '/Chat', CI, 'UseTls') is True
    chat.check_exchange(a, b, pa1, pb1)
    chat.hang_up(a, b, pa1, pb1)
    chat.hang_up(a, b, pa2, pb2)

    # and back to TLS: the next chat says msrps:// on the same address and port
    a.daemon.set(MC, MI, 'LocalUseTls', v('b', True))
    pa3, pb3 = chat.establish(a, b)
    assert authority(local_path(a, pa3)[0]) == ('msrps', '127.0.0.1', port)
    assert b.daemon.get(pb3 + '/Chat', CI, 'RemotePath') == local_path(a, pa3)
    chat.check_exchange(a, b, pa3, pb3)
    chat.hang_up(a, b, pa3, pb3)


def test_unusable_change_is_refused(pair):
    a, b = pair
    # TEST-NET-1 is on no interface here: MSRP cannot listen there
    msg = sipsd.expect_error('Failed', a.daemon.set, MC, MI, 'LocalIp', v('s', '192.0.2.1'))
    assert 'LocalIp' in msg, msg
    assert a.daemon.get(MC, MI, 'LocalIp') == '127.0.0.2'
    # a port B's MSRP listens on (same address) is in use
    busy = chat.msrp_port(local_path(b, chat.establish(a, b)[1])[0])
    a.daemon.set(MC, MI, 'LocalIp', v('s', '127.0.0.1'))
    sipsd.expect_error('Failed', a.daemon.set, MC, MI, 'LocalPort', v('u', busy))
    assert a.daemon.get(MC, MI, 'LocalPort') == 0
    # the daemon still makes chats on what it has
    pa, pb = chat.establish(a, b)
    assert authority(local_path(a, pa)[0])[:2] == ('msrps', '127.0.0.1')
    chat.check_exchange(a, b, pa, pb)


def test_address_change_on_a_fixed_port(tls_b):
    """LocalPort fixed, LocalIp 0.0.0.0 (all addresses) -> 127.0.0.1: the port, held by
    the endpoint nobody uses, is freed for the new one. Back to 0.0.0.0 while a chat
    uses 127.0.0.1:P cannot bind and is refused; the chat goes on."""
    b = tls_b
    port = sipsd.free_ports(1)[0]
    a = chat.Peer(True, local_ip='0.0.0.0', msrp_port=port)
    try:
        a.daemon.set(MC, MI, 'LocalIp', v('s', '127.0.0.1'))
        pa, pb = chat.establish(a, b)
        assert authority(local_path(a, pa)[0]) == ('msrps', '127.0.0.1', port)
        assert b.daemon.get(pb + '/Chat', CI, 'RemotePath') == local_path(a, pa)
        chat.check_exchange(a, b, pa, pb)

        msg = sipsd.expect_error('Failed', a.daemon.set, MC, MI, 'LocalIp', v('s', '0.0.0.0'))
        assert 'LocalIp' in msg, msg
        assert a.daemon.get(MC, MI, 'LocalIp') == '127.0.0.1'
        chat.check_exchange(a, b, pa, pb)
        chat.hang_up(a, b, pa, pb)
    finally:
        a.stop()


@pytest.fixture
def tls_b():
    b = chat.Peer(True)
    yield b
    b.stop()


def test_tls_caller_to_peer_behind_tcp_relay(tmp_path):
    """A (LocalUseTls, no relay) calls bob behind kamailio's TCP relay: bob's a=path
    starts msrp://relay, which A's TLS endpoint cannot use. A's chat fails at once with
    the reason (not after the connect timeout) and the session ends on both sides.
    (The relay's test configuration only relays between two of its own clients, so
    the working case, A with LocalUseTls false, is checked between daemons above.)"""
    relay = kamailio.MsrpRelay(tmp_path / 'msrp-relay', relay_test.USERS).start()
    peers = []
    try:
        peers.append(chat.Peer(True))
        peers.append(relay_test.RelayPeer('bob', relay.port, incoming=True, outgoing=False))
        a, b = peers

        pa = a.daemon.create_session()
        seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
        a.call(pa, 'New', v('(sosbb)', (b.uri(b.user), '/', '', False, True)))
        pb, _ = chat.new_incoming(b, seen)
        t0 = time.monotonic()
        b.call(pb, 'Accept', v('(bb)', (False, True)))
        chat_fail = a.wait(pa + '/Chat', 'DidFail', CI, timeout=5)
        assert time.monotonic() - t0 < 5
        assert 'TLS' in chat_fail[1] and 'msrp:' in chat_fail[1], chat_fail
        fail = a.wait(pa, 'DidFail', timeout=5)
        assert fail[1:3] == ('local', 0) and fail[3] == chat_fail[1], fail
        a.wait(pa, 'DidEnd', timeout=5)
        b.wait(pb, 'DidEnd', timeout=5)
    finally:
        for p in peers:
            p.stop()
        relay.stop()
