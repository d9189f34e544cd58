"""Configuration objects: validation, change signals, persistence, accounts, ports, ringtones."""

import os
import re
import socket
import stat
import subprocess
import uuid
import wave

import pytest
from gi.repository import GLib

import sipsd
from sipsd import v, expect_error

S, SI = sipsd.SETTINGS, sipsd.SETTINGS_IFACE
WRONG_TYPE = ('InvalidArgument', 'org.freedesktop.DBus.Error.InvalidArgs')
READ_ONLY = ('org.freedesktop.DBus.Error.PropertyReadOnly', 'org.freedesktop.DBus.Error.InvalidArgs',
             'PermissionDenied', 'InvalidArgument')
SECRET = 'Pw-%s-secret' % uuid.uuid4().hex[:12]


# ---------------------------------------------------------------- helpers

def write_wav(path, seconds=0.2, rate=8000):
    with wave.open(path, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b'\0\0' * int(rate * seconds))
    return path


def write_text(path, text='this is not a wav file\n'):
    with open(path, 'w') as f:
        f.write(text)
    return path


def make_cert(directory):
    cert = os.path.join(directory, 'cert.pem')
    key = os.path.join(directory, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
                    '-subj', '/CN=localhost', '-keyout', key, '-out', cert],
                   check=True, capture_output=True)
    both = os.path.join(directory, 'tls.pem')
    with open(both, 'w') as out:
        out.write(open(cert).read() + open(key).read())
    os.chmod(both, 0o600)
    return both


def listening(d):
    """{transport: port} from SipListeningUris."""
    out = {}
    for uri in d.get(S, SI, 'SipListeningUris'):
        m = re.match(r'^sips?:([^;]+):(\d+);transport=(udp|tcp|tls)$', uri, re.I)
        assert m, 'malformed SipListeningUris entry %r' % uri
        out[m.group(3).lower()] = int(m.group(2))
    return out


def sip_options(port, host='127.0.0.1', timeout=5.0):
    """Send a SIP OPTIONS over UDP; return the status line of the final response or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    s.settimeout(timeout)
    me = s.getsockname()[1]
    call_id = uuid.uuid4().hex
    msg = ('OPTIONS sip:%s:%d SIP/2.0\r\n'
           'Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n'
           'Max-Forwards: 70\r\n'
           'From: <sip:tester@127.0.0.1:%d>;tag=%s\r\n'
           'To: <sip:%s:%d>\r\n'
           'Call-ID: %s@127.0.0.1\r\n'
           'CSeq: 1 OPTIONS\r\n'
           'Contact: <sip:tester@127.0.0.1:%d>\r\n'
           'Accept: application/sdp\r\n'
           'Content-Length: 0\r\n\r\n') % (host, port, me, uuid.uuid4().hex[:10], me,
                                           uuid.uuid4().hex[:8], host, port, call_id, me)
    try:
        s.sendto(msg.encode(), (host, port))
        while True:
            try:
                data = s.recv(65536)
            except (socket.timeout, ConnectionRefusedError):
                return None
            line = data.split(b'\r\n', 1)[0].decode(errors='replace')
            if call_id.encode() in data and not re.match(r'SIP/2.0 1\d\d', line):
                return line
    finally:
        s.close()


def occupy(kind, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == 'udp' else socket.SOCK_STREAM)
    s.bind(('127.0.0.1', port))
    if kind == 'tcp':
        s.listen(1)
    return s


def pick(current, candidates):
    for c in candidates:
        if c != current:
            return c
    raise AssertionError('no candidate differs from %r' % (current,))


def set_checked(d, rec, path, iface, prop, variant, signal=True):
    rec.clear()
    d.set(path, iface, prop, variant)
    want = variant.unpack()
    if signal:
        got = rec.wait_props_changed(path, iface, prop)
        assert got is not None, 'no PropertiesChanged for %s.%s on %s' % (iface, prop, path)
        if not isinstance(got, tuple):
            assert got == want, 'PropertiesChanged %s.%s carried %r, set %r' % (iface, prop, got, want)
    assert d.get(path, iface, prop) == want, '%s.%s reads back %r, set %r' % (
        iface, prop, d.get(path, iface, prop), want)


def account_path(d, acc_id):
    for p in d.get(S, SI, 'Accounts'):
        if d.get(p, sipsd.ACCOUNT_IFACE, 'Id') == acc_id:
            return p
    return None


# ---------------------------------------------------------------- property tables
# (name, type, list of valid candidate values (first one differing from the current value
#  is used; None = computed), list of invalid values)

def settings_table(d, tmp):
    udp, tcp, tls = sipsd.free_ports(3)
    recs = os.path.join(tmp, 'recordings')
    downs = os.path.join(tmp, 'downloads')
    os.makedirs(recs)
    os.makedirs(downs)
    return [
        ('UserAgent', 's', ['IntegrationTest/1.0 (%s)' % uuid.uuid4().hex[:6]], []),
        ('SipListenAddress', 's', ['127.0.0.2', '127.0.0.1'], ['bogus address', '300.1.2.3']),
        ('SipUdpPort', 'u', [udp], [70000, 65536]),
        ('SipTcpPort', 'u', [tcp], [70000]),
        ('SipTlsPort', 'u', [tls], [70000]),
        ('TlsCaFile', 's', ['/etc/ssl/certs/ca-certificates.crt'], []),
        ('TlsCertificateFile', 's', [make_cert(tmp)], []),
        ('TlsVerifyServer', 'b', [False, True], []),
        ('AudioInputDevice', 's', ['audiotestsrc wave=sine freq=1000 is-live=true'],
         ['nosuchelement_xyz', 'fakesink']),
        ('AudioOutputDevice', 's', ['fakesink'], ['audiotestsrc ! ! fakesink', 'audiotestsrc']),
        ('AudioAlertDevice', 's', ['fakesink sync=false'], ['fakesink nosuchproperty=1']),
        ('AudioCodecs', 'as', [['PCMU', 'opus'], ['PCMA']], [['foo'], ['PCMU', 'bogus']]),
        ('RtpPortMin', 'u', [40000], [70000, 60000]),   # 60000 > RtpPortMax
        ('RtpPortMax', 'u', [40100], [70000, 30000]),   # 30000 < RtpPortMin
        ('RtpTimeout', 'u', [60, 45], []),
        ('RtpTimeoutEndsSession', 'b', [False, True], []),
        ('AnswerTimeout', 'u', [60, 0], [3601]),
        ('RecordingsDirectory', 's', [recs], []),
        ('DownloadsDirectory', 's', [downs], []),
        ('TerminatedSessionLinger', 'u', [5, 7], []),
    ]


def ringtone_table(d, tmp):
    return [
        ('DefaultInboundRingtone', 's', [write_wav(os.path.join(tmp, 'in.wav'))],
         [write_text(os.path.join(tmp, 'in.txt')), os.path.join(tmp, 'missing.wav')]),
        ('OutboundRingtone', 's', [write_wav(os.path.join(tmp, 'out.wav'))],
         [write_text(os.path.join(tmp, 'out.txt')), os.path.join(tmp, 'missing.wav')]),
    ]


def rtp_table(d, tmp):
    return [
        ('LocalRtpAddress', 's', ['127.0.0.1', '127.0.0.2'], ['not an address', '300.1.2.3']),
        ('UseSrtp', 'b', [True, False], []),
        ('SrtpForced', 'b', [True, False], []),
        ('UseIce', 'b', [True, False], []),
        ('IceStunAddress', 's', ['stun.example.com', '127.0.0.1'], ['bad host!', 'a b']),
        ('IceStunPort', 'u', [3479, 3480], [0, 70000]),
        ('IceTurnAddress', 's', ['turn.example.com', '127.0.0.1'], ['bad host!']),
        ('IceTurnPort', 'u', [3479, 443], [0, 70000]),
        ('IceTurnTransport', 's', ['tcp', 'tls'], ['sctp', '']),
        ('IceTurnUsername', 's', ['alice', 'bob'], ['a\r\nVia: x']),
    ]


def msrp_table(d, tmp):
    return [
        ('LocalIp', 's', ['127.0.0.1', '127.0.0.2'], ['bogus ip', '300.1.2.3']),
        ('LocalPort', 'u', [2856, 2857], [70000]),
        ('LocalUseTls', 'b', [False, True], []),
        ('UseRelayIncoming', 'b', [False, True], []),
        ('UseRelayOutgoing', 'b', [True, False], []),
        ('RelayHost', 's', ['relay.example.com', '127.0.0.1'], ['bad host!']),
        ('RelayPort', 'u', [2856, 2857], [70000]),
        ('RelayUseTls', 'b', [False, True], []),
    ]


def account_table(d, tmp):
    return [
        ('Enabled', 'b', [False, True], []),
        ('DisplayName', 's', ['Alice Tester', 'Bob'], []),
        ('AuthUsername', 's', ['alice-auth', 'other'], []),
        ('OutboundProxy', 's', ['sip:127.0.0.1:5999;transport=udp', 'sip:127.0.0.1:5998'],
         ['http://x', 'sip:']),
        ('Register', 'b', [False, True], []),
        ('RegisterInterval', 'u', [300, 900], []),
        ('PublishInterval', 'u', [300, 900], []),
        ('SubscribeInterval', 'u', [300, 900], []),
    ]


def wrong_type(t):
    return v('u', 7) if t in ('s', 'as') else v('s', 'wrong type')


def exercise(d, rec, path, iface, table):
    """Set every property to a valid new value, then every invalid one; returns the
    expected final values."""
    expected = {}
    for name, t, valid, invalid in table:
        value = pick(d.get(path, iface, name), valid)
        set_checked(d, rec, path, iface, name, v(t, value))
        expected[name] = value
        for bad in invalid:
            expect_error('InvalidArgument', d.set, path, iface, name, v(t, bad))
            assert d.get(path, iface, name) == value, '%s.%s changed by invalid %r' % (
                iface, name, bad)
        expect_error(WRONG_TYPE, d.set, path, iface, name, wrong_type(t))
        assert d.get(path, iface, name) == value
    return expected


def readback(d, path, iface, expected):
    bad = {n: (d.get(path, iface, n), want) for n, want in expected.items()
           if d.get(path, iface, n) != want}
    assert not bad, '%s on %s after restart (got, want): %r' % (iface, path, bad)


TABLES = {
    'Settings': (sipsd.SETTINGS, sipsd.SETTINGS_IFACE, settings_table),
    'RingtoneConfiguration': (sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE, ringtone_table),
    'RTPConfiguration': (sipsd.RTP_CONFIG, sipsd.RTP_IFACE, rtp_table),
    'MSRPConfiguration': (sipsd.MSRP_CONFIG, sipsd.MSRP_IFACE, msrp_table),
}


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize('which', sorted(TABLES))
def test_properties_set_validate_persist(daemon, recorder, tmp_path, which):
    path, iface, table_fn = TABLES[which]
    expected = exercise(daemon, recorder, path, iface, table_fn(daemon, str(tmp_path)))
    daemon.stop()
    daemon.start()
    readback(daemon, path, iface, expected)


@pytest.mark.parametrize('which', ['account0', 'added'])
def test_account_properties_set_validate_persist(daemon, recorder, tmp_path, which):
    if which == 'account0':
        path = sipsd.ACCOUNT0
    else:
        path = daemon.add_account('alice@example.invalid', {})
    acc_id = daemon.get(path, sipsd.ACCOUNT_IFACE, 'Id')
    expected = exercise(daemon, recorder, path, sipsd.ACCOUNT_IFACE,
                        account_table(daemon, str(tmp_path)))
    daemon.stop()
    daemon.start()
    path = account_path(daemon, acc_id)
    assert path, 'account %s lost across restart' % acc_id
    readback(daemon, path, sipsd.ACCOUNT_IFACE, expected)


def test_read_only_properties_refuse_writes(daemon):
    for prop, val in (('Accounts', v('ao', [])), ('ConfigurationFile', v('s', '/tmp/x')),
                      ('SipListeningUris', v('as', []))):
        before = daemon.get(S, SI, prop)
        expect_error(READ_ONLY, daemon.set, S, SI, prop, val)
        assert daemon.get(S, SI, prop) == before
    expect_error(READ_ONLY, daemon.set, sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'Id', v('s', 'x@y'))
    expect_error(READ_ONLY, daemon.set, sipsd.ACCOUNT0, sipsd.REGISTRATION_IFACE, 'State',
                 v('s', 'registered'))


def test_unknown_property(daemon):
    expect_error(('InvalidArgument', 'org.freedesktop.DBus.Error.InvalidArgs',
                  'org.freedesktop.DBus.Error.UnknownProperty'),
                 daemon.set, S, SI, 'NoSuchProperty', v('s', 'x'))


def test_password_write_only_never_logged(bus, tmp_path):
    d = sipsd.Daemon(bus)
    try:
        d.start(['--verbose'])
        rec = sipsd.SignalRecorder(bus.connection(), sipsd.ROOT)
        path = d.add_account('carol@example.invalid', {'Password': v('s', SECRET + '-add'),
                                                        'Register': v('b', False)})
        d.set(path, sipsd.ACCOUNT_IFACE, 'Password', v('s', SECRET))
        d.set(sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'Password', v('s', SECRET + '-local'))
        d.set(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'IceTurnPassword', v('s', SECRET + '-turn'))
        assert d.get(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'IceTurnPassword') == ''
        assert d.get(path, sipsd.ACCOUNT_IFACE, 'Password') == ''
        assert d.get(sipsd.ACCOUNT0, sipsd.ACCOUNT_IFACE, 'Password') == ''
        assert d.get_all(path, sipsd.ACCOUNT_IFACE)['Password'] == ''
        objs = d.managed_objects()
        assert objs[path][sipsd.ACCOUNT_IFACE].get('Password', '') == ''
        sipsd.run_loop(0.3)
        assert SECRET not in repr(rec.records), 'password leaked in a signal'
        # persisted in the file, which only the user can read
        text = d.config_text()
        assert SECRET in text, 'password not persisted'
        assert SECRET + '-turn' in text, 'TURN password not persisted'
        mode = stat.S_IMODE(os.stat(d.config_path).st_mode)
        assert mode == 0o600, 'config file mode %o' % mode
        d.stop()
        d.start(['--verbose'])
        path = account_path(d, 'carol@example.invalid')
        assert d.get(path, sipsd.ACCOUNT_IFACE, 'Password') == ''
        # a later write keeps the loaded password in the file
        d.set(S, SI, 'UserAgent', v('s', 'after-restart'))
        assert SECRET in d.config_text(), 'password lost after restart + rewrite'
        assert stat.S_IMODE(os.stat(d.config_path).st_mode) == 0o600
        d.stop()
        log = d.stderr_text() + d.stdout_text()
        assert log.strip(), '--verbose produced no log output at all'
        assert SECRET not in log, 'password appears in the daemon log'
        rec.close()
    finally:
        d.cleanup()


def test_add_remove_account(daemon, recorder):
    before = daemon.get(S, SI, 'Accounts')
    path = daemon.add_account('dave@example.invalid', {'DisplayName': v('s', 'Dave'),
                                                       'Register': v('b', False)})
    assert re.match(r'^/org/sipsimple/Account/\d+$', path), path
    assert path not in before
    added = recorder.wait_for(lambda r: r[2] == 'InterfacesAdded' and r[3][0] == path)
    assert added, 'no InterfacesAdded for %s' % path
    assert {sipsd.ACCOUNT_IFACE, sipsd.REGISTRATION_IFACE} <= set(added[3][1])
    assert recorder.wait_props_changed(S, SI, 'Accounts') is not None, 'no PropertiesChanged(Accounts)'
    accounts = daemon.get(S, SI, 'Accounts')
    assert path in accounts and set(before) <= set(accounts)
    assert daemon.get(path, sipsd.ACCOUNT_IFACE, 'Id') == 'dave@example.invalid'
    assert daemon.get(path, sipsd.ACCOUNT_IFACE, 'DisplayName') == 'Dave'
    assert daemon.get(path, sipsd.ACCOUNT_IFACE, 'Register') is False
    assert '[Account dave@example.invalid]' in daemon.config_text()

    # duplicate address
    expect_error(('InvalidArgument', 'Failed'), daemon.add_account, 'dave@example.invalid', {})
    assert daemon.get(S, SI, 'Accounts') == accounts

    recorder.clear()
    daemon.call(S, SI, 'RemoveAccount', v('(o)', (path,)))
    assert recorder.wait_for(lambda r: r[2] == 'InterfacesRemoved' and r[3][0] == path), \
        'no InterfacesRemoved for %s' % path
    assert recorder.wait_props_changed(S, SI, 'Accounts') is not None
    assert path not in daemon.get(S, SI, 'Accounts')
    assert path not in daemon.managed_objects()
    assert '[Account dave@example.invalid]' not in daemon.config_text()
    expect_error(('NotFound', 'org.freedesktop.DBus.Error.UnknownObject',
                  'org.freedesktop.DBus.Error.UnknownMethod'),
                 daemon.get, path, sipsd.ACCOUNT_IFACE, 'Id')

    # removal persists
    daemon.stop()
    daemon.start()
    assert account_path(daemon, 'dave@example.invalid') is None

    # the address can be added again
    again = daemon.add_account('dave@example.invalid', {})
    assert daemon.get(again, sipsd.ACCOUNT_IFACE, 'Id') == 'dave@example.invalid'


def test_account_paths_not_reused(daemon):
    p1 = daemon.add_account('e1@example.invalid', {'Register': v('b', False)})
    daemon.call(S, SI, 'RemoveAccount', v('(o)', (p1,)))
    p2 = daemon.add_account('e1@example.invalid', {'Register': v('b', False)})
    assert p1 != p2, 'account path reused while the daemon runs'


@pytest.mark.parametrize('address,props', [
    ('not-an-address', {}),
    ('', {}),
    ('sips:frank@example.invalid', {}),
    ('frank@exa mple.com', {}),
    ('frank@', {}),
    ('frank@example.invalid', {'NoSuchProperty': v('s', 'x')}),
    ('frank@example.invalid', {'RegisterInterval': v('s', 'soon')}),
    ('frank@example.invalid', {'OutboundProxy': v('s', 'http://x')}),
    ('frank@example.invalid', {'Id': v('s', 'other@example.invalid')}),
    ('frank@example.invalid', {'DisplayName': v('s', 'ok'), 'Enabled': v('u', 1)}),
])
def test_add_account_invalid_changes_nothing(daemon, recorder, address, props):
    accounts = daemon.get(S, SI, 'Accounts')
    text = daemon.config_text()
    expect_error('InvalidArgument', daemon.add_account, address, props)
    sipsd.run_loop(0.2)
    assert daemon.get(S, SI, 'Accounts') == accounts
    assert daemon.config_text() == text
    assert not recorder.find(lambda r: r[2] == 'InterfacesAdded'), recorder.records


def test_add_account_with_scheme_is_normalised(daemon):
    """'sip:user@domain' may be refused or taken as user@domain; Id never keeps the scheme."""
    try:
        path = daemon.add_account('sip:frank@example.invalid', {'Register': v('b', False)})
    except GLib.Error as e:
        assert sipsd.dbus_error_name(e) == sipsd.ERROR_PREFIX + 'InvalidArgument', e.message
        return
    assert daemon.get(path, sipsd.ACCOUNT_IFACE, 'Id') == 'frank@example.invalid'
    expect_error(('InvalidArgument', 'Failed'), daemon.add_account, 'frank@example.invalid', {})


def test_remove_account_errors(daemon):
    expect_error('PermissionDenied', daemon.call, S, SI, 'RemoveAccount',
                 v('(o)', (sipsd.ACCOUNT0,)))
    expect_error('NotFound', daemon.call, S, SI, 'RemoveAccount',
                 v('(o)', ('/org/sipsimple/Account/999',)))
    expect_error(('NotFound', 'InvalidArgument'), daemon.call, S, SI, 'RemoveAccount',
                 v('(o)', (sipsd.SETTINGS,)))
    assert sipsd.ACCOUNT0 in daemon.get(S, SI, 'Accounts')


def test_default_account(daemon, recorder):
    assert daemon.get(S, SI, 'DefaultAccount') == sipsd.ACCOUNT0
    path = daemon.add_account('gina@example.invalid', {'Register': v('b', False)})
    set_checked(daemon, recorder, S, SI, 'DefaultAccount', v('o', path))
    for bad in ('/org/sipsimple/Account/999', sipsd.SETTINGS):
        expect_error(('InvalidArgument', 'NotFound'), daemon.set, S, SI, 'DefaultAccount',
                     v('o', bad))
        assert daemon.get(S, SI, 'DefaultAccount') == path
    daemon.stop()
    daemon.start()
    path = account_path(daemon, 'gina@example.invalid')
    assert daemon.get(S, SI, 'DefaultAccount') == path
    # removing the default account falls back to a live account
    daemon.call(S, SI, 'RemoveAccount', v('(o)', (path,)))
    default = daemon.get(S, SI, 'DefaultAccount')
    assert default in daemon.get(S, SI, 'Accounts'), default


def test_configuration_file(daemon):
    got = daemon.get(S, SI, 'ConfigurationFile')
    assert os.path.realpath(got) == os.path.realpath(daemon.config_path)
    daemon.set(S, SI, 'UserAgent', v('s', 'conf-file-check'))
    kf = daemon.keyfile()
    assert kf.get_string('Settings', 'UserAgent') == 'conf-file-check'
    assert stat.S_IMODE(os.stat(daemon.config_path).st_mode) == 0o600
    # written atomically: nothing else lying around in the directory
    leftovers = [n for n in os.listdir(os.path.dirname(daemon.config_path))
                 if n.startswith('sipsimpled.conf') and n != 'sipsimpled.conf']
    assert not leftovers, leftovers


def test_config_file_values_are_loaded(bus, tmp_path):
    wav = write_wav(str(tmp_path / 'ring.wav'))
    d = sipsd.Daemon(bus, settings={'UserAgent': 'preset-agent', 'AudioCodecs': ['PCMA', 'PCMU'],
                                    'RTPConfiguration': {'UseSrtp': True, 'IceStunPort': 4000},
                                    'MSRPConfiguration': {'RelayHost': 'relay.example.com'},
                                    'RingtoneConfiguration': {'DefaultInboundRingtone': wav},
                                    'Account hank@example.invalid': {'DisplayName': 'Hank',
                                                                     'Register': False}})
    try:
        d.start()
        assert d.get(S, SI, 'UserAgent') == 'preset-agent'
        assert d.get(S, SI, 'AudioCodecs') == ['PCMA', 'PCMU']
        assert d.get(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'UseSrtp') is True
        assert d.get(sipsd.RTP_CONFIG, sipsd.RTP_IFACE, 'IceStunPort') == 4000
        assert d.get(sipsd.MSRP_CONFIG, sipsd.MSRP_IFACE, 'RelayHost') == 'relay.example.com'
        assert d.get(sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE, 'DefaultInboundRingtone') == wav
        p = account_path(d, 'hank@example.invalid')
        assert p, 'account from the config file not exported'
        assert d.get(p, sipsd.ACCOUNT_IFACE, 'DisplayName') == 'Hank'
        assert listening(d) == {'udp': d.ports['udp'], 'tcp': d.ports['tcp'],
                                'tls': d.ports['tls']}
    finally:
        d.cleanup()


@pytest.mark.parametrize('name,device,problem', [
    ('AudioInputDevice', 'nosuchelement_xyz', 'no element "nosuchelement_xyz"'),
    ('AudioInputDevice', 'fakesink', 'has no free output'),
    ('AudioOutputDevice', 'audiotestsrc is-live=true', 'has no free input'),
    ('AudioAlertDevice', 'fakesink nosuchproperty=1', 'no property "nosuchproperty"'),
])
def test_invalid_audio_device_refused(daemon, recorder, name, device, problem):
    # checked in a child process (no call has loaded GStreamer into this daemon)
    before = 'audiotestsrc is-live=true' if name == 'AudioInputDevice' else 'fakesink sync=false'
    daemon.set(S, SI, name, v('s', before))
    assert recorder.wait_props_changed(S, SI, name) == before
    text = daemon.config_text()
    recorder.clear()
    msg = expect_error('InvalidArgument', daemon.set, S, SI, name, v('s', device))
    kind = 'source' if name == 'AudioInputDevice' else 'sink'
    assert msg.startswith('%s: “%s” is not a valid GStreamer audio %s: ' % (name, device, kind)), msg
    assert problem in msg, msg
    assert daemon.get(S, SI, name) == before and daemon.config_text() == text
    sipsd.run_loop(0.2)
    assert not recorder.records, recorder.records


def test_invalid_audio_devices_in_the_file_fall_back_to_the_default(bus):
    d = sipsd.Daemon(bus, settings={'AudioInputDevice': 'fakesink',
                                    'AudioOutputDevice': 'nosuchelement_xyz',
                                    'AudioAlertDevice': 'fakesink sync=false'})
    try:
        d.start()
        assert d.get(S, SI, 'AudioInputDevice') == ''
        assert d.get(S, SI, 'AudioOutputDevice') == ''
        assert d.get(S, SI, 'AudioAlertDevice') == 'fakesink sync=false'
        for name in ('AudioInputDevice', 'AudioOutputDevice'):
            assert ('Invalid value of %s in [Settings] ignored, using the default' % name
                    in d.stderr_text()), d.stderr_text()
        assert 'AudioAlertDevice' not in d.stderr_text()
        # the file keeps what the user wrote
        assert d.keyfile().get_string('Settings', 'AudioOutputDevice') == 'nosuchelement_xyz'
    finally:
        d.cleanup()


def test_defaults(daemon):
    g = lambda p: daemon.get(S, SI, p)
    assert g('AudioCodecs') == ['opus', 'G722', 'PCMU', 'PCMA']
    assert (g('RtpPortMin'), g('RtpPortMax')) == (50000, 50500)
    assert g('TerminatedSessionLinger') == 30
    assert g('TlsVerifyServer') is True
    rtp = daemon.get_all(sipsd.RTP_CONFIG, sipsd.RTP_IFACE)
    assert (rtp['UseSrtp'], rtp['SrtpForced'], rtp['UseIce'], rtp['IceStunAddress'],
            rtp['IceStunPort']) == (False, False, False, '', 3478)
    msrp = daemon.get_all(sipsd.MSRP_CONFIG, sipsd.MSRP_IFACE)
    assert msrp == {'LocalIp': '', 'LocalPort': 0, 'LocalUseTls': True, 'UseRelayIncoming': True,
                    'UseRelayOutgoing': False, 'RelayHost': '', 'RelayPort': 0,
                    'RelayUseTls': True}
    assert daemon.get(sipsd.ACCOUNT0, sipsd.REGISTRATION_IFACE, 'State') == 'unregistered'


# ---------------------------------------------------------------- ports

def test_listening_uris_at_start(daemon):
    assert listening(daemon) == {'udp': daemon.ports['udp'], 'tcp': daemon.ports['tcp'],
                                 'tls': daemon.ports['tls']}
    assert sip_options(daemon.ports['udp']) == 'SIP/2.0 200 OK'


def test_udp_port_change_rebinds(daemon, recorder):
    old = daemon.ports['udp']
    new = sipsd.free_ports(1)[0]
    daemon.set(S, SI, 'SipUdpPort', v('u', new))
    assert recorder.wait_props_changed(S, SI, 'SipListeningUris') is not None, \
        'no PropertiesChanged(SipListeningUris)'
    assert listening(daemon)['udp'] == new
    status = sip_options(new)
    assert status and status.startswith('SIP/2.0 200'), 'OPTIONS to new port: %r' % status
    assert sip_options(old, timeout=1.0) is None, 'old UDP port still answers'


def test_port_zero_turns_transport_off(daemon):
    daemon.set(S, SI, 'SipTcpPort', v('u', 0))
    assert 'tcp' not in listening(daemon)
    assert 'udp' in listening(daemon)


@pytest.mark.parametrize('kind,prop', [('udp', 'SipUdpPort'), ('tcp', 'SipTcpPort')])
def test_port_in_use_refused(daemon, recorder, kind, prop):
    uris = daemon.get(S, SI, 'SipListeningUris')
    port = sipsd.free_ports(1)[0]
    s = occupy(kind, port)
    try:
        recorder.clear()
        expect_error('Failed', daemon.set, S, SI, prop, v('u', port))
        assert daemon.get(S, SI, prop) == daemon.ports[kind]
        assert daemon.get(S, SI, 'SipListeningUris') == uris
        assert daemon.keyfile().get_uint64('Settings', prop) == daemon.ports[kind]
        status = sip_options(daemon.ports['udp'])
        assert status and status.startswith('SIP/2.0 200'), 'old port stopped answering: %r' % status
        assert not recorder.find(lambda r: r[2] == 'PropertiesChanged' and prop in r[3][1])
    finally:
        s.close()


def test_port_busy_at_startup(bus):
    port = sipsd.free_ports(1)[0]
    s = occupy('udp', port)
    d = sipsd.Daemon(bus, settings={'SipUdpPort': port})
    try:
        d.start()
        lst = listening(d)
        assert 'udp' not in lst, lst
        assert lst.get('tcp') == d.ports['tcp']
        assert d.get(S, SI, 'SipUdpPort') == port
        # changing the port brings the transport up
        new = sipsd.free_ports(1)[0]
        d.set(S, SI, 'SipUdpPort', v('u', new))
        assert listening(d).get('udp') == new
        status = sip_options(new)
        assert status and status.startswith('SIP/2.0 200'), status
    finally:
        s.close()
        d.cleanup()


# ---------------------------------------------------------------- ringtones

def test_ringtones(daemon, recorder, tmp_path):
    R, RI = sipsd.RINGTONE_CONFIG, sipsd.RINGTONE_IFACE
    default = write_wav(str(tmp_path / 'default.wav'))
    bob = write_wav(str(tmp_path / 'bob.wav'))
    text = write_text(str(tmp_path / 'notes.txt'))
    set_checked(daemon, recorder, R, RI, 'DefaultInboundRingtone', v('s', default))
    expect_error('InvalidArgument', daemon.set, R, RI, 'DefaultInboundRingtone', v('s', text))
    assert daemon.get(R, RI, 'DefaultInboundRingtone') == default

    get = lambda uri: daemon.call(R, RI, 'GetRingtoneForSipuri', v('(s)', (uri,)), '(s)')[0]
    daemon.call(R, RI, 'AddRingtoneForSipuri', v('(ss)', ('sip:bob@example.com', bob)))
    assert get('sip:bob@example.com') == bob
    assert get('sip:carol@example.com') == default
    expect_error('InvalidArgument', daemon.call, R, RI, 'AddRingtoneForSipuri',
                 v('(ss)', ('sip:carol@example.com', text)))
    expect_error('InvalidArgument', daemon.call, R, RI, 'AddRingtoneForSipuri',
                 v('(ss)', ('not a uri', bob)))
    assert get('sip:carol@example.com') == default
    expect_error('NotFound', daemon.call, R, RI, 'RemoveSipuri',
                 v('(s)', ('sip:nobody@example.com',)))

    daemon.stop()
    daemon.start()
    assert daemon.get(R, RI, 'DefaultInboundRingtone') == default
    assert get('sip:bob@example.com') == bob, 'per-URI ringtone not persisted'
    daemon.call(R, RI, 'RemoveSipuri', v('(s)', ('sip:bob@example.com',)))
    assert get('sip:bob@example.com') == default
    expect_error('NotFound', daemon.call, R, RI, 'RemoveSipuri', v('(s)', ('sip:bob@example.com',)))
    daemon.stop()
    daemon.start()
    assert get('sip:bob@example.com') == default, 'removal not persisted'
    # "" = none
    daemon.set(R, RI, 'DefaultInboundRingtone', v('s', ''))
    assert daemon.get(R, RI, 'DefaultInboundRingtone') == ''
