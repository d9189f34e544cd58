/* test-g711.c: sipsg711pay, G.711 encoding and RTP packets in one element: its bytes
 * against GStreamer's own encoders, and the packets against what rtpdtmfmux and a
 * receiver need (header, sequence, RTP time, marker, caps) */
#include <string.h>
#include <gst/gst.h>

#include "media/sips-g711.h"

#define SSRC 0x11223344u

typedef struct {
  GstElement *pay;
  GstPad     *src;    /* ours, feeding the element */
  GstPad     *sink;   /* ours, collecting its packets */
  GPtrArray  *packets;
  GstCaps    *caps;
  gboolean    eos;
} Fixture;

static GstFlowReturn
on_packet (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  Fixture *f = g_object_get_data (G_OBJECT (pad), "fixture");

  g_ptr_array_add (f->packets, buffer);
  return GST_FLOW_OK;
}

static gboolean
on_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  Fixture *f = g_object_get_data (G_OBJECT (pad), "fixture");

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
    {
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      gst_caps_replace (&f->caps, caps);
    }
  else if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
    f->eos = TRUE;
  gst_event_unref (event);
  return TRUE;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GstPad) pay_sink = NULL;
  g_autoptr(GstPad) pay_src = NULL;
  g_autoptr(GstCaps) raw = gst_caps_from_string ("audio/x-raw, format=S16LE, "
                                                 "layout=interleaved, rate=8000, channels=1");
  GstSegment segment;

  sips_g711_register ();
  f->packets = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  f->pay = gst_object_ref_sink (gst_element_factory_make ("sipsg711pay", NULL));
  g_assert_nonnull (f->pay);
  g_object_set (f->pay, "encoding-name", data != NULL ? (const char *) data : "PCMU",
                "pt", data != NULL ? 8 : 0, "ssrc", SSRC, NULL);
  f->src = gst_pad_new ("src", GST_PAD_SRC);
  f->sink = gst_pad_new ("sink", GST_PAD_SINK);
  g_object_set_data (G_OBJECT (f->sink), "fixture", f);
  gst_pad_set_chain_function (f->sink, on_packet);
  gst_pad_set_event_function (f->sink, on_event);
  pay_sink = gst_element_get_static_pad (f->pay, "sink");
  pay_src = gst_element_get_static_pad (f->pay, "src");
  g_assert_cmpint (gst_pad_link (f->src, pay_sink), ==, GST_PAD_LINK_OK);
  g_assert_cmpint (gst_pad_link (pay_src, f->sink), ==, GST_PAD_LINK_OK);
  gst_pad_set_active (f->src, TRUE);
  gst_pad_set_active (f->sink, TRUE);
  g_assert_cmpint (gst_element_set_state (f->pay, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_pad_push_event (f->src, gst_event_new_stream_start ("test")));
  g_assert_true (gst_pad_push_event (f->src, gst_event_new_caps (raw)));
  g_assert_true (gst_pad_push_event (f->src, gst_event_new_segment (&segment)));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  gst_element_set_state (f->pay, GST_STATE_NULL);
  gst_pad_set_active (f->src, FALSE);
  gst_pad_set_active (f->sink, FALSE);
  g_clear_object (&f->pay);
  g_clear_object (&f->src);
  g_clear_object (&f->sink);
  g_clear_pointer (&f->packets, g_ptr_array_unref);
  gst_clear_caps (&f->caps);
}

/* a test pattern (1 kHz, four levels), from sample `first` on */
static GstBuffer *
tone_buffer (guint first, guint samples, GstClockTime pts)
{
  gint16 *pcm = g_new (gint16, samples);

  for (guint i = 0; i < samples; i++)
    pcm[i] = (gint16) GINT16_TO_LE ((gint16) (12000 * ((first + i) % 8 < 4 ? 1 : -1) * ((first + i) % 4)));
  {
    GstBuffer *buffer = gst_buffer_new_wrapped (pcm, samples * 2);

    GST_BUFFER_PTS (buffer) = pts;
    return buffer;
  }
}

typedef struct {
  guint8  marker;
  guint8  pt;
  guint16 seq;
  guint32 timestamp;
  guint32 ssrc;
  gsize   payload;
} Header;

static Header
header_of (GstBuffer *packet, guint8 *payload_out, gsize payload_max)
{
  Header h = { 0 };
  GstMapInfo map;

  g_assert_true (gst_buffer_map (packet, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, >, 12);
  g_assert_cmpuint (map.data[0], ==, 0x80);  /* version 2, no padding/extension/CSRC */
  h.marker = map.data[1] >> 7;
  h.pt = map.data[1] & 0x7f;
  h.seq = (guint16) (map.data[2] << 8 | map.data[3]);
  h.timestamp = (guint32) map.data[4] << 24 | (guint32) map.data[5] << 16 |
                (guint32) map.data[6] << 8 | map.data[7];
  h.ssrc = (guint32) map.data[8] << 24 | (guint32) map.data[9] << 16 |
           (guint32) map.data[10] << 8 | map.data[11];
  h.payload = map.size - 12;
  if (payload_out != NULL)
    memcpy (payload_out, map.data + 12, MIN (payload_max, h.payload));
  gst_buffer_unmap (packet, &map);
  return h;
}

/* Every 16-bit sample, our encoders against GStreamer's mulawenc / alawenc */
static void
test_matches_gstreamer (gconstpointer data)
{
  const char *encoder = data;
  gboolean alaw = g_str_equal (encoder, "alawenc");
  g_autofree char *description = g_strdup_printf (
    "appsrc name=in caps=\"audio/x-raw, format=S16LE, layout=interleaved, rate=8000, "
    "channels=1\" format=time ! %s ! appsink name=out sync=false", encoder);
  g_autoptr(GstElement) pipeline = gst_parse_launch (description, NULL);
  g_autoptr(GstElement) in = NULL;
  g_autoptr(GstElement) out = NULL;
  gint16 *all = g_new (gint16, 65536);
  GByteArray *theirs = g_byte_array_new ();
  GstSample *sample;
  guint mismatches = 0;

  g_assert_nonnull (pipeline);
  in = gst_bin_get_by_name (GST_BIN (pipeline), "in");
  out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  for (guint i = 0; i < 65536; i++)
    all[i] = (gint16) GINT16_TO_LE ((gint16) (i - 32768));
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);
  {
    g_autoptr(GstBuffer) buffer = gst_buffer_new_wrapped (all, 65536 * 2);
    GstFlowReturn ret = GST_FLOW_ERROR;

    g_signal_emit_by_name (in, "push-buffer", buffer, &ret);  /* the action signal refs */
    g_assert_cmpint (ret, ==, GST_FLOW_OK);
    g_signal_emit_by_name (in, "end-of-stream", &ret);
  }
  while (theirs->len < 65536)
    {
      GstBuffer *buffer;
      GstMapInfo map;

      sample = NULL;
      g_signal_emit_by_name (out, "try-pull-sample", (guint64) (5 * GST_SECOND), &sample);
      if (sample == NULL)
        break;
      buffer = gst_sample_get_buffer (sample);
      g_assert_true (gst_buffer_map (buffer, &map, GST_MAP_READ));
      g_byte_array_append (theirs, map.data, (guint) map.size);
      gst_buffer_unmap (buffer, &map);
      gst_sample_unref (sample);
    }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_assert_cmpuint (theirs->len, ==, 65536);
  for (guint i = 0; i < 65536; i++)
    {
      gint16 value = (gint16) (i - 32768);
      guint8 ours = alaw ? sips_g711_alaw (value) : sips_g711_ulaw (value);

      if (ours != theirs->data[i] && mismatches++ < 5)
        g_test_message ("%d: ours 0x%02x, %s 0x%02x", value, ours, encoder, theirs->data[i]);
    }
  g_byte_array_unref (theirs);
  g_assert_cmpuint (mismatches, ==, 0);
}

/* 20 ms chunks (the capture's) become one packet each: consecutive sequence numbers,
 * RTP time 160 apart from the caps' timestamp-offset, our SSRC and payload type, the
 * marker on the first only, the samples encoded */
static void
test_packets (Fixture *f, gconstpointer data)
{
  const gboolean alaw = data != NULL;
  guint seqnum_offset = 0, timestamp_offset = 0, ssrc = 0;
  const GstStructure *s;

  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (gst_pad_push (f->src, tone_buffer (i * 160, 160, i * 20 * GST_MSECOND)), ==,
                     GST_FLOW_OK);
  g_assert_cmpuint (f->packets->len, ==, 3);
  g_assert_nonnull (f->caps);
  s = gst_caps_get_structure (f->caps, 0);
  g_assert_cmpstr (gst_structure_get_name (s), ==, "application/x-rtp");
  g_assert_cmpstr (gst_structure_get_string (s, "encoding-name"), ==, alaw ? "PCMA" : "PCMU");
  g_assert_true (gst_structure_get_uint (s, "ssrc", &ssrc));
  g_assert_true (gst_structure_get_uint (s, "timestamp-offset", &timestamp_offset));
  g_assert_true (gst_structure_get_uint (s, "seqnum-offset", &seqnum_offset));
  g_assert_cmpuint (ssrc, ==, SSRC);
  for (guint i = 0; i < 3; i++)
    {
      guint8 payload[160];
      g_autoptr(GstBuffer) expected = tone_buffer (i * 160, 160, 0);
      GstMapInfo map;
      Header h = header_of (f->packets->pdata[i], payload, sizeof payload);

      g_assert_cmpuint (h.marker, ==, i == 0);
      g_assert_cmpuint (h.pt, ==, alaw ? 8 : 0);
      g_assert_cmpuint (h.seq, ==, (guint16) (seqnum_offset + i));
      g_assert_cmpuint (h.timestamp, ==, timestamp_offset + i * 160);
      g_assert_cmpuint (h.ssrc, ==, SSRC);
      g_assert_cmpuint (h.payload, ==, 160);
      g_assert_cmpuint (GST_BUFFER_PTS (f->packets->pdata[i]), ==, i * 20 * GST_MSECOND);
      g_assert_true (gst_buffer_map (expected, &map, GST_MAP_READ));
      for (guint j = 0; j < 160; j++)
        {
          gint16 value = (gint16) GINT16_FROM_LE (((gint16 *) map.data)[j]);

          g_assert_cmpuint (payload[j], ==, alaw ? sips_g711_alaw (value) : sips_g711_ulaw (value));
        }
      gst_buffer_unmap (expected, &map);
    }
}

/* Other sizes are cut into ptime packets, the rest goes at EOS; the RTP time follows
 * the running time (a gap of a second is 8000 further), a DISCONT sets the marker */
static void
test_other_sizes_and_gaps (Fixture *f, gconstpointer data)
{
  GstBuffer *gap;
  Header h[6];

  g_object_set (f->pay, "ptime", 20, NULL);
  /* 50 ms: two packets now, 10 ms waiting */
  g_assert_cmpint (gst_pad_push (f->src, tone_buffer (0, 400, 0)), ==, GST_FLOW_OK);
  g_assert_cmpuint (f->packets->len, ==, 2);
  /* 30 ms more: 40 ms available, two more */
  g_assert_cmpint (gst_pad_push (f->src, tone_buffer (400, 240, 50 * GST_MSECOND)), ==, GST_FLOW_OK);
  g_assert_cmpuint (f->packets->len, ==, 4);
  /* a second later, after a DISCONT (hold, a switched input) */
  gap = tone_buffer (0, 160, 1080 * GST_MSECOND);
  GST_BUFFER_FLAG_SET (gap, GST_BUFFER_FLAG_DISCONT);
  g_assert_cmpint (gst_pad_push (f->src, gap), ==, GST_FLOW_OK);
  g_assert_cmpuint (f->packets->len, ==, 5);
  /* 10 ms, then EOS: a short packet */
  g_assert_cmpint (gst_pad_push (f->src, tone_buffer (160, 80, 1100 * GST_MSECOND)), ==, GST_FLOW_OK);
  g_assert_cmpuint (f->packets->len, ==, 5);
  g_assert_true (gst_pad_push_event (f->src, gst_event_new_eos ()));
  g_assert_true (f->eos);
  g_assert_cmpuint (f->packets->len, ==, 6);

  for (guint i = 0; i < 6; i++)
    h[i] = header_of (f->packets->pdata[i], NULL, 0);
  for (guint i = 1; i < 6; i++)
    g_assert_cmpuint (h[i].seq, ==, (guint16) (h[0].seq + i));
  g_assert_cmpuint (h[1].timestamp - h[0].timestamp, ==, 160);
  g_assert_cmpuint (h[2].timestamp - h[1].timestamp, ==, 160);  /* straddles two buffers */
  g_assert_cmpuint (h[3].timestamp - h[2].timestamp, ==, 160);
  g_assert_cmpuint (h[4].timestamp - h[0].timestamp, ==, 8640);  /* 1080 ms */
  g_assert_cmpuint (h[5].timestamp - h[4].timestamp, ==, 160);
  g_assert_cmpuint (h[5].payload, ==, 80);
  g_assert_cmpuint (h[0].marker, ==, 1);
  g_assert_cmpuint (h[1].marker + h[2].marker + h[3].marker + h[5].marker, ==, 0);
  g_assert_cmpuint (h[4].marker, ==, 1);
  g_assert_cmpuint (GST_BUFFER_PTS (f->packets->pdata[2]), ==, 40 * GST_MSECOND);
}

/* A DISCONT (hold over, the input switched) sends what waits first, unmarked, then the
 * new talkspurt marked */
static void
test_discont_sends_what_waits (Fixture *f, gconstpointer data)
{
  GstBuffer *jump = tone_buffer (0, 160, GST_SECOND);
  Header h[3];

  g_assert_cmpint (gst_pad_push (f->src, tone_buffer (0, 160, 0)), ==, GST_FLOW_OK);
  g_assert_cmpint (gst_pad_push (f->src, tone_buffer (160, 80, 20 * GST_MSECOND)), ==, GST_FLOW_OK);
  g_assert_cmpuint (f->packets->len, ==, 1);
  GST_BUFFER_FLAG_SET (jump, GST_BUFFER_FLAG_DISCONT);
  g_assert_cmpint (gst_pad_push (f->src, jump), ==, GST_FLOW_OK);
  g_assert_cmpuint (f->packets->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    h[i] = header_of (f->packets->pdata[i], NULL, 0);
  g_assert_cmpuint (h[1].payload, ==, 80);
  g_assert_cmpuint (h[1].marker, ==, 0);
  g_assert_cmpuint (h[1].timestamp - h[0].timestamp, ==, 160);
  g_assert_cmpuint (h[2].payload, ==, 160);
  g_assert_cmpuint (h[2].marker, ==, 1);
  g_assert_cmpuint (h[2].timestamp - h[0].timestamp, ==, 8000);
  g_assert_cmpuint (h[2].seq, ==, (guint16) (h[0].seq + 2));
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/g711/ulaw-matches-mulawenc", "mulawenc", test_matches_gstreamer);
  g_test_add_data_func ("/g711/alaw-matches-alawenc", "alawenc", test_matches_gstreamer);
  g_test_add ("/g711/pcmu-packets", Fixture, NULL, fixture_setup, test_packets, fixture_teardown);
  g_test_add ("/g711/pcma-packets", Fixture, "PCMA", fixture_setup, test_packets, fixture_teardown);
  g_test_add ("/g711/other-sizes-and-gaps", Fixture, NULL, fixture_setup, test_other_sizes_and_gaps,
              fixture_teardown);
  g_test_add ("/g711/discont-sends-what-waits", Fixture, NULL, fixture_setup,
              test_discont_sends_what_waits, fixture_teardown);
  return g_test_run ();
}
