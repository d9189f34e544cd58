"""msrp measures chat between two daemons (each on its own private bus, one chat-only
session, MSRP over TCP and then over TLS on 127.0.0.1):
  * messages per second: N 1 KiB messages (2000; quick 200), Success-Reports on, with at
    most W SendMessage calls outstanding (32), from the first call to the last
    DidDeliverMessage;
  * MiB/s for one 100 MiB message (quick 10 MiB): SendMessage to DidDeliverMessage and to
    GotMessage (its length checked); if the daemon refuses that size, the largest it
    accepts (just under its 16 MiB limit) instead;
  * the daemons' CPU time (/proc/PID/stat) per message and per MiB;
  * beside them, the ceiling: the same size through openssl s_client -> s_server (a
    P-256 certificate made at run time) and over plain TCP between two processes, and
    the ratio daemons / ceiling;
  * file transfer (msrp_file.py): MiB/s of a 1 GiB file (quick 128 MiB; --file-mib)
    SendFile -> GotFile over TCP and TLS, both daemons' RSS growth, beside the TLS
    ceiling for the same size (the suite GIO negotiates, if it can be told) and the ratio.
To reproduce: meson setup build && ninja -C build, then `tools/bench msrp` (or with
--quick); SIPSIMPLED=path/to/sipsimpled for another build (e.g. build-test/daemon/...).
"""

import os
import socket
import subprocess
import threading
import time

from . import msrp_file
from .common import CLK_TCK, cpu_seconds, daemon_binary, describe, fmt, log, log_if_exited, \
    print_load, print_title, ratio, require, work_dir

MIB = 1024 * 1024
GLib = Gio = None   # gi.repository's, imported when the bench runs


def add_arguments(p):
    p.add_argument('--messages', type=int, help='msrp: 1 KiB messages, message: MESSAGEs (2000; quick 200)')
    p.add_argument('--inflight', type=int, default=32,
                   help='msrp, message: SendMessage calls outstanding at most (32)')
    p.add_argument('--file-mib', type=int,
                   help='msrp: size of the file transferred, MiB (1024; quick 128; 0: none)')


def run(args):
    args.messages = args.messages or (200 if args.quick else 2000)
    # the first size the daemon refuses is reported, the next one measured
    args.sizes = [(10 if args.quick else 100) * MIB, 16 * MIB - 4096]
    args.file_size = msrp_file.file_size(args) if args.file_mib is None else args.file_mib * MIB
    require(('openssl', 'dbus-daemon'), 'openssl, dbus')
    bench_msrp(args)


# ---------------------------------------------------------------- msrp: the peers

CHAT_SI = 'org.sipsimple.Session1'
# the bench's private buses carry one message of up to 100 MiB each way: raise
# dbus-daemon's built-in limits (32 MiB a message) as the session bus does
MSRP_BUS_LIMITS = ''.join('  <limit name="%s">1000000000</limit>\n' % name for name in (
    'max_message_size', 'max_incoming_bytes', 'max_outgoing_bytes'))


class ChatPeer:
    """A daemon on its own private bus with chat over TCP or TLS on 127.0.0.1."""

    def __init__(self, sipsd, use_tls):
        sip_port, tls_port = sipsd.free_ports(2)
        settings = {'MSRPConfiguration': {'LocalIp': '127.0.0.1', 'LocalUseTls': use_tls},
                    'RTPConfiguration': {'LocalRtpAddress': '127.0.0.1'},
                    'SipUdpPort': sip_port, 'SipTcpPort': sip_port, 'SipTlsPort': tls_port,
                    'TerminatedSessionLinger': 1}
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings=settings)
        try:
            self.daemon.start()
        except Exception:
            self.bus.stop()
            raise
        self.conn = self.bus.connection()
        self.pid = self.daemon.proc.pid
        self.bus_pid = self.bus.proc.pid

    def uri(self):
        return 'sip:chat@127.0.0.1:%d' % self.daemon.ports['udp']

    def stop(self):
        try:
            self.daemon.stop(check=False)
        finally:
            self.daemon.cleanup()
            self.bus.stop()


class Signals:
    """Session1 signals `members` of one session, with the time each arrived; the
    arguments are kept only through `keep` (a function of the parameters variant)."""

    def __init__(self, conn, path, members, keep=lambda p: p.unpack()):
        self.conn, self.got = conn, {m: [] for m in members}
        self.ids = [conn.signal_subscribe(None, CHAT_SI, m, path, None,
                                          Gio.DBusSignalFlags.NONE, self._on_signal, keep)
                    for m in members]

    def _on_signal(self, conn, sender, path, iface, member, params, keep):
        self.got[member].append((time.monotonic(), keep(params)))

    def count(self, member):
        return len(self.got[member])

    def close(self):
        for i in self.ids:
            self.conn.signal_unsubscribe(i)


def chat_establish(sipsd, a, b):
    """A calls B with a chat stream, B accepts; (pa, pb) once both chats are started."""
    rec_a = sipsd.SignalRecorder(a.conn, '/')
    rec_b = sipsd.SignalRecorder(b.conn, '/')
    try:
        pa = a.daemon.create_session()
        a.daemon.call(pa, CHAT_SI, 'New', GLib.Variant('(sosbb)', (b.uri(), '/', '', False,
                                                                   True)))
        r = rec_b.wait_for(lambda r: r[1] == CHAT_SI and r[2] == 'NewIncoming', 15)
        if not r:
            raise RuntimeError('no incoming chat session:\n' + b.daemon.stderr_text()[-2000:])
        pb = r[0]
        b.daemon.call(pb, CHAT_SI, 'Accept', GLib.Variant('(bb)', (False, True)))
        for rec, path in ((rec_a, pa), (rec_b, pb)):
            if not rec.wait_for(lambda r: r[0] == path + '/Chat' and r[2] == 'DidStart', 15):
                raise RuntimeError('chat did not start: %s' % [x[:3] for x in rec.records])
        return pa, pb
    finally:
        rec_a.close()
        rec_b.close()


def send_call(peer, path, content, on_done):
    """SendMessage, asynchronously; on_done(id or GLib.Error)."""
    def on_reply(conn, res, _):
        try:
            on_done(conn.call_finish(res).unpack()[0])
        except GLib.Error as e:
            on_done(e)
    import sipsd
    peer.conn.call(sipsd.BUS_NAME, path, CHAT_SI, 'SendMessage', content,
                   GLib.VariantType('(s)'), Gio.DBusCallFlags.NONE, 600000, None,
                   on_reply, None)


def others_cpu(a, b):
    """CPU seconds of the two dbus-daemons and of the bench itself."""
    return cpu_seconds(a.bus_pid) + cpu_seconds(b.bus_pid) + cpu_seconds(os.getpid())


def msrp_rate(sipsd, a, b, pa, pb, n, size, inflight):
    """n messages of `size` bytes, at most `inflight` SendMessage calls outstanding;
    from the first call to the last DidDeliverMessage (or DidNotDeliverMessage)."""
    sig_a = Signals(a.conn, pa, ('DidDeliverMessage', 'DidNotDeliverMessage'),
                    keep=lambda p: p.get_child_value(1).get_string())
    sig_b = Signals(b.conn, pb, ('GotMessage',), keep=lambda p: None)
    body = GLib.Variant('(sssx)', ('x' * size, 'text/plain', '', 0))
    state = {'issued': 0, 'replied': 0, 'errors': []}

    def reported():
        return sig_a.count('DidDeliverMessage') + sig_a.count('DidNotDeliverMessage')

    def on_done(result):
        state['replied'] += 1
        if isinstance(result, GLib.Error):
            state['errors'].append(result.message)
        pump()

    def pump():
        while state['issued'] < n and state['issued'] - state['replied'] < inflight:
            state['issued'] += 1
            send_call(a, pa, body, on_done)
    cpu0 = cpu_seconds(a.pid) + cpu_seconds(b.pid)
    other0 = others_cpu(a, b)
    t0 = time.monotonic()
    pump()
    sipsd.wait_until(lambda: reported() + len(state['errors']) >= n, 60 + n * 0.05)
    t_calls = time.monotonic()
    cpu = cpu_seconds(a.pid) + cpu_seconds(b.pid) - cpu0
    other = others_cpu(a, b) - other0
    times = [t for t, _ in sig_a.got['DidDeliverMessage'] + sig_a.got['DidNotDeliverMessage']]
    # the GotMessage signals may trail the reports a little: not part of the time
    sipsd.wait_until(lambda: sig_b.count('GotMessage') >= sig_a.count('DidDeliverMessage'), 10)
    r = {'n': n, 'delivered': sig_a.count('DidDeliverMessage'),
         'failed': sig_a.count('DidNotDeliverMessage'), 'errors': len(state['errors']),
         'received': sig_b.count('GotMessage'), 'cpu': cpu, 'other_cpu': other,
         'bytes': n * size}
    if state['errors']:
        r['first_error'] = state['errors'][0]
    r['seconds'] = (max(times) if times else t_calls) - t0
    sig_a.close()
    sig_b.close()
    return r


def msrp_big(sipsd, a, b, pa, pb, size):
    """One message of `size` ASCII bytes: from SendMessage to its reply, to
    DidDeliverMessage on A and to GotMessage on B (whose content length is checked)."""
    sig_a = Signals(a.conn, pa, ('DidDeliverMessage', 'DidNotDeliverMessage'),
                    keep=lambda p: p.unpack()[1:])
    sig_b = Signals(b.conn, pb, ('GotMessage',),
                    keep=lambda p: len(p.get_child_value(1).get_string()))
    body = GLib.Variant('(sssx)', ('0123456789abcdef' * (size // 16) + 'z' * (size % 16),
                                   'text/plain', '', 0))
    r = {'size': size}

    def on_done(result):
        r['reply'] = time.monotonic() - t0
        if isinstance(result, GLib.Error):
            r['error'] = result.message
    cpu0 = cpu_seconds(a.pid) + cpu_seconds(b.pid)
    other0 = others_cpu(a, b)
    t0 = time.monotonic()
    send_call(a, pa, body, on_done)
    sipsd.wait_until(lambda: 'error' in r or sig_a.count('DidNotDeliverMessage') or
                     (sig_a.count('DidDeliverMessage') and sig_b.count('GotMessage')),
                     60 + size / MIB)
    r['cpu'] = cpu_seconds(a.pid) + cpu_seconds(b.pid) - cpu0
    r['other_cpu'] = others_cpu(a, b) - other0
    if sig_a.count('DidDeliverMessage'):
        r['delivered'] = sig_a.got['DidDeliverMessage'][0][0] - t0
        r['report'] = sig_a.got['DidDeliverMessage'][0][1]
    if sig_a.count('DidNotDeliverMessage'):
        r['not_delivered'] = sig_a.got['DidNotDeliverMessage'][0][1]
    if sig_b.count('GotMessage'):
        r['got'] = sig_b.got['GotMessage'][0][0] - t0
        r['received_length'] = sig_b.got['GotMessage'][0][1]
    sig_a.close()
    sig_b.close()
    return r


# ---------------------------------------------------------------- msrp: the ceilings

def listening(port):
    """Whether something listens on 127.0.0.1:port (TCP), from /proc/net/tcp."""
    want = '0100007F:%04X' % port
    with open('/proc/net/tcp') as f:
        return any(line.split()[1] == want and line.split()[3] == '0A' for line in f
                   if line.strip() and not line.lstrip().startswith('sl'))


def wait_listening(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while not listening(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError('openssl s_server did not listen on %d' % port)
        time.sleep(0.01)


def feed(stream, size, block=MIB):
    data = b'0123456789abcdef' * (block // 16)
    left = size
    while left > 0:
        stream.write(data[:min(block, left)])
        left -= block
    stream.flush()


def drain(stream, size):
    buf = bytearray(MIB)
    view, got = memoryview(buf), 0
    while got < size:
        k = stream.readinto(view[:min(MIB, size - got)])
        if not k:
            break
        got += k
    return got


def make_cert(work):
    """A P-256 certificate and key made now: (cert, key) paths."""
    cert, key = os.path.join(work, 'cert.pem'), os.path.join(work, 'key.pem')
    if not os.path.exists(cert):
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
                        '-subj', '/CN=bench.invalid', '-days', '1'], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def ceiling_tls(work, size, suite=None):
    """`size` bytes through openssl s_client -> s_server (TLS 1.3, P-256 certificate made
    now; `suite`: a TLS 1.3 ciphersuite to use), piped in and out by this process; from
    the first byte after the handshake."""
    import sipsd
    cert, key = make_cert(work)
    suites = ['-ciphersuites', suite] if suite else []
    port = sipsd.free_port('tcp')
    server = subprocess.Popen(['openssl', 's_server', '-accept', '127.0.0.1:%d' % port,
                               '-cert', cert, '-key', key, '-quiet', '-naccept', '1'] + suites,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    client = None
    try:
        wait_listening(port, server)
        client = subprocess.Popen(['openssl', 's_client', '-connect', '127.0.0.1:%d' % port,
                                   '-quiet'] + suites, stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client.stdin.write(b'!')       # through once the handshake is done
        client.stdin.flush()
        if server.stdout.read(1) != b'!':
            raise RuntimeError('openssl s_server got nothing')
        pids = (server.pid, client.pid)
        cpu0 = sum(cpu_seconds(p) for p in pids)
        t0 = time.monotonic()
        writer = threading.Thread(target=feed, args=(client.stdin, size), daemon=True)
        writer.start()
        got = drain(server.stdout, size)
        seconds = time.monotonic() - t0
        cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        writer.join(10)
        return {'size': size, 'received_length': got, 'seconds': seconds, 'cpu': cpu}
    finally:
        for p in (client, server):
            if p:
                p.kill()
                p.wait()
                for s in (p.stdin, p.stdout):
                    if s:
                        try:
                            s.close()
                        except OSError:
                            pass


TCP_SENDER = r'''
import socket, sys
size, port = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
data = b"0123456789abcdef" * 65536
left = size
while left > 0:
    s.sendall(data[:min(len(data), left)])
    left -= len(data)
s.close()
'''


def ceiling_tcp(size):
    """`size` bytes over a loopback TCP connection from a python3 process to this one."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    sender = subprocess.Popen(['/usr/bin/python3', '-c', TCP_SENDER, str(size),
                               str(srv.getsockname()[1])])
    try:
        srv.settimeout(30)
        conn, _ = srv.accept()
        with conn:
            pids = (sender.pid, os.getpid())
            cpu0 = sum(cpu_seconds(p) for p in pids)
            t0 = time.monotonic()
            buf = bytearray(MIB)
            view, got = memoryview(buf), 0
            while got < size:
                k = conn.recv_into(view)
                if not k:
                    break
                got += k
            seconds = time.monotonic() - t0
            cpu = sum(cpu_seconds(p) for p in pids) - cpu0
        sender.wait(10)
        return {'size': size, 'received_length': got, 'seconds': seconds, 'cpu': cpu}
    finally:
        srv.close()
        if sender.poll() is None:
            sender.kill()
            sender.wait()


# ---------------------------------------------------------------- msrp: the run

def bench_msrp(args):
    global GLib, Gio
    from gi.repository import GLib, Gio
    os.environ['SIPSIMPLED'] = daemon_binary()
    import sipsd
    sipsd._BUS_CONFIG = sipsd._BUS_CONFIG.replace('</busconfig>',
                                                  MSRP_BUS_LIMITS + '</busconfig>')
    results = {}
    with work_dir('sipsd-bench-msrp-', args.keep, 'work directory kept in %s') as work:
        for transport, use_tls in (('TCP', False), ('TLS', True)):
            log('%s: two daemons, one chat session' % transport)
            results[transport] = chat_run(sipsd, args, use_tls)
        log('ceilings: %s through openssl s_client -> s_server, and plain TCP'
            % fmt_size(args.sizes[0]))
        results['ceiling TLS'] = ceiling_tls(work, args.sizes[0])
        log('  TLS: %s' % describe(results['ceiling TLS']))
        results['ceiling TCP'] = ceiling_tcp(args.sizes[0])
        log('  TCP: %s' % describe(results['ceiling TCP']))
        if args.file_size:
            file_bench(sipsd, args, work, results)
    report_msrp(args, results)


def file_bench(sipsd, args, work, results):
    """The file transfer rows: both transports, then the TLS ceiling for that size."""
    for transport, use_tls in (('TCP', False), ('TLS', True)):
        log('%s: two daemons, a %s file' % (transport, fmt_size(args.file_size)))
        results['file ' + transport] = msrp_file.file_run(sipsd, GLib, ChatPeer, work,
                                                          use_tls, args.file_size)
        log('  %s' % describe(results['file ' + transport]))
    name, proto = msrp_file.gio_tls_suite(Gio, *make_cert(work))
    results['file ceiling suite'] = (name, proto)
    log('ceiling for the file: %s through openssl (GIO negotiates %s, %s)'
        % (fmt_size(args.file_size), name, proto))
    suite = name if name and proto == 'tls-1-3' and name.startswith('TLS_') else None
    results['file ceiling TLS'] = ceiling_tls(work, args.file_size, suite)
    log('  TLS: %s' % describe(results['file ceiling TLS']))


def chat_run(sipsd, args, use_tls):
    """The message rate, then the large messages, over one transport: (rate, bigs)."""
    a = b = None
    try:
        a = ChatPeer(sipsd, use_tls)
        b = ChatPeer(sipsd, use_tls)
        pa, pb = chat_establish(sipsd, a, b)
        msrp_rate(sipsd, a, b, pa, pb, 20, 1024, args.inflight)    # warm-up
        rate = msrp_rate(sipsd, a, b, pa, pb, args.messages, 1024, args.inflight)
        log('  %d x 1 KiB: %s' % (args.messages, describe(rate)))
        bigs = []
        for size in args.sizes:
            big = msrp_big(sipsd, a, b, pa, pb, size)
            log('  one %s message: %s' % (fmt_size(size), describe(big)))
            bigs.append(big)
            if 'received_length' in big:
                break
        for p in (a, b):
            log_if_exited(p.daemon)
        return rate, bigs
    finally:
        for p in (a, b):
            if p:
                p.stop()


def fmt_size(size):
    return '%g MiB' % (size / MIB) if size >= MIB else '%d B' % size


def mib_per_s(size, seconds):
    return size / MIB / seconds if seconds else None


def report_msrp(args, results):
    print_title(args, 'MSRP chat between two sipsimpled daemons')
    head = '%-40s %11s %11s'
    print(head % ('', 'TCP', 'TLS'))

    def row(label, f):
        print(head % (label, *(f(t) for t in ('TCP', 'TLS'))))

    def rate(t):
        return results.get(t, ({}, []))[0]

    def big(t):
        bigs = results.get(t, ({}, []))[1]
        return bigs[-1] if bigs else {}
    row('1 KiB messages sent (window %d)' % args.inflight, lambda t: rate(t).get('n', '-'))
    row('  delivered (200) / failed / refused', lambda t: '%s/%s/%s' % (
        rate(t).get('delivered', '-'), rate(t).get('failed', '-'), rate(t).get('errors', '-')))
    row('  received (GotMessage)', lambda t: rate(t).get('received', '-'))
    row('  messages/s (to the last report)', lambda t: fmt(
        rate(t)['n'] / rate(t)['seconds'] if rate(t).get('seconds') else None))
    row('  daemons\' CPU ms per message', lambda t: fmt(
        1000 * rate(t)['cpu'] / rate(t)['n'] if rate(t).get('n') else None))
    row('  daemons\' CPU ms per MiB', lambda t: fmt(
        1000 * rate(t)['cpu'] / (rate(t)['bytes'] / MIB) if rate(t).get('bytes') else None))
    row('  dbus-daemons\' + bench\'s CPU ms per MiB', lambda t: fmt(
        1000 * rate(t)['other_cpu'] / (rate(t)['bytes'] / MIB) if rate(t).get('bytes')
        else None))
    for t in ('TCP', 'TLS'):
        for r in results.get(t, ({}, []))[1][:-1]:
            print('  %s: one %s message not sent: %s' % (t, fmt_size(r['size']),
                                                          r.get('error') or describe(r)))
    row('one large message, size', lambda t: fmt_size(big(t)['size']) if big(t) else '-')
    row('  received length correct', lambda t: '-' if not big(t) else
        ('yes' if big(t).get('received_length') == big(t)['size'] else
         'NO (%s)' % big(t).get('received_length')))
    row('  SendMessage returned after (s)', lambda t: fmt(big(t).get('reply')))
    row('  DidDeliverMessage after (s)', lambda t: fmt(big(t).get('delivered')))
    row('  GotMessage after (s)', lambda t: fmt(big(t).get('got')))
    row('  MiB/s (call to DidDeliverMessage)', lambda t: fmt(
        mib_per_s(big(t)['size'], big(t).get('delivered')) if big(t) else None))
    row('  MiB/s (SendMessage reply to report)', lambda t: fmt(
        mib_per_s(big(t)['size'], big(t)['delivered'] - big(t)['reply'])
        if big(t).get('delivered') and big(t).get('reply') else None))
    row('  daemons\' CPU ms per MiB', lambda t: fmt(
        1000 * big(t)['cpu'] / (big(t)['size'] / MIB) if big(t) else None))
    row('  dbus-daemons\' + bench\'s CPU ms per MiB', lambda t: fmt(
        1000 * big(t)['other_cpu'] / (big(t)['size'] / MIB) if big(t) else None))
    ceil = {t: results.get('ceiling ' + t, {}) for t in ('TCP', 'TLS')}
    row('ceiling: %s, MiB/s' % fmt_size(args.sizes[0]), lambda t: fmt(
        mib_per_s(ceil[t]['size'], ceil[t]['seconds'])
        if ceil[t].get('received_length') == ceil[t].get('size') else None))
    row('  its CPU ms per MiB (both ends)', lambda t: fmt(
        1000 * ceil[t]['cpu'] / (ceil[t]['size'] / MIB) if ceil[t] else None))
    row('ratio daemons / ceiling (MiB/s)', lambda t: ratio(
        mib_per_s(big(t)['size'], big(t).get('delivered')) if big(t) else None,
        mib_per_s(ceil[t]['size'], ceil[t]['seconds']) if ceil[t] else None))
    print('messages/s: N SendMessage calls of 1 KiB text/plain (CPIM-wrapped, Success-Report'
          ' yes), at most %d outstanding, from the first call to the last DidDeliverMessage;'
          ' after 20 warm-up messages.' % args.inflight)
    print('large message: SendMessage of an ASCII text/plain body (a D-Bus string through the'
          ' bench\'s private bus) to DidDeliverMessage on the sender and GotMessage on the'
          ' receiver; largest of %s the daemon accepted.'
          % ', '.join(fmt_size(s) for s in args.sizes))
    print('CPU: utime+stime of both sipsimpled processes (/proc/PID/stat, %d ticks a'
          ' second) over the measurement; beside it, the two dbus-daemons and this bench'
          ' (which builds and parses the D-Bus messages).' % CLK_TCK)
    print('MiB/s reply to report: from the SendMessage reply (the daemon has the body) to'
          ' DidDeliverMessage, i.e. without the D-Bus transfer in; an approximation of'
          ' the MSRP leg alone.')
    print('ceiling TLS: openssl s_server/s_client (%s, TLS 1.3 default suite, P-256'
          ' certificate made at run time), data piped in and out by the bench; TCP: a'
          ' python3 sender process to the bench over loopback.' % openssl_version())
    if args.file_size:
        msrp_file.rows(results, args.file_size, fmt, ratio, fmt_size)
    print_load()


def openssl_version():
    return subprocess.run(['openssl', 'version'], capture_output=True,
                          text=True).stdout.split(' (')[0].strip()
