"""Pager mode (RFC 3428): a MESSAGE nobody answers fails with 408 when SIP's
non-INVITE transaction times out (timer F, 64 x T1 = 32 s), over UDP and over TCP.
In the 'slow' suite: it waits those 32 s (both transports at once)."""

import socket

import sipsd
from sipsd import v

AI = sipsd.ACCOUNT_IFACE


def test_unanswered_message_gives_408(daemon, recorder):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(('127.0.0.1', 0))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(('127.0.0.1', 0))
    tcp.listen(1)
    try:
        ids = []
        for uri in ('sip:nobody@127.0.0.1:%d' % udp.getsockname()[1],
                    'sip:nobody@127.0.0.1:%d;transport=tcp' % tcp.getsockname()[1]):
            ids.append(daemon.call(sipsd.ACCOUNT0, AI, 'SendMessage',
                                   v('(sss)', (uri, 'anyone?', '')), '(s)')[0])
        udp.settimeout(5)
        assert udp.recv(65535).startswith(b'MESSAGE ')   # it went out, and stays unanswered

        def reports():
            return {r[3][1]: (r[2], r[3][2], r[3][3]) for r in recorder.records
                    if r[0] == sipsd.ACCOUNT0 and r[1] == AI and r[2].endswith('DeliverMessage')}
        assert sipsd.wait_until(lambda: len(reports()) == 2, 45), reports()
        for mid in ids:
            assert reports()[mid] == ('DidNotDeliverMessage', 408, 'Request Timeout'), reports()
    finally:
        udp.close()
        tcp.close()
