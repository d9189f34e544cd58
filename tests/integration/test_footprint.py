"""What a daemon loads only on first use (issue 12, idle RSS): ICE (our module
libsips-ice.so with libnice and its chain: gupnp-igd, soup, libxml2, ICU, libstdc++) and a
TLS library for MSRP (GIO's GnuTLS backend, with the MSRP certificate). An idle daemon maps
neither (nor libsystemd); the first ICE call and the first MSRP-over-TLS chat load them,
and work."""

import os

import sipsd
import test_audio as audio
import test_chat as chat
from test_audio import TONE_A, TONE_B
from test_ice import assert_ice_selected, ice_peer


def mapped(daemon):
    """The base names of the shared objects the daemon has mapped."""
    with open('/proc/%d/maps' % daemon.proc.pid) as f:
        return {os.path.basename(line.split()[-1]) for line in f if '.so' in line}


def has(libs, prefix):
    return any(name.startswith(prefix) for name in libs)


def msrp_certificate(daemon):
    return os.path.join(daemon.xdg['XDG_STATE_HOME'], 'sipsimpled', 'msrp', 'msrp.pem')


def test_idle_daemon_maps_no_ice_nor_tls_library(daemon):
    sipsd.run_loop(0.3)
    libs = mapped(daemon)
    # sofia-sip's SIP TLS transport is up (OpenSSL); GnuTLS is not needed for it
    assert has(libs, 'libsofia-sip-ua.so'), sorted(libs)
    prefixes = ['libsips-ice.so', 'libnice.so', 'libgupnp', 'libsoup', 'libxml2', 'libicuuc',
                'libgiognutls.so',
                'libsystemd.so']  # sd_notify is daemon/sd-notify.c
    if not has(libs, 'libasan.so'):
        prefixes.append('libgnutls.so')  # a sanitizer build links it (see src/meson.build)
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
