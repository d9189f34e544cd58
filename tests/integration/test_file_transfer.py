"""MSRP file transfer (RFC 5547) between two real daemons: SessionManager1.SendFile,
IncomingFileTransfer and MSRPFileTransfer1.

Each daemon is on its own private bus (test_chat.Peer); MSRP runs on 127.0.0.1 over TLS
(the default) or TCP. What arrives is checked on disk (SHA-256 against the source),
with the signals of both sides, their order and the Progress cadence."""

import hashlib
import os
import shutil
import signal
import tempfile

import pytest

import sipsd
from sipsd import v
from test_chat import make_pair

SM = sipsd.SESSION_MANAGER
SMI = sipsd.SESSION_MANAGER_IFACE
FI = 'org.sipsimple.MSRPFileTransfer1'
TIMEOUT = 30
MIB = 1024 * 1024


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


def test_empty_file(pair, workdir):
    a, b = pair
    src = os.path.join(workdir, 'empty.txt')
    open(src, 'wb').close()
    dest = os.path.join(workdir, 'in')
    os.mkdir(dest)
    ta, tb = send_file(a, b, src)
    assert b.get(tb, 'FileSize', FI) == 0
    # "" = Settings1.DownloadsDirectory
    b.daemon.set(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'DownloadsDirectory', v('s', dest))
    b.call(tb, 'Accept', v('(s)', ('',)), FI)
    got = wait_member(b, tb, 'GotFile')
    wait_member(a, ta, 'DidDeliverFile')
    wait_member(b, tb, 'DidEnd')
    wait_member(a, ta, 'DidEnd')
    assert got[1:] == (os.path.join(dest, 'empty.txt'), 0, sha1_rfc(src)), got
    assert os.listdir(dest) == ['empty.txt'] and os.path.getsize(got[1]) == 0
    assert [a_[1:] for m, a_ in fsignals(b, tb) if m == 'Progress'] == [(0, 0)]
    assert a.get(ta, 'ContentType', FI) == 'text/plain'


def test_name_clash_gets_a_number(pair, workdir):
    a, b = pair
    src = write_random(os.path.join(workdir, 'photo.jpg'), 3000)
    dest = os.path.join(workdir, 'in')
    os.mkdir(dest)
    with open(os.path.join(dest, 'photo.jpg'), 'wb') as f:
        f.write(b'mine')
    ta, tb = send_file(a, b, src, 'image/jpeg')
    assert b.get(tb, 'ContentType', FI) == 'image/jpeg'
    b.call(tb, 'Accept', v('(s)', (dest,)), FI)
    got = wait_member(b, tb, 'GotFile')
    assert got[1] == os.path.join(dest, 'photo (1).jpg'), got
    with open(os.path.join(dest, 'photo.jpg'), 'rb') as f:
        assert f.read() == b'mine'     # never overwritten
    assert sha256(got[1]) == sha256(src)
    wait_member(a, ta, 'DidEnd')
    wait_member(b, tb, 'DidEnd')


def test_reject_gives_the_code_to_the_sender(pair, workdir):
    a, b = pair
    src = write_random(os.path.join(workdir, 'no.bin'), 1000)
    ta, tb = send_file(a, b, src)
    b.call(tb, 'Reject', None, FI)
    nd = wait_member(a, ta, 'DidNotDeliverFile')
    assert nd[1] == 603, nd
    wait_member(a, ta, 'DidEnd')
    wait_member(b, tb, 'DidEnd')
    ends_in_order(members(a, ta), ['DidNotDeliverFile', 'DidFail', 'DidEnd'])
    assert members(b, tb) == ['WillEnd', 'DidEnd'], members(b, tb)
    assert a.get(ta, 'State', FI) == 'failed'
    assert b.get(tb, 'State', FI) == 'cancelled'
    sipsd.expect_error('InvalidState', b.call, tb, 'Accept', v('(s)', (workdir,)), FI)
    # ended transfers linger (TerminatedSessionLinger: 5 s here), then leave the
    # ObjectManager like sessions
    assert FI in a.daemon.managed_objects()[ta] and FI in b.daemon.managed_objects()[tb]
    for peer, t in ((a, ta), (b, tb)):
        r = peer.rec.wait_for(lambda r: r[1] == sipsd.OM_IFACE and r[2] == 'InterfacesRemoved'
                              and r[3][0] == t, 15)
        assert r and FI in r[3][1], t
        assert t not in peer.daemon.managed_objects()
    added = [r for r in b.rec.records if r[1] == sipsd.OM_IFACE and r[2] == 'InterfacesAdded'
             and r[3][0] == tb]
    assert added and FI in added[0][3][1]


def test_accept_into_a_missing_directory_keeps_the_offer(pair, workdir):
    a, b = pair
    src = write_random(os.path.join(workdir, 'later.bin'), 10000)
    ta, tb = send_file(a, b, src)
    gone = os.path.join(workdir, 'gone')
    sipsd.expect_error('InvalidArgument', b.call, tb, 'Accept', v('(s)', (gone,)), FI)
    assert b.get(tb, 'State', FI) == 'offered'
    b.call(tb, 'Accept', v('(s)', (workdir,)), FI)
    got = wait_member(b, tb, 'GotFile')
    assert sha256(got[1]) == sha256(src)
    assert got[1] == os.path.join(workdir, 'later (1).bin')
    wait_member(a, ta, 'DidEnd')


def test_send_file_refuses_bad_arguments(pair, workdir):
    a, b = pair
    sipsd.expect_error('InvalidArgument', a.call, SM, 'SendFile',
                       v('(osss)', ('/', b.uri(), workdir, '')), SMI)
    sipsd.expect_error('InvalidArgument', a.call, SM, 'SendFile',
                       v('(osss)', ('/', b.uri(), os.path.join(workdir, 'none'), '')), SMI)
    src = write_random(os.path.join(workdir, 'x.bin'), 10)
    sipsd.expect_error('InvalidArgument', a.call, SM, 'SendFile',
                       v('(osss)', ('/', 'not a uri', src, '')), SMI)
    sipsd.expect_error('NotFound', a.call, SM, 'SendFile',
                       v('(osss)', ('/org/sipsimple/Account/99', b.uri(), src, '')), SMI)


# ---- mid-way: one daemon is frozen (SIGSTOP) once bytes move, so the transfer is
# ---- certainly in the middle when it is cancelled or disturbed

def big_file(workdir, name='big.bin', size=96 * MIB):
    path = os.path.join(workdir, name)
    with open(path, 'wb') as f:
        f.truncate(size)
    return path


def first_progress(peer, path):
    ok = sipsd.wait_until(lambda: 'Progress' in members(peer, path), TIMEOUT, interval=0.005)
    assert ok, members(peer, path)


def freeze(peer):
    os.kill(peer.daemon.proc.pid, signal.SIGSTOP)


def thaw(peer):
    os.kill(peer.daemon.proc.pid, signal.SIGCONT)


def midway(a, b, workdir, size=96 * MIB):
    """A sends a big file that B accepts into workdir/in: returns both transfers and the
    directory once B has received bytes."""
    src = big_file(workdir, size=size)
    dest = os.path.join(workdir, 'in')
    os.mkdir(dest)
    ta, tb = send_file(a, b, src)
    b.call(tb, 'Accept', v('(s)', (dest,)), FI)
    first_progress(b, tb)
    return ta, tb, dest


def assert_failed_both(a, ta, b, tb):
    for peer, t in ((a, ta), (b, tb)):
        wait_member(peer, t, 'DidEnd')
        seq = members(peer, t)
        ends_in_order(seq, ['DidFail', 'DidEnd'])
        assert 'GotFile' not in seq and 'DidDeliverFile' not in seq, seq


def test_cancel_by_the_sender_midway(pair, workdir):
    a, b = pair
    ta, tb, dest = midway(a, b, workdir)
    freeze(b)
    try:
        assert a.get(ta, 'State', FI) == 'transferring'
        a.call(ta, 'Cancel', None, FI)
        wait_member(a, ta, 'DidEnd')
    finally:
        thaw(b)
    assert_failed_both(a, ta, b, tb)
    assert a.get(ta, 'State', FI) == 'cancelled'
    assert os.listdir(dest) == []
    sipsd.expect_error('InvalidState', a.call, ta, 'Cancel', None, FI)


def test_cancel_by_the_receiver_midway(pair, workdir):
    a, b = pair
    ta, tb, dest = midway(a, b, workdir)
    freeze(a)
    try:
        assert b.get(tb, 'State', FI) == 'transferring'
        assert len(os.listdir(dest)) == 1 and os.listdir(dest)[0].startswith('.')
        b.call(tb, 'Cancel', None, FI)
        wait_member(b, tb, 'DidEnd')
        assert os.listdir(dest) == []
    finally:
        thaw(a)
    assert_failed_both(a, ta, b, tb)
    assert b.get(tb, 'State', FI) == 'cancelled'
    assert os.listdir(dest) == []


def test_directory_disappears_while_receiving(pair, workdir):
    a, b = pair
    ta, tb, dest = midway(a, b, workdir, 32 * MIB)
    freeze(a)
    try:
        shutil.rmtree(dest)
    finally:
        thaw(a)
    assert_failed_both(a, ta, b, tb)
    assert not os.path.exists(dest)
    # the receiver's 500 to the last chunk, even when its BYE comes first
    nd = [x for m, x in fsignals(a, ta) if m == 'DidNotDeliverFile']
    assert nd and nd[0][1] == 500, (nd, members(a, ta))


def test_daemon_shutdown_while_receiving_leaves_no_file(workdir):
    a, b = make_pair(False)
    try:
        ta, tb, dest = midway(a, b, workdir)
        freeze(a)
        try:
            assert len(os.listdir(dest)) == 1
            b.daemon.stop()
            assert os.listdir(dest) == []
        finally:
            thaw(a)
        wait_member(a, ta, 'DidEnd')
        ends_in_order(members(a, ta), ['DidFail', 'DidEnd'])
    finally:
        a.stop()
        b.stop()
