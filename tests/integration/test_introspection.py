"""The exported objects match the contract XML in dbus-interfaces/ exactly."""

import os
import xml.etree.ElementTree as ET

import pytest

import sipsd

XML_DIR = os.environ.get('XML_DIR', os.path.join(os.path.dirname(__file__), '..', '..',
                                                 'dbus-interfaces'))

# dbus-api.md, "Objects"
STATIC_OBJECTS = {
    sipsd.SESSION_MANAGER: {'org.sipsimple.SessionManager1'},
    sipsd.RINGTONE_CONFIG: {'org.sipsimple.RingtoneConfiguration1'},
    sipsd.RTP_CONFIG: {'org.sipsimple.RTPConfiguration1'},
    sipsd.MSRP_CONFIG: {'org.sipsimple.MSRPConfiguration1'},
    sipsd.SETTINGS: {'org.sipsimple.Settings1'},
    sipsd.ACCOUNT0: {'org.sipsimple.Account1', 'org.sipsimple.Registration1'},
}


def describe(iface_elem):
    """Normalised description of an <interface>: annotations and doc ignored."""
    methods, props, signals = {}, {}, {}
    for m in iface_elem.findall('method'):
        methods[m.get('name')] = [(a.get('name'), a.get('type'), a.get('direction', 'in'))
                                  for a in m.findall('arg')]
    for p in iface_elem.findall('property'):
        props[p.get('name')] = (p.get('type'), p.get('access'))
    for s in iface_elem.findall('signal'):
        signals[s.get('name')] = [(a.get('name'), a.get('type')) for a in s.findall('arg')]
    return {'methods': methods, 'properties': props, 'signals': signals}


def interfaces_of(xml_text):
    root = ET.fromstring(xml_text)
    return {i.get('name'): describe(i) for i in root.findall('interface')}


def contract(iface):
    path = os.path.join(XML_DIR, iface + '.xml')
    assert os.path.exists(path), 'no contract XML for %s in %s' % (iface, XML_DIR)
    with open(path) as f:
        ifaces = interfaces_of(f.read())
    assert iface in ifaces, '%s does not define %s' % (path, iface)
    return ifaces[iface]


def diff(expected, got):
    lines = []
    for kind in ('methods', 'properties', 'signals'):
        e, g = expected[kind], got[kind]
        for name in sorted(set(e) | set(g)):
            if name not in g:
                lines.append('missing %s %s %r' % (kind[:-1], name, e[name]))
            elif name not in e:
                lines.append('extra %s %s %r' % (kind[:-1], name, g[name]))
            elif e[name] != g[name]:
                lines.append('%s %s: contract %r, exported %r' % (kind[:-1], name, e[name], g[name]))
    return lines


def check_object(daemon, path, expected_ifaces):
    exported = interfaces_of(daemon.introspect(path))
    ours = {n for n in exported if n.startswith(sipsd.IFACE_PREFIX)}
    assert expected_ifaces <= ours, '%s: missing interfaces %s' % (
        path, sorted(expected_ifaces - ours))
    problems = []
    for name in sorted(ours):
        problems += ['%s %s: %s' % (path, name, l) for l in diff(contract(name), exported[name])]
    assert not problems, '\n'.join(problems)
    # standard interfaces a client relies on
    assert sipsd.PROPS_IFACE in exported
    return ours


def test_contract_xml_is_complete():
    """Every interface named in the object table has a contract file."""
    names = set().union(*STATIC_OBJECTS.values()) | {'org.sipsimple.Session1'}
    for n in names:
        contract(n)


@pytest.mark.parametrize('path', sorted(STATIC_OBJECTS))
def test_static_object_matches_contract(daemon, path):
    ours = check_object(daemon, path, STATIC_OBJECTS[path])
    assert ours == STATIC_OBJECTS[path], '%s carries %s' % (path, sorted(ours))


def test_session_object_matches_contract(daemon):
    session = daemon.create_session()
    assert session.startswith('/org/sipsimple/Session/')
    assert session.rsplit('/', 1)[1].isdigit()
    ours = check_object(daemon, session, {'org.sipsimple.Session1'})
    assert ours == {'org.sipsimple.Session1'}


def test_root_is_object_manager(daemon):
    exported = interfaces_of(daemon.introspect(sipsd.ROOT))
    assert sipsd.OM_IFACE in exported


def test_managed_objects_lists_everything(daemon, recorder):
    session = daemon.create_session()
    objs = daemon.managed_objects()
    for path, ifaces in list(STATIC_OBJECTS.items()) + [(session, {'org.sipsimple.Session1'})]:
        assert path in objs, '%s not in GetManagedObjects: %s' % (path, sorted(objs))
        ours = {n for n in objs[path] if n.startswith(sipsd.IFACE_PREFIX)}
        assert ours == ifaces, path
        for iface in ours:
            props = contract(iface)['properties']
            readable = {n for n, (t, access) in props.items() if access != 'write'}
            assert set(objs[path][iface]) == readable, '%s %s properties: %s' % (
                path, iface, sorted(set(objs[path][iface]) ^ readable))
    # every object under the root is one the contract knows
    for path in objs:
        assert path.startswith(sipsd.ROOT + '/'), path
    # the session appeared with InterfacesAdded
    assert recorder.wait_for(lambda r: r[2] == 'InterfacesAdded' and r[3][0] == session), \
        'no InterfacesAdded for %s' % session


def test_managed_object_values_match_properties(daemon):
    objs = daemon.managed_objects()
    for path, ifaces in STATIC_OBJECTS.items():
        for iface in ifaces:
            for name, value in objs[path][iface].items():
                assert daemon.get(path, iface, name) == value, (path, iface, name)


def test_account0_identity(daemon):
    acc_id = daemon.get(sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'Id')
    assert acc_id.startswith('local@'), acc_id
    assert daemon.get(sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'Password') == ''
    accounts = daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'Accounts')
    assert sipsd.ACCOUNT0 in accounts
