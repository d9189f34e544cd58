"""sipsimplectl's file transfer commands (send-file, transfers, accept-file, reject-file,
cancel-file) between two real daemons, each on its own private bus (see test_chat.py).

send-file runs as a subprocess with its output in files (not a terminal): it must print
the transfer's object, plain progress lines on stderr and exit 0 only once the file is
delivered; accept-file on the other daemon prints the path of the file it received,
which must hold the same bytes."""

import hashlib
import os
import pty
import re
import select
import subprocess

import pytest

import sipsd
from test_chat import TIMEOUT, make_pair
from test_sipsimplectl import failed, ok
from sipsd import v
from test_sipsimplectl_chat import ctl, ctl_env, ctl_path

FI = 'org.sipsimple.MSRPFileTransfer1'
MI = sipsd.SESSION_MANAGER_IFACE
PROGRESS = re.compile(r'^progress: (\d+)/(\d+) bytes \((\d+)%\)$')


class CtlProcess:
    """sipsimplectl ARGS... in the background, stdout and stderr into files (so the
    test's main loop keeps running and no pipe fills up)."""

    def __init__(self, peer, tmp_path, *args, cwd=None):
        self.name = args[0]
        self.out_path = tmp_path / ('%s-%d.out' % (self.name, id(self)))
        self.err_path = tmp_path / ('%s-%d.err' % (self.name, id(self)))
        with open(self.out_path, 'wb') as out, open(self.err_path, 'wb') as err:
            self.proc = subprocess.Popen(
                [ctl_path(), '--address', peer.bus.address] + [str(a) for a in args],
                env=ctl_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd)

    def stdout(self):
        return self.out_path.read_text('utf-8', 'replace')

    def stderr(self):
        return self.err_path.read_text('utf-8', 'replace')

    def wait_exit(self, timeout=TIMEOUT * 3):
        assert sipsd.wait_until(lambda: self.proc.poll() is not None, timeout, interval=0.02), \
            '%s did not exit; stdout %r stderr %r' % (self.name, self.stdout(), self.stderr())
        return self.proc.returncode

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        err = self.stderr()
        assert 'Sanitizer' not in err and 'runtime error' not in err, err


@pytest.fixture(scope='module')
def pair():
    a, b = make_pair(True)
    yield a, b
    a.stop()
    b.stop()


def incoming_transfer(b, seen=()):
    """The object of B's next IncomingFileTransfer (one not in `seen`)."""
    r = b.rec.wait_for(lambda r: r[1] == MI and r[2] == 'IncomingFileTransfer'
                       and r[3][1] not in seen, TIMEOUT)
    assert r, 'B got no file offer\n' + b.daemon.stderr_text()[-3000:]
    return r[3][1]


def offered(b):
    return {r[3][1] for r in b.rec.records if r[1] == MI and r[2] == 'IncomingFileTransfer'}


def write_random(path, size):
    data = os.urandom(size)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def transfer_rows(peer):
    """`transfers` as {path: (direction, state, size, progress, name)}."""
    lines = ok(ctl(peer, 'transfers')).splitlines()
    assert lines[0].split() == ['PATH', 'DIRECTION', 'STATE', 'SIZE', 'PROGRESS', 'NAME'], lines
    rows = {}
    for line in lines[1:]:
        path, direction, state, size, progress, name = line.split(None, 5)
        rows[path] = (direction, state, int(size), progress, name)
    return rows


def test_send_file_piped_and_accept_file(pair, tmp_path):
    a, b = pair
    src = tmp_path / 'src'
    src.mkdir()
    inbox = tmp_path / 'inbox'
    inbox.mkdir()
    size = 3 * 1024 * 1024 + 17
    digest = write_random(src / 'quarterly report.bin', size)
    seen = offered(b)

    # a relative PATH: send-file makes it absolute for the daemon
    sender = CtlProcess(a, tmp_path, 'send-file', b.uri('files'), 'quarterly report.bin', cwd=src)
    try:
        tb = incoming_transfer(b, seen)
        assert b.get(tb, 'State', FI) == 'offered'

        # transfers lists the offer on B with its size and name
        rows = transfer_rows(b)
        assert rows[tb] == ('incoming', 'offered', size, '0%', 'quarterly report.bin'), rows

        res = ctl(b, 'accept-file', str(inbox), timeout=120)
        received = ok(res).strip()
        assert received == str(inbox / 'quarterly report.bin'), res
        with open(received, 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
        assert sorted(os.listdir(inbox)) == ['quarterly report.bin']  # nothing left over
        assert b.wait(tb, 'GotFile', FI)[1] == received

        assert sender.wait_exit() == 0, sender.stderr()
        out = sender.stdout().splitlines()
        ta = out[0]
        assert ta.startswith('/org/sipsimple/FileTransfer/'), out
        assert a.get(ta, 'FilePath', FI) == str(src / 'quarterly report.bin')
        assert re.match(r'^delivered: %d bytes \(\d+\.\d MiB/s\)$' % size, out[-1]), out
        assert a.signals(ta, 'DidDeliverFile', FI)

        # not a terminal: plain progress lines, no bar; they grow to the total
        err = sender.stderr()
        assert '\r' not in err and '\033' not in err, err
        progress = [PROGRESS.match(l) for l in err.splitlines()]
        assert progress and all(progress), err
        sent = [int(m.group(1)) for m in progress]
        assert sent == sorted(sent) and sent[-1] == size, err
        assert all(int(m.group(2)) == size for m in progress), err
        assert progress[-1].group(3) == '100'

        # both ends listed as completed
        assert sipsd.wait_until(lambda: transfer_rows(a).get(ta, ('',) * 2)[1] == 'completed',
                                TIMEOUT)
        row = transfer_rows(a)[ta]
        assert row == ('outgoing', 'completed', size, '100%', 'quarterly report.bin'), row
        assert transfer_rows(b)[tb][:4] == ('incoming', 'completed', size, '100%')
    finally:
        sender.stop()


def test_progress_bar_on_a_terminal(pair, tmp_path):
    """stderr on a terminal: one line redrawn ("\\r[###---] 42% ..."), ended by a newline."""
    a, b = pair
    size = 2 * 1024 * 1024
    write_random(tmp_path / 'shown.bin', size)
    inbox = tmp_path / 'inbox'
    inbox.mkdir()
    seen = offered(b)
    master, slave = pty.openpty()
    out_path = tmp_path / 'send-file.out'
    with open(out_path, 'wb') as out:
        proc = subprocess.Popen([ctl_path(), '--address', a.bus.address, 'send-file', b.uri(),
                                 tmp_path / 'shown.bin'], env=ctl_env(),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=slave)
    os.close(slave)
    tty = b''
    try:
        tb = incoming_transfer(b, seen)
        b.call(tb, 'Accept', v('(s)', (str(inbox),)), iface=FI)
        b.wait(tb, 'GotFile', FI, timeout=60)

        def read_tty():
            nonlocal tty
            while select.select([master], [], [], 0)[0]:
                try:
                    data = os.read(master, 65536)
                except OSError:   # the other end closed
                    return proc.poll() is not None
                if not data:
                    break
                tty += data
            return proc.poll() is not None
        assert sipsd.wait_until(read_tty, TIMEOUT * 3, interval=0.02)
        read_tty()
        assert proc.returncode == 0, tty
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = tty.decode('utf-8', 'replace')
    assert re.search(r'\r\[#{30}\] 100% 2\.0/2\.0 MiB [\d.]+ MiB/s\x1b\[K', text), repr(text)
    assert 'progress:' not in text
    assert text.endswith('\n') or text.endswith('\r\n'), repr(text[-80:])
    assert out_path.read_text().splitlines()[-1].startswith('delivered: %d bytes' % size)


def test_reject_file_gives_the_sender_the_code(pair, tmp_path):
    a, b = pair
    write_random(tmp_path / 'unwanted.txt', 1000)
    seen = offered(b)
    sender = CtlProcess(a, tmp_path, 'send-file', b.uri(), tmp_path / 'unwanted.txt',
                        '--content-type=text/plain')
    try:
        tb = incoming_transfer(b, seen)
        assert b.get(tb, 'ContentType', FI) == 'text/plain'
        assert ok(ctl(b, 'reject-file')) == ''
        assert sender.wait_exit() == 1
        ta = sender.stdout().splitlines()[0]
        code, reason = a.wait(ta, 'DidNotDeliverFile', FI)[1:3]
        assert 400 <= code < 700, code
        err = sender.stderr()
        assert 'sipsimplectl: not delivered: %d %s' % (code, reason) in err, err
        assert 'delivered:' not in sender.stdout()
        b.wait(tb, 'DidEnd', FI)
        # nothing offered any more
        assert 'no file is offered' in failed(ctl(b, 'accept-file'))
    finally:
        sender.stop()


def test_cancel_file_by_the_sender(pair, tmp_path):
    a, b = pair
    write_random(tmp_path / 'second thoughts.bin', 4096)
    seen = offered(b)
    sender = CtlProcess(a, tmp_path, 'send-file', b.uri(), tmp_path / 'second thoughts.bin')
    try:
        tb = incoming_transfer(b, seen)
        ta = sipsd.wait_until(lambda: (sender.stdout().splitlines() or [None])[0], TIMEOUT)
        assert ta, sender.stderr()
        assert ok(ctl(a, 'cancel-file', ta.rsplit('/', 1)[1])) == ''
        assert sender.wait_exit() == 1
        assert 'sipsimplectl: not delivered: ' in sender.stderr(), sender.stderr()
        a.wait(ta, 'DidEnd', FI)
        b.wait(tb, 'DidEnd', FI)
        assert b.get(tb, 'State', FI) in ('cancelled', 'failed')
    finally:
        sender.stop()


def test_accept_file_into_a_missing_directory_keeps_the_offer(pair, tmp_path):
    a, b = pair
    write_random(tmp_path / 'kept.bin', 2048)
    seen = offered(b)
    sender = CtlProcess(a, tmp_path, 'send-file', b.uri(), tmp_path / 'kept.bin')
    try:
        tb = incoming_transfer(b, seen)
        number = tb.rsplit('/', 1)[1]
        err = failed(ctl(b, 'accept-file', 'transfer/' + number, tmp_path / 'no such dir'))
        assert 'InvalidArgument' in err, err
        assert b.get(tb, 'State', FI) == 'offered'
        # the offer is still there to take, named by number
        inbox = tmp_path / 'inbox'
        inbox.mkdir()
        got = ok(ctl(b, 'accept-file', number, inbox, timeout=60)).strip()
        assert got == str(inbox / 'kept.bin')
        assert (inbox / 'kept.bin').read_bytes() == (tmp_path / 'kept.bin').read_bytes()
        assert sender.wait_exit() == 0, sender.stderr()
    finally:
        sender.stop()


def test_wrong_arguments(pair, tmp_path):
    a, b = pair
    for args in (['send-file'], ['send-file', b.uri()], ['send-file', 'x', 'y', 'z'],
                 ['send-file', '', 'y'], ['send-file', '--bogus', b.uri(), 'y'],
                 ['transfers', 'extra'], ['accept-file', '1', 'dir', 'extra'],
                 ['reject-file', '1', '2'], ['cancel-file', '1', '2']):
        r = ctl(a, *args)
        assert r.returncode == 2 and 'Usage: sipsimplectl ' + args[0] in r.stderr, (args, r)

    # the daemon's refusals, by their short names; nothing is created
    before = set(transfer_rows(a))
    err = failed(ctl(a, 'send-file', b.uri(), tmp_path / 'missing.bin'))
    assert 'InvalidArgument' in err, err
    err = failed(ctl(a, 'send-file', b.uri(), tmp_path))  # a directory
    assert 'InvalidArgument' in err, err
    (tmp_path / 'f').write_bytes(b'x')
    err = failed(ctl(a, 'send-file', '--account=account/999', b.uri(), tmp_path / 'f'))
    assert 'NotFound' in err, err
    err = failed(ctl(a, 'send-file', '--account=nobody@example.invalid', b.uri(), tmp_path / 'f'))
    assert 'no account' in err, err
    assert set(transfer_rows(a)) == before

    # nothing to pick, or a transfer that does not exist
    assert 'no file is offered' in failed(ctl(a, 'reject-file'))
    assert 'no file transfer is under way' in failed(ctl(a, 'cancel-file'))
    assert 'no file transfer at /org/sipsimple/FileTransfer/999' in \
        failed(ctl(a, 'reject-file', 'transfer/999'))
    assert 'no file transfer at' in failed(ctl(a, 'accept-file', '999', tmp_path))
    # a session is not a transfer
    pa = a.daemon.create_session()
    assert 'no file transfer at %s' % pa in failed(ctl(a, 'cancel-file', pa))
