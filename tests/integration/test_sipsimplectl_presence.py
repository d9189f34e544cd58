"""sipsimplectl subscribe / publish against kamailio's presence server, with two real
daemons (test_presence.py's peers): what `publish` sets, `subscribe` prints."""

import re
import signal
import subprocess

import sipsd
from test_presence import (KAMAILIO_OPTIONS, PUBI, SUBI, TIMEOUT, basic_of, peers,  # noqa: F401
                           pidf)
from test_sipsimplectl import failed, ok
from test_sipsimplectl_chat import ChatProcess, ctl_env, ctl_path


def ctl(peer, *args, timeout=40):
    return subprocess.run([ctl_path(), '--address', peer.bus.address] + [str(a) for a in args],
                          env=ctl_env(), capture_output=True, text=True, timeout=timeout)


class CtlProcess(ChatProcess):
    """A long-running sipsimplectl command (stdout read while the test's loop runs)."""

    def __init__(self, peer, *args):
        self.proc = subprocess.Popen(
            [ctl_path(), '--address', peer.bus.address] + [str(a) for a in args],
            env=ctl_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b''


def account_arg(peer):
    return peer.uri[len('sip:'):]


def test_publish_status_seen_by_subscribe(kam_factory, peers):
    kam = kam_factory()
    a = peers(kam, 'alice')
    b = peers(kam, 'bob')

    out = ok(ctl(a, 'publish', account_arg(a), '--status=open', '--note=at my desk & busy'))
    path, granted = out.splitlines()
    assert path.startswith('/org/sipsimple/Publication/') and granted.startswith('published for ')
    assert a.daemon.get(path, PUBI, 'State') == 'published'

    monitor = CtlProcess(b, 'monitor')
    monitor.wait_line(lambda l: l.startswith('Monitoring '))
    sub = CtlProcess(b, 'subscribe', account_arg(b), a.uri, 'presence')
    try:
        sub.wait_line(lambda l: '<basic>open</basic>' in l)
        sub.wait_line(lambda l: 'at my desk &amp; busy' in l)
        # monitor shows the new objects' signals with their argument names
        monitor.wait_line(lambda l: re.search(r' /org/sipsimple/Subscription/\d+ Subscription1\.'
                                              r"GotNotify content_type='application/pidf\+xml' "
                                              r"body='.*' subscription_state='active;expires=\d+'", l))
        monitor.wait_line(lambda l: re.search(r'Subscription1\.DidSucceed$', l))

        # a second publish updates the same publication (SIP-If-Match), not a new one
        out = ok(ctl(a, 'publish', account_arg(a), '--status=closed'))
        assert out.splitlines()[0] == path
        assert kam.presence_requests('PUBLISH')[-1]['ifmatch'] != ''
        sub.wait_line(lambda l: '<basic>closed</basic>' in l)

        # Ctrl-C: unsubscribes (Expires: 0 in the dialog), waits for the end, exit 0
        sub.proc.send_signal(signal.SIGINT)
        assert sub.wait_exit() == 0, sub.stderr_so_far()
        last = kam.presence_requests('SUBSCRIBE')[-1]
        assert last['expires'] == '0' and last['totag'], last
    finally:
        sub.stop()
        monitor.stop()

    ok(ctl(a, 'publish', account_arg(a), '--end'))
    assert a.daemon.get(path, PUBI, 'State') == 'unpublished'
    assert kam.presence_requests('PUBLISH')[-1]['expires'] == '0'
    assert 'no publication' in failed(ctl(a, 'publish', account_arg(a), '--end'))


def test_publish_file_and_bad_input(kam_factory, peers, tmp_path):
    kam = kam_factory()
    a = peers(kam, 'alice')
    doc = tmp_path / 'doc.xml'
    doc.write_text(pidf(a.uri, 'open', 'from a file'))

    out = ok(ctl(a, 'publish', account_arg(a), '--file', doc, '--type=application/pidf+xml',
                 'presence'))
    assert out.startswith('/org/sipsimple/Publication/')
    sub = CtlProcess(a, 'subscribe', account_arg(a), a.uri, 'presence')
    try:
        sub.wait_line(lambda l: 'from a file' in l)
    finally:
        sub.proc.send_signal(signal.SIGINT)
        sub.wait_exit()
        sub.stop()

    assert ctl(a, 'publish', '--status=maybe').returncode in (1, 2)
    assert ctl(a, 'publish', '--status=open', '--file', doc).returncode == 2
    assert ctl(a, 'publish', '--file', doc, 'presence').returncode == 2   # no --type
    assert 'InvalidArgument' in failed(ctl(a, 'subscribe', account_arg(a), 'not-a-uri', 'presence'))
    assert 'InvalidArgument' in failed(ctl(a, 'publish', account_arg(a), '--file', doc,
                                           '--type=nonsense', 'presence'))
    # the notifier refuses an unknown event: the failure is said, exit 1
    assert '489' in failed(ctl(a, 'subscribe', account_arg(a), a.uri, 'no-such-event'))
