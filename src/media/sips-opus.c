/* sips-opus.c: opus encoder and decoder elements on libopus' single-stream API.
 *
 * GStreamer's opusenc/opusdec go through opus_multistream_encode/decode, which work out
 * opus_encoder_get_size() / opus_decoder_get_size() on every frame, and with them the CPU
 * features (CPUID twice per call): in a virtual machine every CPUID traps to the
 * hypervisor, and that was 28 % of a daemon's CPU with opus calls up (perf). Mono 48 kHz
 * S16 in and out, a frame per packet, settings as baresip's (application audio,
 * complexity 10, bitrate auto, VBR). */
#include "media/sips-opus.h"

#include <opus/opus.h>
#include <gst/base/gstadapter.h>

#define RATE            48000
#define MAX_PACKET      1500
#define MAX_FRAME       5760   /* 120 ms at 48 kHz */
#define RAW_CAPS        "audio/x-raw, format=(string)S16LE, layout=(string)interleaved, " \
                        "rate=(int)48000, channels=(int)1"
#define OPUS_CAPS       "audio/x-opus, rate=(int)48000, channels=(int)1, " \
                        "channel-mapping-family=(int)0"

/* ---- the encoder ---- */

struct _SipsOpusEnc
{
  GstElement   parent_instance;

  GstPad      *sinkpad;
  GstPad      *srcpad;
  OpusEncoder *encoder;
  GstAdapter  *adapter;
  guint        frame_ms;
  gboolean     caps_sent;
};

G_DEFINE_FINAL_TYPE (SipsOpusEnc, sips_opus_enc, GST_TYPE_ELEMENT)

enum { PROP_0, PROP_FRAME_MS };

static GstStaticPadTemplate enc_sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (RAW_CAPS));
static GstStaticPadTemplate enc_src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (OPUS_CAPS));

static guint
frame_samples (SipsOpusEnc *self)
{
  return self->frame_ms * (RATE / 1000);
}

static GstFlowReturn
encode_frames (SipsOpusEnc *self)
{
  gsize frame_bytes = frame_samples (self) * 2;

  while (gst_adapter_available (self->adapter) >= frame_bytes)
    {
      guint64 distance = 0;
      GstClockTime pts = gst_adapter_prev_pts (self->adapter, &distance);
      const opus_int16 *pcm = gst_adapter_map (self->adapter, frame_bytes);
      guint8 packet[MAX_PACKET];
      opus_int32 n = opus_encode (self->encoder, pcm, (int) frame_samples (self), packet, sizeof packet);
      GstBuffer *out;
      GstFlowReturn ret;

      gst_adapter_unmap (self->adapter);
      gst_adapter_flush (self->adapter, frame_bytes);
      if (n < 0)
        {
          GST_ELEMENT_ERROR (self, STREAM, ENCODE, (NULL), ("opus_encode: %s", opus_strerror (n)));
          return GST_FLOW_ERROR;
        }
      out = gst_buffer_new_memdup (packet, (gsize) n);
      if (GST_CLOCK_TIME_IS_VALID (pts))
        GST_BUFFER_PTS (out) = pts + gst_util_uint64_scale (distance / 2, GST_SECOND, RATE);
      GST_BUFFER_DURATION (out) = self->frame_ms * GST_MSECOND;
      if ((ret = gst_pad_push (self->srcpad, out)) != GST_FLOW_OK)
        return ret;
    }
  return GST_FLOW_OK;
}

static GstFlowReturn
on_enc_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  SipsOpusEnc *self = SIPS_OPUS_ENC (parent);

  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT))
    gst_adapter_clear (self->adapter);  /* a gap: the next frame starts with it */
  gst_adapter_push (self->adapter, buffer);
  return encode_frames (self);
}

static gboolean
on_enc_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  SipsOpusEnc *self = SIPS_OPUS_ENC (parent);

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_CAPS:  /* the input's are fixed by the template: ours go out instead */
      {
        g_autoptr(GstCaps) caps = gst_caps_from_string (OPUS_CAPS);

        gst_event_unref (event);
        return gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
      }
    case GST_EVENT_FLUSH_STOP:
      gst_adapter_clear (self->adapter);
      opus_encoder_ctl (self->encoder, OPUS_RESET_STATE);
      break;
    default:
      break;
    }
  return gst_pad_event_default (pad, parent, event);
}

/* the latency of a frame on top of upstream's, as opusenc says */
static gboolean
on_enc_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  SipsOpusEnc *self = SIPS_OPUS_ENC (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY && gst_pad_peer_query (self->sinkpad, query))
    {
      gboolean live;
      GstClockTime min, max;

      gst_query_parse_latency (query, &live, &min, &max);
      min += self->frame_ms * GST_MSECOND;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += self->frame_ms * GST_MSECOND;
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
  return gst_pad_query_default (pad, parent, query);
}

static void
sips_opus_enc_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  SipsOpusEnc *self = SIPS_OPUS_ENC (object);

  if (prop_id == PROP_FRAME_MS)
    self->frame_ms = g_value_get_uint (value);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
sips_opus_enc_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsOpusEnc *self = SIPS_OPUS_ENC (object);

  if (prop_id == PROP_FRAME_MS)
    g_value_set_uint (value, self->frame_ms);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
sips_opus_enc_finalize (GObject *object)
{
  SipsOpusEnc *self = SIPS_OPUS_ENC (object);

  opus_encoder_destroy (self->encoder);
  g_object_unref (self->adapter);
  G_OBJECT_CLASS (sips_opus_enc_parent_class)->finalize (object);
}

static void
sips_opus_enc_class_init (SipsOpusEncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = sips_opus_enc_set_property;
  object_class->get_property = sips_opus_enc_get_property;
  object_class->finalize = sips_opus_enc_finalize;
  g_object_class_install_property (object_class, PROP_FRAME_MS,
    g_param_spec_uint ("frame-ms", NULL, "Frame (= packet) duration in ms: 10, 20, 40 or 60",
                       10, 60, 20, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &enc_sink_template);
  gst_element_class_add_static_pad_template (element_class, &enc_src_template);
  gst_element_class_set_static_metadata (element_class, "Opus encoder (single stream)",
                                         "Codec/Encoder/Audio", "Mono 48 kHz opus, a frame per buffer",
                                         "sipsimpled");
}

static void
sips_opus_enc_init (SipsOpusEnc *self)
{
  int error = OPUS_OK;

  self->frame_ms = 20;
  self->adapter = gst_adapter_new ();
  self->encoder = opus_encoder_create (RATE, 1, OPUS_APPLICATION_AUDIO, &error);
  g_assert (self->encoder != NULL);  /* only fails for invalid arguments or no memory */
  opus_encoder_ctl (self->encoder, OPUS_SET_COMPLEXITY (10));
  opus_encoder_ctl (self->encoder, OPUS_SET_BITRATE (OPUS_AUTO));
  opus_encoder_ctl (self->encoder, OPUS_SET_VBR (1));
  self->sinkpad = gst_pad_new_from_static_template (&enc_sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, on_enc_chain);
  gst_pad_set_event_function (self->sinkpad, on_enc_event);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&enc_src_template, "src");
  gst_pad_set_query_function (self->srcpad, on_enc_src_query);
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

/* ---- the decoder ---- */

struct _SipsOpusDec
{
  GstElement   parent_instance;

  GstPad      *sinkpad;
  GstPad      *srcpad;
  OpusDecoder *decoder;
};

G_DEFINE_FINAL_TYPE (SipsOpusDec, sips_opus_dec, GST_TYPE_ELEMENT)

static GstStaticPadTemplate dec_sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-opus"));
static GstStaticPadTemplate dec_src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (RAW_CAPS));

static GstFlowReturn
on_dec_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  SipsOpusDec *self = SIPS_OPUS_DEC (parent);
  GstMapInfo map;
  GstBuffer *out = gst_buffer_new_allocate (NULL, MAX_FRAME * 2, NULL);
  GstMapInfo out_map;
  int n;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      gst_buffer_unref (buffer);
      gst_buffer_unref (out);
      return GST_FLOW_OK;
    }
  gst_buffer_map (out, &out_map, GST_MAP_WRITE);
  n = opus_decode (self->decoder, map.data, (opus_int32) map.size, (opus_int16 *) out_map.data,
                   MAX_FRAME, 0);
  gst_buffer_unmap (out, &out_map);
  gst_buffer_unmap (buffer, &map);
  if (n <= 0)  /* a broken packet from the network: skipped, not fatal */
    {
      GST_DEBUG_OBJECT (self, "opus_decode: %s", n < 0 ? opus_strerror (n) : "no samples");
      gst_buffer_unref (buffer);
      gst_buffer_unref (out);
      return GST_FLOW_OK;
    }
  gst_buffer_set_size (out, (gsize) n * 2);
  gst_buffer_copy_into (out, buffer, GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS, 0, 0);
  GST_BUFFER_DURATION (out) = gst_util_uint64_scale ((guint64) n, GST_SECOND, RATE);
  gst_buffer_unref (buffer);
  return gst_pad_push (self->srcpad, out);
}

/* A lost packet (the jitter buffer's GstRTPPacketLost, a GAP from the depayloader): libopus
 * conceals it from the decoder's state, not a hole of silence. FALSE: not concealed. */
static gboolean
conceal (SipsOpusDec *self, GstEvent *event)
{
  GstClockTime timestamp, duration;
  GstBuffer *out;
  GstMapInfo map;
  int samples, n;

  gst_event_parse_gap (event, &timestamp, &duration);
  if (!GST_CLOCK_TIME_IS_VALID (timestamp) || !GST_CLOCK_TIME_IS_VALID (duration) ||
      !gst_pad_has_current_caps (self->srcpad))
    return FALSE;
  /* whole 2.5-ms steps, as libopus wants; a longer loss ends in silence */
  samples = (int) MIN (gst_util_uint64_scale (duration, RATE, GST_SECOND), MAX_FRAME) / 120 * 120;
  if (samples == 0)
    return FALSE;
  out = gst_buffer_new_allocate (NULL, (gsize) samples * 2, NULL);
  gst_buffer_map (out, &map, GST_MAP_WRITE);
  n = opus_decode (self->decoder, NULL, 0, (opus_int16 *) map.data, samples, 0);
  gst_buffer_unmap (out, &map);
  if (n <= 0)
    {
      gst_buffer_unref (out);
      return FALSE;
    }
  gst_buffer_set_size (out, (gsize) n * 2);
  GST_BUFFER_PTS (out) = timestamp;
  GST_BUFFER_DURATION (out) = gst_util_uint64_scale ((guint64) n, GST_SECOND, RATE);
  gst_event_unref (event);
  gst_pad_push (self->srcpad, out);
  return TRUE;
}

static gboolean
on_dec_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  SipsOpusDec *self = SIPS_OPUS_DEC (parent);

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_GAP:
      if (conceal (self, event))
        return TRUE;
      break;
    case GST_EVENT_CAPS:
      {
        g_autoptr(GstCaps) caps = gst_caps_from_string (RAW_CAPS);

        gst_event_unref (event);
        return gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
      }
    case GST_EVENT_FLUSH_STOP:
      opus_decoder_ctl (self->decoder, OPUS_RESET_STATE);
      break;
    default:
      break;
    }
  return gst_pad_event_default (pad, parent, event);
}

static void
sips_opus_dec_finalize (GObject *object)
{
  SipsOpusDec *self = SIPS_OPUS_DEC (object);

  opus_decoder_destroy (self->decoder);
  G_OBJECT_CLASS (sips_opus_dec_parent_class)->finalize (object);
}

static void
sips_opus_dec_class_init (SipsOpusDecClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = sips_opus_dec_finalize;
  gst_element_class_add_static_pad_template (element_class, &dec_sink_template);
  gst_element_class_add_static_pad_template (element_class, &dec_src_template);
  gst_element_class_set_static_metadata (element_class, "Opus decoder (single stream)",
                                         "Codec/Decoder/Audio", "Opus to mono 48 kHz S16",
                                         "sipsimpled");
}

static void
sips_opus_dec_init (SipsOpusDec *self)
{
  int error = OPUS_OK;

  /* mono output: a stereo sender is downmixed by libopus */
  self->decoder = opus_decoder_create (RATE, 1, &error);
  g_assert (self->decoder != NULL);
  self->sinkpad = gst_pad_new_from_static_template (&dec_sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, on_dec_chain);
  gst_pad_set_event_function (self->sinkpad, on_dec_event);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&dec_src_template, "src");
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

/* ---- registration ---- */

static gpointer
register_once (gpointer data)
{
  gst_element_register (NULL, "sipsopusenc", GST_RANK_NONE, SIPS_TYPE_OPUS_ENC);
  gst_element_register (NULL, "sipsopusdec", GST_RANK_NONE, SIPS_TYPE_OPUS_DEC);
  return NULL;
}

void
sips_opus_register (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, register_once, NULL);
}
