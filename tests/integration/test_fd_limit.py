"""File descriptors under load (issue 12: at 400 calls/s the daemon ran out of them and
GLib aborted it). The daemon raises its soft limit to the hard one at start, and refuses
incoming calls (503 with Retry-After) before the calls it holds could use them up."""

import os
import shutil

import pytest

import peers
import sipsd

pytestmark = pytest.mark.skipif(shutil.which('prlimit') is None, reason='needs prlimit')

SETTINGS = dict(peers.LOOPBACK_SETTINGS, TerminatedSessionLinger=1,
                AudioInputDevice='audiotestsrc wave=silence is-live=true',
                AudioOutputDevice='fakesink')


def limited_daemon(bus, tmp_path, soft, hard):
    """A daemon started under prlimit (it execs the daemon: the same pid)."""
    wrapper = tmp_path / 'limited-sipsimpled'
    wrapper.write_text('#!/bin/sh\nexec prlimit --nofile=%d:%d -- %s "$@"\n'
                       % (soft, hard, sipsd._daemon_binary()))
    wrapper.chmod(0o755)
    d = sipsd.Daemon(bus, settings=SETTINGS)
    return d, str(wrapper)


def open_files_limits(pid):
    with open('/proc/%d/limits' % pid) as f:
        for line in f:
            if line.startswith('Max open files'):
                return tuple(int(x) for x in line.split()[3:5])
    raise AssertionError('no open files limit')


def start_with(d, wrapper, monkeypatch):
    monkeypatch.setattr(sipsd, '_daemon_binary', lambda: wrapper)
    d.start()


def test_soft_limit_raised_to_hard(bus, tmp_path, monkeypatch):
    d, wrapper = limited_daemon(bus, tmp_path, 512, 4096)
    try:
        start_with(d, wrapper, monkeypatch)
        assert open_files_limits(d.proc.pid) == (4096, 4096)
    finally:
        d.cleanup()


def open_fds(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def test_calls_refused_before_the_descriptors_run_out(bus, tmp_path, monkeypatch, sipp):
    # 256 descriptors are kept free: 400 leave room for a few dozen calls above idle
    d, wrapper = limited_daemon(bus, tmp_path, 400, 400)
    try:
        start_with(d, wrapper, monkeypatch)
        idle = open_fds(d.proc.pid)
        answer = peers.AutoAnswer(d, 'accept')
        most = [idle]
        uac = sipp('uac', remote='127.0.0.1:%d' % d.ports['udp'], calls=80, rate=40,
                   hold_ms=4000, service='service', trace_msg=False).start()

        def done():
            if d.proc.poll() is None:
                most[0] = max(most[0], open_fds(d.proc.pid))
            return not uac.running
        sipsd.wait_until(done, 40, interval=0.1)
        uac.stop()
        counts = uac.counts()
        answer.close()
        log = d.stderr_text()
        refused = log.count('the file descriptors may run out')
        print('sipp: %s; descriptors idle %d, at most %d; refused for descriptors: %d'
              % (counts, idle, most[0], refused))
        assert d.proc.poll() is None, 'the daemon died:\n' + log[-3000:]
        assert refused >= 1, log[-3000:]
        assert counts['successful'] >= 5 and counts['failed'] == refused
        assert most[0] < 400 - 128, 'the descriptors nearly ran out: %d' % most[0]
        # all gone: a call is taken again
        assert sipsd.wait_until(lambda: not d.get(sipsd.SESSION_MANAGER,
                                                  sipsd.SESSION_MANAGER_IFACE, 'Sessions'), 15)
        again = sipp('uac', remote='127.0.0.1:%d' % d.ports['udp'], calls=1, rate=1,
                     hold_ms=200, service='service', trace_msg=False).start()
        answer = peers.AutoAnswer(d, 'accept')
        sipsd.wait_until(lambda: not again.running, 15, interval=0.25)
        again.stop()
        answer.close()
        assert again.counts()['successful'] == 1
    finally:
        d.cleanup()
