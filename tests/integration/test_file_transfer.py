"""MSRP file transfer (RFC 5547) between two real daemons: SessionManager1.SendFile,
IncomingFileTransfer and MSRPFileTransfer1.

Each daemon is on its own private bus (test_chat.Peer); MSRP runs on 127.0.0.1 over TLS
(the default) or TCP. What arrives is checked on disk (SHA-256 against the source),
with the signals of both sides, their order and the Progress cadence."""

import hashlib
import os
import shutil
import tempfile

import pytest

import sipsd
from sipsd import v
from test_chat import Peer

SM = sipsd.SESSION_MANAGER
SMI = sipsd.SESSION_MANAGER_IFACE
FI = 'org.sipsimple.MSRPFileTransfer1'
TIMEOUT = 30
MIB = 1024 * 1024


def make_pair(use_tls):
    a = Peer(use_tls)
    try:
        b = Peer(use_tls)
    except Exception:
        a.stop()
        raise
    return a, b


@pytest.fixture(scope='module', params=['tls', 'tcp'])
def pair(request):
    a, b = make_pair(request.param == 'tls')
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix='sipsd-ft-')
    yield d
    shutil.rmtree(d, ignore_errors=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(MIB), b''):
            h.update(block)
    return h.hexdigest()


def sha1_rfc(path):
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(MIB), b''):
            h.update(block)
    return 'sha-1:' + ':'.join('%02X' % b for b in h.digest())


def write_random(path, size):
    with open(path, 'wb') as f:
        left = size
        while left:
            n = min(left, MIB)
            f.write(os.urandom(n))
            left -= n
    return path


def fsignals(peer, path):
    """(member, args) of the transfer object's signals, in order."""
    return [(r[2], r[3]) for r in peer.rec.records if r[0] == path and r[1] == FI]


def members(peer, path):
    return [m for m, _ in fsignals(peer, path)]


def wait_member(peer, path, member, timeout=TIMEOUT):
    ok = sipsd.wait_until(lambda: member in members(peer, path), timeout, interval=0.02)
    assert ok, '%s: %s not seen, got %s; stderr tail:\n%s' % (
        path, member, members(peer, path), peer.daemon.stderr_text()[-3000:])
    return [a for m, a in fsignals(peer, path) if m == member][0]


def send_file(a, b, path, content_type=''):
    """A offers path to B: returns (A's transfer path, B's transfer path)."""
    seen = {r[3][1] for r in b.rec.records if r[2] == 'IncomingFileTransfer'}
    ta = a.call(SM, 'SendFile', v('(osss)', ('/', b.uri(), path, content_type)), SMI)[0]
    r = b.rec.wait_for(lambda r: r[1] == SMI and r[2] == 'IncomingFileTransfer' and
                       r[3][1] not in seen, TIMEOUT)
    assert r, 'B got no offer; A: %s\n%s' % (members(a, ta), a.daemon.stderr_text()[-3000:])
    return ta, r[3][1]


def ends_in_order(seq, tail):
    assert seq[-len(tail):] == tail, seq


def check_progress(peer, path, total):
    prog = [(a[0], a[1], a[2]) for m, a in fsignals(peer, path) if m == 'Progress']
    assert prog, members(peer, path)
    assert prog[-1][1] == total and all(p[2] == total for p in prog), prog
    assert [p[1] for p in prog] == sorted(p[1] for p in prog), prog
    gaps = [(b[0] - a[0]) / 1000.0 for a, b in zip(prog[:-2], prog[1:-1])]
    # at most every 100 ms (timestamps are taken when emitted): allow 5 ms of jitter
    assert all(g >= 95 for g in gaps), gaps
    assert peer.get(path, 'BytesTransferred', FI) == total
    return prog


def test_five_mib_arrives_intact(pair, workdir):
    a, b = pair
    src = write_random(os.path.join(workdir, 'random data.bin'), 5 * MIB)
    dest = os.path.join(workdir, 'in')
    os.mkdir(dest)
    ta, tb = send_file(a, b, src)

    assert a.get(ta, 'Direction', FI) == 'outgoing'
    assert b.get(tb, 'Direction', FI) == 'incoming'
    assert b.get(tb, 'State', FI) == 'offered'
    assert b.get(tb, 'FileName', FI) == 'random data.bin'
    assert b.get(tb, 'FileSize', FI) == 5 * MIB
    assert b.get(tb, 'Hash', FI) == sha1_rfc(src)
    assert b.get(tb, 'RemoteUri', FI).startswith('sip:')
    assert a.get(ta, 'Hash', FI) == sha1_rfc(src)
    assert a.get(ta, 'State', FI) == 'connecting'

    b.call(tb, 'Accept', v('(s)', (dest,)), FI)
    got = wait_member(b, tb, 'GotFile')
    wait_member(a, ta, 'DidDeliverFile')
    wait_member(a, ta, 'DidEnd')
    wait_member(b, tb, 'DidEnd')

    final = os.path.join(dest, 'random data.bin')
    assert got[1:] == (final, 5 * MIB, sha1_rfc(src)), got
    assert sha256(final) == sha256(src)
    assert sorted(os.listdir(dest)) == ['random data.bin']   # no temporary file left
    assert a.get(ta, 'State', FI) == 'completed'
    assert b.get(tb, 'State', FI) == 'completed'
    assert b.get(tb, 'FilePath', FI) == final

    sa, sb = members(a, ta), members(b, tb)
    assert sa[:2] == ['DidInitialize', 'DidStart'], sa
    assert sb[:2] == ['DidInitialize', 'DidStart'], sb
    ends_in_order([m for m in sa if m != 'Progress'],
                  ['DidInitialize', 'DidStart', 'DidDeliverFile', 'WillEnd', 'DidEnd'])
    ends_in_order([m for m in sb if m != 'Progress'],
                  ['DidInitialize', 'DidStart', 'GotFile', 'WillEnd', 'DidEnd'])
    assert 'DidFail' not in sa and 'DidFail' not in sb
    check_progress(a, ta, 5 * MIB)
    check_progress(b, tb, 5 * MIB)
    # the final Progress comes before the outcome
    assert sa.index('DidDeliverFile') > len(sa) - 1 - sa[::-1].index('Progress')
    assert sb.index('GotFile') > len(sb) - 1 - sb[::-1].index('Progress')
