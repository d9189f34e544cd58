"""presence measures how many NOTIFYs one daemon takes in: kamailio's presence server
(presence + presence_xml on db_text, tests/integration/kamailio.py) on 127.0.0.1, daemon
W with S subscriptions (500; quick 100) to one presentity, daemon P publishing that
presentity's PIDF document:
  * subscribe: S Account1.Subscribe calls (at most 32 outstanding), from the first call
    to the last first NOTIFY (GotNotify) of every subscription, as subscriptions per
    second;
  * NOTIFYs per second: K presence changes (10; quick 5) published by P one after the
    other (Publication1.Update, open/closed); every change makes kamailio send S NOTIFYs
    to W: from the first Update to the last GotNotify on W of the last change (S x K
    NOTIFYs), and per change the time until all S arrived;
  * CPU seconds of W, of kamailio (all its processes) and of W's dbus-daemon, per 1000
    NOTIFYs; W's memory (VmRSS) with the S subscriptions;
  * unsubscribe: W unsubscribes all, until every DidEnd.
baresip has no presence server role to compare with here: it is not run.
"""

import os
import time

from .common import cpu_seconds, daemon_binary, describe, fmt, log, log_if_exited, \
    print_load, print_title, require, rss_kib, work_dir

GLib = Gio = None   # gi.repository's, imported when the bench runs
AI = 'org.sipsimple.Account1'
SUBI = 'org.sipsimple.Subscription1'
PUBI = 'org.sipsimple.Publication1'


def add_arguments(p):
    p.add_argument('--subscriptions', type=int,
                   help='presence: subscriptions of the watcher daemon (500; quick 100)')
    p.add_argument('--changes', type=int, help='presence: presence changes published (10; quick 5)')


def run(args):
    global GLib, Gio
    require(('kamailio', 'dbus-daemon'), 'kamailio kamailio-presence-modules, dbus')
    os.environ.setdefault('SIPSIMPLED', daemon_binary())
    from gi.repository import GLib as _GLib, Gio as _Gio
    GLib, Gio = _GLib, _Gio
    args.subscriptions = args.subscriptions or (100 if args.quick else 500)
    args.changes = args.changes or (5 if args.quick else 10)
    with work_dir('sipsd-bench-presence-', args.keep) as work:
        bench_presence(args, work)


def pidf(entity, basic, n):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s"><tuple id="t">'
            '<status><basic>%s</basic></status><note>change %d</note></tuple></presence>'
            % (entity, basic, n))


class Peer:
    def __init__(self, sipsd, kam, user):
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings={'TerminatedSessionLinger': 1})
        try:
            self.daemon.start()
        except Exception:
            self.bus.stop()
            raise
        self.conn = self.bus.connection()
        self.pid = self.daemon.proc.pid
        self.uri = 'sip:%s@%s' % (user, kam.hostport)
        self.account = self.daemon.add_account('%s@%s' % (user, kam.hostport),
                                               {'Register': GLib.Variant('b', False)})

    def stop(self):
        try:
            self.daemon.stop(check=False)
        finally:
            self.daemon.cleanup()
            self.bus.stop()


def kamailio_cpu(kam):
    """CPU seconds of kamailio's processes (its process group)."""
    total = 0.0
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            if os.getpgid(int(pid)) == kam.proc.pid:
                total += cpu_seconds(int(pid))
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            pass
    return total


class Notifies:
    """W's GotNotify, DidSucceed and DidEnd signals: per subscription path, the times."""

    def __init__(self, conn):
        self.conn = conn
        self.notify = {}       # path -> [(time, basic-note marker)]
        self.ended = set()
        self.count = 0
        self.ids = [conn.signal_subscribe(None, SUBI, m, None, None, Gio.DBusSignalFlags.NONE,
                                          self._on_signal, None)
                    for m in ('GotNotify', 'DidEnd')]

    def _on_signal(self, conn, sender, path, iface, member, params, _):
        if member == 'DidEnd':
            self.ended.add(path)
            return
        body = params.get_child_value(2).get_string()
        i = body.find('change ')
        mark = body[i + 7:body.find('<', i)] if i >= 0 else ''
        self.notify.setdefault(path, []).append((time.monotonic(), mark))
        self.count += 1

    def close(self):
        for i in self.ids:
            self.conn.signal_unsubscribe(i)


def call_async(peer, path, iface, method, args, reply_type, on_done):
    import sipsd

    def on_reply(conn, res, _):
        try:
            on_done(conn.call_finish(res).unpack())
        except GLib.Error as e:
            on_done(e)
    peer.conn.call(sipsd.BUS_NAME, path, iface, method, args,
                   GLib.VariantType(reply_type) if reply_type else None,
                   Gio.DBusCallFlags.NONE, 60000, None, on_reply, None)


def bench_presence(args, work):
    import kamailio
    import sipsd
    s_count, changes = args.subscriptions, args.changes
    print_title(args, 'sipsimpled presence: %d subscriptions to kamailio, %d changes'
                % (s_count, changes))
    kam = kamailio.Kamailio(os.path.join(work, 'kamailio'), presence=True,
                            presence_max_expires=3600).start()
    w = p = None
    try:
        p = Peer(sipsd, kam, 'publisher')
        w = Peer(sipsd, kam, 'watcher')
        notes = Notifies(w.conn)
        pub = p.daemon.call(p.account, AI, 'Publish',
                            GLib.Variant('(sssu)', ('presence', 'application/pidf+xml',
                                                    pidf(p.uri, 'open', 0), 3600)), '(o)')[0]
        rec = sipsd.SignalRecorder(p.conn, pub)
        if not rec.wait_for(lambda r: r[2] == 'DidSucceed', 10):
            raise RuntimeError('PUBLISH failed: %s' % [r[2:] for r in rec.records])

        # ---- subscribe
        state = {'issued': 0, 'replied': 0, 'paths': [], 'errors': []}

        def on_done(result):
            state['replied'] += 1
            if isinstance(result, GLib.Error):
                state['errors'].append(result.message)
            else:
                state['paths'].append(result[0])
            pump()

        def pump():
            while state['issued'] < s_count and state['issued'] - state['replied'] < 32:
                state['issued'] += 1
                call_async(w, w.account, AI, 'Subscribe',
                           GLib.Variant('(ssasu)', (p.uri, 'presence', [], 3600)), '(o)', on_done)
        cpu_w0, cpu_k0 = cpu_seconds(w.pid), kamailio_cpu(kam)
        t0 = time.monotonic()
        pump()
        sipsd.wait_until(lambda: len(state['paths']) + len(state['errors']) >= s_count and
                         all(path in notes.notify for path in state['paths']), 60 + s_count * 0.2)
        t_sub = time.monotonic() - t0
        got_first = sum(1 for path in state['paths'] if path in notes.notify)
        sub_cpu_w = cpu_seconds(w.pid) - cpu_w0
        sub_cpu_k = kamailio_cpu(kam) - cpu_k0
        rss = rss_kib(w.pid)
        log('subscribed: %d of %d (%d errors) in %.2f s' % (got_first, s_count,
                                                          len(state['errors']), t_sub))

        # ---- changes
        paths = list(state['paths'])
        per_change = []
        n0 = notes.count
        cpu_w0, cpu_k0 = cpu_seconds(w.pid), kamailio_cpu(kam)
        cpu_bus0 = cpu_seconds(w.bus.proc.pid)
        t0 = time.monotonic()
        for c in range(1, changes + 1):
            tc = time.monotonic()
            p.daemon.call(pub, PUBI, 'Update',
                          GLib.Variant('(ss)', ('application/pidf+xml',
                                                pidf(p.uri, 'closed' if c % 2 else 'open', c))))
            mark = str(c)
            done = sipsd.wait_until(
                lambda: all(any(m == mark for _, m in notes.notify.get(path, ())) for path in paths),
                30 + len(paths) * 0.05)
            if not done:
                log('change %d: only %d of %d NOTIFYs arrived' % (
                    c, sum(1 for path in paths if any(m == mark for _, m in notes.notify.get(path, ()))),
                    len(paths)))
            last = max((t for path in paths for t, m in notes.notify.get(path, ()) if m == mark),
                       default=time.monotonic())
            per_change.append(last - tc)
        t_changes = (max((t for path in paths for t, m in notes.notify.get(path, ())
                          if m == str(changes)), default=time.monotonic())) - t0
        notified = notes.count - n0
        ch_cpu_w = cpu_seconds(w.pid) - cpu_w0
        ch_cpu_k = kamailio_cpu(kam) - cpu_k0
        ch_cpu_bus = cpu_seconds(w.bus.proc.pid) - cpu_bus0

        # ---- unsubscribe (at most 32 calls outstanding: the bus limits pending replies)
        unsub = {'issued': 0, 'replied': 0, 'errors': []}

        def on_unsubscribed(result):
            unsub['replied'] += 1
            if isinstance(result, GLib.Error):
                unsub['errors'].append(result.message)
            pump_unsubscribe()

        def pump_unsubscribe():
            while unsub['issued'] < len(paths) and unsub['issued'] - unsub['replied'] < 32:
                call_async(w, paths[unsub['issued']], SUBI, 'Unsubscribe', None, None,
                           on_unsubscribed)
                unsub['issued'] += 1
        t0 = time.monotonic()
        pump_unsubscribe()
        sipsd.wait_until(lambda: all(path in notes.ended for path in paths), 60)
        t_unsub = time.monotonic() - t0
        ended = sum(1 for path in paths if path in notes.ended)
        notes.close()
        rec.close()
        log_if_exited(w.daemon)

        print()
        print('subscribe      %d subscriptions (%d with their first NOTIFY, %d errors) in %s s:'
              ' %s/s; W CPU %s s, kamailio CPU %s s; W VmRSS %d KiB'
              % (s_count, got_first, len(state['errors']), fmt(t_sub), fmt(got_first / t_sub),
                 fmt(sub_cpu_w), fmt(sub_cpu_k), rss))
        print('NOTIFYs        %d in %s s: %s NOTIFYs/s; per change (all %d): median %s s, max %s s'
              % (notified, fmt(t_changes), fmt(notified / t_changes if t_changes else None),
                 len(paths), fmt(sorted(per_change)[len(per_change) // 2]), fmt(max(per_change))))
        print('CPU per 1000 NOTIFYs: W %s s, W dbus-daemon %s s, kamailio %s s'
              % (fmt(ch_cpu_w * 1000 / max(notified, 1)), fmt(ch_cpu_bus * 1000 / max(notified, 1)),
                 fmt(ch_cpu_k * 1000 / max(notified, 1))))
        print('unsubscribe    %d of %d ended in %s s' % (ended, len(paths), fmt(t_unsub)))
        if state['errors']:
            print('first Subscribe error: %s' % state['errors'][0])
        if unsub['errors']:
            print('first Unsubscribe error: %s' % unsub['errors'][0])
        print_load()
        log(describe({'subscribe_s': t_sub, 'changes_s': t_changes, 'notified': notified}))
    finally:
        for peer in (w, p):
            if peer is not None:
                peer.stop()
        kam.stop()
