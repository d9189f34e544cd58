"""sipsimplectl against a real daemon on a private bus (see sipsd.py).

Every check looks at what a user sees (stdout, stderr, exit status) and, where the
command changes something, at what the daemon really holds over D-Bus."""

import os
import re
import select
import signal
import subprocess
import time

import pytest

import sipsd
from sipsd import SETTINGS, SETTINGS_IFACE, ACCOUNT_IFACE, v

TIME = r'\d\d:\d\d:\d\d\.\d{3}'


def ok(result):
    assert result.returncode == 0, 'exit %d, stderr: %s' % (result.returncode, result.stderr)
    return result.stdout


def failed(result):
    assert result.returncode == 1, 'expected exit 1, got %d (stdout %r, stderr %r)' % (
        result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith('sipsimplectl: '), result.stderr
    assert 'GDBus.Error' not in result.stderr, result.stderr
    return result.stderr


def ctl_path():
    path = os.environ.get('SIPSIMPLECTL')
    if not path:
        pytest.skip('SIPSIMPLECTL is not set')
    return path


class LineReader:
    """Reads a child's stdout line by line with select() timeouts (no sleeps)."""

    def __init__(self, stream):
        self.fd = stream.fileno()
        os.set_blocking(self.fd, False)
        self.buf = b''
        self.lines = []
        self.eof = False

    def wait_for(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            for i, line in enumerate(self.lines):
                if predicate(line):
                    del self.lines[:i + 1]
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.eof:
                return None
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                continue
            data = os.read(self.fd, 65536)
            if not data:
                self.eof = True
                continue
            self.buf += data
            *complete, self.buf = self.buf.split(b'\n')
            self.lines += [c.decode('utf-8', 'replace') for c in complete]

    def seen(self):
        return '\n'.join(self.lines)


# ---------------------------------------------------------------- get / set

def test_set_and_get_string(daemon):
    ok(daemon.ctl('set', 'settings', 'UserAgent', 'foo'))
    assert ok(daemon.ctl('get', 'settings', 'UserAgent')) == 'foo\n'
    assert daemon.get(SETTINGS, SETTINGS_IFACE, 'UserAgent') == 'foo'
    # several words make one string; names match ignoring case
    ok(daemon.ctl('set', 'settings', 'useragent', 'my', 'phone'))
    assert daemon.get(SETTINGS, SETTINGS_IFACE, 'UserAgent') == 'my phone'


def test_get_all_lists_every_property(daemon):
    out = ok(daemon.ctl('get', 'settings'))
    lines = out.splitlines()
    assert 'SipUdpPort = %d' % daemon.ports['udp'] in lines
    ua = daemon.get(SETTINGS, SETTINGS_IFACE, 'UserAgent')
    assert 'UserAgent = %s' % ua in lines
    assert all(' = ' in line for line in lines)
    names = [line.split(' = ')[0] for line in lines]
    for name in ('ConfigurationFile', 'AudioCodecs', 'SipListeningUris', 'TlsVerifyServer'):
        assert name in names
    out = ok(daemon.ctl('get', 'rtp'))
    assert re.search(r'^UseSrtp = (true|false)$', out, re.M)


def test_set_rejects_a_non_number(daemon):
    before = daemon.get(SETTINGS, SETTINGS_IFACE, 'SipUdpPort')
    result = daemon.ctl('set', 'settings', 'SipUdpPort', 'notaport')
    assert result.returncode != 0
    err = failed(result)
    assert 'notaport' in err and 'SipUdpPort' in err
    assert daemon.get(SETTINGS, SETTINGS_IFACE, 'SipUdpPort') == before


def test_set_shows_the_daemons_error_by_short_name(daemon):
    err = failed(daemon.ctl('set', 'settings', 'AudioCodecs', 'PCMU', 'nosuchcodec'))
    # e.g. "sipsimplectl: InvalidArgument: unknown codec nosuchcodec"
    assert re.match(r'sipsimplectl: [A-Za-z]+: .', err), err
    assert daemon.get(SETTINGS, SETTINGS_IFACE, 'AudioCodecs') != ['PCMU', 'nosuchcodec']


def test_set_list_round_trip(daemon):
    ok(daemon.ctl('set', 'settings', 'AudioCodecs', 'PCMU', 'opus'))
    assert ok(daemon.ctl('get', 'settings', 'AudioCodecs')) == 'PCMU opus\n'
    assert daemon.get(SETTINGS, SETTINGS_IFACE, 'AudioCodecs') == ['PCMU', 'opus']
    ok(daemon.ctl('set', 'settings', 'AudioCodecs', 'PCMA,G722'))
    assert daemon.get(SETTINGS, SETTINGS_IFACE, 'AudioCodecs') == ['PCMA', 'G722']


def test_set_boolean_words(daemon):
    ok(daemon.ctl('set', 'rtp', 'UseIce', 'yes'))
    assert daemon.get(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'UseIce') is True
    assert ok(daemon.ctl('get', 'rtp', 'UseIce')) == 'true\n'
    ok(daemon.ctl('set', 'rtp', 'UseIce', 'off'))
    assert daemon.get(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'UseIce') is False
    err = failed(daemon.ctl('set', 'rtp', 'UseIce', 'maybe'))
    assert 'maybe' in err


def test_set_read_only_and_unknown(daemon):
    err = failed(daemon.ctl('set', 'settings', 'ConfigurationFile', '/tmp/x'))
    assert 'read-only' in err
    err = failed(daemon.ctl('get', 'settings', 'NoSuchProperty'))
    assert 'NoSuchProperty' in err
    err = failed(daemon.ctl('get', 'nosuchobject'))
    assert 'nosuchobject' in err


# ---------------------------------------------------------------- accounts

def test_accounts_add_list_get_remove(daemon):
    out = ok(daemon.ctl('accounts', 'add', 'bob@example.com', 'DisplayName=Bob', 'Register=no'))
    path = out.strip()
    assert re.fullmatch(r'/org/sipsimple/Account/\d+', path), out
    assert daemon.get(path, ACCOUNT_IFACE, 'Id') == 'bob@example.com'
    assert daemon.get(path, ACCOUNT_IFACE, 'Register') is False

    listing = ok(daemon.ctl('accounts'))
    row = [line for line in listing.splitlines() if 'bob@example.com' in line]
    assert len(row) == 1 and row[0].split()[0] == path, listing
    assert sipsd.ACCOUNT0 in listing

    assert ok(daemon.ctl('get', 'account:bob@example.com', 'DisplayName')) == 'Bob\n'
    n = path.rsplit('/', 1)[1]
    assert ok(daemon.ctl('get', 'account/' + n, 'Id')) == 'bob@example.com\n'

    # a duplicate is refused by the daemon, and the error is shown
    failed(daemon.ctl('accounts', 'add', 'bob@example.com'))

    ok(daemon.ctl('accounts', 'remove', 'account:bob@example.com'))
    assert 'bob@example.com' not in ok(daemon.ctl('accounts'))
    assert path not in daemon.get(SETTINGS, SETTINGS_IFACE, 'Accounts')
    err = failed(daemon.ctl('get', 'account:bob@example.com', 'DisplayName'))
    assert 'bob@example.com' in err


def test_accounts_add_refuses_unknown_property(daemon):
    err = failed(daemon.ctl('accounts', 'add', 'carol@example.com', 'Colour=blue'))
    assert 'Colour' in err
    assert 'carol@example.com' not in ok(daemon.ctl('accounts'))


# ---------------------------------------------------------------- status

def test_status(daemon):
    out = ok(daemon.ctl('status'))
    config = daemon.get(SETTINGS, SETTINGS_IFACE, 'ConfigurationFile')
    assert config and config in out
    uris = daemon.get(SETTINGS, SETTINGS_IFACE, 'SipListeningUris')
    assert uris, 'the daemon listens on nothing'
    for uri in uris:
        assert uri in out
    assert daemon.get(SETTINGS, SETTINGS_IFACE, 'UserAgent') in out
    assert sipsd.ACCOUNT0 in out
    assert re.search(r'^Active sessions:\s+0$', out, re.M), out


def test_status_without_daemon(bus):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address, LC_ALL='C.UTF-8')
    result = subprocess.run([ctl_path(), 'status'], env=env, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1
    assert 'not running' in result.stderr and 'org.sipsimple.Daemon1' in result.stderr
    result = subprocess.run([ctl_path(), 'get', 'settings'], env=env, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1 and 'not running' in result.stderr


# ---------------------------------------------------------------- monitor

def test_monitor(daemon):
    proc = subprocess.Popen([ctl_path(), 'monitor'], env=daemon.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        lines = LineReader(proc.stdout)
        first = lines.wait_for(lambda l: l.startswith('Monitoring org.sipsimple.Daemon1'))
        assert first, 'no start line; stderr: %s' % proc.stderr.read1().decode()

        daemon.set(SETTINGS, SETTINGS_IFACE, 'UserAgent', v('s', 'monitored'))
        changed = lines.wait_for(lambda l: 'Settings1 changed:' in l)
        assert changed, lines.seen()
        assert re.fullmatch(TIME + r" /org/sipsimple/Settings Settings1 changed: .*"
                            r"UserAgent='monitored'.*", changed), changed

        session = daemon.create_session()
        added = lines.wait_for(lambda l: session + ' added:' in l)
        assert added and re.fullmatch(TIME + ' %s added: .*Session1.*' % session, added), added

        account = daemon.add_account('dave@example.com', {'Register': v('b', False)})
        assert lines.wait_for(lambda l: account + ' added:' in l and 'Account1' in l)
        daemon.call(SETTINGS, SETTINGS_IFACE, 'RemoveAccount', v('(o)', (account,)))
        removed = lines.wait_for(lambda l: account + ' removed:' in l)
        assert removed and 'Account1' in removed

        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


# ---------------------------------------------------------------- misc

def test_help_and_version():
    result = subprocess.run([ctl_path(), '--help'], capture_output=True, text=True,
                            env=dict(os.environ, LC_ALL='C.UTF-8'), timeout=30)
    assert result.returncode == 0
    for command in ('status', 'get', 'set', 'accounts', 'monitor'):
        assert re.search(r'^  %s\b' % command, result.stdout, re.M), result.stdout
    result = subprocess.run([ctl_path(), '--version'], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0 and result.stdout.startswith('sipsimplectl ')
    result = subprocess.run([ctl_path(), 'frobnicate'], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2 and 'frobnicate' in result.stderr
