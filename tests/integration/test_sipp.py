"""Calls between the daemon and sipp (sip-tester), both ways, on loopback.

sipp is the UAS (built-in `uas` or a scenario in sipp/) for outgoing sessions and the UAC
(built-in `uac`) for incoming ones; the test drives the daemon over D-Bus and asserts
the Session1 signals and properties as well as what sipp saw (its exit code and stats).
"""

import re
import subprocess

import pytest

import peers
import sipsd
from sipsd import v

SI = sipsd.SESSION_IFACE
SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
CALL_TIMEOUT = 15.0
# the conftest daemon, with SIP and RTP on 127.0.0.1
DAEMON_SETTINGS = peers.LOOPBACK_SETTINGS


def context(daemon, *peer_list):
    return '\n'.join([p.describe() for p in peer_list] +
                     ['--- daemon stderr\n' + daemon.stderr_text()[-6000:]])


def contact_ports(messages, first_line):
    """Ports of the Contact URIs in the messages sipp logged whose first line starts
    with first_line (e.g. 'INVITE ' or 'SIP/2.0 200')."""
    ports = []
    for msg in re.split(r'\n-{5,}[^\n]*\n', messages):
        lines = [ln.strip() for ln in msg.strip().splitlines()]
        start = [i for i, ln in enumerate(lines) if ln.startswith(first_line)]
        if not start:
            continue
        for ln in lines[start[0]:]:
            m = re.match(r'(?i)(contact|m)\s*:(.*)', ln)
            if m:
                ports += [int(p or 5060) for p in re.findall(
                    r'sips?:(?:[^@;>\s]+@)?[^:;>\s]+(?::(\d+))?', m.group(2))]
    return ports


def sdp_lines(messages, first_line, kind):
    """The SDP lines of type kind ('o', 'c') in the messages sipp logged whose first line
    starts with first_line."""
    found = []
    for msg in re.split(r'\n-{5,}[^\n]*\n', messages):
        lines = [ln.strip() for ln in msg.strip().splitlines()]
        start = [i for i, ln in enumerate(lines) if ln.startswith(first_line)]
        if start:
            found += [ln[2:] for ln in lines[start[0]:] if ln.startswith(kind + '=')]
    return found


def host_has_other_address():
    """Whether the host has an address outside 127/8 and ::1 (where soa would pick one of
    those for o= when left to itself)."""
    out = subprocess.run(['ip', '-o', 'addr', 'show', 'scope', 'global'],
                         capture_output=True, text=True).stdout
    return bool(out.strip())


def assert_origin_is_media_address(messages, first_line):
    # sofia's soa enumerates the host's interfaces for an o= it takes as local unless
    # given our address (SOATAG_ADDRESS): its o= then names another interface
    origins = sdp_lines(messages, first_line, 'o')
    conns = sdp_lines(messages, first_line, 'c')
    assert origins and conns, messages[-3000:]
    assert all(o.endswith(' IN IP4 127.0.0.1') for o in origins), (
        origins, 'host has another address: %s' % host_has_other_address())


def signals(recorder, path):
    return peers.session_signals(recorder, path)


def names(recorder, path):
    return [m for m, _ in signals(recorder, path)]


def wait_end(recorder, path, timeout=CALL_TIMEOUT):
    return peers.wait_session_signal(recorder, path, 'DidEnd', timeout)


def assert_seed_order(sigs):
    """The seed's ordering rules on one session's [(member, args)]."""
    members = [m for m, _ in sigs if m not in ('ChangedState',)]
    assert members and members[0] in ('NewOutgoing', 'NewIncoming'), sigs
    if 'DidStart' in members:
        assert 'WillStart' in members and members.index('WillStart') < members.index('DidStart'), sigs
    if 'DidFail' in members:
        i = members.index('DidFail')
        assert 'DidEnd' in members[i + 1:], 'DidFail not followed by DidEnd: %s' % sigs
    assert members.count('DidEnd') <= 1, sigs
    states = [a[2] for m, a in sigs if m == 'ChangedState']
    prev = [a[1] for m, a in sigs if m == 'ChangedState']
    # ChangedState chains: each prev_state is the state before
    assert prev[1:] == states[:-1], 'ChangedState does not chain: %s' % sigs


def call_and_wait_start(daemon, recorder, uri, peer, account='/'):
    path = peers.new_call(daemon, uri, account=account)
    got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidFail', 'DidEnd'),
                                        CALL_TIMEOUT)
    assert got is not None and got[0] == 'DidStart', (
        'New(%s) -> expected DidStart, got %s; signals %s\n%s'
        % (uri, got, signals(recorder, path), context(daemon, peer)))
    return path


def hang_up(daemon, recorder, path, peer):
    daemon.call(path, SI, 'Terminate')
    end = wait_end(recorder, path)
    assert end is not None, 'no DidEnd after Terminate: %s\n%s' % (
        signals(recorder, path), context(daemon, peer))
    assert end[1] == 'local', end
    rc = peer.wait(CALL_TIMEOUT)
    assert rc == 0, 'sipp did not complete the call\n%s' % context(daemon, peer)


# ---------------------------------------------------------------- daemon calls sipp

def test_call_sipp_uas(daemon, recorder, sipp):
    uas = sipp('uas').start()
    path = call_and_wait_start(daemon, recorder, uas.uri(), uas)
    props = daemon.get_all(path, SI)
    assert props['State'] == 'ESTABLISHED'
    assert props['Direction'] == 'outgoing'
    assert props['CalleeUri'].startswith('sip:service@127.0.0.1:%d' % uas.port), props['CalleeUri']
    assert props['RemoteUri'].startswith('sip:service@127.0.0.1'), props['RemoteUri']
    assert props['StartTime'] > 0 and props['StopTime'] == 0
    assert props['Account'] == sipsd.ACCOUNT0
    assert props['HasAudio'] is True
    # sipp's built-in UAS answers PCMU on its -mp port
    assert props['AudioCodec'] == 'PCMU' and props['AudioSampleRate'] == 8000, props
    assert props['AudioRemoteRtpAddressSdp'] == '127.0.0.1'
    assert props['AudioRemoteRtpPortSdp'] == uas.media_port
    assert path in daemon.get(SM, SMI, 'Sessions')
    # what sipp got: an offer for our RTP address and port
    invite = uas.messages()
    assert 'c=IN IP4 127.0.0.1' in invite, invite[-3000:]
    assert 'm=audio %d RTP/' % props['AudioLocalRtpPort'] in invite, invite[-3000:]
    assert props['AudioLocalRtpAddress'] == '127.0.0.1'
    assert_origin_is_media_address(invite, 'INVITE ')
    # its Contact is where the daemon takes requests (sipp's BYE would not go there)
    ports = contact_ports(invite, 'INVITE ')
    assert ports and set(ports) == {daemon.ports['udp']}, (
        'INVITE Contact ports %s, daemon UDP port %d\n%s' % (ports, daemon.ports['udp'],
                                                            invite[-3000:]))
    hang_up(daemon, recorder, path, uas)
    sigs = signals(recorder, path)
    assert_seed_order(sigs)
    members = [m for m, _ in sigs]
    assert members.index('GotRingIndication') < members.index('DidStart'), members
    assert 'DidFail' not in members
    assert daemon.get(path, SI, 'State') == 'TERMINATED'
    assert daemon.get(path, SI, 'StopTime') >= props['StartTime']
    assert sipsd.wait_until(lambda: path not in daemon.get(SM, SMI, 'Sessions'), 5)


def test_ring_indication_before_start(daemon, recorder, sipp):
    uas = sipp('uas_ring.xml').start()
    path = call_and_wait_start(daemon, recorder, uas.uri('ring'), uas)
    members = names(recorder, path)
    assert 'GotRingIndication' in members, members
    ring = members.index('GotRingIndication')
    assert ring < members.index('WillStart') < members.index('DidStart'), members
    # the ring came while CALLING, before the state moved on
    states = [a[2] for m, a in signals(recorder, path) if m == 'ChangedState']
    before_ring = [a[2] for m, a in signals(recorder, path)[:ring + 1] if m == 'ChangedState']
    assert before_ring and before_ring[-1] == 'CALLING', states
    assert daemon.get(path, SI, 'RemoteUserAgent') == 'sipp-ring'
    hang_up(daemon, recorder, path, uas)


def test_sipp_uas_busy(daemon, recorder, sipp):
    uas = sipp('uas_486.xml').start()
    path = peers.new_call(daemon, uas.uri('busy'))
    fail = peers.wait_session_signal(recorder, path, 'DidFail', CALL_TIMEOUT)
    assert fail is not None, 'no DidFail for 486: %s\n%s' % (signals(recorder, path),
                                                            context(daemon, uas))
    assert fail[1] == 'remote' and fail[2] == 486, fail
    assert wait_end(recorder, path) is not None
    assert_seed_order(signals(recorder, path))
    members = names(recorder, path)
    assert 'DidStart' not in members and 'WillStart' not in members, members
    assert daemon.get(path, SI, 'State') == 'TERMINATED'
    assert daemon.get(path, SI, 'RemoteUserAgent') == 'sipp-busy'
    assert uas.wait(CALL_TIMEOUT) == 0, context(daemon, uas)


def add_account(daemon, user, password):
    return daemon.add_account('%s@127.0.0.1' % user, {
        'Password': v('s', password), 'Register': v('b', False)})


def test_sipp_uas_digest_auth(daemon, recorder, sipp):
    acct = add_account(daemon, 'alice', 's3cret-pw')
    uas = sipp('uas_auth.xml', keys={'user': 'alice', 'pass': 's3cret-pw'}).start()
    path = call_and_wait_start(daemon, recorder, uas.uri('auth'), uas, account=acct)
    assert daemon.get(path, SI, 'Account') == acct
    assert daemon.get(path, SI, 'LocalUri').startswith('sip:alice@127.0.0.1')
    hang_up(daemon, recorder, path, uas)
    assert 'DidFail' not in names(recorder, path)
    assert 's3cret-pw' not in daemon.stderr_text(), 'password in the log'


def test_sipp_uas_digest_auth_rejected_once(daemon, recorder, sipp):
    """A second challenge after the credentials were sent ends the call: no loop."""
    acct = add_account(daemon, 'carol', 'not-the-one')
    uas = sipp('uas_auth_always.xml').start()
    path = peers.new_call(daemon, uas.uri('auth'), account=acct)
    fail = peers.wait_session_signal(recorder, path, 'DidFail', CALL_TIMEOUT)
    assert fail is not None, '%s\n%s' % (signals(recorder, path), context(daemon, uas))
    assert fail[1] == 'remote' and fail[2] in (401, 403), fail
    assert wait_end(recorder, path) is not None
    # sipp waits 3 s for a third INVITE; its exit 0 means none came
    assert uas.wait(CALL_TIMEOUT) == 0, 'the daemon retried the challenge\n%s' % context(daemon, uas)


# ---------------------------------------------------------------- sipp calls the daemon

def test_sipp_uac_calls_accepted(daemon, recorder, sipp):
    calls = 5
    answer = peers.AutoAnswer(daemon, 'accept')
    try:
        uac = sipp('uac', remote='127.0.0.1:%d' % daemon.ports['udp'], calls=calls, rate=5,
                   hold_ms=500, service='service').start()
        rc = uac.wait(40)
        assert rc == 0, 'sipp UAC exit %s\nanswer errors %s\n%s' % (
            rc, answer.errors, context(daemon, uac))
        counts = uac.counts()
        assert counts['successful'] == calls and counts['failed'] == 0, counts
        assert len(answer.incoming) == calls, answer.incoming
        assert not answer.errors, answer.errors
        assert sipsd.wait_until(lambda: len(answer.ended) == calls, 10), answer.ended
    finally:
        answer.close()
    assert sorted(set(answer.accepted)) == sorted(answer.incoming)
    # the 200 OK's Contact is where sipp's ACK and BYE ought to go
    ports = contact_ports(uac.messages(), 'SIP/2.0 200')
    assert ports and set(ports) == {daemon.ports['udp']}, (
        '200 OK Contact ports %s, daemon UDP port %d' % (ports, daemon.ports['udp']))
    assert_origin_is_media_address(uac.messages(), 'SIP/2.0 200')
    for path in answer.incoming:
        sigs = signals(recorder, path)
        assert_seed_order(sigs)
        assert sigs[0][0] == 'NewIncoming' and sigs[0][1][1] is True, sigs  # has_audio
        assert 'DidStart' in [m for m, _ in sigs], sigs
        end = [a for m, a in sigs if m == 'DidEnd'][0]
        assert end[1] == 'remote', sigs  # sipp sent the BYE
        props = daemon.get_all(path, SI)
        assert props['Direction'] == 'incoming'
        assert props['State'] == 'TERMINATED'
        assert props['Account'] == sipsd.ACCOUNT0
        assert props['CallerUri'].startswith('sip:sipp@127.0.0.1'), props['CallerUri']
        assert props['AudioCodec'] == 'PCMU', props['AudioCodec']
    assert sipsd.wait_until(lambda: not daemon.get(SM, SMI, 'Sessions'), 5), \
        daemon.get(SM, SMI, 'Sessions')


def test_sipp_uac_rejected(daemon, recorder, sipp):
    """Reject() on an incoming call answers sipp with a final error (sipp's built-in UAC
    counts that as a failed call)."""
    answer = peers.AutoAnswer(daemon, 'reject')
    try:
        uac = sipp('uac', remote='127.0.0.1:%d' % daemon.ports['udp'], calls=1,
                   service='service').start()
        rc = uac.wait(20)
        assert len(answer.incoming) == 1, context(daemon, uac)
        assert not answer.errors, answer.errors
        path = answer.incoming[0]
        assert wait_end(recorder, path) is not None, signals(recorder, path)
    finally:
        answer.close()
    assert rc == 1, 'sipp exit %s (expected 1: its call rejected)\n%s' % (rc, context(daemon, uac))
    assert uac.counts()['failed'] == 1
    msgs = uac.messages()
    assert 'SIP/2.0 603' in msgs or 'SIP/2.0 486' in msgs, msgs[-3000:]
    sigs = signals(recorder, path)
    assert_seed_order(sigs)
    members = [m for m, _ in sigs]
    assert 'WillEnd' in members and members.index('WillEnd') < members.index('DidEnd'), sigs
    assert [a for m, a in sigs if m == 'DidEnd'][0][1] == 'local', sigs
    assert 'DidStart' not in members, sigs
