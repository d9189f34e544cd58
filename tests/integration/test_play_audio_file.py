"""Session1.PlayAudioFile / StopPlayingAudioFile between two real daemons and with baresip.

A's input device sends a 1000 Hz sine; A plays a file (a 440 Hz WAV at 44.1 kHz stereo,
or a 700 Hz Ogg/Opus) into the call; B records the call (both directions mixed: B's own
300 Hz sine is in it too) and the test measures, per 20 ms window, where each tone is:
the file's tone for as long as the file lasts, A's device tone before and after it, never
both at once (the file replaces the device). Loop, stop, replace, hold, SRTP, bad files,
wrong states, hang-up while playing; baresip as the peer once (its own recording)."""

import os
import subprocess

import pytest

import peers
import sipsd
from sipsd import v
from test_audio import Peer, establish, hang_up, read_wav, tone_amplitude
from test_baresip_audio import baresip_has

SI = sipsd.SESSION_IFACE
DEVICE_A, DEVICE_B = 1000, 300
WAV_TONE, OGG_TONE = 440, 700
LEVEL = 0.15            # a tone counts in a 20 ms window from this amplitude (sent at ~0.5)


def make_file(path, freq, seconds, encode):
    """A sine of freq for seconds at 44.1 kHz stereo, encoded by GStreamer."""
    buffers = int(seconds * 100)
    subprocess.run(['gst-launch-1.0', '-q', 'audiotestsrc', 'wave=sine', 'freq=%d' % freq,
                    'volume=0.5', 'samplesperbuffer=441', 'num-buffers=%d' % buffers, '!',
                    'audio/x-raw,rate=44100,channels=2', '!', 'audioconvert', '!'] +
                   encode.split() + ['!', 'filesink', 'location=' + path],
                   check=True, timeout=30, capture_output=True)
    return path


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('files')
    return {'wav': make_file(str(d / 'greeting.wav'), WAV_TONE, 1.5, 'wavenc'),
            'ogg': make_file(str(d / 'music.ogg'), OGG_TONE, 1.5,
                             'audioresample ! opusenc ! oggmux'),
            'short': make_file(str(d / 'short.wav'), WAV_TONE, 0.5, 'wavenc'),
            'flac': make_file(str(d / 'tone.flac'), WAV_TONE, 1.0, 'flacenc'),
            'mp3': make_file(str(d / 'tone.mp3'), OGG_TONE, 1.0, 'lamemp3enc'),
            'text': str(d / 'notes.wav')}


@pytest.fixture(scope='module')
def pair(files):
    with open(files['text'], 'w') as f:
        f.write('not a sound file\n')
    with sipsd.two_peers(lambda: Peer(DEVICE_A), lambda: Peer(DEVICE_B)) as peers:
        yield peers


@pytest.fixture
def ab(pair):
    for p in pair:
        p.rec.clear()
        p.set('AudioCodecs', v('as', ['opus', 'G722', 'PCMU', 'PCMA']))
        p.set('UseSrtp', v('b', False), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    yield pair


def toned(path):
    """For each 20 ms window of the WAV: the set of test tones present."""
    rate, samples = read_wav(path)
    n = rate // 50
    out = []
    for i in range(0, len(samples) - n + 1, n):
        part = samples[i:i + n]
        out.append({f for f in (DEVICE_A, WAV_TONE, OGG_TONE)
                    if tone_amplitude(part, rate, f) >= LEVEL})
    return out


def seconds(windows, freq):
    return sum(1 for w in windows if freq in w) * 0.02


def play(a, pa, path, loop=False):
    a.call(pa, 'PlayAudioFile', v('(sb)', (path, loop)))
    a.wait(pa, 'DidStartPlayingAudioFile', pred=lambda args: args[1] == path)


def start_recording(b, pb, name):
    b.call(pb, 'StartRecordingAudio', v('(ss)', (b.dir, name)))
    return b.wait(pb, 'DidStartRecordingAudio')[1]


def finish_recording(b, pb, path):
    b.call(pb, 'StopRecordingAudio')
    assert b.wait(pb, 'DidStopRecordingAudio')[1] == path
    return toned(path)


@pytest.mark.parametrize('codec', ['opus', 'G722', 'PCMU', 'PCMA'])
def test_wav_replaces_device_then_device_returns(ab, files, codec):
    a, b = ab
    for p in ab:
        p.set('AudioCodecs', v('as', [codec]))
    pa, pb = establish(a, b)
    rec = start_recording(b, pb, 'wav-%s.wav' % codec)
    sipsd.run_loop(0.5)
    play(a, pa, files['wav'])
    assert a.props(pa)['AudioPlayingFileName'] == files['wav']
    stopped = a.wait(pa, 'DidStopPlayingAudioFile', timeout=5)
    assert a.props(pa)['AudioPlayingFileName'] == ''
    assert stopped[1:] == (files['wav'], True)
    sipsd.run_loop(0.6)
    w = finish_recording(b, pb, rec)
    hang_up(a, pa, b, pb)
    file_s, device_s = seconds(w, WAV_TONE), seconds(w, DEVICE_A)
    both = sum(1 for x in w if {WAV_TONE, DEVICE_A} <= x) * 0.02
    print('%s: %.2f s recorded, file %.2f s, device %.2f s, both %.2f s'
          % (codec, len(w) * 0.02, file_s, device_s, both))
    assert 1.3 <= file_s <= 1.7, 'the 1.5 s file arrived for %.2f s' % file_s
    assert device_s >= 0.6
    assert DEVICE_A in w[-5] and WAV_TONE not in w[-5], 'the device is not back: %s' % w[-10:]
    assert both <= 0.1, 'file and device mixed for %.2f s' % both


@pytest.mark.parametrize('kind, tone', [('flac', WAV_TONE), ('mp3', OGG_TONE)])
def test_flac_and_mp3(ab, files, kind, tone):
    a, b = ab
    pa, pb = establish(a, b)
    rec = start_recording(b, pb, '%s.wav' % kind)
    play(a, pa, files[kind])
    assert a.wait(pa, 'DidStopPlayingAudioFile', timeout=5)[1:] == (files[kind], True)
    sipsd.run_loop(0.3)
    w = finish_recording(b, pb, rec)
    hang_up(a, pa, b, pb)
    print('%s: %.2f s of its tone' % (kind, seconds(w, tone)))
    assert 0.85 <= seconds(w, tone) <= 1.2


def test_ogg_with_srtp_loop_hold_replace_stop(ab, files):
    a, b = ab
    for p in ab:
        p.set('UseSrtp', v('b', True), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    pa, pb = establish(a, b)
    assert a.props(pa)['AudioSrtpActive']
    rec = start_recording(b, pb, 'ogg-srtp.wav')
    play(a, pa, files['ogg'], loop=True)
    sipsd.run_loop(2.0)           # longer than the 1.5 s file: looped
    a.call(pa, 'Hold')
    a.wait(pa, 'GotHoldRequest')
    sipsd.run_loop(0.5)
    a.call(pa, 'Unhold')
    a.wait(pa, 'GotUnholdRequest')
    sipsd.run_loop(1.0)           # the file again after unhold
    assert not [r for r in a.members(pa) if r[0] == 'DidStopPlayingAudioFile']
    play(a, pa, files['wav'])     # replaces the ogg
    assert ('DidStopPlayingAudioFile', files['ogg'], False) in a.members(pa)
    sipsd.run_loop(0.6)
    a.call(pa, 'StopPlayingAudioFile')
    assert a.wait(pa, 'DidStopPlayingAudioFile',
                  pred=lambda args: args[1] == files['wav'])[2] is False
    sipsd.expect_error('InvalidState', a.call, pa, 'StopPlayingAudioFile')
    sipsd.run_loop(0.5)
    w = finish_recording(b, pb, rec)
    hang_up(a, pa, b, pb)
    ogg_s, wav_s = seconds(w, OGG_TONE), seconds(w, WAV_TONE)
    print('ogg %.2f s (looped), wav %.2f s, device at the end %s' % (ogg_s, wav_s, w[-5]))
    assert ogg_s >= 2.3, 'looped ogg only %.2f s' % ogg_s
    assert 0.4 <= wav_s <= 0.9
    assert DEVICE_A in w[-5]


def test_refused_and_hang_up_while_playing(ab, files):
    a, b = ab
    pa = a.daemon.create_session()
    # no audio stream yet
    sipsd.expect_error('InvalidState', a.call, pa, 'PlayAudioFile', v('(sb)', (files['wav'], False)))
    pa, pb = establish(a, b)
    for bad in (files['text'], files['wav'] + '.missing', 'relative.wav', '', '/tmp'):
        sipsd.expect_error('InvalidArgument', a.call, pa, 'PlayAudioFile', v('(sb)', (bad, False)))
    assert not [r for r in a.members(pa) if 'PlayingAudioFile' in r[0]]
    play(a, pa, files['short'], loop=True)
    a.call(pa, 'Terminate')
    args = a.wait(pa, 'DidStopPlayingAudioFile')
    assert args[1:] == (files['short'], False)
    names = [r[0] for r in a.members(pa)]
    a.wait(pa, 'DidEnd')
    b.wait(pb, 'DidEnd')
    assert names.index('DidStopPlayingAudioFile') < [r[0] for r in a.members(pa)].index('DidEnd')


def test_baresip_hears_the_file(tmp_path, files):
    if not baresip_has('g711'):
        pytest.skip('baresip has no g711 module')
    d = Peer(DEVICE_A)
    b = peers.Baresip(str(tmp_path), codecs=('g711',), tone=(8000, 1), tone_freq=DEVICE_B,
                      record=True)
    b.start()
    try:
        d.set('AudioCodecs', v('as', ['PCMU']))
        path = peers.new_call(d.daemon, b.uri)
        d.wait(path, 'DidStart', 15)
        assert b.wait_event(lambda e: e.get('type') == 'CALL_ESTABLISHED', 5), b.describe()
        sipsd.run_loop(0.5)
        play(d, path, files['wav'])
        assert d.wait(path, 'DidStopPlayingAudioFile', timeout=5)[2] is True
        sipsd.run_loop(0.5)
        d.call(path, 'Terminate')
        d.wait(path, 'DidEnd')
        assert b.wait_event(lambda e: e.get('type') == 'CALL_CLOSED', 5), b.describe()
        assert sipsd.wait_until(lambda: b.recordings('dec'), 5), os.listdir(b.record_dir)
        w = toned(b.recordings('dec')[0])
    finally:
        b.stop()
        d.stop()
    print('baresip received: file %.2f s, device %.2f s' % (seconds(w, WAV_TONE), seconds(w, DEVICE_A)))
    assert 1.3 <= seconds(w, WAV_TONE) <= 1.7
    assert seconds(w, DEVICE_A) >= 0.6


def test_sipsimplectl_play(ab, files):
    a, b = ab
    pa, pb = establish(a, b)

    def ctl(*args):
        return subprocess.run([os.environ['SIPSIMPLECTL']] + list(args), env=a.daemon.env,
                              cwd=os.path.dirname(files['short']), capture_output=True,
                              text=True, timeout=30)

    # a relative name is the CLI's, not the daemon's; --wait returns at the end, exit 0
    r = ctl('play', os.path.basename(files['short']), '--wait')
    assert r.returncode == 0 and r.stdout.strip() == files['short'], r
    assert a.wait(pa, 'DidStopPlayingAudioFile')[1:] == (files['short'], True)
    r = ctl('play', '--stop')
    assert r.returncode == 1 and 'InvalidState' in r.stderr, r
    r = ctl('play', 'session/' + pa.rsplit('/', 1)[1], files['wav'], '--loop')
    assert r.returncode == 0, r
    a.wait(pa, 'DidStartPlayingAudioFile', pred=lambda args: args[1] == files['wav'])
    r = ctl('play', '--stop')
    assert r.returncode == 0, r
    assert a.wait(pa, 'DidStopPlayingAudioFile',
                  pred=lambda args: args[1] == files['wav'])[2] is False
    r = ctl('play', 'notes.wav')
    assert r.returncode == 1 and 'InvalidArgument' in r.stderr, r
    hang_up(a, pa, b, pb)
