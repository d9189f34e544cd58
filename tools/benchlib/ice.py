"""ice measures ICE calls through real NATs (tests/integration/netns.py: network
namespaces, masquerading routers, coturn as STUN and TURN server; root only), sipsimpled
and baresip 1.0 (its ice module; it ignores loopback, hence the namespaces) in the same
roles, in one run:
  * call set-up time, per mode: host (both peers in one private network: host
    candidates), stun (each behind its own NAT: srflx pairs) and turn (symmetric NATs,
    the caller has a TURN allocation: relay pairs); N sequential calls (5; quick 3) from
    the request (Session1.New, or baresip's dial over ctrl_tcp) to the first RTP
    received, at the callee and back at the caller, where a sipsimpled end tells
    (AudioWasReceived): sipsimpled -> sipsimpled both ways, baresip -> sipsimpled at the
    callee, sipsimpled -> baresip back at the caller;
  * CPU and RSS per ICE call with C concurrent calls (20; quick 5) in the stun mode,
    caller and callee together, over a window of S s (10; quick 5): sipsimpled ->
    sipsimpled and baresip -> baresip.
"""

import ctypes
import os
import socket
import threading
import time

from .common import daemon_binary, cpu_seconds, fmt, log, print_load, ratio, require, \
    rss_kib, summary, work_dir

CLONE_NEWNET = 0x40000000


def add_arguments(p):
    p.add_argument('--ice-calls', type=int, help='ice: set-up calls per mode and pair (5; quick 3)')
    p.add_argument('--concurrent', type=int, help='ice: concurrent calls for CPU/RSS (20; quick 5)')


def run(args):
    if os.geteuid() != 0:
        raise SystemExit('bench ice: needs root (network namespaces, iptables)')
    require(('baresip', 'dbus-daemon', 'turnserver', 'iptables', 'ip'),
            'baresip-core, dbus, coturn, iptables, iproute2')
    args.ice_calls = args.ice_calls or (3 if args.quick else 5)
    args.concurrent = args.concurrent or (5 if args.quick else 20)
    args.window = getattr(args, 'window', None) or (5 if args.quick else 10)
    os.environ['SIPSIMPLED'] = daemon_binary()
    with work_dir('sipsd-bench-ice-', args.keep) as work:
        results = measure(work, args)
    report(args, results)


# ---------------------------------------------------------------- helpers

def connect_in_netns(ns, host, port, timeout=5.0):
    """A TCP connection made from inside namespace ns (setns in a helper thread: the
    socket keeps its namespace)."""
    libc = ctypes.CDLL(None, use_errno=True)
    result = {}

    def worker():
        try:
            with open('/run/netns/%s' % ns) as f:
                if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), 'setns')
            result['sock'] = socket.create_connection((host, port), timeout)
        except OSError as e:
            result['error'] = e

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    if 'error' in result:
        raise result['error']
    return result['sock']


def baresip_class():
    import netns
    import sipsd
    import test_ice_nat

    class CtrlBaresip(test_ice_nat.NsBaresip):
        """NsBaresip with ctrl_tcp on its private address, reached from inside its
        namespace; its own SIP port (several in one namespace)."""

        def __init__(self, lab, host, workdir, turn, user, port, turn_relay=False):
            super().__init__(lab, host, workdir, turn)
            self.user, self.port, self.turn_relay = user, port, turn_relay
            self.confdir = os.path.join(workdir, 'baresip-%s' % user)
            os.makedirs(self.confdir, exist_ok=True)
            self.record_dir = os.path.join(self.confdir, 'recordings')
            self.record = False
            self.uri = 'sip:%s@%s:%d' % (user, self.address, port)
            self.ctrl_port = port + 2

        def write_config(self):
            super().write_config()
            path = os.path.join(self.confdir, 'config')
            lines = [line for line in open(path).read().splitlines()
                     if not line.startswith(('sip_listen', 'sndfile', 'module sndfile', 'snd_path'))]
            lines += ['sip_listen %s:%d' % (self.address, self.port), 'module_app ctrl_tcp.so',
                      'ctrl_tcp_listen %s:%d' % (self.address, self.ctrl_port)]
            with open(path, 'w') as f:
                f.write('\n'.join(lines) + '\n')
            server = ('turn:%s:%d' if self.turn_relay else 'stun:%s:%d') % (self.turn.address,
                                                                           self.turn.port)
            creds = (';stunuser=%s;stunpass=%s' % (self.turn.user, self.turn.password)
                     if self.turn_relay else '')
            with open(os.path.join(self.confdir, 'accounts'), 'w') as f:
                f.write('<sip:%s@%s:%d>;regint=0;answermode=auto;medianat=ice;'
                        'stunserver="%s"%s\n' % (self.user, self.address, self.port, server, creds))

        def start(self):
            super().start()
            if not sipsd.wait_until(lambda: 'baresip is ready' in self.log_text(), 10):
                raise RuntimeError('baresip did not start: ' + self.log_text())
            self.sock = connect_in_netns(self.lab.ns[self.host], self.address, self.ctrl_port)
            self.sock.settimeout(None)
            self._reader = threading.Thread(target=self._read_loop, daemon=True)
            self._reader.start()
            return self

    del netns
    return CtrlBaresip


# ---------------------------------------------------------------- measuring

def wait_received(sipsd, peer, path, timeout):
    return sipsd.wait_until(lambda: peer.props(path)['AudioWasReceived'], timeout, 0.005)


def one_daemon_call(sipsd, a, b, timeout=20):
    """New -> first RTP at B, and at A: (t_b, t_a) in s, or None."""
    from gi.repository import GLib
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    pa = a.daemon.create_session()
    t0 = time.monotonic()
    a.call(pa, 'New', GLib.Variant('(sosbb)', (b.uri(), '/', '', True, False)))
    r = b.rec.wait_for(lambda r: r[2] == 'NewIncoming' and r[0] not in seen, timeout)
    if not r:
        return None
    pb = r[0]
    b.call(pb, 'Accept', GLib.Variant('(bb)', (True, False)))
    times = {}
    end = time.monotonic() + timeout
    while len(times) < 2 and time.monotonic() < end:
        for name, peer, path in (('b', b, pb), ('a', a, pa)):
            if name not in times and peer.props(path)['AudioWasReceived']:
                times[name] = time.monotonic() - t0
        sipsd.run_loop(0.002)
    a.call(pa, 'Terminate')
    a.wait(pa, 'DidEnd', timeout=10)
    return (times.get('b'), times.get('a'))


def baresip_calls_daemon(sipsd, baresip, d, timeout=20):
    from gi.repository import GLib
    seen = {r[0] for r in d.rec.records if r[2] == 'NewIncoming'}
    t0 = time.monotonic()
    baresip.send_command('dial', d.uri())
    r = d.rec.wait_for(lambda r: r[2] == 'NewIncoming' and r[0] not in seen, timeout)
    if not r:
        return None
    d.call(r[0], 'Accept', GLib.Variant('(bb)', (True, False)))
    ok = wait_received(sipsd, d, r[0], timeout)
    t = time.monotonic() - t0
    d.call(r[0], 'Terminate')
    d.wait(r[0], 'DidEnd', timeout=10)
    return t if ok else None


def daemon_calls_baresip(sipsd, d, baresip, timeout=20):
    from gi.repository import GLib
    pa = d.daemon.create_session()
    t0 = time.monotonic()
    d.call(pa, 'New', GLib.Variant('(sosbb)', (baresip.uri, '/', '', True, False)))
    ok = wait_received(sipsd, d, pa, timeout)
    t = time.monotonic() - t0
    d.call(pa, 'Terminate')
    d.wait(pa, 'DidEnd', timeout=10)
    return t if ok else None


def measure(work, args):
    import netns
    import sipsd
    import test_ice_nat as t
    CtrlBaresip = baresip_class()
    results = {'setup': {}, 'load': {}}
    for mode in ('host', 'stun', 'turn'):
        lab = netns.NatLab(sip_ports=(t.SIP_PORT, 5070, 5074), symmetric=(mode == 'turn'))
        turn = None
        peers_ = []
        try:
            turn = netns.Coturn(lambda a_, **kw: lab.spawn('pub', a_, **kw), netns.PUB_IP,
                                t.TURN_PORT)
            caller_rtp = {'host': {'UseIce': True}, 'stun': t.stun(turn),
                          'turn': dict(t.turn_only(turn))}[mode]
            callee_rtp = {'host': {'UseIce': True}, 'stun': t.stun(turn), 'turn': t.stun(turn)}[mode]
            callee_host = 'h1' if mode == 'host' else 'h2'
            a = t.NsPeer(lab, 'h1', t.TONE_A, caller_rtp)
            peers_.append(a)
            b = t.NsPeer(lab, callee_host, t.TONE_B, callee_rtp) if mode != 'host' else None
            if b is None:
                b = HostPeer(t, sipsd, netns, lab, callee_rtp)
            peers_.append(b)
            for p in (a, b):
                p.set('AudioCodecs', sipsd.v('as', ['PCMU']))
            bw = CtrlBaresip(lab, 'h1', os.path.join(work, mode), turn, 'bcaller', 5070,
                             turn_relay=(mode == 'turn'))
            bc = CtrlBaresip(lab, callee_host, os.path.join(work, mode), turn, 'bcallee', 5074)
            for x in (bw, bc):
                x.start()
                peers_.append(x)
            dd, bd, db = [], [], []
            for _ in range(args.ice_calls):
                dd.append(one_daemon_call(sipsd, a, b))
                bd.append(baresip_calls_daemon(sipsd, bw, b))
                db.append(daemon_calls_baresip(sipsd, a, bc))
            results['setup'][mode] = {
                'd->d at callee': summary([x[0] for x in dd if x and x[0]]),
                'd->d back at caller': summary([x[1] for x in dd if x and x[1]]),
                'baresip->d at callee': summary([x for x in bd if x]),
                'd->baresip back at caller': summary([x for x in db if x]),
                'failed': (sum(1 for x in dd if not x or None in x), sum(1 for x in bd if not x),
                           sum(1 for x in db if not x)),
            }
            log('%s: %s' % (mode, results['setup'][mode]))
            if mode == 'stun':
                results['load'] = load(sipsd, a, b, bw, bc, args)
        finally:
            for p in peers_:
                try:
                    p.stop()
                except Exception as e:   # keep tearing down
                    log('stop: %s' % e)
            if turn is not None:
                turn.stop()
            lab.close()
    return results


def HostPeer(t, sipsd, netns, lab, rtp):
    """A second daemon in h1 (host mode: one private network), on other SIP ports."""
    class Second(t.NsPeer):
        def uri(self, user='anyone'):
            return 'sip:%s@%s:%d' % (user, self.address, 5080)
    old = (t.SIP_PORT, t.TLS_PORT)
    t.SIP_PORT, t.TLS_PORT = 5080, 5081
    try:
        return Second(lab, 'h1', t.TONE_B, rtp)
    finally:
        t.SIP_PORT, t.TLS_PORT = old


def load(sipsd, a, b, bw, bc, args):
    """C concurrent calls each way of calling; CPU and RSS per call of caller+callee."""
    from gi.repository import GLib
    out = {}
    pids = {'sipsimpled': (a.daemon.proc.pid, b.daemon.proc.pid),
            'baresip': (bw.proc.pid, bc.proc.pid)}
    for name in ('sipsimpled', 'baresip'):
        p1, p2 = pids[name]
        rss0 = rss_kib(p1) + rss_kib(p2)
        paths = []
        if name == 'sipsimpled':
            seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
            for _ in range(args.concurrent):
                pa = a.daemon.create_session()
                a.call(pa, 'New', GLib.Variant('(sosbb)', (b.uri(), '/', '', True, False)))
                paths.append(pa)
            got = lambda: [r[0] for r in b.rec.records if r[2] == 'NewIncoming' and r[0] not in seen]  # noqa: E731
            sipsd.wait_until(lambda: len(got()) >= args.concurrent, 30)
            for pb in got():
                b.call(pb, 'Accept', GLib.Variant('(bb)', (True, False)))
            up = sipsd.wait_until(lambda: all(b.props(pb)['AudioWasReceived'] for pb in got()), 60)
        else:
            before = len(bc.events)
            for _ in range(args.concurrent):
                bw.send_command('dial', bc.uri)
            up = sipsd.wait_until(lambda: sum(1 for e in bc.events[before:]
                                              if e.get('type') == 'CALL_ESTABLISHED') >= args.concurrent, 60)
            sipsd.run_loop(5)   # baresip's ICE concludes a few seconds after the answer
        c0 = cpu_seconds(p1) + cpu_seconds(p2)
        w0 = time.monotonic()
        sipsd.run_loop(args.window)
        cpu = (cpu_seconds(p1) + cpu_seconds(p2) - c0) / (time.monotonic() - w0)
        rss = rss_kib(p1) + rss_kib(p2) - rss0
        out[name] = {'cpu': 100.0 * cpu / args.concurrent, 'rss': rss / args.concurrent,
                     'up': bool(up)}
        log('load %s: %s' % (name, out[name]))
        if name == 'sipsimpled':
            for pa in paths:
                try:
                    a.call(pa, 'Terminate')
                except GLib.Error:
                    pass
            sipsd.run_loop(3)
        else:
            for _ in range(args.concurrent):
                bw.send_command('hangup')
            sipsd.run_loop(2)
    return out


# ---------------------------------------------------------------- report

def report(args, results):
    print()
    print('ICE calls through NATs (network namespaces, masquerading routers, coturn), %d CPUs, '
          '%s%s' % (os.cpu_count(), time.strftime('%Y-%m-%d %H:%M'), ' (--quick)' if args.quick else ''))
    print('%-34s %14s %14s %10s' % ('set-up to first RTP, median ms', 'sipsimpled', 'baresip',
                                    'ratio s/b'))
    for mode, r in results['setup'].items():
        for label, dk, bk in (('%s: caller role, at the callee' % mode, 'd->d at callee',
                               'baresip->d at callee'),
                              ('%s: callee role, back at caller' % mode, 'd->d back at caller',
                               'd->baresip back at caller')):
            dv = r[dk]['median'] if r[dk] else None
            bv = r[bk]['median'] if r[bk] else None
            print('%-34s %14s %14s %10s' % (label, fmt(dv), fmt(bv), ratio(dv, bv)))
        print('%-34s %14s' % ('%s: failed (d->d, b->d, d->b)' % mode, r['failed']))
    for name, r in results['load'].items():
        print('%-34s %14s' % ('%s: CPU %% of a core per call' % name, fmt(r['cpu'])))
        print('%-34s %14s' % ('%s: RSS KiB per call' % name, fmt(r['rss'])))
        if not r['up']:
            print('  (%s: not every call came up)' % name)
    print('%d concurrent calls in the stun mode, caller and callee processes together, '
          'window %d s.' % (args.concurrent, args.window))
    print_load()
