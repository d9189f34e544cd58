"""Smaller defects seen with hostile input (issue 8, defect 4), each against a real peer.

- SendMessage (Session1 and MSRPChat1) with empty content: InvalidArgument, nothing sent.
- StartRecordingAudio with names holding CR/LF, control or bidi characters, too long
  names/paths, '/', '..' or a relative directory: InvalidArgument, no file created.
- StopRecordingAudio while the peer sends no RTP (sipp's built-in UAS has no media):
  the reply comes at once, DidStopRecordingAudio follows, the WAV is complete.
- Relative TlsCaFile/TlsCertificateFile/ringtone paths (which would resolve against the
  daemon's working directory): InvalidArgument, nothing stored.
"""

import os
import time
import wave

import pytest

import peers
import sipsd
from sipsd import v

SI = sipsd.SESSION_IFACE
CI = 'org.sipsimple.MSRPChat1'
INVALID = sipsd.ERROR_PREFIX + 'InvalidArgument'
DAEMON_SETTINGS = dict(peers.LOOPBACK_SETTINGS,
                       AudioInputDevice='audiotestsrc wave=sine freq=1000 is-live=true',
                       AudioOutputDevice='fakesink')


def context(daemon, *others):
    return '\n'.join([o.describe() for o in others] +
                     ['--- daemon stderr\n' + daemon.stderr_text()[-4000:]])


# ------------------------------------------------------------------ SendMessage

def test_send_message_empty_content_refused():
    from test_chat import make_pair, establish, hang_up, send, got_messages, wait_messages
    a, b = make_pair(False)
    try:
        pa, pb = establish(a, b)
        for path, iface in ((pa, SI), (pa + '/Chat', CI)):
            msg = sipsd.expect_error(INVALID, send, a, path, '', 'text/plain', '', 0, iface)
            assert 'content' in msg.lower(), msg
        # the next real message is the first one B sees: nothing empty went out
        send(a, pa, 'after', 'text/plain')
        wait_messages(b, pb, 1)
        assert [m[0] for m in got_messages(b, pb)] == ['after']
        hang_up(a, b, pa, pb)
    finally:
        a.stop()
        b.stop()


# ------------------------------------------------------------------ recording

def established_call(daemon, recorder, sipp, scenario='uas'):
    peer = sipp(scenario).start()   # built-in UAS: answers with SDP, sends no RTP
    path = peers.new_call(daemon, peer.uri())
    assert peers.wait_session_signal(recorder, path, 'DidStart', 15), context(daemon, peer)
    return peer, path


BAD_NAMES = [
    'a\r\nb.wav', 'line\nfeed.wav', 'tab\there.wav', 'bell\x07.wav', 'esc\x1b[31m.wav',
    'del\x7f.wav', 'c1\u0085.wav', 'evil\u202egnp.wav', 'lre\u202a.wav', 'fsi\u2068.wav',
    'pdi\u2069.wav', 'x' * 256, 'y' * 3072, 'z' * (1 << 20), 'a/b.wav', '..', '.',
]


def test_recording_names_refused(daemon, recorder, sipp, tmp_path):
    peer, path = established_call(daemon, recorder, sipp)
    rec_dir = tmp_path / 'rec'
    rec_dir.mkdir()
    for name in BAD_NAMES:
        t0 = time.monotonic()
        sipsd.expect_error(INVALID, daemon.call, path, SI, 'StartRecordingAudio',
                           v('(ss)', (str(rec_dir), name)))
        assert time.monotonic() - t0 < 2, repr(name[:40])
    for bad_dir in ('relative/dir', 'rec', str(rec_dir) + '/\r\n', '/' + 'd' * 5000,
                    str(rec_dir / 'missing')):
        sipsd.expect_error(INVALID, daemon.call, path, SI, 'StartRecordingAudio',
                           v('(ss)', (bad_dir, 'ok.wav')))
    assert os.listdir(rec_dir) == []
    assert not [f for f in os.listdir(daemon.home) if f.endswith('.wav')]
    assert daemon.get(path, SI, 'AudioRecordingFileName') == ''
    assert not peers.session_signals(recorder, path, ('WillStartRecordingAudio',
                                                      'DidStartRecordingAudio'))
    # a good name (non-ASCII but printable) still records
    good = str(rec_dir / 'grüße-日本.wav')
    daemon.call(path, SI, 'StartRecordingAudio', v('(ss)', (str(rec_dir), 'grüße-日本.wav')))
    assert peers.wait_session_signal(recorder, path, 'DidStartRecordingAudio')[1] == good
    daemon.call(path, SI, 'StopRecordingAudio')
    assert peers.wait_session_signal(recorder, path, 'DidStopRecordingAudio')[1] == good
    daemon.call(path, SI, 'Terminate')
    assert peers.wait_session_signal(recorder, path, 'DidEnd')


@pytest.mark.parametrize('scenario', ['uas', 'uas_hold.xml'])
def test_stop_recording_without_rtp_answers_at_once(daemon, recorder, sipp, tmp_path, scenario):
    """No RTP arrives; with uas_hold.xml the peer also holds (a=sendonly), so nothing at
    all reaches the recorder: its mixer never starts, which blocked StopRecordingAudio."""
    peer, path = established_call(daemon, recorder, sipp, scenario)
    out = str(tmp_path / 'silent-peer.wav')
    daemon.call(path, SI, 'StartRecordingAudio', v('(ss)', (str(tmp_path), 'silent-peer.wav')))
    assert peers.wait_session_signal(recorder, path, 'DidStartRecordingAudio')[1] == out
    sipsd.run_loop(2.5)   # the recording's length, as in the report
    t0 = time.monotonic()
    daemon.call(path, SI, 'StopRecordingAudio', timeout_ms=10000)
    elapsed = time.monotonic() - t0
    assert elapsed < 1.0, 'StopRecordingAudio took %.2f s\n%s' % (elapsed, context(daemon, peer))
    did = peers.wait_session_signal(recorder, path, 'DidStopRecordingAudio', 5)
    assert did is not None and did[1] == out, context(daemon, peer)
    with wave.open(out, 'rb') as w:   # header finalised: sizes match the data
        frames = w.getnframes()
        rate = w.getframerate()
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        assert len(w.readframes(frames)) == frames * 2
    if scenario == 'uas':
        # not held: what we sent was recorded (a tee blocked by the recorder's mixer
        # stalled the sent audio too: 0.13 s of 2.5 s)
        assert frames / rate >= 1.0, (frames, rate)
    assert os.path.getsize(out) >= 44 + frames * 2
    assert daemon.get(path, SI, 'AudioRecordingFileName') == ''
    daemon.call(path, SI, 'Terminate')
    assert peers.wait_session_signal(recorder, path, 'DidEnd')


# ------------------------------------------------------------------ relative paths

def test_relative_paths_refused(daemon, tmp_path):
    home = daemon.home   # the daemon's working directory
    peers.write_tone(os.path.join(home, 'ring.wav'), seconds=1)
    with open(os.path.join(home, 'ca.pem'), 'w') as f:
        f.write('not checked here\n')
    before = daemon.config_text()
    for prop in ('TlsCaFile', 'TlsCertificateFile'):
        for value in ('ca.pem', './ca.pem', '../' + os.path.basename(home) + '/ca.pem'):
            msg = sipsd.expect_error(INVALID, daemon.set, sipsd.SETTINGS, sipsd.SETTINGS_IFACE,
                                     prop, v('s', value))
            assert 'absolute' in msg, msg
            assert daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, prop) == ''
    for prop in ('DefaultInboundRingtone', 'OutboundRingtone'):
        for value in ('ring.wav', './ring.wav'):
            msg = sipsd.expect_error(INVALID, daemon.set, sipsd.RINGTONE_CONFIG,
                                     sipsd.RINGTONE_IFACE, prop, v('s', value))
            assert 'absolute' in msg, msg
            assert daemon.get(sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE, prop) == ''
    msg = sipsd.expect_error(INVALID, daemon.call, sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE,
                             'AddRingtoneForSipuri', v('(ss)', ('sip:bob@example.com', 'ring.wav')))
    assert 'absolute' in msg, msg
    assert daemon.config_text() == before
    # the absolute paths are taken
    ring = os.path.join(home, 'ring.wav')
    daemon.set(sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE, 'DefaultInboundRingtone', v('s', ring))
    daemon.call(sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE, 'AddRingtoneForSipuri',
                v('(ss)', ('sip:bob@example.com', ring)))
    assert daemon.get(sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE,
                      'DefaultInboundRingtone') == ring
