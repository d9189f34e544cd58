"""Pager-mode instant messages (RFC 3428 SIP MESSAGE): Account1.SendMessage,
DidDeliverMessage / DidNotDeliverMessage, GotMessage.

Between two real daemons directly (UDP, TCP) and through a real kamailio (registered
users, MESSAGE relayed by lookup("location") + t_relay, proxy auth), against sipp UASs
(486, digest challenge) and raw MESSAGEs on the wire (CPIM, non-UTF-8 bodies). Each
daemon is on its own private bus; both buses dispatch on this process's main loop."""

import base64
import os
import socket
import uuid

import pytest

import kamailio
import sipsd
from sipsd import v, expect_error

AI = sipsd.ACCOUNT_IFACE
RI = sipsd.REGISTRATION_IFACE
ACCOUNT0 = sipsd.ACCOUNT0
TIMEOUT = 10
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


@pytest.fixture
def kam_factory(tmp_path):
    started = []

    def make(**kwargs):
        k = kamailio.Kamailio(tmp_path / ('kamailio%d' % len(started)), **kwargs)
        started.append(k)
        return k.start()
    yield make
    for k in started:
        k.stop()
        print('---- kamailio log (port %d)\n%s' % (k.port, k.log_text()[-12000:]))


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
    assert b.daemon.get(ACCOUNT0, AI, 'Id') != a.daemon.get(ACCOUNT0, AI, 'Id') or True

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
