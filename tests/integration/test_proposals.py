"""Stream proposals (re-INVITEs that add or remove streams) between sipp and the daemon.

sipp is the UAC (sipp/uac_proposals.xml, sipp/uac_remove_add_audio.xml): it calls the
daemon, the test accepts over D-Bus, then sipp's re-INVITEs propose streams and the test
answers them with RejectProposal/AcceptProposal; sipp's exit code says it got the
responses its scenario expects (488, 200...). Signals and states are asserted on the
daemon's side.
"""

import pytest

import peers
import sipsd
from sipsd import v

SI = sipsd.SESSION_IFACE
TIMEOUT = 15.0


@pytest.fixture
def daemon(bus):
    """A daemon on 127.0.0.1; stopped with SIGTERM after the test (a clean exit, and no
    sanitizer report, is part of every test)."""
    d = sipsd.Daemon(bus, settings=peers.LOOPBACK_SETTINGS)
    try:
        d.start()
        yield d
        d.stop()
        err = d.stderr_text()
        assert 'Sanitizer' not in err and 'runtime error' not in err, err[-6000:]
    finally:
        d.cleanup()


def session_signals(recorder, path, names=None):
    return peers.session_signals(recorder, path, names)


def wait_nth(recorder, path, member, n, context, timeout=TIMEOUT):
    """Waits for the n-th (1-based) `member` signal of the session; returns its args."""
    ok = sipsd.wait_until(
        lambda: len(session_signals(recorder, path, (member,))) >= n, timeout, interval=0.02)
    assert ok, 'no %s #%d: %s\n%s' % (member, n, session_signals(recorder, path), context())
    return session_signals(recorder, path, (member,))[n - 1][1]


def incoming_session(daemon, recorder, uac):
    def context():
        return uac.describe() + '\n--- daemon\n' + daemon.stderr_text()[-6000:]
    r = recorder.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming', TIMEOUT)
    assert r is not None, 'no NewIncoming\n%s' % context()
    path = r[0]
    daemon.call(path, SI, 'Accept', v('(bb)', (True, False)))
    wait_nth(recorder, path, 'DidStart', 1, context)
    return path, context


def states(recorder, path):
    return [a[2] for m, a in session_signals(recorder, path, ('ChangedState',))]


def test_remote_chat_proposal_rejected_then_unsupported(daemon, recorder, sipp):
    uac = sipp('uac_proposals.xml', remote='127.0.0.1:%d' % daemon.ports['udp'],
               service='service').start()
    path, context = incoming_session(daemon, recorder, uac)

    # (1) sipp adds m=message: PROPOSED until the application answers
    proposal = wait_nth(recorder, path, 'GotStreamProposal', 1, context)
    assert proposal[1:] == ('remote', False, True), proposal
    assert daemon.get(path, SI, 'State') == 'PROPOSED'
    sipsd.expect_error('org.sipsimple.Error.InvalidState', daemon.call, path, SI, 'Hold')
    daemon.call(path, SI, 'RejectProposal')
    rejected = wait_nth(recorder, path, 'RejectedStreamProposal', 1, context)
    assert rejected[1] == 'remote' and rejected[2], rejected
    # (sipp's next proposal follows at once: the states are checked at the end)

    # (2) again, with an a=path that is no MSRP URI: accepting it fails, rejected anyway
    proposal = wait_nth(recorder, path, 'GotStreamProposal', 2, context)
    assert proposal[1:] == ('remote', False, True), proposal
    assert sipsd.wait_until(lambda: daemon.get(path, SI, 'State') == 'PROPOSED', 5)
    daemon.call(path, SI, 'AcceptProposal')
    rejected = wait_nth(recorder, path, 'RejectedStreamProposal', 2, context)
    assert rejected[1] == 'remote' and rejected[2], rejected

    # (3) a hold re-INVITE adds nothing: answered at once, no proposal
    hold = wait_nth(recorder, path, 'GotHoldRequest', 1, context)
    assert hold[1] == 'remote', hold

    end = wait_nth(recorder, path, 'DidEnd', 1, context)
    assert end[1] == 'remote', end
    assert uac.wait(TIMEOUT) == 0, 'sipp did not get what it expected\n%s' % context()

    # what sipp saw: two 488s, the hold answered 200
    msgs = uac.messages()
    assert msgs.count('SIP/2.0 488') >= 2, msgs[-4000:]
    members = [m for m, _ in session_signals(recorder, path)]
    assert 'AcceptedStreamProposal' not in members, members
    assert states(recorder, path) == ['INCOMING', 'ACCEPTING', 'ESTABLISHED',
                                      'PROPOSED', 'ESTABLISHED', 'PROPOSED', 'ESTABLISHED',
                                      'TERMINATED'], states(recorder, path)
    # each proposal: GotStreamProposal after PROPOSED, the answer before ESTABLISHED
    seq = [(m, a[2] if m == 'ChangedState' else None)
           for m, a in session_signals(recorder, path)
           if m in ('ChangedState', 'GotStreamProposal', 'RejectedStreamProposal')]
    assert seq[3:11] == [('ChangedState', 'PROPOSED'), ('GotStreamProposal', None),
                         ('RejectedStreamProposal', None), ('ChangedState', 'ESTABLISHED')] * 2, seq
    assert daemon.get(path, SI, 'HasChat') is False
    held = [r for r in recorder.records if r[0] == path and r[2] == 'PropertiesChanged'
            and r[3][1].get('OnHoldByRemote') is True]
    assert held, 'OnHoldByRemote never became true'


def test_remote_removes_audio_then_local_add_audio(daemon, recorder, sipp):
    """The peer removing audio (port 0) is applied at once; AddAudio then proposes it
    back: sipp rejects the first (488) and accepts the second (200)."""
    uac = sipp('uac_remove_add_audio.xml', remote='127.0.0.1:%d' % daemon.ports['udp'],
               service='service').start()
    path, context = incoming_session(daemon, recorder, uac)

    # sipp's re-INVITE with m=audio 0 (right after its ACK): no proposal, HasAudio false
    assert sipsd.wait_until(lambda: daemon.get(path, SI, 'HasAudio') is False, TIMEOUT), (
        session_signals(recorder, path), context())
    assert daemon.get(path, SI, 'State') == 'ESTABLISHED'
    assert not session_signals(recorder, path, ('GotStreamProposal',))

    # AddAudio: GotStreamProposal("local") then PROPOSING; sipp answers 488
    daemon.call(path, SI, 'AddAudio')
    proposal = wait_nth(recorder, path, 'GotStreamProposal', 1, context)
    assert proposal[1:] == ('local', True, False), proposal
    rejected = wait_nth(recorder, path, 'RejectedStreamProposal', 1, context)
    assert rejected[1] == 'local' and '488' not in rejected[2] and rejected[2], rejected
    assert sipsd.wait_until(lambda: daemon.get(path, SI, 'State') == 'ESTABLISHED', 5)
    assert daemon.get(path, SI, 'HasAudio') is False

    # AddAudio again: sipp accepts with PCMU
    daemon.call(path, SI, 'AddAudio')
    wait_nth(recorder, path, 'AcceptedStreamProposal', 1, context)
    accepted = session_signals(recorder, path, ('AcceptedStreamProposal',))[0][1]
    assert accepted[1] == 'local', accepted
    assert sipsd.wait_until(lambda: daemon.get(path, SI, 'State') == 'ESTABLISHED', 5)
    assert daemon.get(path, SI, 'HasAudio') is True
    assert daemon.get(path, SI, 'AudioCodec') == 'PCMU'
    # sipp hangs up once it answered this hold
    daemon.call(path, SI, 'Hold')

    end = wait_nth(recorder, path, 'DidEnd', 1, context)
    assert end[1] == 'remote', end
    assert uac.wait(TIMEOUT) == 0, 'sipp did not get what it expected\n%s' % context()

    # our offers as sipp saw them: audio at port 0 while removed, then our RTP port
    msgs = uac.messages()
    port = daemon.get(path, SI, 'AudioLocalRtpPort')
    assert 'm=audio 0 ' in msgs and 'm=audio %d ' % port in msgs, msgs[-4000:]
    assert states(recorder, path)[3:] == ['PROPOSING', 'ESTABLISHED', 'PROPOSING',
                                          'ESTABLISHED', 'TERMINATED'], states(recorder, path)
    seq = [m for m, _ in session_signals(recorder, path)
           if m in ('GotStreamProposal', 'RejectedStreamProposal', 'AcceptedStreamProposal',
                    'GotHoldRequest')]
    assert seq == ['GotStreamProposal', 'RejectedStreamProposal', 'GotStreamProposal',
                   'AcceptedStreamProposal', 'GotHoldRequest'], seq


def test_local_stream_changes_reachable_today(daemon, recorder, sipp):
    """On an audio-only call: AddAudio, RemoveAudio and RemoveChat are refused by the
    seed's stream rules (AddChat is test_chat.py's)."""
    uas = sipp('uas').start()
    path = peers.new_call(daemon, uas.uri())
    got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidEnd'), TIMEOUT)
    assert got is not None and got[0] == 'DidStart', (got, uas.describe())
    sipsd.expect_error('InvalidState', daemon.call, path, SI, 'AddAudio')
    sipsd.expect_error('InvalidState', daemon.call, path, SI, 'RemoveAudio')
    sipsd.expect_error('InvalidState', daemon.call, path, SI, 'RemoveChat')
    sipsd.expect_error('InvalidState', daemon.call, path, SI, 'AcceptProposal')
    assert daemon.get(path, SI, 'State') == 'ESTABLISHED'
    assert not session_signals(recorder, path, ('GotStreamProposal',))
    daemon.call(path, SI, 'Terminate')
    assert peers.wait_session_signal(recorder, path, 'DidEnd', TIMEOUT)[1] == 'local'
    assert uas.wait(TIMEOUT) == 0, uas.describe()


def test_terminate_while_proposed(daemon, recorder, sipp):
    """Terminate in PROPOSED answers the pending re-INVITE (487) and sends BYE."""
    uac = sipp('uac_proposals.xml', remote='127.0.0.1:%d' % daemon.ports['udp'],
               service='service').start()
    path, context = incoming_session(daemon, recorder, uac)
    wait_nth(recorder, path, 'GotStreamProposal', 1, context)
    daemon.call(path, SI, 'Terminate')
    end = wait_nth(recorder, path, 'DidEnd', 1, context)
    assert end[1] == 'local', end
    assert 'DidFail' not in [m for m, _ in session_signals(recorder, path)]
    assert states(recorder, path)[-3:] == ['PROPOSED', 'TERMINATING', 'TERMINATED'], \
        states(recorder, path)
    # sipp expected a 488 there: it fails, but it saw the 487 and our BYE
    assert sipsd.wait_until(lambda: 'SIP/2.0 487' in uac.messages() and
                            'BYE sip:' in uac.messages(), TIMEOUT), context()


def test_terminate_while_proposing(daemon, recorder, sipp):
    """Terminate in PROPOSING ends the call (BYE) whatever becomes of our re-INVITE."""
    uac = sipp('uac_add_audio_unanswered.xml', remote='127.0.0.1:%d' % daemon.ports['udp'],
               service='service').start()
    path, context = incoming_session(daemon, recorder, uac)
    assert sipsd.wait_until(lambda: daemon.get(path, SI, 'HasAudio') is False, TIMEOUT), context()
    daemon.call(path, SI, 'AddAudio')
    # sipp got our re-INVITE and keeps it unanswered
    assert sipsd.wait_until(lambda: uac.messages().count('INVITE sip:sipp@') >= 1, TIMEOUT), \
        context()
    assert daemon.get(path, SI, 'State') == 'PROPOSING'
    daemon.call(path, SI, 'Terminate')
    end = wait_nth(recorder, path, 'DidEnd', 1, context)
    assert end[1] == 'local', end
    assert states(recorder, path)[-3:] == ['PROPOSING', 'TERMINATING', 'TERMINATED'], \
        states(recorder, path)
    members = [m for m, _ in session_signals(recorder, path)]
    assert 'DidFail' not in members and 'AcceptedStreamProposal' not in members, members
    assert uac.wait(TIMEOUT) == 0, 'sipp did not get the BYE\n%s' % context()
