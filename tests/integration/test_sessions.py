"""Session objects and their state rules in NULL; capabilities not built yet."""

import os
import socket
import xml.etree.ElementTree as ET

import pytest
from gi.repository import GLib

import sipsd
from sipsd import v, expect_error

SM, SMI = sipsd.SESSION_MANAGER, sipsd.SESSION_MANAGER_IFACE
SI = sipsd.SESSION_IFACE
XML_DIR = os.environ.get('XML_DIR', os.path.join(os.path.dirname(__file__), '..', '..',
                                                 'dbus-interfaces'))


def session_methods():
    """{method: [(arg name, type)]} of the in-arguments from the contract XML."""
    root = ET.parse(os.path.join(XML_DIR, SI + '.xml')).getroot()
    iface = [i for i in root.findall('interface') if i.get('name') == SI][0]
    return {m.get('name'): [(a.get('name'), a.get('type')) for a in m.findall('arg')
                            if a.get('direction', 'in') == 'in']
            for m in iface.findall('method')}


# plausible values by argument name, so only the state can be the reason for refusal
ARG_VALUES = {
    'digit': '1', 'content': 'hello', 'content_type': 'text/plain', 'to_uri': '',
    'timestamp': 0, 'file_name': '', 'callee_uri': 'sip:bob@127.0.0.1',
    'route': '', 'account': '/',
}
TYPE_VALUES = {'s': '', 'b': True, 'u': 0, 'i': 0, 'x': 0, 't': 0, 'o': '/', 'as': [],
               'a{ss}': {}}


def args_for(method, args, tmp):
    values = []
    for name, t in args:
        if name == 'path':
            values.append(tmp)
        elif name in ARG_VALUES:
            values.append(ARG_VALUES[name])
        else:
            values.append(TYPE_VALUES[t])
    sig = '(' + ''.join(t for _, t in args) + ')'
    return GLib.Variant(sig, tuple(values)) if args else None


def test_create_session(daemon, recorder):
    path = daemon.create_session()
    assert path.startswith('/org/sipsimple/Session/')
    props = daemon.get_all(path, SI)
    assert props['State'] == 'NULL'
    assert props['Direction'] == ''
    assert props['StartTime'] == 0 and props['StopTime'] == 0
    assert props['Account'] == '/'
    assert props['ChatTransport'] == '/'
    assert path not in daemon.get(SM, SMI, 'Sessions')
    assert recorder.wait_for(lambda r: r[2] == 'InterfacesAdded' and r[3][0] == path)
    other = daemon.create_session()
    assert other != path, 'session paths reused'


METHODS = sorted(m for m in session_methods() if m != 'New')


@pytest.mark.parametrize('method', METHODS)
def test_methods_in_null_are_invalid_state(daemon, tmp_path, method):
    path = daemon.create_session()
    args = args_for(method, session_methods()[method], str(tmp_path))
    msg = expect_error('InvalidState', daemon.call, path, SI, method, args)
    assert 'NULL' in msg, 'InvalidState message does not name the state: %r' % msg
    assert daemon.get(path, SI, 'State') == 'NULL'


@pytest.mark.parametrize('uri', ['bob', 'sip:', 'http://x', '', 'sip:bob@', 'sip:@127.0.0.1',
                                 'sip:bob@127.0.0.1:99999', 'sip:bob@exa mple.com'])
def test_new_with_malformed_uri(daemon, recorder, uri):
    path = daemon.create_session()
    recorder.clear()
    expect_error('InvalidArgument', daemon.call, path, SI, 'New',
                 v('(sosbb)', (uri, '/', '', True, False)))
    assert daemon.get(path, SI, 'State') == 'NULL'
    sipsd.run_loop(0.1)
    assert not recorder.find(lambda r: r[0] == path and r[2] == 'ChangedState'), recorder.records


@pytest.mark.parametrize('route', ['bogus', 'http://x', 'sip:127.0.0.1:5060;transport=carrier-pigeon'])
def test_new_with_malformed_route(daemon, route):
    path = daemon.create_session()
    expect_error('InvalidArgument', daemon.call, path, SI, 'New',
                 v('(sosbb)', ('sip:bob@127.0.0.1', '/', route, True, False)))
    assert daemon.get(path, SI, 'State') == 'NULL'


def test_new_with_unknown_account(daemon):
    path = daemon.create_session()
    expect_error(('NotFound', 'InvalidArgument'), daemon.call, path, SI, 'New',
                 v('(sosbb)', ('sip:bob@127.0.0.1', '/org/sipsimple/Account/999', '', True, False)))
    assert daemon.get(path, SI, 'State') == 'NULL'


def test_orphan_session_dropped(bus, daemon, recorder):
    mine = daemon.create_session()
    conn = bus.new_connection()
    orphan = daemon.create_session(conn=conn)
    assert orphan in daemon.managed_objects()
    conn.close_sync(None)
    removed = recorder.wait_for(lambda r: r[2] == 'InterfacesRemoved' and r[3][0] == orphan,
                                timeout=5)
    assert removed, 'orphaned session %s not removed' % orphan
    assert orphan not in daemon.managed_objects()
    # the session of a client still on the bus stays
    assert mine in daemon.managed_objects()
    assert daemon.get(mine, SI, 'State') == 'NULL'


def test_send_file_makes_a_transfer(daemon, tmp_path):
    """SendFile is real now (test_file_transfer.py): an MSRPFileTransfer1 object with its
    own session, which Cancel ends."""
    FI = 'org.sipsimple.MSRPFileTransfer1'
    f = tmp_path / 'file.txt'
    f.write_text('payload\n')
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # takes the INVITE, never answers
    silent.bind(('127.0.0.1', 0))
    nobody = 'sip:bob@127.0.0.1:%d' % silent.getsockname()[1]
    t = daemon.call(SM, SMI, 'SendFile', v('(osss)', ('/', nobody, str(f), '')), '(o)')[0]
    assert t.startswith('/org/sipsimple/FileTransfer/')
    props = daemon.managed_objects()[t][FI]
    assert props['Direction'] == 'outgoing' and props['FileName'] == 'file.txt'
    assert props['FileSize'] == 8 and props['ContentType'] == 'text/plain'
    assert props['Session'].startswith('/org/sipsimple/Session/')
    daemon.call(t, FI, 'Cancel')
    assert daemon.get(t, FI, 'State') == 'cancelled'
    expect_error('InvalidState', daemon.call, t, FI, 'Cancel')
    silent.close()


def test_subscribe_publish_make_objects(daemon):
    """Subscribe/Publish are real now (test_presence.py): each call makes an object with
    the contract's interface, owned by the account."""
    A = sipsd.ACCOUNT_IFACE
    nobody = 'sip:bob@127.0.0.1:%d' % sipsd.free_port()
    sub = daemon.call(sipsd.ACCOUNT0, A, 'Subscribe',
                      v('(ssasu)', (nobody, 'presence', [], 600)), '(o)')[0]
    pub = daemon.call(sipsd.ACCOUNT0, A, 'Publish',
                      v('(sssu)', ('presence', 'application/pidf+xml', '<presence/>', 600)), '(o)')[0]
    objects = daemon.managed_objects()
    assert sub.startswith('/org/sipsimple/Subscription/') and pub.startswith('/org/sipsimple/Publication/')
    assert objects[sub]['org.sipsimple.Subscription1']['Account'] == sipsd.ACCOUNT0
    assert objects[sub]['org.sipsimple.Subscription1']['ToUri'] == nobody
    assert objects[pub]['org.sipsimple.Publication1']['Account'] == sipsd.ACCOUNT0


def test_register_account0_permission_denied(daemon):
    expect_error('PermissionDenied', daemon.call, sipsd.ACCOUNT0, sipsd.REGISTRATION_IFACE,
                 'Register', None)
    assert daemon.get(sipsd.ACCOUNT0, sipsd.REGISTRATION_IFACE, 'State') == 'unregistered'


def test_many_sessions_do_not_accumulate_for_gone_clients(bus, daemon):
    conn = bus.new_connection()
    created = [daemon.create_session(conn=conn) for _ in range(20)]
    conn.close_sync(None)
    gone = sipsd.wait_until(
        lambda: not (set(created) & set(daemon.managed_objects())), 5)
    assert gone, 'sessions of a gone client left: %s' % sorted(set(created) & set(daemon.managed_objects()))
