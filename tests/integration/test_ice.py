"""ICE (RTPConfiguration1.UseIce, libnice) between two real daemons on loopback.

Host candidates on LocalRtpAddress 127.0.0.1; the tone measured at both ends (B records
both directions, A's recording checks B's tone too); the SDPs read from the daemons' SIP
traces (--verbose); ICE on one side only gives plain RTP; an unreachable STUN server costs
only its candidate (set-up time measured); bad ICE offers sent raw get 488 with a reason
or a call on the good candidates. STUN/TURN against coturn: test_ice_turn.py."""

import re
import shutil
import socket
import subprocess
import time
import uuid

import pytest

import netns
import sipsd
import test_audio as audio
from sipsd import v
from test_audio import TONE_A, TONE_B, Peer, analyse, assert_two_tones, hang_up, record, \
    stop_recording

TIMEOUT = 8


def ice_peer(tone, use_ice=True, rtp=None, verbose=True):
    settings = {'RTPConfiguration': dict({'UseIce': use_ice}, **(rtp or {}))}
    return Peer(tone, settings, verbose=verbose)


def trace(peer):
    """The daemon's log with its SIP trace (--verbose: debug messages go to stdout)."""
    return peer.daemon.stderr_text() + peer.daemon.stdout_text()


def ufrags(peer):
    """The distinct a=ice-ufrag values in a daemon's SIP trace (its own and the peer's)."""
    return set(re.findall(r'a=ice-ufrag:(\S+)', trace(peer)))


def establish_timed(a, b):
    t0 = time.monotonic()
    pa, pb = audio.place_call(a, b)
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    a.wait(pa, 'DidStart')
    b.wait(pb, 'DidStart')
    return pa, pb, time.monotonic() - t0


def tones_both_ways(a, pa, b, pb, what):
    """Each side records in turn (both directions mixed): B hears A's tone, A hears B's."""
    for peer, path, name in ((b, pb, 'B'), (a, pa, 'A')):
        wav, _ = record(peer, path, '%s-%s.wav' % (what, name))
        sipsd.run_loop(1.5)
        stop_recording(peer, path, wav)
        assert_two_tones(analyse(wav), '%s at %s' % (what, name))


@pytest.fixture(scope='module')
def ice_pair():
    with sipsd.two_peers(lambda: ice_peer(TONE_A), lambda: ice_peer(TONE_B)) as peers:
        yield peers


@pytest.fixture
def ab(ice_pair):
    for p in ice_pair:
        p.rec.clear()
    yield ice_pair


def assert_ice_selected(a, pa, b, pb, local='host', remote='host'):
    sa = a.wait(pa, 'IceNegotiationDidSucceed')
    sb = b.wait(pb, 'IceNegotiationDidSucceed')
    assert sa[1:] == (local, remote) and sb[1:] == (remote, local), (sa, sb)
    pa_props, pb_props = a.props(pa), b.props(pb)
    for p in (pa_props, pb_props):
        assert p['AudioIceActive'], p
        assert p['AudioIceLocalCandidateType'] == 'host' and p['AudioIceRemoteCandidateType'] == 'host'
    # the selected remote candidate is where the other side's RTP comes from
    assert pb_props['AudioRemoteRtpAddressReceived'] == '127.0.0.1'
    assert pb_props['AudioRemoteRtpPortReceived'] == pa_props['AudioLocalRtpPort']
    assert pa_props['AudioRemoteRtpPortReceived'] == pb_props['AudioLocalRtpPort']
    return pa_props, pb_props


def test_host_candidates_tone_both_ways(ab):
    a, b = ab
    before_a, before_b = ufrags(a), ufrags(b)
    pa, pb, setup = establish_timed(a, b)
    print('set-up with ICE (host only): %.3f s' % setup)
    assert_ice_selected(a, pa, b, pb)
    # both SDPs carried ICE: each trace shows its own ufrag and the peer's
    new_a, new_b = ufrags(a) - before_a, ufrags(b) - before_b
    assert len(new_a) == 2 and new_a == new_b, (new_a, new_b)
    log = trace(b)
    assert re.search(r'a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 \d+ typ host', log), log[-3000:]
    assert re.search(r'a=candidate:\S+ 2 UDP \d+ 127\.0\.0\.1 \d+ typ host', log)
    assert not a.members(pa).count(('IceNegotiationDidFail',))
    # sipsimplectl sessions --audio: the ICE column has the selected pair's types
    out = a.daemon.ctl('sessions', '--audio')
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.splitlines()[0].split(), \
        [line.split() for line in out.stdout.splitlines() if line.startswith(pa + ' ')][0]
    assert header[-1] == 'ICE' and row[-1] == 'host/host', out.stdout
    tones_both_ways(a, pa, b, pb, 'ice-host')
    # hold and unhold are re-INVITEs: the ICE session stays (no new negotiation)
    a.call(pa, 'Hold')
    b.wait(pb, 'GotHoldRequest')
    a.call(pa, 'Unhold')
    b.wait(pb, 'GotUnholdRequest')
    sipsd.run_loop(0.5)
    assert len([m for m in a.members(pa) if m[0] == 'IceNegotiationDidSucceed']) == 1
    assert a.props(pa)['AudioIceActive'] and b.props(pb)['AudioIceActive']
    hang_up(a, pa, b, pb)


def test_srtp_forced_over_ice(ab):
    a, b = ab
    for p in ab:
        p.set('UseSrtp', v('b', True), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
        p.set('SrtpForced', v('b', True), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    try:
        pa, pb, _ = establish_timed(a, b)
        assert_ice_selected(a, pa, b, pb)
        assert a.props(pa)['AudioSrtpActive'] and b.props(pb)['AudioSrtpActive']
        tones_both_ways(a, pa, b, pb, 'ice-srtp')
        hang_up(a, pa, b, pb)
    finally:
        for p in ab:
            p.set('UseSrtp', v('b', False), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
            p.set('SrtpForced', v('b', False), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)


@pytest.mark.parametrize('ice_side', ['caller', 'callee'])
def test_ice_on_one_side_only_is_plain_rtp(ice_side):
    a = ice_peer(TONE_A, use_ice=ice_side == 'caller')
    b = ice_peer(TONE_B, use_ice=ice_side == 'callee')
    try:
        pa, pb, _ = establish_timed(a, b)
        tones_both_ways(a, pa, b, pb, 'one-side-%s' % ice_side)
        pa_props, pb_props = a.props(pa), b.props(pb)
        for p in (pa_props, pb_props):
            assert not p['AudioIceActive'] and p['AudioIceLocalCandidateType'] == ''
        # plain RTP from where the SDPs say
        assert pb_props['AudioRemoteRtpPortReceived'] == pa_props['AudioLocalRtpPort'] \
            == pb_props['AudioRemoteRtpPortSdp']
        assert pa_props['AudioRemoteRtpPortReceived'] == pb_props['AudioLocalRtpPort']
        # the answer carries no ICE: at most the offerer's own ufrag was seen
        assert len(ufrags(a)) <= 1 and len(ufrags(b)) <= 1, (ufrags(a), ufrags(b))
        for p, path in ((a, pa), (b, pb)):
            assert not [m for m in p.members(path) if m[0].startswith('IceNegotiation')]
        hang_up(a, pa, b, pb)
    finally:
        a.stop()
        b.stop()


def test_unreachable_stun_costs_only_its_candidate(ab):
    a, b = ab
    dead = sipsd.free_port('udp')  # nobody answers there
    a.set('IceStunAddress', v('s', '127.0.0.1'), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    a.set('IceStunPort', v('u', dead), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    try:
        pa, pb, setup_dead = establish_timed(a, b)
        print('set-up with an unreachable STUN server: %.3f s' % setup_dead)
        assert setup_dead < 4.0, setup_dead  # gathering gives up within 3 s
        assert_ice_selected(a, pa, b, pb)
        assert sipsd.wait_until(lambda: b.props(pb)['AudioWasReceived'] and
                                a.props(pa)['AudioWasReceived'])
        hang_up(a, pa, b, pb)
    finally:
        a.set('IceStunAddress', v('s', ''), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    # unset: no wait at all
    pa, pb, setup_none = establish_timed(a, b)
    print('set-up without STUN: %.3f s' % setup_none)
    assert setup_none < 1.5, setup_none
    assert_ice_selected(a, pa, b, pb)
    hang_up(a, pa, b, pb)


# ---------------------------------------------------------------- bad ICE offers, sent raw

def raw_invite(daemon_port, media_lines, user='anyone'):
    """Sends an INVITE whose audio m-line has media_lines; returns (final status, response)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    sock.settimeout(0.5)
    port = sock.getsockname()[1]
    rtp = sipsd.free_port('udp')
    call_id = uuid.uuid4().hex
    branch = 'z9hG4bK' + uuid.uuid4().hex[:12]
    sdp = sdp_body(rtp, media_lines)
    invite = ('INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n'
              'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n'
              'From: <sip:raw@127.0.0.1:%d>;tag=%s\r\n'
              'To: <sip:%s@127.0.0.1:%d>\r\n'
              'Call-ID: %s\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n'
              'Contact: <sip:raw@127.0.0.1:%d>\r\n'
              'Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s'
              % (user, daemon_port, port, branch, port, uuid.uuid4().hex[:8], user, daemon_port,
                 call_id, port, len(sdp.encode()), sdp))
    sock.sendto(invite.encode(), ('127.0.0.1', daemon_port))
    return sock, call_id, branch


def sdp_body(rtp, media_lines, version=1):
    return ('v=0\r\no=- 1 %d IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n' % (version, rtp)) + \
        ''.join(line + '\r\n' for line in media_lines)


def read_response(sock, wanted, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sipsd.run_loop(0.05)
        try:
            data = sock.recv(65535).decode(errors='replace')
        except socket.timeout:
            continue
        status = int(data.split(' ', 2)[1])
        if status >= wanted:
            return status, data
    return None, ''


@pytest.mark.parametrize('lines,why', [
    (['a=ice-pwd:asd88fgpdd777uzjYhagZgasd88fgpdd',
      'a=candidate:1 1 UDP 2130706431 127.0.0.1 40000 typ host'], 'ice-ufrag'),
    (['a=ice-ufrag:8hhY', 'a=ice-pwd:asd88fgpdd777uzjYhagZgasd88fgpdd',
      'a=candidate:garbage', 'a=candidate:1 1 UDP 2130706431 127.0.0.1 99999 typ host',
      'a=candidate:1 1 UDP x 127.0.0.1 40000 typ host',
      'a=candidate:1 1 UDP 2130706431 not.an.address 40000 typ host',
      'a=candidate:1 0 UDP 2130706431 127.0.0.1 40000 typ host'], 'candidate'),
])
def test_unusable_ice_offer_gets_488_with_reason(ab, lines, why):
    a, b = ab
    sock, _, _ = raw_invite(b.daemon.ports['udp'], lines)
    status, response = read_response(sock, 300)
    sock.close()
    assert status == 488, response
    warning = re.search(r'^Warning: 399 \S+ "([^"]*)"', response, re.M)
    assert warning and why in warning.group(1), response
    assert not [r for r in b.rec.records if r[2] == 'NewIncoming']
    # the daemon is fine: a normal ICE call works
    pa, pb, _ = establish_timed(a, b)
    assert_ice_selected(a, pa, b, pb)
    hang_up(a, pa, b, pb)


def test_garbage_candidates_beside_a_good_one(ab):
    """Bad lines are skipped one by one; the good candidate (nobody answers its checks) is
    tried, ICE fails with a reason, the call goes on to the SDP address. Then the peer's
    re-INVITEs: the same credentials keep ICE as it is, new ones restart it."""
    a, b = ab
    lines = ['a=ice-ufrag:8hhY', 'a=ice-pwd:asd88fgpdd777uzjYhagZgasd88fgpdd',
             'a=candidate:garbage', 'a=candidate:1 1 UDP 2130706431 127.0.0.1 0 typ host',
             'a=candidate:1 1 TCP 2130706431 127.0.0.1 9 typ host tcptype active',
             'a=candidate:1 1 UDP 2130706431 127.0.0.1 %d typ host' % sipsd.free_port('udp')]
    sock, _, _ = raw_invite(b.daemon.ports['udp'], lines)
    r = b.rec.wait_for(lambda r: r[1] == audio.SI and r[2] == 'NewIncoming', TIMEOUT)
    assert r, b.daemon.stderr_text()[-3000:]
    pb = r[0]
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    status, response = read_response(sock, 200)
    assert status == 200, response
    assert 'a=ice-ufrag:' in response and 'a=candidate:' in response  # the answer has ICE
    dialog = Dialog(sock, b.daemon.ports['udp'], response)
    dialog.ack(1)
    b.wait(pb, 'DidStart')
    fail = b.wait(pb, 'IceNegotiationDidFail', timeout=30)
    assert fail[1], fail
    log = trace(b)
    assert 'ignoring the candidate line' in log
    assert not b.props(pb)['AudioIceActive']
    assert b.props(pb)['State'] == 'ESTABLISHED'

    # the peer's re-INVITE: the same ufrag/pwd keep the ICE session (our credentials stay);
    # new ones restart ICE (our answer has new credentials too)
    ours = re.search(r'a=ice-ufrag:(\S+)', response).group(1)
    rtp = sipsd.free_port('udp')
    same = dialog.reinvite(2, sdp_body(rtp, lines, version=2))
    assert re.search(r'a=ice-ufrag:(\S+)', same).group(1) == ours, same
    new_lines = ['a=ice-ufrag:R3st', 'a=ice-pwd:restartrestartrestartrestart'] + lines[2:]
    restarted = dialog.reinvite(3, sdp_body(rtp, new_lines, version=3))
    assert 'a=ice-pwd:' in restarted
    assert re.search(r'a=ice-ufrag:(\S+)', restarted).group(1) != ours, restarted
    assert 'ICE restart by the peer' in trace(b)
    assert b.props(pb)['State'] == 'ESTABLISHED'
    b.call(pb, 'Terminate')
    answer_bye(sock)
    b.wait(pb, 'DidEnd')
    sock.close()


class Dialog:
    """The raw UA's side of the dialog its INVITE made (from the daemon's 200)."""

    def __init__(self, sock, port, response):
        header = lambda name: re.search(r'^%s: (.*)$' % name, response, re.M).group(1).strip()  # noqa: E731
        self.sock, self.port = sock, port
        self.to, self.frm, self.call_id = header('To'), header('From'), header('Call-ID')
        self.via = header('Via')
        self.contact = re.search(r'^Contact: <([^>]*)>', response, re.M).group(1)

    def _request(self, method, cseq, body=''):
        via = re.sub(r'branch=[^;]*', 'branch=z9hG4bK' + uuid.uuid4().hex[:12], self.via)
        self.sock.sendto(('%s %s SIP/2.0\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n'
                          'CSeq: %d %s\r\nMax-Forwards: 70\r\nContact: <sip:raw@127.0.0.1:%d>\r\n'
                          '%sContent-Length: %d\r\n\r\n%s'
                          % (method, self.contact, via, self.frm, self.to, self.call_id, cseq,
                             method, self.sock.getsockname()[1],
                             'Content-Type: application/sdp\r\n' if body else '',
                             len(body.encode()), body)).encode(), ('127.0.0.1', self.port))

    def ack(self, cseq):
        self._request('ACK', cseq)

    def reinvite(self, cseq, sdp):
        """Sends a re-INVITE, ACKs its 200, returns the 200."""
        self._request('INVITE', cseq, sdp)
        status, response = read_response(self.sock, 200)
        assert status == 200, response
        self.ack(cseq)
        return response


def answer_bye(sock, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sipsd.run_loop(0.05)
        try:
            data, source = sock.recvfrom(65535)
        except socket.timeout:
            continue
        text = data.decode(errors='replace')
        if not text.startswith('BYE '):
            continue
        headers = [line for line in text.split('\r\n')
                   if line.split(':', 1)[0].lower() in ('via', 'from', 'to', 'call-id', 'cseq')]
        sock.sendto(('SIP/2.0 200 OK\r\n%s\r\nContent-Length: 0\r\n\r\n'
                     % '\r\n'.join(headers)).encode(), source)
        return
    raise AssertionError('no BYE')


@pytest.mark.skipif(shutil.which('turnserver') is None, reason='coturn is not installed')
def test_turn_relay_candidate_on_loopback(ab, tmp_path):
    """coturn on loopback with long-term credentials: the offer carries a relayed candidate
    (the default one, in c=/m=), coturn logs the allocation; the host pair is selected
    (loopback reaches everything: test_ice_nat.py has the relay-only case, as root), so
    the caller sends the updated offer with its host candidate."""
    a, b = ab
    port = sipsd.free_port_pair()
    relay_min = 49200 + (port % 500) * 2
    turn = netns.Coturn(subprocess.Popen, '127.0.0.1', port, relay_ip='127.0.0.1',
                        min_port=relay_min, max_port=relay_min + 20,
                        extra=['--allow-loopback-peers'])
    try:
        # set with sipsimplectl like any other property; the password reads back empty
        for key, value in (('IceTurnAddress', '127.0.0.1'), ('IceTurnPort', port),
                           ('IceTurnTransport', 'udp'), ('IceTurnUsername', turn.user),
                           ('IceTurnPassword', turn.password)):
            r = a.daemon.ctl('set', 'rtp', key, value)
            assert r.returncode == 0, r.stderr
        assert a.daemon.ctl('get', 'rtp', 'IceTurnAddress').stdout == '127.0.0.1\n'
        assert a.daemon.ctl('get', 'rtp', 'IceTurnPassword').stdout.strip() in ('', "''", '""')
        bad = a.daemon.ctl('set', 'rtp', 'IceTurnTransport', 'carrier-pigeon')
        assert bad.returncode != 0 and 'carrier-pigeon' in bad.stderr, bad
        pa, pb, setup = establish_timed(a, b)
        print('set-up with a TURN allocation: %.3f s' % setup)
        assert sipsd.wait_until(lambda: turn.allocations() >= 1, 5), turn.text()[-3000:]
        log = trace(a)
        relay = re.search(r'a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 (\d+) typ relay raddr '
                          r'127\.0\.0\.1 rport (\d+)', log)
        assert relay and relay_min <= int(relay.group(1)) <= relay_min + 20, log[-4000:]
        # the relayed candidate is the default one in the INVITE's m=
        offer_m = re.findall(r'm=audio (\d+) ', log[:relay.start()])[-1]
        assert int(offer_m) == int(relay.group(1)), log[-4000:]
        assert_ice_selected(a, pa, b, pb)
        # the host pair was selected instead: A's updated offer names its host candidate
        # (the relay's base), as B's SDP view of A shows (RFC 8839 4.4.1.2)
        assert sipsd.wait_until(lambda: b.props(pb)['AudioRemoteRtpPortSdp'] == int(relay.group(2)),
                                TIMEOUT), (b.props(pb), relay.groups())
        assert 'a=remote-candidates:1 127.0.0.1' in trace(a)
        hang_up(a, pa, b, pb)
    finally:
        a.set('IceTurnAddress', v('s', ''), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
        turn.stop()
