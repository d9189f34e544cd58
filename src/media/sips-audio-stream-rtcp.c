/* sips-audio-stream-rtcp.c: a stream's RTCP (RFC 3550) without a thread of its own.
 *
 * rtpbin's rtpsession had an RTCP thread per call (and ssrcdemux, ptdemux, funnels...).
 * Here pad probes in the streaming threads keep the counters (a small mutex: each probe
 * holds it for a few field updates), and the shared 1-s ticker of
 * sips-audio-stream-check.c sends the reports from the main context: SR (RR when we sent
 * nothing since the last report) with one report block for the peer, SDES CNAME, and BYE
 * when the stream stops. They leave through SipsRtcpOut, an element with a src pad and no
 * streaming thread, pushed from the main context into srtpenc (SRTCP) or the RTCP sink.
 * One sender is reported: the last SSRC seen (the jitter buffer follows it too). */
#include "media/sips-audio-stream-private.h"

#include <string.h>
#include <gst/rtp/gstrtcpbuffer.h>
#include <gst/rtp/gstrtpbuffer.h>

#define RTCP_INTERVAL_US  (5 * G_USEC_PER_SEC)
#define RTCP_FIRST_US     (G_USEC_PER_SEC / 2)  /* the first report: on the next tick or so */
#define RTCP_MTU          1200
#define MAX_DROPOUT       3000                  /* RFC 3550 A.1 */
#define MAX_MISORDER      100
#define NTP_UNIX_OFFSET   G_GUINT64_CONSTANT (2208988800)  /* 1900 to 1970, s */

/* ---- SipsRtcpOut: the element our reports leave from ---- */

#define SIPS_TYPE_RTCP_OUT (sips_rtcp_out_get_type ())
G_DECLARE_FINAL_TYPE (SipsRtcpOut, sips_rtcp_out, SIPS, RTCP_OUT, GstElement)

struct _SipsRtcpOut
{
  GstElement  parent_instance;
  GstPad     *srcpad;
  gboolean    started;  /* main context: stream-start, caps and segment pushed */
};

G_DEFINE_FINAL_TYPE (SipsRtcpOut, sips_rtcp_out, GST_TYPE_ELEMENT)

static GstStaticPadTemplate rtcp_src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtcp"));

/* The pipeline's latency query reaches here from the RTCP sink: not live, no latency (a
 * failed query would leave the whole pipeline without its latency). */
static gboolean
on_rtcp_out_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY)
    {
      gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    }
  return gst_pad_query_default (pad, parent, query);
}

static GstStateChangeReturn
sips_rtcp_out_change_state (GstElement *element, GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    SIPS_RTCP_OUT (element)->started = FALSE;
  return GST_ELEMENT_CLASS (sips_rtcp_out_parent_class)->change_state (element, transition);
}

static void
sips_rtcp_out_class_init (SipsRtcpOutClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  element_class->change_state = sips_rtcp_out_change_state;
  gst_element_class_add_static_pad_template (element_class, &rtcp_src_template);
  gst_element_class_set_static_metadata (element_class, "RTCP out", "Source/Network",
                                         "RTCP pushed from the main context", "sipsimpled");
}

static void
sips_rtcp_out_init (SipsRtcpOut *self)
{
  self->srcpad = gst_pad_new_from_static_template (&rtcp_src_template, "src");
  gst_pad_set_query_function (self->srcpad, on_rtcp_out_query);
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

/* Main context, only while PLAYING: a sink in PAUSED would hold us in its preroll. */
static void
rtcp_out_push (SipsRtcpOut *self, GstBuffer *buffer)
{
  GstState state;
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  state = GST_STATE (self);
  GST_OBJECT_UNLOCK (self);
  if (state != GST_STATE_PLAYING)
    {
      gst_buffer_unref (buffer);
      return;
    }
  if (!self->started)
    {
      g_autofree char *stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self), "rtcp");
      g_autoptr(GstCaps) caps = gst_caps_new_empty_simple ("application/x-rtcp");
      GstSegment segment;

      gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
      gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
      gst_segment_init (&segment, GST_FORMAT_TIME);
      gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
      self->started = TRUE;
    }
  ret = gst_pad_push (self->srcpad, buffer);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING)
    g_debug ("audio stream: RTCP push: %s", gst_flow_get_name (ret));
}

/* ---- the counters ---- */

struct _SipsAudioRtcp
{
  GMutex       lock;          /* the fields below "under lock" */
  guint32      ssrc;          /* ours */
  guint        clock_rate;
  guint        audio_pt;
  char        *cname;
  SipsRtcpOut *out;           /* a reference; the pipeline has another */
  gint64       next_report;   /* main context, monotonic us */

  /* under lock: what we sent */
  guint32      sent_packets;
  guint32      sent_octets;
  guint32      last_sent_ts;   /* RTP timestamp of the last packet, */
  gint64       last_sent_time; /* sent at this monotonic time (us) */
  gboolean     sent_since_report;

  /* under lock: what we receive (RFC 3550 A.1, A.3, A.8) */
  gboolean     have_peer;
  guint32      peer_ssrc;
  guint16      max_seq;
  guint32      cycles;
  guint32      base_seq;
  guint32      bad_seq;
  guint32      received;
  guint32      expected_prior;
  guint32      received_prior;
  guint32      jitter;         /* x16, A.8 */
  gint32       last_transit;
  gboolean     have_transit;

  /* under lock: the peer's last SR */
  guint32      sr_ssrc;
  guint32      lsr;            /* middle 32 bits of its NTP time */
  gint64       lsr_time;       /* its arrival, monotonic us; 0 = none */
};

SipsAudioRtcp *
sips_audio_rtcp_new (guint32 ssrc, guint clock_rate, guint audio_pt)
{
  SipsAudioRtcp *rtcp = g_atomic_rc_box_new0 (SipsAudioRtcp);
  guint8 random[12];

  g_mutex_init (&rtcp->lock);
  rtcp->ssrc = ssrc;
  rtcp->clock_rate = clock_rate;
  rtcp->audio_pt = audio_pt;
  /* RFC 7022: a random CNAME per stream, nothing about the user or the host */
  for (gsize i = 0; i < sizeof random; i++)
    random[i] = (guint8) g_random_int_range (0, 256);
  rtcp->cname = g_base64_encode (random, sizeof random);
  rtcp->out = g_object_ref_sink (g_object_new (SIPS_TYPE_RTCP_OUT, NULL));
  rtcp->next_report = g_get_monotonic_time () + RTCP_FIRST_US;
  return rtcp;
}

static void
rtcp_clear (gpointer data)
{
  SipsAudioRtcp *rtcp = data;

  g_mutex_clear (&rtcp->lock);
  g_free (rtcp->cname);
  gst_object_unref (rtcp->out);
}

void
sips_audio_rtcp_unref (SipsAudioRtcp *rtcp)
{
  g_atomic_rc_box_release_full (rtcp, rtcp_clear);
}

static void
rtcp_unref (gpointer data)
{
  sips_audio_rtcp_unref (data);
}

GstElement *
sips_audio_rtcp_get_source (SipsAudioRtcp *rtcp)
{
  return GST_ELEMENT (rtcp->out);
}

/* ---- probes, in the streaming threads ---- */

static gboolean
count_sent (GstBuffer **buffer, guint idx, gpointer user_data)
{
  SipsAudioRtcp *rtcp = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint payload;
  guint32 timestamp;

  if (!gst_rtp_buffer_map (*buffer, GST_MAP_READ, &rtp))
    return TRUE;
  payload = gst_rtp_buffer_get_payload_len (&rtp);
  timestamp = gst_rtp_buffer_get_timestamp (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  g_mutex_lock (&rtcp->lock);
  rtcp->sent_packets++;
  rtcp->sent_octets += payload;
  rtcp->last_sent_ts = timestamp;
  rtcp->last_sent_time = g_get_monotonic_time ();
  rtcp->sent_since_report = TRUE;
  g_mutex_unlock (&rtcp->lock);
  return TRUE;
}

static GstPadProbeReturn
on_rtp_sent (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
      count_sent (&buffer, 0, user_data);
    }
  else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info), count_sent, user_data);
  return GST_PAD_PROBE_OK;
}

void
sips_audio_rtcp_watch_sent (SipsAudioRtcp *rtcp, GstPad *pad)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, on_rtp_sent,
                     g_atomic_rc_box_acquire (rtcp), rtcp_unref);
}

/* RFC 3550 A.1, under lock */
static void
init_seq (SipsAudioRtcp *rtcp, guint16 seq)
{
  rtcp->base_seq = seq;
  rtcp->max_seq = seq;
  rtcp->bad_seq = G_MAXUINT32;
  rtcp->cycles = 0;
  rtcp->received = 0;
  rtcp->received_prior = 0;
  rtcp->expected_prior = 0;
}

/* FALSE: a packet of a sequence jump not confirmed yet (not counted) */
static gboolean
update_seq (SipsAudioRtcp *rtcp, guint16 seq)
{
  guint16 delta = seq - rtcp->max_seq;

  if (delta < MAX_DROPOUT)
    {
      if (seq < rtcp->max_seq)
        rtcp->cycles += 65536;
      rtcp->max_seq = seq;
    }
  else if (delta <= 65535 - MAX_MISORDER)
    {
      /* a big jump: the sender restarted, if the next packet follows this one */
      if (seq != rtcp->bad_seq)
        {
          rtcp->bad_seq = (seq + 1) & 0xffff;
          return FALSE;
        }
      init_seq (rtcp, seq);
    }
  /* else a duplicate or a late packet */
  rtcp->received++;
  return TRUE;
}

static GstPadProbeReturn
on_rtp_received (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsAudioRtcp *rtcp = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint32 ssrc, timestamp;
  guint16 seq;
  guint pt;
  GstClockTime arrival;
  gboolean counted;

  if (buffer == NULL || !gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  seq = gst_rtp_buffer_get_seq (&rtp);
  timestamp = gst_rtp_buffer_get_timestamp (&rtp);
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  /* SipsSocketSrc stamps the arrival's running time; else (nicesrc) now */
  arrival = GST_BUFFER_PTS_IS_VALID (buffer) ? GST_BUFFER_PTS (buffer)
                                             : (GstClockTime) g_get_monotonic_time () * GST_USECOND;

  g_mutex_lock (&rtcp->lock);
  if (!rtcp->have_peer || ssrc != rtcp->peer_ssrc)
    {
      /* a new sender: start over, as the jitter buffer does */
      rtcp->have_peer = TRUE;
      rtcp->peer_ssrc = ssrc;
      rtcp->jitter = 0;
      rtcp->have_transit = FALSE;
      init_seq (rtcp, seq);
      rtcp->received = 1;
      counted = TRUE;
    }
  else
    counted = update_seq (rtcp, seq);
  /* A.8, for the audio only: a DTMF event's packets all carry its start's timestamp */
  if (counted && pt == rtcp->audio_pt)
    {
      gint32 transit = (gint32) ((guint32) gst_util_uint64_scale (arrival, rtcp->clock_rate, GST_SECOND) - timestamp);

      if (rtcp->have_transit)
        {
          gint32 d = transit - rtcp->last_transit;

          d = d < 0 ? -d : d;
          rtcp->jitter += (guint32) d - ((rtcp->jitter + 8) >> 4);
        }
      rtcp->last_transit = transit;
      rtcp->have_transit = TRUE;
    }
  g_mutex_unlock (&rtcp->lock);
  return GST_PAD_PROBE_OK;
}

void
sips_audio_rtcp_watch_received (SipsAudioRtcp *rtcp, GstPad *pad)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtp_received,
                     g_atomic_rc_box_acquire (rtcp), rtcp_unref);
}

/* The peer's SRs: LSR, and when it came for DLSR. Every buffer is dropped here, before
 * the sink: it comes on the process's one socket reader thread (or the main context
 * under ICE), which a sink in PAUSED (the teardown's PLAYING -> PAUSED goes sinks first)
 * would hold in its preroll wait while SipsSocketSrc's own PAUSED waits for that reader:
 * a deadlock, and every call of the process without RTP. */
static GstPadProbeReturn
on_rtcp_received (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsAudioRtcp *rtcp = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstRTCPBuffer in = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gboolean more;

  if (buffer == NULL || !gst_rtcp_buffer_validate_reduced (buffer) ||
      !gst_rtcp_buffer_map (buffer, GST_MAP_READ, &in))
    return GST_PAD_PROBE_DROP;
  for (more = gst_rtcp_buffer_get_first_packet (&in, &packet); more; more = gst_rtcp_packet_move_to_next (&packet))
    {
      guint32 ssrc, rtptime, packets, octets;
      guint64 ntptime;

      if (gst_rtcp_packet_get_type (&packet) != GST_RTCP_TYPE_SR)
        continue;
      gst_rtcp_packet_sr_get_sender_info (&packet, &ssrc, &ntptime, &rtptime, &packets, &octets);
      g_mutex_lock (&rtcp->lock);
      rtcp->sr_ssrc = ssrc;
      rtcp->lsr = (guint32) (ntptime >> 16);
      rtcp->lsr_time = g_get_monotonic_time ();
      g_mutex_unlock (&rtcp->lock);
    }
  gst_rtcp_buffer_unmap (&in);
  return GST_PAD_PROBE_DROP;
}

void
sips_audio_rtcp_watch_reports (SipsAudioRtcp *rtcp, GstPad *pad)
{
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtcp_received,
                     g_atomic_rc_box_acquire (rtcp), rtcp_unref);
}

/* ---- reports, on the main context ---- */

static guint64
ntp_now (void)
{
  gint64 now = g_get_real_time ();
  guint64 seconds = (guint64) (now / G_USEC_PER_SEC) + NTP_UNIX_OFFSET;
  guint64 fraction = ((guint64) (now % G_USEC_PER_SEC) << 32) / G_USEC_PER_SEC;

  return (seconds << 32) | fraction;
}

static GstBuffer *
build_report (SipsAudioRtcp *rtcp, gboolean bye)
{
  GstBuffer *buffer = gst_rtcp_buffer_new (RTCP_MTU);
  GstRTCPBuffer out = GST_RTCP_BUFFER_INIT;
  GstRTCPPacket packet;
  gint64 now = g_get_monotonic_time ();
  gboolean sender, block;
  guint32 packets, octets, rtptime, ext_max = 0, jitter = 0, lsr = 0, dlsr = 0, peer = 0;
  gint64 lost = 0;
  guint8 fraction = 0;

  g_mutex_lock (&rtcp->lock);
  sender = rtcp->sent_since_report;
  rtcp->sent_since_report = FALSE;
  packets = rtcp->sent_packets;
  octets = rtcp->sent_octets;
  /* the RTP time of now: the last packet's, advanced by the time since it left */
  rtptime = rtcp->last_sent_ts +
            (guint32) gst_util_uint64_scale (now - rtcp->last_sent_time, rtcp->clock_rate, G_USEC_PER_SEC);
  block = rtcp->have_peer;
  if (block)
    {
      guint32 expected, expected_interval, received_interval;
      gint64 lost_interval;

      peer = rtcp->peer_ssrc;
      ext_max = rtcp->cycles + rtcp->max_seq;
      expected = ext_max - rtcp->base_seq + 1;
      lost = (gint64) expected - rtcp->received;  /* A.3: negative with duplicates */
      lost = CLAMP (lost, -0x800000, 0x7fffff);
      expected_interval = expected - rtcp->expected_prior;
      received_interval = rtcp->received - rtcp->received_prior;
      rtcp->expected_prior = expected;
      rtcp->received_prior = rtcp->received;
      lost_interval = (gint64) expected_interval - received_interval;
      if (expected_interval > 0 && lost_interval > 0)
        fraction = (guint8) MIN (255, (lost_interval << 8) / expected_interval);
      jitter = rtcp->jitter >> 4;
      if (rtcp->lsr_time != 0 && rtcp->sr_ssrc == peer)
        {
          lsr = rtcp->lsr;
          dlsr = (guint32) (((now - rtcp->lsr_time) << 16) / G_USEC_PER_SEC);
        }
    }
  g_mutex_unlock (&rtcp->lock);

  gst_rtcp_buffer_map (buffer, GST_MAP_READWRITE, &out);
  if (sender)
    {
      gst_rtcp_buffer_add_packet (&out, GST_RTCP_TYPE_SR, &packet);
      gst_rtcp_packet_sr_set_sender_info (&packet, rtcp->ssrc, ntp_now (), rtptime, packets, octets);
    }
  else
    {
      gst_rtcp_buffer_add_packet (&out, GST_RTCP_TYPE_RR, &packet);
      gst_rtcp_packet_rr_set_ssrc (&packet, rtcp->ssrc);
    }
  if (block)
    gst_rtcp_packet_add_rb (&packet, peer, fraction, (gint32) lost, ext_max, jitter, lsr, dlsr);
  gst_rtcp_buffer_add_packet (&out, GST_RTCP_TYPE_SDES, &packet);
  gst_rtcp_packet_sdes_add_item (&packet, rtcp->ssrc);
  gst_rtcp_packet_sdes_add_entry (&packet, GST_RTCP_SDES_CNAME, strlen (rtcp->cname),
                                  (const guint8 *) rtcp->cname);
  if (bye)
    {
      gst_rtcp_buffer_add_packet (&out, GST_RTCP_TYPE_BYE, &packet);
      gst_rtcp_packet_bye_add_ssrc (&packet, rtcp->ssrc);
    }
  gst_rtcp_buffer_unmap (&out);  /* the buffer shrinks to its packets */
  return buffer;
}

void
sips_audio_rtcp_send (SipsAudioRtcp *rtcp, gboolean bye)
{
  gint64 now = g_get_monotonic_time ();

  if (!bye && now < rtcp->next_report)
    return;
  /* RFC 3550 6.3.1, simplified: two peers, the minimum interval, randomised 0.5-1.5x */
  rtcp->next_report = now + (gint64) (RTCP_INTERVAL_US * g_random_double_range (0.5, 1.5));
  rtcp_out_push (rtcp->out, build_report (rtcp, bye));
}
