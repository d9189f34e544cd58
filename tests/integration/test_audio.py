"""Audio media between two real daemons (each on its own private bus), measured.

A sends a 1000 Hz tone (audiotestsrc), B a 440 Hz one; B records the call with
StartRecordingAudio (both directions mixed) and the test measures the WAV: both tones
present at the expected level, duration as long as the recording ran. Per codec, with
SRTP, across hold; DTMF, GotNoAudio against a sipp UAS sending no RTP, SRTP forced
against plain RTP, ringtones on file alert devices, a recording finalised by SIGTERM."""

import math
import os
import re
import shutil
import struct
import tempfile
import time
import wave

import pytest

import peers
import sipsd
from sipsd import v

SI = sipsd.SESSION_IFACE
TIMEOUT = 8
TONE_A, TONE_B = 1000, 440
VOLUME = 0.3
SAMPLE_RATES = {'opus': 48000, 'G722': 16000, 'PCMU': 8000, 'PCMA': 8000}


# ---------------------------------------------------------------- WAV analysis

def read_wav(path):
    """(rate, [samples as floats in -1..1]) of a 16-bit WAV (first channel)."""
    with wave.open(path, 'rb') as w:
        assert w.getsampwidth() == 2, 'not 16-bit'
        rate, channels, n = w.getframerate(), w.getnchannels(), w.getnframes()
        raw = w.readframes(n)
    count = len(raw) // 2
    values = struct.unpack('<%dh' % count, raw[:count * 2])
    return rate, [x / 32768.0 for x in values[::channels]]


def window(samples, rate, seconds=0.5, skip=0.3):
    """A window of the steady part (after skip s), decimated to at most 8000 Hz."""
    step = max(1, rate // 8000)
    start = min(int(skip * rate), max(0, len(samples) - int(seconds * rate)))
    part = samples[start:start + int(seconds * rate)]
    return part[::step], rate // step


def tone_amplitude(samples, rate, freq):
    """Goertzel: the amplitude of freq in samples (a sine of amplitude x gives ~x)."""
    n = len(samples)
    if n == 0:
        return 0.0
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / n


def rms(samples):
    return math.sqrt(sum(x * x for x in samples) / len(samples)) if samples else 0.0


def block_amplitudes(samples, rate, freq, block=0.05):
    """freq's amplitude in each block (decimated to ~8 kHz): dropouts show as dips."""
    step = max(1, rate // 8000)
    dec, drate = samples[::step], rate // step
    n = int(block * drate)
    return [tone_amplitude(dec[i:i + n], drate, freq) for i in range(0, len(dec) - n + 1, n)]


def analyse(path):
    rate, samples = read_wav(path)
    part, prate = window(samples, rate)
    return {'rate': rate, 'duration': len(samples) / rate, 'rms': rms(part),
            'tone': lambda f: tone_amplitude(part, prate, f),
            # the weakest 50 ms block; the first 150 ms left out (a recording started with
            # the call has nothing received before the jitter buffer's 100 ms), and the last
            # 150 ms too: at the stop the mixer's two inputs end up to that latency apart
            # (seen on a loaded CPU: our own side missing from the last 100-150 ms)
            'weakest': lambda f: min(block_amplitudes(samples, rate, f)[3:-3])}


def dominant(info, candidates):
    return max(candidates, key=info['tone'])


def write_tone(path, freq, seconds=1.0, rate=8000, amplitude=0.4):
    n = int(seconds * rate)
    data = struct.pack('<%dh' % n, *(int(amplitude * 32767 * math.sin(2 * math.pi * freq * i / rate))
                                     for i in range(n)))
    with wave.open(path, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data)


def wav_is_final(path, min_seconds):
    try:
        with wave.open(path, 'rb') as w:
            return w.getnframes() / w.getframerate() >= min_seconds
    except (OSError, EOFError, wave.Error):
        return False


# ---------------------------------------------------------------- peers

def tone_device(freq):
    # 20 ms buffers as a sound card gives (the default 1024 samples are 128 ms at 8 kHz:
    # bursts longer than the jitter buffer's latency, heard as a gap at the start)
    return ('audiotestsrc wave=sine freq=%d volume=%s is-live=true samplesperbuffer=%d'
            % (freq, VOLUME, 160))


class Peer:
    """A daemon on its own bus with a recorder of its signals."""

    def __init__(self, tone, settings=None, verbose=False):
        sip_port, tls_port = sipsd.free_ports(2)
        s = {'RTPConfiguration': {'LocalRtpAddress': '127.0.0.1'},
             'SipUdpPort': sip_port, 'SipTcpPort': sip_port, 'SipTlsPort': tls_port,
             'AudioInputDevice': tone_device(tone),
             'AudioOutputDevice': 'fakesink', 'TerminatedSessionLinger': 5}
        for key, value in (settings or {}).items():
            if isinstance(value, dict):
                s.setdefault(key, {}).update(value)
            else:
                s[key] = value
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings=s)
        try:
            self.daemon.start(['--verbose'] if verbose or os.environ.get('SIPSD_VERBOSE') else [])
        except Exception:
            self.bus.stop()
            raise
        self.rec = sipsd.SignalRecorder(self.bus.connection(), sipsd.ROOT)
        self.dir = os.path.join(self.daemon.home, 'audio')
        os.makedirs(self.dir)

    def uri(self, user='anyone'):
        return 'sip:%s@127.0.0.1:%d' % (user, self.daemon.ports['udp'])

    def call(self, path, method, args=None):
        return self.daemon.call(path, SI, method, args)

    def props(self, path):
        return self.daemon.get_all(path, SI)

    def set(self, prop, variant, path=sipsd.SETTINGS, iface=sipsd.SETTINGS_IFACE):
        self.daemon.set(path, iface, prop, variant)

    def wait(self, path, member, timeout=TIMEOUT, pred=None):
        r = self.rec.wait_for(lambda r: r[0] == path and r[1] == SI and r[2] == member and
                              (pred is None or pred(r[3])), timeout)
        assert r, '%s: no %s within %ss; seen %s\nstderr tail:\n%s' % (
            path, member, timeout, self.members(path), self.daemon.stderr_text()[-3000:])
        return r[3]

    def members(self, path):
        return [(r[2],) + tuple(r[3][1:]) for r in self.rec.records if r[0] == path and r[1] == SI]

    def stop(self):
        self.rec.close()
        try:
            self.daemon.stop()
        finally:
            self.daemon.cleanup()
            self.bus.stop()


def place_call(a, b, uri=None):
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    pa = a.daemon.create_session()
    a.call(pa, 'New', v('(sosbb)', (uri or b.uri(), '/', '', True, False)))
    r = b.rec.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming' and r[0] not in seen,
                       TIMEOUT)
    assert r, 'B got no call; A saw %s\n%s' % (a.members(pa), a.daemon.stderr_text()[-3000:])
    return pa, r[0]


def establish(a, b):
    pa, pb = place_call(a, b)
    a.wait(pa, 'GotRingIndication')
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    a.wait(pa, 'DidStart')
    b.wait(pb, 'DidStart')
    return pa, pb


def hang_up(a, pa, b, pb):
    a.call(pa, 'Terminate')
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')


def record(b, pb, name):
    b.call(pb, 'StartRecordingAudio', v('(ss)', (b.dir, name)))
    path = os.path.join(b.dir, name)
    assert b.wait(pb, 'DidStartRecordingAudio')[1] == path
    assert b.props(pb)['AudioRecordingFileName'] == path
    return path, time.monotonic()


def stop_recording(b, pb, path):
    b.call(pb, 'StopRecordingAudio')
    assert b.wait(pb, 'WillStopRecordingAudio')[1] == path
    assert b.wait(pb, 'DidStopRecordingAudio')[1] == path
    return time.monotonic()


def assert_two_tones(info, what, dips=0):
    """The recording has A's tone (received) and B's own (sent), at about VOLUME, without
    dropouts (50 ms blocks under 2/3 of the level; dips: how many are allowed)."""
    a, b = info['tone'](TONE_A), info['tone'](TONE_B)
    noise = max(info['tone'](f) for f in (700, 1500, 2300))
    weak = sorted(info['weakest'](f) for f in (TONE_A, TONE_B))[0] if not dips else None
    print('%s: %d Hz %.3f, %d Hz %.3f, noise %.4f, rms %.3f, %.2f s at %d Hz, weakest block %s'
          % (what, TONE_A, a, TONE_B, b, noise, info['rms'], info['duration'], info['rate'],
             '-' if weak is None else '%.3f' % weak))
    if weak is not None:
        assert weak > VOLUME * 0.66, '%s: a dropout (a 50 ms block at %.3f)' % (what, weak)
    assert VOLUME * 0.4 < a < VOLUME * 1.6, '%s: %d Hz at %.3f' % (what, TONE_A, a)
    assert VOLUME * 0.4 < b < VOLUME * 1.6, '%s: %d Hz at %.3f' % (what, TONE_B, b)
    assert noise < 0.1 * min(a, b), '%s: noise %.3f vs tones %.3f/%.3f' % (what, noise, a, b)
    assert VOLUME * 0.5 < info['rms'] < VOLUME * 1.5, '%s: rms %.3f' % (what, info['rms'])


@pytest.fixture(scope='module')
def pair():
    with sipsd.two_peers(lambda: Peer(TONE_A), lambda: Peer(TONE_B)) as peers:
        yield peers


@pytest.fixture
def ab(pair):
    for p in pair:
        p.rec.clear()
        p.set('AudioCodecs', v('as', ['opus', 'G722', 'PCMU', 'PCMA']))
    yield pair


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize('codec', ['opus', 'G722', 'PCMU', 'PCMA'])
def test_codec_tones_both_ways(ab, codec):
    a, b = ab
    for p in ab:
        p.set('AudioCodecs', v('as', [codec]))
    pa, pb = establish(a, b)
    path, t0 = record(b, pb, 'codec-%s.wav' % codec)
    sipsd.run_loop(1.5)
    t1 = stop_recording(b, pb, path)

    pa_props, pb_props = a.props(pa), b.props(pb)
    for p in (pa_props, pb_props):
        assert p['AudioCodec'] == codec and p['AudioSampleRate'] == SAMPLE_RATES[codec]
        assert p['AudioWasReceived'] and not p['AudioSrtpActive']
    # RTP came from where the SDP said (symmetric RTP: the port we send from)
    assert pb_props['AudioRemoteRtpAddressReceived'] == '127.0.0.1'
    assert pb_props['AudioRemoteRtpPortReceived'] == pa_props['AudioLocalRtpPort'] \
        == pb_props['AudioRemoteRtpPortSdp']
    assert pa_props['AudioRemoteRtpPortReceived'] == pb_props['AudioLocalRtpPort']
    hang_up(a, pa, b, pb)

    assert b.props(pb)['AudioRecordingFileName'] == ''
    info = analyse(path)
    assert info['rate'] == SAMPLE_RATES[codec]
    assert abs(info['duration'] - (t1 - t0)) < 0.5, (info['duration'], t1 - t0)
    assert_two_tones(info, codec)


def test_srtp_both_sides_and_keys_not_logged(ab):
    a, b = ab
    c = Peer(TONE_A, {'RTPConfiguration': {'SrtpForced': True}}, verbose=True)
    try:
        for p in (a, b):
            p.set('UseSrtp', v('b', True), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
        # optional on both sides (RTP/AVP with keys), forced (RTP/SAVP) to optional, and
        # optional to forced: SrtpForced alone (UseSrtp false) implies SRTP on answers too
        for caller, callee in ((a, b), (c, b), (b, c)):
            pa, pb = establish(caller, callee)
            path, t0 = record(callee, pb, 'srtp.wav')
            sipsd.run_loop(1.2)
            stop_recording(callee, pb, path)
            assert caller.props(pa)['AudioSrtpActive'] and callee.props(pb)['AudioSrtpActive']
            assert callee.props(pb)['AudioWasReceived'] and caller.props(pa)['AudioWasReceived']
            hang_up(caller, pa, callee, pb)
            assert_two_tones(analyse(path), 'SRTP')

        # the SIP trace shows SDP, the keys are masked
        log = c.daemon.stderr_text() + c.daemon.stdout_text()
        assert 'a=crypto:' in log
        assert not re.search(r'inline:[A-Za-z0-9+/]{8}', log), 'an SRTP key in the log'

        # forced against plain RTP: 488 in both directions, no session on the refusing side
        b.set('UseSrtp', v('b', False), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
        for caller, callee in ((c, b), (b, c)):
            before = len([r for r in callee.rec.records if r[2] == 'NewIncoming'])
            path = caller.daemon.create_session()
            caller.call(path, 'New', v('(sosbb)', (callee.uri(), '/', '', True, False)))
            fail = caller.wait(path, 'DidFail')
            assert fail[1:3] == ('remote', 488), fail
            caller.wait(path, 'DidEnd')
            assert len([r for r in callee.rec.records if r[2] == 'NewIncoming']) == before
    finally:
        for p in (a, b):
            p.set('UseSrtp', v('b', False), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
        c.stop()


def test_hold_pauses_the_recording(ab):
    a, b = ab
    pa, pb = establish(a, b)
    path, t0 = record(b, pb, 'hold.wav')
    sipsd.run_loop(1.0)
    a.call(pa, 'Hold')
    b.wait(pb, 'GotHoldRequest', pred=lambda args: args[1] == 'remote')
    held = time.monotonic()
    sipsd.run_loop(1.5)
    a.call(pa, 'Unhold')
    b.wait(pb, 'GotUnholdRequest', pred=lambda args: args[1] == 'remote')
    held = time.monotonic() - held
    sipsd.run_loop(1.0)
    t1 = stop_recording(b, pb, path)
    hang_up(a, pa, b, pb)

    info = analyse(path)
    expected = (t1 - t0) - held
    assert abs(info['duration'] - expected) < 0.6, (info['duration'], expected, held)
    assert_two_tones(info, 'hold', dips=1)


def test_dtmf_in_order(ab):
    a, b = ab
    pa, pb = establish(a, b)  # opus: telephone-event/48000
    digits = ['1', '9', '#', '*', 'A', '0']
    for d in digits:
        a.call(pa, 'SendDTMF', v('(s)', (d,)))
    sipsd.expect_error('InvalidArgument', a.call, pa, 'SendDTMF', v('(s)', ('x',)))
    got = lambda: [r[3][1] for r in b.rec.records if r[0] == pb and r[2] == 'GotDTMF']
    assert sipsd.wait_until(lambda: len(got()) >= len(digits), 6), got()
    assert got() == digits
    # a recording still running when the call ends is finalised and announced
    path, _ = record(b, pb, 'ended.wav')
    sipsd.run_loop(0.6)
    hang_up(a, pa, b, pb)
    assert b.wait(pb, 'WillStopRecordingAudio')[1] == path
    assert b.wait(pb, 'DidStopRecordingAudio')[1] == path
    assert analyse(path)['duration'] > 0.4


def test_no_audio_from_sipp(ab, tmp_path):
    a, _ = ab
    sipp = peers.Sipp(str(tmp_path), 'uas')
    sipp.start()
    try:
        a.set('RtpTimeout', v('u', 2))   # reported in the log, ends nothing:
        a.set('RtpTimeoutEndsSession', v('b', False))
        path = a.daemon.create_session()
        a.call(path, 'New', v('(sosbb)', (sipp.uri(), '/', '', True, False)))
        a.wait(path, 'DidStart')
        started = time.monotonic()
        a.wait(path, 'GotNoAudio', timeout=8)
        assert 4.5 < time.monotonic() - started < 7
        props = a.props(path)
        assert not props['AudioWasReceived'] and props['State'] == 'ESTABLISHED'
        assert 'no RTP received for 2 s' in a.daemon.stderr_text()
        a.call(path, 'Terminate')
        a.wait(path, 'DidEnd')
        assert [m for m in a.members(path) if m[0] == 'GotNoAudio'] == [('GotNoAudio',)]
    finally:
        a.set('RtpTimeout', v('u', 30))
        a.set('RtpTimeoutEndsSession', v('b', True))
        sipp.stop()


def assert_device_fails_the_session(a, b, device):
    """b's input device fails: b's session fails (local 0) and ends, a's ends by b."""
    b.set('AudioInputDevice', v('s', device + ' ! rawaudioparse use-sink-caps=false format=pcm'
                                ' pcm-format=s16le sample-rate=8000 num-channels=1'))
    try:
        pa, pb = establish(a, b)
        fail = b.wait(pb, 'DidFail')
        assert fail[1:3] == ('local', 0) and fail[3], fail
        b.wait(pb, 'DidEnd', pred=lambda args: args[1] == 'local')
        a.wait(pa, 'DidEnd', pred=lambda args: args[1] == 'remote')
    finally:
        b.set('AudioInputDevice', v('s', tone_device(TONE_B)))


def test_pipeline_error_fails_the_session(ab):
    # a source that fails once running (an error on the pipeline's bus, not at start)
    assert_device_fails_the_session(*ab, 'multifilesrc location=/nonexistent-sips/%d.raw')


def test_device_that_cannot_start_fails_the_session(ab):
    # a valid description whose device cannot open: the PLAYING state change fails (it
    # runs off the main loop), and the session fails as with any pipeline error
    assert_device_fails_the_session(*ab, 'filesrc location=/nonexistent-sips/in.raw')


def test_ringtones_play_on_the_alert_device(ab):
    a, b = ab
    inbound, outbound = os.path.join(b.dir, 'in.wav'), os.path.join(a.dir, 'out.wav')
    ring_in, ring_out = os.path.join(b.dir, 'ring-in.wav'), os.path.join(a.dir, 'ring-out.wav')
    write_tone(inbound, 600)
    write_tone(outbound, 800)
    alert = 'audioconvert ! audio/x-raw,format=S16LE,channels=1 ! wavenc ! filesink location=%s'
    try:
        b.set('AudioAlertDevice', v('s', alert % ring_in))
        b.set('DefaultInboundRingtone', v('s', inbound), sipsd.RINGTONE_CONFIG,
              sipsd.RINGTONE_IFACE)
        a.set('AudioAlertDevice', v('s', alert % ring_out))
        a.set('OutboundRingtone', v('s', outbound), sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE)
        pa, pb = place_call(a, b)
        a.wait(pa, 'GotRingIndication')
        sipsd.run_loop(1.5)
        b.call(pb, 'Accept', v('(bb)', (True, False)))
        a.wait(pa, 'DidStart')
        hang_up(a, pa, b, pb)
        for path, freq in ((ring_in, 600), (ring_out, 800)):
            assert sipsd.wait_until(lambda: wav_is_final(path, 1.0), 5), path
            info = analyse(path)
            assert dominant(info, [600, 800, 1000, 440]) == freq, path
            assert 1.0 < info['duration'] < 4.0, info['duration']
            # looped without a glitch: the whole file is that one tone at the file's level
            rate, samples = read_wav(path)
            steady = samples[rate // 20:-rate // 20]
            assert 0.3 < tone_amplitude(steady, rate, freq) < 0.5, path
    finally:
        b.set('AudioAlertDevice', v('s', ''))
        b.set('DefaultInboundRingtone', v('s', ''), sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE)
        a.set('AudioAlertDevice', v('s', ''))
        a.set('OutboundRingtone', v('s', ''), sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE)


def test_generated_name_and_sigterm_finalises(ab):
    a, _ = ab
    b = Peer(TONE_B, {'RecordingsDirectory': '/nonexistent-unused'})
    try:
        recordings = os.path.join(b.daemon.home, 'rec', 'dir')
        b.set('RecordingsDirectory', v('s', recordings))
        pa, pb = establish(a, b)
        b.call(pb, 'StartRecordingAudio', v('(ss)', ('', '')))
        path = b.wait(pb, 'DidStartRecordingAudio')[1]
        assert os.path.dirname(path) == recordings
        assert re.fullmatch(r'\d{8}-\d{6}-anyone-local\.wav', os.path.basename(path)), path
        sipsd.run_loop(1.2)
        b.daemon.stop()   # SIGTERM mid-recording: the WAV must still be complete
        info = analyse(path)
        assert info['duration'] > 1.0
        assert_two_tones(info, 'SIGTERM')
        a.wait(pa, 'DidEnd')
    finally:
        b.stop()
