"""RTP leaves at ptime whatever the size of the input device's buffers (issue 12): a live
source that delivers 128 ms buffers must not make 6-7 packets leave back to back every
128 ms; nor a played file, whose decoder hands over as much as it likes. The peer is a sipp UAS whose SDP points the audio at a Python socket that keeps
each packet's kernel receive time (peers.RtpCapture); PCMU, ptime 20 ms.
"""

import statistics
import subprocess

import pytest

import peers
import sipsd

SI = sipsd.SESSION_IFACE
PTIME_MS = 20.0
CAPTURE_PACKETS = 100   # 2 s of RTP


def long_buffers_wav(path):
    """10 s of sine at 8 kHz in 1 s buffers (what the player's decoder passes on)."""
    subprocess.run(['gst-launch-1.0', '-q', 'audiotestsrc', 'wave=sine', 'samplesperbuffer=8000',
                    'num-buffers=10', '!', 'audio/x-raw,rate=8000,channels=1', '!', 'wavenc', '!',
                    'filesink', 'location=%s' % path], check=True, timeout=30, capture_output=True)
    return path


@pytest.mark.parametrize('samples', [1024, 160, 'file'],
                         ids=['128ms-buffers', '20ms-buffers', 'played-file'])
def test_rtp_leaves_at_ptime(bus, sipp, samples, tmp_path):
    played = long_buffers_wav(str(tmp_path / 'long.wav')) if samples == 'file' else None
    samples = 160 if played else samples
    d = sipsd.Daemon(bus, settings=dict(
        peers.LOOPBACK_SETTINGS, AudioCodecs=['PCMU'], RtpTimeout=0,
        AudioInputDevice='audiotestsrc wave=sine is-live=true samplesperbuffer=%d' % samples,
        AudioOutputDevice='fakesink sync=true'))
    d.start()
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    capture = peers.RtpCapture()
    capture.start()
    try:
        uas = sipp('uas_capture_rtp.xml', keys={'capture_port': capture.port})
        uas.start()
        path = peers.new_call(d, uas.uri())
        got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidEnd'), 15)
        assert got is not None and got[0] == 'DidStart', '%s\n%s' % (
            got, d.stderr_text()[-4000:])
        if played:
            d.call(path, SI, 'PlayAudioFile', sipsd.v('(sb)', (played, True)))
            assert peers.wait_session_signal(recorder, path, 'DidStartPlayingAudioFile', 10)
        # the first second settles (the pipeline starts, the first buffers come at once)
        assert sipsd.wait_until(lambda: len(capture.times) >= 50 + CAPTURE_PACKETS, 10), \
            'no RTP reached the peer (%d packets)\n%s' % (len(capture.times), uas.describe())
        d.call(path, SI, 'Terminate')
    finally:
        capture.stop()
        recorder.close()
        d.cleanup()
    times = capture.times[50:50 + CAPTURE_PACKETS]
    gaps = [(b - a) / 1000.0 for a, b in zip(times, times[1:])]
    back_to_back = [g for g in gaps if g < PTIME_MS / 4]
    shown = ' '.join('%.1f' % g for g in gaps[:40])
    assert abs(statistics.median(gaps) - PTIME_MS) <= 3, 'median gap %.1f ms: %s' % (
        statistics.median(gaps), shown)
    # a busy machine may delay one packet so that the next follows closely: a few only
    assert len(back_to_back) <= len(gaps) // 10, \
        '%d of %d packets within %.0f ms of the one before: %s' % (
            len(back_to_back), len(gaps), PTIME_MS / 4, shown)
