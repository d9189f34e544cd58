"""sipsimplectl's call commands (call, answer, reject, hangup, hold, unhold, sessions,
register, unregister) against real daemons on private buses (see sipsd.py).

Calls go from daemon A to daemon B, each on its own bus, over loopback UDP; `call`
runs against A (session bus = A's bus), the other commands name their bus with
--address. What is checked is what a user sees (stdout, stderr, exit status) and what
the daemons hold over D-Bus."""

import os
import re
import signal
import subprocess

import pytest

import sipsd
from sipsd import SESSION_IFACE as SI, v
from test_sipsimplectl import LineReader, failed, ok

TIME = r'\d\d:\d\d:\d\d\.\d{3}'
SESSION_PATH = r'/org/sipsimple/Session/\d+'
CALL_TIMEOUT = 15.0


def ctl_path():
    path = os.environ.get('SIPSIMPLECTL')
    if not path:
        pytest.skip('SIPSIMPLECTL is not set')
    return path


def ctl(bus, *args, timeout=30):
    """sipsimplectl --address=<bus> ARGS... (no session bus in the environment)."""
    env = dict(os.environ, LC_ALL='C.UTF-8')
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    return subprocess.run([ctl_path(), '--address', bus.address] + [str(a) for a in args],
                          env=env, capture_output=True, text=True, timeout=timeout)


class Side:
    """A bus, a daemon on it and a recorder of its signals."""

    def __init__(self):
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus)
        self.daemon.start()
        self.recorder = sipsd.SignalRecorder(self.bus.connection(), sipsd.ROOT)

    def ctl(self, *args, timeout=30):
        return ctl(self.bus, *args, timeout=timeout)

    def uri(self, user='x'):
        return 'sip:%s@127.0.0.1:%d' % (user, self.daemon.ports['udp'])

    def state(self, path):
        return self.daemon.get(path, SI, 'State')

    def wait_state(self, state, timeout=CALL_TIMEOUT):
        """Path of the first session that reached `state` (ChangedState), or None."""
        r = self.recorder.wait_for(lambda r: r[1] == SI and r[2] == 'ChangedState'
                                   and r[3][2] == state, timeout)
        return r[0] if r else None

    def wait_prop(self, path, prop, value, timeout=CALL_TIMEOUT):
        return sipsd.wait_until(lambda: self.daemon.get(path, SI, prop) == value, timeout)

    def close(self):
        self.recorder.close()
        self.daemon.cleanup()
        self.bus.stop()


@pytest.fixture
def side_a():
    s = Side()
    yield s
    s.close()


@pytest.fixture
def side_b():
    s = Side()
    yield s
    s.close()


@pytest.fixture
def pair(side_a, side_b):
    return side_a, side_b


class CallProcess:
    """`sipsimplectl call ...` running against A's bus (its session bus)."""

    def __init__(self, side, *args):
        self.proc = subprocess.Popen([ctl_path(), 'call'] + [str(a) for a in args],
                                     env=side.daemon.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.lines = LineReader(self.proc.stdout)
        first = self.lines.wait_for(lambda l: True, CALL_TIMEOUT)
        assert first and re.fullmatch(SESSION_PATH, first), \
            'first line %r; stderr %s' % (first, self.stderr_now())
        self.path = first

    def stderr_now(self):
        if self.proc.poll() is None:
            return '(running)'
        return self.proc.stderr.read().decode(errors='replace')

    def wait_line(self, pattern, timeout=CALL_TIMEOUT):
        line = self.lines.wait_for(lambda l: re.search(pattern, l), timeout)
        assert line, 'no line matching %r; seen:\n%s' % (pattern, self.lines.seen())
        return line

    def wait_exit(self, timeout=CALL_TIMEOUT):
        rc = self.proc.wait(timeout)
        self.lines.wait_for(lambda l: False, 0.5)   # drain until EOF
        return rc, self.proc.stderr.read().decode(errors='replace')

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def calls():
    started = []

    def start(side, *args):
        c = CallProcess(side, *args)
        started.append(c)
        return c
    yield start
    for c in started:
        c.close()


def session_rows(side):
    out = ok(side.ctl('sessions'))
    lines = out.splitlines()
    assert lines and lines[0].split()[:2] == ['PATH', 'STATE'], out
    return {line.split()[0]: line.split() for line in lines[1:]}


# ---------------------------------------------------------------- real calls

def test_call_answer_hold_hangup(pair, calls):
    a, b = pair
    call = calls(a, b.uri('bob'))
    assert call.wait_line(r'^%s NewOutgoing$' % TIME)
    assert call.wait_line(r"^%s ChangedState prev_state='NULL' state='CALLING'$" % TIME)

    incoming = b.wait_state('INCOMING')
    assert incoming, 'B saw no incoming session'
    rows = session_rows(b)
    assert rows[incoming][1:3] == ['INCOMING', 'incoming']

    assert ok(b.ctl('answer')) == ''
    assert call.wait_line(r"state='ESTABLISHED'")
    assert call.wait_line(r'^%s DidStart$' % TIME)
    assert a.state(call.path) == 'ESTABLISHED'
    assert b.wait_prop(incoming, 'State', 'ESTABLISHED')

    # sessions: path, state, direction, remote URI, codec, duration, hold
    row = session_rows(a)[call.path]
    assert row[1:3] == ['ESTABLISHED', 'outgoing'], row
    assert row[3] == a.daemon.get(call.path, SI, 'RemoteUri') and 'bob' in row[3]
    codec = a.daemon.get(call.path, SI, 'AudioCodec')
    assert row[4] == (codec or '-')
    assert re.fullmatch(r'\d+:\d\d:\d\d', row[5]), row
    assert row[6] == 'no'

    # hold/unhold from A, without naming the session: the only established one
    ok(a.ctl('hold'))
    assert a.wait_prop(call.path, 'OnHold', True)
    assert b.wait_prop(incoming, 'OnHoldByRemote', True)
    assert session_rows(a)[call.path][6] == 'local'
    assert session_rows(b)[incoming][6] == 'remote'
    ok(a.ctl('unhold', call.path))
    assert a.wait_prop(call.path, 'OnHold', False)
    assert b.wait_prop(incoming, 'OnHoldByRemote', False)

    # B hangs up; `call` prints the end and exits 0
    ok(b.ctl('hangup', incoming))
    assert call.wait_line(r"^%s DidEnd originator='remote'$" % TIME)
    rc, err = call.wait_exit()
    assert rc == 0, err
    assert 'DidFail' not in call.lines.seen()
    assert session_rows(a)[call.path][1] == 'TERMINATED'


def test_reject_makes_call_fail(pair, calls):
    a, b = pair
    call = calls(a, b.uri())
    incoming = b.wait_state('INCOMING')
    assert incoming
    ok(b.ctl('reject'))
    line = call.wait_line(r'DidFail')
    m = re.fullmatch(r"%s DidFail originator='remote' code=(\d+) reason='([^']*)'" % TIME, line)
    assert m and m.group(1) in ('486', '603'), line
    assert call.wait_line(r'^%s DidEnd ' % TIME)
    rc, err = call.wait_exit()
    assert rc == 1
    assert err.startswith('sipsimplectl: ') and m.group(1) in err and 'remote' in err, err


def test_monitor_shows_session_signals(pair, calls):
    """monitor on the caller's bus: the session's signals with named arguments."""
    a, b = pair
    monitor = subprocess.Popen([ctl_path(), '--address', a.bus.address, 'monitor'],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL, env=dict(os.environ, LC_ALL='C.UTF-8'))
    try:
        lines = LineReader(monitor.stdout)
        assert lines.wait_for(lambda l: l.startswith('Monitoring '))
        call = calls(a, b.uri())
        prefix = r'^%s %s Session1\.' % (TIME, re.escape(call.path))

        def expect(pattern):
            line = lines.wait_for(lambda l: re.search(prefix + pattern, l), CALL_TIMEOUT)
            assert line, 'no %r in:\n%s' % (pattern, lines.seen())
            return line
        expect(r'NewOutgoing$')
        expect(r"ChangedState prev_state='NULL' state='CALLING'$")
        assert b.wait_state('INCOMING')
        ok(b.ctl('reject'))
        expect(r"DidFail originator='remote' code=(486|603) reason='[^']+'$")
        expect(r"DidEnd originator='remote'$")
        rc, _ = call.wait_exit()
        assert rc == 1
        monitor.send_signal(signal.SIGINT)
        assert monitor.wait(10) == 0
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.wait()
        monitor.stdout.close()
        monitor.stderr.close()


def test_interrupt_cancels_the_call(pair, calls):
    a, b = pair
    call = calls(a, b.uri())
    assert b.wait_state('INCOMING')
    call.wait_line(r"state='CALLING'")
    call.proc.send_signal(signal.SIGINT)
    assert call.wait_line(r'^%s DidEnd ' % TIME)
    call.wait_exit()
    # cancelled by us: B's session ends as well
    assert b.wait_state('TERMINATED')


def test_call_detach_and_ambiguous_answer(pair, calls):
    a, b = pair
    paths = []
    for _ in range(2):
        r = ok(a.ctl('call', '--detach', b.uri()))
        assert re.fullmatch(SESSION_PATH + '\n', r), r
        paths.append(r.strip())
    assert sipsd.wait_until(lambda: [s for s in session_rows(b).values()
                                     if s[1] == 'INCOMING'][1:], CALL_TIMEOUT)
    # the sessions outlive the detached command (they are CALLING, not NULL)
    for p in paths:
        assert a.state(p) == 'CALLING'
    err = failed(b.ctl('answer'))
    assert '2 incoming sessions' in err, err
    incoming = [p for p, s in session_rows(b).items() if s[1] == 'INCOMING']
    ok(b.ctl('answer', incoming[0]))
    assert b.wait_prop(incoming[0], 'State', 'ESTABLISHED')
    ok(b.ctl('reject', incoming[1]))
    for p in paths:
        assert sipsd.wait_until(lambda: a.state(p) in ('ESTABLISHED', 'TERMINATED'),
                                CALL_TIMEOUT)
    ok(a.ctl('hangup'))       # the only active one left
    assert sipsd.wait_until(lambda: all(a.state(p) == 'TERMINATED' for p in paths),
                            CALL_TIMEOUT)


# ---------------------------------------------------------------- errors, no call needed

def test_no_session_errors(side_a):
    a = side_a
    for command, what in (('answer', 'incoming'), ('reject', 'incoming'),
                          ('hangup', 'active'), ('hold', 'established'),
                          ('unhold', 'established')):
        err = failed(a.ctl(command))
        assert 'no %s session' % what in err, (command, err)
    err = failed(a.ctl('answer', 'session/999'))
    assert '/org/sipsimple/Session/999' in err
    err = failed(a.ctl('hangup', 'nosuchthing'))
    assert 'nosuchthing' in err


def test_session_in_wrong_state(side_a):
    """A NULL session (kept alive by our connection) is listed and refuses hold/answer
    with the daemon's InvalidState."""
    a = side_a
    path = a.daemon.create_session()
    rows = session_rows(a)
    assert rows[path][1:] == ['NULL', '-', '-', '-', '-', 'no'], rows
    n = path.rsplit('/', 1)[1]
    err = failed(a.ctl('hold', 'session/' + n))
    assert err.startswith('sipsimplectl: InvalidState: ') and 'NULL' in err, err
    err = failed(a.ctl('answer', n))
    assert 'InvalidState' in err, err
    assert a.state(path) == 'NULL'


def test_call_refused_by_the_daemon(side_a):
    a = side_a
    err = failed(a.ctl('call', 'not a uri'))
    assert 'InvalidArgument' in err, err
    err = failed(a.ctl('call', '--account=account:nobody@example.com', 'sip:bob@127.0.0.1'))
    assert 'nobody@example.com' in err, err
    # the session made for the refused call is dropped with the command's connection
    assert sipsd.wait_until(lambda: not [p for p, r in session_rows(a).items()], 5.0)


def test_usage_errors(side_a):
    a = side_a
    for args in (('call',), ('call', 'sip:a@b', 'sip:c@d'), ('call', '--frobnicate', 'sip:a@b'),
                 ('answer', 'session/1', 'session/2'), ('answer', '--loud'),
                 ('hangup', 'a', 'b'), ('sessions', 'extra'), ('register', 'a', 'b')):
        r = a.ctl(*args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert 'Usage: sipsimplectl ' + args[0] in r.stderr, (args, r.stderr)
    r = a.ctl('call', '--help')
    assert r.returncode == 0
    for option in ('--account', '--route', '--chat', '--no-audio', '--detach'):
        assert option in r.stdout


def test_help_lists_the_call_commands():
    r = subprocess.run([ctl_path(), '--help'], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, LC_ALL='C.UTF-8'))
    for command in ('call', 'answer', 'reject', 'hangup', 'hold', 'unhold', 'sessions',
                    'register', 'unregister'):
        assert re.search(r'^  %s\b' % command, r.stdout, re.M), command


def test_register_errors(side_a):
    a = side_a
    # the default account is the local one, which never registers
    err = failed(a.ctl('register'))
    assert 'PermissionDenied' in err, err
    err = failed(a.ctl('unregister', 'account/0'))
    assert 'PermissionDenied' in err, err
    acc = a.daemon.add_account('carol@127.0.0.1', {'Register': v('b', False),
                                                   'Enabled': v('b', False)})
    err = failed(a.ctl('register', 'carol@127.0.0.1'))
    assert 'InvalidState' in err and 'disabled' in err, err
    err = failed(a.ctl('register', 'account:dave@127.0.0.1'))
    assert 'dave@127.0.0.1' in err
    assert a.daemon.get(acc, sipsd.REGISTRATION_IFACE, 'State') == 'unregistered'


def test_register_goes_through_registration1(side_a):
    """register starts a registration (nothing listens at the registrar: it fails with a
    real code), unregister ends the account's registration state."""
    a = side_a
    registrar = sipsd.free_port()
    acc = a.daemon.add_account('erin@127.0.0.1:%d' % registrar,
                               {'Register': v('b', False)})
    assert a.daemon.get(acc, sipsd.REGISTRATION_IFACE, 'State') == 'unregistered'
    assert ok(a.ctl('register', acc)) == ''
    r = a.recorder.wait_for(lambda r: r[0] == acc and r[1] == sipsd.REGISTRATION_IFACE
                            and r[2] == 'DidFail', CALL_TIMEOUT)
    assert r and r[3][1] >= 400, r
    ok(a.ctl('unregister', 'erin@127.0.0.1:%d' % registrar))
    assert sipsd.wait_until(
        lambda: a.daemon.get(acc, sipsd.REGISTRATION_IFACE, 'State') == 'unregistered',
        CALL_TIMEOUT)
