"""media measures N concurrent audio calls between two peers of the same kind on loopback,
sipsimpled (two daemons, one accepting over D-Bus; devices `audiotestsrc is-live=true`
and `fakesink sync=true`) and baresip (two instances, one with auto-answer, each sending
a tone: aufile for PCMU, ausine for opus), per codec and N (quick: N=5):
  * CPU per call: utime+stime of both processes (/proc/PID/stat) over a window of S s
    (20; quick 10) once every call is up, per call, in % of one core (both ends);
  * RSS per call: VmRSS of both processes with the calls up minus before them, per call;
  * packet loss from the receivers' own RTCP reports (RFC 3550 report blocks: cumulative
    lost and extended highest sequence number, between the first and last report of each
    stream), captured on lo with an AF_PACKET socket and a BPF filter (needs root or
    CAP_NET_RAW; otherwise "not measured"); and the kernel's UDP receive-buffer drops
    (/proc/net/snmp RcvbufErrors, machine-wide) during the run.
"""

import ctypes
import os
import socket
import struct
import threading
import time

from .common import daemon_binary, describe, cpu_seconds, fmt, log, log_if_exited, \
    print_load, print_title, ratio, require, rss_kib, work_dir


def add_arguments(p):
    p.add_argument('--counts', help='media: concurrent calls per step (10,50,100; quick 5)')
    p.add_argument('--codecs', default='PCMU,opus', help='media: codecs (PCMU,opus)')
    p.add_argument('--window', type=int, help='media: seconds measured (20; quick 10)')


def run(args):
    args.counts = [int(c) for c in (args.counts or ('5' if args.quick else
                                                    '10,50,100')).split(',')]
    args.codecs = args.codecs.split(',')
    args.window = args.window or (10 if args.quick else 20)
    require(('baresip', 'dbus-daemon'), 'baresip-core, dbus')
    bench_media(args)


# ---------------------------------------------------------------- media: measuring

# classic BPF: IPv4, UDP, not a later fragment, UDP payload byte 1 (RTCP packet type)
# in 200..204 (SR, RR, SDES, BYE, APP); RTP never has these (PT 72-76 with marker)
RTCP_FILTER = [
    (0x28, 0, 0, 12),          # ldh [12]            ethertype
    (0x15, 0, 9, 0x0800),      # jeq IPv4
    (0x30, 0, 0, 23),          # ldb [23]            IP protocol
    (0x15, 0, 7, 17),          # jeq UDP
    (0x28, 0, 0, 20),          # ldh [20]            flags, fragment offset
    (0x45, 5, 0, 0x1fff),      # jset -> drop
    (0xb1, 0, 0, 14),          # ldxb 4*([14]&0xf)   IP header length
    (0x50, 0, 0, 14 + 8 + 1),  # ldb [x+23]          RTCP packet type
    (0x35, 0, 2, 200),         # jge 200
    (0x25, 1, 0, 204),         # jgt 204 -> drop
    (0x06, 0, 0, 65535),       # accept
    (0x06, 0, 0, 0),           # drop
]
SO_ATTACH_FILTER = 26


class RtcpCapture:
    """RTCP SR/RR report blocks sent to UDP ports in `ports` (a range), seen on lo.
    .loss() -> (lost, expected, streams) between each stream's first and last report."""

    def __init__(self, ports):
        self.ports = ports
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        code = b''.join(struct.pack('HBBI', *insn) for insn in RTCP_FILTER)
        self._code = ctypes.create_string_buffer(code)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                             struct.pack('HL', len(RTCP_FILTER), ctypes.addressof(self._code)))
        self.sock.bind(('lo', 0))
        self.sock.settimeout(0.2)
        self.blocks = {}     # (reporter SSRC, source SSRC) -> [(lost, ext seq) first, last]
        self._stop = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == socket.PACKET_OUTGOING:
                continue      # lo shows each packet going out and coming in
            udp = 14 + (data[14] & 0xf) * 4
            if len(data) >= udp + 8 and struct.unpack('!H', data[udp + 2:udp + 4])[0] in self.ports:
                self._parse(data[udp + 8:])

    def _parse(self, p):
        while len(p) >= 8:
            first, pt, length = struct.unpack('!BBH', p[:4])
            size = (length + 1) * 4
            if first >> 6 != 2 or size > len(p):
                return
            if pt in (200, 201):    # SR (20 bytes of sender info first) or RR
                reporter = struct.unpack('!I', p[4:8])[0]
                off = 28 if pt == 200 else 8
                for i in range(first & 0x1f):
                    block = p[off + 24 * i:off + 24 * i + 12]
                    if len(block) < 12:
                        break
                    source, _, hi, lo, ext = struct.unpack('!IBBHI', block)
                    lost = (hi << 16) | lo
                    lost -= (1 << 24) if lost & 0x800000 else 0
                    with self._lock:
                        entry = self.blocks.setdefault((reporter, source), [(lost, ext), None])
                        entry[1] = (lost, ext)
            p = p[size:]

    def loss(self):
        lost = expected = streams = 0
        with self._lock:
            for first, last in self.blocks.values():
                if last[1] > first[1]:
                    lost += max(0, last[0] - first[0])
                    expected += last[1] - first[1]
                    streams += 1
        return lost, expected, streams

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


def open_capture(ports):
    try:
        return RtcpCapture(ports), None
    except (PermissionError, OSError) as e:
        return None, str(e)


def udp_rcvbuf_errors():
    with open('/proc/net/snmp') as f:
        rows = [line.split() for line in f if line.startswith('Udp:')]
    return int(dict(zip(rows[0], rows[1])).get('RcvbufErrors', 0))


def measure_window(pids, window):
    """CPU seconds used by pids during `window` s (the main loop runs meanwhile)."""
    import sipsd
    before = sum(cpu_seconds(p) for p in pids)
    t0 = time.monotonic()
    sipsd.run_loop(window)
    return (sum(cpu_seconds(p) for p in pids) - before) / (time.monotonic() - t0)


# ---------------------------------------------------------------- media: the two kinds

DEVICES = {'AudioInputDevice': 'audiotestsrc is-live=true',
           'AudioOutputDevice': 'fakesink sync=true'}
DAEMON_RTP = ((20000, 29998), (30000, 39998))   # caller, callee
BARESIP_RTP = (40000, 49999)                    # peers.Baresip's rtp_ports
# baresip's audio source: aufile (a WAV at the codec's rate) or, at 48 kHz, ausine
BARESIP_TONES = {'PCMU': ('g711', (8000, 1)), 'opus': ('opus', 'ausine')}


def media_daemons(sipsd, peers, work, codec, n, window):
    from gi.repository import GLib
    started = []
    result = {'n': n}
    try:
        sides = []
        for lo, hi in DAEMON_RTP:
            bus = sipsd.PrivateBus()
            started.append(bus)
            settings = dict(DEVICES, AudioCodecs=[codec], TerminatedSessionLinger=1,
                            RtpPortMin=lo, RtpPortMax=hi,
                            RTPConfiguration={'LocalRtpAddress': '127.0.0.1'})
            d = sipsd.Daemon(bus, settings=settings)
            started.append(d)
            d.start()
            sides.append(d)
        a, b = sides
        pids = [a.proc.pid, b.proc.pid]
        answer = peers.AutoAnswer(b, 'accept')
        rec = sipsd.SignalRecorder(a.conn, sipsd.ROOT)
        uri = 'sip:bench@127.0.0.1:%d' % b.ports['udp']
        paths = []

        def count(member):
            return len({r[0] for r in rec.records if r[2] == member and r[0] in paths})
        # one call first, so that what every process loads once is in the baseline
        paths.append(peers.new_call(a, uri))
        sipsd.wait_until(lambda: count('DidStart') + count('DidFail'), 15)
        a.call(paths[0], sipsd.SESSION_IFACE, 'Terminate')
        sipsd.wait_until(lambda: count('DidEnd'), 15)
        sipsd.run_loop(2)
        rec.clear()
        answer.incoming.clear()
        paths.clear()
        rss0 = sum(rss_kib(p) for p in pids)
        drops0 = udp_rcvbuf_errors()
        paths.extend(peers.new_call(a, uri) for _ in range(n))
        sipsd.wait_until(lambda: count('DidStart') + count('DidFail') >= n, 30 + n * 0.3)
        result['up'] = count('DidStart')
        sipsd.run_loop(2)
        result['cpu'] = measure_window(pids, window)
        result['rss'] = sum(rss_kib(p) for p in pids) - rss0
        received = 0
        for d, mine in ((a, paths), (b, answer.incoming)):
            for path in mine:
                try:
                    received += bool(d.get(path, sipsd.SESSION_IFACE, 'AudioWasReceived'))
                except GLib.Error:
                    pass
        result['received'] = received
        result['closed_early'] = count('DidEnd')
        for path in paths:
            try:
                a.call(path, sipsd.SESSION_IFACE, 'Terminate')
            except GLib.Error:
                pass
        sipsd.wait_until(lambda: count('DidEnd') >= n, 30)
        result['drops'] = udp_rcvbuf_errors() - drops0
        answer.close()
        rec.close()
        for d in sides:
            log_if_exited(d)
    finally:
        for x in reversed(started):
            x.cleanup() if hasattr(x, 'cleanup') else x.stop()
    return result


def media_baresip(sipsd, peers, work, codec, n, window):
    module, tone = BARESIP_TONES[codec]
    result = {'n': n}
    started = []
    try:
        # aufile ends the call at the end of its file, which it loads whole into memory
        # for every call leg: long enough for set-up and window, and subtracted from RSS
        seconds = window + 30 + n * 0.2
        file_kib = 0 if tone == 'ausine' else int(seconds * tone[0]) * tone[1] * 2 // 1024
        x = peers.Baresip(work, user='x%s%d' % (codec, n), codecs=(module,), tone=tone,
                          tone_seconds=seconds, answermode='manual')
        started.append(x)
        y = peers.Baresip(work, user='y%s%d' % (codec, n), codecs=(module,), tone=tone,
                          tone_seconds=seconds)
        started.append(y)
        x.start()
        y.start()
        pids = [x.proc.pid, y.proc.pid]

        def count(kind):
            return len([e for e in x.events if e.get('type') == kind])
        # no warm-up call: baresip loads its modules at start, and a freed aufile buffer
        # would stay in its heap and blur the subtraction below
        sipsd.run_loop(1)
        rss0 = sum(rss_kib(p) for p in pids)
        drops0 = udp_rcvbuf_errors()
        for _ in range(n):
            x.command('dial', y.uri)
        sipsd.wait_until(lambda: count('CALL_ESTABLISHED') + count('CALL_CLOSED') >= n,
                         30 + n * 0.3)
        result['up'] = count('CALL_ESTABLISHED')
        sipsd.run_loop(2)
        result['cpu'] = measure_window(pids, window)
        result['rss'] = sum(rss_kib(p) for p in pids) - rss0
        result['rss_files'] = 2 * result['up'] * file_kib
        result['closed_early'] = count('CALL_CLOSED')
        for _ in range(result['up']):
            x.send_command('hangup')
        sipsd.wait_until(lambda: count('CALL_CLOSED') >= result['up'], 30)
        result['drops'] = udp_rcvbuf_errors() - drops0
    finally:
        for b in started:
            b.stop()
    return result


# ---------------------------------------------------------------- media: the run

def bench_media(args):
    os.environ['SIPSIMPLED'] = daemon_binary()
    import sipsd
    import peers

    rows = []
    with work_dir('sipsd-bench-media-', args.keep) as work:
        for codec in args.codecs:
            for n in args.counts:
                for kind, bench, ports in (('sipsimpled', media_daemons,
                                            range(DAEMON_RTP[0][0], DAEMON_RTP[1][1] + 2)),
                                           ('baresip', media_baresip,
                                            range(BARESIP_RTP[0], BARESIP_RTP[1] + 1))):
                    log('%s %s: %d calls, %d s window' % (kind, codec, n, args.window))
                    capture, why = open_capture(ports)
                    try:
                        r = bench(sipsd, peers, work, codec, n, args.window)
                    finally:
                        if capture:
                            capture.close()
                    r['loss'] = capture.loss() if capture else why
                    log('  %s' % describe(r))
                    rows.append((codec, n, kind, r))
    report_media(args, rows)


def per_call(r):
    """(CPU % of a core per call, RSS KiB per call, loss % or text, streams) of a run."""
    n = max(1, r.get('up') or 0)
    cpu = r['cpu'] * 100 / n if 'cpu' in r else None
    rss = (r['rss'] - r.get('rss_files', 0)) / n if 'rss' in r else None
    loss, streams = r.get('loss'), None
    if isinstance(loss, tuple):
        lost, expected, streams = loss
        loss = '%.3f' % (100.0 * lost / expected) if expected else 'no reports'
    elif loss is not None:
        loss = 'not measured'
    return cpu, rss, loss, streams


def report_media(args, rows):
    print_title(args, 'Audio media, sipsimpled vs baresip 1.0: N concurrent calls between two'
                ' peers of the same kind')
    head = '%-5s %4s  %-10s %5s %10s %11s %8s %8s %7s'
    print(head % ('codec', 'N', 'peer', 'up', 'CPU%/call', 'RSS KiB/c', 'loss %',
                  'streams', 'drops'))
    by_key = {}
    for codec, n, kind, r in rows:
        cpu, rss, loss, streams = per_call(r)
        by_key[(codec, n, kind)] = (cpu, rss)
        saturated = r.get('cpu', 0) >= 0.9 * os.cpu_count()
        print(head % (codec, n, kind, r.get('up', '-'), fmt(cpu) + ('*' if saturated else ''),
                      fmt(rss), loss,
                      '-' if streams is None else '%d/%d' % (streams, 2 * n),
                      r.get('drops', '-')))
    print()
    print('%-5s %4s  %16s %16s' % ('codec', 'N', 'CPU ratio s/b', 'RSS ratio s/b'))
    for codec in args.codecs:
        for n in args.counts:
            d = by_key.get((codec, n, 'sipsimpled'), (None, None))
            b = by_key.get((codec, n, 'baresip'), (None, None))
            print('%-5s %4d  %16s %16s' % (codec, n, ratio(d[0], b[0]), ratio(d[1], b[1])))
    print('CPU%%/call: utime+stime of both peers over the %d s window / N, in %% of one core;'
          ' * = the two peers used 90%% or more of all CPUs (saturated: a floor, not a cost).'
          % args.window)
    print('RSS KiB/c: VmRSS of both peers with the calls up minus before them, / N;'
          ' sipsimpled after one warm-up call (GStreamer loads its plugins on first use),'
          ' baresip (modules loaded at start) less the WAV that aufile loads into memory'
          ' for each call leg (PCMU; opus uses ausine).')
    print('loss: from the receivers\' RTCP report blocks (first to last report of each'
          ' stream); streams: streams with at least two reports / 2N.')
    print('drops: kernel UDP receive-buffer errors during the run (whole machine).')
    print('sipsimpled: %s -> %s. baresip: a tone source, no audio player (decoded audio is '
          'dropped).' % (DEVICES['AudioInputDevice'], DEVICES['AudioOutputDevice']))
    for codec, n, kind, r in rows:
        if r.get('up') != n or r.get('closed_early') or \
                (r.get('received') is not None and r['received'] != 2 * n):
            print('NOTE %s %s N=%d: %s' % (codec, kind, n, describe(r)))
    pcmu = [r for codec, n, kind, r in rows if (codec, n, kind) == ('PCMU', 100, 'sipsimpled')]
    if pcmu:
        lost = pcmu[0].get('loss')
        print('aim, 100 concurrent PCMU calls on 2 cores with no loss: %s' % (
            'met' if pcmu[0].get('up') == 100 and isinstance(lost, tuple) and lost[0] == 0
            and lost[2] == 200 else 'NOT met (%s)' % describe(pcmu[0])))
    print_load()
