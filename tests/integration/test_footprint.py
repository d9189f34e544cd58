"""What a daemon loads only on first use (issue 12, idle RSS): ICE (our module
libsips-ice.so with libnice and its chain: gupnp-igd, soup, libxml2, ICU, libstdc++), a
TLS library for MSRP (GIO's GnuTLS backend, with the MSRP certificate) and GStreamer's
plugins, with GStreamer itself (our module libsips-media.so: the audio devices of the
settings are checked in a child process), and libsystemd
(opened only when systemd runs the daemon: test_robustness's sd_notify test). An idle daemon
maps none of them; the first ICE call, the first MSRP-over-TLS chat and the first call
load them, and work."""

import os

import sipsd
import test_audio as audio
import test_chat as chat
from sipsd import v
from test_audio import TONE_A, TONE_B
from test_ice import assert_ice_selected, ice_peer


def mapped(daemon):
    """The base names of the shared objects the daemon has mapped."""
    with open('/proc/%d/maps' % daemon.proc.pid) as f:
        return {os.path.basename(line.split()[-1]) for line in f if '.so' in line}


def gst_plugins(daemon):
    """The base names of the GStreamer plugins the daemon has mapped."""
    with open('/proc/%d/maps' % daemon.proc.pid) as f:
        return {os.path.basename(line.split()[-1]) for line in f
                if '/gstreamer-1.0/' in line.split()[-1]}


def has(libs, prefix):
    return any(name.startswith(prefix) for name in libs)


# A sanitizer build links these (LeakSanitizer and dlopen'ed TLS: see src/meson.build).
LINKED_WHEN_SANITIZED = ['libgnutls.so', 'libgstreamer-1.0.so', 'libdw', 'libsystemd.so',
                         'libgcrypt.so']


def sanitized(libs):
    return has(libs, 'libasan.so')


def maps_gstreamer(daemon):
    """Is GStreamer itself mapped (where a sanitizer build does not link it anyway)?"""
    libs = mapped(daemon)
    return has(libs, 'libgstreamer-1.0.so') and not sanitized(libs)


def msrp_certificate(daemon):
    return os.path.join(daemon.xdg['XDG_STATE_HOME'], 'sipsimpled', 'msrp', 'msrp.pem')


def test_idle_daemon_maps_no_ice_nor_tls_library(daemon):
    sipsd.run_loop(0.3)
    libs = mapped(daemon)
    # sofia-sip's SIP TLS transport is up (OpenSSL); GnuTLS is not needed for it
    assert has(libs, 'libsofia-sip-ua.so'), sorted(libs)
    prefixes = ['libsips-ice.so', 'libnice.so', 'libgupnp', 'libsoup', 'libxml2', 'libicuuc',
                'libgiognutls.so', 'libsips-media.so']
    if not sanitized(libs):
        prefixes += LINKED_WHEN_SANITIZED
    for prefix in prefixes:
        assert not has(libs, prefix), '%s mapped at idle: %s' % (prefix, sorted(libs))
    assert not os.path.exists(msrp_certificate(daemon))


def test_first_ice_call_loads_libnice():
    with sipsd.two_peers(lambda: ice_peer(TONE_A, verbose=False),
                         lambda: ice_peer(TONE_B, verbose=False)) as (a, b):
        for p in (a, b):
            assert not has(mapped(p.daemon), 'libnice.so')
        pa, pb = audio.place_call(a, b)
        b.call(pb, 'Accept', sipsd.v('(bb)', (True, False)))
        a.wait(pa, 'DidStart')
        b.wait(pb, 'DidStart')
        assert_ice_selected(a, pa, b, pb)
        for p in (a, b):
            libs = mapped(p.daemon)
            assert has(libs, 'libsips-ice.so') and has(libs, 'libnice.so'), sorted(libs)
        audio.hang_up(a, pa, b, pb)


def test_first_tls_chat_loads_the_certificate():
    a, b = chat.make_pair(True)
    try:
        for p in (a, b):
            assert not os.path.exists(msrp_certificate(p.daemon))
        pa, pb = chat.establish(a, b)
        chat.check_chat_object(a, pa, True)
        for p in (a, b):
            assert os.path.exists(msrp_certificate(p.daemon))
            assert has(mapped(p.daemon), 'libgnutls.so')
        chat.hang_up(a, b, pa, pb)
    finally:
        a.stop()
        b.stop()


def test_configured_devices_load_gstreamer_only_with_the_first_call():
    # test_audio's peers name their devices: A's and B's tones, and fakesink
    with sipsd.two_peers(lambda: audio.Peer(TONE_A), lambda: audio.Peer(TONE_B)) as (a, b):
        sipsd.run_loop(0.3)
        for p, tone in ((a, TONE_A), (b, TONE_B)):
            # checked valid at start (an invalid one would be dropped for the default)...
            assert p.daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE,
                                'AudioInputDevice') == audio.tone_device(tone)
            assert p.daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE,
                                'AudioOutputDevice') == 'fakesink'
            # ...without a plugin, nor GStreamer itself, in the daemon
            assert not gst_plugins(p.daemon), sorted(gst_plugins(p.daemon))
            assert not maps_gstreamer(p.daemon)

        # a device set over D-Bus is checked the same way: refused, and nothing loaded
        before = refuse_source(a, 'fakesink')
        assert not gst_plugins(a.daemon), sorted(gst_plugins(a.daemon))

        pa, pb = audio.establish(a, b)
        assert sipsd.wait_until(lambda: a.props(pa)['AudioWasReceived'] and
                                b.props(pb)['AudioWasReceived'], audio.TIMEOUT)
        for p in (a, b):
            assert has(mapped(p.daemon), 'libsips-media.so')
            plugins = gst_plugins(p.daemon)
            assert {'libgstaudiotestsrc.so', 'libgstcoreelements.so'} <= plugins, sorted(plugins)
        audio.hang_up(a, pa, b, pb)

        # now checked in the daemon itself (GStreamer is there): the same answer
        assert refuse_source(a, 'fakesink') == before


def refuse_source(peer, device):
    """Setting AudioInputDevice to `device` (not a source) fails with InvalidArgument naming
    the problem and changes nothing; returns the message."""
    old = peer.daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'AudioInputDevice')
    msg = sipsd.expect_error('InvalidArgument', peer.set, 'AudioInputDevice', v('s', device))
    assert 'AudioInputDevice' in msg and 'has no free output' in msg, msg
    assert peer.daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'AudioInputDevice') == old
    return msg


def test_a_call_without_the_media_module_fails_clearly(monkeypatch, tmp_path):
    """An installation that lost libsips-media.so: a call fails with the reason (as a
    pipeline that cannot run would), and the daemon goes on."""
    monkeypatch.setenv('SIPSIMPLED_MODULE_DIR', str(tmp_path))  # no module there
    a = audio.Peer(TONE_A)
    monkeypatch.delenv('SIPSIMPLED_MODULE_DIR')
    b = audio.Peer(TONE_B)
    try:
        pa, pb = audio.place_call(a, b)
        b.call(pb, 'Accept', v('(bb)', (True, False)))
        failed = a.wait(pa, 'DidFail')
        assert any('Audio is not available' in str(x) and 'libsips-media.so' in str(x)
                   for x in failed), failed
        assert not maps_gstreamer(a.daemon)
        assert a.daemon.proc.poll() is None
        assert a.daemon.get(sipsd.SETTINGS, sipsd.SETTINGS_IFACE, 'UserAgent')
    finally:
        a.stop()
        b.stop()
