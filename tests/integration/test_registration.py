"""Registration1 against a real kamailio registrar (digest auth, usrloc in memory).

What kamailio saw is asserted from its own log lines (kamailio.py) and from a binding
query; what the daemon says from its Registration1 signals and properties."""

import pytest

import sipsd
from sipsd import v, expect_error

RI = sipsd.REGISTRATION_IFACE
AI = sipsd.ACCOUNT_IFACE
SI = sipsd.SESSION_IFACE


# ---------------------------------------------------------------- fixtures and helpers

# Teardown output is shown only for a failed test: both sides' logs then.



@pytest.fixture
def daemons(bus):
    made = []

    def make(**kwargs):
        d = sipsd.Daemon(bus, **kwargs)
        made.append(d)
        return d.start()
    yield make
    for d in made:
        d.kill()
        print('---- sipsimpled stderr (udp %d)\n%s' % (d.ports['udp'], d.stderr_text()[-20000:]))
        d.cleanup()


def reg_signals(recorder, path, member=None):
    return [r[3] for r in recorder.records
            if r[0] == path and r[1] == RI and (member is None or r[2] == member)]


def wait_reg(recorder, path, member, timeout=10.0, count=1):
    """The count-th `member` signal of path's Registration1 (its args), or fail."""
    r = recorder.wait_for(lambda r: len(reg_signals(recorder, path, member)) >= count, timeout)
    assert r, '%s #%d did not come within %s s; got %s' % (
        member, count, timeout, [(x[2], x[3]) for x in recorder.records if x[1] == RI])
    return reg_signals(recorder, path, member)[count - 1]


def add_registered(daemon, recorder, address, props):
    path = daemon.add_account(address, props)
    args = wait_reg(recorder, path, 'DidSucceed')
    assert daemon.get(path, RI, 'State') == 'registered'
    return path, args


def contact_port(daemon):
    return '127.0.0.1:%d' % daemon.ports['udp']


def binding_gone(kam, user):
    return kam.wait_for(lambda k: not k.bindings(user), 5.0)


# ---------------------------------------------------------------- tests

def test_register_unregister(kam_factory, daemons, recorder):
    kam = kam_factory(users={'alice': 'secret'})
    d = daemons()
    address = 'alice@%s' % kam.hostport   # the registrar found from the domain
    path, (ts, contact, contacts, expires, registrar) = add_registered(
        d, recorder, address, {'Password': v('s', 'secret'), 'DisplayName': v('s', 'Alice "A"')})

    assert ts > 0
    assert contact.startswith('sip:alice@' + contact_port(d)), contact
    assert contact in contacts
    assert expires == 600                      # RegisterInterval, granted as asked
    assert registrar == kam.uri
    props = d.get_all(path, RI)
    assert props == {'State': 'registered', 'Registrar': kam.uri, 'Expires': 600,
                     'ContactUri': contact}

    # what kamailio saw: a challenge, then the authenticated REGISTER; it has the binding
    regs = kam.registers()
    assert [r['auth'] for r in regs] == [False, True], regs
    assert regs[1]['expires'] == '600'
    assert regs[1]['fromname'] == '"Alice \\"A\\""', regs[1]
    assert regs[1]['contact'] == '<%s>' % contact
    assert [c for c in kam.bindings('alice') if c.startswith(contact)], kam.bindings('alice')
    assert 'secret' not in d.stderr_text()

    # Unregister: WillEnd, un-REGISTER, DidEnd(expired=false)
    recorder.clear()
    d.call(path, RI, 'Unregister')
    wait_reg(recorder, path, 'DidEnd')
    members = [r[2] for r in recorder.records if r[0] == path and r[1] == RI]
    assert members == ['WillEnd', 'DidEnd'], members
    assert reg_signals(recorder, path, 'DidEnd')[0][1] is False
    assert d.get(path, RI, 'State') == 'unregistered'
    assert d.get(path, RI, 'Expires') == 0
    assert kam.registers()[-1]['expires'] == '0'
    assert not kam.bindings('alice')

    # Register() brings it back; Register() when registered refreshes at once
    recorder.clear()
    d.call(path, RI, 'Register')
    wait_reg(recorder, path, 'DidSucceed')
    assert kam.bindings('alice')
    n = len(kam.registers())
    d.call(path, RI, 'Register')
    wait_reg(recorder, path, 'DidSucceed', count=2)
    assert len(kam.registers()) == n + 1 and kam.registers()[-1]['auth']


def test_local_account_never_registers(daemon):
    expect_error('PermissionDenied', daemon.call, sipsd.ACCOUNT0, RI, 'Register')
    expect_error('PermissionDenied', daemon.call, sipsd.ACCOUNT0, RI, 'Unregister')
    assert daemon.get(sipsd.ACCOUNT0, RI, 'State') == 'unregistered'


def test_wrong_password_fails_once(kam_factory, daemons, recorder):
    kam = kam_factory(users={'alice': 'secret'})
    d = daemons()
    path = d.add_account('alice@%s' % kam.hostport, {'Password': v('s', 'wrong')})
    ts, code, reason, retry_after = wait_reg(recorder, path, 'DidFail')
    assert code == 401, (code, reason)
    assert reason
    assert retry_after >= 30
    assert d.get(path, RI, 'State') == 'failed'
    assert not reg_signals(recorder, path, 'DidSucceed')

    # answered once: the challenge, one authenticated try, then nothing more
    sipsd.run_loop(1.5)
    regs = kam.registers()
    assert [r['auth'] for r in regs] == [False, True], regs
    assert len(kam.events('AUTHFAIL')) == 1
    assert len(reg_signals(recorder, path, 'DidFail')) == 1
    assert 'wrong' not in d.stderr_text()

    # the right password re-registers at once (no waiting for the back-off)
    d.set(path, AI, 'Password', v('s', 'secret'))
    wait_reg(recorder, path, 'DidSucceed', timeout=5)
    assert d.get(path, RI, 'State') == 'registered'


def test_refresh_honours_granted_expires(kam_factory, daemons, recorder):
    kam = kam_factory(users={'alice': 'secret'}, max_expires=4)
    d = daemons()
    # the registrar from OutboundProxy, the AOR in another domain
    path, (ts, contact, contacts, expires, registrar) = add_registered(
        d, recorder, 'alice@example.com',
        {'Password': v('s', 'secret'), 'OutboundProxy': v('s', kam.hostport)})
    assert expires == 4, 'asked 600, kamailio grants at most 4'
    assert registrar == kam.uri
    assert d.get(path, RI, 'Expires') == 4
    assert kam.registers()[-1]['to'] == 'sip:alice@example.com'

    # nua refreshes before the 4 s run out, twice, with the cached credentials
    second = wait_reg(recorder, path, 'DidSucceed', timeout=4.5, count=2)
    third = wait_reg(recorder, path, 'DidSucceed', timeout=4.5, count=3)
    assert second[3] == 4 and third[3] == 4
    assert third[0] - ts < 8 * 1000000
    assert not reg_signals(recorder, path, 'DidEnd')
    assert not reg_signals(recorder, path, 'DidFail')
    assert d.get(path, RI, 'State') == 'registered'
    assert kam.bindings('alice')
    assert len([r for r in kam.registers() if r['auth']]) >= 3


def test_retry_after_is_honoured(kam_factory, daemons, recorder):
    kam = kam_factory(register_reply=(503, 'Overloaded', 120))
    d = daemons()
    path = d.add_account('alice@%s' % kam.hostport, {})
    ts, code, reason, retry_after = wait_reg(recorder, path, 'DidFail')
    assert (code, reason, retry_after) == (503, 'Overloaded', 120)
    assert d.get(path, RI, 'State') == 'failed'
    sipsd.run_loop(0.5)
    assert len(kam.registers()) == 1, 'no retry before the 120 s'


def test_registrar_goes_away(kam_factory, daemons, recorder):
    """The refresh fails: DidFail with a retry, then DidEnd(expired) when the binding the
    registrar granted has run out."""
    kam = kam_factory(users={'alice': 'secret'}, max_expires=3)
    d = daemons()
    path, (ts, contact, contacts, expires, registrar) = add_registered(
        d, recorder, 'alice@%s' % kam.hostport, {'Password': v('s', 'secret')})
    assert expires == 3
    kam.stop()

    ts, code, reason, retry_after = wait_reg(recorder, path, 'DidFail', timeout=5)
    assert code in (408, 503), (code, reason)
    assert retry_after >= 30
    assert d.get(path, RI, 'State') == 'failed'
    assert wait_reg(recorder, path, 'DidEnd', timeout=5)[1] is True
    assert d.get(path, RI, 'Expires') == 0
    assert not reg_signals(recorder, path, 'WillEnd')


def test_changes_reregister(kam_factory, daemons, recorder):
    """RegisterInterval, OutboundProxy and the SIP port: a new REGISTER with the new
    values, the old binding gone."""
    kam = kam_factory(users={'alice': 'secret'})
    d = daemons()
    path, (ts, contact, contacts, expires, registrar) = add_registered(
        d, recorder, 'alice@example.com',
        {'Password': v('s', 'secret'), 'OutboundProxy': v('s', 'sip:' + kam.hostport)})
    assert registrar == kam.uri

    recorder.clear()
    d.set(path, AI, 'RegisterInterval', v('u', 120))
    args = wait_reg(recorder, path, 'DidSucceed')
    assert args[3] == 120 and d.get(path, RI, 'Expires') == 120
    seq = [r['expires'] for r in kam.registers()]
    assert '0' in seq and set(seq[seq.index('0') + 1:]) == {'120'}, seq   # un-REGISTER first
    assert not reg_signals(recorder, path, 'DidEnd'), 'a re-registration is no end'

    # the proxy over TCP: the Contact says so too
    recorder.clear()
    d.set(path, AI, 'OutboundProxy', v('s', 'sip:%s;transport=tcp' % kam.hostport))
    args = wait_reg(recorder, path, 'DidSucceed')
    assert args[1] == 'sip:alice@127.0.0.1:%d;transport=tcp' % d.ports['tcp'], args
    assert kam.registers()[-1]['transport'] == 'tcp'
    assert args[4] == 'sip:%s;transport=tcp' % kam.hostport
    assert kam.bindings('alice') == [args[1]]

    # a new SIP port recreates the stack: registered again from the new port
    recorder.clear()
    d.set(path, AI, 'OutboundProxy', v('s', kam.hostport))
    wait_reg(recorder, path, 'DidSucceed')
    new_port = sipsd.free_ports(1)[0]
    recorder.clear()
    d.set(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'SipUdpPort', v('u', new_port))
    args = wait_reg(recorder, path, 'DidSucceed')
    assert args[1] == 'sip:alice@127.0.0.1:%d;transport=udp' % new_port, args
    assert kam.wait_for(lambda k: k.bindings('alice') == [args[1]], 5), kam.bindings('alice')


def test_remove_account_unregisters(kam_factory, daemons, recorder):
    kam = kam_factory(users={'alice': 'secret'})
    d = daemons()
    path, _ = add_registered(d, recorder, 'alice@%s' % kam.hostport, {'Password': v('s', 'secret')})
    assert kam.bindings('alice')

    d.call(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'RemoveAccount', v('(o)', (path,)))
    assert kam.wait_for(lambda k: k.registers()[-1]['expires'] == '0', 5.0), kam.registers()
    assert binding_gone(kam, 'alice')


def test_disable_and_register_false_unregister(kam_factory, daemons, recorder):
    kam = kam_factory(users={'alice': 'secret'})
    d = daemons()
    path, _ = add_registered(d, recorder, 'alice@%s' % kam.hostport, {'Password': v('s', 'secret')})

    recorder.clear()
    d.set(path, AI, 'Enabled', v('b', False))
    assert wait_reg(recorder, path, 'DidEnd')[1] is False
    assert [r[2] for r in recorder.records if r[0] == path and r[1] == RI] == ['WillEnd', 'DidEnd']
    assert d.get(path, RI, 'State') == 'unregistered'
    assert not kam.bindings('alice')
    expect_error('InvalidState', d.call, path, RI, 'Register')

    recorder.clear()
    d.set(path, AI, 'Enabled', v('b', True))
    wait_reg(recorder, path, 'DidSucceed')
    assert kam.bindings('alice')

    recorder.clear()
    d.set(path, AI, 'Register', v('b', False))
    wait_reg(recorder, path, 'DidEnd')
    assert not kam.bindings('alice')


def test_sigterm_unregisters(kam_factory, daemons, recorder):
    kam = kam_factory(users={'alice': 'secret'})
    d = daemons()
    add_registered(d, recorder, 'alice@%s' % kam.hostport, {'Password': v('s', 'secret')})
    n = len(kam.registers())

    d.stop()
    regs = kam.registers()[n:]
    assert regs and regs[-1]['expires'] == '0', kam.registers()
    assert binding_gone(kam, 'alice')


def test_restart_registers_again(kam_factory, bus, recorder):
    """A configured account registers by itself at start-up."""
    kam = kam_factory(users={'alice': 'secret'})
    d = sipsd.Daemon(bus, settings={'Account alice@%s' % kam.hostport: {'Password': 'secret'}})
    try:
        d.start()
        path = '/org/sipsimple/Account/1'
        assert d.get(path, AI, 'Id') == 'alice@%s' % kam.hostport
        assert sipsd.wait_until(lambda: d.get(path, RI, 'State') == 'registered', 10), \
            d.get(path, RI, 'State')
        assert kam.bindings('alice')
    finally:
        d.cleanup()


def test_registrar_unreachable(daemons, recorder):
    d = daemons()
    dead = sipsd.free_ports(1)[0]   # nothing listens there
    path = d.add_account('alice@example.com', {'OutboundProxy': v('s', '127.0.0.1:%d' % dead)})
    ts, code, reason, retry_after = wait_reg(recorder, path, 'DidFail', timeout=40)
    assert code in (408, 503), (code, reason)
    assert retry_after > 0
    assert d.get(path, RI, 'State') == 'failed'
    assert d.get(path, RI, 'Registrar') == 'sip:127.0.0.1:%d' % dead

    # Unregister() while failed: nothing to take down, no retry any more
    recorder.clear()
    d.call(path, RI, 'Unregister')
    assert d.get(path, RI, 'State') == 'unregistered'


def test_call_routed_to_registered_contact(kam_factory, daemons, recorder, bus):
    """kamailio as proxy: an INVITE for bob reaches the daemon bob registered from; once
    bob has unregistered, kamailio answers 404."""
    kam = kam_factory(users={'bob': 'bobpw'})
    bob = daemons()
    bob_path, _ = add_registered(bob, recorder, 'bob@%s' % kam.hostport, {'Password': v('s', 'bobpw')})

    # alice: a second daemon, on a bus of its own (one daemon per bus name)
    alice_bus = sipsd.PrivateBus()
    alice = sipsd.Daemon(alice_bus)
    alice_rec = sipsd.SignalRecorder(alice_bus.connection(), sipsd.ROOT)
    try:
        alice.start()

        def call_bob():
            session = alice.create_session()
            alice.call(session, SI, 'New',
                       v('(sosbb)', ('sip:bob@%s' % kam.hostport, '/', '', True, False)))
            return session

        session = call_bob()

        incoming = recorder.wait_for(lambda r: r[1] == SI and r[2] == 'NewIncoming', 10)
        assert incoming, 'bob never saw the call; kamailio routed: %s' % kam.events('ROUTED')
        assert kam.events('ROUTED')[-1]['ruri'].startswith('sip:bob@127.0.0.1:%d' % bob.ports['udp'])
        alice.call(session, SI, 'Terminate')
        assert alice_rec.wait_for(lambda r: r[0] == session and r[2] == 'DidEnd', 10)

        recorder.clear()
        bob.call(bob_path, RI, 'Unregister')
        wait_reg(recorder, bob_path, 'DidEnd')
        session = call_bob()
        fail = alice_rec.wait_for(lambda r: r[0] == session and r[2] == 'DidFail', 10)
        assert fail and fail[3][2] == 404, fail
        assert kam.events('NOTFOUND')
    finally:
        alice_rec.close()
        alice.cleanup()
        alice_bus.stop()
