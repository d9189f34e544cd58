"""Network namespaces with real NATs for the ICE tests (root only), and coturn.

NatLab builds, per test run (names carry a random tag, everything is deleted again):

    h1 (192.168.1.2) -- nat1 (192.168.1.1 | 10.99.1.2) --+
                                                         pub (10.99.1.1, 10.99.2.1: coturn)
    h2 (192.168.2.2) -- nat2 (192.168.2.1 | 10.99.2.2) --+

nat1/nat2 masquerade what leaves on their outside link, accept inbound only for
connections their host opened (conntrack) and the SIP ports (so the daemons can call each
other: pub routes the private nets to the routers), and drop unsolicited input to
themselves (early ICE checks would otherwise leave conntrack entries that change the
mapped port). RTP to a private address therefore never arrives: without ICE a call
carries no audio. ns_exec() runs a command in one of the namespaces."""

import os
import shutil
import signal
import subprocess
import tempfile
import uuid

import sipsd

PUB_IP = '10.99.1.1'
HOSTS = {'h1': '192.168.1.2', 'h2': '192.168.2.2'}


def available():
    """'' when namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return 'network namespaces and iptables need root (CI runs the tests as root)'
    for tool in ('ip', 'iptables', 'turnserver'):
        if shutil.which(tool) is None:
            return '%s is not installed (tools/lib/deps.sh installs it)' % tool
    return ''


def _run(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError('%s: %s' % (' '.join(args), r.stderr.strip()))
    return r


class NatLab:
    def __init__(self, sip_ports=(), symmetric=False):
        """symmetric: the NATs map every destination to a new random port (a reflexive
        address is good for nothing but its server, only a relay connects)."""
        self.symmetric = symmetric
        self.tag = uuid.uuid4().hex[:5]
        self.ns = {n: 'sips%s-%s' % (self.tag, n) for n in ('pub', 'nat1', 'nat2', 'h1', 'h2')}
        self.procs = []
        try:
            self._build(sip_ports)
        except Exception:
            self.close()
            raise

    def exec_args(self, name, *args):
        return ['ip', 'netns', 'exec', self.ns[name]] + list(args)

    def ns_run(self, name, *args, check=True):
        return _run(*self.exec_args(name, *args), check=check)

    def _veth(self, a, a_if, a_ip, b, b_if, b_ip):
        tmp_a, tmp_b = 'v%sa%s' % (self.tag, a_if[-2:]), 'v%sb%s' % (self.tag, b_if[-2:])
        _run('ip', 'link', 'add', tmp_a, 'type', 'veth', 'peer', 'name', tmp_b)
        _run('ip', 'link', 'set', tmp_a, 'netns', self.ns[a])
        _run('ip', 'link', 'set', tmp_b, 'netns', self.ns[b])
        for ns, tmp, name, ip in ((a, tmp_a, a_if, a_ip), (b, tmp_b, b_if, b_ip)):
            self.ns_run(ns, 'ip', 'link', 'set', tmp, 'name', name)
            self.ns_run(ns, 'ip', 'addr', 'add', ip + '/24', 'dev', name)
            self.ns_run(ns, 'ip', 'link', 'set', name, 'up')

    def _build(self, sip_ports):
        for name in self.ns.values():
            _run('ip', 'netns', 'add', name)
        for n in self.ns:
            self.ns_run(n, 'ip', 'link', 'set', 'lo', 'up')
        self._veth('pub', 'p1', '10.99.1.1', 'nat1', 'out1', '10.99.1.2')
        self._veth('pub', 'p2', '10.99.2.1', 'nat2', 'out2', '10.99.2.2')
        self._veth('nat1', 'in1', '192.168.1.1', 'h1', 'eth1', HOSTS['h1'])
        self._veth('nat2', 'in2', '192.168.2.1', 'h2', 'eth2', HOSTS['h2'])
        for n in ('pub', 'nat1', 'nat2'):
            self.ns_run(n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
        self.ns_run('pub', 'ip', 'route', 'add', '192.168.1.0/24', 'via', '10.99.1.2')
        self.ns_run('pub', 'ip', 'route', 'add', '192.168.2.0/24', 'via', '10.99.2.2')
        self.ns_run('nat1', 'ip', 'route', 'add', 'default', 'via', '10.99.1.1')
        self.ns_run('nat2', 'ip', 'route', 'add', 'default', 'via', '10.99.2.1')
        self.ns_run('h1', 'ip', 'route', 'add', 'default', 'via', '192.168.1.1')
        self.ns_run('h2', 'ip', 'route', 'add', 'default', 'via', '192.168.2.1')
        for nat, out, inside in (('nat1', 'out1', 'in1'), ('nat2', 'out2', 'in2')):
            ipt = lambda *a: self.ns_run(nat, 'iptables', *a)  # noqa: E731
            ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', out, '-j', 'MASQUERADE',
                *(['--random-fully'] if self.symmetric else []))
            ipt('-A', 'FORWARD', '-i', out, '-o', inside, '-m', 'conntrack', '--ctstate',
                'ESTABLISHED,RELATED', '-j', 'ACCEPT')
            for port in sip_ports:
                for proto in ('udp', 'tcp'):
                    ipt('-A', 'FORWARD', '-i', out, '-o', inside, '-p', proto, '--dport', str(port),
                        '-j', 'ACCEPT')
            ipt('-A', 'FORWARD', '-i', out, '-j', 'DROP')
            ipt('-A', 'INPUT', '-i', out, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED',
                '-j', 'ACCEPT')
            ipt('-A', 'INPUT', '-i', out, '-j', 'DROP')

    def spawn(self, name, args, **kwargs):
        proc = subprocess.Popen(self.exec_args(name, *args), **kwargs)
        self.procs.append(proc)
        return proc

    def close(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        for name in self.ns.values():
            # whatever still runs in it goes with it
            pids = _run('ip', 'netns', 'pids', name, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            _run('ip', 'netns', 'del', name, check=False)


class Coturn:
    """turnserver with long-term credentials (STUN and TURN) on address:port, its log read
    back for allocations. spawn: a function(args, **popen_kwargs) -> Popen (a namespace's
    NatLab.spawn, or subprocess.Popen for loopback)."""

    def __init__(self, spawn, address, port, relay_ip=None, user='alice', password='wonderland',
                 realm='sipsimple.test', min_port=49160, max_port=49200, extra=()):
        self.dir = tempfile.mkdtemp(prefix='sips-coturn-')
        self.log_path = os.path.join(self.dir, 'turn.log')
        self.address, self.port, self.user, self.password, self.realm = \
            address, port, user, password, realm
        args = ['turnserver', '-n', '--listening-ip=%s' % address,
                '--relay-ip=%s' % (relay_ip or address), '--listening-port=%d' % port,
                '--no-cli', '--no-tls', '--no-dtls', '-a', '-u', '%s:%s' % (user, password),
                '-r', realm, '--min-port=%d' % min_port, '--max-port=%d' % max_port,
                '--log-file=stdout', '--simple-log', '--verbose',
                '--pidfile=%s' % os.path.join(self.dir, 'turn.pid'),
                '--userdb=%s' % os.path.join(self.dir, 'turndb')] + list(extra)
        self.log = open(self.log_path, 'wb')
        self.proc = spawn(args, stdout=self.log, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
        if not sipsd.wait_until(lambda: 'Total General servers' in self.text() or
                                'listener opened on' in self.text() or self.proc.poll() is not None,
                                timeout=10):
            raise RuntimeError('turnserver did not start:\n' + self.text()[-3000:])
        if self.proc.poll() is not None:
            raise RuntimeError('turnserver exited:\n' + self.text()[-3000:])

    def text(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def allocations(self):
        return self.text().count('ALLOCATE processed, success')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
        if not os.environ.get('SIPSD_KEEP'):
            shutil.rmtree(self.dir, ignore_errors=True)


class NsDaemon(sipsd.Daemon):
    """A sipsimpled started inside a namespace of lab (its bus stays a unix socket path)."""

    def __init__(self, lab, ns, *args, **kwargs):
        self.lab, self.netns = lab, ns
        super().__init__(*args, **kwargs)

    def start(self, extra_args=(), wait=True):
        assert self.proc is None or self.proc.poll() is not None, 'already running'
        self.starts += 1
        self.stdout_path = os.path.join(self.log_dir, 'stdout.%d.log' % self.starts)
        self.stderr_path = os.path.join(self.log_dir, 'stderr.%d.log' % self.starts)
        with open(self.stdout_path, 'wb') as out, open(self.stderr_path, 'wb') as err:
            # ip netns exec execs the daemon: the pid is the daemon's
            self.proc = subprocess.Popen(self.lab.exec_args(self.netns, sipsd._daemon_binary(),
                                                            *extra_args),
                                         env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, cwd=self.home)
        if wait:
            self.wait_ready()
        return self

