"""Chat streams (MSRP, RFC 4975, messages in CPIM) between two real daemons.

Each daemon is on its own private bus (each owns org.sipsimple.Daemon1); both buses
dispatch on this process's main loop. MSRP runs on 127.0.0.1 (MSRPConfiguration
LocalIp), over TLS (LocalUseTls, the default) or TCP. What one side sends is checked
as the other side's GotMessage: content, content type and the CPIM headers."""

import hashlib
import os
import random
import socket

import pytest

import sipsd
from sipsd import v

SI = sipsd.SESSION_IFACE
CI = 'org.sipsimple.MSRPChat1'
TIMEOUT = 10


class Peer:
    """A daemon with a chat-capable configuration and a recorder of its signals."""

    def __init__(self, use_tls=True, local_ip='127.0.0.1', msrp_port=0):
        sip_port, tls_port = sipsd.free_ports(2)
        s = {'RTPConfiguration': {'LocalRtpAddress': '127.0.0.1'},
             'MSRPConfiguration': {'LocalIp': local_ip, 'LocalUseTls': use_tls,
                                   'LocalPort': msrp_port},
             'SipUdpPort': sip_port, 'SipTcpPort': sip_port, 'SipTlsPort': tls_port,
             'AudioInputDevice': 'audiotestsrc wave=sine freq=1000 is-live=true',
             'AudioOutputDevice': 'fakesink', 'TerminatedSessionLinger': 5}
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings=s)
        try:
            self.daemon.start(['--verbose'] if os.environ.get('SIPSD_VERBOSE') else [])
        except Exception:
            self.bus.stop()
            raise
        self.rec = sipsd.SignalRecorder(self.bus.connection(), '/')

    def uri(self, user='chat'):
        return 'sip:%s@127.0.0.1:%d' % (user, self.daemon.ports['udp'])

    def call(self, path, method, args=None, iface=SI):
        return self.daemon.call(path, iface, method, args)

    def get(self, path, prop, iface=SI):
        return self.daemon.get(path, iface, prop)

    def signals(self, path, member, iface=SI):
        return [r[3] for r in self.rec.records if r[0] == path and r[1] == iface and r[2] == member]

    def wait(self, path, member, iface=SI, count=1, timeout=TIMEOUT):
        ok = sipsd.wait_until(lambda: len(self.signals(path, member, iface)) >= count, timeout,
                              interval=0.02)
        assert ok, '%s: %d x %s.%s not seen (%d); stderr tail:\n%s' % (
            path, count, iface, member, len(self.signals(path, member, iface)),
            self.daemon.stderr_text()[-3000:])
        return self.signals(path, member, iface)[count - 1]

    def object_events(self, path):
        """ObjectManager InterfacesAdded/Removed of path (with MSRPChat1 in them)."""
        return [r[2] for r in self.rec.records
                if r[1] == sipsd.OM_IFACE and r[3][0] == path and CI in r[3][1]]

    def stop(self):
        self.rec.close()
        try:
            self.daemon.stop()
            err = self.daemon.stderr_text()
            assert 'Sanitizer' not in err and 'runtime error' not in err, err[-6000:]
        finally:
            self.daemon.cleanup()
            self.bus.stop()


def make_pair(use_tls):
    a = Peer(use_tls)
    try:
        b = Peer(use_tls)
    except Exception:
        a.stop()
        raise
    return a, b


@pytest.fixture(scope='module')
def tls_pair():
    a, b = make_pair(True)
    yield a, b
    a.stop()
    b.stop()


def new_incoming(b, seen):
    r = b.rec.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming' and r[0] not in seen,
                       TIMEOUT)
    assert r, 'B got no call\n' + b.daemon.stderr_text()[-3000:]
    return r[0], r[3]


def establish(a, b, audio=False, chat=True):
    """A calls B with the streams given, B accepts them; returns both session paths once
    both chat streams are connected (MSRPChat1.DidStart)."""
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    pa = a.daemon.create_session()
    a.call(pa, 'New', v('(sosbb)', (b.uri(), '/', '', audio, chat)))
    pb, args = new_incoming(b, seen)
    assert args[1:] == (audio, chat), args
    b.call(pb, 'Accept', v('(bb)', (audio, chat)))
    a.wait(pa, 'DidStart')
    b.wait(pb, 'DidStart')
    if chat:
        a.wait(pa + '/Chat', 'DidStart', CI)
        b.wait(pb + '/Chat', 'DidStart', CI)
    return pa, pb


def hang_up(a, b, pa, pb):
    a.call(pa, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')


def send(p, path, content, content_type='text/plain', to_uri='', timestamp=0, iface=SI):
    return p.call(path, 'SendMessage', v('(sssx)', (content, content_type, to_uri, timestamp)),
                  iface=iface)[0]


def got_messages(p, path):
    """GotMessage args without the timestamp: (content, type, headers, message_id)"""
    return [tuple(s[1:]) for s in p.signals(path, 'GotMessage')]


def delivered_ids(p, path):
    return [s[1] for s in p.signals(path, 'DidDeliverMessage')]


def wait_messages(p, path, n, timeout=TIMEOUT):
    assert sipsd.wait_until(lambda: len(got_messages(p, path)) >= n, timeout, interval=0.02), \
        '%d of %d messages\n%s' % (len(got_messages(p, path)), n, p.daemon.stderr_text()[-3000:])


def wait_delivered(p, path, n, timeout=TIMEOUT):
    assert sipsd.wait_until(lambda: len(delivered_ids(p, path)) >= n, timeout, interval=0.02), \
        '%d of %d reports; not delivered: %s\n%s' % (
            len(delivered_ids(p, path)), n, p.signals(path, 'DidNotDeliverMessage'),
            p.daemon.stderr_text()[-3000:])


def check_exchange(a, b, pa, pb):
    """A message each way with its CPIM headers and delivery reports."""
    a_uri, b_uri = a.get(pa, 'LocalUri'), b.get(pb, 'LocalUri')
    n_a, n_b = len(got_messages(a, pa)), len(got_messages(b, pb))
    d_a, d_b = len(delivered_ids(a, pa)), len(delivered_ids(b, pb))
    c_a = len(a.signals(pa + '/Chat', 'DidDeliverMessage', CI))
    c_b = len(b.signals(pb + '/Chat', 'GotMessage', CI))

    text = 'Hello B \u00e9\u20ac, lunch at noon?'
    when = 1714557600 * 1000000 + 250000  # 2024-05-01T10:00:00.25Z
    mid = send(a, pa, text, 'text/plain; charset=utf-8', '', when)
    wait_messages(b, pb, n_b + 1)
    wait_delivered(a, pa, d_a + 1)
    content, ctype, headers, got_id = got_messages(b, pb)[n_b]
    assert (content, ctype, got_id) == (text, 'text/plain; charset=utf-8', mid)
    assert headers['From'].endswith('<%s>' % a_uri), headers
    assert headers['To'] == '<%s>' % a.get(pa, 'RemoteUri'), headers
    assert headers['To'] == '<%s>' % b_uri, headers
    assert headers['DateTime'].startswith('2024-05-01T10:00:00.25'), headers
    report = a.signals(pa, 'DidDeliverMessage')[d_a]
    assert report[1:] == (mid, 200, 'OK'), report
    # the same on MSRPChat1 (it follows the Session1 signal)
    assert b.wait(pb + '/Chat', 'GotMessage', CI, count=c_b + 1)[1:] == \
        b.signals(pb, 'GotMessage')[n_b][1:]
    assert a.wait(pa + '/Chat', 'DidDeliverMessage', CI, count=c_a + 1)[1:] == report[1:]

    # the other way, through MSRPChat1.SendMessage, to another URI, HTML
    mid2 = send(b, pb + '/Chat', '<b>Sure!</b>', 'text/html', 'sip:alice@desk.example.com',
                iface=CI)
    assert mid2 != mid
    wait_messages(a, pa, n_a + 1)
    wait_delivered(b, pb, d_b + 1)
    content, ctype, headers, got_id = got_messages(a, pa)[n_a]
    assert (content, ctype, got_id) == ('<b>Sure!</b>', 'text/html', mid2)
    assert headers['From'].endswith('<%s>' % b_uri), headers
    assert headers['To'] == '<sip:alice@desk.example.com>', headers
    assert headers['DateTime'][:4].isdigit(), headers
    assert b.signals(pb, 'DidDeliverMessage')[d_b][1:] == (mid2, 200, 'OK')
    assert not a.signals(pa, 'DidNotDeliverMessage') and not b.signals(pb, 'DidNotDeliverMessage')


def check_chat_object(p, path, use_tls):
    chat = path + '/Chat'
    assert p.get(path, 'ChatTransport') == chat
    assert p.get(path, 'HasChat') is True
    props = p.daemon.get_all(chat, CI)
    assert props['State'] == 'started' and props['UseTls'] is use_tls, props
    scheme = 'msrps' if use_tls else 'msrp'
    assert len(props['LocalPath']) == 1 and props['LocalPath'][0].startswith(
        scheme + '://127.0.0.1:'), props
    assert len(props['RemotePath']) == 1 and props['RemotePath'][0].startswith(
        scheme + '://127.0.0.1:'), props
    assert p.object_events(chat)[:1] == ['InterfacesAdded']
    return props


def msrp_port(path_uri):
    return int(path_uri.split('://', 1)[1].split('/', 1)[0].rsplit(':', 1)[1])


def test_chat_only_tls(tls_pair):
    a, b = tls_pair
    pa, pb = establish(a, b)
    assert a.get(pa, 'HasAudio') is False and b.get(pb, 'HasAudio') is False
    pa_props = check_chat_object(a, pa, True)
    check_chat_object(b, pb, True)
    # each side's remote path is the other's local path
    assert pa_props['RemotePath'] == b.daemon.get(pb + '/Chat', CI, 'LocalPath')
    assert a.signals(pa + '/Chat', 'DidInitialize', CI), 'no DidInitialize'
    check_exchange(a, b, pa, pb)

    # is-composing both ways
    a.call(pa, 'SendComposingIndication', v('(s)', ('active',)))
    assert b.wait(pb, 'GotComposingIndication')[1:] == ('active', 120)
    b.call(pb, 'SendComposingIndication', v('(s)', ('idle',)))
    assert a.wait(pa, 'GotComposingIndication')[1:] == ('idle', 0)
    sipsd.expect_error('InvalidArgument', a.call, pa, 'SendComposingIndication',
                       v('(s)', ('typing',)))

    # junk on B's MSRP port mid-chat: the daemon survives and the chat goes on
    port = msrp_port(b.daemon.get(pb + '/Chat', CI, 'LocalPath')[0])
    for junk in (b'GET / HTTP/1.0\r\n\r\n', b'\x16\x03\x01\x00\x05hello',
                 b'MSRP x SEND\r\nTo-Path: msrp://nowhere/x;tcp\r\n\r\n-------x$\r\n',
                 bytes(random.Random(4975).getrandbits(8) for _ in range(4096))):
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(4096)
            except OSError:
                pass
    check_exchange(a, b, pa, pb)

    # 200 messages in a burst: all arrive in order, each with its report
    n_b, d_a = len(got_messages(b, pb)), len(delivered_ids(a, pa))
    ids = [send(a, pa, 'message %03d' % i) for i in range(200)]
    wait_messages(b, pb, n_b + 200, 30)
    wait_delivered(a, pa, d_a + 200, 30)
    got = got_messages(b, pb)[n_b:]
    assert [g[0] for g in got] == ['message %03d' % i for i in range(200)]
    assert [g[3] for g in got] == ids
    assert sorted(delivered_ids(a, pa)[d_a:]) == sorted(ids)

    # 2 MiB in one message (64 KiB chunks on the wire), intact
    rnd = random.Random(2)
    big = ''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz0123456789 \n') for _ in range(2 << 20))
    n_a, d_b = len(got_messages(a, pa)), len(delivered_ids(b, pb))
    mid = send(b, pb, big)
    wait_messages(a, pa, n_a + 1, 30)
    wait_delivered(b, pb, d_b + 1, 30)
    content, ctype, headers, got_id = got_messages(a, pa)[n_a]
    assert got_id == mid and ctype == 'text/plain'
    assert hashlib.sha256(content.encode()).digest() == hashlib.sha256(big.encode()).digest()

    # the session ends: the chat streams end and their objects go
    hang_up(a, b, pa, pb)
    for p, path in ((a, pa), (b, pb)):
        p.wait(path + '/Chat', 'DidEnd', CI)
        assert sipsd.wait_until(lambda: p.object_events(path + '/Chat') ==
                                ['InterfacesAdded', 'InterfacesRemoved'], 5), \
            p.object_events(path + '/Chat')
        assert not p.signals(path, 'DidFail') and not p.signals(path + '/Chat', 'DidFail', CI)
        assert p.get(path, 'HasChat') is False and p.get(path, 'ChatTransport') == '/'
    assert b.daemon.proc.poll() is None


def test_chat_only_tcp():
    a, b = make_pair(False)
    try:
        pa, pb = establish(a, b)
        check_chat_object(a, pa, False)
        check_chat_object(b, pb, False)
        check_exchange(a, b, pa, pb)
        # not UTF-8 content cannot be given over D-Bus ('s'); a binary type goes as text
        mid = send(b, pb, 'AAEC', 'application/octet-stream')
        wait_delivered(b, pb, 2)
        assert got_messages(a, pa)[-1][:2] == ('AAEC', 'application/octet-stream')
        assert got_messages(a, pa)[-1][3] == mid
        hang_up(a, b, pa, pb)
    finally:
        a.stop()
        b.stop()


def test_chat_added_to_and_removed_from_audio(tls_pair):
    a, b = tls_pair
    pa, pb = establish(a, b, audio=True, chat=False)
    assert a.get(pa, 'HasChat') is False and a.get(pa, 'ChatTransport') == '/'
    sipsd.expect_error('InvalidState', send, a, pa, 'no chat yet')
    sipsd.expect_error('InvalidState', a.call, pa, 'RemoveChat')

    a.call(pa, 'AddChat')
    assert a.wait(pa, 'GotStreamProposal')[1:] == ('local', False, True)
    assert b.wait(pb, 'GotStreamProposal')[1:] == ('remote', False, True)
    b.call(pb, 'AcceptProposal')
    a.wait(pa, 'AcceptedStreamProposal')
    b.wait(pb, 'AcceptedStreamProposal')
    a.wait(pa + '/Chat', 'DidStart', CI)
    b.wait(pb + '/Chat', 'DidStart', CI)
    for p, path in ((a, pa), (b, pb)):
        assert sipsd.wait_until(lambda: p.get(path, 'HasChat') is True, 5)
        assert p.get(path, 'HasAudio') is True
        check_chat_object(p, path, True)
    check_exchange(a, b, pa, pb)

    # B removes it: the audio goes on
    b.call(pb, 'RemoveChat')
    for p, path in ((a, pa), (b, pb)):
        p.wait(path + '/Chat', 'DidEnd', CI)
        assert sipsd.wait_until(lambda: p.get(path, 'HasChat') is False and
                                p.get(path, 'State') == 'ESTABLISHED', 5)
        assert p.get(path, 'ChatTransport') == '/'
        assert sipsd.wait_until(lambda: p.object_events(path + '/Chat')[-1] ==
                                'InterfacesRemoved', 5)
        assert p.get(path, 'HasAudio') is True
        assert sipsd.wait_until(lambda: p.get(path, 'AudioWasReceived') is True, 5)
    sipsd.expect_error('InvalidState', send, a, pa, 'gone')
    # audio still arrives: the received port stays the peer's
    assert a.get(pa, 'AudioRemoteRtpPortReceived') == b.get(pb, 'AudioLocalRtpPort')
    members = [m for m in ('RejectedStreamProposal', 'DidFail')
               if a.signals(pa, m) or b.signals(pb, m)]
    assert not members, members

    # added again: a new stream, messages flow
    a.call(pa, 'AddChat')
    b.wait(pb, 'GotStreamProposal', count=2)
    b.call(pb, 'AcceptProposal')
    a.wait(pa + '/Chat', 'DidStart', CI, count=2)
    b.wait(pb + '/Chat', 'DidStart', CI, count=2)
    check_exchange(a, b, pa, pb)

    # A removes the audio: a chat-only session goes on
    a.call(pa, 'RemoveAudio')
    for p, path in ((a, pa), (b, pb)):
        assert sipsd.wait_until(lambda: p.get(path, 'HasAudio') is False and
                                p.get(path, 'State') == 'ESTABLISHED', 5)
        assert p.get(path, 'HasChat') is True and p.get(path, 'ChatTransport') == path + '/Chat'
    sipsd.expect_error('InvalidState', a.call, pa, 'RemoveChat')
    check_exchange(a, b, pa, pb)
    hang_up(a, b, pa, pb)
    assert not a.signals(pa + '/Chat', 'DidFail', CI) and not b.signals(pb + '/Chat', 'DidFail', CI)


def test_chat_and_audio_accept_only_audio(tls_pair):
    """Both offered, B takes only audio: no chat on either side, the call goes on."""
    a, b = tls_pair
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    pa = a.daemon.create_session()
    a.call(pa, 'New', v('(sosbb)', (b.uri(), '/', '', True, True)))
    pb, args = new_incoming(b, seen)
    assert args[1:] == (True, True)
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    a.wait(pa, 'DidStart')
    for p, path in ((a, pa), (b, pb)):
        assert sipsd.wait_until(lambda: p.get(path, 'HasChat') is False and
                                p.get(path, 'ChatTransport') == '/', 5)
        assert p.get(path, 'HasAudio') is True
    # A's offered stream was announced and went
    assert sipsd.wait_until(lambda: a.object_events(pa + '/Chat') ==
                            ['InterfacesAdded', 'InterfacesRemoved'], 5), \
        a.object_events(pa + '/Chat')
    assert not b.object_events(pb + '/Chat')
    hang_up(a, b, pa, pb)


def test_accept_chat_not_offered(tls_pair):
    a, b = tls_pair
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    pa = a.daemon.create_session()
    a.call(pa, 'New', v('(sosbb)', (b.uri(), '/', '', True, False)))
    pb, _ = new_incoming(b, seen)
    sipsd.expect_error('InvalidArgument', b.call, pb, 'Accept', v('(bb)', (True, True)))
    assert b.get(pb, 'State') == 'INCOMING'
    b.call(pb, 'Reject')
    a.wait(pa, 'DidEnd')


def test_peer_gone_fails_chat_only_session(tls_pair):
    """A peer that stops answering on MSRP: the chat fails (MSRPChat1.DidFail) and the
    chat-only session fails with it (DidFail local 0, then DidEnd)."""
    a, b = tls_pair
    pa, pb = establish(a, b)
    c = Peer(True)
    try:
        # C is a third daemon whose MSRP stream we break by stopping it mid-chat
        seen = {r[0] for r in c.rec.records if r[2] == 'NewIncoming'}
        pa2 = a.daemon.create_session()
        a.call(pa2, 'New', v('(sosbb)', (c.uri(), '/', '', False, True)))
        pc, _ = new_incoming(c, seen)
        c.call(pc, 'Accept', v('(bb)', (False, True)))
        a.wait(pa2 + '/Chat', 'DidStart', CI)
        c.daemon.kill()
        fail = a.wait(pa2 + '/Chat', 'DidFail', CI, timeout=20)
        assert fail[1], fail
        a.wait(pa2 + '/Chat', 'DidEnd', CI)
        did_fail = a.wait(pa2, 'DidFail', timeout=20)
        assert did_fail[1:3] == ('local', 0), did_fail
        a.wait(pa2, 'DidEnd')
    finally:
        c.rec.close()
        c.daemon.cleanup()
        c.bus.stop()
    # the other chat is untouched
    check_exchange(a, b, pa, pb)
    hang_up(a, b, pa, pb)
