"""Chat streams through an MSRP relay (RFC 4976): kamailio's msrp module, started here
with digest AUTH for alice and bob (kamailio.MsrpRelay), between two real daemons.

A (alice, UseRelayOutgoing) calls B (bob, UseRelayIncoming); each authenticates at the
relay with its session account's credentials before its SDP goes out, so both a=path
lines start with the relay's Use-Path and every frame goes through kamailio (its log
lines say which). A wrong password fails the session with the reason. A chat added to
an audio call (AddChat / AcceptProposal) authenticates the same way before its
re-INVITE or 200; a wrong password there rejects the proposal and the call goes on."""

import os

import pytest

import kamailio
import sipsd
import test_chat as chat
from sipsd import v

SI = chat.SI
CI = chat.CI
AI = sipsd.ACCOUNT_IFACE
TIMEOUT = 10
USERS = {'alice': 'alice-secret', 'bob': 'bob-secret'}


class RelayPeer(chat.Peer):
    """A chat peer (MSRP over TCP) whose account user goes through the relay."""

    def __init__(self, user, relay_port, incoming, outgoing):
        sip_port, tls_port = sipsd.free_ports(2)
        s = {'RTPConfiguration': {'LocalRtpAddress': '127.0.0.1'},
             'MSRPConfiguration': {'LocalIp': '127.0.0.1', 'LocalUseTls': False,
                                   'RelayHost': '127.0.0.1', 'RelayPort': relay_port,
                                   'RelayUseTls': False, 'UseRelayIncoming': incoming,
                                   'UseRelayOutgoing': outgoing},
             'SipUdpPort': sip_port, 'SipTcpPort': sip_port, 'SipTlsPort': tls_port,
             'AudioInputDevice': 'audiotestsrc wave=sine freq=1000 is-live=true',
             'AudioOutputDevice': 'fakesink', 'TerminatedSessionLinger': 5}
        self.user = user
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings=s)
        try:
            self.daemon.start(['--verbose'] if os.environ.get('SIPSD_VERBOSE') else [])
            self.account = self.daemon.add_account(
                '%s@127.0.0.1' % user, {'Password': v('s', USERS[user]),
                                        'Register': v('b', False)})
        except Exception:
            self.daemon.stop()
            self.daemon.cleanup()
            self.bus.stop()
            raise
        self.rec = sipsd.SignalRecorder(self.bus.connection(), '/')

    def set_password(self, password):
        self.daemon.set(self.account, AI, 'Password', v('s', password))


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    relay = kamailio.MsrpRelay(tmp_path_factory.mktemp('msrp-relay'), USERS).start()
    peers = []
    try:
        peers.append(RelayPeer('alice', relay.port, incoming=False, outgoing=True))
        peers.append(RelayPeer('bob', relay.port, incoming=True, outgoing=False))
        yield relay, peers[0], peers[1]
    finally:
        for p in peers:
            p.stop()
        relay.stop()


def call(a, b, audio=False, chat=True):
    """A (its account) calls B's user (chat only by default). Returns (pa, seen): the
    NewIncoming sessions B had before."""
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    pa = a.daemon.create_session()
    a.call(pa, 'New', v('(sosbb)', (b.uri(b.user), a.account, '', audio, chat)))
    return pa, seen


def audio_call(a, b):
    """An established audio-only call from A to B: (pa, pb)."""
    pa, seen = call(a, b, audio=True, chat=False)
    pb, args = chat.new_incoming(b, seen)
    assert args[1:] == (True, False), args
    b.call(pb, 'Accept', v('(bb)', (True, False)))
    a.wait(pa, 'DidStart')
    b.wait(pb, 'DidStart')
    return pa, pb


def test_chat_through_relay(setup):
    chat_through_relay(*setup)


def chat_through_relay(relay, a, b):
    auths = len(relay.msrp_events('authok'))
    pa, seen = call(a, b)
    pb, args = chat.new_incoming(b, seen)
    assert args[1:] == (False, True), args
    b.call(pb, 'Accept', v('(bb)', (False, True)))
    a.wait(pa, 'DidStart')
    b.wait(pb, 'DidStart')
    a.wait(pa + '/Chat', 'DidStart', CI)
    b.wait(pb + '/Chat', 'DidStart', CI)

    # both authenticated with their own account's credentials
    assert sorted(e['user'] for e in relay.msrp_events('authok')[auths:]) == ['alice', 'bob'], \
        relay.log_text()[-3000:]
    # each a=path: the relay's Use-Path, then the daemon's own URI
    pa_props = a.daemon.get_all(pa + '/Chat', CI)
    pb_props = b.daemon.get_all(pb + '/Chat', CI)
    for props in (pa_props, pb_props):
        assert len(props['LocalPath']) == 2, props
        assert props['LocalPath'][0].startswith('msrp://127.0.0.1:%d/' % relay.port), props
        assert props['LocalPath'][1].startswith('msrp://127.0.0.1:'), props
        assert props['UseTls'] is False and props['State'] == 'started', props
    assert pa_props['RemotePath'] == pb_props['LocalPath']
    assert pb_props['RemotePath'] == pa_props['LocalPath']

    delivered_before = len(relay.msrp_events('deliver'))
    chat.check_exchange(a, b, pa, pb)
    # the messages and their reports went through kamailio
    delivered = relay.msrp_events('deliver')[delivered_before:]
    assert len([e for e in delivered if e['method'] == 'SEND']) >= 2, relay.log_text()[-3000:]
    assert len([e for e in delivered if e['method'] == 'REPORT']) >= 2, relay.log_text()[-3000:]

    chat.hang_up(a, b, pa, pb)
    assert not a.signals(pa, 'DidFail') and not b.signals(pb, 'DidFail')


def test_wrong_password_caller(setup):
    """A's AUTH fails: its session fails with the reason before any INVITE."""
    relay, a, b = setup
    fails = len(relay.msrp_events('authfail'))
    invites = len([r for r in b.rec.records if r[2] == 'NewIncoming'])
    a.set_password('wrong')
    try:
        pa, _ = call(a, b)
        a.wait(pa, 'DidEnd')
        fail = a.wait(pa, 'DidFail')
        assert fail[1:3] == ('local', 0), fail
        assert 'relay' in fail[3].lower() or 'credential' in fail[3].lower() or \
            'password' in fail[3].lower() or 'auth' in fail[3].lower(), fail
        chat_fail = a.wait(pa + '/Chat', 'DidFail', CI)
        assert chat_fail[1] == fail[3], (chat_fail, fail)
        assert a.get(pa, 'State') == 'TERMINATED'
        assert relay.msrp_events('authfail')[fails:], relay.log_text()[-3000:]
        assert relay.msrp_events('authfail')[fails]['user'] == 'alice'
        # nothing reached B
        assert len([r for r in b.rec.records if r[2] == 'NewIncoming']) == invites
    finally:
        a.set_password(USERS['alice'])


def test_wrong_password_callee(setup):
    """B's AUTH fails after Accept: B fails with the reason, A sees the call refused."""
    relay, a, b = setup
    b.set_password('wrong')
    try:
        pa, seen = call(a, b)
        pb, _ = chat.new_incoming(b, seen)
        b.call(pb, 'Accept', v('(bb)', (False, True)))
        fail = b.wait(pb, 'DidFail')
        b.wait(pb, 'DidEnd')
        assert fail[1:3] == ('local', 0) and fail[3], fail
        assert b.wait(pb + '/Chat', 'DidFail', CI)[1] == fail[3]
        a_fail = a.wait(pa, 'DidFail')
        a.wait(pa, 'DidEnd')
        assert a_fail[1:3] == ('remote', 500), a_fail
        assert a.wait(pa + '/Chat', 'DidEnd', CI)
        assert relay.msrp_events('authfail')[-1]['user'] == 'bob'
    finally:
        b.set_password(USERS['bob'])
    # and the relay works again for both
    chat_through_relay(relay, a, b)


def test_chat_added_to_audio_through_relay(setup):
    """A adds a chat to an audio call (UseRelayOutgoing), B accepts it (UseRelayIncoming):
    both authenticate before their SDP goes, messages go through the relay, RemoveChat
    leaves the call as it was."""
    relay, a, b = setup
    pa, pb = audio_call(a, b)
    auths = len(relay.msrp_events('authok'))

    a.call(pa, 'AddChat')
    assert a.wait(pa, 'GotStreamProposal')[1:] == ('local', False, True)
    assert b.wait(pb, 'GotStreamProposal')[1:] == ('remote', False, True)
    b.call(pb, 'AcceptProposal')
    a.wait(pa, 'AcceptedStreamProposal')
    b.wait(pb, 'AcceptedStreamProposal')
    a.wait(pa + '/Chat', 'DidStart', CI)
    b.wait(pb + '/Chat', 'DidStart', CI)
    assert sorted(e['user'] for e in relay.msrp_events('authok')[auths:]) == ['alice', 'bob'], \
        relay.log_text()[-3000:]
    pa_props = a.daemon.get_all(pa + '/Chat', CI)
    pb_props = b.daemon.get_all(pb + '/Chat', CI)
    for props in (pa_props, pb_props):
        assert len(props['LocalPath']) == 2, props
        assert props['LocalPath'][0].startswith('msrp://127.0.0.1:%d/' % relay.port), props
    assert pa_props['RemotePath'] == pb_props['LocalPath']
    assert pb_props['RemotePath'] == pa_props['LocalPath']

    delivered_before = len(relay.msrp_events('deliver'))
    chat.check_exchange(a, b, pa, pb)
    delivered = relay.msrp_events('deliver')[delivered_before:]
    assert len([e for e in delivered if e['method'] == 'SEND']) >= 2, relay.log_text()[-3000:]

    a.call(pa, 'RemoveChat')
    for p, path in ((a, pa), (b, pb)):
        p.wait(path + '/Chat', 'DidEnd', CI)
        assert sipsd.wait_until(lambda: p.get(path, 'HasChat') is False and
                                p.get(path, 'State') == 'ESTABLISHED', 5)
        assert p.get(path, 'HasAudio') is True
    members = [m for m in ('RejectedStreamProposal', 'DidFail')
               if a.signals(pa, m) or b.signals(pb, m)]
    assert not members, members
    chat.hang_up(a, b, pa, pb)
    assert not a.signals(pa + '/Chat', 'DidFail', CI) and not b.signals(pb + '/Chat', 'DidFail', CI)


def test_added_chat_wrong_password_local(setup):
    """A's AUTH for its AddChat fails: RejectedStreamProposal(local, reason), the chat
    fails with it, no re-INVITE reaches B and the call goes on."""
    relay, a, b = setup
    pa, pb = audio_call(a, b)
    fails = len(relay.msrp_events('authfail'))
    a.set_password('wrong')
    try:
        a.call(pa, 'AddChat')
        assert a.wait(pa, 'GotStreamProposal')[1:] == ('local', False, True)
        rejected = a.wait(pa, 'RejectedStreamProposal')
        assert rejected[1] == 'local' and rejected[2], rejected
        assert a.wait(pa + '/Chat', 'DidFail', CI)[1] == rejected[2]
        assert relay.msrp_events('authfail')[fails]['user'] == 'alice', relay.log_text()[-3000:]
    finally:
        a.set_password(USERS['alice'])
    assert sipsd.wait_until(lambda: a.get(pa, 'State') == 'ESTABLISHED', 5)
    assert a.get(pa, 'HasChat') is False and a.get(pa, 'HasAudio') is True
    assert a.get(pa, 'ChatTransport') == '/'
    assert not b.signals(pb, 'GotStreamProposal')
    assert b.get(pb, 'State') == 'ESTABLISHED'

    # the call goes on: a new AddChat works
    a.call(pa, 'AddChat')
    b.wait(pb, 'GotStreamProposal')
    b.call(pb, 'AcceptProposal')
    a.wait(pa, 'AcceptedStreamProposal')
    a.wait(pa + '/Chat', 'DidStart', CI, count=1)
    b.wait(pb + '/Chat', 'DidStart', CI)
    chat.check_exchange(a, b, pa, pb)
    chat.hang_up(a, b, pa, pb)
    assert not a.signals(pa, 'DidFail') and not b.signals(pb, 'DidFail')


def test_accepted_chat_wrong_password_remote(setup):
    """B's AUTH for the chat it accepts fails: a 488 to A (RejectedStreamProposal on both
    sides), B's chat fails with the reason, the call goes on."""
    relay, a, b = setup
    pa, pb = audio_call(a, b)
    b.set_password('wrong')
    try:
        a.call(pa, 'AddChat')
        b.wait(pb, 'GotStreamProposal')
        b.call(pb, 'AcceptProposal')
        rejected = b.wait(pb, 'RejectedStreamProposal')
        assert rejected[1] == 'remote' and rejected[2], rejected
        assert b.wait(pb + '/Chat', 'DidFail', CI)[1] == rejected[2]
        assert a.wait(pa, 'RejectedStreamProposal')[1] == 'local'
        assert relay.msrp_events('authfail')[-1]['user'] == 'bob', relay.log_text()[-3000:]
    finally:
        b.set_password(USERS['bob'])
    for p, path in ((a, pa), (b, pb)):
        assert sipsd.wait_until(lambda: p.get(path, 'State') == 'ESTABLISHED', 5)
        assert p.get(path, 'HasChat') is False and p.get(path, 'HasAudio') is True
    chat.hang_up(a, b, pa, pb)
    assert not a.signals(pa, 'DidFail') and not b.signals(pb, 'DidFail')
