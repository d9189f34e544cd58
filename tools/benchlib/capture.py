"""Packets on lo seen by an AF_PACKET socket with a BPF filter (root or CAP_NET_RAW):
RtcpCapture reads the receivers' RTCP report blocks (packet loss), RtpCapture the
kernel receive time of every RTP packet (the senders' pacing). lo shows each packet twice
(going out and coming in): only the incoming copy is kept."""

import ctypes
import os
import socket
import statistics
import struct
import threading

from .common import percentile

SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
SOL_PACKET = 263
PACKET_STATISTICS = 6

# classic BPF: IPv4, UDP, not a later fragment, UDP payload byte 1 (RTCP packet type)
# in 200..204 (SR, RR, SDES, BYE, APP); RTP never has these (PT 72-76 with marker)
RTCP_FILTER = [
    (0x28, 0, 0, 12),          # ldh [12]            ethertype
    (0x15, 0, 9, 0x0800),      # jeq IPv4
    (0x30, 0, 0, 23),          # ldb [23]            IP protocol
    (0x15, 0, 7, 17),          # jeq UDP
    (0x28, 0, 0, 20),          # ldh [20]            flags, fragment offset
    (0x45, 5, 0, 0x1fff),      # jset -> drop
    (0xb1, 0, 0, 14),          # ldxb 4*([14]&0xf)   IP header length
    (0x50, 0, 0, 14 + 8 + 1),  # ldb [x+23]          RTCP packet type
    (0x35, 0, 2, 200),         # jge 200
    (0x25, 1, 0, 204),         # jgt 204 -> drop
    (0x06, 0, 0, 65535),       # accept
    (0x06, 0, 0, 0),           # drop
]

# the same up to the UDP payload, then: version 2 and byte 1 NOT in 200..204 (RTP);
# only the first 96 bytes are kept
RTP_FILTER = [
    (0x28, 0, 0, 12),          # 0  ldh [12]           ethertype
    (0x15, 0, 12, 0x0800),     # 1  jeq IPv4 else drop
    (0x30, 0, 0, 23),          # 2  ldb [23]           IP protocol
    (0x15, 0, 10, 17),         # 3  jeq UDP else drop
    (0x28, 0, 0, 20),          # 4  ldh [20]           flags, fragment offset
    (0x45, 8, 0, 0x1fff),      # 5  jset -> drop
    (0xb1, 0, 0, 14),          # 6  ldxb 4*([14]&0xf)  IP header length
    (0x50, 0, 0, 14 + 8),      # 7  ldb [x+22]         RTP byte 0
    (0x54, 0, 0, 0xc0),        # 8  and 0xc0           version
    (0x15, 0, 4, 0x80),        # 9  jeq 2 << 6 else drop
    (0x50, 0, 0, 14 + 8 + 1),  # 10 ldb [x+23]         marker, payload type
    (0x35, 0, 1, 200),         # 11 jge 200 else accept
    (0x25, 0, 1, 204),         # 12 jgt 204 -> accept, else (RTCP) drop
    (0x06, 0, 0, 96),          # 13 accept
    (0x06, 0, 0, 0),           # 14 drop
]


def udp_ports(pids):
    """The local ports of the IPv4 UDP sockets the processes `pids` have open."""
    return set(udp_sockets(pids))


def udp_sockets(pids):
    """{local port: datagrams the kernel dropped on it} of the IPv4 UDP sockets the
    processes `pids` have open."""
    inodes = set()
    for pid in pids:
        fd_dir = '/proc/%d/fd' % pid
        try:
            names = os.listdir(fd_dir)
        except OSError:
            continue
        for name in names:
            try:
                link = os.readlink(os.path.join(fd_dir, name))
            except OSError:
                continue
            if link.startswith('socket:['):
                inodes.add(link[8:-1])
    ports = {}
    with open('/proc/net/udp') as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[9] in inodes:
                ports[int(fields[1].split(':')[1], 16)] = int(fields[12])
    return ports


class _Capture:
    def __init__(self, program):
        self.program = program
        self._lock = threading.Lock()
        self.open()

    def open(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        code = b''.join(struct.pack('HBBI', *insn) for insn in self.program)
        self._code = ctypes.create_string_buffer(code)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER,
                             struct.pack('HL', len(self.program), ctypes.addressof(self._code)))
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        except OSError:
            pass
        self.sock.bind(('lo', 0))
        self.sock.settimeout(0.2)
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _recv(self):
        data, addr = self.sock.recvfrom(65535)
        return data, addr, None

    def _run(self):
        while not self._stop:
            try:
                data, addr, stamp = self._recv()
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == socket.PACKET_OUTGOING:
                continue      # lo shows each packet going out and coming in
            udp = 14 + (data[14] & 0xf) * 4
            if len(data) >= udp + 8:
                self._packet(data, udp, stamp)

    def drops(self):
        """(packets, drops) the kernel counted for this socket since the last call."""
        try:
            return struct.unpack('II', self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))
        except OSError:
            return None

    def close(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


class RtcpCapture(_Capture):
    """RTCP SR/RR report blocks sent to UDP ports in `ports` (a range), seen on lo.
    .loss() -> (lost, expected, streams) between each stream's first and last report."""

    def __init__(self, ports):
        self.ports = ports
        self.blocks = {}     # (port, reporter SSRC, source SSRC) -> [(lost, ext seq) 1st, last]
        super().__init__(RTCP_FILTER)

    def start(self, pids):
        """Counts only the reports sent to the sockets of `pids` (once their calls are up):
        other tests on this machine may use ports in the same range."""
        self.ports = udp_ports(pids)

    def stop(self):
        pass

    def _packet(self, data, udp, stamp):
        port = struct.unpack('!H', data[udp + 2:udp + 4])[0]
        if port in self.ports:
            self._parse(port, data[udp + 8:])

    def _parse(self, port, p):
        while len(p) >= 8:
            first, pt, length = struct.unpack('!BBH', p[:4])
            size = (length + 1) * 4
            if first >> 6 != 2 or size > len(p):
                return
            if pt in (200, 201):    # SR (20 bytes of sender info first) or RR
                reporter = struct.unpack('!I', p[4:8])[0]
                off = 28 if pt == 200 else 8
                for i in range(first & 0x1f):
                    block = p[off + 24 * i:off + 24 * i + 12]
                    if len(block) < 12:
                        break
                    source, _, hi, lo, ext = struct.unpack('!IBBHI', block)
                    lost = (hi << 16) | lo
                    lost -= (1 << 24) if lost & 0x800000 else 0
                    with self._lock:
                        entry = self.blocks.setdefault((port, reporter, source),
                                                       [(lost, ext), None])
                        entry[1] = (lost, ext)
            p = p[size:]

    def loss(self):
        lost = expected = streams = 0
        with self._lock:
            for key, (first, last) in self.blocks.items():
                if key[0] in self.ports and last[1] > first[1]:
                    lost += max(0, last[0] - first[0])
                    expected += last[1] - first[1]
                    streams += 1
        return lost, expected, streams


class RtpCapture(_Capture):
    """The kernel's receive time (SO_TIMESTAMPNS) of every RTP packet between the sockets
    of the processes given to .start(pids, name), until .stop(); .pacing(name) -> the
    spacing of each stream's packets (stream = source port, destination port, SSRC)."""

    def __init__(self):
        self.times = {}      # (name, sport, dport, ssrc) -> [ns]
        self.dropped = {}    # name -> (packets, drops) the kernel counted for the socket
        self.recording = None
        self.program = RTP_FILTER
        self._lock = threading.Lock()
        self.open()          # fails here without the right to capture
        self.close()

    def open(self):
        super().open()
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)

    def _recv(self):
        data, anc, _flags, addr = self.sock.recvmsg(128, socket.CMSG_SPACE(16))
        stamp = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
                sec, nsec = struct.unpack('qq', payload[:16])
                stamp = sec * 1000000000 + nsec
        return data, addr, stamp

    def _packet(self, data, udp, stamp):
        recording = self.recording
        if not recording or stamp is None or len(data) < udp + 20:
            return
        name, ports = recording
        sport, dport = struct.unpack('!HH', data[udp:udp + 4])
        if sport in ports and dport in ports:
            ssrc = struct.unpack('!I', data[udp + 16:udp + 20])[0]
            with self._lock:
                self.times.setdefault((name, sport, dport, ssrc), []).append(stamp)

    def start(self, pids, name):
        """Records the RTP between the sockets of `pids` under `name` until .stop(): the
        socket is open only meanwhile (RTP on lo is heavy to read in Python)."""
        self.recording = (name, udp_ports(pids))
        self.open()

    def stop(self):
        name = self.recording[0]
        self.dropped[name] = self.drops()
        self.close()
        self.recording = None

    def pacing(self, name):
        """{'streams', 'packets', 'median', 'p95' (ms), 'burst' (share of gaps < 5 ms)} of
        the streams sent from the `name` group, or None."""
        gaps = []
        streams = packets = 0
        with self._lock:
            for key, times in self.times.items():
                if key[0] != name or len(times) < 3:
                    continue
                streams += 1
                packets += len(times)
                gaps.extend((b - a) / 1e6 for a, b in zip(times, times[1:]))
        if not gaps:
            return None
        return {'streams': streams, 'packets': packets, 'median': statistics.median(gaps),
                'p95': percentile(gaps, 95), 'burst': sum(g < 5 for g in gaps) / len(gaps)}


def open_capture(cls, *args):
    """(capture, None) or (None, why) when this process may not capture."""
    try:
        return cls(*args), None
    except (PermissionError, OSError) as e:
        return None, str(e)
