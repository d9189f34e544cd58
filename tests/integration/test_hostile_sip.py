"""Hostile SIP beyond the RFC 4475/5118 torture messages (test_torture.py): malformed SDP
in an INVITE and in a re-INVITE, an INVITE flood that never ACKs, oversized and
incomplete messages over TCP, and peers that vanish in the middle of a transaction. The
daemon must answer what it refuses with a reason, keep an established call through a
bad re-INVITE, and stay usable: OPTIONS answered and a normal call taken, during and
after. Whether the flood's sessions end by themselves is the ACK timeout's business;
these tests print what became of them."""

import collections
import socket
import time
import uuid

import pytest

import peers
import sipsd
from sipsd import v
from test_torture import alive, context, options_status

SI = sipsd.SESSION_IFACE
SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
TIMEOUT = 10.0
# the conftest daemon, with SIP and RTP on 127.0.0.1
DAEMON_SETTINGS = peers.LOOPBACK_SETTINGS


def sdp(*lines):
    return ''.join(ln + '\r\n' for ln in lines)


HEAD = ('v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-')
GOOD_C = 'c=IN IP4 127.0.0.1'
# name -> (body, whether our own check refuses it: 488 with a Warning; else sofia's 400)
BAD_OFFERS = {
    'not-sdp': ('this is not SDP at all\r\n', False),
    'binary': (bytes(range(256)), False),
    'no-version': (sdp(*HEAD[1:], GOOD_C, 't=0 0', 'm=audio 4000 RTP/AVP 0'), False),
    'truncated': (sdp(*HEAD, GOOD_C, 't=0 0') + 'm=aud', False),
    'bad-payload-types': (sdp(*HEAD, GOOD_C, 't=0 0', 'm=audio 4000 RTP/AVP 300000 -1 abc'), False),
    'empty-rtpmap': (sdp(*HEAD, GOOD_C, 't=0 0', 'm=audio 4000 RTP/AVP 96', 'a=rtpmap:96 '), False),
    'no-connection': (sdp(*HEAD, 't=0 0', 'm=audio 4000 RTP/AVP 0'), False),
    'no-media': (sdp(*HEAD, GOOD_C, 't=0 0'), True),
    'port-out-of-range': (sdp(*HEAD, GOOD_C, 't=0 0', 'm=audio 999999 RTP/AVP 0'), True),
    'bad-address': (sdp(*HEAD, 'c=IN IP4 999.1.1.1.1', 't=0 0', 'm=audio 4000 RTP/AVP 0'), True),
    'msrp-path-garbage': (sdp(*HEAD, GOOD_C, 't=0 0', 'm=message 2855 TCP/MSRP *',
                              'a=path:garbage', 'a=accept-types:text/plain'), True),
}


def request(method, transport, local_port, daemon_port, body=b'', content_length=None,
            extra='', user='anyone'):
    """A raw request from 127.0.0.1:local_port; returns (bytes, Call-ID)."""
    if isinstance(body, str):
        body = body.encode()
    call_id = uuid.uuid4().hex + '@127.0.0.1'
    head = ('{m} sip:{u}@127.0.0.1:{dp} SIP/2.0\r\n'
            'Via: SIP/2.0/{proto} 127.0.0.1:{lp};branch=z9hG4bK{br};rport\r\n'
            'Max-Forwards: 70\r\n'
            'From: <sip:hostile@127.0.0.1:{lp}>;tag={tag}\r\n'
            'To: <sip:{u}@127.0.0.1:{dp}>\r\n'
            'Call-ID: {cid}\r\n'
            'CSeq: 1 {m}\r\n'
            'Contact: <sip:hostile@127.0.0.1:{lp};transport={tr}>\r\n'
            '{extra}'
            '{ctype}'
            'Content-Length: {n}\r\n\r\n').format(
                m=method, u=user, dp=daemon_port, lp=local_port, proto=transport.upper(),
                tr=transport, br=uuid.uuid4().hex, tag=uuid.uuid4().hex[:8], cid=call_id,
                extra=extra, ctype='Content-Type: application/sdp\r\n' if body else '',
                n=len(body) if content_length is None else content_length)
    return head.encode() + body, call_id


def responses(data, call_id):
    """[(code, reason phrase, {header lowercase: value})] of the responses in data."""
    out = []
    for part in data.split(b'SIP/2.0 ')[1:]:
        text = part.decode(errors='replace')
        if call_id not in text:
            continue
        first, _, rest = text.partition('\r\n')
        code, _, phrase = first.partition(' ')
        headers = {}
        for ln in rest.split('\r\n\r\n', 1)[0].split('\r\n'):
            name, _, value = ln.partition(':')
            headers.setdefault(name.strip().lower(), value.strip())
        if code.isdigit():
            out.append((int(code), phrase, headers))
    return out


class Conn:
    """A UDP or TCP socket at the daemon that collects what comes back."""

    def __init__(self, daemon, transport):
        self.port = daemon.ports[transport]
        self.transport = transport
        if transport == 'udp':
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind(('127.0.0.1', 0))
            self.sock.connect(('127.0.0.1', self.port))
        else:
            self.sock = socket.create_connection(('127.0.0.1', self.port), 5)
        self.sock.setblocking(False)
        self.local_port = self.sock.getsockname()[1]
        self.data = b''
        self.closed = False

    def send(self, payload):
        try:
            self.sock.sendall(payload)
        except OSError:
            self.closed = True

    def poll(self):
        try:
            chunk = self.sock.recv(1 << 20)
            if not chunk and self.transport == 'tcp':
                self.closed = True
            self.data += chunk
        except BlockingIOError:
            pass
        except OSError:
            self.closed = True

    def wait_final(self, call_id, timeout=TIMEOUT):
        def final():
            self.poll()
            got = [r for r in responses(self.data, call_id) if r[0] >= 200]
            return got[0] if got else None
        return sipsd.wait_until(final, timeout, interval=0.02)

    def wait_closed(self, timeout):
        return sipsd.wait_until(lambda: self.poll() or self.closed, timeout, interval=0.02)

    def close(self):
        self.sock.close()


def sessions(daemon):
    return daemon.get(SM, SMI, 'Sessions')


def session_states(daemon):
    return collections.Counter(daemon.get(p, SI, 'State') for p in sessions(daemon))


def normal_call(daemon, tmp_path, name):
    """A normal call from sipp's built-in UAC (the test's AutoAnswer accepts it)."""
    uac = peers.Sipp(str(tmp_path / name), 'uac', remote='127.0.0.1:%d' % daemon.ports['udp'],
                     calls=1, hold_ms=200, service=name, trace_msg=False)
    try:
        uac.start()
        rc = uac.wait(20)
        assert rc == 0, 'the normal call failed\n%s' % context(daemon, uac.describe())
    finally:
        uac.stop()


def still_usable(daemon, tmp_path, name='after'):
    assert alive(daemon), context(daemon)
    assert options_status(daemon, 'udp') == 200
    assert options_status(daemon, 'tcp') == 200
    answer = peers.AutoAnswer(daemon, 'accept')
    try:
        normal_call(daemon, tmp_path, name)
    finally:
        answer.close()


# ---------------------------------------------------------------- malformed SDP

@pytest.mark.parametrize('name', list(BAD_OFFERS))
def test_malformed_sdp_in_invite_is_refused(daemon, recorder, tmp_path, name):
    body, ours = BAD_OFFERS[name]
    conn = Conn(daemon, 'udp')
    try:
        msg, call_id = request('INVITE', 'udp', conn.local_port, conn.port, body)
        conn.send(msg)
        final = conn.wait_final(call_id)
    finally:
        conn.close()
    assert final, 'no final answer to %s\n%s' % (name, context(daemon))
    code, phrase, headers = final
    assert code in (400, 488), final
    if ours:
        # our check: 488 with a Warning that says why
        assert code == 488 and headers.get('warning', '').startswith('399 '), final
    else:
        assert phrase.strip(), final
    # no session was made of it, and the daemon goes on
    assert not recorder.find(lambda r: r[2] == 'NewIncoming'), recorder.records
    assert not sessions(daemon)
    assert alive(daemon) and options_status(daemon, 'udp') == 200, context(daemon)


@pytest.mark.parametrize('name', ['not-sdp', 'port-out-of-range', 'no-media', 'bad-address'])
def test_malformed_sdp_in_reinvite_keeps_the_call(daemon, recorder, sipp, name):
    body = BAD_OFFERS[name][0]
    if name == 'no-media':
        body = sdp(*HEAD, GOOD_C, 't=0 0')   # no m-line at all: RFC 3264 forbids dropping them
    answer = peers.AutoAnswer(daemon, 'accept')
    try:
        uac = sipp('uac_bad_reinvite.xml', remote='127.0.0.1:%d' % daemon.ports['udp'],
                   service='anyone', keys={'bad_sdp': body.rstrip('\r\n')})
        uac.start()
        assert sipsd.wait_until(lambda: answer.started, TIMEOUT), uac.describe()
        path = answer.started[0]
        port = daemon.get(path, SI, 'AudioRemoteRtpPortSdp')
        assert port == uac.media_port

        def refused():
            for block in uac.messages().split('-----'):
                if 'CSeq: 2 INVITE' in block and ('SIP/2.0 400' in block or 'SIP/2.0 488' in block):
                    return block
            return None
        block = sipsd.wait_until(refused, TIMEOUT)
        assert block, 'the bad re-INVITE was not refused\n%s' % uac.describe()
        if 'SIP/2.0 488' in block:
            assert 'Warning: 399 ' in block, block
        # the call is as it was (sipp waits 1.5 s before its next, good re-INVITE)
        assert daemon.get(path, SI, 'State') == 'ESTABLISHED'
        assert daemon.get(path, SI, 'AudioRemoteRtpPortSdp') == port
        assert not answer.failed, answer.failed
        # the good re-INVITE is answered and sipp's BYE ends the call
        assert uac.wait(20) == 0, uac.describe()
        assert peers.wait_session_signal(recorder, path, 'DidEnd', TIMEOUT)
        assert peers.session_signals(recorder, path, ['DidEnd'])[0][1][1] == 'remote'
        assert not answer.failed, answer.failed
    finally:
        answer.close()


# ---------------------------------------------------------------- flood

def test_invite_flood_without_ack(daemon, tmp_path, sipp):
    """150 INVITEs at 50/s, each accepted, none ever ACKed: OPTIONS and a normal call go
    through during the flood and after it."""
    answer = peers.AutoAnswer(daemon, 'accept')
    try:
        flood = sipp('uac_no_ack.xml', remote='127.0.0.1:%d' % daemon.ports['udp'],
                     service='flood', calls=150, rate=50, trace_msg=False)
        flood.start()
        assert sipsd.wait_until(lambda: len(answer.accepted) >= 20, TIMEOUT), flood.describe()
        assert flood.running
        t = time.monotonic()
        assert options_status(daemon, 'udp') == 200
        normal_call(daemon, tmp_path, 'during')
        during = time.monotonic() - t
        assert flood.running, 'the flood ended before the checks (%.1f s)' % during
        assert flood.wait(30) == 0, flood.describe()
        still_usable(daemon, tmp_path)
        assert len(answer.accepted) >= 150 + 1
        assert not [e for e in answer.errors if 'InvalidState' not in e[2]], answer.errors
        print('flood: OPTIONS + a normal call during it took %.2f s; sessions left now: %s'
              % (during, dict(session_states(daemon))))
    finally:
        answer.close()


# ---------------------------------------------------------------- oversized TCP

def big_body():
    return sdp(*HEAD, GOOD_C, 't=0 0', 'm=audio 4000 RTP/AVP 0', 'a=x-pad:' + 'A' * 262144)


@pytest.mark.parametrize('case', ['256k-body', '256k-header', '1m-unterminated-header',
                                  'content-length-beyond-limit', 'content-length-2g'])
def test_oversized_tcp_message_is_refused(daemon, recorder, tmp_path, case):
    conn = Conn(daemon, 'tcp')
    try:
        lp, dp = conn.local_port, conn.port
        if case == '256k-body':
            msg, call_id = request('INVITE', 'tcp', lp, dp, big_body())
        elif case == '256k-header':
            msg, call_id = request('INVITE', 'tcp', lp, dp, sdp(*HEAD, GOOD_C, 't=0 0',
                                                              'm=audio 4000 RTP/AVP 0'),
                                   extra='X-Pad: %s\r\n' % ('B' * 262144))
        elif case == '1m-unterminated-header':
            msg, call_id = b'INVITE sip:a@127.0.0.1 SIP/2.0\r\nX-Junk: ' + b'C' * (1 << 20), None
        elif case == 'content-length-beyond-limit':
            msg, call_id = request('INVITE', 'tcp', lp, dp, 'v=0\r\n', content_length=100000)
        else:
            msg, call_id = request('INVITE', 'tcp', lp, dp, 'v=0\r\n', content_length=2 ** 31)
        conn.send(msg)
        assert conn.wait_closed(5), 'the connection stayed open after %s\n%s' % (
            case, context(daemon))
        got = responses(conn.data, call_id) if call_id else []
        assert all(r[0] in (400, 413) for r in got), got
    finally:
        conn.close()
    assert not recorder.find(lambda r: r[2] == 'NewIncoming'), recorder.records
    still_usable(daemon, tmp_path)


def test_incomplete_tcp_message_is_dropped(daemon, recorder, tmp_path):
    """A Content-Length within the limit but the body never comes: the message is dropped
    (400, connection closed) after the receive timeout (10 s), not kept forever."""
    conn = Conn(daemon, 'tcp')
    try:
        msg, call_id = request('INVITE', 'tcp', conn.local_port, conn.port, 'v=0\r\n',
                               content_length=50000)
        conn.send(msg)
        t = time.monotonic()
        # usable meanwhile: other connections are served
        assert options_status(daemon, 'tcp') == 200
        assert conn.wait_closed(20), context(daemon)
        waited = time.monotonic() - t
        assert 8 <= waited <= 15, waited
        assert [r[0] for r in responses(conn.data, call_id)] in ([], [400]), conn.data[:300]
    finally:
        conn.close()
    assert not recorder.find(lambda r: r[2] == 'NewIncoming')
    still_usable(daemon, tmp_path)


# ---------------------------------------------------------------- vanishing peers

def test_peer_vanishes_mid_transaction(daemon, recorder, tmp_path):
    """Callers that send an INVITE and are gone at once (TCP connection closed, UDP socket
    closed), without CANCEL: the application accepts both; the daemon stays usable and
    both sessions end by themselves."""
    answer = peers.AutoAnswer(daemon, None)
    try:
        offer = sdp(*HEAD, GOOD_C, 't=0 0', 'm=audio 4000 RTP/AVP 0')
        for transport in ('tcp', 'udp'):
            conn = Conn(daemon, transport)
            msg, _ = request('INVITE', transport, conn.local_port, conn.port, offer)
            conn.send(msg)
            conn.close()
        assert sipsd.wait_until(lambda: len(answer.incoming) == 2, TIMEOUT), context(daemon)
        vanished = list(answer.incoming)
        t = time.monotonic()
        for path in vanished:
            try:
                daemon.call(path, SI, 'Accept', v('(bb)', (True, False)))
            except Exception as e:  # noqa: BLE001 - a clear D-Bus error is fine, nothing else
                assert sipsd.dbus_error_name(e) in (sipsd.ERROR_PREFIX + 'Failed',
                                                    sipsd.ERROR_PREFIX + 'InvalidState'), e
        still_usable(daemon, tmp_path, 'meanwhile')
        ended = sipsd.wait_until(lambda: all(
            recorder.find(lambda r, p=p: r[0] == p and r[2] == 'DidEnd') for p in vanished), 45)
        print('vanished callers: ended after %.1f s: %s' % (
            time.monotonic() - t, [peers.session_signals(recorder, p, ['DidFail', 'DidEnd'])
                                   for p in vanished]))
        assert ended, 'sessions of vanished callers never ended: %s' % dict(session_states(daemon))
        assert not sessions(daemon)
    finally:
        answer.close()
    still_usable(daemon, tmp_path)
