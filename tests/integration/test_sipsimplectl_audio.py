"""sipsimplectl's audio commands (dtmf, record start|stop, sessions --audio) between two
real daemons, each on its own private bus, with audiotestsrc tones (see test_audio.py).

What is checked is what a user sees (stdout, stderr, exit status) and what arrived on the
other side: GotDTMF signals in order, a WAV file with both tones in it."""

import os
import re
import subprocess
import time

import pytest

import sipsd
from sipsd import v
from test_audio import (TONE_A, TONE_B, Peer, analyse, assert_two_tones, establish,
                        hang_up)
from test_sipsimplectl import failed, ok

SI = sipsd.SESSION_IFACE
ENDPOINT = r'127\.0\.0\.1:\d+'


def ctl_path():
    path = os.environ.get('SIPSIMPLECTL')
    if not path:
        pytest.skip('SIPSIMPLECTL is not set')
    return path


def ctl(peer, *args, cwd=None, timeout=30):
    """sipsimplectl --address=<the peer's bus> ARGS..."""
    env = dict(os.environ, LC_ALL='C.UTF-8')
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    return subprocess.run([ctl_path(), '--address', peer.bus.address] + [str(a) for a in args],
                          env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)


@pytest.fixture(scope='module')
def pair():
    a = Peer(TONE_A, {'AudioCodecs': ['PCMU']})
    try:
        b = Peer(TONE_B, {'AudioCodecs': ['PCMU']})
    except Exception:
        a.stop()
        raise
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def call(pair):
    """An established PCMU call A -> B, hung up afterwards if still up."""
    a, b = pair
    for p in pair:
        p.rec.clear()
    pa, pb = establish(a, b)
    yield a, pa, b, pb
    if a.props(pa)['State'] == 'ESTABLISHED':
        hang_up(a, pa, b, pb)


def audio_rows(peer):
    out = ok(ctl(peer, 'sessions', '--audio'))
    lines = out.splitlines()
    assert lines[0].split() == ['PATH', 'STATE', 'CODEC', 'SRTP', 'LOCAL-RTP', 'REMOTE-RTP',
                                'RTP-FROM', 'RECEIVED', 'ICE'], out
    return {line.split()[0]: line.split()[1:] for line in lines[1:]}


# ---------------------------------------------------------------- dtmf

def test_dtmf_digits_arrive_in_order(call):
    a, pa, b, pb = call
    t0 = time.monotonic()
    assert ok(ctl(a, 'dtmf', '19#*a0')) == ''
    # one SendDTMF per digit, 200 ms apart by default
    assert time.monotonic() - t0 >= 5 * 0.2
    # naming the session, with another interval
    ok(ctl(a, 'dtmf', '--interval=50', pa.rsplit('/', 1)[1], 'D5'))
    expected = ['1', '9', '#', '*', 'A', '0', 'D', '5']
    got = lambda: [r[3][1] for r in b.rec.records if r[0] == pb and r[2] == 'GotDTMF']
    assert sipsd.wait_until(lambda: len(got()) >= len(expected), 8), got()
    sipsd.run_loop(0.3)
    assert got() == expected


def test_dtmf_errors(call):
    a, pa, b, pb = call
    err = failed(ctl(a, 'dtmf', '12x4'))
    assert '“12x4”: DTMF digits are 0-9, *, #, A-D' in err, err
    for args in (('dtmf',), ('dtmf', 'session/1', '1', '2'), ('dtmf', ''),
                 ('dtmf', '--loud', '1')):
        r = ctl(a, *args)
        assert r.returncode == 2 and 'Usage: sipsimplectl dtmf' in r.stderr, (args, r.stderr)
    err = failed(ctl(a, 'dtmf', '--interval=-1', '1'))
    assert 'interval' in err
    # nothing was sent by the refused commands
    sipsd.run_loop(0.5)
    assert not [r for r in b.rec.records if r[2] == 'GotDTMF']


def test_dtmf_needs_an_established_session(pair):
    a, _ = pair
    err = failed(ctl(a, 'dtmf', '1'))
    assert 'no established session' in err, err
    path = a.daemon.create_session()    # NULL, kept by our connection
    err = failed(ctl(a, 'dtmf', path, '1'))
    assert err.startswith('sipsimplectl: InvalidState: '), err


# ---------------------------------------------------------------- record

def test_record_start_stop_writes_the_tones(call, tmp_path):
    a, pa, b, pb = call
    os.makedirs(str(tmp_path / 'rec'))
    # a relative --path is the caller's: the daemon gets it absolute
    out = ok(ctl(b, 'record', 'start', '--path', 'rec', '--file=ctl.wav', cwd=str(tmp_path)))
    path = str(tmp_path / 'rec' / 'ctl.wav')
    assert out == path + '\n', out
    t0 = time.monotonic()
    assert b.props(pb)['AudioRecordingFileName'] == path
    sipsd.run_loop(1.5)
    err = failed(ctl(b, 'record', 'start'))
    assert 'InvalidState' in err and 'already recording' in err, err
    assert ok(ctl(b, 'record', 'stop')) == path + '\n'
    t1 = time.monotonic()
    # stop prints once the file is complete (DidStopRecordingAudio)
    assert b.props(pb)['AudioRecordingFileName'] == ''
    info = analyse(path)
    assert info['rate'] == 8000
    assert abs(info['duration'] - (t1 - t0)) < 0.6, (info['duration'], t1 - t0)
    # the command's subject is the file and its tones; dropouts are test_audio.py's
    assert_two_tones(info, 'sipsimplectl record', dips=1)


def test_record_generated_name_and_session_named(call):
    a, pa, b, pb = call
    recordings = os.path.join(b.daemon.home, 'recordings')
    b.set('RecordingsDirectory', v('s', recordings))
    n = pb.rsplit('/', 1)[1]
    out = ok(ctl(b, 'record', 'start', 'session/' + n)).strip()
    assert os.path.dirname(out) == recordings, out
    assert re.fullmatch(r'\d{8}-\d{6}-.+\.wav', os.path.basename(out)), out
    assert b.wait(pb, 'DidStartRecordingAudio')[1] == out
    sipsd.run_loop(0.8)
    assert ok(ctl(b, 'record', 'stop', pb)).strip() == out
    assert analyse(out)['duration'] > 0.5


def test_record_errors(call, tmp_path):
    a, pa, b, pb = call
    err = failed(ctl(b, 'record', 'stop'))
    assert 'no session recording audio' in err, err
    err = failed(ctl(b, 'record', 'stop', pb))      # named, but not recording: the daemon's
    assert 'InvalidState' in err, err
    err = failed(ctl(b, 'record', 'start', '--path=%s/missing' % tmp_path))
    assert 'InvalidArgument' in err, err
    err = failed(ctl(b, 'record', 'start', '--file=a/b.wav'))
    assert 'InvalidArgument' in err, err
    for args in (('record',), ('record', 'pause'), ('record', 'stop', '--file=x.wav'),
                 ('record', 'start', 'a', 'b'), ('record', '--volume=3', 'start')):
        r = ctl(b, *args)
        assert r.returncode == 2 and 'Usage: sipsimplectl record' in r.stderr, (args, r.stderr)
    assert b.props(pb)['AudioRecordingFileName'] == ''
    assert not [r for r in b.rec.records if r[2] == 'DidStartRecordingAudio']


def test_record_stop_with_two_recordings_needs_a_name(pair, tmp_path):
    a, b = pair
    for p in pair:
        p.rec.clear()
    calls = [establish(a, b) for _ in range(2)]
    try:
        for i, (_, pb) in enumerate(calls):
            ok(ctl(b, 'record', 'start', pb, '--path', tmp_path, '--file=%d.wav' % i))
        err = failed(ctl(b, 'record', 'stop'))
        assert '2 sessions are recording audio' in err, err
        for i, (_, pb) in enumerate(calls):
            assert ok(ctl(b, 'record', 'stop', pb)).strip() == str(tmp_path / ('%d.wav' % i))
    finally:
        for pa, pb in calls:
            hang_up(a, pa, b, pb)


# ---------------------------------------------------------------- sessions --audio

def test_sessions_audio_fields(call):
    a, pa, b, pb = call
    # both directions: the received address shows once the first packet is in
    assert sipsd.wait_until(lambda: b.props(pb)['AudioWasReceived'], 5)
    assert sipsd.wait_until(lambda: a.props(pa)['AudioWasReceived'], 5)
    pa_props, pb_props = a.props(pa), b.props(pb)
    row = audio_rows(b)[pb]
    assert row[:3] == ['ESTABLISHED', 'PCMU/8000', 'no'], row
    assert row[3] == '127.0.0.1:%d' % pb_props['AudioLocalRtpPort']
    assert row[4] == '127.0.0.1:%d' % pb_props['AudioRemoteRtpPortSdp']
    # received from where A sends (symmetric RTP: A's local port)
    assert row[5] == '127.0.0.1:%d' % pa_props['AudioLocalRtpPort'], (row, pa_props)
    assert row[6] == 'yes' and row[7] == 'no'  # ICE off
    assert audio_rows(a)[pa][5] == '127.0.0.1:%d' % pb_props['AudioLocalRtpPort']
    # the plain listing still names the codec
    plain = ok(ctl(b, 'sessions'))
    assert re.search(r'^%s +ESTABLISHED +incoming +\S+ +PCMU ' % re.escape(pb), plain, re.M), plain


def test_sessions_audio_with_srtp_and_null_session(pair):
    a, b = pair
    for p in pair:
        p.rec.clear()
        p.set('UseSrtp', v('b', True), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    try:
        pa, pb = establish(a, b)
        assert sipsd.wait_until(lambda: b.props(pb)['AudioWasReceived'], 5)
        row = audio_rows(b)[pb]
        assert row[1:3] == ['PCMU/8000', 'yes'] and row[6] == 'yes', row
        assert re.fullmatch(ENDPOINT, row[5]), row
        hang_up(a, pa, b, pb)
    finally:
        for p in pair:
            p.set('UseSrtp', v('b', False), sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    null = a.daemon.create_session()
    assert audio_rows(a)[null] == ['NULL', '-', '-', '-', '-', '-', '-', '-']
    r = ctl(a, 'sessions', '--frobnicate')
    assert r.returncode == 2 and 'Usage: sipsimplectl sessions' in r.stderr


def test_help_lists_the_audio_commands():
    r = subprocess.run([ctl_path(), '--help'], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, LC_ALL='C.UTF-8'))
    for line in (r'dtmf \[SESSION\] DIGITS', r'record start \[SESSION\]',
                 r'record stop \[SESSION\]', r'sessions \[--audio\]'):
        assert re.search(r'^  ' + line, r.stdout, re.M), line
    r = subprocess.run([ctl_path(), 'record', '--help'], capture_output=True, text=True,
                       timeout=30)
    assert '--path=DIR' in r.stdout and '--file=NAME' in r.stdout
