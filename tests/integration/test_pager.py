"""Pager-mode instant messages (RFC 3428 SIP MESSAGE): Account1.SendMessage,
DidDeliverMessage / DidNotDeliverMessage, GotMessage.

Between two real daemons directly (UDP, TCP) and through a real kamailio (registered
users, MESSAGE relayed by lookup("location") + t_relay, proxy auth), against sipp UASs
(486, digest challenge) and raw MESSAGEs on the wire (CPIM, non-UTF-8 bodies). Each
daemon is on its own private bus; both buses dispatch on this process's main loop."""

import base64
import os
import re
import signal
import socket
import subprocess
import uuid

import pytest

import peers as peers_module
import sipsd
from sipsd import v, expect_error
from test_sipsimplectl import LineReader, failed, ok

AI = sipsd.ACCOUNT_IFACE
RI = sipsd.REGISTRATION_IFACE
ACCOUNT0 = sipsd.ACCOUNT0
TIMEOUT = 10
TIME = r'\d\d:\d\d:\d\d\.\d{3}'
UTF8_TEXT = 'Grüße aus Köln – ¿qué tal? 你好 👋'


class Peer:
    """A daemon on a bus of its own, with a recorder of its signals."""

    def __init__(self, settings=None):
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings=settings)
        try:
            self.daemon.start(['--verbose'] if os.environ.get('SIPSD_VERBOSE') else [])
        except Exception:
            self.bus.stop()
            raise
        self.rec = sipsd.SignalRecorder(self.bus.connection(), '/')

    def uri(self, user='anyone', transport=None):
        port = self.daemon.ports['tcp' if transport == 'tcp' else 'udp']
        return 'sip:%s@127.0.0.1:%d%s' % (user, port,
                                          ';transport=%s' % transport if transport else '')

    def send(self, text, to_uri, content_type='', account=ACCOUNT0):
        return self.daemon.call(account, AI, 'SendMessage',
                                v('(sss)', (to_uri, text, content_type)), '(s)')[0]

    def signals(self, member, path=None, iface=AI):
        return [r[3] for r in self.rec.records
                if r[1] == iface and r[2] == member and (path is None or r[0] == path)]

    def paths(self, member, iface=AI):
        return [r[0] for r in self.rec.records if r[1] == iface and r[2] == member]

    def wait(self, member, predicate=lambda args: True, path=None, iface=AI, timeout=TIMEOUT):
        """The first `member` signal (its args) that satisfies predicate, or fail."""
        def find():
            for args in self.signals(member, path, iface):
                if predicate(args):
                    return args
            return None
        found = sipsd.wait_until(find, timeout, interval=0.02)
        assert found, '%s not seen; got %s; stderr tail:\n%s' % (
            member, [(r[0], r[2]) for r in self.rec.records if r[1] in (AI, RI)],
            self.daemon.stderr_text()[-4000:])
        return found

    def report(self, message_id, timeout=TIMEOUT):
        """('DidDeliverMessage' | 'DidNotDeliverMessage', code, reason) for message_id."""
        def find():
            for r in self.rec.records:
                if r[1] == AI and r[2] in ('DidDeliverMessage', 'DidNotDeliverMessage') \
                        and r[3][1] == message_id:
                    return (r[2], r[3][2], r[3][3])
            return None
        found = sipsd.wait_until(find, timeout, interval=0.02)
        assert found, 'no delivery report for %s; stderr tail:\n%s' % (
            message_id, self.daemon.stderr_text()[-4000:])
        return found

    def stop(self):
        self.rec.close()
        try:
            self.daemon.stop()
            err = self.daemon.stderr_text()
            assert 'Sanitizer' not in err and 'runtime error' not in err, err[-6000:]
        finally:
            self.daemon.cleanup()
            self.bus.stop()


@pytest.fixture
def peers():
    made = []

    def make(settings=None):
        p = Peer(settings)
        made.append(p)
        return p
    yield make
    for p in made:
        print('---- sipsimpled stderr (udp %d)\n%s' % (p.daemon.ports['udp'],
                                                       p.daemon.stderr_text()[-8000:]))
        p.stop()




def local_uri(peer):
    """The From URI of a peer's account 0 (sip:local@HOST)."""
    return 'sip:' + peer.daemon.get(ACCOUNT0, AI, 'Id')


# ---------------------------------------------------------------- two daemons directly

@pytest.mark.parametrize('transport', [None, 'tcp'])
def test_direct_both_ways(peers, transport):
    a, b = peers(), peers()

    # A -> B: account 0 of B takes it (no account of B has the user part "anyone")
    mid = a.send(UTF8_TEXT, b.uri('anyone', transport))
    assert mid
    ts, from_uri, content, ctype, cpim, got_id = b.wait('GotMessage', path=ACCOUNT0)
    assert ts > 0
    assert content == UTF8_TEXT
    assert ctype == 'text/plain'
    assert cpim == {}
    assert from_uri == local_uri(a)
    assert got_id == mid, 'the message id is the MESSAGE\'s Call-ID on both sides'
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')

    # B -> A, another content type
    mid2 = b.send('<b>bold</b> ünïcode', a.uri('x', transport), 'text/html')
    assert mid2 != mid
    args = a.wait('GotMessage', path=ACCOUNT0)
    assert args[2:4] == ('<b>bold</b> ünïcode', 'text/html')
    assert args[1] == local_uri(b)
    assert args[5] == mid2
    assert b.report(mid2) == ('DidDeliverMessage', 200, 'OK')

    # nothing reported twice, nothing on the sender's side as received
    sipsd.run_loop(0.3)
    assert len(a.signals('DidDeliverMessage')) == 1 and len(b.signals('DidDeliverMessage')) == 1
    assert len(a.signals('GotMessage')) == 1 and len(b.signals('GotMessage')) == 1
    assert not a.signals('DidNotDeliverMessage') and not b.signals('DidNotDeliverMessage')


def test_body_limit_without_congestion_control(peers):
    """RFC 3428 §8: over 1300 bytes only over TCP/TLS; refused (not truncated) for UDP."""
    a, b = peers({'TlsVerifyServer': False}), peers({'TlsVerifyServer': False})
    limit = 'é' * 650                       # 1300 bytes of UTF-8
    mid = a.send(limit, b.uri())
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    assert b.wait('GotMessage', lambda g: g[5] == mid)[2] == limit

    msg = expect_error('InvalidArgument', a.send, limit + 'x', b.uri())
    assert '1300' in msg and 'TCP' in msg, msg
    expect_error('InvalidArgument', a.send, limit + 'x', b.uri(transport='udp'))

    big = ''.join('line %04d: %s\n' % (i, UTF8_TEXT) for i in range(200))   # ~10 kB
    mid = a.send(big, b.uri(transport='tcp'))
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    assert b.wait('GotMessage', lambda g: g[5] == mid)[2] == big, 'arrives whole'
    mid = a.send(big, 'sips:anyone@127.0.0.1:%d' % b.daemon.ports['tls'])
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    assert b.wait('GotMessage', lambda g: g[5] == mid)[2] == big
    sipsd.run_loop(0.3)
    assert len(b.signals('GotMessage')) == 3


def test_routed_to_the_account_like_an_invite(peers):
    """Request-URI user part = an enabled account's user part -> that account; else 0."""
    a, b = peers(), peers()
    bob = b.daemon.add_account('bob@example.com', {'Register': v('b', False)})
    carol = b.daemon.add_account('carol@example.com', {'Register': v('b', False),
                                                        'Enabled': v('b', False)})
    for user, path in (('bob', bob), ('carol', ACCOUNT0), ('nobody', ACCOUNT0)):
        mid = a.send('for %s' % user, b.uri(user))
        assert a.report(mid)[0] == 'DidDeliverMessage'
        got = b.wait('GotMessage', lambda g: g[5] == mid)
        assert got[2] == 'for %s' % user
        assert b.paths('GotMessage')[-1] == path, (user, b.paths('GotMessage'))
    assert carol not in b.paths('GotMessage')

    # sent from an added account: its address is the From
    alice = a.daemon.add_account('alice@example.com', {'Register': v('b', False),
                                                       'DisplayName': v('s', 'Alice')})
    mid = a.send('from alice', b.uri('bob'), account=alice)
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    assert a.paths('DidDeliverMessage')[-1] == alice
    got = b.wait('GotMessage', lambda g: g[5] == mid)
    assert got[1] == 'sip:alice@example.com'


# ---------------------------------------------------------------- through kamailio

def register(peer, kam, user, password):
    path = peer.daemon.add_account('%s@%s' % (user, kam.hostport), {'Password': v('s', password)})
    peer.wait('DidSucceed', path=path, iface=RI)
    return path


def test_through_kamailio(kam_factory, peers):
    kam = kam_factory(users={'alice': 'a-secret', 'bob': 'b-secret'}, proxy_auth=True)
    a, b = peers(), peers()
    alice = register(a, kam, 'alice', 'a-secret')
    bob = register(b, kam, 'bob', 'b-secret')

    # alice -> bob: kamailio challenges (407), the daemon answers once, kamailio relays
    mid = a.send(UTF8_TEXT, 'sip:bob@%s' % kam.hostport, account=alice)
    got = b.wait('GotMessage', lambda g: g[5] == mid, path=bob)
    assert got[1:5] == ('sip:alice@%s' % kam.hostport, UTF8_TEXT, 'text/plain', {})
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    assert a.paths('DidDeliverMessage') == [alice]
    messages = kam.requests('MESSAGE')
    assert len(messages) == 2, messages         # the challenged one and the answer
    routed = [e for e in kam.events('ROUTED') if e['method'] == 'MESSAGE']
    assert len(routed) == 1 and routed[0]['ruri'].startswith('sip:bob@127.0.0.1:%d' %
                                                             b.daemon.ports['udp']), routed

    # bob -> alice
    mid = b.send('Antwort: ça va 👍', 'sip:alice@%s' % kam.hostport, account=bob)
    got = a.wait('GotMessage', lambda g: g[5] == mid, path=alice)
    assert got[1:3] == ('sip:bob@%s' % kam.hostport, 'Antwort: ça va 👍')
    assert b.report(mid) == ('DidDeliverMessage', 200, 'OK')

    # over 1300 bytes: refused towards kamailio over UDP, sent through it as the
    # outbound proxy over TCP
    long_text = 'ü' * 1000
    expect_error('InvalidArgument', a.send, long_text, 'sip:bob@%s' % kam.hostport,
                 account=alice)
    a.daemon.set(alice, AI, 'OutboundProxy', v('s', 'sip:%s;transport=tcp' % kam.hostport))
    mid = a.send(long_text, 'sip:bob@%s' % kam.hostport, account=alice)
    assert b.wait('GotMessage', lambda g: g[5] == mid, path=bob)[2] == long_text
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    assert kam.requests('MESSAGE')[-1]['proto'] == 'tcp', kam.requests('MESSAGE')

    # a user kamailio has no binding for: its 404
    mid = a.send('anyone there?', 'sip:carol@%s' % kam.hostport, account=alice)
    assert a.report(mid) == ('DidNotDeliverMessage', 404, 'Not Found')
    assert kam.events('NOTFOUND')[-1]['method'] == 'MESSAGE'
    sipsd.run_loop(0.3)
    assert len(a.signals('GotMessage')) == 1 and len(b.signals('GotMessage')) == 2


def test_wrong_proxy_password_answered_once(kam_factory, peers):
    kam = kam_factory(users={'alice': 'a-secret', 'bob': 'b-secret'}, proxy_auth=True)
    a, b = peers(), peers()
    alice = register(a, kam, 'alice', 'a-secret')
    register(b, kam, 'bob', 'b-secret')
    a.daemon.set(alice, AI, 'Password', v('s', 'wrong'))
    n = len(kam.requests('MESSAGE'))
    mid = a.send('hello', 'sip:bob@%s' % kam.hostport, account=alice)
    assert a.report(mid)[:2] == ('DidNotDeliverMessage', 407)
    sipsd.run_loop(0.5)
    assert len(kam.requests('MESSAGE')) == n + 2, 'one challenge answered, then no more'
    assert not b.signals('GotMessage')
    assert 'wrong' not in a.daemon.stderr_text()


# ---------------------------------------------------------------- sipp

def test_sipp_busy_gives_486(peers, sipp):
    a = peers()
    uas = sipp('uas_message_486.xml').start()
    mid = a.send('are you there?', uas.uri())
    assert a.report(mid) == ('DidNotDeliverMessage', 486, 'Busy Here')
    assert uas.wait(10) == 0, uas.describe()
    assert not a.signals('DidDeliverMessage')


@pytest.mark.parametrize('password', ['secret', 'wrong'])
def test_sipp_digest_challenge_answered_once(peers, sipp, password):
    a = peers()
    uas = sipp('uas_message_auth.xml', keys={'user': 'alice', 'pass': 'secret'}).start()
    alice = a.daemon.add_account('alice@example.com', {'Register': v('b', False),
                                                       'Password': v('s', password)})
    mid = a.send('let me in', uas.uri(), account=alice)
    if password == 'secret':
        assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    else:
        assert a.report(mid) == ('DidNotDeliverMessage', 401, 'Unauthorized')
    # sipp fails its call on a third MESSAGE (an answer to the second challenge)
    assert uas.wait(10) == 0, uas.describe()
    log = uas.messages()
    assert log.count('MESSAGE sip:') == 2, log
    assert 'username="alice"' in log
    assert password not in a.daemon.stderr_text()


def test_no_credentials_gives_the_challenge(peers, sipp):
    a = peers()
    uas = sipp('uas_message_auth.xml', keys={'user': 'alice', 'pass': 'secret'}).start()
    mid = a.send('let me in', uas.uri())            # account 0: no password
    assert a.report(mid) == ('DidNotDeliverMessage', 401, 'Unauthorized')
    uas.stop()
    assert uas.messages().count('MESSAGE sip:') == 1


# ---------------------------------------------------------------- bad input

def test_bad_input_changes_nothing(peers):
    a, b = peers(), peers()
    target = b.uri()
    for uri in ('', 'bob', 'bob@example.com', 'http://example.com/', 'sip:', 'sip:bob@',
                'sip:bob@exa mple.com', 'sip:bob@example.com;transport=sctp',
                'sip:b>o<b@example.com', 'sip:"bob"@example.com'):
        expect_error('InvalidArgument', a.send, 'hello', uri)
    expect_error('InvalidArgument', a.send, '', target)
    for ctype in ('text', 'text/', '/plain', 'text/plain\r\nX-Evil: 1', 'te xt/plain'):
        expect_error('InvalidArgument', a.send, 'hello', target, ctype)
    expect_error('org.freedesktop.DBus.Error.UnknownMethod', a.daemon.call, '/org/sipsimple/Account/9', AI, 'SendMessage',
                 v('(sss)', (target, 'hello', '')), '(s)')

    # a disabled account sends nothing; enabled again, it does
    alice = a.daemon.add_account('alice@example.com', {'Register': v('b', False),
                                                       'Enabled': v('b', False)})
    msg = expect_error('InvalidState', a.send, 'hello', target, account=alice)
    assert 'disabled' in msg
    a.daemon.set(ACCOUNT0, AI, 'Enabled', v('b', False))
    expect_error('InvalidState', a.send, 'hello', target)
    sipsd.run_loop(0.5)
    assert not b.signals('GotMessage')
    assert not [r for r in a.rec.records if r[2] in ('DidDeliverMessage', 'DidNotDeliverMessage')]

    a.daemon.set(alice, AI, 'Enabled', v('b', True))
    mid = a.send('hello', target, 'text/plain;charset=utf-8', account=alice)
    assert a.report(mid)[0] == 'DidDeliverMessage'
    assert b.wait('GotMessage')[2:4] == ('hello', 'text/plain')


# ---------------------------------------------------------------- on the wire

def raw_message(sock, port, body, content_type='text/plain', user='bob', call_id=None):
    """Sends a MESSAGE over UDP from sock to 127.0.0.1:port; returns its Call-ID."""
    local = sock.getsockname()[1]
    call_id = call_id or uuid.uuid4().hex
    head = ('MESSAGE sip:%s@127.0.0.1:%d SIP/2.0\r\n'
            'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n'
            'Max-Forwards: 70\r\n'
            'From: <sip:raw@127.0.0.1:%d>;tag=%s\r\n'
            'To: <sip:%s@127.0.0.1:%d>\r\n'
            'Call-ID: %s\r\n'
            'CSeq: 1 MESSAGE\r\n'
            'Content-Type: %s\r\n'
            'Content-Length: %d\r\n\r\n'
            % (user, port, local, uuid.uuid4().hex, local, uuid.uuid4().hex[:8], user, port,
               call_id, content_type, len(body)))
    sock.sendto(head.encode() + body, ('127.0.0.1', port))
    return call_id


def final_status(sock, call_id, timeout=5.0):
    sock.settimeout(timeout)
    while True:
        data = sock.recv(65535).decode(errors='replace')
        if call_id in data and not data.startswith('SIP/2.0 1'):
            return int(data.split(' ', 2)[1])


@pytest.fixture
def udp_sock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    yield s
    s.close()


def test_incoming_cpim_and_non_utf8(peers, udp_sock):
    b = peers()
    port = b.daemon.ports['udp']

    cpim = ('From: Raw Sender <sip:raw@example.com>\r\n'
            'To: <sip:bob@example.com>\r\n'
            'DateTime: 2026-12-07T10:00:00Z\r\n'
            'Subject: Test\r\n'
            '\r\n'
            'Content-Type: text/plain;charset=utf-8\r\n'
            '\r\n' + UTF8_TEXT).encode()
    cid = raw_message(udp_sock, port, cpim, 'message/cpim')
    assert final_status(udp_sock, cid) == 200
    got = b.wait('GotMessage', lambda g: g[5] == cid)
    assert got[1] == 'sip:raw@127.0.0.1:%d' % udp_sock.getsockname()[1]
    assert got[2] == UTF8_TEXT
    assert got[3].startswith('text/plain')
    assert got[4]['From'] == 'Raw Sender <sip:raw@example.com>'
    assert got[4]['Subject'] == 'Test' and got[4]['DateTime'] == '2026-12-07T10:00:00Z'

    latin1 = 'café crème'.encode('latin-1')
    cid = raw_message(udp_sock, port, latin1, 'text/plain;charset=iso-8859-1')
    assert final_status(udp_sock, cid) == 200
    got = b.wait('GotMessage', lambda g: g[5] == cid)
    assert got[3] == 'text/plain'
    assert got[4] == {'Content-Transfer-Encoding': 'base64'}
    assert base64.b64decode(got[2]) == latin1

    # a broken CPIM body: 400, nothing reported
    cid = raw_message(udp_sock, port, b'no header block at all', 'message/cpim')
    assert final_status(udp_sock, cid) == 400
    sipsd.run_loop(0.3)
    assert not [g for g in b.signals('GotMessage') if g[5] == cid]
    assert len(b.signals('GotMessage')) == 2


# ---------------------------------------------------------------- sipsimplectl

def ctl(peer, *args, timeout=60):
    env = dict(os.environ, LC_ALL='C.UTF-8')
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    return subprocess.run([os.environ['SIPSIMPLECTL'], '--address', peer.bus.address] +
                          [str(a) for a in args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_ctl_message(peers, sipp):
    a, b = peers(), peers()
    out = ok(ctl(a, 'message', b.uri('bob'), UTF8_TEXT))
    mid, delivered = out.splitlines()
    assert delivered == 'delivered: 200 OK'
    assert b.wait('GotMessage', lambda g: g[5] == mid)[2] == UTF8_TEXT

    # an account named, a content type
    alice = a.daemon.add_account('alice@example.com', {'Register': v('b', False)})
    out = ok(ctl(a, 'message', 'alice@example.com', b.uri('bob'), '<i>hi</i>', '--type=text/html'))
    mid = out.splitlines()[0]
    got = b.wait('GotMessage', lambda g: g[5] == mid)
    assert got[1:4] == ('sip:alice@example.com', '<i>hi</i>', 'text/html')
    assert a.paths('DidDeliverMessage')[-1] == alice

    # not delivered: exit 1 with the code
    uas = sipp('uas_message_486.xml').start()
    r = ctl(a, 'message', uas.uri(), 'busy?')
    assert failed(r) == 'sipsimplectl: not delivered: 486 Busy Here\n'
    assert len(r.stdout.splitlines()) == 1          # the id

    # refused by the daemon: exit 1 with the error's short name; usage: exit 2
    assert failed(ctl(a, 'message', 'not-a-uri', 'x')).startswith(
        'sipsimplectl: InvalidArgument: ')
    a.daemon.set(alice, AI, 'Enabled', v('b', False))
    assert failed(ctl(a, 'message', 'account:alice@example.com', b.uri(), 'x')).startswith(
        'sipsimplectl: InvalidState: ')
    assert ctl(a, 'message', b.uri()).returncode == 2
    assert ctl(a, 'message', 'a', 'b', 'c', 'd').returncode == 2


def test_monitor_shows_pager_signals(peers):
    a, b = peers(), peers()
    env = dict(os.environ, LC_ALL='C.UTF-8')
    monitors = [subprocess.Popen([os.environ['SIPSIMPLECTL'], '--address', p.bus.address,
                                  'monitor'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, env=env) for p in (a, b)]
    try:
        readers = [LineReader(m.stdout) for m in monitors]
        for r in readers:
            assert r.wait_for(lambda l: l.startswith('Monitoring '))
        mid = a.send('über', b.uri())
        prefix = r'^%s %s Account1\.' % (TIME, re.escape(ACCOUNT0))
        line = readers[1].wait_for(lambda l: re.search(prefix + 'GotMessage ', l), TIMEOUT)
        assert line, readers[1].seen()
        assert "from_uri='%s'" % local_uri(a) in line and "content='über'" in line, line
        assert "content_type='text/plain'" in line and "message_id='%s'" % mid in line, line
        line = readers[0].wait_for(lambda l: re.search(prefix + 'DidDeliverMessage ', l), TIMEOUT)
        assert line, readers[0].seen()
        assert re.search(r"message_id='%s' code=200 reason='OK'$" % mid, line), line
    finally:
        for m in monitors:
            m.send_signal(signal.SIGINT)
            try:
                m.wait(10)
            except subprocess.TimeoutExpired:
                m.kill()
                m.wait()
            m.stdout.close()
            m.stderr.close()


def test_in_flight_when_the_stack_restarts_or_stops(peers, udp_sock):
    """A MESSAGE nobody answers: a rebind of the SIP transports takes its transaction
    with it (DidNotDeliverMessage 0); the new stack sends; a stop with one in flight is
    clean."""
    a, b = peers(), peers()
    silent = 'sip:nobody@127.0.0.1:%d' % udp_sock.getsockname()[1]
    mid = a.send('into the void', silent)
    udp_sock.settimeout(5)
    assert b'MESSAGE sip:nobody@' in udp_sock.recv(65535)
    sipsd.run_loop(0.2)
    assert not a.signals('DidNotDeliverMessage')
    a.daemon.set(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'SipUdpPort',
                 v('u', sipsd.free_ports(1)[0]))
    what, code, reason = a.report(mid)
    assert (what, code) == ('DidNotDeliverMessage', 0) and reason, (what, code, reason)

    mid = a.send('after the rebind', b.uri())
    assert a.report(mid) == ('DidDeliverMessage', 200, 'OK')
    a.send('never answered', silent)
    assert udp_sock.recv(65535).startswith(b'MESSAGE sip:nobody@')
    assert a.daemon.stop() == 0
    assert 'did not shut down in time' not in a.daemon.stderr_text(), a.daemon.stderr_text()


def test_message_inside_a_dialog(peers, sipp):
    """sipp calls, the daemon accepts, sipp sends a MESSAGE in the dialog: GotMessage on
    the account the call came to, 200; the call goes on to sipp's BYE."""
    b = peers(peers_module.LOOPBACK_SETTINGS)
    bob = b.daemon.add_account('bob@example.com', {'Register': v('b', False)})
    uac = sipp('uac_dialog_message.xml', remote='127.0.0.1:%d' % b.daemon.ports['udp'],
               service='bob').start()
    incoming = b.wait('NewIncoming', iface=sipsd.SESSION_IFACE)
    path = b.paths('NewIncoming', iface=sipsd.SESSION_IFACE)[0]
    assert incoming
    b.daemon.call(path, sipsd.SESSION_IFACE, 'Accept', v('(bb)', (True, False)))
    got = b.wait('GotMessage', path=bob)
    assert got[1].startswith('sip:sipp@127.0.0.1:'), got
    assert (got[2].rstrip('\r\n'), got[3]) == ('In the dialog', 'text/plain'), got
    b.wait('DidEnd', path=path, iface=sipsd.SESSION_IFACE)
    assert uac.wait(10) == 0, uac.describe()
