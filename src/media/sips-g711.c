/* sips-g711.c: sipsg711pay, a G.711 encoder and RTP payloader in one element.
 *
 * mulawenc/alawenc ! rtppcmupay/rtppcmapay cost two elements on the send path of every
 * G.711 call, both on heavy base classes (GstAudioEncoder, GstRTPBaseAudioPayload: an
 * adapter each, metas, tags, an RTP buffer mapped and checked). All of it runs on the
 * shared capture's one thread, for every call, 50 times a second: at 400 calls/s that
 * thread had 40 % of the daemon's CPU (perf). Here a 20 ms chunk (what the capture and a
 * played file hand over) becomes one packet with one allocation: the 12-byte header
 * written in place and the samples encoded behind it. Other sizes go through an adapter.
 *
 * Output as the payloaders': caps with ssrc, timestamp-offset and seqnum-offset (which
 * rtpdtmfmux rebases on), RTP time from the running time of the input (so it follows
 * hold gaps and file switches as rtpdtmfsrc's does), the marker bit on the first packet
 * and after a DISCONT, the PTS kept; what is left at a DISCONT or EOS goes out as a
 * shorter packet. */
#include "media/sips-g711.h"

#include <string.h>
#include <gst/base/gstadapter.h>

#define RATE        8000
#define HEADER_SIZE 12
#define RAW_CAPS    "audio/x-raw, format=(string)S16LE, layout=(string)interleaved, " \
                    "rate=(int)8000, channels=(int)1"

struct _SipsG711Pay
{
  GstElement  parent_instance;

  GstPad     *sinkpad;
  GstPad     *srcpad;
  GstAdapter *adapter;
  GstSegment  segment;
  gboolean    alaw;
  guint       pt;
  guint32     ssrc;
  guint       ptime_ms;
  guint32     timestamp_offset;
  guint16     seqnum_offset;
  guint16     seqnum;
  guint32     next_rtptime;    /* when the input has no time */
  gboolean    marker;
  gboolean    caps_sent;
};

G_DEFINE_FINAL_TYPE (SipsG711Pay, sips_g711_pay, GST_TYPE_ELEMENT)

enum { PROP_0, PROP_ENCODING_NAME, PROP_PT, PROP_SSRC, PROP_PTIME, N_PROPS };
static GParamSpec *props[N_PROPS];

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (RAW_CAPS));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS ("application/x-rtp, media=(string)audio, "
                                            "clock-rate=(int)8000, "
                                            "encoding-name=(string){ PCMU, PCMA }"));

/* ---- G.711, bit for bit as GStreamer's mulawenc and alawenc (test-g711) ---- */

guint8
sips_g711_ulaw (gint16 sample)
{
  int value = sample;
  int sign = 0;
  int exponent, mantissa;

  if (value < 0)
    {
      value = -value;
      sign = 0x80;
    }
  if (value > 32635)
    value = 32635;
  value += 0x84;
  exponent = 31 - __builtin_clz ((unsigned) value >> 7);  /* value >> 7 is 1 to 255 */
  mantissa = (value >> (exponent + 3)) & 0x0f;
  return (guint8) ~(sign | (exponent << 4) | mantissa);  /* no zero trap, as mulawenc */
}

guint8
sips_g711_alaw (gint16 sample)
{
  int value = sample;
  int mask = 0xd5;
  int segment;

  if (value < 0)
    {
      mask = 0x55;
      value = MIN (-value, 0x7fff);
    }
  if (value < 256)
    return (guint8) ((value >> 4) ^ mask);
  segment = 32 - __builtin_clz ((unsigned) value >> 8);  /* 1 to 7 */
  return (guint8) (((segment << 4) | ((value >> (segment + 3)) & 0x0f)) ^ mask);
}

/* ---- packets ---- */

static gboolean
send_caps (SipsG711Pay *self)
{
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("application/x-rtp",
                                                 "media", G_TYPE_STRING, "audio",
                                                 "clock-rate", G_TYPE_INT, RATE,
                                                 "encoding-name", G_TYPE_STRING,
                                                 self->alaw ? "PCMA" : "PCMU",
                                                 "payload", G_TYPE_INT, (gint) self->pt,
                                                 "ssrc", G_TYPE_UINT, self->ssrc,
                                                 "timestamp-offset", G_TYPE_UINT,
                                                 self->timestamp_offset,
                                                 "seqnum-offset", G_TYPE_UINT,
                                                 (guint) self->seqnum_offset,
                                                 NULL);

  self->caps_sent = gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
  return self->caps_sent;
}

static guint32
rtptime_of (SipsG711Pay *self, GstClockTime pts, guint samples)
{
  guint64 running = GST_CLOCK_TIME_NONE;
  guint32 rtptime;

  if (GST_CLOCK_TIME_IS_VALID (pts) && self->segment.format == GST_FORMAT_TIME)
    running = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, pts);
  rtptime = GST_CLOCK_TIME_IS_VALID (running)
            ? self->timestamp_offset + (guint32) gst_util_uint64_scale_int (running, RATE, GST_SECOND)
            : self->next_rtptime;
  self->next_rtptime = rtptime + samples;
  return rtptime;
}

static GstFlowReturn
push_packet (SipsG711Pay *self, const gint16 *pcm, guint samples, GstClockTime pts)
{
  GstBuffer *packet = gst_buffer_new_allocate (NULL, HEADER_SIZE + samples, NULL);
  guint32 rtptime = rtptime_of (self, pts, samples);
  GstMapInfo map;
  guint8 *out;

  if (packet == NULL || !gst_buffer_map (packet, &map, GST_MAP_WRITE))
    {
      g_clear_pointer (&packet, gst_buffer_unref);
      return GST_FLOW_ERROR;
    }
  out = map.data;
  out[0] = 0x80;                                    /* version 2, no padding, extension, CSRC */
  out[1] = (guint8) ((self->marker ? 0x80 : 0) | (self->pt & 0x7f));
  out[2] = (guint8) (self->seqnum >> 8);
  out[3] = (guint8) self->seqnum;
  out[4] = (guint8) (rtptime >> 24);
  out[5] = (guint8) (rtptime >> 16);
  out[6] = (guint8) (rtptime >> 8);
  out[7] = (guint8) rtptime;
  out[8] = (guint8) (self->ssrc >> 24);
  out[9] = (guint8) (self->ssrc >> 16);
  out[10] = (guint8) (self->ssrc >> 8);
  out[11] = (guint8) self->ssrc;
  out += HEADER_SIZE;
  if (self->alaw)
    for (guint i = 0; i < samples; i++)
      out[i] = sips_g711_alaw ((gint16) GINT16_FROM_LE (pcm[i]));
  else
    for (guint i = 0; i < samples; i++)
      out[i] = sips_g711_ulaw ((gint16) GINT16_FROM_LE (pcm[i]));
  gst_buffer_unmap (packet, &map);
  GST_BUFFER_PTS (packet) = pts;
  GST_BUFFER_DURATION (packet) = gst_util_uint64_scale_int (samples, GST_SECOND, RATE);
  self->marker = FALSE;
  self->seqnum++;
  return gst_pad_push (self->srcpad, packet);
}

/* Whole packets from the adapter; at EOS (drain) the rest too */
static GstFlowReturn
push_from_adapter (SipsG711Pay *self, gboolean drain)
{
  gsize packet_bytes = (gsize) self->ptime_ms * (RATE / 1000) * 2;
  GstFlowReturn ret = GST_FLOW_OK;
  gsize available;

  while (ret == GST_FLOW_OK &&
         ((available = gst_adapter_available (self->adapter)) >= packet_bytes ||
          (drain && available >= 2)))
    {
      gsize bytes = MIN (available, packet_bytes) & ~(gsize) 1;
      guint64 distance = 0;
      GstClockTime pts = gst_adapter_prev_pts (self->adapter, &distance);
      const gint16 *pcm;

      if (GST_CLOCK_TIME_IS_VALID (pts))
        pts += gst_util_uint64_scale_int (distance / 2, GST_SECOND, RATE);
      pcm = gst_adapter_map (self->adapter, bytes);
      ret = push_packet (self, pcm, (guint) (bytes / 2), pts);
      gst_adapter_unmap (self->adapter);
      gst_adapter_flush (self->adapter, bytes);
    }
  if (drain)
    gst_adapter_clear (self->adapter);
  return ret;
}

static GstFlowReturn
on_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  SipsG711Pay *self = SIPS_G711_PAY (parent);
  gsize packet_bytes = (gsize) self->ptime_ms * (RATE / 1000) * 2;
  GstFlowReturn ret;
  GstMapInfo map;

  if (!self->caps_sent && !send_caps (self))
    {
      gst_buffer_unref (buffer);
      return GST_FLOW_NOT_NEGOTIATED;
    }
  /* what waits goes out first (as GstRTPBaseAudioPayload), the new talkspurt marked */
  if (GST_BUFFER_IS_DISCONT (buffer))
    {
      ret = push_from_adapter (self, TRUE);
      self->marker = TRUE;
      if (ret != GST_FLOW_OK)
        {
          gst_buffer_unref (buffer);
          return ret;
        }
    }
  /* the usual case: a chunk that is one packet */
  if (gst_adapter_available (self->adapter) == 0 && gst_buffer_get_size (buffer) == packet_bytes &&
      gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      ret = push_packet (self, (const gint16 *) map.data, (guint) (map.size / 2),
                         GST_BUFFER_PTS (buffer));
      gst_buffer_unmap (buffer, &map);
      gst_buffer_unref (buffer);
      return ret;
    }
  gst_adapter_push (self->adapter, buffer);
  return push_from_adapter (self, FALSE);
}

static gboolean
on_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  SipsG711Pay *self = SIPS_G711_PAY (parent);

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_CAPS:
      /* the sink template has one format: our own caps go downstream instead */
      gst_event_unref (event);
      return self->caps_sent || send_caps (self);
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_adapter_clear (self->adapter);
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      self->marker = TRUE;
      break;
    case GST_EVENT_EOS:
      push_from_adapter (self, TRUE);
      break;
    default:
      break;
    }
  return gst_pad_event_default (pad, parent, event);
}

/* ---- GObject ---- */

static void
sips_g711_pay_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SipsG711Pay *self = SIPS_G711_PAY (object);

  switch (prop_id)
    {
    case PROP_ENCODING_NAME:
      self->alaw = g_strcmp0 (g_value_get_string (value), "PCMA") == 0;
      break;
    case PROP_PT:
      self->pt = g_value_get_uint (value);
      break;
    case PROP_SSRC:
      self->ssrc = g_value_get_uint (value);
      break;
    case PROP_PTIME:
      self->ptime_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_g711_pay_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsG711Pay *self = SIPS_G711_PAY (object);

  switch (prop_id)
    {
    case PROP_ENCODING_NAME:
      g_value_set_string (value, self->alaw ? "PCMA" : "PCMU");
      break;
    case PROP_PT:
      g_value_set_uint (value, self->pt);
      break;
    case PROP_SSRC:
      g_value_set_uint (value, self->ssrc);
      break;
    case PROP_PTIME:
      g_value_set_uint (value, self->ptime_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_g711_pay_finalize (GObject *object)
{
  SipsG711Pay *self = SIPS_G711_PAY (object);

  g_object_unref (self->adapter);
  G_OBJECT_CLASS (sips_g711_pay_parent_class)->finalize (object);
}

static void
sips_g711_pay_class_init (SipsG711PayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = sips_g711_pay_set_property;
  object_class->get_property = sips_g711_pay_get_property;
  object_class->finalize = sips_g711_pay_finalize;
  props[PROP_ENCODING_NAME] =
    g_param_spec_string ("encoding-name", "Encoding name", "PCMU or PCMA", "PCMU",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_PT] = g_param_spec_uint ("pt", "Payload type", "The RTP payload type", 0, 127, 0,
                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_SSRC] = g_param_spec_uint ("ssrc", "SSRC", "The RTP SSRC", 0, G_MAXUINT32, 0,
                                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_PTIME] = g_param_spec_uint ("ptime", "Packet time", "Milliseconds of audio a packet",
                                         1, 200, 20, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "G.711 RTP payloader",
                                         "Codec/Encoder/Network/RTP",
                                         "Mono 8 kHz S16 to PCMU or PCMA RTP packets",
                                         "sipsimpled");
}

static void
sips_g711_pay_init (SipsG711Pay *self)
{
  self->adapter = gst_adapter_new ();
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  self->ptime_ms = 20;
  self->marker = TRUE;
  self->ssrc = g_random_int ();
  self->timestamp_offset = g_random_int ();
  self->seqnum_offset = (guint16) g_random_int_range (0, 0x8000);  /* RFC 3550: random */
  self->seqnum = self->seqnum_offset;
  self->next_rtptime = self->timestamp_offset;
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, on_chain);
  gst_pad_set_event_function (self->sinkpad, on_sink_event);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

/* ---- registration ---- */

static gpointer
register_once (gpointer data)
{
  gst_element_register (NULL, "sipsg711pay", GST_RANK_NONE, SIPS_TYPE_G711_PAY);
  return NULL;
}

void
sips_g711_register (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, register_once, NULL);
}
