"""media measures N concurrent audio calls between two peers of the same kind on loopback,
in one run: sipsimpled (two daemons, one accepting over D-Bus; devices `audiotestsrc
is-live=true` -> `fakesink sync=true`) and baresip 1.0 (two instances, one with
auto-answer), for PCMU at each of --counts (20,100) and for opus at --opus-counts (20).
baresip's cost per call depends on its audio modules, so each baresip figure is measured
with a tone source (aufile: a WAV at 8 kHz for PCMU, which it loads whole into memory for
every call leg; ausine for opus: aufile does not resample) and again with no audio module
at all (it then sends no RTP). Neither has an audio player: decoded audio is dropped.
  * RSS per call: VmRSS of both processes with the calls up minus before them, / N
    (sipsimpled after one warm-up call: GStreamer loads its plugins on first use);
    for aufile once less the WAVs (what baresip itself costs) and once as measured;
  * CPU per call: utime+stime of both processes (/proc/PID/stat) over a window of S s
    (--window, 10; quick 5) once every call is up, / N, in % of one core;
  * threads per call per end: /proc/PID/status Threads with the calls up minus before,
    / N, for the caller and the callee (the PCMU runs);
  * RTP pacing (the smallest PCMU run): the kernel receive time (SO_TIMESTAMPNS) of every
    RTP packet each side sends, captured on lo during the window; per stream the gaps
    between consecutive packets: median, p95 and the share of gaps < 5 ms (back-to-back);
    ptime is 20 ms, so an evenly paced sender shows median ~20, p95 ~20, share 0;
  * packet loss from the receivers' own RTCP report blocks (cumulative lost and extended
    highest sequence, first to last report of each stream) and the kernel's UDP
    receive-buffer drops (/proc/net/snmp RcvbufErrors, machine-wide) during the run.
Captures need root or CAP_NET_RAW (otherwise "not measured").
"""

import os
import time

from . import capture as cap
from .common import daemon_binary, describe, cpu_seconds, fmt, log, log_if_exited, \
    print_load, print_rows, print_title, ratio, require, rss_kib, threads, work_dir


def add_arguments(p):
    p.add_argument('--counts', help='media: concurrent PCMU calls per step (20,100; quick 5)')
    p.add_argument('--opus-counts', help='media: concurrent opus calls per step (20; quick 5;'
                   ' 0: none)')
    p.add_argument('--window', type=int, help='media: seconds measured (10; quick 5)')


def counts(text):
    return [int(c) for c in text.split(',') if int(c) > 0]


def run(args):
    args.counts = counts(args.counts or ('5' if args.quick else '20,100'))
    args.opus_counts = counts(args.opus_counts or ('5' if args.quick else '20'))
    args.window = args.window or (5 if args.quick else 10)
    require(('baresip', 'dbus-daemon'), 'baresip-core, dbus')
    bench_media(args)


def udp_rcvbuf_errors():
    with open('/proc/net/snmp') as f:
        rows = [line.split() for line in f if line.startswith('Udp:')]
    return int(dict(zip(rows[0], rows[1])).get('RcvbufErrors', 0))


def measure_window(pids, window, hooks):
    """CPU seconds per second used by pids during `window` s (the main loop runs
    meanwhile); each of `hooks` (captures) is started with pids before and stopped after."""
    import sipsd
    for h in hooks:
        h.start(pids)
    before = sum(cpu_seconds(p) for p in pids)
    t0 = time.monotonic()
    sipsd.run_loop(window)
    for h in hooks:
        h.stop()
    measure_window.socket_drops = sum(cap.udp_sockets(pids).values())
    return (sum(cpu_seconds(p) for p in pids) - before) / (time.monotonic() - t0)


# ---------------------------------------------------------------- the two kinds

DEVICES = {'AudioInputDevice': 'audiotestsrc is-live=true',
           'AudioOutputDevice': 'fakesink sync=true'}
# RTP ports below the kernel's ephemeral range (32768-60999), where the other tests and
# peers on this machine pick theirs: the captures see only this bench's packets
DAEMON_RTP = ((10000, 19998), (20000, 29998))   # caller, callee
BARESIP_RTP = (30000, 32766)
# baresip's codec module and audio source: aufile (a WAV at the codec's rate), ausine
# (48 kHz) or none
BARESIP_MODULES = {'PCMU': 'g711', 'opus': 'opus'}
BARESIP_TONES = {('PCMU', 'tone'): (8000, 1), ('opus', 'tone'): 'ausine',
                 ('PCMU', 'none'): None, ('opus', 'none'): None}


def baresip_peer(peers, *args, **kwargs):
    """peers.Baresip with its RTP ports in BARESIP_RTP."""
    class BenchBaresip(peers.Baresip):
        def write_config(self):
            super().write_config()
            path = os.path.join(self.confdir, 'config')
            with open(path) as f:
                text = f.read()
            with open(path, 'w') as f:
                f.write(text.replace('rtp_ports 40000-49999', 'rtp_ports %d-%d' % BARESIP_RTP))
    return BenchBaresip(*args, **kwargs)


def media_daemons(sipsd, peers, work, codec, n, window, hooks=()):
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
        # with audio through both ends: the receive path (depayloader, decoder) is made
        # at the first packet, and its plugins are loaded once per process too
        sipsd.wait_until(lambda: answer.incoming and all(
            d.get(p, sipsd.SESSION_IFACE, 'AudioWasReceived')
            for d, p in ((a, paths[0]), (b, answer.incoming[0]))), 15)
        a.call(paths[0], sipsd.SESSION_IFACE, 'Terminate')
        sipsd.wait_until(lambda: count('DidEnd'), 15)
        sipsd.run_loop(2)
        rec.clear()
        answer.incoming.clear()
        paths.clear()
        rss0 = sum(rss_kib(p) for p in pids)
        threads0 = [threads(p) for p in pids]
        drops0 = udp_rcvbuf_errors()
        paths.extend(peers.new_call(a, uri) for _ in range(n))
        sipsd.wait_until(lambda: count('DidStart') + count('DidFail') >= n, 30 + n * 0.3)
        result['up'] = count('DidStart')
        sipsd.run_loop(2)
        result['threads'] = [threads(p) - t for p, t in zip(pids, threads0)]
        result['threads0'] = threads0
        result['cpu'] = measure_window(pids, window, hooks)
        result['sock_drops'] = measure_window.socket_drops
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


def media_baresip(sipsd, peers, work, codec, n, window, audio, hooks=()):
    tone = BARESIP_TONES[(codec, audio)]
    result = {'n': n}
    started = []
    try:
        # aufile ends the call at the end of its file, which it loads whole into memory
        # for every call leg: long enough for set-up and window, and subtracted from RSS
        seconds = window + 30 + n * 0.2
        file_kib = int(seconds * tone[0]) * tone[1] * 2 // 1024 if isinstance(tone, tuple) else 0
        name = '%s%s%d' % (codec, audio, n)
        x = baresip_peer(peers, work, user='x' + name, codecs=(BARESIP_MODULES[codec],), tone=tone,
                          tone_seconds=seconds, answermode='manual')
        started.append(x)
        y = baresip_peer(peers, work, user='y' + name, codecs=(BARESIP_MODULES[codec],), tone=tone,
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
        threads0 = [threads(p) for p in pids]
        drops0 = udp_rcvbuf_errors()
        for _ in range(n):
            x.command('dial', y.uri)
        sipsd.wait_until(lambda: count('CALL_ESTABLISHED') + count('CALL_CLOSED') >= n,
                         30 + n * 0.3)
        result['up'] = count('CALL_ESTABLISHED')
        sipsd.run_loop(2)
        result['threads'] = [threads(p) - t for p, t in zip(pids, threads0)]
        result['threads0'] = threads0
        result['cpu'] = measure_window(pids, window, hooks)
        result['sock_drops'] = measure_window.socket_drops
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


# ---------------------------------------------------------------- the run

def bench_media(args):
    os.environ['SIPSIMPLED'] = daemon_binary()
    import sipsd
    import peers

    load = os.getloadavg()
    runs = [('PCMU', n) for n in args.counts] + [('opus', n) for n in args.opus_counts]
    pacing_n = min(args.counts) if args.counts else None
    pacing, why_not = cap.open_capture(cap.RtpCapture)
    results = {}
    try:
        with work_dir('sipsd-bench-media-', args.keep) as work:
            for codec, n in runs:
                for kind, audio in (('sipsimpled', None), ('baresip', 'tone'),
                                    ('baresip', 'none')):
                    ports = (range(DAEMON_RTP[0][0], DAEMON_RTP[1][1] + 2) if audio is None
                             else range(BARESIP_RTP[0], BARESIP_RTP[1] + 1))
                    log('%s%s %s: %d calls, %d s window' % (
                        kind, '' if audio is None else ' (audio %s)' % audio, codec, n,
                        args.window))
                    rtcp, why = cap.open_capture(cap.RtcpCapture, ports)
                    hooks = [rtcp] if rtcp else []
                    if pacing and (codec, n) == ('PCMU', pacing_n) and audio != 'none':
                        hooks.append(Named(pacing, kind))
                    try:
                        if audio is None:
                            r = media_daemons(sipsd, peers, work, codec, n, args.window, hooks)
                        else:
                            r = media_baresip(sipsd, peers, work, codec, n, args.window, audio,
                                              hooks)
                    finally:
                        if rtcp:
                            rtcp.close()
                    r['loss'] = rtcp.loss() if rtcp else why
                    log('  %s' % describe(r))
                    results[(codec, n, kind, audio)] = r
        if pacing:
            results['pacing'] = {k: pacing.pacing(k) for k in ('sipsimpled', 'baresip')}
            results['pacing_drops'] = pacing.dropped
        else:
            results['pacing'] = why_not
    finally:
        pass   # the RTP capture's socket is open only during its windows
    report_media(args, results, pacing_n, load)


class Named:
    """A capture hook that records under a name (the kind of peer)."""

    def __init__(self, capture, name):
        self.capture, self.name = capture, name

    def start(self, pids):
        self.capture.start(pids, self.name)

    def stop(self):
        self.capture.stop()


def per_call(r, files=True):
    """(CPU % of a core per call, RSS KiB per call, loss % or text, streams) of a run;
    files: less baresip's aufile WAVs."""
    if r is None:
        return None, None, None, None
    n = max(1, r.get('up') or 0)
    cpu = r['cpu'] * 100 / n if 'cpu' in r else None
    rss = (r['rss'] - (r.get('rss_files', 0) if files else 0)) / n if 'rss' in r else None
    loss, streams = r.get('loss'), None
    if isinstance(loss, tuple):
        lost, expected, streams = loss
        loss = '%.3f' % (100.0 * lost / expected) if expected else 'no reports'
    elif loss is not None:
        loss = 'not measured'
    return cpu, rss, loss, streams


def ratio_x(a, b):
    r = ratio(a, b)
    return r if r == '-' else r + 'x'


def report_media(args, results, pacing_n, load):
    print_title(args, 'Audio media, sipsimpled vs baresip 1.0: N concurrent calls between two'
                ' peers of the same kind, same run')
    rows = []

    def get(codec, n, kind, audio=None):
        return results.get((codec, n, kind, audio))

    def rss_rows(codec, n, label, aim):
        d = per_call(get(codec, n, 'sipsimpled'))[1]
        tone = 'aufile' if codec == 'PCMU' else 'ausine'
        variants = [(tone + (', WAV subtracted' if codec == 'PCMU' else ''),
                     per_call(get(codec, n, 'baresip', 'tone'))[1])]
        if codec == 'PCMU':
            variants.append(('aufile, WAV included',
                             per_call(get(codec, n, 'baresip', 'tone'), files=False)[1]))
        variants.append(('no audio module', per_call(get(codec, n, 'baresip', 'none'))[1]))
        for i, (what, b) in enumerate(variants):
            rows.append(((label if i == 0 else '  same,') + ' [baresip %s]' % what,
                         fmt(d), fmt(b), ratio_x(d, b), aim if i == 0 else ''))

    for n in sorted(args.counts, reverse=True):
        rss_rows('PCMU', n, 'RSS per PCMU call, %d calls, both ends (KiB)' % n, '<= 2x'
                 if n == max(args.counts) else '<= 1x')
    for n in args.opus_counts:
        rss_rows('opus', n, 'RSS per opus call, %d calls, both ends (KiB)' % n, '<= 2x')
    for n in sorted(args.counts):
        d = per_call(get('PCMU', n, 'sipsimpled'))[0]
        b = per_call(get('PCMU', n, 'baresip', 'tone'))[0]
        rows.append(('  CPU per PCMU call, %d calls, both ends (%% of a core) [aufile]' % n,
                     fmt(d), fmt(b), ratio_x(d, b), ''))
    for n in args.opus_counts:
        d = per_call(get('opus', n, 'sipsimpled'))[0]
        b = per_call(get('opus', n, 'baresip', 'tone'))[0]
        rows.append(('CPU per opus call, %d calls, both ends (%% of a core) [ausine]' % n,
                     fmt(d), fmt(b), ratio_x(d, b), '<= 1x'))
    for n in args.counts:
        if n != pacing_n:
            continue
        d, b = get('PCMU', n, 'sipsimpled'), get('PCMU', n, 'baresip', 'tone')

        def per_end(r):
            if not r or not r.get('up'):
                return None, '-'
            t = [x / r['up'] for x in r['threads']]
            return sum(t) / 2, '%.1f/%.1f' % tuple(t)
        dv, ds = per_end(d)
        bv, bs = per_end(b)
        rows.append(('threads per audio call per end, caller/callee (%d PCMU)' % n,
                     ds, bs, ratio_x(dv, bv), '<= 1'))
    pacing = results.get('pacing')
    if isinstance(pacing, dict):
        d, b = pacing.get('sipsimpled'), pacing.get('baresip')
        for key, label, scale, unit in (('median', 'RTP pacing: median gap (ms, ptime 20)', 1, ''),
                                        ('p95', 'RTP pacing: p95 gap (ms)', 1, ''),
                                        ('burst', 'RTP pacing: gaps < 5 ms (%)', 100, '')):
            dv = d and d[key] * scale
            bv = b and b[key] * scale
            rows.append((label, fmt(dv), fmt(bv), ratio_x(dv, bv) if key != 'burst' else '',
                         {'median': '~20', 'p95': '~20', 'burst': '0'}[key]))
    else:
        rows.append(('RTP pacing', 'not measured', '', '', pacing or ''))
    print_rows(rows)
    print()

    head = '%-5s %4s  %-22s %4s %10s %10s %8s %8s %6s %8s %9s'
    print(head % ('codec', 'N', 'peer', 'up', 'CPU%/call', 'RSS KiB/c', 'loss %',
                  'streams', 'drops', 'machine', 'threads'))
    for key, r in results.items():
        if not isinstance(key, tuple):
            continue
        codec, n, kind, audio = key
        cpu, rss, loss, streams = per_call(r)
        saturated = r.get('cpu', 0) >= 0.9 * os.cpu_count()
        peer = kind + ('' if audio is None else ' ' + {
            'tone': 'aufile' if codec == 'PCMU' else 'ausine', 'none': 'no audio'}[audio])
        print(head % (codec, n, peer, r.get('up', '-'), fmt(cpu) + ('*' if saturated else ''),
                      fmt(rss), loss, '-' if streams is None else '%d/%d' % (streams, 2 * n),
                      r.get('sock_drops', '-'), r.get('drops', '-'),
                      '%d+%d' % tuple(r['threads']) if 'threads' in r else '-'))
    print('CPU%%/call: utime+stime of both peers over the %d s window / N, in %% of one core;'
          ' * = the two peers used 90%% or more of all CPUs (saturated: a floor, not a cost).'
          % args.window)
    print('RSS KiB/c: VmRSS of both peers with the calls up minus before them, / N;'
          ' sipsimpled after one warm-up call; baresip (modules loaded at start) less the'
          ' WAV aufile loads for each call leg (in the table above also as measured).')
    print('threads: added threads with the calls up, caller+callee (before: 2 processes\''
          ' idle threads).')
    print('loss: from the receivers\' RTCP report blocks; streams: streams with at least two'
          ' reports / 2N. drops: datagrams the kernel dropped on the peers\' own UDP sockets'
          ' (/proc/net/udp, at the end of the window); machine: UDP receive-buffer errors of'
          ' the whole machine during the run (other tests included).')
    if isinstance(pacing, dict):
        for k, p in pacing.items():
            if p:
                print('pacing %s: %d streams, %d packets in the %d s window (PCMU, %d calls)'
                      % (k, p['streams'], p['packets'], args.window, pacing_n))
        print('pacing capture, packets seen / dropped by the kernel during the window: %s'
              % ', '.join('%s %d/%d' % ((k,) + tuple(v))
                          for k, v in results.get('pacing_drops', {}).items()))
    print('sipsimpled: %s -> %s (the live source delivers 1024-sample buffers: 128 ms at'
          ' 8 kHz). baresip: modules g711 or opus, account, menu, ctrl_tcp, and aufile (a'
          ' WAV at 8 kHz, PCMU) / ausine (opus) as the audio source or no audio module;'
          ' no audio player in either.' % (DEVICES['AudioInputDevice'],
                                           DEVICES['AudioOutputDevice']))
    print('ratio = sipsimpled / baresip.')
    for key, r in results.items():
        if not isinstance(key, tuple):
            continue
        codec, n, kind, audio = key
        if r.get('up') != n or r.get('closed_early') or \
                (r.get('received') is not None and r['received'] != 2 * n):
            print('NOTE %s %s %s N=%d: %s' % (codec, kind, audio or '', n, describe(r)))
    print_load(load)
