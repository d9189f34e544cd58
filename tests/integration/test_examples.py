"""The example programs of tools/examples, each run as a user would (a separate process on
the daemon's bus) against real daemons, and judged by what they did: the answering
machine's WAV holds the caller's tone and the caller heard the greeting; the echo bot's
replies arrive after its is-composing; the shell script's exit status and the tone its
file put into the call; the JSON monitor's lines."""

import json
import os
import subprocess
import sys
import threading

import pytest

import sipsd
from sipsd import v
from test_audio import Peer, establish, hang_up, place_call
from test_play_audio_file import make_file, seconds, toned

SI = sipsd.SESSION_IFACE
EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools', 'examples')
CALLER_TONE, MACHINE_TONE, GREETING_TONE = 1000, 300, 440


class Example:
    """An example program on a daemon's bus; its output lines collected in a thread."""

    def __init__(self, name, peer, *args):
        self.proc = subprocess.Popen([os.path.join(EXAMPLES, name)] + list(args),
                                     env=dict(peer.daemon.env, PYTHONUNBUFFERED='1'),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines, self.errors = [], []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.errors), daemon=True).start()

    @staticmethod
    def _read(stream, lines):
        for line in stream:
            lines.append(line.rstrip('\n'))

    def wait_line(self, pred, timeout=10):
        assert sipsd.wait_until(lambda: any(pred(l) for l in self.lines) or self.proc.poll() is not None,
                                timeout), self.lines
        found = [l for l in self.lines if pred(l)]
        assert found, 'exited %s: %s\n%s' % (self.proc.poll(), self.lines, self.errors)
        return found[0]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope='module')
def greeting(tmp_path_factory):
    return make_file(str(tmp_path_factory.mktemp('greeting') / 'greeting.wav'), GREETING_TONE, 1.0, 'wavenc')


@pytest.fixture
def caller_machine():
    with sipsd.two_peers(lambda: Peer(CALLER_TONE), lambda: Peer(MACHINE_TONE)) as peers:
        yield peers


def test_answering_machine(caller_machine, greeting, tmp_path):
    c, m = caller_machine
    messages = str(tmp_path / 'messages')
    ex = Example('answering-machine.py', m, '--greeting', greeting, '--dir', messages,
                 '--answer-after', '1', '--max-length', '3')
    try:
        ex.wait_line(lambda l: 'ready' in l)
        # call 1: listen to the greeting, replay it with 1, leave a message, hang up with #
        pc, pm = place_call(c, m)
        c.wait(pc, 'DidStart', timeout=8)
        heard = os.path.join(c.dir, 'heard.wav')
        c.call(pc, 'StartRecordingAudio', v('(ss)', (c.dir, 'heard.wav')))
        m.wait(pm, 'DidStopPlayingAudioFile', timeout=5)
        c.call(pc, 'SendDTMF', v('(s)', ('1',)))
        m.wait(pm, 'DidStartPlayingAudioFile', pred=lambda a: len(
            [r for r in m.members(pm) if r[0] == 'DidStartPlayingAudioFile']) >= 2, timeout=5)
        saved = m.wait(pm, 'DidStartRecordingAudio')[1]
        sipsd.run_loop(1.5)
        c.call(pc, 'SendDTMF', v('(s)', ('#',)))
        assert c.wait(pc, 'DidEnd', timeout=5)[1] == 'remote'
        assert m.wait(pm, 'DidStopRecordingAudio')[1] == saved
        ex.wait_line(lambda l: 'message saved as ' + saved in l)
        c.wait(pc, 'DidStopRecordingAudio')
        # named after the caller (the user part of its From URI), in the directory given
        caller_user = m.props(pm)['RemoteUri'].split(':', 1)[1].split('@')[0]
        assert os.path.dirname(saved) == messages
        assert os.path.basename(saved).startswith(caller_user + '-') and saved.endswith('.wav')
        w = toned(saved)
        print('message: %.2f s, caller tone %.2f s' % (len(w) * 0.02, seconds(w, CALLER_TONE)))
        # the caller's DTMF ('1', '#') replace its audio for a few hundred ms
        assert len(w) * 0.02 >= 1.4
        assert seconds(w, CALLER_TONE) >= 0.9
        got = toned(heard)
        print('caller heard the greeting for %.2f s' % seconds(got, GREETING_TONE))
        assert seconds(got, GREETING_TONE) >= 1.5, 'greeting and its replay not heard'

        # call 2: no '#': the machine hangs up after --max-length
        pc, pm = place_call(c, m)
        c.wait(pc, 'DidStart', timeout=8)
        started = m.wait(pm, 'DidStartRecordingAudio', timeout=5)[0]
        ended = c.wait(pc, 'DidEnd', timeout=8)
        assert ended[1] == 'remote'
        assert 2.5 <= (ended[0] - started) / 1e6 <= 4.5
    finally:
        ex.stop()


@pytest.fixture
def pair():
    with sipsd.two_peers(lambda: Peer(CALLER_TONE), lambda: Peer(MACHINE_TONE)) as peers:
        yield peers


def test_chat_echo_bot(pair):
    a, b = pair
    bot = Example('chat-echo-bot.py', b)
    try:
        bot.wait_line(lambda l: 'ready' in l)
        pa = a.daemon.create_session()
        a.call(pa, 'New', v('(sosbb)', (b.uri('bot'), '/', '', False, True)))
        a.wait(pa, 'DidStart', timeout=8)
        for i, text in enumerate(('hello', 'grüß dich ✓')):
            a.call(pa, 'SendMessage', v('(sssx)', (text, 'text/plain', '', 0)))
            got = a.wait(pa, 'GotMessage', pred=lambda args, t=text: args[1] == 'echo: ' + t)
            assert got[2] == 'text/plain'
            kinds = [r[0] for r in a.members(pa) if r[0] in ('GotComposingIndication', 'GotMessage')]
            assert kinds[2 * i:2 * i + 2] == ['GotComposingIndication', 'GotMessage'], (kinds, bot.errors)
        a.call(pa, 'Terminate')
        a.wait(pa, 'DidEnd')
    finally:
        bot.stop()


def run_script(peer, *args):
    """call-and-play.sh in the background while this process's main loop runs."""
    proc = subprocess.Popen([os.path.join(EXAMPLES, 'call-and-play.sh')] + list(args),
                            env=peer.daemon.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert sipsd.wait_until(lambda: proc.poll() is not None, 40), 'the script did not finish'
    return proc.returncode, proc.stdout.read(), proc.stderr.read()


def test_call_and_play_script(pair, greeting):
    a, b = pair

    def accept(r):
        if r[1] == SI and r[2] == 'NewIncoming':
            b.call(r[0], 'Accept', v('(bb)', (True, False)))
        elif r[1] == SI and r[2] == 'DidStart':
            b.call(r[0], 'StartRecordingAudio', v('(ss)', (b.dir, 'script-%s.wav' % r[0].rsplit('/', 1)[1])))
    b.rec.on_record = accept
    rc, out, err = run_script(a, b.uri('bob'), greeting)
    assert rc == 0, (out, err)
    pb = [r[0] for r in b.rec.records if r[2] == 'NewIncoming'][0]
    assert b.wait(pb, 'DidEnd')[1] == 'remote'
    w = toned(b.wait(pb, 'DidStopRecordingAudio')[1])
    print('the script played %.2f s of the file' % seconds(w, GREETING_TONE))
    assert 0.8 <= seconds(w, GREETING_TONE) <= 1.2

    # nobody answers in time: exit 1, and the call is not left behind
    b.rec.on_record = None
    rc, out, err = run_script(a, b.uri('carol'), greeting, '2')
    assert rc == 1 and 'no answer' in err, (out, err)
    pb = [r[0] for r in b.rec.records if r[2] == 'NewIncoming'][-1]
    b.wait(pb, 'DidEnd')
    # a file that does not play: exit 1
    b.rec.on_record = accept
    rc, out, err = run_script(a, b.uri('dave'), '/nonexistent.wav')
    assert rc == 1 and 'cannot play' in err, (out, err)


def test_monitor_to_json(pair):
    a, b = pair
    mon = Example('monitor-to-json.py', a)
    try:
        # a line about a change made here proves the subscription is in place
        for i in range(50):
            a.set('UserAgent', v('s', 'json-%d' % i))
            if sipsd.wait_until(lambda: any('json-' in l for l in mon.lines), 0.2):
                break
        assert any('json-' in l for l in mon.lines), (mon.lines, mon.proc.poll())
        pa, pb = establish(a, b)
        hang_up(a, pa, b, pb)
        mon.wait_line(lambda l: '"DidEnd"' in l and pa in l)
    finally:
        mon.stop()
    records = [json.loads(l) for l in mon.lines]
    assert all(set(r) == {'time', 'path', 'interface', 'signal', 'args'} for r in records)
    ours = [r['signal'] for r in records if r['path'] == pa and r['interface'] == SI]
    for name in ('NewOutgoing', 'ChangedState', 'DidStart', 'WillEnd', 'DidEnd'):
        assert name in ours, ours
    assert ours.index('NewOutgoing') < ours.index('DidStart') < ours.index('DidEnd')
    assert any(r['signal'] == 'InterfacesAdded' and r['args'][0] == pa for r in records)
    changed = [r for r in records if r['signal'] == 'PropertiesChanged' and r['path'] == pa]
    assert any('State' in r['args'][1] for r in changed)
