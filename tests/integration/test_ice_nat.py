"""ICE through real NATs: two daemons in network namespaces, each behind its own
masquerading router (netns.NatLab), coturn on the "public" side as STUN and TURN server.

The premise first: with UseIce off the call is set up but no audio arrives either way
(RTP to a private address is dropped by the NATs). Then with STUN (srflx pairs) and with
TURN only (relay pairs; coturn's log shows the allocations and the relayed traffic), the
tone is measured at both ends. Root only (skipped otherwise); meson suite 'slow'."""

import os
import re

import pytest

import netns
import sipsd
from sipsd import v
from test_audio import TONE_A, TONE_B, Peer, analyse, assert_two_tones, hang_up, record, \
    stop_recording, tone_device

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


def peers(lab, rtp_a, rtp_b):
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


def turn_only(turn):
    return {'UseIce': True, 'IceTurnAddress': turn.address, 'IceTurnPort': turn.port,
            'IceTurnUsername': turn.user, 'IceTurnPassword': turn.password}


def test_premise_without_ice_no_audio(lab):
    a, b = peers(lab[0], {'UseIce': False}, {'UseIce': False})
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
    a, b = peers(lab, stun(turn), stun(turn))
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


def test_turn_relay_through_symmetric_nats(symmetric_lab):
    """Only the relay connects: A allocates on coturn, B has its (useless) srflx."""
    lab, turn = symmetric_lab
    before = turn.allocations()
    a, b = peers(lab, turn_only(turn), stun(turn))
    try:
        pa, pb = call(a, b)
        sa = a.wait(pa, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
        sb = b.wait(pb, 'IceNegotiationDidSucceed', timeout=TIMEOUT)
        print('selected: A %s -> %s, B %s -> %s' % (sa[1], sa[2], sb[1], sb[2]))
        assert sa[1] == 'relay' and sb[2] == 'relay', (sa, sb)
        assert turn.allocations() > before, turn.text()[-3000:]
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
    a, b = peers(lab, dict(stun(turn), **turn_only(turn)), stun(turn))
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
