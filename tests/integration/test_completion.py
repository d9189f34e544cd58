"""bash completion for sipsimplectl: the script meson installs, sourced into a real bash
with bash-completion's helpers, completing commands, options and the live daemon's
object names (sessions, accounts, properties)."""

import glob
import os
import shlex
import subprocess

import pytest

import sipsd
from sipsd import v

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data',
                      'sipsimplectl.bash-completion')
BASH_COMPLETION = '/usr/share/bash-completion/bash_completion'


def complete(line, env):
    """COMPREPLY for the command line `line` (the cursor at its end)."""
    ctl = os.environ['SIPSIMPLECTL']
    script = '''
        [ -r {bc} ] && . {bc}
        . {src}
        COMP_LINE={line}
        COMP_POINT=${{#COMP_LINE}}
        eval "COMP_WORDS=($COMP_LINE)"
        [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
        _sipsimplectl
        printf '%s\\n' "${{COMPREPLY[@]}}"
    '''.format(bc=BASH_COMPLETION, src=shlex.quote(SOURCE),
               line=shlex.quote(shlex.quote(ctl) + ' ' + line))
    r = subprocess.run(['bash', '--norc', '--noprofile', '-c', script], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [w for w in r.stdout.split('\n') if w]


@pytest.fixture
def env(daemon):
    return dict(daemon.env, COMP_WORDBREAKS=' \t\n"\'><=;|&(:')


def test_commands_and_options(env):
    words = complete('', env)
    for cmd in ('status', 'get', 'set', 'call', 'answer', 'hangup', 'monitor', 'record'):
        assert cmd in words
    assert '__complete' not in words
    assert words.count('accounts') == 1
    assert complete('ha', env) == ['hangup']
    assert complete('--sy', env) == ['--system']
    assert '--route' in complete('call --', env)
    assert complete('record ', env) == ['start', 'stop']
    assert complete('mess', env) == ['message']
    assert '--type' in complete('message --', env)
    for cmd in ('send-file', 'transfers', 'accept-file', 'reject-file', 'cancel-file'):
        assert cmd in words
    assert {'--account', '--content-type'} <= set(complete('send-file --', env))
    # no transfer yet: nothing to name
    assert complete('reject-file ', env) == []
    assert complete('cancel-file ', env) == []


def test_send_file_completes_files(env, tmp_path):
    (tmp_path / 'report.pdf').write_bytes(b'x')
    (tmp_path / 'inbox').mkdir()
    prefix = str(tmp_path) + '/'
    assert complete('send-file sip:bob@127.0.0.1 %srep' % prefix, env) == [prefix + 'report.pdf']
    # accept-file's DIRECTORY: directories only
    assert complete('accept-file transfer/1 %s' % prefix, env) == [prefix + 'inbox']


def test_live_objects(daemon, env):
    session = daemon.create_session()
    number = session.rsplit('/', 1)[1]
    account = daemon.add_account('carol@example.invalid', {'Register': v('b', False)})
    objects = complete('get ', env)
    assert {'settings', 'rtp', 'msrp', 'session/' + number,
            'account/' + account.rsplit('/', 1)[1]} <= set(objects)
    assert complete('hangup ', env) == ['session/' + number]
    # account:ID holds a colon, one of bash's word breaks: bash replaces only what
    # follows the colon, so the reply is trimmed to that part
    assert complete('register account:car', env) == ['carol@example.invalid']
    assert 'account:carol@example.invalid' in complete('register ', env)
    assert 'account:carol@example.invalid' in complete('message ', env)
    props = complete('set settings SipU', env)
    assert props == ['SipUdpPort']
    assert 'AnswerTimeout' in complete('get settings ', env)


def test_live_transfers(daemon, env, tmp_path):
    """transfer/N of the daemon's file transfers: one it sends to itself, and the
    incoming offer that makes."""
    (tmp_path / 'x.bin').write_bytes(b'x' * 1000)
    outgoing = daemon.call(sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE, 'SendFile',
                           v('(osss)', ('/', 'sip:self@127.0.0.1:%d' % daemon.ports['udp'],
                                        str(tmp_path / 'x.bin'), '')))[0]

    def transfers():
        return sorted(p for p in daemon.managed_objects()
                      if p.startswith('/org/sipsimple/FileTransfer/'))
    paths = sipsd.wait_until(lambda: len(transfers()) == 2 and transfers(), 10)
    assert paths and outgoing in paths, transfers()
    names = ['transfer/' + p.rsplit('/', 1)[1] for p in paths]
    assert sorted(complete('reject-file ', env)) == sorted(names)
    assert sorted(complete('cancel-file transfer/', env)) == sorted(names)
    assert set(names) <= set(complete('get ', env))
    # accept-file's first word: a transfer or a directory
    assert set(names) <= set(complete('accept-file ', env))


def test_no_daemon_no_start(bus):
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address)
    assert 'call' in complete('', env)
    assert complete('hangup ', env) == []


def test_installed(tmp_path):
    build = os.path.dirname(os.path.dirname(os.environ['SIPSIMPLED']))
    subprocess.run(['meson', 'install', '-C', build, '--no-rebuild', '--quiet',
                    '--destdir', str(tmp_path)], check=True, capture_output=True, timeout=120)
    found = glob.glob(str(tmp_path / '**' / 'bash-completion' / 'completions' / 'sipsimplectl'),
                      recursive=True)
    assert len(found) == 1
    assert open(found[0]).read() == open(SOURCE).read()
