"""A raw SIP + MSRP peer that offers a file (RFC 5547 push) to a daemon, for tests that
need to send what a well-behaved peer never would.

Over TCP to the daemon's SIP port it sends an INVITE whose SDP offers one m=message
stream (a=sendonly, a=file-selector with whatever the test puts in it,
a=file-transfer-id, a=accept-types:*, a=path), reads the answer, ACKs, connects to the
daemon's MSRP path (TCP, or TLS with a certificate of its own and a=fingerprint) and
sends SEND chunks built byte by byte: a test chooses every Byte-Range, flag, Message-ID
and body. BYE at the end; a BYE from the daemon is answered 200.

Single-threaded: every wait runs the GLib main loop (sipsd.wait_until, so the test's
D-Bus signals are recorded meanwhile) and polls the sockets without blocking.

  peer = FilePeer(daemon_ports_tcp, use_tls=False)
  peer.offer(file_selector(name='x.txt', size=3, data=b'abc'))
  final = peer.wait_final()            # after the test Accepts over D-Bus
  peer.ack(); peer.msrp_connect()
  tid = peer.send_chunk(b'abc', start=1, total=3)
  assert peer.wait_msrp_response(tid) == 200
  peer.bye(); peer.close()
"""

import hashlib
import os
import re
import select
import socket
import ssl
import subprocess
import tempfile
import uuid

import sipsd

TIMEOUT = 10.0


# ---------------------------------------------------------------- RFC 5547 values

def escape_name(name, raw=False):
    """A file-selector name value (without the quotes): '"', '%', CR, LF and NUL always
    %-escaped (RFC 5547), other control and non-ASCII bytes too unless raw."""
    if isinstance(name, str):
        name = name.encode('utf-8', 'surrogateescape')
    out = []
    for b in name:
        if b in (0x00, 0x0a, 0x0d, 0x22, 0x25) or (not raw and (b < 0x20 or b >= 0x7f)):
            out.append('%%%02X' % b)
        elif b >= 0x80:
            out.append(chr(0xdc00 + b))  # the byte itself once encoded (surrogateescape)
        else:
            out.append(chr(b))
    return ''.join(out)


def sha1_value(data):
    return 'sha-1:' + ':'.join('%02X' % b for b in hashlib.sha1(data).digest())


def file_selector(name=None, type='application/octet-stream', size=None, data=None,
                  hash=None, raw_name=False):
    """An a=file-selector value; size and hash default to those of data (if given);
    name None = no name selector, name '' = name:"" (malformed)."""
    parts = []
    if name is not None:
        parts.append('name:"%s"' % escape_name(name, raw_name))
    if type:
        parts.append('type:' + type)
    if size is None and data is not None:
        size = len(data)
    if size is not None:
        parts.append('size:%d' % size)
    if hash is None and data is not None:
        hash = sha1_value(data)
    if hash:
        parts.append('hash:' + hash)
    return ' '.join(parts)


def make_certificate(directory):
    """A self-signed certificate + key (one PEM) and its a=fingerprint value."""
    pem = os.path.join(directory, 'peer.pem')
    key = os.path.join(directory, 'peer.key')
    crt = os.path.join(directory, 'peer.crt')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj',
                    '/CN=msrp-peer', '-keyout', key, '-out', crt],
                   check=True, capture_output=True)
    with open(crt) as f:
        cert_pem = f.read()
    with open(pem, 'w') as out, open(key) as k:
        out.write(cert_pem + k.read())
    der = ssl.PEM_cert_to_DER_cert(cert_pem)
    digest = hashlib.sha256(der).hexdigest().upper()
    return pem, 'sha-256 ' + ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


# ---------------------------------------------------------------- wire parsing

class SipMessage:
    def __init__(self, head, body, conn):
        lines = head.decode('utf-8', 'replace').split('\r\n')
        self.start = lines[0]
        self.headers = []
        for ln in lines[1:]:
            if ln[:1] in (' ', '\t') and self.headers:
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + ' ' + ln.strip())
            elif ':' in ln:
                name, _, value = ln.partition(':')
                self.headers.append((name.strip().lower(), value.strip()))
        self.body = body
        self.conn = conn
        parts = self.start.split(' ', 2)
        self.is_response = parts[0] == 'SIP/2.0'
        self.code = int(parts[1]) if self.is_response and parts[1].isdigit() else 0
        self.method = None if self.is_response else parts[0]

    _COMPACT = {'v': 'via', 'f': 'from', 't': 'to', 'i': 'call-id', 'm': 'contact',
                'l': 'content-length', 'c': 'content-type'}

    def all(self, name):
        name = name.lower()
        return [v for n, v in self.headers if self._COMPACT.get(n, n) == name]

    def get(self, name, default=None):
        values = self.all(name)
        return values[0] if values else default

    @property
    def cseq_method(self):
        return self.get('cseq', '0 X').split()[-1]

    def __repr__(self):
        return '<SIP %s>' % self.start


def split_sip(buf, conn):
    """Complete messages at the start of buf -> (messages, rest)."""
    out = []
    while True:
        buf = buf.lstrip(b'\r\n')
        end = buf.find(b'\r\n\r\n')
        if end < 0:
            return out, buf
        head = buf[:end]
        m = re.search(rb'(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)', head)
        n = int(m.group(1)) if m else 0
        if len(buf) < end + 4 + n:
            return out, buf
        out.append(SipMessage(head, buf[end + 4:end + 4 + n], conn))
        buf = buf[end + 4 + n:]


class MsrpMessage:
    def __init__(self, raw):
        head, sep, body = raw.partition(b'\r\n\r\n')
        lines = head.decode('utf-8', 'replace').split('\r\n')
        parts = lines[0].split(' ', 3)
        self.tid = parts[1] if len(parts) > 1 else ''
        self.is_response = len(parts) > 2 and parts[2].isdigit()
        self.status = int(parts[2]) if self.is_response else 0
        self.method = None if self.is_response else (parts[2] if len(parts) > 2 else '')
        self.headers = {}
        for ln in lines[1:]:
            name, _, value = ln.partition(':')
            self.headers.setdefault(name.strip().lower(), value.strip())
        self.body = body[:-2] if sep and body.endswith(b'\r\n') else body
        self.start = lines[0]

    def __repr__(self):
        return '<MSRP %s>' % self.start


def split_msrp(buf):
    """Complete MSRP messages at the start of buf -> (messages, rest). The end-line is
    looked for after the start line ("-------" tid flag CRLF)."""
    out = []
    while True:
        nl = buf.find(b'\r\n')
        if nl < 0:
            return out, buf
        first = buf[:nl].split(b' ')
        if len(first) < 3 or first[0] != b'MSRP':
            raise AssertionError('not MSRP from the daemon: %r' % buf[:200])
        m = re.compile(rb'-------' + re.escape(first[1]) + rb'([$+#])\r\n').search(buf, nl)
        if m is None:
            return out, buf
        msg = MsrpMessage(buf[:m.start()])
        msg.flag = m.group(1).decode()
        out.append(msg)
        buf = buf[m.end():]


def parse_sdp(body):
    """The first m=message stream of an SDP: {'port', 'proto', 'path' [uris], 'attrs'}."""
    text = body.decode('utf-8', 'replace')
    media = None
    for ln in text.split('\r\n'):
        if ln.startswith('m='):
            if media is not None:
                break
            f = ln[2:].split()
            if f and f[0] == 'message':
                media = {'port': int(f[1]), 'proto': f[2], 'path': [], 'attrs': {}}
        elif media is not None and ln.startswith('a='):
            name, _, value = ln[2:].partition(':')
            media['attrs'].setdefault(name, value)
            if name == 'path':
                media['path'] = value.split()
    return media


def msrp_authority(uri):
    m = re.match(r'msrps?://(?:[^@/]*@)?(\[[^\]]+\]|[^:/;]+)(?::(\d+))?', uri)
    assert m, uri
    return m.group(1).strip('[]'), int(m.group(2) or 2855)


# ---------------------------------------------------------------- the peer

class _Conn:
    def __init__(self, sock, kind):
        self.sock = sock
        self.kind = kind      # 'sip' or 'msrp'
        self.buf = b''
        self.closed = False


class FilePeer:
    """One file offer at a time to the daemon listening for SIP over TCP on sip_port."""

    def __init__(self, sip_port, use_tls=False, user='file'):
        self.sip_port = sip_port
        self.use_tls = use_tls
        self.user = user
        self.dir = tempfile.mkdtemp(prefix='msrp-peer-')
        self.cert = self.fingerprint = None
        if use_tls:
            self.cert, self.fingerprint = make_certificate(self.dir)
        self.sip_listener = self._listen()
        self.msrp_listener = self._listen()
        self.sip_local_port = self.sip_listener.getsockname()[1]
        self.msrp_port = self.msrp_listener.getsockname()[1]
        self.conns = []
        self.sip_conn = None
        self.msrp_conn = None
        self.sip_messages = []      # everything received, in order
        self.msrp_messages = []
        self.invite_final = None
        self.answer_sends = True    # 200 to every SEND (False: the test answers them)
        self.incoming_invite = None
        self.offer_sdp = None

    @staticmethod
    def _listen():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', 0))
        s.listen(8)
        s.setblocking(False)
        return s

    # -- polling

    def poll(self):
        """Accepts, reads and parses whatever is there, without blocking; answers the
        daemon's SIP requests (BYE, ...). Returns None (for use in predicates)."""
        socks = [self.sip_listener, self.msrp_listener] + [c.sock for c in self.conns
                                                           if not c.closed]
        readable, _, _ = select.select(socks, [], [], 0)
        pending = [c.sock for c in self.conns if not c.closed and isinstance(c.sock, ssl.SSLSocket)
                   and c.sock.pending()]
        for s in set(readable) | set(pending):
            if s is self.sip_listener:
                self._accept(s, 'sip')
            elif s is self.msrp_listener:
                self._accept(s, 'msrp')
            else:
                self._read(next(c for c in self.conns if c.sock is s))
        return None

    def _accept(self, listener, kind):
        try:
            sock, _ = listener.accept()
        except BlockingIOError:
            return
        if kind == 'msrp' and self.use_tls:
            ctx = self._tls_context(ssl.PROTOCOL_TLS_SERVER)
            sock.setblocking(True)
            sock.settimeout(TIMEOUT)
            sock = ctx.wrap_socket(sock, server_side=True)
        conn = _Conn(sock, kind)
        conn.sock.setblocking(False)
        self.conns.append(conn)
        if kind == 'msrp' and self.msrp_conn is None:
            self.msrp_conn = conn

    def _read(self, conn):
        while True:
            try:
                data = conn.sock.recv(1 << 16)
            except (BlockingIOError, ssl.SSLWantReadError):
                break
            except OSError:
                data = b''
            if not data:
                conn.closed = True
                break
            conn.buf += data
        if conn.kind == 'sip':
            msgs, conn.buf = split_sip(conn.buf, conn)
            for m in msgs:
                self.sip_messages.append(m)
                if not m.is_response:
                    self._answer_request(m)
        else:
            msgs, conn.buf = split_msrp(conn.buf)
            self.msrp_messages += msgs
            for m in msgs:
                if m.method == 'SEND' and self.answer_sends:
                    # e.g. the active daemon's bodiless SEND that binds the connection
                    self._sendall(conn, ('MSRP %s 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n'
                                         '-------%s$\r\n' % (m.tid, m.headers.get('from-path'),
                                                              self.local_path, m.tid)).encode())

    def wait(self, predicate, timeout=TIMEOUT):
        """Runs the main loop, polling, until predicate() is true; returns its value."""
        return sipsd.wait_until(lambda: self.poll() or predicate(), timeout, interval=0.01)

    # -- SIP

    def _send_sip(self, text, body=b'', conn=None):
        conn = conn or self.sip_conn
        self._sendall(conn, text.encode() + body)

    def _sendall(self, conn, data):
        conn.sock.setblocking(True)
        conn.sock.settimeout(TIMEOUT)
        try:
            conn.sock.sendall(data)
        except OSError:
            conn.closed = True
        finally:
            if not conn.closed:
                conn.sock.setblocking(False)

    def _answer_request(self, req):
        if req.method == 'ACK':
            return
        if req.method == 'INVITE' and self.incoming_invite is None:
            self._answer_offer(req)
            return
        vias = ''.join('Via: %s\r\n' % v for v in req.all('via'))
        to = req.get('to', '')
        if 'tag=' not in to:
            to += ';tag=' + self.from_tag
        self._send_sip('SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n'
                       'Content-Length: 0\r\n\r\n'
                       % (vias, req.get('from'), to, req.get('call-id'), req.get('cseq')),
                       conn=req.conn)

    # -- the daemon offers (SendFile to this peer): we take the file, a=setup:passive

    def _answer_offer(self, req):
        """200 OK with a=recvonly to the daemon's file offer; the daemon connects."""
        self.incoming_invite = req
        self.offer_sdp = parse_sdp(req.body)
        self.sip_conn = req.conn
        self.call_id = req.get('call-id')
        self.from_tag = uuid.uuid4().hex[:10]
        self.to_hdr = req.get('from')                  # our requests go to the daemon
        self.from_hdr = req.get('to') + ';tag=' + self.from_tag
        contact = re.search(r'<([^>]+)>', req.get('contact', ''))
        self.remote_target = contact.group(1)
        self.cseq = 1
        self.remote_path = self.offer_sdp['path']
        proto = 'TCP/TLS/MSRP' if self.use_tls else 'TCP/MSRP'
        self.session_id = uuid.uuid4().hex[:16]
        self.local_path = 'msrp%s://127.0.0.1:%d/%s;tcp' % ('s' if self.use_tls else '',
                                                            self.msrp_port, self.session_id)
        lines = ['v=0', 'o=- %d 1 IN IP4 127.0.0.1' % self.msrp_port, 's=-',
                 'c=IN IP4 127.0.0.1', 't=0 0', 'm=message %d %s *' % (self.msrp_port, proto),
                 'a=recvonly', 'a=accept-types:*', 'a=path:' + self.local_path,
                 'a=setup:passive']
        for name in ('file-selector', 'file-transfer-id'):
            if self.offer_sdp['attrs'].get(name):
                lines.append('a=%s:%s' % (name, self.offer_sdp['attrs'][name]))
        if self.fingerprint:
            lines.append('a=fingerprint:' + self.fingerprint)
        body = ('\r\n'.join(lines) + '\r\n').encode()
        vias = ''.join('Via: %s\r\n' % v for v in req.all('via'))
        self._send_sip('SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n'
                       'Contact: <sip:file@127.0.0.1:%d;transport=tcp>\r\n'
                       'Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n'
                       % (vias, req.get('from'), self.from_hdr, self.call_id, req.get('cseq'),
                          self.sip_local_port, len(body)), body, conn=req.conn)

    def answer_msrp(self, request, status, comment):
        """The response to one of the daemon's MSRP requests."""
        self._sendall(self.msrp_conn, ('MSRP %s %d %s\r\nTo-Path: %s\r\nFrom-Path: %s\r\n'
                                       '-------%s$\r\n'
                                       % (request.tid, status, comment,
                                          request.headers.get('from-path'), self.local_path,
                                          request.tid)).encode())

    def sdp_offer(self, selector, transfer_id, extra=()):
        proto = 'TCP/TLS/MSRP' if self.use_tls else 'TCP/MSRP'
        self.session_id = uuid.uuid4().hex[:16]
        self.local_path = 'msrp%s://127.0.0.1:%d/%s;tcp' % ('s' if self.use_tls else '',
                                                            self.msrp_port, self.session_id)
        lines = ['v=0', 'o=- %d 1 IN IP4 127.0.0.1' % (os.getpid() + self.msrp_port), 's=-',
                 'c=IN IP4 127.0.0.1', 't=0 0', 'm=message %d %s *' % (self.msrp_port, proto),
                 'a=sendonly', 'a=accept-types:*', 'a=path:' + self.local_path]
        if selector is not None:
            lines.append('a=file-selector:' + selector)
        if transfer_id is not None:
            lines.append('a=file-transfer-id:' + transfer_id)
        if self.fingerprint:
            lines.append('a=fingerprint:' + self.fingerprint)
        lines += list(extra)
        return ('\r\n'.join(lines) + '\r\n').encode('utf-8', 'surrogateescape')

    def offer(self, selector, transfer_id=None, extra_sdp=()):
        """Sends the INVITE (a new call each time)."""
        self.transfer_id = transfer_id or uuid.uuid4().hex
        body = self.sdp_offer(selector, self.transfer_id, extra_sdp)
        sock = socket.create_connection(('127.0.0.1', self.sip_port), TIMEOUT)
        sock.setblocking(False)
        self.sip_conn = _Conn(sock, 'sip')
        self.conns.append(self.sip_conn)
        self.call_id = uuid.uuid4().hex + '@127.0.0.1'
        self.from_tag = uuid.uuid4().hex[:10]
        self.branch = 'z9hG4bK' + uuid.uuid4().hex
        self.request_uri = 'sip:%s@127.0.0.1:%d;transport=tcp' % (self.user, self.sip_port)
        self.from_hdr = '<sip:peer@127.0.0.1:%d>;tag=%s' % (self.sip_local_port, self.from_tag)
        self.to_hdr = '<sip:%s@127.0.0.1:%d>' % (self.user, self.sip_port)
        self.cseq = 1
        self.invite_final = None
        self.msrp_conn = None
        self._send_sip(self._request_head('INVITE', self.request_uri, self.branch, self.to_hdr,
                                          1, 'Content-Type: application/sdp\r\n', len(body)),
                       body)

    def _request_head(self, method, uri, branch, to, cseq, extra='', length=0):
        return ('%s %s SIP/2.0\r\n'
                'Via: SIP/2.0/TCP 127.0.0.1:%d;branch=%s;rport\r\n'
                'Max-Forwards: 70\r\n'
                'From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n'
                'Contact: <sip:peer@127.0.0.1:%d;transport=tcp>\r\n'
                'User-Agent: msrp_peer.py\r\n'
                '%sContent-Length: %d\r\n\r\n'
                % (method, uri, self.sip_local_port, branch, self.from_hdr, to, self.call_id,
                   cseq, method, self.sip_local_port, extra, length))

    def responses(self, method='INVITE'):
        return [m for m in self.sip_messages if m.is_response and
                m.get('call-id') == self.call_id and m.cseq_method == method]

    def wait_final(self, timeout=TIMEOUT):
        """The INVITE's final response (None on timeout)."""
        def final():
            got = [r for r in self.responses() if r.code >= 200]
            return got[0] if got else None
        self.invite_final = self.wait(final, timeout)
        return self.invite_final

    def requests(self, method):
        return [m for m in self.sip_messages if not m.is_response and m.method == method and
                m.get('call-id') == self.call_id]

    def ack(self):
        final = self.invite_final
        assert final is not None
        if final.code < 300:
            self.to_hdr = final.get('to')
            contact = re.search(r'<([^>]+)>', final.get('contact', ''))
            self.remote_target = contact.group(1) if contact else self.request_uri
            self.answer = parse_sdp(final.body)
            self._send_sip(self._request_head('ACK', self.remote_target,
                                              'z9hG4bK' + uuid.uuid4().hex, self.to_hdr, 1))
        else:
            self._send_sip(self._request_head('ACK', self.request_uri, self.branch,
                                              final.get('to'), 1))

    def bye(self, timeout=TIMEOUT):
        """BYE (if the daemon has not sent its own); returns the response code or None."""
        if self.requests('BYE') or self.sip_conn is None or self.sip_conn.closed:
            return None
        self.cseq += 1
        self._send_sip(self._request_head('BYE', self.remote_target,
                                          'z9hG4bK' + uuid.uuid4().hex, self.to_hdr, self.cseq))
        r = self.wait(lambda: self.responses('BYE'), timeout)
        return r[0].code if r else None

    # -- MSRP

    def _tls_context(self, protocol):
        ctx = ssl.SSLContext(protocol)
        if protocol == ssl.PROTOCOL_TLS_CLIENT:
            ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(self.cert)
        return ctx

    def msrp_connect(self, timeout=TIMEOUT):
        """Connects to the daemon's path (or, if its answer says a=setup:active, waits
        for its connection)."""
        assert self.answer and self.answer['path'], 'no MSRP path in the answer'
        self.remote_path = self.answer['path']
        if self.answer['attrs'].get('setup') == 'active':
            assert self.wait(lambda: self.msrp_conn, timeout), 'the daemon did not connect'
            return
        host, port = msrp_authority(self.remote_path[0])
        sock = socket.create_connection((host, port), timeout)
        if self.remote_path[0].startswith('msrps:'):
            sock = self._tls_context(ssl.PROTOCOL_TLS_CLIENT).wrap_socket(sock)
        sock.setblocking(False)
        self.msrp_conn = _Conn(sock, 'msrp')
        self.conns.append(self.msrp_conn)

    def send_raw(self, data):
        self._sendall(self.msrp_conn, data)

    def chunk(self, body, start=1, end=None, total=None, flag='$', message_id='file-msg-1',
              tid=None, content_type='application/octet-stream', byte_range=None,
              success_report=None):
        """The bytes of one SEND chunk (tid, bytes). byte_range overrides the computed
        "start-end/total" text; total None = '*'."""
        tid = tid or uuid.uuid4().hex[:12]
        if end is None:
            end = start + len(body) - 1
        if byte_range is None:
            byte_range = '%d-%d/%s' % (start, end, '*' if total is None else total)
        head = ('MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: %s\r\n'
                % (tid, ' '.join(self.remote_path), self.local_path, message_id))
        if success_report is not None:
            head += 'Success-Report: %s\r\n' % success_report
        head += 'Byte-Range: %s\r\n' % byte_range
        if body:
            head += 'Content-Type: %s\r\n\r\n' % content_type
            data = head.encode() + body + b'\r\n'
        else:
            data = head.encode()
        return tid, data + ('-------%s%s\r\n' % (tid, flag)).encode()

    def send_chunk(self, body, **kwargs):
        tid, data = self.chunk(body, **kwargs)
        self.send_raw(data)
        return tid

    def send_file(self, data, chunk_size=16384, message_id='file-msg-1', content_type=None):
        """The whole file, well-formed, in order; returns the chunks' tids."""
        tids = []
        total = len(data)
        for off in range(0, max(total, 1), chunk_size):
            piece = data[off:off + chunk_size]
            last = off + chunk_size >= total
            tids.append(self.send_chunk(piece, start=off + 1, total=total,
                                        flag='$' if last else '+', message_id=message_id,
                                        content_type=content_type or 'application/octet-stream'))
        return tids

    def msrp_response(self, tid):
        for m in self.msrp_messages:
            if m.is_response and m.tid == tid:
                return m
        return None

    def wait_msrp_response(self, tid, timeout=TIMEOUT):
        """The status of the response to tid (None on timeout)."""
        m = self.wait(lambda: self.msrp_response(tid), timeout)
        return m.status if m else None

    def msrp_closed(self):
        return self.msrp_conn is not None and self.msrp_conn.closed

    def close_msrp(self):
        if self.msrp_conn is not None and not self.msrp_conn.closed:
            try:
                self.msrp_conn.sock.close()
            finally:
                self.msrp_conn.closed = True

    def close(self):
        for c in self.conns:
            try:
                c.sock.close()
            except OSError:
                pass
        self.conns = []
        self.sip_listener.close()
        self.msrp_listener.close()
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)
