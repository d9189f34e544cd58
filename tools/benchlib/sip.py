"""sip measures, for sipsimpled and for baresip 1.0 in the same roles, on loopback:
  * call set-up time (request to established, median and p95 over N sequential calls)
    as the caller of one sipp UAS: sipsimpled driven over D-Bus (Session1.New ->
    DidStart), baresip over ctrl_tcp (dial -> CALL_ESTABLISHED);
  * the highest calls per second sustained for S seconds with no failed call, sipp UAC
    calling each: sipsimpled accepting every NewIncoming over D-Bus, baresip with
    auto-answer; sipp hangs up after --hold ms. Rates are tried in order, stopping at
    the first with a failure.
"""

import os
import time

from .common import daemon_binary, fmt, log, print_load, print_title, ratio, require, \
    summary, work_dir


def add_arguments(p):
    p.add_argument('--calls', type=int, help='set-up calls per peer (200; quick 20)')
    p.add_argument('--duration', type=int, help='seconds per rate step (30; quick 5)')
    p.add_argument('--rates', help='comma-separated cps steps (10,20,50,100,200,400,800)')
    p.add_argument('--baresip-audio', action='store_true',
                   help='baresip sends a tone (RTP) in its calls; default: no audio source')
    p.add_argument('--hold', type=int, default=1000, help='call hold time in ms (1000)')


def run(args):
    args.calls = args.calls or (20 if args.quick else 200)
    args.duration = args.duration or (5 if args.quick else 30)
    args.rates = [int(r) for r in (args.rates or ('10,20,50' if args.quick else
                                                   '10,20,50,100,200,400,800')).split(',')]
    require(('sipp', 'baresip', 'dbus-daemon'), 'sip-tester, baresip-core, dbus')
    os.environ['SIPSIMPLED'] = daemon_binary()
    import sipsd
    import peers

    with work_dir('sipsd-bench-', args.keep) as work:
        results = measure(sipsd, peers, work, args)
    report(args, results)


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

def rate_step(sipsd, peers, workdir, target, user, rate, duration, hold_ms):
    """One sipp UAC run at `rate` cps for `duration` s; returns (ok, counts)."""
    calls = rate * duration
    uac = peers.Sipp(workdir, 'uac', remote=target, calls=calls, rate=rate, hold_ms=hold_ms,
                     service=user, trace_msg=False,
                     extra=['-recv_timeout', '10000'])
    try:
        uac.start()
        rc = uac.wait(duration + hold_ms / 1000.0 + 30)
    finally:
        uac.stop()
    c = uac.counts()
    ok = rc == 0 and c['successful'] == calls and c['failed'] == 0
    return ok, rc, c


def max_rate(sipsd, peers, workdir, target, user, rates, duration, hold_ms, settle):
    best, steps = 0, []
    for rate in rates:
        ok, rc, c = rate_step(sipsd, peers, workdir, target, user, rate, duration, hold_ms)
        steps.append((rate, ok, c))
        log('  %4d cps: %s (sipp exit %s, %d ok, %d failed)'
            % (rate, 'ok' if ok else 'FAILED', rc, c['successful'], c['failed']))
        settle()
        if not ok:
            break
        best = rate
    return best, steps


# ---------------------------------------------------------------- the run

def measure(sipsd, peers, work, args):
    """Call set-up times, then calls per second: the results for report()."""
    bus = daemon = uas = baresip = answer = None
    results = {}
    try:
        bus = sipsd.PrivateBus()
        settings = dict(peers.LOOPBACK_SETTINGS)
        # terminated sessions are not kept around, and the RTP range fits the load
        settings.update({'TerminatedSessionLinger': 1, 'RtpPortMin': 20000,
                         'RtpPortMax': 39998})
        daemon = sipsd.Daemon(bus, home=None, settings=settings)
        daemon.start()
        # by default baresip has no audio source, so neither side sends RTP (a signalling
        # bench); --baresip-audio gives it a PCMU-rate tone (sipp offers/answers PCMU)
        baresip = peers.Baresip(work, user='bench', max_calls=100000,
                                tone=(8000, 1) if args.baresip_audio else None,
                                tone_seconds=max(5, 3 * args.hold // 1000 + 2)).start()
        uas = peers.Sipp(work, 'uas', calls=2 * args.calls, trace_msg=False).start()

        log('call set-up: %d calls each against one sipp UAS' % args.calls)
        d_times, d_fail = setup_daemon(sipsd, peers, daemon, uas, args.calls, 10)
        log('  sipsimpled: %d ok, %d failed' % (len(d_times), len(d_fail)))
        b_times, b_fail = setup_baresip(sipsd, baresip, uas, args.calls, 10)
        log('  baresip:    %d ok, %d failed' % (len(b_times), len(b_fail)))
        uas.stop()
        results['setup'] = (summary(d_times), len(d_fail), summary(b_times), len(b_fail))

        log('calls per second for %d s, sipp UAC hanging up after %d ms' % (args.duration,
                                                                           args.hold))
        answer = peers.AutoAnswer(daemon, 'accept')

        def settle_daemon():
            sipsd.wait_until(lambda: not daemon.get(sipsd.SESSION_MANAGER,
                                                    sipsd.SESSION_MANAGER_IFACE, 'Sessions'),
                             15)
        log(' sipsimpled:')
        d_best, d_steps = max_rate(sipsd, peers, work, '127.0.0.1:%d' % daemon.ports['udp'],
                                   'service', args.rates, args.duration, args.hold,
                                   settle_daemon)
        if answer.errors:
            log('  D-Bus errors while accepting: %d, first: %s' % (len(answer.errors),
                                                                  answer.errors[0]))
        log(' baresip:')
        b_best, b_steps = max_rate(sipsd, peers, work, '127.0.0.1:%d' % baresip.port,
                                   'bench', args.rates, args.duration, args.hold,
                                   lambda: sipsd.run_loop(1))
        results['cps'] = (d_best, d_steps, b_best, b_steps)
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


def report(args, results):
    print_title(args, 'SIP signalling, sipsimpled vs baresip 1.0')
    print('%-44s %12s %12s %10s' % ('', 'sipsimpled', 'baresip', 'ratio s/b'))
    if 'setup' in results:
        d, dfail, b, bfail = results['setup']
        for key, label in (('median', 'call set-up median (ms, %d calls)' % args.calls),
                           ('p95', 'call set-up p95 (ms)')):
            dv = d and d[key]
            bv = b and b[key]
            print('%-44s %12s %12s %10s' % (label, fmt(dv), fmt(bv), ratio(dv, bv)))
        print('%-44s %12s %12s' % ('failed set-ups', dfail, bfail))
    if 'cps' in results:
        d_best, d_steps, b_best, b_steps = results['cps']
        top = args.rates[-1]

        def best(b):  # every step passed: the ceiling is the bench's, not the peer's
            return ('>=%d' % b) if b == top else str(b)
        print('%-44s %12s %12s %10s' % ('highest cps for %d s with 0 failed' % args.duration,
                                        best(d_best), best(b_best), ratio(d_best, b_best)))
        for name, steps in (('sipsimpled', d_steps), ('baresip', b_steps)):
            print('  %-10s %s' % (name, '  '.join('%d:%s' % (r, 'ok' if ok else
                                                             'FAIL(%d/%d)' % (c['failed'], r * args.duration))
                                                   for r, ok, c in steps)))
    print('set-up: request to established as the controlling client sees it (D-Bus New ->'
          ' DidStart; ctrl_tcp dial -> CALL_ESTABLISHED).')
    print('baresip audio: %s.' % ('a PCMU tone' if args.baresip_audio else
                                  'none (no source module), signalling only'))
    print('ratio = sipsimpled / baresip: lower is better for set-up, higher for cps.')
    print_load()
