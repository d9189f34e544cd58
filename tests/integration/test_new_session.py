"""SessionManager1.NewSession (addition): CreateSession and New in one call, so that a
client that leaves at once (busctl) still places its call; refused arguments leave no
session behind."""

import subprocess

import sipsd
from sipsd import v

SM, SMI, SI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE, sipsd.SESSION_IFACE


def test_busctl_places_a_call_and_leaves(daemon, recorder, sipp):
    uas = sipp('uas').start()
    r = subprocess.run(['busctl', '--user', 'call', sipsd.BUS_NAME, SM, SMI, 'NewSession',
                        'sosbb', uas.uri('bob'), '/', '', 'true', 'false'],
                       env=daemon.env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    path = r.stdout.split('"')[1]
    # busctl has left the bus: the call goes on (a NULL session of CreateSession is dropped)
    assert recorder.wait_for(lambda rec: rec[0] == path and rec[2] == 'DidStart', 10)
    assert daemon.get(path, SI, 'State') == 'ESTABLISHED'
    assert path in daemon.get(SM, SMI, 'Sessions')
    daemon.call(path, SI, 'Terminate')
    assert recorder.wait_for(lambda rec: rec[0] == path and rec[2] == 'DidEnd', 10)


def test_refused_arguments_leave_nothing(daemon, recorder):
    for args, error in (((u'sip:a@b\r\nVia: x', '/', '', True, False), 'InvalidArgument'),
                        (('sip:bob@127.0.0.1', '/', 'not-a-route', True, False), 'InvalidArgument'),
                        (('sip:bob@127.0.0.1', '/org/sipsimple/Account/999', '', True, False), 'NotFound')):
        sipsd.expect_error(error, daemon.call, SM, SMI, 'NewSession', v('(sosbb)', args))
    sipsd.run_loop(0.3)
    assert daemon.get(SM, SMI, 'Sessions') == []
    added = {r[3][0] for r in recorder.records if r[2] == 'InterfacesAdded'}
    removed = {r[3][0] for r in recorder.records if r[2] == 'InterfacesRemoved'}
    assert added <= removed, 'sessions left behind: %s' % (added - removed)
    assert not [p for p in daemon.managed_objects() if p.startswith('/org/sipsimple/Session/')]
