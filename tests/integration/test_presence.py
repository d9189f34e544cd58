"""Subscription1 / Publication1 against kamailio's presence server (presence +
presence_xml on db_text, started by the test on loopback): two daemons, A publishes its
presence, B watches it. What kamailio received is asserted from its "SIPS PRESENCE" log
lines (kamailio.py); what the daemons say from their signals and properties."""

import os
import re

import pytest

import sipsd
from sipsd import v, expect_error

AI = sipsd.ACCOUNT_IFACE
SUBI = 'org.sipsimple.Subscription1'
PUBI = 'org.sipsimple.Publication1'
TIMEOUT = 10
LINGER = 2

KAMAILIO_OPTIONS = {'presence': True}   # kam_factory (conftest.py)


def pidf(entity, status, note=None):
    note_xml = '<note>%s</note>' % note if note else ''
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="%s">'
            '<tuple id="t1"><status><basic>%s</basic></status>%s</tuple></presence>'
            % (entity, status, note_xml))


def basic_of(body):
    m = re.search(r'<(?:\w+:)?basic>\s*(\w+)\s*</(?:\w+:)?basic>', body)
    return m.group(1) if m else None


class Peer:
    """A daemon on a bus of its own, with an account user@kamailio and a recorder."""

    def __init__(self, kam, user, password=None, settings=None):
        s = {'TerminatedSessionLinger': LINGER}
        s.update(settings or {})
        self.kam = kam
        self.bus = sipsd.PrivateBus()
        self.daemon = sipsd.Daemon(self.bus, settings=s)
        try:
            self.daemon.start(['--verbose'] if os.environ.get('SIPSD_VERBOSE') else [])
        except Exception:
            self.bus.stop()
            raise
        self.rec = sipsd.SignalRecorder(self.bus.connection(), '/')
        props = {'Register': v('b', False)}
        if password is not None:
            props['Password'] = v('s', password)
        self.uri = 'sip:%s@%s' % (user, kam.hostport)
        self.account = self.daemon.add_account('%s@%s' % (user, kam.hostport), props)

    def subscribe(self, to_uri, event='presence', accept=(), expires=0, account=None):
        return self.daemon.call(account or self.account, AI, 'Subscribe',
                                v('(ssasu)', (to_uri, event, list(accept), expires)), '(o)')[0]

    def publish(self, body, status=None, event='presence', content_type='application/pidf+xml',
                expires=0):
        return self.daemon.call(self.account, AI, 'Publish',
                                v('(sssu)', (event, content_type, body, expires)), '(o)')[0]

    def signals(self, path, iface, member):
        return [r[3] for r in self.rec.records if r[0] == path and r[1] == iface and r[2] == member]

    def members(self, path, iface):
        return [r[2] for r in self.rec.records if r[0] == path and r[1] == iface]

    def wait(self, path, iface, member, count=1, timeout=TIMEOUT, predicate=None):
        def found():
            got = self.signals(path, iface, member)
            if predicate is not None:
                got = [a for a in got if predicate(a)]
            return got[count - 1] if len(got) >= count else None
        r = sipsd.wait_until(found, timeout, interval=0.02)
        assert r is not None, '%s: %d x %s.%s not seen (got %s); daemon:\n%s\nkamailio:\n%s' % (
            path, count, iface, member, self.members(path, iface),
            self.daemon.stderr_text()[-3000:], self.kam.log_text()[-3000:])
        return r

    def notify_bodies(self, path):
        return [a[2] for a in self.signals(path, SUBI, 'GotNotify')]

    def wait_notify(self, path, basic, timeout=TIMEOUT):
        """The first GotNotify (args) whose PIDF <basic> is basic."""
        return self.wait(path, SUBI, 'GotNotify', timeout=timeout,
                         predicate=lambda a: basic_of(a[2]) == basic)

    def removed(self, path):
        return [r for r in self.rec.records
                if r[1] == sipsd.OM_IFACE and r[2] == 'InterfacesRemoved' and r[3][0] == path]

    def stop(self):
        self.rec.close()
        try:
            if self.daemon.proc is not None and self.daemon.proc.poll() is None:
                self.daemon.stop()
            err = self.daemon.stderr_text()
            assert 'Sanitizer' not in err and 'runtime error' not in err, err[-6000:]
        finally:
            self.daemon.cleanup()
            self.bus.stop()




@pytest.fixture
def peers():
    made = []

    def make(kam, user, **kwargs):
        p = Peer(kam, user, **kwargs)
        made.append(p)
        return p
    yield make
    for p in made:
        print('---- sipsimpled %s stderr\n%s' % (p.uri, p.daemon.stderr_text()[-20000:]))
        p.stop()


# ---------------------------------------------------------------- tests

def test_publish_update_end_seen_by_watcher(kam_factory, peers):
    kam = kam_factory(users={'alice': 'apw', 'bob': 'bpw'})
    a = peers(kam, 'alice', password='apw')
    b = peers(kam, 'bob', password='bpw')

    # A publishes "open": answered after a 401 with A's credentials, ETag kept
    pub = a.publish(pidf(a.uri, 'open', 'here'))
    assert re.fullmatch(r'/org/sipsimple/Publication/\d+', pub), pub
    (ts, expires) = a.wait(pub, PUBI, 'DidSucceed')
    assert ts > 0 and 0 < expires <= 600
    props = a.daemon.get_all(pub, PUBI)
    assert props['State'] == 'published' and props['Event'] == 'presence'
    assert props['ETag'] and props['Expires'] == expires and props['Account'] == a.account
    publishes = kam.presence_requests('PUBLISH')
    assert [p['auth'] for p in publishes] == [False, True], publishes
    assert publishes[-1]['event'] == 'presence' and publishes[-1]['ifmatch'] == ''

    # B subscribes to A: DidSucceed, then a NOTIFY with A's "open" document
    sub = b.subscribe(a.uri)
    assert re.fullmatch(r'/org/sipsimple/Subscription/\d+', sub), sub
    b.wait(sub, SUBI, 'DidSucceed')
    ts, ctype, body, state = b.wait_notify(sub, 'open')
    assert ctype == 'application/pidf+xml' and 'here' in body
    assert state.startswith('active') and 'expires=' in state, state
    assert b.daemon.get_all(sub, SUBI) == {'ToUri': a.uri, 'Event': 'presence',
                                           'State': 'active', 'Account': b.account}
    subscribes = kam.presence_requests('SUBSCRIBE')
    assert [s['auth'] for s in subscribes] == [False, True], subscribes
    assert subscribes[-1]['ruri'] == a.uri and subscribes[-1]['event'] == 'presence'

    # Update to "closed": SIP-If-Match with the ETag, a new ETag; B sees "closed"
    etag = a.daemon.get(pub, PUBI, 'ETag')
    a.daemon.call(pub, PUBI, 'Update', v('(ss)', ('application/pidf+xml', pidf(a.uri, 'closed'))))
    a.wait(pub, PUBI, 'DidSucceed', count=2)
    assert kam.presence_requests('PUBLISH')[-1]['ifmatch'] == etag
    b.wait_notify(sub, 'closed')

    # End: PUBLISH Expires: 0 with the ETag; WillEnd, DidEnd; B is told A's document went
    n_notify = len(b.notify_bodies(sub))
    etag = a.daemon.get(pub, PUBI, 'ETag')
    a.daemon.call(pub, PUBI, 'End')
    a.wait(pub, PUBI, 'DidEnd')
    assert a.members(pub, PUBI)[-2:] == ['WillEnd', 'DidEnd']
    assert a.daemon.get(pub, PUBI, 'State') == 'unpublished'
    last = kam.presence_requests('PUBLISH')[-1]
    assert last['expires'] == '0' and last['ifmatch'] == etag, last
    b.wait(sub, SUBI, 'GotNotify', count=n_notify + 1)
    assert basic_of(b.notify_bodies(sub)[-1]) != 'open'
    expect_error('InvalidState', a.daemon.call, pub, PUBI, 'End')
    expect_error('InvalidState', a.daemon.call, pub, PUBI, 'Update',
                 v('(ss)', ('application/pidf+xml', pidf(a.uri, 'open'))))

    # Unsubscribe: SUBSCRIBE Expires: 0 in the dialog, the final NOTIFY, DidEnd("local")
    b.daemon.call(sub, SUBI, 'Unsubscribe')
    ts, originator = b.wait(sub, SUBI, 'DidEnd')
    assert originator == 'local'
    last = kam.presence_requests('SUBSCRIBE')[-1]
    assert last['expires'] == '0' and last['totag'] != '', last
    assert b.signals(sub, SUBI, 'GotNotify')[-1][3].startswith('terminated')
    assert b.daemon.get(sub, SUBI, 'State') == 'terminated'
    assert 'WillEnd' in b.members(sub, SUBI)
    expect_error('InvalidState', b.daemon.call, sub, SUBI, 'Unsubscribe')

    # both linger TerminatedSessionLinger seconds, then leave the bus
    assert sipsd.wait_until(lambda: b.removed(sub) and a.removed(pub), LINGER + 5)
    assert sub not in b.daemon.managed_objects() and pub not in a.daemon.managed_objects()
    assert 'apw' not in a.daemon.stderr_text() and 'bpw' not in b.daemon.stderr_text()


def test_refresh_with_short_max_expires(kam_factory, peers):
    kam = kam_factory(presence_max_expires=4)
    a = peers(kam, 'alice')
    b = peers(kam, 'bob')

    pub = a.publish(pidf(a.uri, 'open'))
    (ts, expires) = a.wait(pub, PUBI, 'DidSucceed')
    assert expires == 4
    sub = b.subscribe(a.uri)
    b.wait_notify(sub, 'open')

    # refreshed before expiry: PUBLISH with SIP-If-Match, in-dialog SUBSCRIBEs
    a.wait(pub, PUBI, 'DidSucceed', count=3, timeout=15)
    refreshes = [p for p in kam.presence_requests('PUBLISH') if p['ifmatch']]
    assert len(refreshes) >= 2 and all(p['expires'] != '0' for p in refreshes), refreshes
    assert kam.wait_for(lambda k: len([s for s in k.presence_requests('SUBSCRIBE')
                                       if s['totag']]) >= 2, 20), kam.presence_requests('SUBSCRIBE')
    # still there: the subscription never ended, and the server still has A's document
    assert 'DidEnd' not in b.members(sub, SUBI) and 'DidEnd' not in a.members(pub, PUBI)
    assert b.daemon.get(sub, SUBI, 'State') == 'active'
    n = len(b.notify_bodies(sub))
    a.daemon.call(pub, PUBI, 'Update', v('(ss)', ('application/pidf+xml', pidf(a.uri, 'closed'))))
    b.wait_notify(sub, 'closed')
    assert len(b.notify_bodies(sub)) > n


def test_winfo_shows_the_watcher(kam_factory, peers):
    kam = kam_factory()
    a = peers(kam, 'alice')
    b = peers(kam, 'bob')

    winfo = a.subscribe(a.uri, 'presence.winfo')
    a.wait(winfo, SUBI, 'DidSucceed')
    a.wait(winfo, SUBI, 'GotNotify')
    assert a.signals(winfo, SUBI, 'GotNotify')[0][1] in ('', 'application/watcherinfo+xml')
    assert kam.presence_requests('SUBSCRIBE')[-1]['event'] == 'presence.winfo'

    sub = b.subscribe(a.uri)
    b.wait(sub, SUBI, 'DidSucceed')
    ts, ctype, body, state = a.wait(winfo, SUBI, 'GotNotify',
                                    predicate=lambda x: 'bob@' in x[2])
    assert ctype == 'application/watcherinfo+xml'
    # kamailio names presentities and watchers without the port
    assert '<watcherinfo' in body and 'sip:bob@127.0.0.1<' in body, body
    assert 'status="active"' in body


def test_refused_subscribe_fails_and_ends(kam_factory, peers):
    kam = kam_factory()
    b = peers(kam, 'bob')

    sub = b.subscribe('sip:alice@%s' % kam.hostport, 'no-such-event')
    ts, code, reason = b.wait(sub, SUBI, 'DidFail')
    assert code == 489, (code, reason)
    ts, originator = b.wait(sub, SUBI, 'DidEnd')
    members = b.members(sub, SUBI)
    assert members.index('DidFail') < members.index('DidEnd'), members
    assert 'DidSucceed' not in members and 'GotNotify' not in members
    assert b.daemon.get(sub, SUBI, 'State') == 'terminated'
    expect_error('InvalidState', b.daemon.call, sub, SUBI, 'Unsubscribe')
    assert sipsd.wait_until(lambda: b.removed(sub), LINGER + 5)


def ended_on_wire(kam):
    """kamailio saw a PUBLISH Expires: 0 with an ETag and an in-dialog SUBSCRIBE Expires: 0."""
    pubs = [p for p in kam.presence_requests('PUBLISH') if p['expires'] == '0' and p['ifmatch']]
    subs = [s for s in kam.presence_requests('SUBSCRIBE') if s['expires'] == '0' and s['totag']]
    return pubs and subs


def test_disabling_the_account_ends_them_on_the_wire(kam_factory, peers):
    kam = kam_factory()
    a = peers(kam, 'alice')
    b = peers(kam, 'bob')
    pub = a.publish(pidf(a.uri, 'open'))
    a.wait(pub, PUBI, 'DidSucceed')
    sub = a.subscribe(b.uri)
    a.wait(sub, SUBI, 'DidSucceed')

    a.daemon.set(a.account, AI, 'Enabled', v('b', False))
    a.wait(pub, PUBI, 'DidEnd')
    a.wait(sub, SUBI, 'DidEnd')
    assert kam.wait_for(lambda k: ended_on_wire(k), 5), kam.presence_requests()
    assert a.daemon.get(pub, PUBI, 'State') == 'unpublished'
    # a disabled account cannot subscribe or publish
    expect_error('InvalidState', a.subscribe, b.uri)
    expect_error('InvalidState', a.publish, pidf(a.uri, 'open'))


def test_removing_the_account_ends_them_on_the_wire(kam_factory, peers):
    kam = kam_factory()
    a = peers(kam, 'alice')
    b = peers(kam, 'bob')
    pub = a.publish(pidf(a.uri, 'open'))
    a.wait(pub, PUBI, 'DidSucceed')
    sub = a.subscribe(b.uri)
    a.wait(sub, SUBI, 'DidSucceed')

    a.daemon.call(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'RemoveAccount', v('(o)', (a.account,)))
    assert kam.wait_for(lambda k: ended_on_wire(k), 5), kam.presence_requests()
    assert sipsd.wait_until(lambda: a.removed(pub) and a.removed(sub), 5)


def test_stopping_the_daemon_ends_them_on_the_wire(kam_factory, peers):
    kam = kam_factory()
    a = peers(kam, 'alice')
    b = peers(kam, 'bob')
    pub = a.publish(pidf(a.uri, 'open'))
    a.wait(pub, PUBI, 'DidSucceed')
    sub = a.subscribe(b.uri)
    a.wait(sub, SUBI, 'DidSucceed')
    watch = b.subscribe(a.uri)
    b.wait_notify(watch, 'open')

    a.daemon.stop()
    assert kam.wait_for(lambda k: ended_on_wire(k), 5), kam.presence_requests()
    # B's watcher is told A's document is gone
    b.wait(watch, SUBI, 'GotNotify', predicate=lambda x: basic_of(x[2]) != 'open')


def test_bad_input(kam_factory, peers):
    kam = kam_factory()
    a = peers(kam, 'alice')
    before = a.daemon.managed_objects()

    for uri in ('', 'alice@example.com', 'sip:', 'http://example.com/', 'sip:a b@c'):
        expect_error('InvalidArgument', a.subscribe, uri)
    expect_error('InvalidArgument', a.subscribe, a.uri, '')
    expect_error('InvalidArgument', a.subscribe, a.uri, 'pres ence')
    expect_error('InvalidArgument', a.subscribe, a.uri, 'presence', ['not a type'])
    expect_error('InvalidArgument', a.publish, pidf(a.uri, 'open'), event='')
    expect_error('InvalidArgument', a.publish, pidf(a.uri, 'open'), content_type='')
    expect_error('InvalidArgument', a.publish, pidf(a.uri, 'open'), content_type='pidf')
    # what no SIP message of 64 KiB could carry
    expect_error('InvalidArgument', a.subscribe, a.uri, 'e' * 65)
    expect_error('InvalidArgument', a.subscribe, 'sip:%s@example.com' % ('u' * 5000))
    expect_error('InvalidArgument', a.publish, 'x' * (60 * 1024 + 1))
    assert a.daemon.managed_objects() == before
    assert not kam.presence_requests()

    pub = a.publish(pidf(a.uri, 'open'))
    a.wait(pub, PUBI, 'DidSucceed')
    expect_error('InvalidArgument', a.daemon.call, pub, PUBI, 'Update', v('(ss)', ('', 'x')))
    expect_error('InvalidArgument', a.daemon.call, pub, PUBI, 'Update',
                 v('(ss)', ('application/pidf+xml', 'x' * (60 * 1024 + 1))))
    assert a.daemon.get(pub, PUBI, 'State') == 'published'
    assert len(kam.presence_requests('PUBLISH')) == 1

    # the local account (account 0) subscribes directly
    a.daemon.set(a.account, AI, 'Enabled', v('b', False))
    expect_error('InvalidState', a.subscribe, a.uri)
    expect_error('InvalidState', a.publish, pidf(a.uri, 'open'))


# ---------------------------------------------------------------- bad input on the wire (sipp)

def wait_member(recorder, path, iface, member, timeout=TIMEOUT):
    r = recorder.wait_for(lambda r: r[0] == path and r[1] == iface and r[2] == member, timeout)
    assert r, '%s.%s on %s not seen; got %s' % (iface, member, path,
                                                [x[2] for x in recorder.records if x[0] == path])
    return r[3]


def test_notify_without_subscription_state(daemon, recorder, sipp):
    uas = sipp('uas_notify_no_state.xml').start()
    sub = daemon.call(sipsd.ACCOUNT0, AI, 'Subscribe',
                      v('(ssasu)', (uas.uri('alice'), 'presence', [], 60)), '(o)')[0]
    wait_member(recorder, sub, SUBI, 'DidSucceed')
    ts, originator = wait_member(recorder, sub, SUBI, 'DidEnd')
    assert uas.wait(TIMEOUT) == 0, uas.describe()

    # both NOTIFYs answered 200 and reported; the one without the header with ""
    notifies = [r[3] for r in recorder.records if r[0] == sub and r[2] == 'GotNotify']
    assert [(n[1], n[2].strip(), n[3]) for n in notifies] == [
        ('text/plain', 'no state', ''), ('', '', 'terminated;reason=noresource')], notifies
    assert originator == 'remote'
    assert daemon.get(sub, SUBI, 'State') == 'terminated'
    assert 'SUBSCRIBE sip:alice@' in uas.messages()
    assert 'Accept: application/pidf+xml' in uas.messages()


def test_notify_for_an_unknown_dialog(daemon, sipp):
    before = daemon.managed_objects()
    uac = sipp('uac_notify_unknown.xml', remote='127.0.0.1:%d' % daemon.ports['udp']).start()
    assert uac.wait(TIMEOUT) == 0, uac.describe()
    assert 'SIP/2.0 481' in uac.messages()
    assert daemon.managed_objects() == before
    # and the daemon carries on
    assert daemon.get(sipsd.ACCOUNT0, AI, 'Id')


def test_publish_answer_without_etag(daemon, recorder, sipp):
    uas = sipp('uas_publish_no_etag.xml').start()
    account = daemon.add_account('alice@127.0.0.1:%d' % uas.port, {'Register': v('b', False)})
    pub = daemon.call(account, AI, 'Publish',
                      v('(sssu)', ('presence', 'application/pidf+xml',
                                   pidf('sip:alice@127.0.0.1', 'open'), 60)), '(o)')[0]
    ts, code, reason = wait_member(recorder, pub, PUBI, 'DidFail')
    assert code == 0 and 'SIP-ETag' in reason, (code, reason)
    wait_member(recorder, pub, PUBI, 'DidEnd')
    members = [r[2] for r in recorder.records if r[0] == pub and r[1] == PUBI]
    assert 'DidSucceed' not in members and members[-1] == 'DidEnd', members
    assert daemon.get_all(pub, PUBI) == {'Event': 'presence', 'State': 'failed', 'ETag': '',
                                         'Expires': 0, 'Account': account}
    expect_error('InvalidState', daemon.call, pub, PUBI, 'End')
    assert uas.wait(TIMEOUT) == 0, uas.describe()


def test_probation_retry_after_subscribes_again(daemon, recorder, sipp):
    """A NOTIFY "terminated;reason=probation;retry-after=1" (RFC 6665 4.1.3): the
    subscription stays and subscribes again after that time; the notifier's final
    "noresource" ends it."""
    uas = sipp('uas_notify_probation.xml').start()
    sub = daemon.call(sipsd.ACCOUNT0, AI, 'Subscribe',
                      v('(ssasu)', (uas.uri('alice'), 'presence', [], 60)), '(o)')[0]
    ts, originator = wait_member(recorder, sub, SUBI, 'DidEnd', timeout=15)
    assert uas.wait(TIMEOUT) == 0, uas.describe()
    notifies = [r[3] for r in recorder.records if r[0] == sub and r[2] == 'GotNotify']
    assert [n[3] for n in notifies] == ['terminated;reason=probation;retry-after=1',
                                        'active;expires=60', 'terminated;reason=noresource']
    assert notifies[1][2].strip() == 'back'
    # the second SUBSCRIBE came no sooner than the retry-after
    assert notifies[1][0] - notifies[0][0] >= 900000, notifies
    assert uas.messages().count('SUBSCRIBE sip:alice@') == 2
    members = [r[2] for r in recorder.records if r[0] == sub and r[1] == SUBI]
    assert members.count('DidSucceed') == 1 and 'DidFail' not in members, members
    assert originator == 'remote'


def received_requests(messages, method):
    """The requests of `method` sipp received (its -trace_msg log), as text."""
    return [m.split('\n\n', 1)[1] for m in messages.split('-----------------------------------------------')
            if 'message received' in m and m.split('\n\n', 1)[1].startswith(method + ' ')]


def test_publish_refresh_412_publishes_afresh(daemon, recorder, sipp):
    uas = sipp('uas_publish_412.xml').start()
    account = daemon.add_account('alice@127.0.0.1:%d' % uas.port, {'Register': v('b', False)})
    body = pidf('sip:alice@127.0.0.1', 'open', 'kept')
    pub = daemon.call(account, AI, 'Publish',
                      v('(sssu)', ('presence', 'application/pidf+xml', body, 600)), '(o)')[0]
    assert wait_member(recorder, pub, PUBI, 'DidSucceed')[1] == 2
    assert daemon.get(pub, PUBI, 'ETag') == 'e1'
    second = recorder.wait_for(lambda r: r[0] == pub and r[2] == 'DidSucceed' and r[3][1] == 60, 15)
    assert second, daemon.stderr_text()
    assert uas.wait(TIMEOUT) == 0, uas.describe()
    assert daemon.get_all(pub, PUBI)['ETag'] == 'e2'
    assert daemon.get(pub, PUBI, 'State') == 'published'
    members = [r[2] for r in recorder.records if r[0] == pub and r[1] == PUBI]
    assert 'DidFail' not in members and 'DidEnd' not in members, members

    initial, refresh, fresh = received_requests(uas.messages(), 'PUBLISH')
    assert 'SIP-If-Match' not in initial and 'kept' in initial
    assert 'SIP-If-Match: e1' in refresh
    # the fresh one: no SIP-If-Match, the whole document again
    assert 'SIP-If-Match' not in fresh and 'kept' in fresh, fresh
