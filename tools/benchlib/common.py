"""What the workloads of tools/bench share: the daemon binary, the tools they need,
a work directory, /proc readers, and the figures' formatting."""

import contextlib
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))   # sipsd, peers

CLK_TCK = os.sysconf('SC_CLK_TCK')


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running

def daemon_binary():
    path = os.environ.get('SIPSIMPLED')
    if path:
        return path
    build = os.path.join(REPO, 'build')
    setup = ['meson', 'setup'] + (['--reconfigure'] if os.path.exists(
        os.path.join(build, 'meson-private', 'coredata.dat')) else []) + [build]
    for cmd in (setup, ['meson', 'compile', '-C', build]):
        r = subprocess.run(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0:
            sys.exit('bench: %s failed:\n%s' % (' '.join(cmd), r.stderr[-3000:]))
    return os.path.join(build, 'daemon', 'sipsimpled')


def require(tools, packages):
    """Exits unless every program in `tools` is on PATH (from Debian `packages`)."""
    for tool in tools:
        if not shutil.which(tool):
            sys.exit('bench: %s is not installed (packages %s)' % (tool, packages))


@contextlib.contextmanager
def work_dir(prefix, keep, kept='logs kept in %s'):
    """A temporary directory, removed afterwards unless `keep` (then logged)."""
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        yield work
    finally:
        if keep:
            log(kept % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def log_if_exited(daemon):
    """Logs the end of the daemon's stderr if it is no longer running."""
    if daemon.proc.poll() is not None:
        log('  sipsimpled exited (%s):\n%s' % (daemon.proc.returncode,
                                               daemon.stderr_text()[-2000:]))


# ---------------------------------------------------------------- /proc

def cpu_seconds(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK    # utime, stime


def status(pid, key):
    """A number from /proc/PID/status (VmRSS, RssAnon, RssFile in KiB; Threads)."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return 0


def rss_kib(pid):
    return status(pid, 'VmRSS')


def threads(pid):
    return status(pid, 'Threads')


# ---------------------------------------------------------------- figures

def percentile(values, p):
    s = sorted(values)
    return s[max(0, math.ceil(p / 100.0 * len(s)) - 1)]


def summary(times):
    if not times:
        return None
    return {'median': statistics.median(times) * 1000, 'p95': percentile(times, 95) * 1000}


def fmt(x, unit=''):
    return '-' if x is None else ('%.2f%s' % (x, unit) if isinstance(x, float) else '%s%s' % (x, unit))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return '-'
    return '%.2f' % (a / b)


def describe(r):
    return ', '.join('%s=%s' % (k, ('%.4f' % v) if isinstance(v, float) else v)
                     for k, v in sorted(r.items()))


def print_title(args, what):
    """The report's first lines: an empty one, then what, where and when."""
    print()
    print('%s, loopback, %d CPUs, %s%s' % (what, os.cpu_count(), time.strftime('%Y-%m-%d %H:%M'),
                                          ' (--quick)' if args.quick else ''))


def print_load(before=None):
    """The machine is shared: the load average before (if given) and after the run."""
    if before:
        print('load: %.2f %.2f %.2f before the run, %.2f %.2f %.2f after (1/5/15 min)'
              % (tuple(before) + os.getloadavg()))
    else:
        print('load: %.2f %.2f %.2f (1/5/15 min) after the run' % os.getloadavg())


ROW = '%-80s %11s %11s %7s  %s'


def print_rows(rows):
    """The issue's table: figure, sipsimpled, baresip, ratio s/b, aim."""
    print(ROW % ('figure', 'sipsimpled', 'baresip', 'ratio', 'aim'))
    for label, s, b, r, aim in rows:
        print(ROW % (label, s, b, r, aim))
