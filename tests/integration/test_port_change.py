"""Writing SipUdpPort, SipTcpPort, SipTlsPort or SipListenAddress while the daemon works.

After every accepted or refused write the test checks what is really bound (OPTIONS
over UDP answers on the new port and not on the old one, TCP/TLS listen where
SipListeningUris says and nowhere else), that a new call to a sipp UAS starts, and that
no stack was leaked. A call in progress is one to a UDP socket that swallows INVITEs
(it stays CALLING)."""

import re
import socket
import time

import pytest
from gi.repository import Gio, GLib

import peers
import sipsd
from sipsd import v, expect_error
from test_config import listening, occupy, sip_options

S, SI = sipsd.SETTINGS, sipsd.SETTINGS_IFACE
SES = sipsd.SESSION_IFACE
SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
DAEMON_SETTINGS = peers.LOOPBACK_SETTINGS
CALL_TIMEOUT = 15.0
# a write must answer well before the old 2 s shutdown timeout
WRITE_BUDGET_S = 1.0
PROPS = ['SipUdpPort', 'SipTcpPort', 'SipTlsPort', 'SipListenAddress']
KIND = {'SipUdpPort': 'udp', 'SipTcpPort': 'tcp', 'SipTlsPort': 'tls'}


class Swallower:
    """A UDP socket that takes INVITEs and never answers: the call stays CALLING."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.got = []

    def uri(self):
        return 'sip:nobody@127.0.0.1:%d' % self.port

    def poll(self):
        while True:
            try:
                self.got.append(self.sock.recv(65536).decode(errors='replace'))
            except BlockingIOError:
                return any(m.startswith('INVITE ') for m in self.got)

    def invites(self):
        self.poll()
        return sum(m.startswith('INVITE ') for m in self.got)

    def close(self):
        self.sock.close()


def tcp_accepts(port, host='127.0.0.1'):
    try:
        socket.create_connection((host, port), timeout=2.0).close()
        return True
    except OSError:
        return False


def state(daemon, path):
    return daemon.get(path, SES, 'State')


def start_stuck_call(daemon, recorder, swallower):
    swallower.got.clear()
    path = peers.new_call(daemon, swallower.uri())
    assert sipsd.wait_until(swallower.poll, 5.0), 'no INVITE reached the swallower'
    assert state(daemon, path) == 'CALLING'
    return path


def place_call(daemon, recorder, sipp):
    """A new call to a sipp UAS starts; hung up again."""
    uas = sipp('uas').start()
    path = peers.new_call(daemon, uas.uri())
    got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidFail', 'DidEnd'),
                                        CALL_TIMEOUT)
    assert got is not None and got[0] == 'DidStart', (
        'new call after the write: %s\n%s' % (got, daemon.stderr_text()[-4000:]))
    daemon.call(path, SES, 'Terminate')
    assert peers.wait_session_signal(recorder, path, 'DidEnd', CALL_TIMEOUT) is not None
    assert uas.wait(CALL_TIMEOUT) == 0


def host_of(daemon):
    return daemon.get(S, SI, 'SipListenAddress') or '127.0.0.1'


def assert_bound(daemon, expect, gone=()):
    """SipListeningUris is `expect` ({kind: port}) and the sockets say the same; nothing
    answers on the (host, kind, port) in `gone`."""
    host = host_of(daemon)
    assert listening(daemon) == expect, (listening(daemon), expect)
    uris = daemon.get(S, SI, 'SipListeningUris')
    assert all(re.match(r'^sips?:%s:' % re.escape(host), u) for u in uris), uris
    if 'udp' in expect:
        status = sip_options(expect['udp'], host=host)
        assert status and status.startswith('SIP/2.0 200'), 'OPTIONS on %s:%d: %r' % (
            host, expect['udp'], status)
    for kind in ('tcp', 'tls'):
        if kind in expect:
            assert tcp_accepts(expect[kind], host), '%s %s:%d does not accept' % (
                kind, host, expect[kind])
    for ghost, kind, port in gone:
        if kind == 'udp':
            assert sip_options(port, host=ghost, timeout=1.0) is None, \
                'the old UDP %s:%d still answers' % (ghost, port)
        else:
            assert not tcp_accepts(port, ghost), 'the old %s %s:%d still accepts' % (
                kind, ghost, port)


def no_leak(daemon):
    err = daemon.stderr_text()
    assert 'leaking' not in err and 'SIP is off' not in err, err[-3000:]


def timed_set(daemon, prop, variant):
    t0 = time.monotonic()
    daemon.set(S, SI, prop, variant)
    return time.monotonic() - t0


# ---------------------------------------------------------------- defect 3

@pytest.mark.parametrize('prop', PROPS)
def test_write_with_call_in_progress(daemon, recorder, sipp, prop):
    before = listening(daemon)
    swallower = Swallower()
    try:
        path = start_stuck_call(daemon, recorder, swallower)
        if prop == 'SipListenAddress':
            value, new_host = v('s', '127.0.0.2'), '127.0.0.2'
            expect = dict(before)
            gone = [('127.0.0.1', k, p) for k, p in before.items()]
        else:
            new_host = '127.0.0.1'
            port = sipsd.free_ports(1)[0]
            value = v('u', port)
            expect = dict(before, **{KIND[prop]: port})
            gone = [('127.0.0.1', KIND[prop], before[KIND[prop]])]
        took = timed_set(daemon, prop, value)
        assert took < WRITE_BUDGET_S, 'the write took %.2f s' % took
        assert daemon.get(S, SI, prop) == value.unpack()
        # documented: every call ends with the old stack (DidFail local 0, then DidEnd)
        fail = peers.wait_session_signal(recorder, path, 'DidFail', 5.0)
        assert fail is not None and fail[1] == 'local' and fail[2] == 0, fail
        assert peers.wait_session_signal(recorder, path, 'DidEnd', 5.0) is not None
        assert new_host == host_of(daemon)
        assert_bound(daemon, expect, gone)
        place_call(daemon, recorder, sipp)
        no_leak(daemon)
    finally:
        swallower.close()


@pytest.mark.parametrize('prop', PROPS)
def test_refused_write_changes_nothing(daemon, recorder, sipp, prop):
    before = listening(daemon)
    uris = daemon.get(S, SI, 'SipListeningUris')
    swallower = Swallower()
    if prop == 'SipListenAddress':
        # the TCP port is taken on the new address
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        busy.bind(('127.0.0.3', before['tcp']))
        busy.listen(1)
        value = v('s', '127.0.0.3')
    else:
        port = sipsd.free_ports(1)[0]
        busy = occupy('udp' if prop == 'SipUdpPort' else 'tcp', port)
        value = v('u', port)
    try:
        path = start_stuck_call(daemon, recorder, swallower)
        old = daemon.get(S, SI, prop)
        recorder.clear()
        expect_error('Failed', daemon.set, S, SI, prop, value)
        assert daemon.get(S, SI, prop) == old
        assert daemon.get(S, SI, 'SipListeningUris') == uris
        assert_bound(daemon, before)
        # the call is untouched
        assert state(daemon, path) == 'CALLING'
        assert not peers.session_signals(recorder, path, ('DidFail', 'DidEnd'))
        # and alive: its INVITE is still retransmitted (no CANCEL before a 1xx)
        sent = swallower.invites()
        assert sipsd.wait_until(lambda: swallower.invites() > sent, 9.0), \
            'the INVITE is no longer retransmitted'
        place_call(daemon, recorder, sipp)
        no_leak(daemon)
    finally:
        busy.close()
        swallower.close()


def test_repeated_writes_keep_sip(daemon, recorder, sipp):
    """Several rebinds with calls in flight, then back to the first ports."""
    first = listening(daemon)
    swallower = Swallower()
    try:
        for _ in range(3):
            start_stuck_call(daemon, recorder, swallower)
            udp, tcp = sipsd.free_ports(2)
            daemon.set(S, SI, 'SipUdpPort', v('u', udp))
            daemon.set(S, SI, 'SipTcpPort', v('u', tcp))
            assert_bound(daemon, dict(first, udp=udp, tcp=tcp))
        daemon.set(S, SI, 'SipUdpPort', v('u', first['udp']))
        daemon.set(S, SI, 'SipTcpPort', v('u', first['tcp']))
        assert_bound(daemon, first)
        place_call(daemon, recorder, sipp)
        no_leak(daemon)
    finally:
        swallower.close()


def test_listen_address_to_wildcard_and_back(daemon, recorder, sipp):
    """'' (all addresses) overlaps 127.0.0.1 on the same ports: our own sockets are no
    obstacle, in either direction."""
    before = listening(daemon)
    daemon.set(S, SI, 'SipListenAddress', v('s', ''))
    assert listening(daemon) == before
    assert all(u.split(':')[1] == '0.0.0.0'
               for u in daemon.get(S, SI, 'SipListeningUris'))
    status = sip_options(before['udp'])
    assert status and status.startswith('SIP/2.0 200'), status
    assert tcp_accepts(before['tcp']) and tcp_accepts(before['tls'])
    place_call(daemon, recorder, sipp)
    daemon.set(S, SI, 'SipListenAddress', v('s', '127.0.0.1'))
    assert_bound(daemon, before)
    place_call(daemon, recorder, sipp)
    no_leak(daemon)


# ---------------------------------------------------------------- point 9: no re-entrancy

def test_pipelined_calls_are_handled_in_order(daemon, recorder, sipp):
    """Set, New and Set sent back to back without waiting: each is answered in order and
    New runs on the new binding (a nested main loop inside Set would run New while no
    stack exists)."""
    swallower = Swallower()
    uas = sipp('uas').start()
    try:
        start_stuck_call(daemon, recorder, swallower)
        before = listening(daemon)
        udp1, udp2 = sipsd.free_ports(2)
        path = daemon.create_session()
        conn = daemon.conn
        replies = []

        def send(obj, iface, method, args):
            def done(c, res, tag):
                try:
                    c.call_finish(res)
                    replies.append((tag, None))
                except GLib.Error as e:
                    replies.append((tag, e.message))
            conn.call(sipsd.BUS_NAME, obj, iface, method, args, None, Gio.DBusCallFlags.NONE,
                      sipsd.CALL_TIMEOUT_MS, None, done, method + str(len(sent)))
            sent.append(method)

        sent = []
        send(S, sipsd.PROPS_IFACE, 'Set', v('(ssv)', (SI, 'SipUdpPort', v('u', udp1))))
        send(path, SES, 'New', v('(sosbb)', (uas.uri(), '/', '', True, False)))
        send(S, sipsd.PROPS_IFACE, 'Set', v('(ssv)', (SI, 'SipUdpPort', v('u', udp2))))
        assert sipsd.wait_until(lambda: len(replies) == 3, 10.0), replies
        assert [r[1] for r in replies] == [None, None, None], replies
        assert [r[0] for r in replies] == ['Set0', 'New1', 'Set2'], replies
        # New ran between the two rebinds: the second one ends it (documented)
        fail = peers.wait_session_signal(recorder, path, 'DidFail', CALL_TIMEOUT)
        assert fail is not None and fail[1] == 'local' and fail[2] == 0, (
            fail, peers.session_signals(recorder, path))
        assert peers.wait_session_signal(recorder, path, 'DidEnd', CALL_TIMEOUT) is not None
        assert_bound(daemon, dict(before, udp=udp2), [('127.0.0.1', 'udp', udp1),
                                                    ('127.0.0.1', 'udp', before['udp'])])
    finally:
        swallower.close()
        uas.stop()
    place_call(daemon, recorder, sipp)
    no_leak(daemon)


def test_call_right_after_set_reply(daemon, recorder, sipp):
    uas = sipp('uas').start()
    swallower = Swallower()
    try:
        start_stuck_call(daemon, recorder, swallower)
        daemon.set(S, SI, 'SipUdpPort', v('u', sipsd.free_ports(1)[0]))
        path = peers.new_call(daemon, uas.uri())
        got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidFail', 'DidEnd'),
                                            CALL_TIMEOUT)
        assert got is not None and got[0] == 'DidStart', got
        daemon.call(path, SES, 'Terminate')
        assert peers.wait_session_signal(recorder, path, 'DidEnd', CALL_TIMEOUT) is not None
    finally:
        swallower.close()


# ---------------------------------------------------------------- only the written port counts

def test_udp_write_with_tcp_and_tls_ports_busy(bus, sipp):
    """TCP and TLS off since start (their ports busy): a UDP write needs only its port,
    they stay off; a TCP write to a free port brings TCP up."""
    udp, tcp, tls = sipsd.free_ports(3)
    t = occupy('tcp', tcp)
    s = occupy('tcp', tls)
    settings = dict(peers.LOOPBACK_SETTINGS, SipUdpPort=udp, SipTcpPort=tcp, SipTlsPort=tls)
    d = sipsd.Daemon(bus, settings=settings)
    rec = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    try:
        d.start()
        assert_bound(d, {'udp': udp})
        new = sipsd.free_ports(1)[0]
        d.set(S, SI, 'SipUdpPort', v('u', new))
        assert_bound(d, {'udp': new}, [('127.0.0.1', 'udp', udp)])
        place_call(d, rec, sipp)
        # a busy port written again is still refused, and changes nothing
        expect_error('Failed', d.set, S, SI, 'SipTlsPort', v('u', tcp))
        assert_bound(d, {'udp': new})
        new_tcp = sipsd.free_ports(1)[0]
        d.set(S, SI, 'SipTcpPort', v('u', new_tcp))
        assert_bound(d, {'udp': new, 'tcp': new_tcp})
        place_call(d, rec, sipp)
        no_leak(d)
    finally:
        rec.close()
        t.close()
        s.close()
        d.cleanup()
