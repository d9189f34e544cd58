"""msrp file transfer (part of `tools/bench msrp`): one file (1 GiB; quick 128 MiB; sparse,
a random 64 KiB island every 64 MiB) from one daemon to another over MSRP (RFC 5547),
over TCP and then over TLS on 127.0.0.1:
  * MiB/s from the SendFile call to GotFile on the receiver (B accepts at once), and
    from B's Accept to GotFile;
  * both daemons' RSS growth (/proc/PID/status VmRSS, sampled every 0.5 s) over their
    RSS after a 4 MiB warm-up transfer; their CPU time per MiB;
  * the file checked: GotFile's size and sha-1 against the source's.
The raw TLS ceiling (openssl s_server/s_client) is measured by msrp.py in the same run
with the same size, with the TLS 1.3 suite GIO (GnuTLS, which the daemon's MSRP uses)
negotiates between two of its own connections, when that can be told.
"""

import hashlib
import os
import socket
import threading
import time

from .common import cpu_seconds, log, rss_kib

MIB = 1024 * 1024
ISLAND = 64 * 1024
ISLAND_EVERY = 64 * MIB
WARM_UP = 4 * MIB
SAMPLE_MS = 500
FI = 'org.sipsimple.MSRPFileTransfer1'
MI = 'org.sipsimple.SessionManager1'
MANAGER = '/org/sipsimple/SessionManager'


def file_size(args):
    return (128 if args.quick else 1024) * MIB


def make_sparse(path, size):
    """`size` bytes of holes with random islands; returns the RFC 5547 sha-1 of it."""
    with open(path, 'wb') as f:
        f.truncate(size)
        for offset in range(ISLAND_EVERY // 2, size, ISLAND_EVERY):
            f.seek(offset)
            f.write(os.urandom(ISLAND))
    sha1 = hashlib.sha1()
    buf = bytearray(8 * MIB)
    view = memoryview(buf)
    with open(path, 'rb', buffering=0) as f:
        while True:
            n = f.readinto(view)
            if not n:
                break
            sha1.update(view[:n])
    d = sha1.hexdigest().upper()
    return 'sha-1:' + ':'.join(d[i:i + 2] for i in range(0, len(d), 2))


def transfer(sipsd, GLib, a, b, src, inbox, timeout, on_tick=None):
    """SendFile A -> B, B accepts into inbox; times (monotonic, from the SendFile call)
    of the offer, GotFile and DidDeliverFile, and GotFile's (size, hash) or the failure."""
    rec_a = sipsd.SignalRecorder(a.conn, '/')
    rec_b = sipsd.SignalRecorder(b.conn, '/')
    seen = {}
    for rec, name in ((rec_a, 'a'), (rec_b, 'b')):
        rec.on_record = lambda r, name=name: seen.setdefault((name, r[0], r[2]), time.monotonic())
    r = {}
    try:
        t0 = time.monotonic()
        ta = a.daemon.call(MANAGER, MI, 'SendFile',
                           GLib.Variant('(osss)', ('/', b.uri(), str(src), '')))[0]
        offer = rec_b.wait_for(lambda x: x[1] == MI and x[2] == 'IncomingFileTransfer', 60)
        if not offer:
            raise RuntimeError('no file offer at B:\n' + a.daemon.stderr_text()[-2000:])
        tb = offer[3][1]
        r['offer'] = time.monotonic() - t0
        b.daemon.call(tb, FI, 'Accept', GLib.Variant('(s)', (str(inbox),)))
        r['accept'] = time.monotonic() - t0
        ended = sipsd.wait_until(lambda: rec_b.find(lambda x: x[0] == tb and x[2] == 'DidEnd')
                                 and rec_a.find(lambda x: x[0] == ta and x[2] == 'DidEnd'),
                                 timeout)
        got = rec_b.find(lambda x: x[0] == tb and x[2] == 'GotFile')
        if got:
            r['got'] = seen[('b', tb, 'GotFile')] - t0
            r['got_size'], r['got_hash'] = got[3][2], got[3][3]
        if ('a', ta, 'DidDeliverFile') in seen:
            r['delivered'] = seen[('a', ta, 'DidDeliverFile')] - t0
        if ('b', tb, 'Progress') in seen:
            r['first_progress'] = seen[('b', tb, 'Progress')] - t0
        fail = rec_b.find(lambda x: x[0] == tb and x[2] == 'DidFail') or \
            rec_a.find(lambda x: x[0] == ta and x[2] in ('DidFail', 'DidNotDeliverFile'))
        if fail:
            r['failure'] = '%s %s' % (fail[2], fail[3][1:])
        elif not ended:
            r['failure'] = 'no DidEnd within %d s' % timeout
        return r
    finally:
        rec_a.close()
        rec_b.close()


def file_run(sipsd, GLib, peer_class, work, use_tls, size):
    """Two daemons, a warm-up transfer, then the measured one with RSS sampled."""
    tag = 'tls' if use_tls else 'tcp'
    src_dir = os.path.join(work, 'files-' + tag)
    inbox = os.path.join(work, 'inbox-' + tag)
    os.makedirs(src_dir)
    os.makedirs(inbox)
    a = b = None
    try:
        a = peer_class(sipsd, use_tls)
        b = peer_class(sipsd, use_tls)
        warm = os.path.join(src_dir, 'warm-up.bin')
        with open(warm, 'wb') as f:
            f.write(os.urandom(WARM_UP))
        w = transfer(sipsd, GLib, a, b, warm, inbox, 60)
        if 'got' not in w:
            return {'size': size, 'failure': 'warm-up: %s' % w.get('failure')}
        os.unlink(os.path.join(inbox, 'warm-up.bin'))

        src = os.path.join(src_dir, 'big.img')
        sha1 = make_sparse(src, size)
        pids = {'sender': a.pid, 'receiver': b.pid}
        base = {k: rss_kib(p) for k, p in pids.items()}
        peak = dict(base)

        def sample():
            for k, p in pids.items():
                peak[k] = max(peak[k], rss_kib(p))
            return GLib.SOURCE_CONTINUE
        cpu0 = cpu_seconds(a.pid) + cpu_seconds(b.pid)
        sampler = GLib.timeout_add(SAMPLE_MS, sample)
        try:
            r = transfer(sipsd, GLib, a, b, src, inbox, 120 + size / MIB)
        finally:
            GLib.source_remove(sampler)
        sample()
        r['cpu'] = cpu_seconds(a.pid) + cpu_seconds(b.pid) - cpu0
        r['size'] = size
        r['intact'] = r.get('got_size') == size and r.get('got_hash') == sha1
        for k in pids:
            r['rss_growth_kib_' + k] = peak[k] - base[k]
        received = os.path.join(inbox, 'big.img')
        if os.path.exists(received):
            os.unlink(received)
        return r
    finally:
        for p in (a, b):
            if p:
                p.stop()


def gio_tls_suite(Gio, cert, key):
    """The ciphersuite two GIO TLS connections (the daemon's TLS stack) negotiate, as
    (name, protocol), or (None, None) when it cannot be told."""
    try:
        certificate = Gio.TlsCertificate.new_from_files(cert, key)
        backend = Gio.TlsBackend.get_default()
        if not backend.supports_tls():
            return None, None
    except Exception:
        return None, None
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    result = {}

    def serve():
        try:
            conn, _ = srv.accept()
            stream = Gio.Socket.new_from_fd(conn.detach()).connection_factory_create_connection()
            tls = Gio.TlsServerConnection.new(stream, certificate)
            tls.handshake(None)
            result['server'] = tls
        except Exception as e:   # noqa: BLE001 (reported as "cannot tell")
            result['error'] = str(e)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        client = Gio.SocketClient.new()
        stream = client.connect_to_host('127.0.0.1:%d' % srv.getsockname()[1], 0, None)
        tls = Gio.TlsClientConnection.new(stream, None)
        tls.connect('accept-certificate', lambda *args: True)
        tls.handshake(None)
        t.join(10)
        name = tls.get_ciphersuite_name()
        proto = tls.get_protocol_version()
        tls.close(None)
        return name, getattr(proto, 'value_nick', str(proto))
    except Exception as e:   # noqa: BLE001
        log('  cannot tell GIO\'s TLS suite: %s %s' % (e, result.get('error', '')))
        return None, None
    finally:
        srv.close()


def rows(results, size, fmt, ratio, fmt_size):
    """The report's file transfer lines."""
    head = '%-40s %11s %11s'
    res = {t: results.get('file ' + t, {}) for t in ('TCP', 'TLS')}

    def row(label, f):
        print(head % (label, *(f(t) for t in ('TCP', 'TLS'))))

    def mibs(r, start_key=None):
        if 'got' not in r:
            return None
        start = r.get(start_key, 0) if start_key else 0
        return r['size'] / MIB / (r['got'] - start) if r['got'] > start else None
    row('file transfer, size', lambda t: fmt_size(res[t]['size']) if res[t] else '-')
    row('  arrived intact (size, sha-1)', lambda t: '-' if not res[t] else
        ('yes' if res[t].get('intact') else 'NO (%s)' % res[t].get('failure', 'mismatch')))
    row('  MiB/s (SendFile call to GotFile)', lambda t: fmt(mibs(res[t])))
    row('  MiB/s (Accept to GotFile)', lambda t: fmt(mibs(res[t], 'accept')))
    row('  DidDeliverFile after (s)', lambda t: fmt(res[t].get('delivered')))
    row('  daemons\' CPU ms per MiB', lambda t: fmt(
        1000 * res[t]['cpu'] / (res[t]['size'] / MIB) if res[t].get('cpu') else None))
    row('  RSS growth, sender (KiB)', lambda t: fmt(res[t].get('rss_growth_kib_sender')))
    row('  RSS growth, receiver (KiB)', lambda t: fmt(res[t].get('rss_growth_kib_receiver')))
    ceil = results.get('file ceiling TLS', {})
    ceiling = ceil['size'] / MIB / ceil['seconds'] \
        if ceil.get('received_length') == ceil.get('size') and ceil.get('seconds') else None
    row('ceiling: %s through openssl, MiB/s' % fmt_size(size),
        lambda t: fmt(ceiling) if t == 'TLS' else '-')
    row('ratio file transfer / TLS ceiling', lambda t: ratio(mibs(res[t]), ceiling))
    print('file transfer: a sparse file (holes, a random 64 KiB island every 64 MiB) sent by'
          ' SessionManager1.SendFile, accepted at once by the other daemon'
          ' (MSRPFileTransfer1.Accept); MiB/s to its GotFile (written, hash checked,'
          ' renamed); after a %d MiB warm-up transfer.' % (WARM_UP // MIB))
    print('RSS growth: the highest VmRSS sampled every %d ms during the transfer minus the'
          ' VmRSS before it (after the warm-up).' % SAMPLE_MS)
    suite = results.get('file ceiling suite')
    print('ceiling for the file: openssl s_client -> s_server with %s (%s), the same size'
          ' piped through; the ratio compares the TCP run with it too (MSRP over TCP has'
          ' no TLS cost).' % (suite[0] if suite and suite[0] else 'the default TLS 1.3 suite',
                              'as GIO/GnuTLS negotiates it, %s' % suite[1]
                              if suite and suite[0] else 'GIO\'s could not be told'))
