"""Two real daemons calling each other over loopback (UDP, TCP, TLS).

Each daemon owns org.sipsimple.Daemon1, so each gets its own private bus; both
buses dispatch on this process's main loop, so one wait sees the signals of both.
The full Session1 signal sequence is asserted on both sides."""

import os
import subprocess

import pytest

import sipsd
from sipsd import v

SI = sipsd.SESSION_IFACE
SEQ_MEMBERS = {'ChangedState', 'NewOutgoing', 'NewIncoming', 'GotRingIndication', 'WillStart',
               'DidStart', 'DidFail', 'WillEnd', 'DidEnd', 'GotHoldRequest',
               'GotUnholdRequest'}
TIMEOUT = 8


class Peer:
    """A daemon on its own bus, with a recorder of its signals."""

    def __init__(self, settings=None):
        # UDP and TCP share a port as in the defaults (5060/5060/5061): with different
        # ports the agent's Contact carries the wrong port (see the report)
        sip_port, tls_port = sipsd.free_ports(2)
        s = {'RTPConfiguration': {'LocalRtpAddress': '127.0.0.1'},
             'SipUdpPort': sip_port, 'SipTcpPort': sip_port, 'SipTlsPort': tls_port}
        s.update(settings or {})
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings=s)
        try:
            self.daemon.start(['--verbose'] if os.environ.get('SIPSD_VERBOSE') else [])
        except Exception:
            self.bus.stop()
            raise
        self.rec = sipsd.SignalRecorder(self.bus.connection(), sipsd.ROOT)

    @property
    def ports(self):
        return self.daemon.ports

    def uri(self, user='anyone', transport='udp'):
        if transport == 'tls':
            return 'sips:%s@127.0.0.1:%d' % (user, self.ports['tls'])
        if transport == 'tcp':
            return 'sip:%s@127.0.0.1:%d;transport=tcp' % (user, self.ports['tcp'])
        return 'sip:%s@127.0.0.1:%d' % (user, self.ports['udp'])

    def call(self, path, method, args=None):
        return self.daemon.call(path, SI, method, args)

    def props(self, path):
        return self.daemon.get_all(path, SI)

    def wait(self, path, member, originator=None, timeout=TIMEOUT):
        r = self.rec.wait_for(lambda r: r[0] == path and r[1] == SI and r[2] == member and
                              (originator is None or r[3][1] == originator), timeout)
        assert r, '%s: no %s within %ss; seen %s\nstderr tail:\n%s' % (
            path, member, timeout, self.events(path), self.daemon.stderr_text()[-3000:])
        return r[3]

    def wait_state(self, path, state, timeout=TIMEOUT):
        r = self.rec.wait_for(lambda r: r[0] == path and r[2] == 'ChangedState' and r[3][2] == state,
                              timeout)
        assert r, '%s: never %s; seen %s' % (path, state, self.events(path))

    def events(self, path):
        """The session's signals in order, without timestamps."""
        out = []
        for p, iface, member, args in self.rec.records:
            if p != path or iface != SI or member not in SEQ_MEMBERS:
                continue
            out.append((member,) + tuple(args[1:]))
        return out

    def stop(self):
        self.rec.close()
        try:
            self.daemon.stop()
        finally:
            self.daemon.cleanup()
            self.bus.stop()


@pytest.fixture(scope='module')
def pair():
    # A prefers PCMU; B has the default preference (opus G722 PCMU PCMA)
    with sipsd.two_peers(lambda: Peer({'AudioCodecs': ['PCMU', 'PCMA']}), Peer) as peers:
        yield peers


@pytest.fixture
def ab(pair):
    for p in pair:
        p.rec.clear()
    return pair


def place_call(a, b, uri=None, route=''):
    """A calls B; returns (A's session path, B's session path) once B rings."""
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    path = a.daemon.create_session()
    a.call(path, 'New', v('(sosbb)', (uri or b.uri(), '/', route, True, False)))
    r = b.rec.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming' and r[0] not in seen,
                       TIMEOUT)
    assert r, 'B got no call; A saw %s\nA stderr:\n%s' % (a.events(path),
                                                        a.daemon.stderr_text()[-3000:])
    return path, r[0]


def establish(a, b, **kw):
    pa, pb = place_call(a, b, **kw)
    a.wait(pa, 'GotRingIndication')
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    a.wait(pa, 'DidStart')
    b.wait(pb, 'DidStart')
    return pa, pb


OUT_START = [('NewOutgoing',), ('ChangedState', 'NULL', 'CALLING'), ('GotRingIndication',),
             ('WillStart',), ('ChangedState', 'CALLING', 'ESTABLISHED'), ('DidStart',)]
IN_START = [('NewIncoming', True, False), ('ChangedState', 'NULL', 'INCOMING'),
            ('ChangedState', 'INCOMING', 'ACCEPTING'), ('WillStart',),
            ('ChangedState', 'ACCEPTING', 'ESTABLISHED'), ('DidStart',)]
LOCAL_END = [('WillEnd',), ('ChangedState', 'ESTABLISHED', 'TERMINATING'),
             ('ChangedState', 'TERMINATING', 'TERMINATED'), ('DidEnd', 'local')]
REMOTE_END = [('ChangedState', 'ESTABLISHED', 'TERMINATED'), ('DidEnd', 'remote')]


def test_accept_then_caller_hangs_up(ab):
    a, b = ab
    pa, pb = establish(a, b)

    pa_props, pb_props = a.props(pa), b.props(pb)
    assert pa_props['State'] == pb_props['State'] == 'ESTABLISHED'
    assert pa_props['Direction'] == 'outgoing' and pb_props['Direction'] == 'incoming'
    # B answers with its preference among what A offered (PCMU PCMA): PCMU, on both sides
    for p in (pa_props, pb_props):
        assert p['HasAudio'] and not p['HasChat']
        assert p['AudioCodec'] == 'PCMU' and p['AudioSampleRate'] == 8000
        assert p['AudioLocalRtpAddress'] == '127.0.0.1'
        assert p['AudioRemoteRtpAddressSdp'] == '127.0.0.1'
        assert p['StartTime'] > 0 and p['StopTime'] == 0
        assert p['RemoteUserAgent'].startswith('sipsimpled')
        assert p['Account'] == sipsd.ACCOUNT0
        assert not p['OnHold']
    assert pa_props['AudioRemoteRtpPortSdp'] == pb_props['AudioLocalRtpPort'] != 0
    assert pb_props['AudioRemoteRtpPortSdp'] == pa_props['AudioLocalRtpPort'] != 0
    assert pa_props['AudioLocalRtpPort'] % 2 == 0
    assert pa_props['CalleeUri'] == pa_props['RemoteUri'] == b.uri()
    assert pa_props['CallerUri'] == pa_props['LocalUri']
    assert pa_props['LocalUri'].startswith('sip:local@')
    assert pb_props['CallerUri'] == pb_props['RemoteUri'] == pa_props['LocalUri']
    assert pb_props['CalleeUri'] == pb_props['LocalUri'] == b.uri()
    assert pa in a.daemon.get(sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE, 'Sessions')

    a.call(pa, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')
    assert a.events(pa) == OUT_START + LOCAL_END
    assert b.events(pb) == IN_START + REMOTE_END
    for p, path in ((a, pa), (b, pb)):
        props = p.props(path)
        assert props['State'] == 'TERMINATED' and props['StopTime'] >= props['StartTime'] > 0
        assert not props['HasAudio']
        assert path not in p.daemon.get(sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE,
                                        'Sessions')


def test_callee_hangs_up(ab):
    a, b = ab
    pa, pb = establish(a, b)
    b.call(pb, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')
    assert a.events(pa) == OUT_START + REMOTE_END
    assert b.events(pb) == IN_START + LOCAL_END


def test_callee_rejects(ab):
    a, b = ab
    pa, pb = place_call(a, b)
    a.wait(pa, 'GotRingIndication')
    b.call(pb, 'Reject')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')
    assert a.events(pa) == [('NewOutgoing',), ('ChangedState', 'NULL', 'CALLING'),
                            ('GotRingIndication',), ('ChangedState', 'CALLING', 'TERMINATED'),
                            ('DidFail', 'remote', 603, 'Decline'), ('DidEnd', 'remote')]
    assert b.events(pb) == [('NewIncoming', True, False), ('ChangedState', 'NULL', 'INCOMING'),
                            ('WillEnd',), ('ChangedState', 'INCOMING', 'TERMINATING'),
                            ('ChangedState', 'TERMINATING', 'TERMINATED'), ('DidEnd', 'local')]


def test_callee_terminates_while_ringing_is_busy(ab):
    a, b = ab
    pa, pb = place_call(a, b)
    a.wait(pa, 'GotRingIndication')
    b.call(pb, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')
    assert ('DidFail', 'remote', 486, 'Busy Here') in a.events(pa)
    assert b.events(pb)[-1] == ('DidEnd', 'local')


def test_caller_cancels(ab):
    a, b = ab
    pa, pb = place_call(a, b)
    a.wait(pa, 'GotRingIndication')
    a.call(pa, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')
    assert a.events(pa) == [('NewOutgoing',), ('ChangedState', 'NULL', 'CALLING'),
                            ('GotRingIndication',), ('WillEnd',),
                            ('ChangedState', 'CALLING', 'TERMINATING'),
                            ('ChangedState', 'TERMINATING', 'TERMINATED'), ('DidEnd', 'local')]
    assert b.events(pb) == [('NewIncoming', True, False), ('ChangedState', 'NULL', 'INCOMING'),
                            ('ChangedState', 'INCOMING', 'TERMINATED'),
                            ('DidFail', 'remote', 487, 'Request Terminated'),
                            ('DidEnd', 'remote')]
    # methods of the ended session are refused by state
    sipsd.expect_error('InvalidState', b.call, pb, 'Accept', v('(bb)', (True, False)))


def test_hold_and_unhold_both_ways(ab):
    a, b = ab
    pa, pb = establish(a, b)

    def hold_flags(p, path):
        props = p.props(path)
        return props['OnHoldByLocal'], props['OnHoldByRemote'], props['OnHold']

    a.call(pa, 'Hold')
    a.wait(pa, 'GotHoldRequest', 'local')
    b.wait(pb, 'GotHoldRequest', 'remote')
    assert hold_flags(b, pb) == (False, True, True)
    assert hold_flags(a, pa) == (True, False, True)

    b.call(pb, 'Hold')  # both hold: B offers a=inactive
    a.wait(pa, 'GotHoldRequest', 'remote')
    assert hold_flags(a, pa) == (True, True, True)
    assert hold_flags(b, pb) == (True, True, True)

    a.call(pa, 'Unhold')
    b.wait(pb, 'GotUnholdRequest', 'remote')
    assert hold_flags(b, pb) == (True, False, True)
    assert hold_flags(a, pa) == (False, True, True)

    b.call(pb, 'Unhold')
    a.wait(pa, 'GotUnholdRequest', 'remote')
    assert hold_flags(a, pa) == (False, False, False)
    assert hold_flags(b, pb) == (False, False, False)
    assert a.props(pa)['State'] == b.props(pb)['State'] == 'ESTABLISHED'
    # the session keeps its codec through the re-INVITEs
    assert a.props(pa)['AudioCodec'] == b.props(pb)['AudioCodec'] == 'PCMU'

    hold_seq = [e for e in a.events(pa) if e[0] in ('GotHoldRequest', 'GotUnholdRequest')]
    assert hold_seq == [('GotHoldRequest', 'local'), ('GotHoldRequest', 'remote'),
                        ('GotUnholdRequest', 'local'), ('GotUnholdRequest', 'remote')]
    hold_seq = [e for e in b.events(pb) if e[0] in ('GotHoldRequest', 'GotUnholdRequest')]
    assert hold_seq == [('GotHoldRequest', 'remote'), ('GotHoldRequest', 'local'),
                        ('GotUnholdRequest', 'remote'), ('GotUnholdRequest', 'local')]
    # RemoveAudio on an audio-only session: a session keeps at least one stream
    sipsd.expect_error('InvalidState', a.call, pa, 'RemoveAudio')

    b.call(pb, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')


def test_answerer_preference_wins(ab):
    a, b = ab
    # B offers opus G722 PCMU PCMA; A answers with its first: PCMU
    pb, pa = place_call(b, a)
    a.call(pa, 'Accept', v('(bb)', (True, False)))
    b.wait(pb, 'DidStart')
    a.wait(pa, 'DidStart')
    assert a.props(pa)['AudioCodec'] == b.props(pb)['AudioCodec'] == 'PCMU'
    assert b.props(pb)['Account'] == sipsd.ACCOUNT0
    b.call(pb, 'Terminate')
    a.wait(pa, 'DidEnd')


def test_request_uri_user_selects_account(ab):
    a, b = ab
    acct = b.daemon.add_account('bob@example.com', {'Register': v('b', False)})
    pa, pb = place_call(a, b, uri=b.uri('bob'))
    assert b.props(pb)['Account'] == acct
    b.call(pb, 'Reject')
    a.wait(pa, 'DidEnd')
    pa, pb = place_call(a, b, uri=b.uri('carol'))
    assert b.props(pb)['Account'] == sipsd.ACCOUNT0
    b.call(pb, 'Reject')
    a.wait(pa, 'DidEnd')


def test_unreachable_tcp_peer_fails(ab):
    a, _ = ab
    dead = sipsd.free_port('tcp')
    path = a.daemon.create_session()
    a.call(path, 'New', v('(sosbb)', ('sip:nobody@127.0.0.1:%d' % dead, '/',
                                      'sip:127.0.0.1:%d;transport=tcp' % dead, True, False)))
    a.wait(path, 'DidEnd')
    ev = a.events(path)
    assert ev[:2] == [('NewOutgoing',), ('ChangedState', 'NULL', 'CALLING')]
    fail = [e for e in ev if e[0] == 'DidFail']
    assert len(fail) == 1 and fail[0][1] == 'local' and fail[0][2] in (408, 503), ev
    assert ev[-2:] == [fail[0], ('DidEnd', 'local')]
    assert a.props(path)['Route'] == 'sip:127.0.0.1:%d;transport=tcp' % dead


def test_tcp_call(ab):
    a, b = ab
    route = 'sip:127.0.0.1:%d;transport=tcp' % b.ports['tcp']
    pa, pb = establish(a, b, route=route)
    assert a.props(pa)['Route'] == route
    a.call(pa, 'Terminate')
    b.wait(pb, 'DidEnd')
    a.wait(pa, 'DidEnd')
    assert a.events(pa) == OUT_START + LOCAL_END
    assert b.events(pb) == IN_START + REMOTE_END


# ---------------------------------------------------------------- TLS

def test_tls_call_without_verification():
    a = Peer({'TlsVerifyServer': False})
    try:
        b = Peer({'TlsVerifyServer': False})
        try:
            pa, pb = establish(a, b, uri=b.uri(transport='tls'))
            # both prefer opus: 48 kHz
            assert a.props(pa)['AudioCodec'] == b.props(pb)['AudioCodec'] == 'opus'
            assert a.props(pa)['AudioSampleRate'] == 48000
            b.call(pb, 'Terminate')
            a.wait(pa, 'DidEnd')
            b.wait(pb, 'DidEnd')
            assert a.events(pa) == OUT_START + REMOTE_END
            assert b.events(pb) == IN_START + LOCAL_END
        finally:
            b.stop()
    finally:
        a.stop()


def make_ca_and_cert(d):
    """A CA and a certificate for 127.0.0.1 signed by it (key + cert in one PEM)."""
    def run(*args):
        subprocess.run(['openssl'] + list(args), check=True, capture_output=True, cwd=d)
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Test CA',
        '-keyout', 'ca.key', '-out', 'ca.pem')
    with open(os.path.join(d, 'ext.cnf'), 'w') as f:
        f.write('subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\n')
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
        '-keyout', 'peer.key', '-out', 'peer.csr')
    run('x509', '-req', '-in', 'peer.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
        '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'peer.crt')
    with open(os.path.join(d, 'peer.pem'), 'w') as out:
        for name in ('peer.key', 'peer.crt'):
            with open(os.path.join(d, name)) as f:
                out.write(f.read())
    return os.path.join(d, 'ca.pem'), os.path.join(d, 'peer.pem')


@pytest.mark.skipif(not os.path.exists('/usr/bin/openssl'), reason='needs the openssl CLI')
def test_tls_call_with_verification(tmp_path):
    ca, cert = make_ca_and_cert(str(tmp_path))
    b = Peer({'TlsCertificateFile': cert, 'TlsVerifyServer': False})
    try:
        a = Peer({'TlsCaFile': ca, 'TlsVerifyServer': True})
        try:
            pa, pb = establish(a, b, uri=b.uri(transport='tls'))
            a.call(pa, 'Terminate')
            b.wait(pb, 'DidEnd')
            a.wait(pa, 'DidEnd')
            assert a.events(pa) == OUT_START + LOCAL_END
        finally:
            a.stop()
    finally:
        b.stop()


def test_rebind_and_shutdown_end_calls():
    a = Peer()
    try:
        b = Peer()
        try:
            # a transport rebind ends the calls on the old SIP stack (internal: code 0)
            pa, pb = establish(a, b)
            new_port = sipsd.free_ports(1)[0]
            b.daemon.set(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'SipTlsPort', v('u', new_port))
            b.wait(pb, 'DidEnd')
            assert b.events(pb)[-3:] == [('ChangedState', 'ESTABLISHED', 'TERMINATED'),
                                         ('DidFail', 'local', 0, 'The SIP stack was restarted'),
                                         ('DidEnd', 'local')]
            a.wait(pa, 'DidEnd')  # the old stack said BYE on its way out
            assert a.events(pa) == OUT_START + REMOTE_END

            # the daemon's shutdown hangs up
            pa, pb = establish(a, b)
            b.daemon.stop()
            a.wait(pa, 'DidEnd')
            assert a.events(pa) == OUT_START + REMOTE_END
        finally:
            b.stop()
    finally:
        a.stop()
