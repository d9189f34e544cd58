/* test-sdp.c: our audio SDP for soa, and reading negotiated SDPs back */
#include <glib.h>
#include <string.h>

#include "session/sips-sdp.h"

static void
test_build_default_codecs (void)
{
  const char *codecs[] = { "opus", "G722", "PCMU", "PCMA", NULL };
  g_autofree char *sdp = sips_sdp_build_audio ("192.0.2.7", 50010, codecs, NULL);

  g_assert_nonnull (strstr (sdp, "v=0\r\n"));
  g_assert_nonnull (strstr (sdp, "c=IN IP4 192.0.2.7\r\n"));
  /* preference order, then the two telephone-event rates (opus is 48 kHz) */
  g_assert_nonnull (strstr (sdp, "m=audio 50010 RTP/AVP 96 9 0 8 101 102\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtpmap:96 opus/48000/2\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtpmap:9 G722/8000\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtpmap:0 PCMU/8000\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtpmap:8 PCMA/8000\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtpmap:101 telephone-event/8000\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtpmap:102 telephone-event/48000\r\n"));
  g_assert_nonnull (strstr (sdp, "a=ptime:20\r\n"));
  g_assert_nonnull (strstr (sdp, "a=rtcp:50011\r\n"));
  /* sendrecv is the default and not written */
  g_assert_null (strstr (sdp, "a=send"));
  g_assert_null (strstr (sdp, "a=inactive"));
}

static void
test_build_order_direction_ipv6 (void)
{
  const char *codecs[] = { "PCMA", "PCMU", NULL };
  g_autofree char *sdp = sips_sdp_build_audio ("2001:db8::1", 40000, codecs, "sendonly");
  g_autofree char *inactive = sips_sdp_build_audio ("127.0.0.1", 40000, codecs, "inactive");

  g_assert_nonnull (strstr (sdp, "c=IN IP6 2001:db8::1\r\n"));
  /* no opus: only telephone-event/8000 */
  g_assert_nonnull (strstr (sdp, "m=audio 40000 RTP/AVP 8 0 101\r\n"));
  g_assert_null (strstr (sdp, "telephone-event/48000"));
  g_assert_nonnull (strstr (sdp, "a=sendonly\r\n"));
  g_assert_nonnull (strstr (inactive, "a=inactive\r\n"));
}

/* What we build, sofia's parser reads back. */
static void
test_round_trip (void)
{
  const char *codecs[] = { "G722", "PCMU", NULL };
  g_autofree char *sdp = sips_sdp_build_audio ("127.0.0.1", 50100, codecs, "sendonly");
  SipsSdpInfo info = { 0 };

  g_assert_true (sips_sdp_parse (sdp, &info));
  g_assert_true (info.has_audio);
  g_assert_false (info.has_chat);
  g_assert_cmpstr (info.codec, ==, "G722");
  g_assert_cmpuint (info.sample_rate, ==, 16000);  /* not the 8000 RTP clock */
  g_assert_cmpstr (info.address, ==, "127.0.0.1");
  g_assert_cmpuint (info.port, ==, 50100);
  g_assert_true (info.sends);
  g_assert_false (info.receives);
  sips_sdp_info_clear (&info);
}

static void
test_parse_peer_sdp (void)
{
  /* a peer's answer: lower-case encoding, media-level c=, telephone-event first */
  const char *answer =
    "v=0\r\n"
    "o=peer 1 1 IN IP4 10.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 10.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 7078 RTP/AVP 101 0\r\n"
    "c=IN IP4 10.0.0.2\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=rtpmap:0 pcmu/8000\r\n"
    "a=recvonly\r\n"
    "m=message 2855 TCP/TLS/MSRP *\r\n"
    "a=accept-types:text/plain\r\n";
  SipsSdpInfo info = { 0 };

  g_assert_true (sips_sdp_parse (answer, &info));
  g_assert_true (info.has_audio);
  g_assert_true (info.has_chat);
  g_assert_cmpstr (info.codec, ==, "PCMU");
  g_assert_cmpuint (info.sample_rate, ==, 8000);
  g_assert_cmpstr (info.address, ==, "10.0.0.2");
  g_assert_cmpuint (info.port, ==, 7078);
  g_assert_false (info.sends);
  g_assert_true (info.receives);
  sips_sdp_info_clear (&info);
}

static void
test_parse_opus_and_unknown (void)
{
  const char *opus =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 5004 RTP/AVP 111\r\na=rtpmap:111 OPUS/48000/2\r\n";
  const char *speex =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 5004 RTP/AVP 97\r\na=rtpmap:97 speex/16000\r\n";
  SipsSdpInfo info = { 0 };

  g_assert_true (sips_sdp_parse (opus, &info));
  g_assert_cmpstr (info.codec, ==, "opus");
  g_assert_cmpuint (info.sample_rate, ==, 48000);
  /* a codec we do not name keeps its encoding name and clock rate */
  g_assert_true (sips_sdp_parse (speex, &info));
  g_assert_cmpstr (info.codec, ==, "speex");
  g_assert_cmpuint (info.sample_rate, ==, 16000);
  sips_sdp_info_clear (&info);
}

static void
test_parse_hold_forms (void)
{
  /* old-style hold: c=0.0.0.0 reads as not receiving; session-level a=inactive */
  const char *zero =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=audio 5004 RTP/AVP 0\r\n";
  const char *inactive =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\na=inactive\r\n"
    "m=audio 5004 RTP/AVP 0\r\n";
  const char *rejected =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 0 RTP/AVP 0\r\n";
  SipsSdpInfo info = { 0 };

  g_assert_true (sips_sdp_parse (zero, &info));
  g_assert_true (info.has_audio);
  g_assert_false (info.receives);
  g_assert_true (sips_sdp_parse (inactive, &info));
  g_assert_false (info.receives);
  g_assert_false (info.sends);
  g_assert_true (sips_sdp_parse (rejected, &info));
  g_assert_false (info.has_audio);
  g_assert_cmpuint (info.port, ==, 0);
  sips_sdp_info_clear (&info);
}

static void
test_srtp_mline (void)
{
  const char *codecs[] = { "PCMU", NULL };
  const char *cryptos[] = { "1 AES_CM_128_HMAC_SHA1_80 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk",
                            "2 AES_CM_128_HMAC_SHA1_32 inline:YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0", NULL };
  g_autofree char *savp = sips_sdp_build_audio_full ("127.0.0.1", 40000, codecs, NULL, TRUE, cryptos);
  g_autofree char *avp = sips_sdp_build_audio_full ("127.0.0.1", 40000, codecs, NULL, FALSE, NULL);
  SipsSdpAudio audio = { 0 };

  g_assert_nonnull (strstr (savp, "m=audio 40000 RTP/SAVP 0 101\r\n"));
  g_assert_nonnull (strstr (savp, "\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"));
  g_assert_nonnull (strstr (avp, "m=audio 40000 RTP/AVP 0 101\r\n"));
  g_assert_null (strstr (avp, "crypto"));

  g_assert_true (sips_sdp_parse_audio (savp, &audio));
  g_assert_true (audio.present);
  g_assert_true (audio.secure);
  g_assert_cmpstrv (audio.cryptos, cryptos);
  g_assert_cmpstr (audio.codec, ==, "PCMU");
  g_assert_cmpuint (audio.payload_type, ==, 0);
  g_assert_cmpuint (audio.clock_rate, ==, 8000);
  g_assert_cmpint (audio.dtmf_8000, ==, 101);
  g_assert_cmpint (audio.dtmf_48000, ==, -1);
  g_assert_cmpuint (audio.rtcp_port, ==, 40001);
  g_assert_cmpuint (audio.ptime, ==, 20);
  g_assert_cmpstr (audio.address, ==, "127.0.0.1");

  g_assert_true (sips_sdp_parse_audio (avp, &audio));
  g_assert_false (audio.secure);
  g_assert_null (audio.cryptos[0]);
  sips_sdp_audio_clear (&audio);
}

static void
test_parse_audio_peer (void)
{
  /* a peer's answer: its own payload numbers, telephone-event at 48000, no a=rtcp */
  const char *answer =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
    "m=audio 6000 RTP/AVP 111 100\r\na=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:100 telephone-event/48000\r\na=ptime:40\r\n";
  const char *none = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nt=0 0\r\n";
  SipsSdpAudio audio = { 0 };

  g_assert_true (sips_sdp_parse_audio (answer, &audio));
  g_assert_cmpstr (audio.codec, ==, "opus");
  g_assert_cmpuint (audio.payload_type, ==, 111);
  g_assert_cmpuint (audio.clock_rate, ==, 48000);
  g_assert_cmpint (audio.dtmf_48000, ==, 100);
  g_assert_cmpint (audio.dtmf_8000, ==, -1);
  g_assert_cmpuint (audio.ptime, ==, 40);
  g_assert_cmpuint (audio.rtcp_port, ==, 0);
  g_assert_cmpuint (audio.port, ==, 6000);
  g_assert_true (sips_sdp_parse_audio (none, &audio));
  g_assert_false (audio.present);
  g_assert_nonnull (audio.cryptos);
  g_assert_false (sips_sdp_parse_audio ("not SDP", &audio));
  sips_sdp_audio_clear (&audio);
}

static void
test_parse_garbage (void)
{
  SipsSdpInfo info = { 0 };

  g_assert_false (sips_sdp_parse (NULL, &info));
  g_assert_false (sips_sdp_parse ("this is not SDP", &info));
  g_assert_false (info.has_audio);
  g_assert_null (info.codec);
  sips_sdp_info_clear (&info);
}

static void
test_codec_names (void)
{
  guint rate = 0;

  g_assert_cmpstr (sips_sdp_codec_name ("g722", 8000, &rate), ==, "G722");
  g_assert_cmpuint (rate, ==, 16000);
  g_assert_cmpstr (sips_sdp_codec_name ("pcma", 8000, &rate), ==, "PCMA");
  g_assert_cmpuint (rate, ==, 8000);
  g_assert_cmpstr (sips_sdp_codec_name ("iLBC", 8000, &rate), ==, "iLBC");
  g_assert_cmpuint (rate, ==, 8000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sdp/build/default-codecs", test_build_default_codecs);
  g_test_add_func ("/sdp/build/order-direction-ipv6", test_build_order_direction_ipv6);
  g_test_add_func ("/sdp/round-trip", test_round_trip);
  g_test_add_func ("/sdp/parse/peer", test_parse_peer_sdp);
  g_test_add_func ("/sdp/parse/opus-and-unknown", test_parse_opus_and_unknown);
  g_test_add_func ("/sdp/parse/hold-forms", test_parse_hold_forms);
  g_test_add_func ("/sdp/parse/garbage", test_parse_garbage);
  g_test_add_func ("/sdp/srtp-mline", test_srtp_mline);
  g_test_add_func ("/sdp/parse/audio-peer", test_parse_audio_peer);
  g_test_add_func ("/sdp/codec-names", test_codec_names);

  return g_test_run ();
}
