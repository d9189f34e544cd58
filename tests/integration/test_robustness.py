"""Crash safety of the configuration, single instance, signals, command line."""

import os
import select
import time
import signal
import socket
import random
import re
import subprocess

from gi.repository import GLib

import sipsd
from sipsd import v

S, SI = sipsd.SETTINGS, sipsd.SETTINGS_IFACE


def temp_leftovers(d):
    """Files next to the configuration that look like unfinished writes of it."""
    names = os.listdir(os.path.dirname(d.config_path))
    return [n for n in names if n != 'sipsimpled.conf' and 'sipsimpled.conf' in n]


def test_sigkill_during_write_burst(bus):
    d = sipsd.Daemon(bus)
    rng = random.Random(os.getpid())
    try:
        d.start()
        default_ua = d.get(S, SI, 'UserAgent')
        written = set()
        for rnd in range(5):
            conn = bus.new_connection()

            def write(i, rnd=rnd, conn=conn):
                ua = 'ua-%d-%d' % (rnd, i)
                written.add(ua)
                d.call(S, sipsd.PROPS_IFACE, 'Set', GLib.Variant('(ssv)', (SI, 'UserAgent',
                                                                           v('s', ua))),
                       conn=conn, timeout_ms=2000)

            hammer = sipsd.Hammer(write)
            hammer.start()
            sipsd.run_loop(rng.uniform(0.05, 0.4))
            d.kill()
            hammer.stop()
            conn.close_sync(None)
            assert hammer.last_ok is not None, 'no write succeeded in round %d' % rnd

            # the file on disk is complete and loadable
            kf = d.keyfile()
            try:
                on_disk = kf.get_string('Settings', 'UserAgent')
            except GLib.Error:
                on_disk = default_ua
            assert on_disk in written or on_disk == default_ua, on_disk
            # the port settings survived (a truncated file would lose them)
            assert kf.get_uint64('Settings', 'SipUdpPort') == d.ports['udp']

            d.start()
            ua = d.get(S, SI, 'UserAgent')
            assert ua in written or ua == default_ua, 'restarted with UserAgent %r' % ua
            assert ua == on_disk
            left = temp_leftovers(d)
            assert len(left) <= 1, 'temporary files accumulate: %s' % left
        d.stop()
        left = temp_leftovers(d)
        assert len(left) <= 1, left
    finally:
        d.cleanup()


def test_acknowledged_write_survives_sigkill(daemon):
    """A Set that returned is on disk ("every successful set is persisted at once")."""
    daemon.set(S, SI, 'UserAgent', v('s', 'acknowledged-ua'))
    daemon.kill()
    daemon.start()
    assert daemon.get(S, SI, 'UserAgent') == 'acknowledged-ua'


def test_second_daemon_refused(bus, daemon):
    second = sipsd.Daemon(bus)
    try:
        second.start(wait=False)
        rc = second.wait_exit(10)
        assert rc != 0, 'second daemon exited with 0'
        err = second.stderr_text()
        assert re.search(r'org\.sipsimple\.Daemon1|already', err, re.I), \
            'unclear message on stderr: %r' % err
        # the first one is untouched
        assert daemon.proc.poll() is None
        assert daemon.get(S, SI, 'ConfigurationFile')
        assert daemon._owner_pid() == daemon.proc.pid
    finally:
        second.cleanup()


def test_sigterm_exits_zero(daemon):
    assert daemon.stop() == 0
    # and a clean restart works
    daemon.start()
    assert daemon.stop() == 0


def test_version():
    env = dict(os.environ)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    r = subprocess.run([os.environ['SIPSIMPLED'], '--version'], capture_output=True, text=True,
                       timeout=10, env=env)
    assert r.returncode == 0, r.stderr
    assert re.search(r'\b\d+\.\d+\.\d+\b', r.stdout), 'no version in %r' % r.stdout
    assert 'sipsimpled' in r.stdout.lower()


def test_address_option(bus):
    d = sipsd.Daemon(bus)
    try:
        env_addr = bus.address
        d.start(['--address=' + env_addr])
        assert d.get(S, SI, 'UserAgent')
        d.stop()
    finally:
        d.cleanup()


def test_bad_option_fails():
    r = subprocess.run([os.environ['SIPSIMPLED'], '--no-such-option'], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode != 0
    assert r.stderr.strip()


def test_corrupt_values_fall_back_to_defaults(bus):
    d = sipsd.Daemon(bus, settings={'AudioCodecs': ['bogus'], 'RtpPortMin': 'not-a-number',
                                    'RTPConfiguration': {'IceStunPort': 99999}})
    try:
        d.start()
        assert d.get(S, SI, 'AudioCodecs') == ['opus', 'G722', 'PCMU', 'PCMA']
        assert d.get(S, SI, 'RtpPortMin') == 50000
        assert d.get(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'IceStunPort') == 3478
    finally:
        d.cleanup()


def test_garbage_config_file(bus):
    """An unparsable file is kept aside (PATH.unreadable-SECONDS, byte for byte) and the
    daemon starts with the defaults; it is never silently half-used nor overwritten."""
    d = sipsd.Daemon(bus)
    garbage = b'\x00\xff not a key file [[[\n=\n'
    try:
        with open(d.config_path, 'wb') as f:
            f.write(garbage)
        d.start()
        folder = os.path.dirname(d.config_path)
        aside = [n for n in os.listdir(folder)
                 if n.startswith(os.path.basename(d.config_path) + '.unreadable-')]
        assert len(aside) == 1, os.listdir(folder)
        with open(os.path.join(folder, aside[0]), 'rb') as f:
            assert f.read() == garbage
        assert d.get(S, SI, 'AudioCodecs') == ['opus', 'G722', 'PCMU', 'PCMA']
        d.set(S, SI, 'UserAgent', v('s', 'recovered'))
        d.stop()
        d.start()
        assert d.get(S, SI, 'UserAgent') == 'recovered'
    finally:
        d.cleanup()


def test_bad_calls_do_not_crash(daemon):
    """Garbage arguments of the wrong signature are refused, the daemon lives on."""
    bad = [
        (S, SI, 'AddAccount', v('(s)', ('x@y',))),
        (S, SI, 'RemoveAccount', v('(s)', ('/org/sipsimple/Account/0',))),
        (sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE, 'CreateSession', v('(s)', ('x',))),
        (sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE, 'GetRingtoneForSipuri', None),
        (S, SI, 'NoSuchMethod', None),
    ]
    for path, iface, method, args in bad:
        try:
            daemon.call(path, iface, method, args)
            raise AssertionError('%s.%s%r succeeded' % (iface, method, args))
        except GLib.Error as e:
            assert sipsd.dbus_error_name(e), e.message
    assert daemon.proc.poll() is None
    assert daemon.get(S, SI, 'UserAgent')


class _NotifyingDaemon(sipsd.Daemon):
    """A daemon started as systemd would with Type=notify: NOTIFY_SOCKET set."""

    def __init__(self, bus, notify_path, watchdog_usec=None):
        super().__init__(bus)
        self.notify_path = notify_path
        self.watchdog_usec = watchdog_usec

    @property
    def env(self):
        env = super().env
        env['NOTIFY_SOCKET'] = self.notify_path
        env.pop('WATCHDOG_USEC', None)
        env.pop('WATCHDOG_PID', None)
        if self.watchdog_usec is not None:
            env['WATCHDOG_USEC'] = str(self.watchdog_usec)  # no WATCHDOG_PID: any pid
        return env


def _receive_notification(sock, timeout):
    ready, _, _ = select.select([sock], [], [], timeout)
    assert ready, 'no sd_notify message within %d s' % timeout
    return sock.recv(4096).decode()


def test_sd_notify_watchdog(bus, tmp_path):
    """With WatchdogSec= (WATCHDOG_USEC) the main loop sends WATCHDOG=1 twice per interval,
    from READY on, and goes on while it serves calls."""
    path = str(tmp_path / 'notify.sock')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    d = _NotifyingDaemon(bus, path, watchdog_usec=400000)
    try:
        d.start(wait=False)
        assert 'READY=1' in _receive_notification(sock, 15).split('\n')
        d.wait_ready()
        start = time.monotonic()
        pings = 0
        while time.monotonic() - start < 3.0:
            d.get(S, SI, 'UserAgent')  # the loop is busy with clients meanwhile
            ready, _, _ = select.select([sock], [], [], 0.05)
            if ready and 'WATCHDOG=1' in sock.recv(4096).decode().split('\n'):
                pings += 1
        # every 200 ms: about 15 in 3 s (6 or more leaves room for a loaded machine)
        assert pings >= 6, pings
    finally:
        sock.close()
        d.cleanup()


def test_sd_notify_ready_and_stopping(bus, tmp_path):
    """READY=1 comes once the bus name is owned; STOPPING=1 on the way out."""
    path = str(tmp_path / 'notify.sock')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    d = _NotifyingDaemon(bus, path)
    try:
        d.start(wait=False)
        message = _receive_notification(sock, 15)
        assert 'READY=1' in message.split('\n'), message
        reply = bus.connection().call_sync(
            'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
            'NameHasOwner', GLib.Variant('(s)', ('org.sipsimple.Daemon1',)),
            GLib.VariantType('(b)'), 0, 5000, None)
        assert reply.unpack() == (True,), 'READY=1 before the name was owned'
        d.proc.send_signal(signal.SIGTERM)
        message = _receive_notification(sock, 15)
        assert 'STOPPING=1' in message.split('\n'), message
        assert d.proc.wait(timeout=15) == 0
    finally:
        sock.close()
        d.cleanup()
