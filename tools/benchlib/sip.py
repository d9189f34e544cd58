"""sip measures, for sipsimpled and for baresip 1.0 in the same roles, on loopback, in one
run (both sides with media: the daemon's devices `audiotestsrc is-live=true` ->
`fakesink sync=true`, baresip sending a PCMU-rate tone with aufile; --baresip-audio none
for a baresip without audio modules):
  * idle RSS: VmRSS 2 s after start, no call yet (the daemon with UDP+TCP+TLS on
    127.0.0.1 and the bench's devices, which it checks at start in a child process, so
    that GStreamer is loaded only by the first call; and a daemon with no settings at all;
    baresip with the g711, aufile, account, menu and ctrl_tcp modules, listening on UDP, TCP
    and TLS, the SIP port + 1, as baresip always does);
  * call set-up time (request to established, p50 and p95 over N sequential calls) as the
    caller of one sipp UAS: sipsimpled driven over D-Bus (Session1.New -> DidStart),
    baresip over ctrl_tcp (dial -> CALL_ESTABLISHED);
  * the highest calls per second sustained for S seconds with no failed call, sipp's UAC
    (PCMU offer) calling each: sipsimpled accepting every NewIncoming over D-Bus, baresip
    with auto-answer; both send audio; sipp hangs up after --hold ms. The rates (--rates,
    100,200,300,400) are tried upward, stopping at the first with a failure (the 200 step
    always runs, for the next figure). For sipsimpled a step also fails when a session is
    still up KEEP_UP_S after sipp's last call: a daemon behind by seconds drops datagrams
    (a lost BYE leaves its session up until the RTP timeout), which sipp's count misses
    (its built-in UAC takes a retransmitted 200 to the INVITE as the answer to its BYE);
  * RSS after the 200 cps step, once every session has ended (the daemon's Sessions list
    empty; baresip 3 s after sipp's last BYE was answered).
"""

import os
import time

from .common import cpu_seconds, daemon_binary, fmt, log, print_load, print_rows, \
    print_title, ratio, require, rss_kib, status, summary, work_dir

LATE_S = 40   # after the 200 cps step: TerminatedSessionLinger 30 s, SIP's 32 s timers
KEEP_UP_S = 5  # after sipp's last call, every session of a daemon that kept up has ended

DEVICES = {'AudioInputDevice': 'audiotestsrc is-live=true',
           'AudioOutputDevice': 'fakesink sync=true'}


def add_arguments(p):
    p.add_argument('--calls', type=int, help='sip: set-up calls per peer (200; quick 20)')
    p.add_argument('--duration', type=int, help='sip: seconds per rate step (10; quick 5)')
    p.add_argument('--rates', help='sip: comma-separated cps steps (100,200,300,400)')
    p.add_argument('--baresip-audio', choices=('aufile', 'none'), default='aufile',
                   help='sip: baresip sends a PCMU tone from a WAV (aufile, default) or has '
                   'no audio module (none: it sends no RTP)')
    p.add_argument('--hold', type=int, default=1000, help='sip: call hold time in ms (1000)')


def run(args):
    args.calls = args.calls or (20 if args.quick else 200)
    args.duration = args.duration or (5 if args.quick else 10)
    args.rates = [int(r) for r in (args.rates or '100,200,300,400').split(',')]
    require(('sipp', 'baresip', 'dbus-daemon'), 'sip-tester, baresip-core, dbus')
    os.environ['SIPSIMPLED'] = daemon_binary()
    import sipsd
    import peers

    load = os.getloadavg()
    with work_dir('sipsd-bench-', args.keep) as work:
        results = measure(sipsd, peers, work, args)
    report(args, results, load)


# ---------------------------------------------------------------- set-up time

def setup_daemon(sipsd, peers, daemon, uas, n, timeout):
    """n sequential calls New -> DidStart, each hung up before the next."""
    from gi.repository import GLib
    rec = sipsd.SignalRecorder(daemon.conn, sipsd.ROOT)
    times, failures = [], []
    try:
        for i in range(n):
            path = daemon.create_session()
            rec.clear()
            if len(failures) >= 5 and not times:
                break  # not working at all: no point in waiting for the rest
            t0 = time.monotonic()
            try:
                daemon.call(path, sipsd.SESSION_IFACE, 'New',
                            GLib.Variant('(sosbb)', (uas.uri(), '/', '', True, False)))
            except GLib.Error as e:
                failures.append((i, e.message))
                continue
            got = peers.wait_any_session_signal(rec, path, ('DidStart', 'DidFail', 'DidEnd'),
                                                timeout)
            if got is None or got[0] != 'DidStart':
                failures.append((i, got))
                if got is None:
                    try:
                        daemon.call(path, sipsd.SESSION_IFACE, 'Terminate')
                    except GLib.Error:
                        pass
                continue
            times.append(time.monotonic() - t0)
            daemon.call(path, sipsd.SESSION_IFACE, 'Terminate')
            if peers.wait_session_signal(rec, path, 'DidEnd', timeout) is None:
                failures.append((i, 'no DidEnd after Terminate'))
    finally:
        rec.close()
    return times, failures


def setup_baresip(sipsd, baresip, uas, n, timeout):
    times, failures = [], []
    for i in range(n):
        if len(failures) >= 5 and not times:
            break
        baresip.clear_events()
        t0 = time.monotonic()
        baresip.send_command('dial', uas.uri())
        ev = baresip.wait_event(lambda e: e.get('type') in ('CALL_ESTABLISHED', 'CALL_CLOSED'),
                                timeout)
        if ev is None or ev['type'] != 'CALL_ESTABLISHED':
            failures.append((i, ev and ev.get('param')))
            if ev is None:
                baresip.command('hangup')
            continue
        times.append(ev['_t'] - t0)
        baresip.send_command('hangup')
        if baresip.wait_event(lambda e: e.get('type') == 'CALL_CLOSED', timeout) is None:
            failures.append((i, 'no CALL_CLOSED after hangup'))
    return times, failures


# ---------------------------------------------------------------- calls per second

def rate_step(sipsd, peers, workdir, target, user, rate, duration, hold_ms, pid=None):
    """One sipp UAC run at `rate` cps for `duration` s; returns (ok, rc, counts); counts
    has 'cpu': CPU seconds of `pid` and 'client': of this process (the D-Bus client)."""
    calls = rate * duration
    cpu0 = cpu_seconds(pid) if pid else 0
    own0 = sum(os.times()[:2])
    uac = peers.Sipp(workdir, 'uac', remote=target, calls=calls, rate=rate, hold_ms=hold_ms,
                     service=user, trace_msg=False,
                     extra=['-recv_timeout', '10000'])
    try:
        uac.start()
        rc = uac.wait(duration + hold_ms / 1000.0 + 30)
    finally:
        uac.stop()
    c = uac.counts()
    c['cpu'] = cpu_seconds(pid) - cpu0 if pid else None
    c['client'] = sum(os.times()[:2]) - own0
    ok = rc == 0 and c['successful'] == calls and c['failed'] == 0
    return ok, rc, c


def max_rate(sipsd, peers, workdir, target, user, args, settle, pid):
    """Steps upward until one fails (the 200 step runs anyway); returns (best, steps,
    RSS KiB of pid after the 200 step settled)."""
    best, steps, rss200, failed = 0, [], None, False
    late = None
    for rate in args.rates:
        if failed and rate != 200:
            continue
        ok, rc, c = rate_step(sipsd, peers, workdir, target, user, rate, args.duration,
                              args.hold, pid)
        left = settle()  # sessions still up KEEP_UP_S after sipp's end (None: not known)
        c['left'] = left
        if left:
            ok = False
        steps.append((rate, ok, c))
        log('  %4d cps: %s (sipp exit %s, %d ok, %d failed%s; CPU %.1f s, D-Bus client %.1f s)'
            % (rate, 'ok' if ok else 'FAILED', rc, c['successful'], c['failed'],
               '' if left is None else '; %d sessions up %d s after the last call' % (left, KEEP_UP_S),
               c['cpu'], c['client']))
        if rate == 200:
            rss200 = rss_kib(pid)
            log('  RSS after the 200 cps step: %d KiB' % rss200)
            # ended calls are still held: sipsimpled's terminated sessions stay on the bus
            # for TerminatedSessionLinger (30 s), and both SIP stacks keep the finished
            # transactions for 64*T1 = 32 s (RFC 3261/6026)
            sipsd.run_loop(LATE_S)
            late = rss_kib(pid)
            log('  RSS %d s later: %d KiB' % (LATE_S, late))
        if not ok:
            failed = True
        elif not failed:
            best = rate
        if failed and rss200 is not None:
            break
    return best, steps, (rss200, late)


# ---------------------------------------------------------------- the run

def measure(sipsd, peers, work, args):
    """Idle RSS, call set-up times, then calls per second: the results for report()."""
    bus = daemon = uas = baresip = answer = None
    results = {}
    try:
        bus = sipsd.PrivateBus()
        # idle as shipped: no settings at all (no device configured, so nothing makes the
        # daemon load GStreamer before its first call)
        plain = sipsd.Daemon(bus, home=None, settings={})
        plain.start()
        sipsd.run_loop(2)
        results['idle_default'] = {k: status(plain.proc.pid, k)
                                   for k in ('VmRSS', 'RssAnon', 'RssFile')}
        plain.stop()
        settings = dict(peers.LOOPBACK_SETTINGS, **DEVICES)
        # terminated sessions are not kept around, and the RTP range fits the load
        settings.update({'TerminatedSessionLinger': 1, 'RtpPortMin': 20000,
                         'RtpPortMax': 39998})
        daemon = sipsd.Daemon(bus, home=None, settings=settings)
        daemon.start()
        tone = (8000, 1) if args.baresip_audio == 'aufile' else None
        baresip = peers.Baresip(work, user='bench', codecs=('g711',), max_calls=100000,
                                tone=tone,
                                tone_seconds=max(5, 3 * args.hold // 1000 + 2)).start()
        sipsd.run_loop(2)
        pid, bpid = daemon.proc.pid, baresip.proc.pid
        results['idle'] = ({k: status(pid, k) for k in ('VmRSS', 'RssAnon', 'RssFile')},
                           {k: status(bpid, k) for k in ('VmRSS', 'RssAnon', 'RssFile')})
        log('idle: sipsimpled %s, baresip %s' % results['idle'])

        uas = peers.Sipp(work, 'uas', calls=3 * args.calls, trace_msg=False).start()
        log('call set-up: %d calls each against one sipp UAS' % args.calls)
        d_times, d_fail = setup_daemon(sipsd, peers, daemon, uas, args.calls, 10)
        log('  sipsimpled: %d ok, %d failed' % (len(d_times), len(d_fail)))
        b_times, b_fail = setup_baresip(sipsd, baresip, uas, args.calls, 10)
        log('  baresip:    %d ok, %d failed' % (len(b_times), len(b_fail)))
        results['setup'] = (summary(d_times), len(d_fail), summary(b_times), len(b_fail))
        # the platform default devices ("": autoaudiosrc/autoaudiosink, which fall back to
        # silence / a discarding sink on a machine without sound) cost more per call
        bus2 = sipsd.PrivateBus()
        try:
            default = sipsd.Daemon(bus2, home=None, settings=dict(
                peers.LOOPBACK_SETTINGS, TerminatedSessionLinger=1))
            default.start()
            try:
                t, f = setup_daemon(sipsd, peers, default, uas, args.calls, 10)
                log('  sipsimpled with the default devices: %d ok, %d failed' % (len(t), len(f)))
                results['setup_default'] = (summary(t), len(f))
            finally:
                default.cleanup()
        finally:
            bus2.stop()
        uas.stop()

        log('calls per second for %d s per step, sipp UAC hanging up after %d ms'
            % (args.duration, args.hold))
        answer = peers.AutoAnswer(daemon, 'accept')

        def sessions():
            return len(daemon.get(sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE, 'Sessions'))

        def settle_daemon():
            # TerminatedSessionLinger is 1 s: a daemon that kept up has none left by then
            sipsd.wait_until(lambda: sessions() == 0, KEEP_UP_S, interval=0.2)
            left = sessions()
            # the next step starts clean (a session whose BYE was lost ends by RTP timeout)
            sipsd.wait_until(lambda: sessions() == 0, 60, interval=0.5)
            sipsd.run_loop(2)
            return left
        log(' sipsimpled:')
        d = max_rate(sipsd, peers, work, '127.0.0.1:%d' % daemon.ports['udp'], 'service', args,
                     settle_daemon, pid)
        if answer.errors:
            log('  D-Bus errors while accepting: %d, first: %s' % (len(answer.errors),
                                                                  answer.errors[0]))
        log(' baresip:')
        b = max_rate(sipsd, peers, work, '127.0.0.1:%d' % baresip.port, 'bench', args,
                     lambda: sipsd.run_loop(3) or None, bpid)
        results['cps'] = (d, b)
        if daemon.proc.poll() is not None:
            log('sipsimpled exited with %s:\n%s' % (daemon.proc.returncode,
                                                    daemon.stderr_text()[-3000:]))
    finally:
        if answer:
            answer.close()
        for p in (uas, baresip):
            if p:
                p.stop()
        if daemon:
            daemon.cleanup()
        if bus:
            bus.stop()
    return results


def ratio_x(a, b):
    r = ratio(a, b)
    return r if r == '-' else r + 'x'


def report(args, results, load):
    print_title(args, 'SIP calls, sipsimpled vs baresip 1.0 in the same roles, same run')
    rows = []
    if 'idle' in results:
        d, b = results['idle']
        rows.append(('idle RSS (MB)', '%.1f' % (d['VmRSS'] / 1024), '%.1f' % (b['VmRSS'] / 1024),
                     ratio_x(d['VmRSS'], b['VmRSS']), '<= 2x (<= 16 MB)'))
        if 'idle_default' in results:
            dd = results['idle_default']
            rows.append(('  idle RSS, sipsimpled with no settings (MB)', '%.1f' % (dd['VmRSS'] / 1024),
                         '%.1f' % (b['VmRSS'] / 1024), ratio_x(dd['VmRSS'], b['VmRSS']), ''))
    if 'setup' in results:
        d, dfail, b, bfail = results['setup']
        for key, label, aim in (('median', 'call set-up p50 (ms, caller: D-Bus vs ctrl_tcp)',
                                 '<= 1x'), ('p95', 'call set-up p95 (ms)', '')):
            dv = d and d[key]
            bv = b and b[key]
            rows.append((label, fmt(dv), fmt(bv), ratio_x(dv, bv), aim))
            if key == 'median' and 'setup_default' in results:
                dd = results['setup_default'][0]
                dv = dd and dd['median']
                rows.append(('  call set-up p50, sipsimpled with the default devices (ms)',
                             fmt(dv), fmt(bv), ratio_x(dv, bv), ''))
    if 'cps' in results:
        (d_best, d_steps, (d_rss, d_late)), (b_best, b_steps, (b_rss, b_late)) = results['cps']
        top = args.rates[-1]

        def best(v):  # every step passed: the ceiling is the bench's, not the peer's
            return ('>=%d' % v) if v == top else str(v)
        rows.append(('max sustained calls/s with media, 0 failures', best(d_best),
                     best(b_best), ratio_x(d_best, b_best), '400 cps'))
        first = args.rates[0]

        def cpu_per_call(steps):
            c = steps[0][2] if steps and steps[0][0] == first else None
            return c and 1000.0 * c['cpu'] / (first * args.duration)
        dc, bc = cpu_per_call(d_steps), cpu_per_call(b_steps)
        rows.append(('  CPU per call in the %d cps step (ms: set-up, media, teardown)' % first,
                     fmt(dc), fmt(bc), ratio_x(dc, bc), ''))
        rows.append(('RSS after a 200 cps run, sessions ended (MB)',
                     fmt(d_rss and d_rss / 1024.0), fmt(b_rss and b_rss / 1024.0),
                     ratio_x(d_rss, b_rss), 'back near idle'))
        rows.append(('  the same %d s later (linger and SIP transaction timers over) (MB)' % LATE_S,
                     fmt(d_late and d_late / 1024.0), fmt(b_late and b_late / 1024.0),
                     ratio_x(d_late, b_late), ''))
    print_rows(rows)
    print()
    if 'idle' in results:
        d, b = results['idle']
        print('idle RSS detail (KiB): sipsimpled %s; baresip %s' % (
            ', '.join('%s %d' % kv for kv in d.items()),
            ', '.join('%s %d' % kv for kv in b.items())))
    if 'setup' in results:
        d, dfail, b, bfail = results['setup']
        print('set-up: %d sequential calls each to one sipp UAS, request to established as the'
              ' controlling client sees it (D-Bus New -> DidStart; ctrl_tcp dial ->'
              ' CALL_ESTABLISHED); failed: sipsimpled %d, baresip %d; with the default devices'
              ' ("": autoaudiosrc/autoaudiosink, falling back to silence / a discarding sink'
              ' without a sound server) a second daemon, failed %s.'
              % (args.calls, dfail, bfail, results.get('setup_default', (0, '-'))[1]))
    if 'cps' in results:
        (_, d_steps, _), (_, b_steps, _) = results['cps']
        print('calls/s: sipp UAC (PCMU), steps %s cps, %d s each, hold %d ms, stop at the first'
              ' step with a failed call (sipsimpled: or a session still up %d s after the last'
              ' call):' % (','.join(map(str, args.rates)), args.duration, args.hold, KEEP_UP_S))
        for name, steps in (('sipsimpled', d_steps), ('baresip', b_steps)):
            print('  %-10s %s' % (name, '  '.join(
                '%d:%s' % (r, 'ok' if ok else 'FAIL(%d failed, %d ok of %d%s)'
                           % (c['failed'], c['successful'], r * args.duration,
                              ', %d sessions still up %d s after' % (c['left'], KEEP_UP_S)
                              if c.get('left') else ''))
                for r, ok, c in steps)))
            print('  %-10s CPU ms per call (step CPU / calls): %s' % ('', '  '.join(
                '%d:%.2f' % (r, 1000.0 * c['cpu'] / (r * args.duration)) for r, ok, c in steps)))
        clients = [c['client'] for r, ok, c in d_steps]
        print('  the D-Bus client (this process) used at most %.1f CPU s in a step (of %d s):'
              ' not the limit unless near that.' % (max(clients), args.duration))
    print('sipsimpled: %s -> %s, accepting over D-Bus (one asynchronous client); SIP over UDP,'
          ' TCP and TLS.' % (DEVICES['AudioInputDevice'], DEVICES['AudioOutputDevice']))
    print('baresip: modules g711, %saccount, menu, ctrl_tcp; auto-answer; SIP over UDP, TCP'
          ' and TLS (port + 1), so both have OpenSSL initialised at idle.' % (
        'aufile (a 8 kHz WAV as audio source, no player), ' if args.baresip_audio == 'aufile'
        else 'no audio source or player (sends no RTP), '))
    print('ratio = sipsimpled / baresip: lower is better except for calls/s.')
    print_load(load)
