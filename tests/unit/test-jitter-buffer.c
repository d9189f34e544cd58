/* test-jitter-buffer.c: SipsJitterBuffer fed from a pad of the test (no thread of its own)
 * and watched at its src pad: order, drops, timing, gaps, re-syncs, threads, teardown */
#include <math.h>
#include <string.h>
#include <glib.h>
#include <gst/gst.h>
#include <gst/rtp/gstrtpbuffer.h>

#include <opus/opus.h>

#include "media/sips-jitter-buffer.h"
#include "media/sips-opus.h"

#define RATE        8000
#define STEP        160          /* 20 ms at 8 kHz */
#define LATENCY_MS  60
#define SSRC        0x11223344u

typedef struct {
  guint16      seq;
  GstClockTime pts;
  GstClockTime pushed_at;   /* running time of the push */
  gboolean     discont;
  gboolean     lost;        /* a GstRTPPacketLost event, not a packet */
  gboolean     eos;
} Out;

typedef struct {
  GstElement *pipeline;
  GstElement *jb;
  GstPad     *pad;          /* ours, linked to the jitter buffer's sink */
  GMutex      lock;
  GCond       cond;
  GArray     *out;          /* of Out */
  gsize       sink_bytes;   /* what reached the sink */
  gboolean    stopped;      /* set NULL: nothing may come out any more */
  gint        after_stop;   /* what came out anyway */
} Harness;

static GstClockTime
running_time (Harness *h)
{
  g_autoptr(GstClock) clock = gst_pipeline_get_clock (GST_PIPELINE (h->pipeline));

  return gst_clock_get_time (clock) - gst_element_get_base_time (h->pipeline);
}

static GstPadProbeReturn
on_output (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Harness *h = user_data;
  Out out = { 0 };

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
      GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

      g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp));
      out.seq = gst_rtp_buffer_get_seq (&rtp);
      gst_rtp_buffer_unmap (&rtp);
      out.pts = GST_BUFFER_PTS (buffer);
      out.discont = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    }
  else
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

      if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
        out.eos = TRUE;
      else if (gst_event_has_name (event, "GstRTPPacketLost"))
        {
          const GstStructure *s = gst_event_get_structure (event);
          guint seq;

          out.lost = TRUE;
          g_assert_true (gst_structure_get_uint (s, "seqnum", &seq));
          g_assert_true (gst_structure_get_uint64 (s, "timestamp", &out.pts));
          out.seq = seq;
        }
      else
        return GST_PAD_PROBE_OK;
    }
  out.pushed_at = running_time (h);
  g_mutex_lock (&h->lock);
  if (h->stopped)
    h->after_stop++;
  g_array_append_val (h->out, out);
  g_cond_broadcast (&h->cond);
  g_mutex_unlock (&h->lock);
  return GST_PAD_PROBE_OK;
}

/* a live source, as SipsSocketSrc */
static gboolean
on_test_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return gst_pad_query_default (pad, parent, query);
  gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
  return TRUE;
}

static GstPadProbeReturn
on_sink_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Harness *h = user_data;

  g_mutex_lock (&h->lock);
  h->sink_bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  g_mutex_unlock (&h->lock);
  return GST_PAD_PROBE_OK;
}

/* jitter buffer [! tail] ! fakesink */
static void
harness_start_full (Harness *h, GstCaps *caps, const char *tail)
{
  g_autoptr(GstPad) jb_src = NULL;
  g_autoptr(GstPad) jb_sink = NULL;
  g_autoptr(GstCaps) default_caps = NULL;
  g_autoptr(GstPad) sink_pad = NULL;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstSegment segment;

  memset (h, 0, sizeof *h);
  g_mutex_init (&h->lock);
  g_cond_init (&h->cond);
  h->out = g_array_new (FALSE, TRUE, sizeof (Out));
  h->pipeline = gst_pipeline_new (NULL);
  h->jb = gst_element_factory_make ("sipsjitterbuffer", NULL);
  g_assert_nonnull (h->jb);
  g_object_set (h->jb, "latency", LATENCY_MS, NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (h->pipeline), h->jb, sink, NULL);
  if (tail != NULL)
    {
      GstElement *bin = gst_parse_bin_from_description (tail, TRUE, NULL);

      g_assert_nonnull (bin);
      gst_bin_add (GST_BIN (h->pipeline), bin);
      g_assert_true (gst_element_link_many (h->jb, bin, sink, NULL));
    }
  else
    g_assert_true (gst_element_link (h->jb, sink));
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, on_sink_buffer, h, NULL);
  jb_src = gst_element_get_static_pad (h->jb, "src");
  gst_pad_add_probe (jb_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     on_output, h, NULL);

  h->pad = gst_pad_new ("test-src", GST_PAD_SRC);
  gst_pad_set_query_function (h->pad, on_test_query);
  jb_sink = gst_element_get_static_pad (h->jb, "sink");
  g_assert_cmpint (gst_pad_link (h->pad, jb_sink), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (h->pad, TRUE);

  g_assert_cmpint (gst_element_set_state (h->pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  g_assert_true (gst_pad_push_event (h->pad, gst_event_new_stream_start ("test")));
  if (caps == NULL)
    caps = default_caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                               "clock-rate", G_TYPE_INT, RATE,
                                               "encoding-name", G_TYPE_STRING, "PCMU",
                                               "payload", G_TYPE_INT, 0, NULL);
  g_assert_true (gst_pad_push_event (h->pad, gst_event_new_caps (caps)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_push_event (h->pad, gst_event_new_segment (&segment)));
}

static void
harness_start (Harness *h, GstCaps *caps)
{
  harness_start_full (h, caps, NULL);
}

static void
harness_stop (Harness *h)
{
  gst_element_set_state (h->pipeline, GST_STATE_NULL);
  gst_pad_set_active (h->pad, FALSE);
  gst_object_unref (h->pad);
  gst_object_unref (h->pipeline);
  g_array_unref (h->out);
  g_mutex_clear (&h->lock);
  g_cond_clear (&h->cond);
}

/* Pushes a packet arriving now (or at arrival), of STEP zeros or payload. */
static GstFlowReturn
push_payload (Harness *h, guint8 pt, guint16 seq, guint32 ts, guint32 ssrc, GstClockTime arrival,
              const guint8 *payload, guint size)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (payload != NULL ? size : STEP, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp);
  if (payload != NULL)
    memcpy (gst_rtp_buffer_get_payload (&rtp), payload, size);
  gst_rtp_buffer_set_payload_type (&rtp, pt);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_unmap (&rtp);
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) =
    GST_CLOCK_TIME_IS_VALID (arrival) ? arrival : running_time (h);
  return gst_pad_push (h->pad, buffer);
}

static GstFlowReturn
push_full (Harness *h, guint8 pt, guint16 seq, guint32 ts, guint32 ssrc, GstClockTime arrival)
{
  return push_payload (h, pt, seq, ts, ssrc, arrival, NULL, 0);
}

/* Packet n of a stream: seq first + n, timestamp STEP * n */
static void
push (Harness *h, guint16 seq)
{
  g_assert_cmpint (push_full (h, 0, seq, 1000 + STEP * (guint32) (guint16) (seq - 1), SSRC, GST_CLOCK_TIME_NONE),
                   ==, GST_FLOW_OK);
}

/* Waits up to a second for n outputs. */
static void
wait_out (Harness *h, guint n)
{
  gint64 end = g_get_monotonic_time () + G_TIME_SPAN_SECOND;

  g_mutex_lock (&h->lock);
  while (h->out->len < n && g_cond_wait_until (&h->cond, &h->lock, end))
    ;
  g_mutex_unlock (&h->lock);
  g_assert_cmpuint (h->out->len, >=, n);
}

/* n outputs came (wait_out): none more comes within ms, the window a stray push (a
 * duplicate, a late packet) would have to show up in. */
static void
assert_no_more_out (Harness *h, guint n, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&h->lock);
  while (h->out->len <= n && g_cond_wait_until (&h->cond, &h->lock, end))
    ;
  g_mutex_unlock (&h->lock);
  g_assert_cmpuint (h->out->len, ==, n);
}

static Out *
out_at (Harness *h, guint i)
{
  g_assert_cmpuint (i, <, h->out->len);
  return &g_array_index (h->out, Out, i);
}

static guint64
get_stat (Harness *h, const char *name)
{
  g_autoptr(GstStructure) stats = NULL;
  guint64 value = 0;

  g_object_get (h->jb, "stats", &stats, NULL);
  g_assert_true (gst_structure_get_uint64 (stats, name, &value));
  return value;
}

static void
assert_seqs (Harness *h, const guint16 *seqs, guint n)
{
  g_assert_cmpuint (h->out->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_false (out_at (h, i)->lost);
      g_assert_cmpuint (out_at (h, i)->seq, ==, seqs[i]);
    }
}

static void
test_reorder (void)
{
  Harness h;
  const guint16 seqs[] = { 1, 2, 3 };

  harness_start (&h, NULL);
  push (&h, 1);
  push (&h, 3);
  push (&h, 2);
  wait_out (&h, 3);
  assert_no_more_out (&h, 3, 100);
  assert_seqs (&h, seqs, 3);
  g_assert_true (out_at (&h, 0)->discont);
  g_assert_false (out_at (&h, 1)->discont);
  g_assert_false (out_at (&h, 2)->discont);
  g_assert_cmpuint (get_stat (&h, "lost"), ==, 0);
  harness_stop (&h);
}

static void
test_duplicate (void)
{
  Harness h;
  const guint16 seqs[] = { 1, 2, 3 };

  harness_start (&h, NULL);
  push (&h, 1);
  push (&h, 2);
  push (&h, 2);
  push (&h, 1);
  push (&h, 3);
  wait_out (&h, 3);
  assert_no_more_out (&h, 3, 100);
  assert_seqs (&h, seqs, 3);
  g_assert_cmpuint (get_stat (&h, "duplicates"), ==, 2);
  harness_stop (&h);
}

/* A packet whose place was played already is dropped, not pushed out of order. */
static void
test_late (void)
{
  Harness h;
  const guint16 seqs[] = { 1, 3, 4 };

  harness_start (&h, NULL);
  push (&h, 1);
  push (&h, 3);
  wait_out (&h, 3);  /* 1, lost 2, 3 */
  push (&h, 2);
  push (&h, 4);
  wait_out (&h, 4);
  assert_no_more_out (&h, 4, 100);
  g_assert_cmpuint (h.out->len, ==, 4);
  g_assert_true (out_at (&h, 1)->lost);
  g_array_remove_index (h.out, 1);
  assert_seqs (&h, seqs, 3);
  g_assert_cmpuint (get_stat (&h, "late"), ==, 1);
  harness_stop (&h);
}

/* PTS = the first arrival + RTP time; pushed at PTS + latency (the pipeline's clock) */
static void
test_playout_time (void)
{
  Harness h;
  GstClockTime t0;
  g_autoptr(GstQuery) query = gst_query_new_latency ();
  g_autoptr(GstPad) src = NULL;
  GstClockTime min, max;
  gboolean live;

  harness_start (&h, NULL);
  t0 = running_time (&h);
  g_assert_cmpint (push_full (&h, 0, 7, 5000, SSRC, t0), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 8, 5000 + STEP, SSRC, t0), ==, GST_FLOW_OK);  /* early */
  g_assert_cmpint (push_full (&h, 0, 9, 5000 + 2 * STEP, SSRC, t0 + 50 * GST_MSECOND), ==, GST_FLOW_OK);  /* late */
  wait_out (&h, 3);
  for (guint i = 0; i < 3; i++)
    {
      Out *out = out_at (&h, i);
      GstClockTime pts = t0 + i * 20 * GST_MSECOND;

      g_test_message ("packet %u: PTS %" GST_TIME_FORMAT ", pushed %" G_GINT64_FORMAT " us after PTS + latency",
                      out->seq, GST_TIME_ARGS (out->pts),
                      (gint64) (out->pushed_at - pts - LATENCY_MS * GST_MSECOND) / 1000);
      g_assert_cmpuint (out->pts, ==, pts);
      g_assert_cmpuint (out->pushed_at, >=, pts + LATENCY_MS * GST_MSECOND);
      g_assert_cmpuint (out->pushed_at, <=, pts + (LATENCY_MS + 15) * GST_MSECOND);
    }

  /* live, with the latency added */
  src = gst_element_get_static_pad (h.jb, "src");
  g_assert_true (gst_pad_query (src, query));
  gst_query_parse_latency (query, &live, &min, &max);
  g_assert_true (live);
  g_assert_cmpuint (min, ==, LATENCY_MS * GST_MSECOND);
  harness_stop (&h);
}

/* A missing packet is lost once its successor is due: GstRTPPacketLost, then DISCONT */
static void
test_gap (void)
{
  Harness h;
  GstClockTime t0;

  harness_start (&h, NULL);
  t0 = running_time (&h);
  g_assert_cmpint (push_full (&h, 0, 1, 0, SSRC, t0), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 2, STEP, SSRC, t0), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 5, 4 * STEP, SSRC, t0), ==, GST_FLOW_OK);
  wait_out (&h, 5);
  assert_no_more_out (&h, 5, 50);
  g_assert_cmpuint (h.out->len, ==, 5);
  g_assert_cmpuint (out_at (&h, 1)->seq, ==, 2);
  g_assert_false (out_at (&h, 1)->discont);
  for (guint i = 2; i < 4; i++)
    {
      g_assert_true (out_at (&h, i)->lost);
      g_assert_cmpuint (out_at (&h, i)->seq, ==, i + 1);
      g_assert_cmpuint (out_at (&h, i)->pts, ==, t0 + i * 20 * GST_MSECOND);
      /* not before the successor is due */
      g_assert_cmpuint (out_at (&h, i)->pushed_at, >=, t0 + (80 + LATENCY_MS) * GST_MSECOND);
    }
  g_assert_cmpuint (out_at (&h, 4)->seq, ==, 5);
  g_assert_true (out_at (&h, 4)->discont);
  g_assert_cmpuint (get_stat (&h, "lost"), ==, 2);
  harness_stop (&h);
}

/* A new SSRC (another numbering, another timeline) restarts the origin at its first packet */
static void
test_ssrc_change (void)
{
  Harness h;
  GstClockTime t0, t1;

  harness_start (&h, NULL);
  t0 = running_time (&h);
  g_assert_cmpint (push_full (&h, 0, 100, 0, SSRC, t0), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 101, STEP, SSRC, t0), ==, GST_FLOW_OK);
  t1 = t0 + 30 * GST_MSECOND;
  g_assert_cmpint (push_full (&h, 0, 40000, 123456789, SSRC + 1, t1), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 40001, 123456789 + STEP, SSRC + 1, t1), ==, GST_FLOW_OK);
  wait_out (&h, 4);
  assert_no_more_out (&h, 4, 50);
  g_assert_cmpuint (h.out->len, ==, 4);
  g_assert_cmpuint (out_at (&h, 2)->seq, ==, 40000);
  g_assert_false (out_at (&h, 2)->lost);
  g_assert_true (out_at (&h, 2)->discont);
  g_assert_cmpuint (out_at (&h, 2)->pts, ==, t1);
  g_assert_cmpuint (out_at (&h, 3)->pts, ==, t1 + 20 * GST_MSECOND);
  g_assert_false (out_at (&h, 3)->discont);
  g_assert_cmpuint (get_stat (&h, "lost"), ==, 0);
  g_assert_cmpuint (get_stat (&h, "resyncs"), ==, 1);
  harness_stop (&h);
}

/* A sequence jump is a new stream once the next packet follows; a stray packet is dropped */
static void
test_seq_jump (void)
{
  Harness h;
  const guint16 seqs[] = { 1, 2, 3, 20001, 20002 };

  harness_start (&h, NULL);
  push (&h, 1);
  push (&h, 2);
  push (&h, 40000);  /* stray */
  push (&h, 3);
  push (&h, 20000);  /* the sender jumped: this one is dropped, */
  push (&h, 20001);  /* this one confirms it */
  push (&h, 20002);
  wait_out (&h, 5);
  assert_no_more_out (&h, 5, 100);
  assert_seqs (&h, seqs, 5);
  g_assert_false (out_at (&h, 2)->discont);
  g_assert_true (out_at (&h, 3)->discont);
  g_assert_false (out_at (&h, 4)->discont);
  g_assert_cmpuint (get_stat (&h, "resyncs"), ==, 1);
  g_assert_cmpuint (get_stat (&h, "lost"), ==, 0);
  harness_stop (&h);
}

/* RTP time far off the arrival: a new origin, not packets held for minutes */
static void
test_timestamp_jump (void)
{
  Harness h;
  GstClockTime t0;

  harness_start (&h, NULL);
  t0 = running_time (&h);
  g_assert_cmpint (push_full (&h, 0, 1, 0, SSRC, t0), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 2, 60 * RATE, SSRC, t0 + 20 * GST_MSECOND), ==, GST_FLOW_OK);
  wait_out (&h, 2);
  g_assert_cmpuint (out_at (&h, 1)->pts, ==, t0 + 20 * GST_MSECOND);
  g_assert_true (out_at (&h, 1)->discont);
  harness_stop (&h);
}

/* A telephone-event's packets keep its start's timestamp, for seconds: no re-sync */
static void
test_same_timestamp (void)
{
  Harness h;
  GstClockTime t0;

  harness_start (&h, NULL);
  t0 = running_time (&h);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (push_full (&h, 0, (guint16) (1 + i), 8000, SSRC, t0 + i * 500 * GST_MSECOND), ==, GST_FLOW_OK);
  wait_out (&h, 5);
  for (guint i = 0; i < 5; i++)
    {
      g_assert_cmpuint (out_at (&h, i)->seq, ==, 1 + i);
      g_assert_cmpuint (out_at (&h, i)->pts, ==, t0);
    }
  g_assert_cmpuint (get_stat (&h, "resyncs"), ==, 0);
  harness_stop (&h);
}

/* A sender's clock 1 % fast: the origin follows after a 2-s window (20 ms off by then) */
static void
test_drift (void)
{
  Harness h;
  GstClockTime t0;

  harness_start (&h, NULL);
  t0 = running_time (&h);
  for (guint i = 0; i < 150; i++)
    g_assert_cmpint (push_full (&h, 0, (guint16) (1 + i), i * STEP, SSRC, t0 + i * 19800 * GST_USECOND),
                     ==, GST_FLOW_OK);
  g_assert_cmpuint (get_stat (&h, "resyncs"), ==, 1);
  harness_stop (&h);
}

static void
test_seq_wrap (void)
{
  Harness h;
  const guint16 seqs[] = { 65534, 65535, 0, 1 };

  harness_start (&h, NULL);
  /* timestamps wrap too, at a different place */
  g_assert_cmpint (push_full (&h, 0, 65534, G_MAXUINT32 - 2 * STEP + 1, SSRC, GST_CLOCK_TIME_NONE), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 0, 0, SSRC, GST_CLOCK_TIME_NONE), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 65535, G_MAXUINT32 - STEP + 1, SSRC, GST_CLOCK_TIME_NONE), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 1, STEP, SSRC, GST_CLOCK_TIME_NONE), ==, GST_FLOW_OK);
  wait_out (&h, 4);
  assert_no_more_out (&h, 4, 100);
  assert_seqs (&h, seqs, 4);
  for (guint i = 1; i < 4; i++)
    {
      g_assert_false (out_at (&h, i)->discont);
      g_assert_cmpuint (out_at (&h, i)->pts, ==, out_at (&h, 0)->pts + i * 20 * GST_MSECOND);
    }
  harness_stop (&h);
}

/* EOS comes out after the packets queued before it, at their time */
static void
test_eos (void)
{
  Harness h;
  GstClockTime t0;

  harness_start (&h, NULL);
  t0 = running_time (&h);
  g_assert_cmpint (push_full (&h, 0, 1, 0, SSRC, t0), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 0, 2, STEP, SSRC, t0), ==, GST_FLOW_OK);
  g_assert_true (gst_pad_push_event (h.pad, gst_event_new_eos ()));
  g_assert_cmpint (push_full (&h, 0, 3, 2 * STEP, SSRC, t0), ==, GST_FLOW_EOS);
  wait_out (&h, 3);
  g_assert_cmpuint (out_at (&h, 1)->seq, ==, 2);
  g_assert_true (out_at (&h, 2)->eos);
  g_assert_cmpuint (out_at (&h, 2)->pushed_at, >=, t0 + (20 + LATENCY_MS) * GST_MSECOND);
  harness_stop (&h);
}

static GstCaps *
on_request_pt_map (GstElement *jb, guint pt, gpointer user_data)
{
  guint *calls = user_data;

  (*calls)++;
  if (pt != 8)
    return NULL;
  return gst_caps_new_simple ("application/x-rtp", "clock-rate", G_TYPE_INT, RATE, NULL);
}

/* No clock-rate in the caps: request-pt-map; a payload type it does not know is dropped */
static void
test_pt_map (void)
{
  Harness h;
  guint calls = 0;
  g_autoptr(GstCaps) caps = gst_caps_new_empty_simple ("application/x-rtp");

  harness_start (&h, caps);
  g_signal_connect (h.jb, "request-pt-map", G_CALLBACK (on_request_pt_map), &calls);
  g_assert_cmpint (push_full (&h, 9, 1, 0, SSRC, GST_CLOCK_TIME_NONE), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 8, 2, STEP, SSRC, GST_CLOCK_TIME_NONE), ==, GST_FLOW_OK);
  g_assert_cmpint (push_full (&h, 8, 3, 2 * STEP, SSRC, GST_CLOCK_TIME_NONE), ==, GST_FLOW_OK);
  wait_out (&h, 2);
  assert_no_more_out (&h, 2, 100);
  g_assert_cmpuint (h.out->len, ==, 2);
  g_assert_cmpuint (out_at (&h, 0)->seq, ==, 2);
  g_assert_cmpuint (calls, ==, 2);
  harness_stop (&h);
}

/* The lost event becomes a GAP at the depayloader, which sipsopusdec conceals: every 20 ms
 * of the stream comes out, the lost packet's too */
static void
test_opus_conceal (void)
{
  Harness h;
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                                 "clock-rate", G_TYPE_INT, 48000,
                                                 "encoding-name", G_TYPE_STRING, "OPUS",
                                                 "payload", G_TYPE_INT, 96, NULL);
  int error = OPUS_OK;
  OpusEncoder *encoder = opus_encoder_create (48000, 1, OPUS_APPLICATION_AUDIO, &error);
  GstClockTime t0;

  g_assert_nonnull (encoder);
  harness_start_full (&h, caps, "rtpopusdepay ! sipsopusdec");
  t0 = running_time (&h);
  for (guint i = 0; i < 5; i++)
    {
      opus_int16 pcm[960];
      guint8 packet[1500];
      opus_int32 size;

      for (guint j = 0; j < G_N_ELEMENTS (pcm); j++)
        pcm[j] = (opus_int16) (8000 * sin (2 * G_PI * 440 * (i * 960 + j) / 48000.0));
      size = opus_encode (encoder, pcm, 960, packet, sizeof packet);
      g_assert_cmpint (size, >, 0);
      if (i != 2)
        g_assert_cmpint (push_payload (&h, 96, (guint16) (1 + i), i * 960, SSRC, t0, packet, (guint) size),
                         ==, GST_FLOW_OK);
    }
  wait_out (&h, 5);  /* 4 packets and a lost event */
  g_usleep (50000);
  g_assert_true (out_at (&h, 2)->lost);
  g_assert_cmpuint (h.sink_bytes, ==, 5 * 960 * 2);
  opus_encoder_destroy (encoder);
  harness_stop (&h);
}

static guint
count_threads (guint *playout)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;
  guint n = 0;

  *playout = 0;
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/comm", name);
      g_autofree char *comm = NULL;

      if (!g_file_get_contents (path, &comm, NULL, NULL))
        continue;
      n++;
      if (g_str_has_prefix (comm, "sips-playout"))
        (*playout)++;
    }
  return n;
}

/* 20 instances playing, one thread for all */
static void
test_threads (void)
{
  Harness h[20];
  guint before, during, playout;

  before = count_threads (&playout);
  for (guint i = 0; i < G_N_ELEMENTS (h); i++)
    {
      harness_start (&h[i], NULL);
      push (&h[i], 1);
      push (&h[i], 2);
    }
  for (guint i = 0; i < G_N_ELEMENTS (h); i++)
    wait_out (&h[i], 2);
  during = count_threads (&playout);
  g_test_message ("threads: %u before, %u with %zu jitter buffers playing", before, during, G_N_ELEMENTS (h));
  g_assert_cmpuint (during, <=, before + 1);
  g_assert_cmpuint (playout, ==, 1);
  for (guint i = 0; i < G_N_ELEMENTS (h); i++)
    harness_stop (&h[i]);
}

/* Once set_state(NULL) returns nothing comes out, what was queued is freed (ASan) */
static void
test_stop (void)
{
  for (guint round = 0; round < 5; round++)
    {
      Harness h;
      GstClockTime t0;

      harness_start (&h, NULL);
      t0 = running_time (&h);
      /* due one per ms for 50 ms after the latency: the state change meets the playout at work */
      for (guint i = 0; i < 50; i++)
        g_assert_cmpint (push_full (&h, 0, (guint16) i, i * RATE / 1000, SSRC, t0), ==, GST_FLOW_OK);
      g_usleep ((LATENCY_MS - 5 + round * 10) * 1000);
      gst_element_set_state (h.pipeline, GST_STATE_NULL);
      g_mutex_lock (&h.lock);
      h.stopped = TRUE;
      g_mutex_unlock (&h.lock);
      g_usleep (80000);
      g_assert_cmpint (h.after_stop, ==, 0);
      /* a push after it is refused */
      g_assert_cmpint (push_full (&h, 0, 60, 0, SSRC, t0), ==, GST_FLOW_FLUSHING);
      harness_stop (&h);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  sips_jitter_buffer_register ();
  sips_opus_register ();
  /* first: the playout thread does not exist yet */
  g_test_add_func ("/jitter-buffer/threads", test_threads);
  g_test_add_func ("/jitter-buffer/reorder", test_reorder);
  g_test_add_func ("/jitter-buffer/duplicate", test_duplicate);
  g_test_add_func ("/jitter-buffer/late", test_late);
  g_test_add_func ("/jitter-buffer/playout-time", test_playout_time);
  g_test_add_func ("/jitter-buffer/gap", test_gap);
  g_test_add_func ("/jitter-buffer/ssrc-change", test_ssrc_change);
  g_test_add_func ("/jitter-buffer/seq-jump", test_seq_jump);
  g_test_add_func ("/jitter-buffer/timestamp-jump", test_timestamp_jump);
  g_test_add_func ("/jitter-buffer/same-timestamp", test_same_timestamp);
  g_test_add_func ("/jitter-buffer/drift", test_drift);
  g_test_add_func ("/jitter-buffer/seq-wrap", test_seq_wrap);
  g_test_add_func ("/jitter-buffer/eos", test_eos);
  g_test_add_func ("/jitter-buffer/pt-map", test_pt_map);
  g_test_add_func ("/jitter-buffer/opus-conceal", test_opus_conceal);
  g_test_add_func ("/jitter-buffer/stop", test_stop);
  return g_test_run ();
}
