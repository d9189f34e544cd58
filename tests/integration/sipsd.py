"""Integration test harness for sipsimpled.

Everything runs against a private dbus-daemon and a daemon with its own
temporary HOME/XDG directories and free SIP ports, so tests run in parallel.

Public API (kept stable, other test files import it):
  free_port(kind='udp'|'tcp'), free_ports(n)
  PrivateBus()                 .address .connection() .new_connection() .stop()
  Daemon(bus, home=None, settings=None)
      .start(extra_args=[], wait=True) .stop() .kill() .wait_exit(timeout)
      .config_path .stderr_text() .ports .home .env .proc
      .get(path, iface, prop) .get_all(path, iface) .set(path, iface, prop, variant)
      .call(path, iface, method, args_variant=None, reply_type=None)
      .ctl(*args) -> subprocess.CompletedProcess (runs $SIPSIMPLECTL on this bus)
  expect_error(name, fn, *args) -> error message
  SignalRecorder(bus_conn, path_prefix)  .records .wait_for(predicate, timeout) .clear()
  run_loop(seconds)  (iterates the GLib main loop, for "nothing else happens" checks)
  wait_until(predicate, timeout=5, interval=0.05)  (main loop + polling)
  v(type_string, value) -> GLib.Variant

Fixtures `bus` and `daemon` live in conftest.py.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading

import gi

gi.require_version('Gio', '2.0')
gi.require_version('GLib', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = 'org.sipsimple.Daemon1'
ROOT = '/org/sipsimple'
SESSION_MANAGER = '/org/sipsimple/SessionManager'
RINGTONE_CONFIG = '/org/sipsimple/SessionManager/RingtoneConfiguration'
RTP_CONFIG = '/org/sipsimple/SessionManager/RTPConfiguration'
MSRP_CONFIG = '/org/sipsimple/SessionManager/MSRPConfiguration'
SETTINGS = '/org/sipsimple/Settings'
ACCOUNT0 = '/org/sipsimple/Account/0'

IFACE_PREFIX = 'org.sipsimple.'
SESSION_MANAGER_IFACE = 'org.sipsimple.SessionManager1'
RINGTONE_IFACE = 'org.sipsimple.RingtoneConfiguration1'
RTP_IFACE = 'org.sipsimple.RTPConfiguration1'
MSRP_IFACE = 'org.sipsimple.MSRPConfiguration1'
SETTINGS_IFACE = 'org.sipsimple.Settings1'
ACCOUNT_IFACE = 'org.sipsimple.Account1'
REGISTRATION_IFACE = 'org.sipsimple.Registration1'
SESSION_IFACE = 'org.sipsimple.Session1'
PROPS_IFACE = 'org.freedesktop.DBus.Properties'
OM_IFACE = 'org.freedesktop.DBus.ObjectManager'
ERROR_PREFIX = 'org.sipsimple.Error.'

START_TIMEOUT = 20.0  # ASan start-up on a loaded 2-core machine
CALL_TIMEOUT_MS = 10000

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>{servicedirs}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def v(type_string, value):
    return GLib.Variant(type_string, value)


# ---------------------------------------------------------------- ports

def _bind(kind, port=0):
    s = socket.socket(socket.AF_INET,
                      socket.SOCK_DGRAM if kind == 'udp' else socket.SOCK_STREAM)
    if kind == 'tcp':
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    return s


def free_port(kind='udp'):
    s = _bind(kind)
    port = s.getsockname()[1]
    s.close()
    return port


def free_ports(n):
    """n distinct ports that are free for both UDP and TCP on 127.0.0.1 (and 0.0.0.0)."""
    held = []
    ports = []
    try:
        while len(ports) < n:
            u = _bind('udp')
            port = u.getsockname()[1]
            try:
                t = _bind('tcp', port)
            except OSError:
                held.append(u)
                continue
            held += [u, t]
            ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def free_port_pair():
    """port and port+1, both free for UDP and TCP (coturn binds its alternative
    listeners on listening-port + 1)."""
    for _ in range(100):
        port = free_ports(1)[0]
        try:
            held = [_bind(kind, port + 1) for kind in ('udp', 'tcp')]
        except OSError:
            continue
        for sock in held:
            sock.close()
        return port
    raise RuntimeError('no two consecutive free ports')


# ---------------------------------------------------------------- main loop

def run_loop(seconds):
    """Iterate the default main context for `seconds` (collects signals)."""
    _iterate_until(lambda: False, seconds)


def wait_until(predicate, timeout=5.0, interval=0.05):
    """Run the main loop until predicate() is true (polled every `interval` s as well as
    after every event); returns its value, or None on timeout."""
    tick = GLib.timeout_add(int(interval * 1000), lambda: GLib.SOURCE_CONTINUE)
    try:
        return _iterate_until(predicate, timeout)
    finally:
        GLib.source_remove(tick)


def _iterate_until(predicate, timeout):
    ctx = GLib.MainContext.default()
    expired = [False]

    def on_timeout():
        expired[0] = True
        return GLib.SOURCE_REMOVE

    src = GLib.timeout_add(int(timeout * 1000), on_timeout)
    try:
        while True:
            result = predicate()
            if result:
                return result
            if expired[0]:
                return None
            ctx.iteration(True)
    finally:
        if not expired[0]:
            GLib.source_remove(src)


# ---------------------------------------------------------------- bus

class PrivateBus:
    """A dbus-daemon of our own. servicedirs: directories of D-Bus activation files
    (services it starts on demand, with `env` added to their environment)."""

    def __init__(self, servicedirs=(), env=None):
        self.dir = tempfile.mkdtemp(prefix='sipsd-bus-')
        conf = os.path.join(self.dir, 'bus.conf')
        dirs = ''.join('\n  <servicedir>%s</servicedir>' % d for d in servicedirs)
        with open(conf, 'w') as f:
            f.write(_BUS_CONFIG.format(dir=self.dir, servicedirs=dirs))
        with open(os.path.join(self.dir, 'bus.log'), 'wb') as log:
            self.proc = subprocess.Popen(
                ['dbus-daemon', '--config-file=' + conf, '--nofork', '--print-address=1'],
                stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, stderr=log,
                env=dict(os.environ, **(env or {})))
        self.address = self.proc.stdout.readline().decode().strip()
        if not self.address:
            raise RuntimeError('dbus-daemon did not start')
        self._conn = None
        self._extra = []

    def new_connection(self):
        """A fresh private connection (close it with .close_sync(None))."""
        conn = Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)
        conn.set_exit_on_close(False)
        self._extra.append(conn)
        return conn

    def connection(self):
        """The shared test-side connection to this bus."""
        if self._conn is None:
            self._conn = self.new_connection()
        return self._conn

    def stop(self):
        for c in self._extra:
            if not c.is_closed():
                try:
                    c.close_sync(None)
                except GLib.Error:
                    pass
        self._extra = []
        self._conn = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def two_peers(make_a, make_b):
    """Two started peers (make_a(), make_b(): objects with .stop()), both stopped
    afterwards; if the second cannot start, the first is stopped before the error goes on."""
    a = make_a()
    try:
        b = make_b()
    except Exception:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


# ---------------------------------------------------------------- errors

def dbus_error_name(err):
    if isinstance(err, GLib.Error) and Gio.DBusError.is_remote_error(err):
        return Gio.DBusError.get_remote_error(err)
    return None


def expect_error(name, fn, *args, **kwargs):
    """Call fn(*args) and assert it fails with D-Bus error `name` (short names like
    'InvalidArgument' mean org.sipsimple.Error.InvalidArgument; a tuple allows several).
    Returns the error message."""
    names = name if isinstance(name, (tuple, list)) else (name,)
    names = tuple(n if '.' in n else ERROR_PREFIX + n for n in names)
    try:
        result = fn(*args, **kwargs)
    except GLib.Error as e:
        got = dbus_error_name(e)
        assert got in names, 'expected %s, got %s: %s' % (
            ' or '.join(names), got, e.message)
        msg = e.message
        if msg.startswith('GDBus.Error:') and ': ' in msg:
            msg = msg.split(': ', 1)[1]
        return msg
    raise AssertionError('expected %s, call succeeded with %r' % (' or '.join(names), result))


# ---------------------------------------------------------------- signals

class SignalRecorder:
    """Records every signal whose object path is path_prefix or below it,
    as (path, iface, member, args) with args unpacked to Python values."""

    def __init__(self, bus_conn, path_prefix='/org/sipsimple', sender=None):
        self.conn = bus_conn
        self.prefix = path_prefix.rstrip('/') or '/'
        self.records = []
        self.on_record = None    # called with each new record (e.g. to answer calls)
        self._id = bus_conn.signal_subscribe(
            sender, None, None, None, None, Gio.DBusSignalFlags.NONE, self._on_signal)

    def _on_signal(self, conn, sender, path, iface, member, params):
        if path == self.prefix or path.startswith(self.prefix + '/') or self.prefix == '/':
            self.records.append((path, iface, member, params.unpack()))
            if self.on_record is not None:
                self.on_record(self.records[-1])

    def clear(self):
        self.records = []

    def find(self, predicate):
        for r in self.records:
            if predicate(r):
                return r
        return None

    def wait_for(self, predicate, timeout=5.0):
        """Run the main loop until some record satisfies predicate(record); returns it
        (or None on timeout)."""
        return _iterate_until(lambda: self.find(predicate), timeout)

    def wait_props_changed(self, path, iface, prop, timeout=5.0):
        """Wait for PropertiesChanged on path/iface naming prop; returns the new value
        (or the record if the property was only invalidated), None on timeout."""
        def pred(r):
            return (r[0] == path and r[1] == PROPS_IFACE and r[2] == 'PropertiesChanged'
                    and r[3][0] == iface and (prop in r[3][1] or prop in r[3][2]))
        r = self.wait_for(pred, timeout)
        if r is None:
            return None
        return r[3][1].get(prop, r)

    def close(self):
        if self._id:
            self.conn.signal_unsubscribe(self._id)
            self._id = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- daemon

def _daemon_binary():
    path = os.environ.get('SIPSIMPLED')
    if not path:
        raise RuntimeError('SIPSIMPLED is not set (path to the built sipsimpled)')
    return path


class Daemon:
    """A sipsimpled with its own HOME and XDG dirs on `bus`.

    settings: dict of [Settings] keys -> values; a value that is a dict is a whole
    group (e.g. {'RTPConfiguration': {'UseIce': True}}). The harness always adds
    SipListenAddress=127.0.0.1 and free SipUdpPort/SipTcpPort/SipTlsPort unless given.
    If `home` already holds a configuration file it is left alone (restart case)."""

    def __init__(self, bus, home=None, settings=None):
        self.bus = bus
        self.own_home = home is None
        self.home = home or tempfile.mkdtemp(prefix='sipsd-home-')
        self.xdg = {
            'HOME': self.home,
            'XDG_CONFIG_HOME': os.path.join(self.home, '.config'),
            'XDG_DATA_HOME': os.path.join(self.home, '.local', 'share'),
            'XDG_STATE_HOME': os.path.join(self.home, '.local', 'state'),
            'XDG_CACHE_HOME': os.path.join(self.home, '.cache'),
            'XDG_RUNTIME_DIR': os.path.join(self.home, 'runtime'),
        }
        for d in self.xdg.values():
            os.makedirs(d, mode=0o700, exist_ok=True)
        self.config_dir = os.path.join(self.xdg['XDG_CONFIG_HOME'], 'sipsimpled')
        self.config_path = os.path.join(self.config_dir, 'sipsimpled.conf')
        self.log_dir = os.path.join(self.home, 'logs')
        os.makedirs(self.log_dir, exist_ok=True)
        self.proc = None
        self.starts = 0
        self.ports = {}
        if not os.path.exists(self.config_path):
            self.write_config(settings or {})
        else:
            kf = self.keyfile()
            for k, key in (('udp', 'SipUdpPort'), ('tcp', 'SipTcpPort'), ('tls', 'SipTlsPort')):
                try:
                    self.ports[k] = kf.get_uint64('Settings', key)
                except GLib.Error:
                    pass

    # -- configuration file

    def write_config(self, settings):
        udp, tcp, tls = free_ports(3)
        groups = {'Settings': {'SipListenAddress': '127.0.0.1', 'SipUdpPort': udp,
                               'SipTcpPort': tcp, 'SipTlsPort': tls}}
        for key, value in settings.items():
            if isinstance(value, dict):
                groups.setdefault(key, {}).update(value)
            else:
                groups['Settings'][key] = value
        kf = GLib.KeyFile()
        for group, keys in groups.items():
            for key, value in keys.items():
                if isinstance(value, bool):
                    kf.set_boolean(group, key, value)
                elif isinstance(value, int):
                    kf.set_uint64(group, key, value)
                elif isinstance(value, (list, tuple)):
                    kf.set_string_list(group, key, list(value))
                else:
                    kf.set_string(group, key, str(value))
        os.makedirs(self.config_dir, mode=0o700, exist_ok=True)
        kf.save_to_file(self.config_path)
        s = groups['Settings']
        self.ports = {'udp': s['SipUdpPort'], 'tcp': s['SipTcpPort'], 'tls': s['SipTlsPort']}

    def keyfile(self):
        kf = GLib.KeyFile()
        kf.load_from_file(self.config_path, GLib.KeyFileFlags.NONE)
        return kf

    def config_text(self):
        with open(self.config_path, errors='replace') as f:
            return f.read()

    # -- process

    @property
    def env(self):
        env = dict(os.environ)
        env.update(self.xdg)
        env['DBUS_SESSION_BUS_ADDRESS'] = self.bus.address
        env.pop('DBUS_SYSTEM_BUS_ADDRESS', None)
        env.setdefault('G_DEBUG', 'fatal-criticals')
        env['LC_ALL'] = 'C.UTF-8'
        env['GST_REGISTRY'] = os.path.join(self.xdg['XDG_CACHE_HOME'], 'gst-registry.bin')
        return env

    @property
    def conn(self):
        return self.bus.connection()

    def start(self, extra_args=(), wait=True):
        assert self.proc is None or self.proc.poll() is not None, 'already running'
        self.starts += 1
        self.stdout_path = os.path.join(self.log_dir, 'stdout.%d.log' % self.starts)
        self.stderr_path = os.path.join(self.log_dir, 'stderr.%d.log' % self.starts)
        with open(self.stdout_path, 'wb') as out, open(self.stderr_path, 'wb') as err:
            self.proc = subprocess.Popen([_daemon_binary()] + list(extra_args),
                                         env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd=self.home)
        if wait:
            self.wait_ready()
        return self

    def _owner_pid(self):
        try:
            owner = self.conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                        'org.freedesktop.DBus', 'GetNameOwner',
                                        v('(s)', (BUS_NAME,)), GLib.VariantType('(s)'),
                                        Gio.DBusCallFlags.NONE, 2000, None).unpack()[0]
            return self.conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus',
                                       'org.freedesktop.DBus', 'GetConnectionUnixProcessID',
                                       v('(s)', (owner,)), GLib.VariantType('(u)'),
                                       Gio.DBusCallFlags.NONE, 2000, None).unpack()[0]
        except GLib.Error:
            return None

    def wait_ready(self, timeout=START_TIMEOUT):
        """Wait (main loop, NameOwnerChanged via bus_watch_name) until this process owns
        the bus name; raises if it exits first or the timeout passes."""
        state = {'appeared': False}

        def on_appeared(conn, name, owner):
            state['appeared'] = True

        def on_vanished(conn, name):
            state['appeared'] = False

        watch = Gio.bus_watch_name_on_connection(self.conn, BUS_NAME,
                                                 Gio.BusNameWatcherFlags.NONE,
                                                 on_appeared, on_vanished)
        try:
            def ready():
                if self.proc.poll() is not None:
                    return 'exited'
                if state['appeared'] and self._owner_pid() == self.proc.pid:
                    return 'ready'
                return None
            # polled too, so an early exit of the child is seen
            r = wait_until(ready, timeout)
        finally:
            Gio.bus_unwatch_name(watch)
        if r == 'exited':
            raise RuntimeError('sipsimpled exited with %s before owning %s; stderr:\n%s'
                               % (self.proc.returncode, BUS_NAME, self.stderr_text(False)))
        if r != 'ready':
            raise RuntimeError('sipsimpled did not own %s within %ss; stderr:\n%s'
                               % (BUS_NAME, timeout, self.stderr_text(False)))

    def wait_name_gone(self, timeout=5.0):
        state = {'gone': False}
        watch = Gio.bus_watch_name_on_connection(
            self.conn, BUS_NAME, Gio.BusNameWatcherFlags.NONE,
            lambda *a: state.__setitem__('gone', False),
            lambda *a: state.__setitem__('gone', True))
        try:
            return _iterate_until(lambda: state['gone'], timeout)
        finally:
            Gio.bus_unwatch_name(watch)

    def wait_exit(self, timeout=10.0):
        return self.proc.wait(timeout)

    def stop(self, check=True):
        """SIGTERM; returns the exit code (asserted 0 when check)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError('sipsimpled did not exit within 10 s of SIGTERM')
        self.wait_name_gone()
        if check:
            assert rc == 0, 'sipsimpled exited with %s after SIGTERM; stderr:\n%s' % (
                rc, self.stderr_text(False))
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self.wait_name_gone()

    def restart(self, extra_args=()):
        self.stop()
        return self.start(extra_args)

    def cleanup(self):
        """Ends the daemon with SIGTERM (SIGKILL if it hangs), so that under
        tools/test --sanitize LeakSanitizer checks it at exit; raises if any run of
        this Daemon printed a sanitizer report."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
                self.wait_name_gone()
            except subprocess.TimeoutExpired:
                self.kill()
        report = _sanitizer_report(self.stderr_text()) if self.starts else None
        if self.own_home and not os.environ.get('SIPSD_KEEP') and not report:
            shutil.rmtree(self.home, ignore_errors=True)
        if report:
            raise AssertionError('sipsimpled (logs in %s) reported:\n%s\n(full allocation stacks: '
                                 'rerun with ASAN_OPTIONS=fast_unwind_on_malloc=0)'
                                 % (self.log_dir, report))

    def stderr_text(self, all_runs=True):
        """stderr of the current run, or of every run of this Daemon."""
        runs = range(1, self.starts + 1) if all_runs else [self.starts]
        text = ''
        for i in runs:
            p = os.path.join(self.log_dir, 'stderr.%d.log' % i)
            if os.path.exists(p):
                with open(p, errors='replace') as f:
                    text += f.read()
        return text

    def stdout_text(self):
        with open(self.stdout_path, errors='replace') as f:
            return f.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()

    # -- D-Bus helpers (sync calls on the bus's shared connection)

    def call(self, path, iface, method, args_variant=None, reply_type=None,
             conn=None, timeout_ms=CALL_TIMEOUT_MS):
        """Returns the unpacked reply tuple. args_variant: a tuple GLib.Variant or None;
        reply_type: e.g. '(o)' or None."""
        rt = GLib.VariantType(reply_type) if reply_type else None
        r = (conn or self.conn).call_sync(BUS_NAME, path, iface, method, args_variant, rt,
                                          Gio.DBusCallFlags.NONE, timeout_ms, None)
        return r.unpack() if r is not None else ()

    def get_variant(self, path, iface, prop):
        return self.conn.call_sync(BUS_NAME, path, PROPS_IFACE, 'Get',
                                   v('(ss)', (iface, prop)), GLib.VariantType('(v)'),
                                   Gio.DBusCallFlags.NONE, CALL_TIMEOUT_MS, None).get_child_value(0).get_variant()

    def get(self, path, iface, prop):
        return self.get_variant(path, iface, prop).unpack()

    def get_all(self, path, iface):
        return self.call(path, PROPS_IFACE, 'GetAll', v('(s)', (iface,)), '(a{sv})')[0]

    def set(self, path, iface, prop, variant):
        self.call(path, PROPS_IFACE, 'Set', GLib.Variant('(ssv)', (iface, prop, variant)))

    def managed_objects(self):
        return self.call(ROOT, OM_IFACE, 'GetManagedObjects', None, '(a{oa{sa{sv}}})')[0]

    def introspect(self, path):
        return self.call(path, 'org.freedesktop.DBus.Introspectable', 'Introspect',
                         None, '(s)')[0]

    def create_session(self, conn=None):
        return self.call(SESSION_MANAGER, SESSION_MANAGER_IFACE, 'CreateSession',
                         None, '(o)', conn=conn)[0]

    def add_account(self, address, props=None):
        return self.call(SETTINGS, SETTINGS_IFACE, 'AddAccount',
                         GLib.Variant('(sa{sv})', (address, props or {})), '(o)')[0]

    def ctl(self, *args, timeout=30, input=None):
        """Run $SIPSIMPLECTL with this daemon's bus as the session bus."""
        ctl = os.environ.get('SIPSIMPLECTL')
        if not ctl:
            raise RuntimeError('SIPSIMPLECTL is not set')
        return subprocess.run([ctl] + [str(a) for a in args], env=self.env,
                              capture_output=True, text=True, timeout=timeout, input=input)


def _sanitizer_report(text):
    """The first ASan/LSan/UBSan report in a daemon's stderr, or None."""
    for marker in ('ERROR: LeakSanitizer', 'ERROR: AddressSanitizer', 'runtime error:'):
        i = text.find(marker)
        if i >= 0:
            return text[max(0, i - 200):][:20000]
    return None


class Hammer(threading.Thread):
    """Background thread calling fn(i) for i = 0, 1, ... until stopped (errors ignored)."""

    def __init__(self, fn):
        super().__init__(daemon=True)
        self.fn = fn
        self.done = threading.Event()
        self.count = 0
        self.last_ok = None

    def run(self):
        i = 0
        while not self.done.is_set():
            try:
                self.fn(i)
                self.last_ok = i
            except Exception:
                if self.done.is_set():
                    break
            i += 1
            self.count = i

    def stop(self):
        self.done.set()
        self.join(10)
