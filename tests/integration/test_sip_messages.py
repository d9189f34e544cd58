"""What the daemon puts on the wire, as a real peer (sipp) received it: exactly one
Contact in INVITEs and re-INVITEs (with and without SipListenAddress), and an incoming
SIP MESSAGE answered 200 only with its GotMessage emitted (pager mode; the Allow of other
answers names MESSAGE). More on pager mode: test_pager.py."""

import re

import pytest

import peers
import sipsd

SI = sipsd.SESSION_IFACE
TIMEOUT = 10.0


def received(messages, first_line):
    """The messages sipp received whose first line starts with first_line, as lists of
    header lines (sipp's -trace_msg log: each message after a '----- ... received' line)."""
    out = []
    for block in re.split(r'\n-{5,}[^\n]*\n', '\n' + messages):
        lines = [ln.strip() for ln in block.strip().splitlines()]
        start = [i for i, ln in enumerate(lines) if ln.startswith(first_line)]
        if start:
            head = []
            for ln in lines[start[0]:]:
                if not ln:
                    break
                head.append(ln)
            out.append(head)
    return out


def contacts(head):
    """The Contact values of a message (long or compact form, comma-separated lists)."""
    values = []
    for ln in head:
        m = re.match(r'(?i)(contact|m)\s*:(.*)', ln)
        if m:
            values += re.findall(r'<[^>]*>|[^,\s][^,]*', m.group(2))
    return values


@pytest.fixture(params=['127.0.0.1', ''], ids=['listen-127.0.0.1', 'listen-any'])
def daemon(bus, request):
    d = sipsd.Daemon(bus, settings=dict(peers.LOOPBACK_SETTINGS,
                                        SipListenAddress=request.param))
    try:
        d.start()
        yield d
    finally:
        d.cleanup()


def test_one_contact_in_invite_and_reinvite(daemon, recorder, sipp):
    uas = sipp('uas_reinvite.xml').start()
    path = peers.new_call(daemon, uas.uri('bob'))
    assert peers.wait_session_signal(recorder, path, 'DidStart', TIMEOUT), uas.describe()
    daemon.call(path, SI, 'Hold')
    ok = sipsd.wait_until(lambda: len(received(uas.messages(), 'INVITE ')) >= 2, TIMEOUT)
    assert ok, uas.describe()
    daemon.call(path, SI, 'Terminate')
    assert peers.wait_session_signal(recorder, path, 'DidEnd', TIMEOUT)
    assert uas.wait(TIMEOUT) == 0, uas.describe()

    invites = received(uas.messages(), 'INVITE ')
    assert len(invites) == 2
    for head in invites:
        found = contacts(head)
        assert len(found) == 1, 'not one Contact in\n%s' % '\n'.join(head)
    # with a listen address, the Contact names it (the session's own Contact)
    listen = daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'SipListenAddress')
    if listen:
        assert all('@%s:%d' % (listen, daemon.ports['udp']) in contacts(h)[0] for h in invites)


def test_incoming_message_is_delivered(daemon, sipp, recorder):
    uac = sipp('uac_message.xml', remote='127.0.0.1:%d' % daemon.ports['udp'],
               service='anyone').start()
    assert uac.wait(TIMEOUT) == 0, uac.describe()
    got = recorder.wait_for(lambda r: r[0] == sipsd.ACCOUNT0 and r[2] == 'GotMessage', TIMEOUT)
    assert got, recorder.records
    assert got[3][2].startswith('Hello, is this delivered?'), got
    answers = received(uac.messages(), 'SIP/2.0 ')
    assert answers and answers[-1][0] == 'SIP/2.0 200 OK', answers
