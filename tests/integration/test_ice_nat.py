"""ICE through real NATs: two daemons in network namespaces, each behind its own
masquerading router (netns.NatLab), coturn on the "public" side as STUN and TURN server.

The premise first: with UseIce off the call is set up but no audio arrives either way
(RTP to a private address is dropped by the NATs). Then with STUN (srflx pairs) and with
TURN only (relay pairs; coturn's log shows the allocations and the relayed traffic), the
tone is measured at both ends. Root only (skipped otherwise); meson suite 'slow'."""

import os
import re
import subprocess

import pytest

import netns
import peers
import sipsd
from sipsd import v
from test_audio import TONE_A, TONE_B, Peer, analyse, assert_two_tones, hang_up, record, \
    stop_recording, tone_device, wav_is_final

SIP_PORT, TLS_PORT, TURN_PORT = 5060, 5061, 3478
TIMEOUT = 10

why_not = netns.available()
pytestmark = pytest.mark.skipif(bool(why_not), reason=why_not)


class NsPeer(Peer):
    """test_audio.Peer in a namespace of the lab, SIP and RTP on its private address."""

    def __init__(self, lab, host, tone, rtp):
        address = netns.HOSTS[host]
        s = {'RTPConfiguration': dict({'LocalRtpAddress': address}, **rtp),
             'SipListenAddress': address, 'SipUdpPort': SIP_PORT, 'SipTcpPort': SIP_PORT,
             'SipTlsPort': TLS_PORT, 'AudioInputDevice': tone_device(tone),
             'AudioOutputDevice': 'fakesink', 'TerminatedSessionLinger': 5}
        self.address = address
        self.bus = sipsd.PrivateBus()
        self.daemon = netns.NsDaemon(lab, host, self.bus, settings=s)
        try:
            self.daemon.start(['--verbose'])  # the SIP trace shows the SDPs
        except Exception:
            self.bus.stop()
            raise
        self.rec = sipsd.SignalRecorder(self.bus.connection(), sipsd.ROOT)
        self.dir = os.path.join(self.daemon.home, 'audio')
        os.makedirs(self.dir)

    def uri(self, user='anyone'):
        return 'sip:%s@%s:%d' % (user, self.address, SIP_PORT)


def make_lab(symmetric):
    lab = netns.NatLab(sip_ports=(SIP_PORT,), symmetric=symmetric)
    try:
        turn = netns.Coturn(lambda args, **kw: lab.spawn('pub', args, **kw), netns.PUB_IP, TURN_PORT)
    except Exception:
        lab.close()
        raise
    return lab, turn


@pytest.fixture(scope='module')
def lab():
    lab, turn = make_lab(False)
    yield lab, turn
    turn.stop()
    lab.close()


@pytest.fixture(scope='module')
def symmetric_lab():
    lab, turn = make_lab(True)
    yield lab, turn
    turn.stop()
    lab.close()


def make_peers(lab, rtp_a, rtp_b):
    a = NsPeer(lab, 'h1', TONE_A, rtp_a)
    try:
        b = NsPeer(lab, 'h2', TONE_B, rtp_b)
    except Exception:
        a.stop()
        raise
    return a, b


def call(a, b):
    pa = a.daemon.create_session()
    a.call(pa, 'New', v('(sosbb)', (b.uri(), '/', '', True, False)))
    r = b.rec.wait_for(lambda r: r[1] == sipsd.SESSION_IFACE and r[2] == 'NewIncoming', TIMEOUT)
    assert r, 'B got no call: %s\n%s' % (a.members(pa), a.daemon.stderr_text()[-3000:])
    pb = r[0]
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    a.wait(pa, 'DidStart', timeout=TIMEOUT)
    b.wait(pb, 'DidStart', timeout=TIMEOUT)
    return pa, pb


def tones_both_ways(a, pa, b, pb, what):
    for peer, path, name in ((b, pb, 'B'), (a, pa, 'A')):
        wav, _ = record(peer, path, '%s-%s.wav' % (what, name))
        sipsd.run_loop(1.5)
        stop_recording(peer, path, wav)
        assert_two_tones(analyse(wav), '%s at %s' % (what, name))


def stun(turn):
    return {'UseIce': True, 'IceStunAddress': turn.address, 'IceStunPort': turn.port}


def turn_only(turn, transport='udp'):
    return {'UseIce': True, 'IceTurnAddress': turn.address, 'IceTurnPort': turn.port,
            'IceTurnTransport': transport, 'IceTurnUsername': turn.user,
            'IceTurnPassword': turn.password}


def test_premise_without_ice_no_audio(lab):
    a, b = make_peers(lab[0], {'UseIce': False}, {'UseIce': False})
    try:
        pa, pb = call(a, b)
        a.wait(pa, 'GotNoAudio', timeout=TIMEOUT)
        b.wait(pb, 'GotNoAudio', timeout=TIMEOUT)
        assert not a.props(pa)['AudioWasReceived'] and not b.props(pb)['AudioWasReceived']
        hang_up(a, pa, b, pb)
    finally:
        a.stop()
        b.stop()


def test_stun_srflx_through_nats(lab):
    lab, turn = lab
    a, b = make_peers(lab, stun(turn), stun(turn))
    try:
        pa, pb = call(a, b)
        sa = a.wait(pa, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
        sb = b.wait(pb, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
        print('selected: A %s -> %s, B %s -> %s' % (sa[1], sa[2], sb[1], sb[2]))
        assert sa[1] in ('srflx', 'prflx') or sa[2] in ('srflx', 'prflx'), sa
        # the offer had the server-reflexive candidate: A's NAT's outside address
        log = a.daemon.stderr_text() + a.daemon.stdout_text()
        assert re.search(r'a=candidate:\S+ 1 UDP \d+ 10\.99\.1\.2 \d+ typ srflx raddr 192\.168\.1\.2', log)
        props_a, props_b = a.props(pa), b.props(pb)
        assert props_a['AudioIceActive'] and props_b['AudioIceActive']
        # B sees A's RTP from A's NAT, not from A's private address
        assert props_b['AudioRemoteRtpAddressReceived'] == '10.99.1.2', props_b
        tones_both_ways(a, pa, b, pb, 'nat-stun')
        hang_up(a, pa, b, pb)
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize('transport', ['udp', 'tcp'])
def test_turn_relay_through_symmetric_nats(symmetric_lab, transport):
    """Only the relay connects: A allocates on coturn (over UDP, or TCP:
    IceTurnTransport), B has its (useless) srflx."""
    lab, turn = symmetric_lab
    before = turn.allocations()
    a, b = make_peers(lab, turn_only(turn, transport), stun(turn))
    try:
        pa, pb = call(a, b)
        sa = a.wait(pa, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
        sb = b.wait(pb, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
        print('selected: A %s -> %s, B %s -> %s' % (sa[1], sa[2], sb[1], sb[2]))
        assert sa[1] == 'relay' and sb[2] == 'relay', (sa, sb)
        assert turn.allocations() > before, turn.text()[-3000:]
        if transport == 'tcp':  # the allocation came over TCP from A's NAT
            assert 'tcp or tls connected to: 10.99.1.2' in turn.text(), turn.text()[-3000:]
        # the TURN password is write-only and never logged (the daemons run --verbose)
        assert a.daemon.get(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'IceTurnPassword') == ''
        assert turn.password not in a.daemon.stderr_text() + a.daemon.stdout_text()
        # B receives A's RTP from the relay
        assert b.props(pb)['AudioRemoteRtpAddressReceived'] == turn.address
        tones_both_ways(a, pa, b, pb, 'nat-turn')
        hang_up(a, pa, b, pb)
    finally:
        a.stop()
        b.stop()


def test_updated_offer_when_the_selected_pair_is_not_the_default(lab):
    """A offers its relay as default (c=/m=) but the checks select srflx pairs: A, the
    controlling side, re-offers with the selected candidate (RFC 8839 4.4.1.2)."""
    lab, turn = lab
    a, b = make_peers(lab, dict(stun(turn), **turn_only(turn)), stun(turn))
    try:
        pa, pb = call(a, b)
        assert b.props(pb)['AudioRemoteRtpAddressSdp'] == turn.address  # the relay first
        sa = a.wait(pa, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
        assert sa[1] == 'srflx', sa
        # the re-INVITE: B now reads A's NAT address in c=
        assert sipsd.wait_until(lambda: b.props(pb)['AudioRemoteRtpAddressSdp'] == '10.99.1.2',
                                TIMEOUT), b.props(pb)
        log = a.daemon.stderr_text() + a.daemon.stdout_text()
        assert re.search(r'a=remote-candidates:1 10\.99\.2\.2 \d+ 2 10\.99\.2\.2 \d+', log), log[-4000:]
        # still one ICE session: no second negotiation, audio both ways
        sipsd.run_loop(0.5)
        assert len([m for m in a.members(pa) if m[0] == 'IceNegotiationDidSucceed']) == 1
        assert sipsd.wait_until(lambda: a.props(pa)['AudioWasReceived'] and
                                b.props(pb)['AudioWasReceived'], TIMEOUT)
        tones_both_ways(a, pa, b, pb, 'nat-updated')
        hang_up(a, pa, b, pb)
    finally:
        a.stop()
        b.stop()


# ---------------------------------------------------------------- baresip's ice module

class NsBaresip(peers.Baresip):
    """baresip in a namespace of the lab with medianat=ice and the lab's STUN server;
    no ctrl_tcp (the test cannot reach into the namespace): auto-answer, or dial at start
    (-e /dial URI)."""

    def __init__(self, lab, host, workdir, turn, dial=None):
        super().__init__(workdir, user='bob', codecs=('g711',), tone=(8000, 1),
                         tone_freq=TONE_B, record=True)
        self.lab, self.host, self.address = lab, host, netns.HOSTS[host]
        self.port = SIP_PORT
        self.uri = 'sip:bob@%s:%d' % (self.address, SIP_PORT)
        self.turn, self.dial = turn, dial

    def write_config(self):
        super().write_config()
        path = os.path.join(self.confdir, 'config')
        lines = [line for line in open(path).read().splitlines() if 'ctrl_tcp' not in line and
                 not line.startswith(('sip_listen', 'net_interface'))]
        lines += ['sip_listen %s:%d' % (self.address, SIP_PORT),
                  'net_interface eth%s' % self.host[-1], 'module ice.so']
        with open(path, 'w') as f:
            f.write('\n'.join(lines) + '\n')
        with open(os.path.join(self.confdir, 'accounts'), 'w') as f:
            f.write('<sip:bob@%s:%d>;regint=0;answermode=auto;medianat=ice;'
                    'stunserver="stun:%s:%d"\n' % (self.address, SIP_PORT, self.turn.address,
                                                   self.turn.port))

    def start(self):
        self.write_config()
        self.log_path = os.path.join(self.confdir, 'baresip.log')
        self.log = open(self.log_path, 'wb')
        args = ['baresip', '-f', self.confdir, '-v'] + (['-e', '/dial ' + self.dial]
                                                        if self.dial else [])
        self.proc = self.lab.spawn(self.host, args, cwd=self.confdir, stdin=subprocess.DEVNULL,
                                   stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc is not None:
            self.log.close()


def check_baresip_call(d, path, b, what):
    s = d.wait(path, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
    print('%s: selected %s -> %s' % (what, s[1], s[2]))
    props = d.props(path)
    assert props['AudioIceActive'] and props['AudioCodec'] == 'PCMU', props
    assert props['AudioRemoteRtpAddressReceived'].startswith('10.99.'), props  # via its NAT
    # baresip sends once its own checks concluded (as the controlled side it lets the
    # unreachable host pairs time out first: a few seconds)
    assert sipsd.wait_until(lambda: d.props(path)['AudioWasReceived'], 20), b.log_text()
    wav, _ = record(d, path, '%s.wav' % what)
    sipsd.run_loop(2.0)
    stop_recording(d, path, wav)
    info = analyse(wav)
    print('%s at the daemon: %d Hz %.3f, %d Hz %.3f' % (what, TONE_A, info['tone'](TONE_A),
                                                        TONE_B, info['tone'](TONE_B)))
    assert info['tone'](TONE_B) > 0.1, 'no baresip tone at the daemon\n' + b.log_text()
    d.call(path, 'Terminate')
    d.wait(path, 'DidEnd', timeout=TIMEOUT)
    assert 'connectivity check is complete' in b.log_text(20000), b.log_text()
    # sndfile finalises its WAV once baresip has seen the BYE
    assert sipsd.wait_until(lambda: b.recordings('dec') and wav_is_final(b.recordings('dec')[-1], 1.0),
                            TIMEOUT), 'baresip recorded nothing\n' + b.log_text()
    got = analyse(b.recordings('dec')[-1])
    print('%s at baresip: %d Hz %.3f' % (what, TONE_A, got['tone'](TONE_A)))
    assert got['tone'](TONE_A) > 0.1, 'no daemon tone at baresip'


@pytest.mark.parametrize('direction', ['daemon-calls-baresip', 'baresip-calls-daemon'])
def test_baresip_ice_across_nats(lab, tmp_path, direction):
    lab, turn = lab
    d = NsPeer(lab, 'h1', TONE_A, stun(turn))
    d.set('AudioCodecs', v('as', ['PCMU']))
    calls_daemon = direction == 'baresip-calls-daemon'
    b = NsBaresip(lab, 'h2', str(tmp_path), turn, dial=d.uri() if calls_daemon else None)
    try:
        if calls_daemon:
            b.start()
            r = d.rec.wait_for(lambda r: r[1] == sipsd.SESSION_IFACE and r[2] == 'NewIncoming',
                               TIMEOUT)
            assert r, b.log_text()
            path = r[0]
            d.call(path, 'Accept', v('(bb)', (True, False)))
        else:
            b.start()
            assert sipsd.wait_until(lambda: 'baresip is ready' in b.log_text(), TIMEOUT), b.log_text()
            path = d.daemon.create_session()
            d.call(path, 'New', v('(sosbb)', (b.uri, '/', '', True, False)))
        d.wait(path, 'DidStart', timeout=TIMEOUT)
        check_baresip_call(d, path, b, direction)
    finally:
        b.stop()
        d.stop()
