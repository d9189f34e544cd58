"""Calls between the daemon and baresip (baresip-core, auto-answer), both ways.

baresip runs with a generated config dir on free loopback ports and is driven over its
ctrl_tcp interface (commands `dial`/`hangup`, events CALL_ESTABLISHED/CALL_CLOSED).
"""

import pytest

import peers
import sipsd

SI = sipsd.SESSION_IFACE
SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
CALL_TIMEOUT = 15.0
SAMPLE_RATES = {'opus': 48000, 'G722': 16000, 'PCMU': 8000, 'PCMA': 8000}


# the conftest daemon, with SIP and RTP on 127.0.0.1
DAEMON_SETTINGS = peers.LOOPBACK_SETTINGS


@pytest.fixture
def baresip_factory(tmp_path):
    made = []

    def make(**kwargs):
        b = peers.Baresip(str(tmp_path), **kwargs)
        made.append(b)
        return b.start()
    yield make
    for b in made:
        b.stop()


def context(daemon, peer):
    return '%s\n--- daemon stderr\n%s' % (peer.describe(), daemon.stderr_text()[-6000:])


def members(recorder, path):
    return [m for m, _ in peers.session_signals(recorder, path)]


@pytest.mark.parametrize('codecs', [('opus', 'g722', 'g711'), ('g722',), ('g711',)],
                         ids=['all', 'g722', 'g711'])
def test_call_baresip(daemon, recorder, baresip_factory, codecs):
    b = baresip_factory(codecs=codecs)
    path = peers.new_call(daemon, b.uri)
    got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidFail'), CALL_TIMEOUT)
    assert got and got[0] == 'DidStart', 'New(%s): expected DidStart, got %s; %s\n%s' % (
        b.uri, got, peers.session_signals(recorder, path), context(daemon, b))
    assert b.wait_event(lambda e: e.get('type') == 'CALL_ESTABLISHED', 5), context(daemon, b)
    props = daemon.get_all(path, SI)
    assert props['State'] == 'ESTABLISHED'
    assert 'baresip' in props['RemoteUserAgent'].lower(), props['RemoteUserAgent']
    ours = daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'AudioCodecs')
    theirs = [n for c in codecs for n in peers.BARESIP_CODEC_NAMES[c]]
    common = [c for c in ours if c in theirs]
    assert props['AudioCodec'] in common, (props['AudioCodec'], common)
    assert props['AudioSampleRate'] == SAMPLE_RATES[props['AudioCodec']], props
    assert props['AudioRemoteRtpAddressSdp'] == '127.0.0.1', props
    assert props['AudioRemoteRtpPortSdp'] > 0
    m = members(recorder, path)
    assert m[0] == 'NewOutgoing' and m.index('WillStart') < m.index('DidStart'), m

    daemon.call(path, SI, 'Terminate')
    end = peers.wait_session_signal(recorder, path, 'DidEnd', CALL_TIMEOUT)
    assert end is not None and end[1] == 'local', (end, peers.session_signals(recorder, path))
    assert b.wait_event(lambda e: e.get('type') == 'CALL_CLOSED', 5), \
        'baresip did not see the BYE\n%s' % context(daemon, b)
    assert daemon.get(path, SI, 'State') == 'TERMINATED'


def test_baresip_hangs_up(daemon, recorder, baresip_factory):
    b = baresip_factory()
    path = peers.new_call(daemon, b.uri)
    got = peers.wait_any_session_signal(recorder, path, ('DidStart', 'DidFail'), CALL_TIMEOUT)
    assert got and got[0] == 'DidStart', context(daemon, b)
    assert b.wait_event(lambda e: e.get('type') == 'CALL_ESTABLISHED', 5), context(daemon, b)
    assert b.command('hangup').get('ok'), context(daemon, b)
    end = peers.wait_session_signal(recorder, path, 'DidEnd', CALL_TIMEOUT)
    assert end is not None and end[1] == 'remote', (end, peers.session_signals(recorder, path))
    m = members(recorder, path)
    assert 'DidFail' not in m, m
    assert m.count('DidEnd') == 1, m
    assert daemon.get(path, SI, 'State') == 'TERMINATED'


def test_baresip_calls_daemon(daemon, recorder, baresip_factory):
    b = baresip_factory(user='carol')
    answer = peers.AutoAnswer(daemon, 'accept')
    try:
        target = 'sip:service@127.0.0.1:%d' % daemon.ports['udp']
        assert b.command('dial', target).get('ok'), context(daemon, b)
        assert sipsd.wait_until(lambda: answer.started, CALL_TIMEOUT), (
            'no DidStart on the daemon; incoming %s, errors %s, fails %s\n%s'
            % (answer.incoming, answer.errors, answer.failed, context(daemon, b)))
        est = b.wait_event(lambda e: e.get('type') == 'CALL_ESTABLISHED', 5)
        assert est and est.get('direction') == 'outgoing', context(daemon, b)
    finally:
        answer.close()
    path = answer.incoming[0]
    props = daemon.get_all(path, SI)
    assert props['Direction'] == 'incoming'
    assert props['CallerUri'].startswith('sip:carol@127.0.0.1'), props['CallerUri']
    assert 'baresip' in props['RemoteUserAgent'].lower(), props['RemoteUserAgent']
    assert props['AudioCodec'] in ('opus', 'G722', 'PCMU', 'PCMA')
    assert props['AudioSampleRate'] == SAMPLE_RATES[props['AudioCodec']]
    m = members(recorder, path)
    assert m[0] == 'NewIncoming' and m.index('WillStart') < m.index('DidStart'), m

    assert b.command('hangup').get('ok')
    end = peers.wait_session_signal(recorder, path, 'DidEnd', CALL_TIMEOUT)
    assert end is not None and end[1] == 'remote', peers.session_signals(recorder, path)
    assert sipsd.wait_until(lambda: not daemon.get(SM, SMI, 'Sessions'), 5)
