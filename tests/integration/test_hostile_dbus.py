"""Hostile D-Bus callers (issue 8, point 7), generated from the contract XML (XML_DIR).

Every method of every interface with a live object (SessionManager, Settings, the three
configuration objects, Account 0 and an added account, a session in NULL and one
ESTABLISHED with sipp) is called with well-typed hostile values (empty, 1 MiB, CR LF
injection, unknown object paths, extreme numbers, odd UTF-8) one argument at a time, and
with wrong signatures; every writable property is written the same way. Asserted:
- every answer is success, org.sipsimple.Error.* or org.freedesktop.DBus.Error.InvalidArgs
  (read-only/unknown properties: PropertyReadOnly/UnknownProperty too), within 2 s;
- nothing injected reaches the wire: every URI points at a UDP/TCP trap on loopback (or
  at the sipp peer), and no received SIP message holds the injected header lines in its
  headers (a pager-mode MESSAGE's body is the text it was given, any lines);
- a refused write leaves every interface of the object (GetAll) and the configuration
  file as they were; an accepted one is undone;
- at the end the daemon still places a call to sipp that gets established.
Account1.Subscribe/Publish are called like every method (the subscriptions and
publications they make go to the trap); Publication1, Subscription1 and
MSRPFileTransfer1 objects themselves are not called here (test_presence.py). HOSTILE_DUMP=file writes every problem, accepted value and
error answer there.
"""

import os
import re
import select
import socket
import threading
import time
import xml.etree.ElementTree as ET

import peers
import sipsd
from sipsd import Gio, GLib, v   # gi with its versions required

XML_DIR = os.environ.get('XML_DIR', os.path.join(os.path.dirname(__file__), '..', '..',
                                                 'dbus-interfaces'))
SI = sipsd.SESSION_IFACE
DAEMON_SETTINGS = dict(peers.LOOPBACK_SETTINGS,
                       MSRPConfiguration={'LocalIp': '127.0.0.1', 'LocalUseTls': False},
                       AudioInputDevice='audiotestsrc wave=sine freq=440 is-live=true',
                       AudioOutputDevice='fakesink', AudioAlertDevice='fakesink')
CI = 'org.sipsimple.MSRPChat1'
MAX_CALL_S = 2.0
MIB = 1 << 20
INJECTED = ('X-Hostile-Inject', 'Via: x')   # header lines that must never be sent
ALLOWED_DBUS_ERRORS = ('org.freedesktop.DBus.Error.InvalidArgs',)
PROPERTY_ERRORS = ALLOWED_DBUS_ERRORS + ('org.freedesktop.DBus.Error.PropertyReadOnly',
                                         'org.freedesktop.DBus.Error.UnknownProperty')
# Settings ports are being reworked elsewhere: only values that must be refused.
PORT_PROPS = {'SipUdpPort', 'SipTcpPort', 'SipTlsPort'}
# Rebinding writes: only values that must be refused (no rebind during the test).
REBIND_PROPS = PORT_PROPS | {'SipListenAddress', 'TlsCaFile', 'TlsCertificateFile',
                             'TlsVerifyServer'}
# Methods that change an ESTABLISHED session for good: called last, with their own args.
FINAL_METHODS = ['Hold', 'Unhold', 'AddChat', 'RemoveChat', 'AddAudio', 'RemoveAudio',
                 'AcceptProposal', 'RejectProposal', 'Reject', 'Terminate']


def load_contract():
    ifaces = {}
    for name in sorted(os.listdir(XML_DIR)):
        if not name.endswith('.xml'):
            continue
        root = ET.parse(os.path.join(XML_DIR, name)).getroot()
        for i in root.findall('interface'):
            ifaces[i.get('name')] = {
                'methods': {m.get('name'): [(a.get('name'), a.get('type'))
                                            for a in m.findall('arg')
                                            if a.get('direction', 'in') == 'in']
                            for m in i.findall('method')},
                'properties': {p.get('name'): (p.get('type'), p.get('access'))
                               for p in i.findall('property')},
            }
    return ifaces


# ------------------------------------------------------------------ the wire trap

class Trap:
    """A UDP and a TCP socket on one loopback port that keep every byte received."""

    def __init__(self):
        self.port = sipsd.free_port('udp')
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(('127.0.0.1', self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(('127.0.0.1', self.port))
        self.tcp.listen(64)
        self.data = []
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def uri(self, user='bob'):
        return 'sip:%s@127.0.0.1:%d' % (user, self.port)

    def _run(self):
        while not self.stopping:
            socks = [self.udp, self.tcp] + self.conns
            r, _, _ = select.select(socks, [], [], 0.1)
            for s in r:
                if s is self.tcp:
                    c, _ = s.accept()
                    self.conns.append(c)
                    continue
                try:
                    chunk = s.recv(1 << 17)
                except OSError:
                    chunk = b''
                if chunk:
                    self.data.append(chunk)
                elif s is not self.udp:
                    self.conns.remove(s)
                    s.close()

    def text(self):
        return b''.join(self.data).decode('utf-8', 'replace')

    def stop(self):
        self.stopping = True
        self.thread.join()
        for s in [self.udp, self.tcp] + self.conns:
            s.close()


# where a SIP message starts: a request line or a status line (a UDP trap's messages
# follow each other without a line end after a body)
_SIP_START = re.compile(r'[A-Z]+ sips?:\S+ SIP/2\.0\r?\n|SIP/2\.0 \d{3} ')


def injected_lines(text):
    """Injected lines in the header sections of the SIP messages in text (a lone CR
    counts as a line end). Bodies are left out: a pager-mode MESSAGE carries the text it
    was given, whatever lines it has, delimited by Content-Length."""
    found = []
    starts = [m.start() for m in _SIP_START.finditer(text)]
    for begin, end in zip(starts, starts[1:] + [len(text)]):
        message = text[begin:end]
        head = re.split(r'\r\n\r\n|\n\n', message, maxsplit=1)[0]
        found += [ln for ln in head.replace('\r', '\n').split('\n')
                  if any(ln.strip().startswith(m) for m in INJECTED)]
    return found


# ------------------------------------------------------------------ hostile values

class Values:
    def __init__(self, trap, tmp):
        self.trap = trap
        self.tmp = tmp
        t = trap.uri()
        self.strings = [
            '', 'A' * MIB, 'x' * 3072,
            'sip:a@127.0.0.1:%d\r\nVia: x' % trap.port,
            t + '\r\nX-Hostile-Inject: 1',
            t + ';x=1\r\nX-Hostile-Inject: 1',
            '<%s>\r\nX-Hostile-Inject: 1' % t,
            t + '\nX-Hostile-Inject: 1',
            t + '>\r\nX-Hostile-Inject: 1\r\n\r\n',
            'sip:' + 'u' * 3000 + '@127.0.0.1:%d' % trap.port,
            '\u202e\ufeff\U0001f600\u00ff\x01\x1f\x7f\u0085 \t',
            'text/plain\r\nX-Hostile-Inject: 1',
            '../../../../etc/passwd', '%s%s%n%x',
        ]
        self.paths = ['/', '/org/sipsimple/Nothing', '/org/sipsimple/Account/999',
                      '/org/sipsimple/Session/999999', '/' + 'a' * 4000]

    def of(self, sig):
        if sig == 's':
            return list(self.strings)
        if sig == 'o':
            return list(self.paths)
        if sig == 'b':
            return [True, False]
        if sig == 'u':
            return [0, 2 ** 32 - 1]
        if sig == 'i':
            return [-2 ** 31, 2 ** 31 - 1, 0]
        if sig == 'x':
            return [-2 ** 63, 2 ** 63 - 1, 0, -1]
        if sig == 't':
            return [0, 2 ** 64 - 1]
        if sig == 'as':
            return [[], [''], ['A' * MIB], ['PCMU', 'PCMU'], self.strings[3:6], ['opus'] * 500]
        if sig == 'ao':
            return [[], self.paths]
        if sig == 'a{sv}':
            return [{}, {'NoSuchKey': v('s', 'x')}, {'Password': v('u', 5)},
                    {'DisplayName': v('s', 'x\r\nX-Hostile-Inject: 1')},
                    {'OutboundProxy': v('s', self.strings[4])},
                    {'RegisterInterval': v('u', 2 ** 32 - 1)},
                    {'Enabled': v('s', 'yes')}]
        raise AssertionError('no hostile values for type %s' % sig)

    def base(self, iface, method, name, sig):
        """A well-formed value for the arguments that are not the hostile one."""
        special = {
            'callee_uri': self.trap.uri(), 'to_uri': self.trap.uri(), 'sipuri': self.trap.uri(),
            'account': '/', 'route': '', 'content': 'hello', 'content_type': 'text/plain',
            'event': 'presence', 'body': 'x', 'sip_address': 'hostile@127.0.0.1',
            'path': '', 'file_name': 'hostile.wav', 'digit': '1', 'state': 'idle',
            'ringtone': self.tmp.ringtone, 'file_path': self.tmp.ringtone,
            'directory': str(self.tmp.dir),
        }
        if name in special and sig in ('s', 'o'):
            if sig == 'o' and name == 'account' and method == 'RemoveAccount':
                return '/org/sipsimple/Nothing'
            return special[name]
        return {'s': 'x', 'o': '/org/sipsimple/Nothing', 'b': True, 'u': 60, 'i': 1,
                'x': 0, 't': 0, 'as': [], 'a{sv}': {}}[sig]


def wrong_signatures(args):
    """Argument tuples (signature, values) that do not match the method's."""
    sig = ''.join(t for _, t in args)
    out = [('(s)', ('x',)) if sig != 's' else ('(u)', (7,))]
    if sig:
        out.append(('()', None))
        first = args[0][1]
        alt_type, alt = ('u', 7) if first != 'u' else ('s', 'x')
        rest = [(t, {'s': 'x', 'o': '/', 'b': True, 'u': 1, 'i': 1, 'x': 0, 't': 0,
                     'as': [], 'a{sv}': {}}[t]) for _, t in args[1:]]
        out.append(('(' + alt_type + ''.join(t for t, _ in rest) + ')',
                    (alt,) + tuple(val for _, val in rest)))
        out.append(('(' + sig + 's)', None))   # one too many, filled below
    return out


# ------------------------------------------------------------------ the checker

class Checker:
    def __init__(self, daemon):
        self.daemon = daemon
        self.problems = []
        self.accepted = []
        self.errors = []
        self.calls = 0
        self.slowest = (0.0, None)

    def raw_call(self, path, iface, method, params):
        t0 = time.monotonic()
        err = None
        try:
            self.daemon.conn.call_sync(sipsd.BUS_NAME, path, iface, method, params, None,
                                       Gio.DBusCallFlags.NONE, 10000, None)
        except GLib.Error as e:
            err = e
        dt = time.monotonic() - t0
        self.calls += 1
        if dt > self.slowest[0]:
            self.slowest = (dt, '%s.%s' % (iface, method))
        return err, dt

    def check(self, what, err, dt, allowed=ALLOWED_DBUS_ERRORS):
        if dt > MAX_CALL_S:
            self.problems.append('%s: answered after %.2f s' % (what, dt))
        if err is None:
            return True
        name = sipsd.dbus_error_name(err)
        self.errors.append((name, what, err.message[-160:]))
        if name is None or not (name.startswith(sipsd.ERROR_PREFIX) or name in allowed):
            self.problems.append('%s: %s %s' % (what, name, err.message[:200]))
        elif name == sipsd.ERROR_PREFIX + 'Failed':
            # the checks let the value through and it failed later: InvalidArgument is due
            self.problems.append('%s: Failed instead of InvalidArgument: %s' % (
                what, err.message[:200]))
        return False

    def call(self, path, iface, method, sig, values, allowed=ALLOWED_DBUS_ERRORS):
        params = GLib.Variant(sig, tuple(values)) if values is not None else None
        err, dt = self.raw_call(path, iface, method, params)
        what = '%s %s.%s%s' % (path, iface.split('.')[-1], method, short(values))
        ok = self.check(what, err, dt, allowed)
        if ok:
            self.accepted.append(what)
        return ok


def short(values):
    if values is None:
        return '()'
    return '(%s)' % ', '.join(repr(x)[:40] + ('...' if len(repr(x)) > 40 else '')
                              for x in values)


def call_method_hostile(chk, vals, path, iface, method, args, after_success=None):
    """Each argument in turn takes every hostile value, the others a well-formed one;
    then the wrong signatures."""
    base = [vals.base(iface, method, n, t) for n, t in args]
    sig = '(' + ''.join(t for _, t in args) + ')'
    for i, (name, t) in enumerate(args):
        for hostile in vals.of(t):
            values = list(base)
            values[i] = hostile
            if chk.call(path, iface, method, sig, values) and after_success:
                after_success()
    call_wrong_signatures(chk, path, iface, method, args, base)


def call_wrong_signatures(chk, path, iface, method, args, base):
    for wsig, wvals in wrong_signatures(args):
        if wvals is None and wsig != '()':
            wvals = tuple(base) + ('extra',)
        if wsig == '()':
            wvals = None
        err, dt = chk.raw_call(path, iface, method,
                               GLib.Variant(wsig, tuple(wvals)) if wvals is not None else None)
        what = '%s %s.%s wrong signature %s' % (path, iface.split('.')[-1], method, wsig)
        if err is None:
            chk.problems.append(what + ': accepted')
        elif sipsd.dbus_error_name(err) not in ALLOWED_DBUS_ERRORS:
            chk.problems.append('%s: %s' % (what, sipsd.dbus_error_name(err)))
        chk.check(what, err, dt)


def snapshot(daemon, path, ifaces):
    return ({i: daemon.get_all(path, i) for i in ifaces}, daemon.config_text())


def prop_values(vals, iface, name, sig):
    if name in PORT_PROPS:
        return [70000, 2 ** 32 - 1]
    hostile = vals.of(sig)
    if name in REBIND_PROPS:
        # only values that must be refused: no transport rebind in this test
        return [h for h in hostile if h not in ('', '/', True, False)]
    return hostile


def write_props_hostile(chk, vals, daemon, path, iface, props, obj_ifaces):
    for name, (sig, access) in sorted(props.items()):
        if 'write' not in access:
            before = snapshot(daemon, path, obj_ifaces)
            err, dt = chk.raw_call(path, sipsd.PROPS_IFACE, 'Set',
                                   v('(ssv)', (iface, name, v(sig, vals.of(sig)[0]))))
            what = 'Set read-only %s.%s' % (iface.split('.')[-1], name)
            if err is None:
                chk.problems.append(what + ': accepted')
            else:
                chk.check(what, err, dt, PROPERTY_ERRORS)
            if snapshot(daemon, path, obj_ifaces) != before:
                chk.problems.append(what + ': changed the object')
            continue
        for value in prop_values(vals, iface, name, sig):
            before = snapshot(daemon, path, obj_ifaces)
            what = 'Set %s %s.%s = %s' % (path, iface.split('.')[-1], name, short([value]))
            err, dt = chk.raw_call(path, sipsd.PROPS_IFACE, 'Set',
                                   v('(ssv)', (iface, name, v(sig, value))))
            if chk.check(what, err, dt, PROPERTY_ERRORS):
                chk.accepted.append(what)
                if len(str(value)) >= MIB:
                    chk.problems.append(what + ': a 1 MiB value accepted')
                # undo: the old value goes back, and then the object is as it was
                old = before[0][iface][name]
                daemon.set(path, iface, name, v(sig, old))
                after = snapshot(daemon, path, obj_ifaces)
                if after[0][iface] != before[0][iface]:
                    chk.problems.append(what + ': not undone by writing the old value back')
                continue
            after = snapshot(daemon, path, obj_ifaces)
            if after[0] != before[0]:
                changed = sorted(k for i in after[0] for k in after[0][i]
                                 if after[0][i][k] != before[0][i].get(k))
                chk.problems.append('%s: refused but changed %s' % (what, changed))
            if after[1] != before[1]:
                chk.problems.append('%s: refused but changed the configuration file' % what)
        # wrong variant type
        wrong = v('u', 7) if sig != 'u' else v('s', 'x')
        err, dt = chk.raw_call(path, sipsd.PROPS_IFACE, 'Set', v('(ssv)', (iface, name, wrong)))
        what = 'Set %s.%s with type %s' % (iface.split('.')[-1], name, wrong.get_type_string())
        if err is None:
            chk.problems.append(what + ': accepted')
        else:
            chk.check(what, err, dt, PROPERTY_ERRORS)
    err, dt = chk.raw_call(path, sipsd.PROPS_IFACE, 'Set',
                           v('(ssv)', (iface, 'NoSuchProperty', v('s', 'x'))))
    if err is None:
        chk.problems.append('Set %s.NoSuchProperty: accepted' % iface)
    else:
        chk.check('Set %s.NoSuchProperty' % iface, err, dt, PROPERTY_ERRORS)


class Tmp:
    def __init__(self, tmp_path):
        self.dir = tmp_path
        self.ringtone = str(tmp_path / 'ring.wav')
        peers.write_tone(self.ringtone, seconds=1)


# ------------------------------------------------------------------ the test

def test_hostile_dbus_callers(daemon, recorder, sipp, tmp_path):
    contract = load_contract()
    trap = Trap()
    chk = Checker(daemon)
    tmp = Tmp(tmp_path)
    vals = Values(trap, tmp)
    covered = set()
    cleanups = []
    try:
        peer = sipp('uas').start()
        account = daemon.add_account('added@127.0.0.1',
                                     {'OutboundProxy': v('s', trap.uri().replace('bob@', ''))})
        established = peers.new_call(daemon, peer.uri())
        assert peers.wait_session_signal(recorder, established, 'DidStart', 15), \
            peer.describe() + daemon.stderr_text()[-3000:]

        # a chat session with a second daemon, for the MSRPChat1 object
        from test_chat import Peer
        chat_peer = Peer(use_tls=False)
        cleanups.append(chat_peer.stop)
        chat_session = peers.new_call(daemon, chat_peer.uri(), audio=False, chat=True)
        r = chat_peer.rec.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming', 10)
        assert r, chat_peer.daemon.stderr_text()[-3000:]
        chat_peer.call(r[0], 'Accept', v('(bb)', (False, True)))
        chat = chat_session + '/Chat'
        assert recorder.wait_for(lambda r: r[0] == chat and r[2] == 'DidStart', 10), \
            daemon.stderr_text()[-3000:]

        objects = [
            (sipsd.SESSION_MANAGER, [sipsd.SESSION_MANAGER_IFACE]),
            (sipsd.SETTINGS, [sipsd.SETTINGS_IFACE]),
            (sipsd.RINGTONE_CONFIG, [sipsd.RINGTONE_IFACE]),
            (sipsd.RTP_CONFIG, [sipsd.RTP_IFACE]),
            (sipsd.MSRP_CONFIG, [sipsd.MSRP_IFACE]),
            (sipsd.ACCOUNT0, [sipsd.ACCOUNT_IFACE, sipsd.REGISTRATION_IFACE]),
            (account, [sipsd.ACCOUNT_IFACE, sipsd.REGISTRATION_IFACE]),
        ]
        # properties first (the calls below leave accounts and sessions behind)
        for path, ifaces in objects:
            for iface in ifaces:
                write_props_hostile(chk, vals, daemon, path, iface,
                                    contract[iface]['properties'], ifaces)
        write_props_hostile(chk, vals, daemon, established, SI, contract[SI]['properties'], [SI])
        write_props_hostile(chk, vals, daemon, chat, CI, contract[CI]['properties'], [CI])
        for method, args in contract[CI]['methods'].items():
            call_method_hostile(chk, vals, chat, CI, method, args)
            covered.add((CI, method))
        if daemon.get(chat, CI, 'State') != 'started':
            chk.problems.append('the chat stream is %s after the hostile calls' % (
                daemon.get(chat, CI, 'State')))

        def end_new_sessions():
            # a hostile New that was taken places a call: end it (the trap never answers)
            for s in daemon.get(sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE, 'Sessions'):
                if s != established and daemon.get(s, SI, 'State') not in ('NULL', 'TERMINATED'):
                    try:
                        daemon.call(s, SI, 'Terminate')
                    except GLib.Error:
                        pass

        for path, ifaces in objects:
            for iface in ifaces:
                for method, args in contract[iface]['methods'].items():
                    if iface == sipsd.REGISTRATION_IFACE and path == sipsd.ACCOUNT0:
                        continue   # Account 0 registers nowhere; the added account does
                    call_method_hostile(chk, vals, path, iface, method, args, end_new_sessions)
                    covered.add((iface, method))

        # a session in NULL: a fresh one for every call, so that one accepted New does not
        # turn the following calls into InvalidState
        for method, args in contract[SI]['methods'].items():
            for i, (name, t) in enumerate(args or [(None, None)]):
                hostile_list = vals.of(t) if t else [None]
                for hostile in hostile_list:
                    s = daemon.create_session()
                    if t is None:
                        chk.call(s, SI, method, '()', None)
                        continue
                    values = [vals.base(SI, method, n, tt) for n, tt in args]
                    values[i] = hostile
                    sig = '(' + ''.join(tt for _, tt in args) + ')'
                    if chk.call(s, SI, method, sig, values):
                        end_new_sessions()
            covered.add((SI, method))
        null_session = daemon.create_session()
        for method, args in contract[SI]['methods'].items():
            call_wrong_signatures(chk, null_session, SI, method, args,
                                  [vals.base(SI, method, n, t) for n, t in args])
        assert daemon.get(null_session, SI, 'State') == 'NULL'
        end_new_sessions()

        # the ESTABLISHED session: everything but the calls that end or change it, then those
        for method, args in contract[SI]['methods'].items():
            if method in FINAL_METHODS:
                continue
            call_method_hostile(chk, vals, established, SI, method, args, None)
            if method == 'StartRecordingAudio':
                try:
                    daemon.call(established, SI, 'StopRecordingAudio')
                except GLib.Error:
                    pass
        state = daemon.get(established, SI, 'State')
        if state != 'ESTABLISHED':
            chk.problems.append('the established session is %s before its final calls: %s' % (
                state, [x for x in peers.session_signals(recorder, established)
                        if x[0] not in ('GotRingIndication',)][-6:]))
        for method in FINAL_METHODS:
            call_method_hostile(chk, vals, established, SI, method, contract[SI]['methods'][method])
        untested = sorted(set(contract) - {i for _, ifs in objects for i in ifs} - {SI, CI})
        missed = [(i, m) for i in contract if i not in untested for m in contract[i]['methods']
                  if (i, m) not in covered]
        assert not missed, missed

        if os.environ.get('HOSTILE_DUMP'):
            with open(os.environ['HOSTILE_DUMP'], 'w') as f:
                f.write('\n'.join(['PROBLEMS'] + chk.problems + ['ACCEPTED'] + chk.accepted +
                                  ['ERRORS'] + ['%s | %s | %s' % e for e in chk.errors]))
        # the wire: nothing injected was sent to the trap or to sipp
        sipsd.run_loop(1.0)   # let retransmissions of the last requests arrive
        sent = trap.text() + peer.messages()
        assert not injected_lines(sent), injected_lines(sent)[:5]
        # what the chat peer got: the CPIM headers and content types hold nothing injected
        got = [r[3] for r in chat_peer.rec.records if r[2] == 'GotMessage']
        assert got, 'the chat peer got no message at all'
        for _, _, ctype, headers, _ in got:
            assert not injected_lines(ctype) and '\n' not in ctype and '\r' not in ctype, ctype
            for k, val in headers.items():
                assert not injected_lines(k + '\n' + val), (k, val)
        assert trap.text(), 'the trap received nothing: the URIs did not reach the wire'

        assert not chk.problems, '%d problems in %d calls:\n%s' % (
            len(chk.problems), chk.calls, '\n'.join(chk.problems[:80]))
        print('%d calls, slowest %.3f s (%s); %d accepted; no live object for %s' % (
            chk.calls, chk.slowest[0], chk.slowest[1], len(chk.accepted), untested))

        # still a working daemon: a real call gets established
        peer2 = sipp('uas').start()
        call = peers.new_call(daemon, peer2.uri())
        assert peers.wait_session_signal(recorder, call, 'DidStart', 15), \
            peer2.describe() + daemon.stderr_text()[-3000:]
        daemon.call(call, SI, 'Terminate')
        assert peers.wait_session_signal(recorder, call, 'DidEnd', 10)
        assert daemon.proc.poll() is None
    finally:
        trap.stop()
        for c in cleanups:
            c()
