"""Structured log fields: the lines about a session carry SIPS_SESSION (its object path),
SIP_CALL_ID and SIPS_ACCOUNT, so that `journalctl SIP_CALL_ID=...` finds one call's lines.
Read here from --log-fields (journal export format on stderr); the same fields go to
journald under systemd. Without the option the text on stderr is unchanged."""

import re

import sipsd
from sipsd import v

SM, SMI, SI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE, sipsd.SESSION_IFACE


def records(text):
    """The journal-export records of text: one dict per blank-line-separated block."""
    out = []
    for block in text.split('\n\n'):
        fields = dict(line.split('=', 1) for line in block.splitlines() if '=' in line)
        if 'MESSAGE' in fields:
            out.append(fields)
    return out


def call_once(daemon, recorder, uas):
    path = daemon.call(SM, SMI, 'NewSession', v('(sosbb)', (uas.uri('bob'), '/', '', True, False)),
                       '(o)')[0]
    assert recorder.wait_for(lambda r: r[0] == path and r[2] == 'DidStart', 10)
    daemon.call(path, SI, 'Terminate')
    assert recorder.wait_for(lambda r: r[0] == path and r[2] == 'DidEnd', 10)
    return path


def test_session_lines_carry_fields(bus, recorder, sipp):
    d = sipsd.Daemon(bus)
    try:
        d.start(['--verbose', '--log-fields'])
        uas = sipp('uas').start()
        path = call_once(d, recorder, uas)
        account = d.get(sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'Id')
        d.stop()
        recs = records(d.stderr_text())
        ours = [r for r in recs if r.get('SIPS_SESSION') == path]
        print('%d records, %d about %s' % (len(recs), len(ours), path))
        assert len(ours) >= 3, [r['MESSAGE'] for r in recs][-30:]
        call_ids = {r.get('SIP_CALL_ID') for r in ours if r['MESSAGE'].startswith(('session', 'Session'))}
        call_ids.discard(None)
        assert len(call_ids) == 1, call_ids
        call_id = call_ids.pop()
        # the Call-ID is the dialog's: the SIP trace of the INVITE shows it
        assert any(re.search(r'Call-ID: ' + re.escape(call_id), r['MESSAGE']) for r in recs)
        assert all(r.get('SIPS_ACCOUNT') == account for r in ours if 'SIP_CALL_ID' in r)
        # every line that has this Call-ID is this session's
        assert all(r.get('SIPS_SESSION') == path for r in recs if r.get('SIP_CALL_ID') == call_id)
        assert all('PRIORITY' in r for r in recs)
    finally:
        d.cleanup()


def test_terminal_text_unchanged(bus, recorder, sipp):
    d = sipsd.Daemon(bus)
    try:
        d.start(['--verbose'])
        uas = sipp('uas').start()
        call_once(d, recorder, uas)
        d.stop()
        text = d.stderr_text() + d.stdout_text()   # GLib writes debug lines to stdout
        assert 'SIPS_SESSION=' not in text and 'MESSAGE=' not in text
        assert re.search(r'session 0x[0-9a-f]+: (NULL|CALLING) -> ', text), text[-2000:]
    finally:
        d.cleanup()
