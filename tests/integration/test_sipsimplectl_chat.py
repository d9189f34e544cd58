"""sipsimplectl's chat commands (chat, send-message, answer --chat --no-audio) between two
real daemons, each on its own private bus (see test_chat.py).

`sipsimplectl chat` runs as a subprocess with pipes, as a user at a terminal would: what
is written to its stdin must arrive at the other daemon (GotMessage), what the other side
sends must show on its stdout with the sender and a time, and the end of its input must
end the session."""

import os
import re
import select
import subprocess

import pytest

import sipsd
from test_chat import CI, SI, TIMEOUT, make_pair, new_incoming
from test_sipsimplectl import failed, ok


def ctl_path():
    path = os.environ.get('SIPSIMPLECTL')
    if not path:
        pytest.skip('SIPSIMPLECTL is not set')
    return path


def ctl_env():
    env = dict(os.environ, LC_ALL='C.UTF-8', TZ='UTC')
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    return env


def ctl(peer, *args, timeout=40):
    """sipsimplectl --address=<the peer's bus> ARGS... (run to completion)"""
    return subprocess.run([ctl_path(), '--address', peer.bus.address] + [str(a) for a in args],
                          env=ctl_env(), capture_output=True, text=True, timeout=timeout)


class ChatProcess:
    """`sipsimplectl chat` with its stdin and stdout on pipes; stdout is read without
    blocking while the test's main loop runs (the daemons' signals keep arriving)."""

    def __init__(self, peer, *args):
        self.proc = subprocess.Popen(
            [ctl_path(), '--address', peer.bus.address, 'chat'] + [str(a) for a in args],
            env=ctl_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.out = b''

    def _read(self):
        fd = self.proc.stdout.fileno()
        while select.select([fd], [], [], 0)[0]:
            data = os.read(fd, 65536)
            if not data:
                break
            self.out += data

    def lines(self):
        self._read()
        return self.out.decode('utf-8', 'replace').splitlines()

    def wait_line(self, predicate, timeout=TIMEOUT):
        line = sipsd.wait_until(lambda: next((l for l in self.lines() if predicate(l)), None),
                                timeout, interval=0.02)
        assert line, 'no such line in %r; stderr: %r' % (self.lines(), self.stderr_so_far())
        return line

    def stderr_so_far(self):
        fd = self.proc.stderr.fileno()
        data = b''
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        return data.decode('utf-8', 'replace')

    def write_line(self, text):
        self.proc.stdin.write((text + '\n').encode())
        self.proc.stdin.flush()

    def close_input(self):
        self.proc.stdin.close()

    def wait_exit(self, timeout=TIMEOUT):
        assert sipsd.wait_until(lambda: self.proc.poll() is not None, timeout, interval=0.02), \
            'chat did not exit; output %r' % self.lines()
        self._read()
        return self.proc.returncode

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        err = self.stderr_so_far()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if not f.closed:
                f.close()
        assert 'Sanitizer' not in err and 'runtime error' not in err, err


@pytest.fixture(scope='module')
def pair():
    a, b = make_pair(True)
    yield a, b
    a.stop()
    b.stop()


def test_chat_both_ways_and_end_of_input(pair):
    a, b = pair
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    chat = ChatProcess(a, b.uri())
    try:
        pb, args = new_incoming(b, seen)
        assert args[1:] == (False, True), args  # chat only
        assert ok(ctl(b, 'answer', '--chat', '--no-audio')) == ''
        b.wait(pb + '/Chat', 'DidStart', CI)
        chat.wait_line(lambda l: l.startswith('(chatting with %s' % b.uri()))

        # a line typed at A arrives at B, as text/plain from A
        chat.write_line('Hello from A \u00e9')
        got = b.wait(pb, 'GotMessage')
        assert got[1:3] == ('Hello from A \u00e9', 'text/plain'), got
        assert got[3]['From'].endswith('<%s>' % b.get(pb, 'RemoteUri')), got

        # B's send-message: printed with the id and the outcome, shown by A's chat
        # with B's identity and a time
        res = ctl(b, 'send-message', 'Hi A, from B')
        out = ok(res).splitlines()
        assert len(out) == 2 and out[0] and out[1] == 'delivered: 200 OK', res
        delivered = b.wait(pb, 'DidDeliverMessage')
        assert delivered[1] == out[0], (delivered, out)
        b_uri = b.get(pb, 'LocalUri')
        line = chat.wait_line(lambda l: l.endswith(': Hi A, from B'))
        assert re.match(r'^\[\d\d:\d\d:\d\d\] ', line), line
        assert '<%s>' % b_uri in line or ('] %s:' % b_uri) in line, (line, b_uri)

        # naming the session and the content type
        res = ctl(b, 'send-message', pb, '<b>bold</b>', '--type=text/html')
        assert ok(res).splitlines()[1] == 'delivered: 200 OK', res
        chat.wait_line(lambda l: l.endswith(': <b>bold</b>'))

        # Ctrl-D: the session ends on both sides and chat exits 0
        chat.close_input()
        b.wait(pb, 'DidEnd')
        assert chat.wait_exit() == 0, chat.stderr_so_far()
        assert b.signals(pb, 'DidEnd')[0][1] == 'remote'
        assert not b.signals(pb, 'DidFail')
    finally:
        chat.stop()


def test_chat_shows_is_composing_once(pair):
    a, b = pair
    seen = {r[0] for r in b.rec.records if r[2] == 'NewIncoming'}
    chat = ChatProcess(a, b.uri())
    try:
        pb, _ = new_incoming(b, seen)
        ok(ctl(b, 'answer', '--chat', '--no-audio'))
        chat.wait_line(lambda l: l.startswith('(chatting with'))
        for _ in range(2):
            b.call(pb, 'SendComposingIndication', sipsd.v('(s)', ('active',)))
        chat.wait_line(lambda l: l == '(peer is typing)')
        ok(ctl(b, 'send-message', 'done typing'))
        chat.wait_line(lambda l: l.endswith(': done typing'))
        assert chat.lines().count('(peer is typing)') == 1, chat.lines()

        # the remote party hangs up: chat says so and exits 0
        ok(ctl(b, 'hangup'))
        assert chat.wait_exit() == 0, chat.stderr_so_far()
        assert any(l.endswith('ended the chat)') for l in chat.lines()), chat.lines()
    finally:
        chat.stop()


def test_chat_to_nobody_fails(pair):
    a, b = pair
    chat = ChatProcess(a, b.uri('nobody').replace(str(b.daemon.ports['udp']),
                                                  str(sipsd.free_port('udp'))),
                       '--route', 'sip:127.0.0.1:%d;transport=tcp' % sipsd.free_port('tcp'))
    try:
        assert chat.wait_exit(timeout=40) == 1
        assert chat.stderr_so_far().startswith('sipsimplectl: the session failed: '), \
            chat.lines()
    finally:
        chat.stop()


def test_send_message_without_chat_session(pair):
    a, _ = pair
    assert 'there is no established session with chat' in failed(ctl(a, 'send-message', 'x'))
    assert ctl(a, 'send-message').returncode == 2
