"""Audio interop with baresip (baresip-core): tones both ways, measured on both sides.

The daemon calls baresip (auto-answer) and sends a 1000 Hz sine (audiotestsrc); baresip's
aufile source plays a 440 Hz WAV made here (aufile does not resample: the file has the
codec's rate and channels). After ~3 s the daemon hangs up. baresip's sndfile module has
written what it received (dump-*-dec.wav): its dominant frequency must be 1000 Hz at the
level sent; the daemon's own recording (StartRecordingAudio, both directions mixed) must
hold baresip's 440 Hz at the level baresip sent, beside its own 1000 Hz."""

import os

import pytest

import peers
import sipsd
from sipsd import v
from test_audio import Peer, read_wav, rms, tone_amplitude, window

SI = sipsd.SESSION_IFACE
DAEMON_TONE, BARESIP_TONE = 1000, 440
DAEMON_LEVEL = 0.3                      # test_audio.Peer's audiotestsrc volume
BARESIP_LEVEL = 8000 / 32768            # peers.write_tone's amplitude
CALL_SECONDS = 3.0
# codec -> (the daemon's name, baresip's module, aufile's (rate, channels), WAV rate)
CODECS = {
    'PCMU': ('PCMU', 'g711', (8000, 1), 8000),
    'opus': ('opus', 'opus', (48000, 2), 48000),   # baresip's opus is 48 kHz stereo
}


def baresip_has(module):
    return os.path.exists(os.path.join(peers.BARESIP_MODULES, module + '.so'))


def dominant_frequency(samples, rate, low=100, high=3800):
    """The strongest frequency in samples: a coarse Goertzel scan on 50 ms (20 Hz
    resolution), then 1 Hz steps around the peak on the whole window."""
    short = samples[:int(0.05 * rate)]
    coarse = max(range(low, high, 10), key=lambda f: tone_amplitude(short, rate, f))
    return max(range(coarse - 15, coarse + 16), key=lambda f: tone_amplitude(samples, rate, f))


def measure(path):
    """The dominant frequency and its amplitude, the amplitudes of both test tones and of
    a few others (noise), rms, duration in s and rate of a WAV's steady part."""
    rate, samples = read_wav(path)
    part, prate = window(samples, rate, seconds=0.5, skip=0.5)
    freq = dominant_frequency(part, prate)
    return {'freq': freq, 'level': tone_amplitude(part, prate, freq),
            DAEMON_TONE: tone_amplitude(part, prate, DAEMON_TONE),
            BARESIP_TONE: tone_amplitude(part, prate, BARESIP_TONE),
            'noise': max(tone_amplitude(part, prate, f) for f in (700, 1500, 2300)),
            'rms': rms(part), 'duration': len(samples) / rate, 'rate': rate}


def near(value, expected, tolerance=0.35):
    return abs(value - expected) <= tolerance * expected


@pytest.fixture
def daemon():
    d = Peer(DAEMON_TONE)
    yield d
    d.stop()


@pytest.mark.parametrize('codec', list(CODECS))
def test_tones_both_ways(daemon, tmp_path, codec):
    name, module, tone, wav_rate = CODECS[codec]
    if not baresip_has(module):
        pytest.skip('baresip has no %s module' % module)
    b = peers.Baresip(str(tmp_path), codecs=(module,), tone=tone, tone_freq=BARESIP_TONE,
                      record=True)
    b.start()
    try:
        d = daemon
        d.set('AudioCodecs', v('as', [name]))
        path = peers.new_call(d.daemon, b.uri)
        d.wait(path, 'DidStart', 15)
        assert b.wait_event(lambda e: e.get('type') == 'CALL_ESTABLISHED', 5), b.describe()
        d.call(path, 'StartRecordingAudio', v('(ss)', (d.dir, 'baresip-%s.wav' % codec)))
        ours = d.wait(path, 'DidStartRecordingAudio')[1]
        sipsd.run_loop(CALL_SECONDS)
        props = d.props(path)
        assert props['AudioCodec'] == name and props['AudioWasReceived'], props
        assert props['AudioRemoteRtpPortReceived'] == props['AudioRemoteRtpPortSdp'], props
        d.call(path, 'Terminate')
        d.wait(path, 'DidEnd')
        assert d.wait(path, 'DidStopRecordingAudio')[1] == ours
        assert b.wait_event(lambda e: e.get('type') == 'CALL_CLOSED', 5), b.describe()
        # sndfile closes its files when the call's audio is destroyed
        assert sipsd.wait_until(lambda: b.recordings('dec'), 5), os.listdir(b.record_dir)
    finally:
        b.stop()

    theirs = b.recordings('dec')
    assert len(theirs) == 1, theirs
    got = measure(theirs[0])
    print('%s baresip received: %s' % (codec, got))
    assert got['rate'] == wav_rate
    assert abs(got['freq'] - DAEMON_TONE) <= 3, got
    assert near(got['level'], DAEMON_LEVEL), got
    assert got[BARESIP_TONE] < 0.05 * got['level'], got      # nothing of its own leaked in
    assert got['noise'] < 0.1 * got['level'], got
    assert CALL_SECONDS - 0.5 < got['duration'] < CALL_SECONDS + 2, got

    mine = measure(ours)
    print('%s daemon recorded: %s' % (codec, mine))
    assert mine['rate'] == wav_rate
    # what baresip sent, at its level, beside the daemon's own tone
    assert near(mine[BARESIP_TONE], BARESIP_LEVEL), mine
    assert near(mine[DAEMON_TONE], DAEMON_LEVEL), mine
    assert mine['freq'] in range(DAEMON_TONE - 3, DAEMON_TONE + 4) or \
        abs(mine['freq'] - BARESIP_TONE) <= 3, mine
    assert CALL_SECONDS - 0.5 < mine['duration'] < CALL_SECONDS + 1.5, mine
    assert mine['noise'] < 0.1 * BARESIP_LEVEL, mine
