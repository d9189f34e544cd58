"""Sessions always end (issue 8, defect 2): AnswerTimeout, RtpTimeoutEndsSession, a 200
never ACKed, a BYE or re-INVITE the peer never answers; and no RTP leaves after DidEnd.

The daemon runs with short timeouts: AnswerTimeout=2, RtpTimeout=2 and the test-only
SIPSIMPLED_SIP_T1_MS=50 (sipsimpled(8)), so a SIP transaction times out after 3.2 s.
Peers are sipp scenarios on loopback; a Python socket captures the RTP a peer gets.
"""

import time

import pytest

import peers
import sipsd
from sipsd import v

SI = sipsd.SESSION_IFACE
SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
T1_MS = 50
END_TIMEOUT = 15.0
SETTINGS = dict(peers.LOOPBACK_SETTINGS, AnswerTimeout=2, RtpTimeout=2,
                AudioInputDevice='audiotestsrc wave=silence is-live=true',
                AudioOutputDevice='fakesink')


def make_daemon(bus, monkeypatch, **settings):
    monkeypatch.setenv('SIPSIMPLED_SIP_T1_MS', str(T1_MS))
    d = sipsd.Daemon(bus, settings=dict(SETTINGS, **settings))
    d.start()
    return d


@pytest.fixture
def daemon(bus, monkeypatch):
    d = make_daemon(bus, monkeypatch)
    try:
        yield d
    finally:
        d.cleanup()


def signals(recorder, path):
    return peers.session_signals(recorder, path)


def members(recorder, path):
    return [m for m, _ in signals(recorder, path) if m not in ('ChangedState',)]


def context(daemon, *peer_list):
    return '\n'.join([p.describe() for p in peer_list] +
                     ['--- daemon stderr\n' + daemon.stderr_text()[-6000:]])


def wait_end(recorder, path, timeout=END_TIMEOUT):
    return peers.wait_session_signal(recorder, path, 'DidEnd', timeout)


def fail_of(recorder, path):
    fails = [a for m, a in signals(recorder, path) if m == 'DidFail']
    return fails[0] if fails else None


def assert_gone(daemon, path):
    """The session left SessionManager1.Sessions."""
    assert sipsd.wait_until(lambda: path not in daemon.get(SM, SMI, 'Sessions'), 5), \
        daemon.get(SM, SMI, 'Sessions')
    assert daemon.get(path, SI, 'State') == 'TERMINATED'


def established_call(daemon, recorder, peer):
    path = peers.new_call(daemon, peer.uri())
    got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidEnd'), END_TIMEOUT)
    assert got is not None and got[0] == 'DidStart', (got, signals(recorder, path),
                                                      context(daemon, peer))
    return path


# ---------------------------------------------------------------- AnswerTimeout

def test_answer_timeout_ends_unanswered_incoming(daemon, recorder, sipp):
    answer = peers.AutoAnswer(daemon, action=None)  # nobody answers
    try:
        uac = sipp('uac', remote='127.0.0.1:%d' % daemon.ports['udp'], calls=1,
                   service='service').start()
        assert sipsd.wait_until(lambda: answer.incoming, 10), context(daemon, uac)
        path = answer.incoming[0]
        started = time.monotonic()
        end = wait_end(recorder, path, 10)
        took = time.monotonic() - started
        rc = uac.wait(10)
    finally:
        answer.close()
    assert end is not None, 'INCOMING session not ended: %s\n%s' % (
        signals(recorder, path), context(daemon, uac))
    assert 1.5 <= took <= 5, 'ended after %.1f s (AnswerTimeout=2)' % took
    fail = fail_of(recorder, path)
    assert fail is not None and fail[1] == 'local' and fail[2] == 480 and fail[3], fail
    ms = members(recorder, path)
    assert ms.index('DidFail') < ms.index('DidEnd'), ms
    assert end[1] == 'local'
    assert 'SIP/2.0 480' in uac.messages(), uac.messages()[-3000:]
    assert rc == 1, context(daemon, uac)  # sipp's call failed with our 480
    assert_gone(daemon, path)


def test_answer_timeout_zero_never_ends(bus, monkeypatch, sipp):
    d = make_daemon(bus, monkeypatch, AnswerTimeout=0)
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    answer = peers.AutoAnswer(d, action=None)
    try:
        uac = sipp('uac', remote='127.0.0.1:%d' % d.ports['udp'], calls=1,
                   service='service').start()
        assert sipsd.wait_until(lambda: answer.incoming, 10), context(d, uac)
        path = answer.incoming[0]
        sipsd.run_loop(4)
        assert d.get(path, SI, 'State') == 'INCOMING', signals(recorder, path)
        d.call(path, SI, 'Reject')
        assert wait_end(recorder, path) is not None
    finally:
        answer.close()
        recorder.close()
        d.cleanup()


def test_refused_with_503_when_ports_run_out(bus, monkeypatch, sipp):
    """A call the daemon could not give RTP ports is refused at once (503, Retry-After),
    not left ringing: two port pairs, two calls waiting, the third refused."""
    d = make_daemon(bus, monkeypatch, RtpPortMin=40100, RtpPortMax=40103, AnswerTimeout=30)
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    answer = peers.AutoAnswer(d, action=None)
    try:
        uac = sipp('uac', remote='127.0.0.1:%d' % d.ports['udp'], calls=3, rate=10,
                   service='service').start()
        assert sipsd.wait_until(lambda: 'SIP/2.0 503' in uac.messages(), 10), \
            context(d, uac)
        msgs = uac.messages()
        refusal = msgs[msgs.index('SIP/2.0 503'):]
        assert 'Retry-After: 5' in refusal[:refusal.find('\n\n')], refusal[:800]
        sipsd.run_loop(0.5)
        assert len(answer.incoming) == 2, answer.incoming
        assert len(d.get(SM, SMI, 'Sessions')) == 2
        for path in answer.incoming:
            d.call(path, SI, 'Reject')
            assert wait_end(recorder, path) is not None
    finally:
        answer.close()
        recorder.close()
        d.cleanup()


# ---------------------------------------------------------------- RtpTimeoutEndsSession

def test_rtp_timeout_ends_session(daemon, recorder, sipp):
    """sipp's built-in UAS sends no RTP: after RtpTimeout the session ends with BYE."""
    uas = sipp('uas').start()
    path = established_call(daemon, recorder, uas)
    started = time.monotonic()
    end = wait_end(recorder, path, 10)
    took = time.monotonic() - started
    assert end is not None, 'no end without RTP: %s\n%s' % (signals(recorder, path),
                                                            context(daemon, uas))
    assert 1.5 <= took <= 6, 'ended after %.1f s (RtpTimeout=2)' % took
    fail = fail_of(recorder, path)
    assert fail is not None and tuple(fail[1:]) == ('local', 0, 'No RTP received for 2 s'), fail
    assert end[1] == 'local'
    assert uas.wait(10) == 0, 'sipp did not get our BYE\n' + context(daemon, uas)
    assert 'BYE sip:' in uas.messages()
    assert_gone(daemon, path)


def test_rtp_timeout_only_logged_when_disabled(bus, monkeypatch, sipp):
    d = make_daemon(bus, monkeypatch, RtpTimeoutEndsSession=False)
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    try:
        uas = sipp('uas').start()
        path = established_call(d, recorder, uas)
        assert sipsd.wait_until(lambda: 'no RTP received for 2 s' in d.stderr_text(), 8), \
            d.stderr_text()[-3000:]
        sipsd.run_loop(0.5)
        assert d.get(path, SI, 'State') == 'ESTABLISHED', signals(recorder, path)
        d.call(path, SI, 'Terminate')
        assert wait_end(recorder, path) is not None
    finally:
        recorder.close()
        d.cleanup()


def test_rtp_timeout_setting_copied_at_creation(daemon, recorder, sipp):
    """A session keeps RtpTimeoutEndsSession as it was when it was made."""
    uas = sipp('uas').start()
    path = peers.new_call(daemon, uas.uri())
    daemon.set(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'RtpTimeoutEndsSession', v('b', False))
    end = wait_end(recorder, path, 10)
    assert end is not None, signals(recorder, path)
    assert fail_of(recorder, path)[3] == 'No RTP received for 2 s'


# ---------------------------------------------------------------- SIP transactions that time out

def test_no_ack_ends_session(daemon, recorder, sipp):
    answer = peers.AutoAnswer(daemon, 'accept')
    try:
        uac = sipp('uac_no_ack_bye.xml', remote='127.0.0.1:%d' % daemon.ports['udp'], calls=1,
                   service='service').start()
        assert sipsd.wait_until(lambda: answer.incoming, 10), context(daemon, uac)
        path = answer.incoming[0]
        end = wait_end(recorder, path, 64 * T1_MS / 1000 + 8)
    finally:
        answer.close()
    assert end is not None, 'no ACK, no end: %s\n%s' % (signals(recorder, path),
                                                        context(daemon, uac))
    fail = fail_of(recorder, path)
    assert fail is not None, signals(recorder, path)
    assert 'DidStart' not in members(recorder, path)
    assert_gone(daemon, path)


def test_no_ack_ends_session_within_answer_timeout(bus, sipp):
    """With sofia's own timers (T1 500 ms: the 200 is retransmitted for 32 s), a session
    whose ACK never comes ends once AnswerTimeout is over (and the ACK had its grace)."""
    d = sipsd.Daemon(bus, settings=SETTINGS)  # no SIPSIMPLED_SIP_T1_MS
    d.start()
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    answer = peers.AutoAnswer(d, 'accept')
    try:
        uac = sipp('uac_no_ack_bye.xml', remote='127.0.0.1:%d' % d.ports['udp'], calls=1,
                   service='service').start()
        assert sipsd.wait_until(lambda: answer.incoming, 10), context(d, uac)
        path = answer.incoming[0]
        started = time.monotonic()
        end = wait_end(recorder, path, 12)
        took = time.monotonic() - started
        assert end is not None, 'no ACK, no end: %s\n%s' % (signals(recorder, path),
                                                            context(d, uac))
        assert took < 8, took  # AnswerTimeout 2 s, 4 s for the ACK after Accept
        fail = fail_of(recorder, path)
        assert fail is not None and tuple(fail[1:3]) == ('local', 408), fail
        assert end[1] == 'local'
        assert 'DidStart' not in members(recorder, path)
        assert_gone(d, path)
    finally:
        answer.close()
        recorder.close()
        d.cleanup()


def test_bye_to_vanished_peer_ends_session(daemon, recorder, sipp):
    uas = sipp('uas').start()
    path = established_call(daemon, recorder, uas)
    uas.stop()  # gone without a word
    daemon.call(path, SI, 'Terminate')
    end = wait_end(recorder, path, 64 * T1_MS / 1000 + 8)
    assert end is not None, 'BYE unanswered, no end: %s\n%s' % (signals(recorder, path),
                                                                 context(daemon, uas))
    assert end[1] == 'local'
    assert_gone(daemon, path)


def test_unanswered_reinvite_ends_session(bus, monkeypatch, sipp):
    """Hold's re-INVITE is never answered: the transaction times out (408) and, as RFC 3261
    12.2.1.2 says, the dialog ends; the session does not stay stuck."""
    d = make_daemon(bus, monkeypatch, RtpTimeout=0)
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    try:
        uas = sipp('uas_ignore_reinvite.xml').start()
        path = established_call(d, recorder, uas)
        d.call(path, SI, 'Hold')
        end = wait_end(recorder, path, 64 * T1_MS / 1000 + 8)
        assert end is not None, 're-INVITE unanswered, no end: %s\n%s' % (
            signals(recorder, path), context(d, uas))
        fail = fail_of(recorder, path)
        assert fail is not None and fail[2] == 408, signals(recorder, path)
        assert_gone(d, path)
    finally:
        recorder.close()
        d.cleanup()


def test_unanswered_proposal_does_not_stay_proposing(bus, monkeypatch, sipp):
    """AddChat's re-INVITE is never answered: the session leaves PROPOSING (the proposal
    rejected, then the dialog ends on the 408) instead of staying there."""
    d = make_daemon(bus, monkeypatch, RtpTimeout=0)
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    try:
        uas = sipp('uas_ignore_reinvite.xml').start()
        path = established_call(d, recorder, uas)
        d.call(path, SI, 'AddChat')
        assert d.get(path, SI, 'State') == 'PROPOSING'
        end = wait_end(recorder, path, 64 * T1_MS / 1000 + 8)
        assert end is not None, 'proposal unanswered, no end: %s\n%s' % (
            signals(recorder, path), context(d, uas))
        ms = members(recorder, path)
        assert 'RejectedStreamProposal' in ms, ms
        assert_gone(d, path)
    finally:
        recorder.close()
        d.cleanup()


# ---------------------------------------------------------------- no RTP after DidEnd

@pytest.mark.parametrize('ender', ['local', 'remote'])
def test_no_rtp_after_did_end(bus, monkeypatch, sipp, ender):
    """The stream stops sending before DidEnd, whoever ends the call (Terminate, the
    peer's BYE). Five calls each: the pipeline drains for a few ms after it stops."""
    # 20 ms packets, as from a sound card
    d = make_daemon(bus, monkeypatch, AudioInputDevice='audiotestsrc wave=sine is-live=true '
                    'samplesperbuffer=160', AudioOutputDevice='fakesink sync=true', RtpTimeout=0)
    recorder = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
    late = []
    try:
        for _ in range(5):
            capture = peers.RtpCapture()
            capture.start()
            try:
                if ender == 'local':
                    uas = sipp('uas_capture_rtp.xml', keys={'capture_port': capture.port})
                else:
                    uas = sipp('uas_capture_rtp_bye.xml', keys={'capture_port': capture.port},
                               hold_ms=500)
                uas.start()
                path = established_call(d, recorder, uas)
                # what the peer sends is played out (a sink that keeps time, as a sound
                # card): the pipeline drains for longer after it was told to stop
                capture.send_to(d.get(path, SI, 'AudioLocalRtpPort'))
                assert sipsd.wait_until(lambda: len(capture.times) >= 10, 5), \
                    'no RTP reached the peer\n' + context(d, uas)
                if ender == 'local':
                    d.call(path, SI, 'Terminate')
                end = wait_end(recorder, path)
                assert end is not None, '%s\n%s' % (signals(recorder, path), context(d, uas))
                assert end[1] == ender, end
                sipsd.run_loop(0.3)
            finally:
                capture.stop()
            # 1 ms for a packet a sink thread had already taken when the stream stopped
            late += [t - end[0] for t in capture.times if t > end[0] + 1000]
    finally:
        recorder.close()
        d.cleanup()
    assert not late, '%d RTP packets after DidEnd, up to %.1f ms late' % (
        len(late), max(late) / 1000.0)
