"""Malformed and unusual SIP (RFC 4475 torture tests, RFC 5118 IPv6 set) sent raw at a
running daemon: it must stay up, leave no session stuck, answer OPTIONS and take a
normal call afterwards."""

import glob
import os
import socket
import uuid

import pytest

import peers
import sipsd

SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTDATA = os.path.normpath(os.path.join(REPO, '..', 'shared', 'testdata'))
# over TCP too: the framing cases (Content-Length too big / negative / two requests in
# one stream) and a few long or odd ones
TCP_SET = ['wsinv.dat', 'longreq.dat', 'dblreq.dat', 'clerr.dat', 'ncl.dat', 'mcl01.dat',
           'scalar02.dat', 'badvers.dat', 'escnull.dat', 'lwsstart.dat', 'mpart01.dat']


# the conftest daemon, with SIP and RTP on 127.0.0.1
DAEMON_SETTINGS = peers.LOOPBACK_SETTINGS


def torture_files():
    sets = {'rfc4475': sorted(glob.glob(os.path.join(TESTDATA, 'rfc4475', '*.dat'))),
            'rfc5118': sorted(p for p in glob.glob(os.path.join(TESTDATA, 'rfc5118', '*'))
                              if os.path.isfile(p))}
    for name, files in sets.items():
        if not files:
            pytest.fail('torture set %s missing: no files in %s' % (
                name, os.path.join(TESTDATA, name)))
    return sets['rfc4475'] + sets['rfc5118']


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def alive(daemon):
    """The process runs and answers on the bus."""
    if daemon.proc.poll() is not None:
        return False
    try:
        daemon.get(SM, SMI, 'Sessions')
        return True
    except Exception:
        return False


def context(daemon, *extra):
    return '\n'.join([str(e) for e in extra] +
                     ['--- daemon exit %s, stderr\n%s' % (daemon.proc.poll(),
                                                          daemon.stderr_text()[-8000:])])


def options_request(transport, local_port, daemon_port):
    branch = 'z9hG4bK' + uuid.uuid4().hex[:16]
    call_id = uuid.uuid4().hex + '@127.0.0.1'
    proto = 'UDP' if transport == 'udp' else 'TCP'
    msg = ('OPTIONS sip:anyone@127.0.0.1:{dp} SIP/2.0\r\n'
           'Via: SIP/2.0/{proto} 127.0.0.1:{lp};branch={branch};rport\r\n'
           'Max-Forwards: 70\r\n'
           'From: <sip:prober@127.0.0.1:{lp}>;tag={tag}\r\n'
           'To: <sip:anyone@127.0.0.1:{dp}>\r\n'
           'Call-ID: {cid}\r\n'
           'CSeq: 1 OPTIONS\r\n'
           'Contact: <sip:prober@127.0.0.1:{lp}>\r\n'
           'Accept: application/sdp\r\n'
           'Content-Length: 0\r\n\r\n').format(dp=daemon_port, lp=local_port, proto=proto,
                                               branch=branch, tag=uuid.uuid4().hex[:8],
                                               cid=call_id)
    return msg.encode(), call_id


def options_status(daemon, transport='udp', timeout=5.0):
    """Sends an OPTIONS to the daemon; returns the status code of its final answer."""
    port = daemon.ports[transport]
    if transport == 'udp':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        s.connect(('127.0.0.1', port))
    else:
        s = socket.create_connection(('127.0.0.1', port), 5)
    s.setblocking(False)
    data = [b'']
    try:
        msg, call_id = options_request(transport, s.getsockname()[1], port)
        s.send(msg)

        def final():
            try:
                chunk = s.recv(65536)
                data[0] += chunk
            except BlockingIOError:
                pass
            for part in data[0].split(b'SIP/2.0 ')[1:]:
                code = part[:3]
                if code.isdigit() and int(code) >= 200 and call_id.encode() in part:
                    return int(code)
            return None
        code = sipsd.wait_until(final, timeout, interval=0.02)
        assert code is not None, 'no final answer to OPTIONS over %s; got %r\n%s' % (
            transport, data[0][:2000], context(daemon))
        return code
    finally:
        s.close()


def settle_and_call(daemon, answer, tmp_path):
    """After the torture: no session left in a non-terminal state (incoming ones were
    rejected by `answer`), OPTIONS answered, a normal call from sipp accepted."""
    assert alive(daemon), context(daemon)
    left = sipsd.wait_until(lambda: not daemon.get(SM, SMI, 'Sessions'), 15)
    if not left:
        stuck = daemon.get(SM, SMI, 'Sessions')
        states = {p: daemon.get(p, sipsd.SESSION_IFACE, 'State') for p in stuck}
        raise AssertionError('sessions stuck after the torture: %s (rejected %s, errors %s)\n%s'
                             % (states, answer.incoming, answer.errors, context(daemon)))
    # Reject() can only race with a session that ended by itself
    bad = [e for e in answer.errors if 'InvalidState' not in e[2]]
    assert not bad, bad
    assert options_status(daemon, 'udp') == 200
    answer.action = 'accept'
    answer.incoming.clear()
    uac = peers.Sipp(str(tmp_path), 'uac', remote='127.0.0.1:%d' % daemon.ports['udp'],
                     calls=1, hold_ms=200, service='after-torture')
    try:
        uac.start()
        rc = uac.wait(20)
        assert rc == 0, 'no call after the torture\n%s' % context(daemon, uac.describe())
    finally:
        uac.stop()
    assert len(answer.incoming) == 1
    assert alive(daemon), context(daemon)


def test_torture_udp(daemon, tmp_path):
    files = torture_files()
    answer = peers.AutoAnswer(daemon, 'reject')
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    try:
        for path in files:
            s.sendto(read(path), ('127.0.0.1', daemon.ports['udp']))
            # a bus round trip after each datagram: a crash is pinned to its message
            assert alive(daemon), 'daemon died on %s\n%s' % (path, context(daemon))
        settle_and_call(daemon, answer, tmp_path)
    finally:
        s.close()
        answer.close()


def test_torture_tcp(daemon, tmp_path):
    files = [os.path.join(TESTDATA, 'rfc4475', f) for f in TCP_SET]
    for p in files:
        if not os.path.exists(p):
            pytest.fail('torture message missing: %s' % p)
    answer = peers.AutoAnswer(daemon, 'reject')
    conns = []
    try:
        for path in files:
            c = socket.create_connection(('127.0.0.1', daemon.ports['tcp']), 5)
            conns.append(c)
            c.sendall(read(path))
            assert alive(daemon), 'daemon died on %s (TCP)\n%s' % (path, context(daemon))
        # also everything at once on one connection (framing recovery)
        c = socket.create_connection(('127.0.0.1', daemon.ports['tcp']), 5)
        conns.append(c)
        c.sendall(b''.join(read(p) for p in files))
        assert alive(daemon), context(daemon)
        for c in conns:
            c.close()
        conns = []
        assert options_status(daemon, 'tcp') == 200
        settle_and_call(daemon, answer, tmp_path)
    finally:
        for c in conns:
            c.close()
        answer.close()
