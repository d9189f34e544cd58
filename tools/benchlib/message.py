"""message measures pager-mode instant messages (RFC 3428 SIP MESSAGE outside sessions,
Account1.SendMessage) between two daemons, each on its own private bus, on 127.0.0.1:
  * MESSAGEs per second: N messages (2000; quick 200) of 100 bytes of UTF-8 text from
    daemon A's account 0 to daemon B, with at most W SendMessage calls outstanding (32),
    from the first call to the last DidDeliverMessage; over UDP, then TCP;
  * the daemons' CPU time (/proc/PID/stat) per message;
  * beside them, baresip in the same run (its contact module's /message command over
    ctrl_tcp, the same window on the command responses): baresip -> daemon B, from the
    first command to the last GotMessage; and daemon A -> baresip, to the last
    DidDeliverMessage (baresip answers the MESSAGEs).
"""

import os
import time

from .common import CLK_TCK, cpu_seconds, daemon_binary, describe, fmt, log, log_if_exited, \
    print_load, print_title, require, work_dir

GLib = Gio = None   # gi.repository's, imported when the bench runs
AI = 'org.sipsimple.Account1'
ACCOUNT0 = '/org/sipsimple/Account/0'
TEXT = ('Grüße, message %06d: ' + 'x' * 100)[:100 - 7]   # 100 bytes once numbered


def add_arguments(p):
    pass   # --messages and --inflight are shared with msrp (see its add_arguments)


def run(args):
    args.messages = args.messages or (200 if args.quick else 2000)
    require(('dbus-daemon', 'baresip'), 'dbus, baresip-core')
    bench_message(args)


class PagerPeer:
    """A daemon on its own private bus; signals of its account 0 with arrival times."""

    def __init__(self, sipsd):
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus)
        try:
            self.daemon.start()
        except Exception:
            self.bus.stop()
            raise
        self.conn = self.bus.connection()
        self.pid = self.daemon.proc.pid
        self.got = {'DidDeliverMessage': [], 'DidNotDeliverMessage': [], 'GotMessage': []}
        self.sub = self.conn.signal_subscribe(None, AI, None, ACCOUNT0, None,
                                              Gio.DBusSignalFlags.NONE, self._on_signal)

    def _on_signal(self, conn, sender, path, iface, member, params):
        if member in self.got:
            self.got[member].append(time.monotonic())

    def clear(self):
        for v in self.got.values():
            v.clear()

    def count(self, member):
        return len(self.got[member])

    def uri(self, transport=None):
        port = self.daemon.ports['tcp' if transport == 'tcp' else 'udp']
        return 'sip:bench@127.0.0.1:%d%s' % (port, ';transport=tcp' if transport == 'tcp' else '')

    def stop(self):
        self.conn.signal_unsubscribe(self.sub)
        try:
            self.daemon.stop(check=False)
        finally:
            self.daemon.cleanup()
            self.bus.stop()


def pump(n, inflight, issue):
    """Calls issue(i, done) for i < n with at most `inflight` not yet done; returns the
    state dict ({'issued', 'done', 'errors'})."""
    state = {'issued': 0, 'done': 0, 'errors': []}

    def done(error=None):
        state['done'] += 1
        if error:
            state['errors'].append(error)
        more()

    def more():
        while state['issued'] < n and state['issued'] - state['done'] < inflight:
            state['issued'] += 1
            issue(state['issued'] - 1, done)
    more()
    return state


def daemon_to(sipsd, a, target_uri, n, inflight, receiver=None, others=()):
    """n SendMessage calls from a to target_uri: to the last report (and, with a daemon
    receiver, its GotMessage count)."""
    import sipsd as _s

    def issue(i, done):
        def on_reply(conn, res, _):
            try:
                conn.call_finish(res)
                done()
            except GLib.Error as e:
                done(e.message)
        a.conn.call(_s.BUS_NAME, ACCOUNT0, AI, 'SendMessage',
                    GLib.Variant('(sss)', (target_uri, TEXT % i, '')), GLib.VariantType('(s)'),
                    Gio.DBusCallFlags.NONE, 60000, None, on_reply, None)
    for p in (a, receiver):
        if p:
            p.clear()
    pids = [a.pid] + ([receiver.pid] if receiver else []) + list(others)
    cpu0 = sum(cpu_seconds(p) for p in pids)
    t0 = time.monotonic()
    state = pump(n, inflight, issue)

    def reported():
        return a.count('DidDeliverMessage') + a.count('DidNotDeliverMessage')
    sipsd.wait_until(lambda: reported() + len(state['errors']) >= n, 60 + n * 0.05)
    times = a.got['DidDeliverMessage'] + a.got['DidNotDeliverMessage']
    seconds = (max(times) if times else time.monotonic()) - t0
    cpu = sum(cpu_seconds(p) for p in pids) - cpu0
    if receiver:
        sipsd.wait_until(lambda: receiver.count('GotMessage') >= a.count('DidDeliverMessage'), 10)
    r = {'n': n, 'delivered': a.count('DidDeliverMessage'),
         'failed': a.count('DidNotDeliverMessage'), 'errors': len(state['errors']),
         'seconds': seconds, 'cpu': cpu}
    if receiver:
        r['received'] = receiver.count('GotMessage')
    if state['errors']:
        r['first_error'] = state['errors'][0]
    return r


def baresip_to(sipsd, bs, b, n, inflight):
    """n /message commands to baresip (its current contact is b): to the last GotMessage."""
    def issue(i, done):
        token = bs.send_command('message', TEXT % i)
        pending[token] = done
    pending = {}
    answered = set()

    def poll():
        # command responses come on baresip's reader thread: hand them to the pump here
        with bs._lock:
            tokens = [m.get('token') for m in bs.responses]
        for t in tokens:
            if t in pending and t not in answered:
                answered.add(t)
                pending[t]()
        return b.count('GotMessage') >= n
    b.clear()
    cpu0 = cpu_seconds(bs.proc.pid) + cpu_seconds(b.pid)
    t0 = time.monotonic()
    pump(n, inflight, issue)
    sipsd.wait_until(poll, 60 + n * 0.05, interval=0.001)
    times = b.got['GotMessage']
    return {'n': n, 'received': b.count('GotMessage'),
            'seconds': (max(times) if times else time.monotonic()) - t0,
            'cpu': cpu_seconds(bs.proc.pid) + cpu_seconds(b.pid) - cpu0}


def start_baresip(peers, work, target_uri):
    """baresip with the contact module, target_uri its current contact."""
    bs = peers.Baresip(work, user='bare', codecs=('g711',))
    write_config = bs.write_config

    def with_contact():
        write_config()
        with open(os.path.join(bs.confdir, 'config'), 'a') as f:
            f.write('module contact.so\n')
        with open(os.path.join(bs.confdir, 'contacts'), 'w') as f:
            f.write('"Bench" <%s>\n' % target_uri)
    bs.write_config = with_contact
    bs.start()
    bs.command('contact_next')
    return bs


def bench_message(args):
    global GLib, Gio
    from gi.repository import GLib, Gio
    os.environ['SIPSIMPLED'] = daemon_binary()
    import peers
    import sipsd
    results = {}
    a = b = bs = None
    with work_dir('sipsd-bench-message-', args.keep, 'work directory kept in %s') as work:
        try:
            a, b = PagerPeer(sipsd), PagerPeer(sipsd)
            daemon_to(sipsd, a, b.uri(), 20, args.inflight, b)          # warm-up
            for transport in ('UDP', 'TCP'):
                log('daemon -> daemon over %s: %d MESSAGEs' % (transport, args.messages))
                results[transport] = daemon_to(sipsd, a, b.uri(transport.lower()),
                                               args.messages, args.inflight, b)
                log('  %s' % describe(results[transport]))
            bs = start_baresip(peers, work, b.uri())
            log('baresip -> daemon over UDP: %d MESSAGEs' % args.messages)
            results['baresip->daemon'] = baresip_to(sipsd, bs, b, args.messages, args.inflight)
            log('  %s' % describe(results['baresip->daemon']))
            log('daemon -> baresip over UDP: %d MESSAGEs' % args.messages)
            results['daemon->baresip'] = daemon_to(sipsd, a, bs.uri, args.messages,
                                                   args.inflight, others=(bs.proc.pid,))
            log('  %s' % describe(results['daemon->baresip']))
            for p in (a, b):
                log_if_exited(p.daemon)
        finally:
            if bs:
                bs.stop()
            for p in (a, b):
                if p:
                    p.stop()
    report_message(args, results)


def report_message(args, results):
    print_title(args, 'Pager-mode MESSAGE (RFC 3428) between sipsimpled daemons and baresip')
    head = '%-36s %10s %10s %10s %10s %10s'
    print(head % ('', 'sent', 'delivered', 'received', 'msg/s', 'CPU ms/msg'))
    labels = (('UDP', 'daemon -> daemon, UDP'), ('TCP', 'daemon -> daemon, TCP'),
              ('baresip->daemon', 'baresip -> daemon, UDP'),
              ('daemon->baresip', 'daemon -> baresip, UDP'))
    for key, label in labels:
        r = results.get(key)
        if not r:
            print(head % (label, '-', '-', '-', '-', '-'))
            continue
        print(head % (label, r['n'], r.get('delivered', '-'), r.get('received', '-'),
                      fmt(r['n'] / r['seconds'] if r.get('seconds') else None),
                      fmt(1000 * r['cpu'] / r['n'])))
    print('msg/s: N messages of 100 bytes (text/plain, UTF-8) with at most %d outstanding'
          ' (SendMessage calls, or baresip ctrl_tcp commands), from the first to the last'
          ' DidDeliverMessage (daemon sender) or GotMessage (baresip sender); daemon ->'
          ' daemon after 20 warm-up messages. received: GotMessage on the daemon.'
          % args.inflight)
    print('CPU: utime+stime (/proc/PID/stat, %d ticks a second) of both processes of the'
          ' row (sender and receiver) over the measurement.' % CLK_TCK)
    print_load()
