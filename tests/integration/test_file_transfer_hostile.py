"""Hostile file offers (RFC 5547) to a daemon from a raw SIP + MSRP peer (msrp_peer.py).

(a) Hostile file names: after Accept the file lands under a sanitised name inside the
    chosen directory, nothing outside it is created, and FileName says the sanitised
    name from the offer on.
(b) Hostile MSRP during a transfer (a Byte-Range that skips, overlaps or lies about the
    total, bytes past the offered size (also of an offered empty file), a '$' short of
    the size followed by a second '$', a second message, a body that does not match the
    offered hash, an offered size never reached, an interrupted message, a dropped
    connection):
    the transfer ends DidFail + DidEnd, no file (not even the hidden temporary one) is
    left, and the daemon then takes a new transfer.

Names go out %-escaped (RFC 5547) and, for some, as raw bytes. A peer that says
a=setup:passive is connected to by the daemon. Over TCP and over TLS (MSRPConfiguration
LocalUseTls; the peer then has a certificate of its own and offers its a=fingerprint)."""

import os
import shutil
import tempfile

import pytest

import sipsd
from msrp_peer import FilePeer, file_selector, sha1_value
from sipsd import v
from test_chat import Peer

SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
FI = 'org.sipsimple.MSRPFileTransfer1'
TIMEOUT = 15

DATA = bytes((i * 7 + i // 251) & 0xff for i in range(40000))

# wire name (str, or bytes for invalid UTF-8) -> the name it must be saved as
HOSTILE_NAMES = [
    ('../../etc/passwd', '_.._etc_passwd'),
    ('/etc/passwd', '_etc_passwd'),
    ('a/b', 'a_b'),
    ('a\\b', 'a_b'),
    ('..\\..\\win.ini', '_.._win.ini'),
    ('.hidden', 'hidden'),
    ('..', 'file'),
    ('.', 'file'),
    # name:"" is malformed (RFC 5547: 1*char): the offer has no usable selector
    ('', 'file'),
    ('ctl\x01\x1b\x7f\u0085.txt', 'ctl.txt'),
    ('a\r\nb.txt', 'ab.txt'),
    ('a\r\nContent-Type: text/html\r\n\r\n.txt', 'aContent-Type: text_html.txt'),
    ('\u202egnp.exe', 'gnp.exe'),
    ('x' * 296 + '.txt', 'x' * 196 + '.txt'),
    (b'bad\xff\xfe.bin', 'bad\ufffd\ufffd.bin'),
]


# names put on the wire as raw bytes (UTF-8 as most clients send it, and worse), not %-escaped
RAW_NAMES = [
    ('r\u00e9sum\u00e9 \u2013 2024.pdf', 'r\u00e9sum\u00e9 \u2013 2024.pdf'),
    ('\u202egnp.exe', 'gnp.exe'),
    ('\u2066evil\u2069\u200f.txt', 'evil.txt'),
    ('tab\there.txt', 'tabhere.txt'),
    (b'latin1-\xe9t\xe9.txt', 'latin1-\ufffdt\ufffd.txt'),
]


@pytest.fixture(scope='module', params=['tcp', 'tls'])
def target(request):
    p = Peer(use_tls=request.param == 'tls')
    p.use_tls = request.param == 'tls'
    yield p
    p.stop()


@pytest.fixture
def root():
    d = tempfile.mkdtemp(prefix='sipsd-fth-')
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def peer(target):
    fp = FilePeer(target.daemon.ports['tcp'], use_tls=target.use_tls)
    yield fp
    fp.close()


def tree(directory):
    """Every path under directory (relative), hidden ones included."""
    out = []
    for base, dirs, files in os.walk(directory):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(base, n), directory))
    return sorted(out)


def fsignals(target, path):
    return [(r[2], r[3]) for r in target.rec.records if r[0] == path and r[1] == FI]


def members(target, path):
    return [m for m, _ in fsignals(target, path)]


def context(target, peer, path=None):
    return 'transfer signals: %s\nSIP: %s\nMSRP: %s\nstderr tail:\n%s' % (
        members(target, path) if path else '-', [m.start for m in peer.sip_messages],
        [m.start for m in peer.msrp_messages], target.daemon.stderr_text()[-3000:])


def offer(target, peer, selector, extra_sdp=()):
    """The peer offers; returns the daemon's FileTransfer path (state offered)."""
    seen = {r[3][1] for r in target.rec.records if r[2] == 'IncomingFileTransfer'}
    peer.offer(selector, extra_sdp=extra_sdp)
    r = peer.wait(lambda: target.rec.find(
        lambda r: r[1] == SMI and r[2] == 'IncomingFileTransfer' and r[3][1] not in seen))
    assert r, 'no IncomingFileTransfer\n' + context(target, peer)
    path = r[3][1]
    assert target.get(path, 'State', FI) == 'offered'
    return path


def accept(target, peer, path, directory):
    """Accept over D-Bus, then the peer ACKs the 200 and connects its MSRP."""
    target.call(path, 'Accept', v('(s)', (directory,)), FI)
    final = peer.wait_final()
    assert final is not None and final.code == 200, context(target, peer, path)
    peer.ack()
    assert peer.answer is not None and peer.answer['attrs'].get('recvonly') is not None, \
        final.body
    scheme = 'msrps://' if target.use_tls else 'msrp://'
    assert peer.answer['path'][0].startswith(scheme), final.body
    peer.msrp_connect()


def wait_member(target, peer, path, member):
    ok = peer.wait(lambda: member in members(target, path), TIMEOUT)
    assert ok, '%s not seen\n%s' % (member, context(target, peer, path))
    return [a for m, a in fsignals(target, path) if m == member][0]


def good_transfer(target, peer, directory, name='after.bin', extra_sdp=()):
    """A well-behaved transfer that must arrive (the daemon still works)."""
    path = offer(target, peer, file_selector(name, data=DATA), extra_sdp)
    accept(target, peer, path, directory)
    tids = peer.send_file(DATA)
    assert peer.wait_msrp_response(tids[-1]) == 200, context(target, peer, path)
    got = wait_member(target, peer, path, 'GotFile')
    # the sender hangs up once delivered (RFC 5547 §8.3)
    assert peer.bye() == 200
    wait_member(target, peer, path, 'DidEnd')
    with open(got[1], 'rb') as f:
        assert f.read() == DATA
    assert got[2] == len(DATA) and got[3] == sha1_value(DATA), got
    return got[1]


# ---------------------------------------------------------------- (a) hostile names

@pytest.mark.parametrize('wire,safe,raw',
                         [(w, s, False) for w, s in HOSTILE_NAMES] +
                         [(w, s, True) for w, s in RAW_NAMES],
                         ids=['name%d' % i for i in range(len(HOSTILE_NAMES))] +
                         ['raw%d' % i for i in range(len(RAW_NAMES))])
def test_hostile_name_lands_sanitised_inside_the_directory(target, peer, root, wire, safe, raw):
    # the chosen directory is deep enough that "../../x" would still be inside root
    directory = os.path.join(root, 'a', 'b', 'downloads')
    os.makedirs(directory)
    path = offer(target, peer, file_selector(wire, data=DATA, raw_name=raw))
    assert target.get(path, 'FileName', FI) == safe

    accept(target, peer, path, directory)
    tids = peer.send_file(DATA)
    assert peer.wait_msrp_response(tids[-1]) == 200, context(target, peer, path)
    got = wait_member(target, peer, path, 'GotFile')
    assert peer.bye() == 200
    wait_member(target, peer, path, 'DidEnd')

    assert os.path.dirname(got[1]) == directory, got
    assert os.path.basename(got[1]) == safe, got
    assert target.get(path, 'FileName', FI) == safe
    with open(got[1], 'rb') as f:
        assert f.read() == DATA
    # the file and nothing else, anywhere under root
    assert tree(root) == ['a', 'a/b', 'a/b/downloads', 'a/b/downloads/' + safe], tree(root)


def test_passive_peer_is_connected_to(target, peer, root):
    """The peer says a=setup:passive (RFC 6135): the daemon connects, binds with its own
    SEND, and the file then arrives (the peer's tools work in both roles)."""
    got = good_transfer(target, peer, root, extra_sdp=['a=setup:passive'])
    assert peer.answer['attrs'].get('setup') == 'active', peer.answer
    assert any(m.method == 'SEND' for m in peer.msrp_messages), peer.msrp_messages
    assert got == os.path.join(root, 'after.bin')


# ---------------------------------------------------------------- (b) hostile MSRP

def gap(peer):
    """Byte-Range that skips 50 bytes."""
    n = len(DATA)
    return [peer.send_chunk(DATA[:1000], start=1, total=n, flag='+'),
            peer.send_chunk(DATA[1050:], start=1051, total=n, flag='$')]


def overlap(peer):
    """Byte-Range that goes back over bytes already sent."""
    n = len(DATA)
    return [peer.send_chunk(DATA[:1000], start=1, total=n, flag='+'),
            peer.send_chunk(DATA[500:], start=501, total=n, flag='$')]


def wrong_total(peer):
    """Byte-Range total that is not the offered size."""
    return [peer.send_chunk(DATA, start=1, total=len(DATA) + 1, flag='$')]


def past_size(peer):
    """More bytes than offered, the total left open ('*')."""
    return [peer.send_chunk(DATA + b'x' * 1000, start=1, total=None, flag='$')]


def past_size_lying_range(peer):
    """More bytes than offered, the Byte-Range claiming the offered size."""
    return [peer.send_chunk(DATA + b'x' * 1000, start=1, end=len(DATA), total=len(DATA),
                            flag='$')]


def early_end_then_second_end(peer):
    """A '$' half-way (short of the size), then a second '$' chunk with the rest."""
    n, h = len(DATA), len(DATA) // 2
    return [peer.send_chunk(DATA[:h], start=1, total=n, flag='$'),
            peer.send_chunk(DATA[h:], start=h + 1, total=n, flag='$')]


def second_message(peer):
    """The second half under another Message-ID."""
    n, h = len(DATA), len(DATA) // 2
    return [peer.send_chunk(DATA[:h], start=1, total=n, flag='+', message_id='file-msg-1'),
            peer.send_chunk(DATA[h:], start=h + 1, total=n, flag='$', message_id='file-msg-2')]


def hash_mismatch(peer):
    """The offered size, one byte changed: not the offered SHA-1."""
    bad = bytearray(DATA)
    bad[len(bad) // 3] ^= 0x01
    return peer.send_file(bytes(bad))


def interrupted(peer):
    """The sender gives up ('#')."""
    return [peer.send_chunk(DATA[:1000], start=1, total=len(DATA), flag='+'),
            peer.send_chunk(DATA[1000:2000], start=1001, total=len(DATA), flag='#')]


def dropped(peer):
    """The MSRP connection is closed half-way."""
    tid = peer.send_chunk(DATA[:1000], start=1, total=len(DATA), flag='+')
    assert peer.wait_msrp_response(tid) == 200
    peer.close_msrp()
    return []


def offered_huge(peer):
    """Offered as 2^63-1 bytes (no hash), the real bytes end with '$' far short of it."""
    return [peer.send_chunk(DATA, start=1, total=None, flag='$')]


def offered_empty(peer):
    """Offered as an empty file, then bytes come."""
    return [peer.send_chunk(DATA[:1000], start=1, total=None, flag='$')]


# case -> (what the peer sends, the statuses one of its chunks must get, the selector
# offered if not that of DATA)
HOSTILE_MSRP = {
    'offered-huge': (offered_huge, {400}, file_selector('victim.bin', size=2 ** 63 - 1)),
    'offered-empty': (offered_empty, {413}, file_selector('victim.bin', data=b'')),
    'gap': (gap, {400}),
    'overlap': (overlap, {400}),
    'wrong-total': (wrong_total, {400}),
    'past-size': (past_size, {413}),
    # the parser may see the body overrun its own Byte-Range first (400)
    'past-size-lying-range': (past_size_lying_range, {400, 413}),
    'early-end-then-second-end': (early_end_then_second_end, {400}),
    'second-message': (second_message, {400}),
    'hash-mismatch': (hash_mismatch, {400}),
    'interrupted': (interrupted, None),
    'dropped': (dropped, None),
}


@pytest.mark.parametrize('case', list(HOSTILE_MSRP))
def test_hostile_msrp_fails_cleanly(target, peer, root, case):
    send, status, selector = (HOSTILE_MSRP[case] + (None,))[:3]
    directory = os.path.join(root, 'in')
    os.mkdir(directory)
    path = offer(target, peer, selector or file_selector('victim.bin', data=DATA))
    accept(target, peer, path, directory)

    tids = send(peer)
    fail = wait_member(target, peer, path, 'DidFail')
    wait_member(target, peer, path, 'DidEnd')
    assert fail[1], fail
    seq = members(target, path)
    assert 'GotFile' not in seq, seq
    assert seq.index('DidFail') < seq.index('DidEnd'), seq
    assert target.get(path, 'State', FI) == 'failed'
    if status is not None:
        # some chunk was refused with the status for what it did wrong (the peer is told)
        codes = [peer.wait_msrp_response(t, 2) for t in tids]
        assert status & set(codes), (codes, context(target, peer, path))
    # no partial file, not even the hidden temporary one
    assert tree(root) == ['in'], tree(root)
    peer.bye()

    # and the daemon takes the next transfer
    target.rec.clear()
    got = good_transfer(target, peer, directory)
    assert tree(root) == ['in', 'in/after.bin'], tree(root)
    assert got == os.path.join(directory, 'after.bin')
    assert target.daemon.proc.poll() is None


# ---------------------------------------------------------------- (c) a failing receiver

def test_sender_gets_the_status_that_comes_after_the_bye(target, peer, root):
    """The peer takes the daemon's file offer, then fails the first chunk: its BYE goes
    out (and is answered) before its 413 to the chunk, as a receiver whose failure hangs
    up can do. DidNotDeliverFile still carries the 413, not 0."""
    src = os.path.join(root, 'out.bin')
    with open(src, 'wb') as f:
        f.write(DATA * 8)
    peer.answer_sends = False
    mi = 'org.sipsimple.SessionManager1'
    uri = 'sip:file@127.0.0.1:%d;transport=tcp' % peer.sip_local_port
    ta = target.daemon.call(SM, mi, 'SendFile', v('(osss)', ('/', uri, src, '')))[0]

    def first_chunk():
        for m in peer.msrp_messages:
            if m.method == 'SEND' and not m.body and not getattr(m, 'answered', False):
                peer.answer_msrp(m, 200, 'OK')     # a bodiless SEND that binds
                m.answered = True
        return next((m for m in peer.msrp_messages if m.method == 'SEND' and m.body), None)
    chunk = peer.wait(first_chunk)
    assert chunk is not None, context(target, peer, ta)
    assert peer.bye() == 200, context(target, peer, ta)
    peer.answer_msrp(chunk, 413, 'Too big for me')
    nd = wait_member(target, peer, ta, 'DidNotDeliverFile')
    assert nd[1] == 413, (nd, context(target, peer, ta))
    wait_member(target, peer, ta, 'DidEnd')
    assert members(target, ta)[-3:] == ['DidNotDeliverFile', 'DidFail', 'DidEnd'], \
        members(target, ta)
    assert target.get(ta, 'State', FI) == 'failed'
