/* test-audio-rtcp.c: the RTCP a running stream sends (RFC 3550), as a plain UDP peer on
 * loopback receives it: SR with the SSRC of the RTP, SDES CNAME, a report block on what
 * the peer sent (sequence, loss, LSR of the peer's SR), SRTCP with SRTP */
#include <glib.h>

#include "media/sips-audio-stream.h"
#include "media/sips-sdes.h"
#include "test-audio-util.h"

#define WAIT_MS        10000  /* the first report comes after ~1 s, then every 2.5-7.5 s (+ a 1-s tick) */
#define PEER_SSRC      0x5eed1234u
#define PEER_FIRST_SEQ 65500  /* the sequence wraps while the peer sends */
#define PEER_PACKETS   75     /* 1.5 s of 20-ms PCMU */
#define PEER_NTP       G_GUINT64_CONSTANT (0x0123456789abcdef)

typedef struct {
  gboolean sr;
  guint32  ssrc;
  guint32  packets;
  guint32  octets;
  guint    blocks;
  guint32  block_ssrc;
  guint8   fraction;
  gint32   lost;
  guint32  ext_seq;
  guint32  jitter;
  guint32  lsr;
  guint32  dlsr;
  gboolean cname;
} Report;

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* A compound RTCP packet: SR or RR first, the lengths add up, an SDES with a CNAME. */
static gboolean
parse_compound (const guint8 *p, gsize len, Report *r)
{
  gsize pos = 0;

  memset (r, 0, sizeof *r);
  while (pos + 4 <= len)
    {
      guint count = p[pos] & 0x1f, type = p[pos + 1];
      gsize size = ((gsize) ((p[pos + 2] << 8) | p[pos + 3]) + 1) * 4;
      const guint8 *q = p + pos;

      if ((p[pos] >> 6) != 2 || pos + size > len)
        return FALSE;
      if (pos == 0 && type != 200 && type != 201)
        return FALSE;
      if (type == 200 || type == 201)
        {
          gsize block = type == 200 ? 28 : 8;

          if (size < block + 24 * count)
            return FALSE;
          r->sr = type == 200;
          r->ssrc = be32 (q + 4);
          if (r->sr)
            {
              r->packets = be32 (q + 20);
              r->octets = be32 (q + 24);
            }
          r->blocks = count;
          if (count > 0)
            {
              gint32 lost = (gint32) (be32 (q + block + 4) & 0xffffff);

              r->block_ssrc = be32 (q + block);
              r->fraction = q[block + 4];
              r->lost = lost & 0x800000 ? lost - 0x1000000 : lost;
              r->ext_seq = be32 (q + block + 8);
              r->jitter = be32 (q + block + 12);
              r->lsr = be32 (q + block + 16);
              r->dlsr = be32 (q + block + 20);
            }
        }
      else if (type == 202 && count >= 1 && size >= 10)
        {
          /* the first chunk: SSRC, then items (type, length, text) */
          gsize item = 8;

          while (item + 2 <= size && q[item] != 0)
            {
              if (q[item] == 1 && q[item + 1] > 0 && be32 (q + 4) == r->ssrc)
                r->cname = TRUE;
              item += 2 + q[item + 1];
            }
        }
      pos += size;
    }
  return pos == len;
}

typedef struct {
  TestPorts  ports;          /* the peer: a plain RTP and RTCP socket */
  GSocketAddress *stream_rtp;  /* where it sends: the stream's ports */
  GSocketAddress *stream_rtcp;
  guint32    rtp_ssrc;       /* what arrived on the RTP socket */
  guint      rtp_packets;
  guint      other_ssrc;     /* packets with another SSRC than the first one's */
  guint      dtmf_packets;   /* telephone-event (PT 101) */
  guint      sent;           /* RTP the peer sent */
  guint16    seq;
  guint32    timestamp;
} Peer;

static void
peer_init (Peer *peer, TestPeer *stream)
{
  memset (peer, 0, sizeof *peer);
  test_ports_reserve (&peer->ports);
  g_socket_set_blocking (peer->ports.rtp, FALSE);
  g_socket_set_blocking (peer->ports.rtcp, FALSE);
  peer->stream_rtp = g_inet_socket_address_new_from_string ("127.0.0.1", stream->ports.port);
  peer->stream_rtcp = g_inet_socket_address_new_from_string ("127.0.0.1", stream->ports.port + 1);
  peer->seq = PEER_FIRST_SEQ;
  peer->timestamp = 1000;
}

static void
peer_clear (Peer *peer)
{
  test_ports_clear (&peer->ports);
  g_clear_object (&peer->stream_rtp);
  g_clear_object (&peer->stream_rtcp);
}

/* Drains the RTP socket (SSRC, count); TRUE with a datagram of the RTCP socket. */
static gboolean
peer_receive (Peer *peer, guint8 *buffer, gsize size, gsize *len)
{
  guint8 rtp[2048];
  gssize got;

  while ((got = g_socket_receive (peer->ports.rtp, (char *) rtp, sizeof rtp, NULL, NULL)) >= 12)
    {
      if (peer->rtp_packets > 0 && be32 (rtp + 8) != peer->rtp_ssrc)
        peer->other_ssrc++;
      peer->rtp_ssrc = be32 (rtp + 8);
      peer->rtp_packets++;
      peer->dtmf_packets += (rtp[1] & 0x7f) == 101;
    }
  got = g_socket_receive (peer->ports.rtcp, (char *) buffer, size, NULL, NULL);
  if (got <= 0)
    return FALSE;
  *len = got;
  return TRUE;
}

/* Runs the main loop until the peer gets an RTCP datagram (or timeout_ms). */
static gboolean
peer_wait_rtcp (Peer *peer, guint8 *buffer, gsize size, gsize *len, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < end)
    {
      if (peer_receive (peer, buffer, size, len))
        return TRUE;
      test_run_for (10);
    }
  return FALSE;
}

/* 20-ms PCMU packets, PEER_PACKETS of them, from the peer's RTP socket */
static gboolean
on_peer_send (gpointer user_data)
{
  Peer *peer = user_data;
  guint8 packet[12 + 160];

  memset (packet, 0xff, sizeof packet);  /* PCMU silence */
  packet[0] = 0x80;
  packet[1] = 0;
  packet[2] = peer->seq >> 8;
  packet[3] = peer->seq & 0xff;
  packet[4] = peer->timestamp >> 24;
  packet[5] = (peer->timestamp >> 16) & 0xff;
  packet[6] = (peer->timestamp >> 8) & 0xff;
  packet[7] = peer->timestamp & 0xff;
  packet[8] = PEER_SSRC >> 24;
  packet[9] = (PEER_SSRC >> 16) & 0xff;
  packet[10] = (PEER_SSRC >> 8) & 0xff;
  packet[11] = PEER_SSRC & 0xff;
  g_assert_cmpint (g_socket_send_to (peer->ports.rtp, peer->stream_rtp, (char *) packet, sizeof packet,
                                     NULL, NULL), ==, sizeof packet);
  peer->seq++;
  peer->timestamp += 160;
  return ++peer->sent < PEER_PACKETS ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* An SR of the peer (no report block) to the stream's RTCP port: bytes sent, or -1 */
static gssize
peer_send_sr (Peer *peer)
{
  guint8 sr[28] = { 0x80, 200, 0, 6 };
  guint32 words[] = { PEER_SSRC, (guint32) (PEER_NTP >> 32), (guint32) PEER_NTP, 1000, 10, 1600 };

  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    for (gsize b = 0; b < 4; b++)
      sr[4 + 4 * i + b] = (words[i] >> (24 - 8 * b)) & 0xff;
  return g_socket_send_to (peer->ports.rtcp, peer->stream_rtcp, (char *) sr, sizeof sr, NULL, NULL);
}

static void
start_stream (TestPeer *a, Peer *peer, const char *dir, SipsAudioStreamConfig *config)
{
  TestPeer remote = { 0 };

  test_peer_init (a, dir, "a");
  peer_init (peer, a);
  remote.ports = peer->ports;
  *config = test_peer_config (a, &remote, "PCMU", 0, 1000);
}

/* The stream sends, the peer does not: SRs with our RTP's SSRC, no report block. */
static void
test_sender (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  TestPeer a;
  Peer peer;
  SipsAudioStreamConfig config;
  guint8 buffer[1500];
  gsize len = 0;
  Report r;
  guint reports = 0;

  start_stream (&a, &peer, dir, &config);
  test_peer_start (&a, &config);
  /* two reports: the second one's counts are of a running stream */
  while (reports < 2)
    {
      guint rtp_then;

      g_assert_true (peer_wait_rtcp (&peer, buffer, sizeof buffer, &len, WAIT_MS));
      rtp_then = peer.rtp_packets;
      g_assert_true (parse_compound (buffer, len, &r));
      g_test_message ("report %u: %s ssrc %08x, %u packets %u octets (%u RTP arrived), %u blocks, cname %d",
                      reports, r.sr ? "SR" : "RR", r.ssrc, r.packets, r.octets, rtp_then, r.blocks, r.cname);
      g_assert_true (r.sr);
      g_assert_cmpuint (peer.rtp_packets, >, 0);
      g_assert_cmphex (r.ssrc, ==, peer.rtp_ssrc);
      g_assert_true (r.cname);
      g_assert_cmpuint (r.blocks, ==, 0);  /* nothing received */
      /* the packets sent by then, give or take those still on their way */
      g_assert_cmpuint (r.packets, >, 0);
      g_assert_cmpuint (r.packets, <=, rtp_then + 5);
      g_assert_cmpuint (r.packets + 5, >=, rtp_then);
      g_assert_cmpuint (r.octets, ==, 160 * r.packets);
      reports++;
    }
  /* DTMF goes out as the same source as the audio */
  g_assert_true (sips_audio_stream_send_dtmf (a.stream, "5", NULL));
  g_assert_true (peer_wait_rtcp (&peer, buffer, sizeof buffer, &len, WAIT_MS));
  g_test_message ("%u DTMF packets, %u RTP packets of another SSRC", peer.dtmf_packets, peer.other_ssrc);
  g_assert_cmpuint (peer.dtmf_packets, >, 0);
  g_assert_cmpuint (peer.other_ssrc, ==, 0);
  g_assert_true (parse_compound (buffer, len, &r));
  g_assert_cmphex (r.ssrc, ==, peer.rtp_ssrc);
  test_peer_stop (&a);
  g_assert_false (a.error);
  peer_clear (&peer);
  test_peer_clear (&a);
  test_tmpdir_remove (dir);
}

/* The peer sends RTP (its sequence wrapping) and an SR: our report block on it. */
static void
test_report_block (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  TestPeer a;
  Peer peer;
  SipsAudioStreamConfig config;
  guint8 buffer[1500];
  gsize len = 0;
  Report r;
  guint32 last_ext = 65536 + ((PEER_FIRST_SEQ + PEER_PACKETS - 1) & 0xffff);
  gboolean done = FALSE;
  gint64 sr_sent;

  start_stream (&a, &peer, dir, &config);
  test_peer_start (&a, &config);
  g_timeout_add (20, on_peer_send, &peer);
  g_assert_cmpint (peer_send_sr (&peer), ==, 28);
  sr_sent = g_get_monotonic_time ();
  /* the first report block after the peer's last packet */
  while (!done)
    {
      gboolean finished = peer.sent == PEER_PACKETS;

      g_assert_true (peer_wait_rtcp (&peer, buffer, sizeof buffer, &len, WAIT_MS));
      g_assert_true (parse_compound (buffer, len, &r));
      g_test_message ("%s ssrc %08x, %u blocks: %08x fraction %u lost %d ext %u (sent %u, last %u) "
                      "jitter %u lsr %08x dlsr %u", r.sr ? "SR" : "RR", r.ssrc, r.blocks, r.block_ssrc,
                      r.fraction, r.lost, r.ext_seq, peer.sent, last_ext, r.jitter, r.lsr, r.dlsr);
      g_assert_true (r.cname);
      if (r.blocks == 0)
        continue;
      g_assert_cmpuint (r.blocks, ==, 1);
      g_assert_cmphex (r.block_ssrc, ==, PEER_SSRC);
      g_assert_cmpint (r.lost, ==, 0);
      g_assert_cmpuint (r.fraction, ==, 0);
      g_assert_cmpuint (r.jitter, <, 8000);  /* loopback: well under a second */
      g_assert_cmphex (r.lsr, ==, (guint32) (PEER_NTP >> 16));
      g_assert_cmpuint (r.dlsr, >, 0);
      /* the delay since the SR came, in 1/65536 s: no longer than since we sent it */
      g_assert_cmpuint (r.dlsr, <=, (g_get_monotonic_time () - sr_sent) * 65536 / G_USEC_PER_SEC);
      if (finished)
        {
          g_assert_cmpuint (r.ext_seq + 1, >=, last_ext);
          g_assert_cmpuint (r.ext_seq, <=, last_ext + 1);
          done = TRUE;
        }
      else  /* meanwhile: what the peer sent so far */
        g_assert_cmpuint (r.ext_seq, <=, PEER_FIRST_SEQ + peer.sent + 1);
    }
  test_peer_stop (&a);
  g_assert_false (a.error);
  peer_clear (&peer);
  test_peer_clear (&a);
  test_tmpdir_remove (dir);
}

/* With SRTP the reports are SRTCP: header and SSRC in the clear, the rest encrypted, then
 * the E flag with the index and the 80-bit tag: not plain RTCP. */
static void
test_srtcp (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  const char *suite = "AES_CM_128_HMAC_SHA1_80";
  g_autoptr(SipsSdesCrypto) local = sips_sdes_crypto_new_random (1, suite, NULL);
  g_autoptr(SipsSdesCrypto) remote = sips_sdes_crypto_new_random (1, suite, NULL);
  TestPeer a;
  Peer peer;
  SipsAudioStreamConfig config;
  guint8 buffer[1500];
  gsize len = 0;
  Report r;
  guint32 index;

  start_stream (&a, &peer, dir, &config);
  config.srtp_local_suite = config.srtp_remote_suite = suite;
  config.srtp_local_key = local->key;
  config.srtp_remote_key = remote->key;
  test_peer_start (&a, &config);
  g_assert_true (peer_wait_rtcp (&peer, buffer, sizeof buffer, &len, WAIT_MS));
  g_test_message ("SRTCP: %" G_GSIZE_FORMAT " bytes, type %u, ssrc %08x (RTP %08x)", len, buffer[1],
                  be32 (buffer + 4), peer.rtp_ssrc);
  g_assert_cmpuint (len, >=, 8 + 4 + 10);
  g_assert_cmpuint (buffer[0] >> 6, ==, 2);
  g_assert_true (buffer[1] == 200 || buffer[1] == 201);
  g_assert_cmphex (be32 (buffer + 4), ==, peer.rtp_ssrc);
  index = be32 (buffer + len - 14);
  g_assert_true (index & 0x80000000u);  /* E: encrypted */
  g_assert_false (parse_compound (buffer, len, &r));
  test_peer_stop (&a);
  g_assert_false (a.error);
  peer_clear (&peer);
  test_peer_clear (&a);
  test_tmpdir_remove (dir);
}

typedef struct {
  Peer         *peer;
  gint          stop;   /* atomic */
} Flood;

/* RTCP (an SR) at the stream's RTCP port every 50 us, from a thread of its own */
static gpointer
flood_thread (gpointer user_data)
{
  Flood *flood = user_data;

  while (!g_atomic_int_get (&flood->stop))
    {
      peer_send_sr (flood->peer);  /* a full socket buffer: the next one */
      g_usleep (50);
    }
  return NULL;
}

/* The stream stops while the peer's RTCP keeps coming: the process's socket reader must
 * never be held by the RTCP branch (it was once: a PAUSED sink in the teardown held the
 * reader, SipsSocketSrc waited for it, and the stop never finished). */
static void
test_stop_under_rtcp (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  TestPeer a;
  Peer peer;
  SipsAudioStreamConfig config;
  Flood flood = { &peer, 0 };
  GThread *thread;

  start_stream (&a, &peer, dir, &config);
  thread = g_thread_new ("rtcp-flood", flood_thread, &flood);
  for (guint i = 0; i < 5; i++)
    {
      a.stopped = FALSE;
      test_peer_start (&a, &config);
      test_run_for (200);
      test_peer_stop (&a);  /* asserts "stopped" within 5 s */
    }
  g_atomic_int_set (&flood.stop, 1);
  g_thread_join (thread);
  g_assert_false (a.error);
  peer_clear (&peer);
  test_peer_clear (&a);
  test_tmpdir_remove (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio/rtcp/sender", test_sender);
  g_test_add_func ("/audio/rtcp/report-block", test_report_block);
  g_test_add_func ("/audio/rtcp/srtcp", test_srtcp);
  g_test_add_func ("/audio/rtcp/stop-under-rtcp", test_stop_under_rtcp);
  return g_test_run ();
}
