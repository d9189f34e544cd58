"""A 1 GiB file (sparse: holes with a random 64 KiB island every 64 MiB, so misplaced or
lost chunks change the hash) sent between two daemons over MSRP/TLS, as SendFile ->
Accept -> GotFile / DidDeliverFile.

Both daemons' VmRSS (/proc/PID/status) is sampled every 0.5 s from before SendFile to
the end: neither may grow by more than RSS_GROWTH_KB over its RSS after a warm-up
transfer (the file streams through in chunks, never held whole; issue 10 asks for a
few MiB). The file must arrive with the same size, SHA-256 and SHA-1 (computed here of
the sparse source and of the received file); the throughput is printed (pytest -s, or
the meson test log).

Under ASan the daemons get a 16 MiB quarantine and return free memory every 0.5 s (as
in test_soak.py; by default ASan keeps up to 256 MiB of freed blocks, which would be
all the chunks that went through), and the bound grows by that quarantine. Measured on
2 shared cores (load 5-12): under ASan 57-120 MiB/s SendFile -> GotFile, RSS +1.0 MiB sender,
+3.9-4.0 MiB receiver, 18-27 s in all; without: 281-374 MiB/s, +4.8-5.4 / +5.1-5.2 MiB,
~10-13 s."""

import hashlib
import os
import time

import pytest

import sipsd
from gi.repository import GLib
from sipsd import v
from test_chat import Peer

FI = 'org.sipsimple.MSRPFileTransfer1'
MI = sipsd.SESSION_MANAGER_IFACE
MIB = 1024 * 1024
SIZE = 1024 * MIB
ISLAND = 64 * 1024
ISLAND_EVERY = 64 * MIB
# RSS growth bound over the warm-up baseline (issue 10: < 16 MiB)
RSS_GROWTH_KB = 16 * 1024
ASAN_RSS_FACTOR = 1
ASAN_QUARANTINE_MB = 16
SAMPLE_MS = 500
TRANSFER_TIMEOUT = 240


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def sanitized(pid):
    with open('/proc/%d/maps' % pid) as f:
        return 'libasan' in f.read()


def make_sparse(path):
    """SIZE bytes: holes, with a random island every ISLAND_EVERY; returns (sha256, sha1)
    as read back (the holes read as zeros)."""
    with open(path, 'wb') as f:
        f.truncate(SIZE)
        for offset in range(ISLAND_EVERY // 2, SIZE, ISLAND_EVERY):
            f.seek(offset)
            f.write(os.urandom(ISLAND))
    return digests(path)


def digests(path):
    sha256, sha1 = hashlib.sha256(), hashlib.sha1()
    buf = bytearray(8 * MIB)
    view = memoryview(buf)
    with open(path, 'rb', buffering=0) as f:
        while True:
            n = f.readinto(view)
            if not n:
                break
            sha256.update(view[:n])
            sha1.update(view[:n])
    return sha256.hexdigest(), sha1.hexdigest()


def rfc5547(sha1_hex):
    d = sha1_hex.upper()
    return 'sha-1:' + ':'.join(d[i:i + 2] for i in range(0, len(d), 2))


def send(a, b, src, inbox, timeout):
    """SendFile from A to B, B accepts into inbox; returns (ta, tb, t_send, t_accept)
    once both sides ended. Times are monotonic."""
    seen = {r[3][1] for r in b.rec.records if r[2] == 'IncomingFileTransfer'}
    t_send = time.monotonic()
    ta = a.call(sipsd.SESSION_MANAGER, 'SendFile',
                v('(osss)', ('/', b.uri('big'), str(src), '')), iface=MI)[0]
    r = b.rec.wait_for(lambda r: r[1] == MI and r[2] == 'IncomingFileTransfer'
                       and r[3][1] not in seen, 60)
    assert r, 'no offer at B\n' + a.daemon.stderr_text()[-3000:]
    tb = r[3][1]
    t_accept = time.monotonic()
    b.call(tb, 'Accept', v('(s)', (str(inbox),)), iface=FI)
    b.wait(tb, 'DidEnd', FI, timeout=timeout)
    a.wait(ta, 'DidEnd', FI, timeout=30)
    return ta, tb, t_send, t_accept


def when(peer, path, member):
    """The monotonic time the test saw `member` of `path` (from the recorder's order)."""
    return peer.seen_at.get((path, member))


@pytest.fixture
def peers(monkeypatch):
    asan_options = os.environ.get('ASAN_OPTIONS')
    monkeypatch.setenv('ASAN_OPTIONS', ':'.join(filter(None, [
        asan_options, 'quarantine_size_mb=%d' % ASAN_QUARANTINE_MB,
        'allocator_release_to_os_interval_ms=500'])))
    a = Peer(use_tls=True)
    try:
        b = Peer(use_tls=True)
    except Exception:
        a.stop()
        raise
    for p in (a, b):
        p.seen_at = {}

        def on_record(r, p=p):
            p.seen_at.setdefault((r[0], r[2]), time.monotonic())
        p.rec.on_record = on_record
    yield a, b
    for p in (a, b):
        p.stop()


def test_one_gib_streams_with_bounded_memory(peers, tmp_path, capsys):
    a, b = peers
    src_dir = tmp_path / 'src'
    src_dir.mkdir()
    inbox = tmp_path / 'inbox'
    inbox.mkdir()

    # warm-up: a small transfer, so TLS, the MSRP stack and the file code have their
    # one-time allocations before the baseline
    warm = src_dir / 'warm-up.bin'
    warm.write_bytes(os.urandom(4 * MIB))
    ta, tb, _, _ = send(a, b, warm, inbox, 60)
    assert b.signals(tb, 'GotFile', FI), b.daemon.stderr_text()[-3000:]
    os.unlink(inbox / 'warm-up.bin')

    src = src_dir / 'big.img'
    sha256, sha1 = make_sparse(src)
    assert os.stat(src).st_blocks * 512 < 64 * MIB  # really sparse

    pids = {'sender': a.daemon.proc.pid, 'receiver': b.daemon.proc.pid}
    asan = sanitized(pids['sender'])
    bound = RSS_GROWTH_KB * (ASAN_RSS_FACTOR if asan else 1) + \
        (ASAN_QUARANTINE_MB * 1024 if asan else 0)
    base = {k: rss_kb(pid) for k, pid in pids.items()}
    samples = {k: [] for k in pids}

    def sample():
        for k, pid in pids.items():
            samples[k].append(rss_kb(pid))
        return GLib.SOURCE_CONTINUE
    sampler = GLib.timeout_add(SAMPLE_MS, sample)
    try:
        ta, tb, t_send, t_accept = send(a, b, src, inbox, TRANSFER_TIMEOUT)
    finally:
        GLib.source_remove(sampler)
    sample()

    got = b.signals(tb, 'GotFile', FI)
    assert got, 'no GotFile: %s\n%s' % (b.signals(tb, 'DidFail', FI),
                                        b.daemon.stderr_text()[-3000:])
    assert a.signals(ta, 'DidDeliverFile', FI), a.signals(ta, 'DidFail', FI)
    path, size, digest = got[0][1:4]
    assert path == str(inbox / 'big.img') and size == SIZE, got
    assert digest == rfc5547(sha1), (digest, sha1)
    assert os.stat(path).st_size == SIZE
    assert digests(path) == (sha256, sha1)
    assert os.listdir(inbox) == ['big.img']

    t_got = when(b, tb, 'GotFile')
    t_delivered = when(a, ta, 'DidDeliverFile')
    first_byte = when(b, tb, 'Progress') or t_accept
    growth = {k: max(samples[k]) - base[k] for k in pids}
    with capsys.disabled():   # the figures go to the meson test log, passed or not
        print('\n1 GiB over MSRP/TLS%s: SendFile -> GotFile %.1f s (%.1f MiB/s), '
              'Accept -> GotFile %.1f s (%.1f MiB/s), first Progress -> GotFile %.1f MiB/s, '
              'SendFile -> DidDeliverFile %.1f s' % (
                  ' (ASan)' if asan else '', t_got - t_send, SIZE / MIB / (t_got - t_send),
                  t_got - t_accept, SIZE / MIB / (t_got - t_accept),
                  SIZE / MIB / max(0.001, t_got - first_byte), t_delivered - t_send))
        for k in pids:
            print('%s RSS: %d kB before, max %d kB (+%d kB; bound +%d kB), %d samples' % (
                k, base[k], max(samples[k]), growth[k], bound, len(samples[k])))
    assert len(samples['sender']) >= 2
    for k in pids:
        assert growth[k] <= bound, '%s RSS grew by %d kB (bound %d kB): %s' % (
            k, growth[k], bound, samples[k])
