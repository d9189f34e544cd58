"""Real SIP peers for the integration tests and tools/bench: sipp and baresip.

Every peer listens on 127.0.0.1 only, on ports picked free at run time, writes its logs
into a directory the caller gives, and is stopped by .stop() (tests call it at teardown).

Public API:
  udp_bound(port), tcp_listening(port)     (from /proc/net, no probing)
  Sipp(workdir, scenario='uas'|'uac'|<file in sipp/>|path, port=None, remote=None,
       calls=1, rate=None, hold_ms=None, service=None, keys=None, extra=())
      .start(wait=True) .wait(timeout) -> rc .running .stop() .stats() -> dict
      .counts() .messages() .port .media_port .uri(user) .log_text() .describe()
  LOOPBACK_SETTINGS: Daemon settings that keep the daemon's RTP on 127.0.0.1
  Baresip(workdir, user='bob', codecs=('opus', 'g722', 'g711'), answermode='auto',
          tone=None | (rate, channels) | 'ausine', tone_freq=400, record=False)
          (no tone: baresip sends no audio; (rate, channels): aufile plays a WAV made at
          the codec's rate (it does not resample, loads the file whole for every call and
          ends the call at its end); 'ausine': a generated sine (48 kHz codecs only);
          record: its sndfile module writes what it sends and receives into .record_dir
          as dump-*-enc.wav / dump-*-dec.wav)
      .start() .stop() .command(cmd, params='') -> dict (the ctrl_tcp response)
      .recordings('dec'|'enc') -> [paths]
      .send_command(cmd, params) -> token .events (each with '_t', monotonic arrival)
      .wait_event(predicate, timeout) .clear_events() .port .uri .log_text()
  AutoAnswer(daemon, action='accept'|'reject'|None, terminate_after_ms=None)
      answers every NewIncoming on the daemon over D-Bus (asynchronously);
      .incoming .accepted .started .ended (paths) .failed (DidFail) .errors .close()
  session_signals(recorder, path), wait_session_signal(recorder, path, member, timeout),
  wait_any_session_signal(recorder, path, members, timeout), new_call(daemon, uri, ...)
"""

import json
import math
import os
import signal
import socket
import struct
import subprocess
import threading
import time
import wave

from gi.repository import Gio, GLib

import sipsd

# daemon settings for peer tests: RTP on loopback too, so SDP names 127.0.0.1
LOOPBACK_SETTINGS = {'RTPConfiguration': {'LocalRtpAddress': '127.0.0.1'}}

SIPP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sipp')
BARESIP_MODULES = '/usr/lib/baresip/modules'
PEER_START_TIMEOUT = 10.0


# ---------------------------------------------------------------- sockets

def _proc_net_ports(table, state=None):
    """Local ports of 127.0.0.1/0.0.0.0 sockets in /proc/net/<table> (optionally in the
    given hex state, '0A' = LISTEN)."""
    ports = set()
    try:
        with open('/proc/net/' + table) as f:
            next(f)
            for line in f:
                fields = line.split()
                addr, port = fields[1].split(':')
                if state and fields[3] != state:
                    continue
                if addr in ('0100007F', '00000000'):
                    ports.add(int(port, 16))
    except OSError:
        pass
    return ports


def udp_bound(port):
    return port in _proc_net_ports('udp')


def tcp_listening(port):
    return port in _proc_net_ports('tcp', '0A')


def _stop_process(proc, sig=signal.SIGTERM, timeout=5.0):
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _read(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except OSError:
        return ''


# ---------------------------------------------------------------- sipp

class Sipp:
    """One sipp process. scenario: 'uas'/'uac' (built-in) or a file name in
    tests/integration/sipp/ or a path. remote: 'host:port' the UAC calls."""

    def __init__(self, workdir, scenario='uas', port=None, remote=None, calls=1, rate=None,
                 rate_period_ms=1000, hold_ms=None, service=None, keys=None, extra=(),
                 trace_msg=True, limit=None, transport='u1'):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.scenario = scenario
        self.port = port or sipsd.free_ports(1)[0]
        self.remote = remote
        self.calls = calls
        self.rate = rate
        self.rate_period_ms = rate_period_ms
        self.hold_ms = hold_ms
        self.service = service
        self.keys = keys or {}
        self.extra = list(extra)
        self.trace_msg = trace_msg
        self.limit = limit
        self.transport = transport
        self.media_port = self._pick_media_port()
        name = os.path.splitext(os.path.basename(scenario))[0]
        self.prefix = os.path.join(workdir, 'sipp-%s-%d' % (name, self.port))
        self.stat_file = self.prefix + '.stat.csv'
        self.proc = None

    @staticmethod
    def _pick_media_port():
        """sipp binds media_port (audio RTP) and media_port + 2 (video), and may use the
        RTCP ports after them: a port whose +1..+3 are free too."""
        for _ in range(50):
            p = sipsd.free_ports(1)[0]
            if p > 65531:
                continue
            held = []
            try:
                for q in range(p + 1, p + 4):
                    held.append(sipsd._bind('udp', q))
            except OSError:
                continue
            finally:
                for h in held:
                    h.close()
            return p
        raise RuntimeError('no free media port range for sipp')

    def uri(self, user='service'):
        return 'sip:%s@127.0.0.1:%d' % (user, self.port)

    def args(self):
        if self.scenario in ('uas', 'uac'):
            scen = ['-sn', self.scenario]
        else:
            path = self.scenario
            if not os.path.isabs(path):
                path = os.path.join(SIPP_DIR, path)
            if not os.path.exists(path):
                raise FileNotFoundError('sipp scenario %s' % path)
            scen = ['-sf', path]
        a = ['sipp'] + scen + [
            '-i', '127.0.0.1', '-p', str(self.port), '-t', self.transport,
            '-mi', '127.0.0.1', '-mp', str(self.media_port),
            '-nostdin', '-m', str(self.calls),
            '-trace_stat', '-stf', self.stat_file, '-fd', '1',
            '-trace_err', '-error_file', self.prefix + '.errors.log',
            '-trace_screen', '-screen_file', self.prefix + '.screen.log',
        ]
        if self.trace_msg:
            a += ['-trace_msg', '-message_file', self.prefix + '.messages.log']
        if self.rate is not None:
            a += ['-r', str(self.rate), '-rp', str(self.rate_period_ms)]
        if self.hold_ms is not None:
            a += ['-d', str(self.hold_ms)]
        if self.service is not None:
            a += ['-s', self.service]
        if self.limit is not None:
            a += ['-l', str(self.limit)]
        for k, val in self.keys.items():
            a += ['-key', k, str(val)]
        a += self.extra
        if self.remote:
            a.append(self.remote)
        return a

    def start(self, wait=True):
        self.argv = self.args()
        self.out = open(self.prefix + '.stdout.log', 'wb')
        self.proc = subprocess.Popen(self.argv, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        if wait and not self.remote:
            # a UAS is ready once its SIP port is bound
            ok = sipsd.wait_until(lambda: self.proc.poll() is not None or udp_bound(self.port),
                                  PEER_START_TIMEOUT)
            if not ok or self.proc.poll() is not None:
                raise RuntimeError('sipp did not start: %s' % self.describe())
        return self

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait(self, timeout):
        """Iterate the main loop until sipp exits; returns its exit code or None."""
        sipsd.wait_until(lambda: self.proc.poll() is not None, timeout, interval=0.02)
        return self.proc.poll()

    def stop(self):
        if self.proc is not None:
            # SIGUSR1 would dump; SIGTERM ends sipp at once (stats written)
            _stop_process(self.proc)
            self.out.close()

    def stats(self):
        """The last row of the -trace_stat CSV as {column: value}, columns like
        'SuccessfulCall(C)' and 'FailedCall(C)' (cumulative)."""
        text = _read(self.stat_file).strip().splitlines()
        if len(text) < 2:
            return {}
        head = text[0].rstrip(';').split(';')
        row = text[-1].rstrip(';').split(';')
        return dict(zip(head, row))

    def counts(self):
        s = self.stats()

        def num(key):
            try:
                return int(s.get(key, '0'))
            except ValueError:
                return 0
        return {'successful': num('SuccessfulCall(C)'), 'failed': num('FailedCall(C)'),
                'created': num('TotalCallCreated'),
                'failed_unexpected': num('FailedUnexpectedMessage(C)'),
                'failed_timeout': num('FailedCallRegexpDoesntMatch(C)')}

    def messages(self):
        """What sipp sent and received (-trace_msg)."""
        return _read(self.prefix + '.messages.log')

    def log_text(self, limit=6000):
        parts = []
        for suffix in ('.stdout.log', '.errors.log', '.screen.log', '.messages.log'):
            t = _read(self.prefix + suffix)
            if t:
                parts.append('--- %s%s\n%s' % (os.path.basename(self.prefix), suffix,
                                              t[-limit:]))
        return '\n'.join(parts)

    def describe(self):
        rc = self.proc.poll() if self.proc else None
        return 'command: %s\nexit: %s\n%s' % (' '.join(getattr(self, 'argv', self.args())),
                                             rc, self.log_text())


# ---------------------------------------------------------------- baresip

def write_tone(path, seconds=30, rate=8000, channels=1, freq=400, amplitude=8000):
    """A 16-bit sine WAV for baresip's aufile source (the call closes when the source
    ends, so it must outlast the call)."""
    n = int(seconds * rate)
    per = rate // math.gcd(rate, freq)  # the shortest block of whole periods
    one = [int(amplitude * math.sin(2 * math.pi * freq * i / rate)) for i in range(per)
           for _ in range(channels)]
    block = struct.pack('<%dh' % len(one), *one)
    with wave.open(path, 'wb') as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((block * (n // per + 1))[:n * 2 * channels])


BARESIP_CODEC_MODULES = {'opus': 'opus.so', 'g722': 'g722.so', 'g711': 'g711.so'}
# baresip modules -> the daemon's codec names (Settings1.AudioCodecs)
BARESIP_CODEC_NAMES = {'opus': ['opus'], 'g722': ['G722'], 'g711': ['PCMU', 'PCMA']}


class Baresip:
    """baresip 1.0 with a generated config dir, auto-answer, driven over ctrl_tcp
    (netstring-framed JSON: commands, responses and events)."""

    def __init__(self, workdir, user='bob', codecs=('opus', 'g722', 'g711'),
                 answermode='auto', max_calls=2000, tone=None, tone_seconds=30,
                 tone_freq=400, record=False):
        self.workdir = workdir
        self.user = user
        self.codecs = tuple(codecs)
        self.answermode = answermode
        self.max_calls = max_calls
        self.tone = tone
        self.tone_seconds = tone_seconds
        self.tone_freq = tone_freq
        self.record = record
        self.confdir = os.path.join(workdir, 'baresip-%s' % user)
        os.makedirs(self.confdir, exist_ok=True)
        self.port, self.ctrl_port = self._pick_ports()
        self.uri = 'sip:%s@127.0.0.1:%d' % (user, self.port)
        self.record_dir = os.path.join(self.confdir, 'recordings')
        self.proc = None
        self.sock = None
        self.events = []
        self.responses = []
        self._lock = threading.Lock()
        self._reader = None
        self._token = 0

    @staticmethod
    def _pick_ports():
        # baresip also binds SIP port + 1 for TLS: both must be free
        for _ in range(50):
            p = sipsd.free_ports(1)[0]
            if p >= 65534:
                continue
            try:
                held = [sipsd._bind('udp', p + 1), sipsd._bind('tcp', p + 1)]
            except OSError:
                continue
            for s in held:
                s.close()
            return p, sipsd.free_ports(1)[0]
        raise RuntimeError('no free port pair for baresip')

    def write_config(self):
        mods = [BARESIP_CODEC_MODULES[c] for c in self.codecs]
        lines = [
            'poll_method epoll',
            'sip_listen 127.0.0.1:%d' % self.port,
            'net_interface 127.0.0.1',
            'call_local_timeout 120',
            'call_max_calls %d' % self.max_calls,
            'rtp_ports 40000-49999',
            'module_path %s' % BARESIP_MODULES,
        ] + ['module %s' % m for m in mods]
        if self.tone == 'ausine':
            lines += ['audio_source ausine,%d' % self.tone_freq, 'module ausine.so']
        elif self.tone:
            # aufile does not resample: the file must have the codec's rate and channels
            rate, channels = self.tone
            tone = os.path.join(self.confdir, 'tone.wav')
            write_tone(tone, self.tone_seconds, rate, channels, self.tone_freq)
            lines += ['audio_source aufile,%s' % tone, 'module aufile.so']
        # else: no audio source or player module at all, baresip then sends no audio
        if self.record:
            # an audio filter: what is sent (enc) and received (dec), per call
            os.makedirs(self.record_dir, exist_ok=True)
            lines += ['module sndfile.so', 'snd_path %s' % self.record_dir]
        lines += [
            'module_tmp account.so',
            'module_app menu.so',
            'module_app ctrl_tcp.so',
            'ctrl_tcp_listen 127.0.0.1:%d' % self.ctrl_port,
        ]
        with open(os.path.join(self.confdir, 'config'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        with open(os.path.join(self.confdir, 'accounts'), 'w') as f:
            f.write('<sip:%s@127.0.0.1:%d>;regint=0;answermode=%s\n'
                    % (self.user, self.port, self.answermode))
        with open(os.path.join(self.confdir, 'contacts'), 'w') as f:
            f.write('')

    def start(self):
        self.write_config()
        self.log_path = os.path.join(self.confdir, 'baresip.log')
        self.log = open(self.log_path, 'wb')
        self.argv = ['baresip', '-f', self.confdir, '-v']
        self.proc = subprocess.Popen(self.argv, cwd=self.confdir, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        ok = sipsd.wait_until(lambda: self.proc.poll() is not None or (
            tcp_listening(self.ctrl_port) and udp_bound(self.port)), PEER_START_TIMEOUT)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError('baresip did not start: %s' % self.describe())
        self.sock = socket.create_connection(('127.0.0.1', self.ctrl_port), 5)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        return self

    def _read_loop(self):
        buf = b''
        while True:
            try:
                # baresip writes an event in pieces: without quick ACKs its Nagle and
                # our delayed ACK add 40 ms to every event
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while True:
                colon = buf.find(b':')
                if colon < 0:
                    break
                length = int(buf[:colon])
                if len(buf) < colon + 1 + length + 1:
                    break
                payload = buf[colon + 1:colon + 1 + length]
                buf = buf[colon + 2 + length:]
                try:
                    msg = json.loads(payload.decode('utf-8', 'replace'))
                except ValueError:
                    continue
                msg['_t'] = time.monotonic()
                with self._lock:
                    if msg.get('event'):
                        self.events.append(msg)
                    elif msg.get('response'):
                        self.responses.append(msg)

    def send_command(self, command, params=''):
        """Sends a command; returns its token (responses come asynchronously)."""
        self._token += 1
        token = str(self._token)
        body = json.dumps({'command': command, 'params': params, 'token': token}).encode()
        self.sock.sendall(b'%d:%s,' % (len(body), body))
        return token

    def command(self, command, params='', timeout=5.0):
        token = self.send_command(command, params)
        r = sipsd.wait_until(lambda: self._find(self.responses, lambda m: m.get('token') == token),
                             timeout, interval=0.01)
        if r is None:
            raise RuntimeError('baresip did not answer %s %s: %s' % (command, params,
                                                                      self.describe()))
        return r

    def _find(self, lst, predicate):
        with self._lock:
            for m in lst:
                if predicate(m):
                    return m
        return None

    def find_event(self, predicate):
        return self._find(self.events, predicate)

    def wait_event(self, predicate, timeout=10.0):
        return sipsd.wait_until(lambda: self.find_event(predicate), timeout, interval=0.01)

    def event_types(self):
        with self._lock:
            return [e.get('type') for e in self.events]

    def clear_events(self):
        with self._lock:
            self.events = []

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None and self.sock is not None:
            try:
                self.send_command('quit')
                self.proc.wait(3)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _stop_process(self.proc)
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.log.close()

    def recordings(self, kind='dec'):
        """sndfile's files: 'dec' what baresip received (decoded), 'enc' what it sent."""
        try:
            names = sorted(os.listdir(self.record_dir))
        except OSError:
            return []
        return [os.path.join(self.record_dir, n) for n in names
                if n.startswith('dump-') and n.endswith('-%s.wav' % kind)]

    def log_text(self, limit=8000):
        return _read(os.path.join(self.confdir, 'baresip.log'))[-limit:]

    def describe(self):
        rc = self.proc.poll() if self.proc else None
        return 'command: %s\nexit: %s\nevents: %s\n--- baresip log\n%s' % (
            ' '.join(getattr(self, 'argv', [])), rc, self.event_types(), self.log_text())


# ---------------------------------------------------------------- D-Bus side

class AutoAnswer:
    """Answers every incoming session of `daemon` as it is announced (NewIncoming), with
    asynchronous D-Bus calls so many calls can be in flight.
    action: 'accept' | 'reject' | None (only record).
    terminate_after_ms: Terminate() that long after DidStart (None: the peer hangs up)."""

    def __init__(self, daemon, action='accept', terminate_after_ms=None, conn=None):
        self.daemon = daemon
        self.conn = conn or daemon.conn
        self.action = action
        self.terminate_after_ms = terminate_after_ms
        self.incoming = []
        self.accepted = []
        self.started = []
        self.ended = []
        self.failed = []       # (path, code, reason) of DidFail
        self.errors = []       # (path, method, error message) of failed D-Bus calls
        # No sender filter: with a well-known name GDBus matches only once it has looked the
        # owner up (asynchronously), and a NewIncoming right after would be missed. The
        # private bus carries only this daemon's signals. The round trip makes sure the bus
        # has the match rule before the test goes on.
        self._id = self.conn.signal_subscribe(
            None, sipsd.SESSION_IFACE, None, None, None,
            Gio.DBusSignalFlags.NONE, self._on_signal)
        self.conn.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                            'GetId', None, GLib.VariantType('(s)'), Gio.DBusCallFlags.NONE,
                            5000, None)

    def _call(self, path, method, args):
        def done(conn, res):
            try:
                conn.call_finish(res)
                if method == 'Accept':
                    self.accepted.append(path)
            except GLib.Error as e:
                self.errors.append((path, method, e.message))
        self.conn.call(sipsd.BUS_NAME, path, sipsd.SESSION_IFACE, method, args, None,
                       Gio.DBusCallFlags.NONE, sipsd.CALL_TIMEOUT_MS, None, done)

    def _on_signal(self, conn, sender, path, iface, member, params):
        if member == 'NewIncoming':
            self.incoming.append(path)
            if self.action == 'accept':
                self._call(path, 'Accept', GLib.Variant('(bb)', (True, False)))
            elif self.action == 'reject':
                self._call(path, 'Reject', None)
        elif member == 'DidStart':
            self.started.append(path)
            if self.terminate_after_ms is not None and path in self.incoming:
                GLib.timeout_add(self.terminate_after_ms,
                                 lambda: self._call(path, 'Terminate', None) and False)
        elif member == 'DidFail':
            args = params.unpack()
            self.failed.append((path, args[1], args[2], args[3]))
        elif member == 'DidEnd':
            self.ended.append(path)

    def close(self):
        if self._id:
            self.conn.signal_unsubscribe(self._id)
            self._id = 0


def session_signals(recorder, path, names=None):
    """[(member, args)] of Session1 signals of `path`, in order."""
    return [(r[2], r[3]) for r in recorder.records
            if r[0] == path and r[1] == sipsd.SESSION_IFACE and (names is None or r[2] in names)]


def wait_session_signal(recorder, path, member, timeout=10.0):
    r = recorder.wait_for(lambda r: r[0] == path and r[1] == sipsd.SESSION_IFACE
                          and r[2] == member, timeout)
    return r[3] if r else None


def wait_any_session_signal(recorder, path, members, timeout=10.0):
    r = recorder.wait_for(lambda r: r[0] == path and r[1] == sipsd.SESSION_IFACE
                          and r[2] in members, timeout)
    return (r[2], r[3]) if r else None


def new_call(daemon, uri, account='/', route='', audio=True, chat=False):
    """CreateSession + New; returns the session path."""
    path = daemon.create_session()
    daemon.call(path, sipsd.SESSION_IFACE, 'New',
                GLib.Variant('(sosbb)', (uri, account, route, audio, chat)))
    return path


# ---------------------------------------------------------------- RTP capture

SO_TIMESTAMPNS = getattr(socket, 'SO_TIMESTAMPNS', 35)


class RtpCapture(threading.Thread):
    """Receives UDP on a free loopback port; keeps each packet's kernel arrival time
    (CLOCK_REALTIME, microseconds, as the signals' timestamps)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.times = []
        self.running = True

    def run(self):
        while self.running:
            try:
                _, anc, _, _ = self.sock.recvmsg(2048, socket.CMSG_SPACE(16))
            except socket.timeout:
                continue
            except OSError:
                break
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack('qq', data[:16])
                    self.times.append(sec * 1000000 + nsec // 1000)

    def send_to(self, port):
        """Sends PCMU silence, 20 ms packets, from this socket to 127.0.0.1:port."""
        def loop():
            seq = 0
            while self.running:
                header = struct.pack('!BBHII', 0x80, 0, seq & 0xffff, seq * 160, 0x5eed)
                try:
                    self.sock.sendto(header + b'\xff' * 160, ('127.0.0.1', port))
                except OSError:
                    break
                seq += 1
                time.sleep(0.02)
        self.sender = threading.Thread(target=loop, daemon=True)
        self.sender.start()

    def stop(self):
        self.running = False
        self.join(2)
        if getattr(self, 'sender', None):
            self.sender.join(2)
        self.sock.close()
