"""MSRP file transfer (RFC 5547) through an MSRP relay (RFC 4976): kamailio's msrp module
with digest AUTH, the fixture of test_chat_relay.py (alice sends through the relay,
UseRelayOutgoing; bob receives through it, UseRelayIncoming).

A file goes from A to B with both the sender and the receiver behind the relay, and with
only the receiver behind it: it must arrive intact (SHA-256 of the bytes on disk, and
the offered sha-1 Hash), the side(s) behind the relay must have authenticated there,
and kamailio's log must show the file's SEND chunks relayed. All of it over TCP (msrp:)
and over TLS (msrps: to the relay, kamailio's tls module, LocalUseTls and RelayUseTls on).
(Only the sender behind the relay is not tried: the receiver then connects to the relay
(a=setup:active) and binds the session to that connection, while kamailio relays the
sender's chunks over a new connection to the receiver's own address, which answers 506;
chat is the same. This relay configuration has no way to send them over the receiver's
connection.)"""

import hashlib
import os

import pytest

import kamailio
import sipsd
import test_chat as chat
import test_chat_relay
from sipsd import v
from test_chat_relay import USERS, RelayPeer

FI = 'org.sipsimple.MSRPFileTransfer1'
MI = sipsd.SESSION_MANAGER_IFACE
MSRP = sipsd.MSRP_IFACE
MSRP_PATH = sipsd.SESSION_MANAGER + '/MSRPConfiguration'
TIMEOUT = 30
SIZE = 4 * 1024 * 1024 + 333


def sha1_hash(data):
    """RFC 5547's hash form: sha-1:XX:XX:... (upper-case hex)."""
    d = hashlib.sha1(data).hexdigest().upper()
    return 'sha-1:' + ':'.join(d[i:i + 2] for i in range(0, len(d), 2))


@pytest.fixture(scope='module', params=['tcp', 'tls'])
def setup(request, tmp_path_factory):
    """test_chat_relay's set-up (alice behind the relay for outgoing sessions, bob for
    incoming ones), with the relay and both daemons' MSRP over TCP or over TLS."""
    tls = request.param == 'tls'
    relay = kamailio.MsrpRelay(tmp_path_factory.mktemp('msrp-relay-' + request.param), USERS,
                               tls=tls).start()
    peers = []
    try:
        peers.append(RelayPeer('alice', relay.port, incoming=False, outgoing=True))
        peers.append(RelayPeer('bob', relay.port, incoming=True, outgoing=False))
        for p in peers:
            for prop in ('LocalUseTls', 'RelayUseTls'):
                p.daemon.set(MSRP_PATH, MSRP, prop, v('b', tls))
        yield relay, peers[0], peers[1]
    finally:
        for p in peers:
            p.stop()
        relay.stop()


def test_chat_through_relay(setup):
    """The set-up itself: a chat through the relay, both a=path lines starting at it
    with the transport's scheme (msrps: over TLS)."""
    relay, a, b = setup
    auths = len(relay.msrp_events('authok'))
    pa, seen = test_chat_relay.call(a, b)
    pb, _ = chat.new_incoming(b, seen)
    b.call(pb, 'Accept', v('(bb)', (False, True)))
    a.wait(pa + '/Chat', 'DidStart', chat.CI, timeout=TIMEOUT)
    b.wait(pb + '/Chat', 'DidStart', chat.CI, timeout=TIMEOUT)
    assert sorted(e['user'] for e in relay.msrp_events('authok')[auths:]) == ['alice', 'bob']
    scheme = 'msrps' if relay.tls else 'msrp'
    for p, path in ((a, pa), (b, pb)):
        props = p.daemon.get_all(path + '/Chat', chat.CI)
        assert props['LocalPath'][0].startswith('%s://127.0.0.1:%d/' % (scheme, relay.port)), props
        assert props['LocalPath'][1].startswith(scheme + '://127.0.0.1:'), props
        assert props['UseTls'] is relay.tls, props
    chat.check_exchange(a, b, pa, pb)
    chat.hang_up(a, b, pa, pb)


@pytest.mark.parametrize('via', ['both', 'receiver'])
def test_file_through_relay(setup, tmp_path, via):
    """Both behind the relay (alice's outgoing, bob's incoming sessions go through it),
    or only the receiver (alice's UseRelayOutgoing off for this one)."""
    relay, a, b = setup
    if via == 'receiver':
        a.daemon.set(MSRP_PATH, MSRP, 'UseRelayOutgoing', v('b', False))
    try:
        transfer_through_relay(relay, a, b, tmp_path, via)
    finally:
        a.daemon.set(MSRP_PATH, MSRP, 'UseRelayOutgoing', v('b', True))


def transfer_through_relay(relay, a, b, tmp_path, via):
    data = os.urandom(SIZE)
    src = tmp_path / 'relayed.bin'
    src.write_bytes(data)
    inbox = tmp_path / 'inbox'
    inbox.mkdir()
    auths = len(relay.msrp_events('authok'))
    delivered_before = len(relay.msrp_events('deliver'))
    seen = {r[3][1] for r in b.rec.records if r[2] == 'IncomingFileTransfer'}

    ta = a.call(sipsd.SESSION_MANAGER, 'SendFile',
                v('(osss)', (a.account, b.uri(b.user), str(src), 'application/octet-stream')),
                iface=MI)[0]
    r = b.rec.wait_for(lambda r: r[1] == MI and r[2] == 'IncomingFileTransfer'
                       and r[3][1] not in seen, TIMEOUT)
    assert r, 'no offer at B\n' + a.daemon.stderr_text()[-3000:] + relay.log_text()[-3000:]
    tb = r[3][1]
    assert b.get(tb, 'FileSize', FI) == SIZE
    assert b.get(tb, 'Hash', FI) == sha1_hash(data)
    b.call(tb, 'Accept', v('(s)', (str(inbox),)), iface=FI)

    got = b.wait(tb, 'GotFile', FI, timeout=TIMEOUT)
    a.wait(ta, 'DidDeliverFile', FI, timeout=TIMEOUT)
    a.wait(ta, 'DidEnd', FI, timeout=TIMEOUT)
    b.wait(tb, 'DidEnd', FI, timeout=TIMEOUT)
    path, size, digest = got[1:4]
    assert path == str(inbox / src.name) and size == SIZE, got
    assert digest == sha1_hash(data), got
    with open(path, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert os.listdir(inbox) == [src.name]  # no temporary left over
    assert not a.signals(ta, 'DidFail', FI) and not b.signals(tb, 'DidFail', FI)

    # who authenticated at the relay: the side(s) behind it, with their own credentials
    users = sorted(e['user'] for e in relay.msrp_events('authok')[auths:])
    assert users == (['alice', 'bob'] if via == 'both' else ['bob']), relay.log_text()[-3000:]
    # the file's chunks went through kamailio: enough SENDs to carry SIZE bytes
    sends = [e for e in relay.msrp_events('deliver')[delivered_before:] if e['method'] == 'SEND']
    assert len(sends) >= 2, relay.log_text()[-3000:]
