"""sipsimplectl and D-Bus activation: after `meson install`, a client that needs the
daemon starts it through the bus, as any D-Bus client would (issue: sipsimplectl used to
check the name's owner first and say "not running" without starting anything).

The activation file is the one `meson install` stages (DESTDIR); only its Exec path is
pointed at the staged binary, since the staged tree is not at the install prefix."""

import glob
import os
import signal
import subprocess

import pytest

import sipsd

SERVICE = 'org.sipsimple.Daemon1.service'


def ctl(bus, *args):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address, LC_ALL='C.UTF-8')
    return subprocess.run([os.environ['SIPSIMPLECTL']] + list(args), env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def staged(tmp_path):
    """(servicedir, staged daemon path) from a DESTDIR install of the build tree."""
    build = os.path.dirname(os.path.dirname(os.environ['SIPSIMPLED']))
    stage = tmp_path / 'stage'
    subprocess.run(['meson', 'install', '-C', build, '--no-rebuild', '--quiet',
                    '--destdir', str(stage)], check=True, capture_output=True, timeout=120)
    found = glob.glob(str(stage / '**' / 'dbus-1' / 'services' / SERVICE), recursive=True)
    assert len(found) == 1, 'meson install did not stage %s' % SERVICE
    lines = open(found[0]).read().splitlines()
    exec_line = [l for l in lines if l.startswith('Exec=')]
    assert len(exec_line) == 1, lines
    installed = exec_line[0][len('Exec='):].split()[0]
    daemon = str(stage) + installed
    assert os.access(daemon, os.X_OK), 'the activation file names %s, not installed' % installed
    servicedir = tmp_path / 'services'
    servicedir.mkdir()
    with open(servicedir / SERVICE, 'w') as f:
        for l in lines:
            f.write((l.replace(installed, daemon, 1) if l.startswith('Exec=') else l) + '\n')
    return str(servicedir), daemon


def owner_pid(bus):
    conn = bus.connection()
    owner = conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                           'GetNameOwner', sipsd.v('(s)', (sipsd.BUS_NAME,)), None,
                           0, 5000, None).unpack()[0]
    return conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                          'GetConnectionUnixProcessID', sipsd.v('(s)', (owner,)), None,
                          0, 5000, None).unpack()[0]


def test_status_starts_activatable_daemon(staged):
    servicedir, daemon_path = staged
    home = sipsd.Daemon(None)   # a home with free SIP ports for the activated daemon
    bus = sipsd.PrivateBus(servicedirs=[servicedir], env=home.xdg)
    pid = None
    try:
        result = ctl(bus, 'status')
        assert result.returncode == 0, result.stderr
        assert 'not running' not in result.stderr
        assert 'Daemon:' in result.stdout and sipsd.BUS_NAME in result.stdout
        pid = owner_pid(bus)
        assert os.path.realpath('/proc/%d/exe' % pid) == os.path.realpath(daemon_path)
        # the activated daemon uses the configuration of the bus's environment
        uris = ctl(bus, 'get', 'settings', 'SipListeningUris')
        assert uris.returncode == 0 and str(home.ports['udp']) in uris.stdout, uris
    finally:
        if pid:
            os.kill(pid, signal.SIGTERM)
        bus.stop()
        home.cleanup()


def test_not_running_when_not_activatable(tmp_path):
    empty = tmp_path / 'services'
    empty.mkdir()
    bus = sipsd.PrivateBus(servicedirs=[str(empty)])
    try:
        result = ctl(bus, 'status')
        assert result.returncode == 1
        assert 'not running' in result.stderr and sipsd.BUS_NAME in result.stderr
    finally:
        bus.stop()
