/* sips-audio-pipeline.c: builds a SipsAudioStream's GStreamer pipeline, no rtpbin:
 *   SipsAudioInputSrc (the input device's capture, shared by the calls: sips-audio-capture.c)
 *     or a played file's appsrc ! input-selector ! valve ! tee
 *     ! encoder ! payloader ! rtpdtmfmux (+ rtpdtmfsrc while DTMF goes out)
 *     [! srtpenc rtp_sink_0/rtp_src_0] ! SipsSocketSink (RTP socket) or nicesink component 1
 *   SipsRtcpOut (our RTCP, pushed from the main context) [! srtpenc rtcp_sink_0/rtcp_src_0]
 *     ! SipsSocketSink (RTCP socket) or nicesink component 2
 *   SipsSocketSrc (RTP socket or ICE component 1) [! srtpdec rtp_sink/rtp_src]
 *     ! sipsjitterbuffer ! rtpptdemux ! per payload type: depayloader ! decoder
 *     ! audioconvert ! audioresample ! valve ! tee ! output; rtpdtmfdepay ! fakesink
 *     (telephone-event: its dtmf-event messages); fakesink (anything else)
 *   SipsSocketSrc (RTCP socket or ICE component 2) [! srtpdec rtcp_sink/rtcp_src] ! fakesink
 * rtpbin cost a thread (rtpsession's RTCP timer), an rtpssrcdemux, an rtpptdemux, funnels
 * and request-pad plumbing per call; RTCP is ours instead (sips-audio-stream-rtcp.c: probes
 * count, the shared 1-s ticker sends). The tees feed the recorder. */
#include "media/sips-audio-stream-private.h"
#include "media/sips-socket-sink.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <gst/base/gstbasesink.h>
#include <gst/net/gstnetaddressmeta.h>
#include "core/sips-error.h"
#include "media/sips-audio-capture.h"
#include "media/sips-jitter-buffer.h"
#include "media/sips-g711.h"
#include "media/sips-opus.h"
#include "media/sips-socket-src.h"



void
sips_audio_config_free (SipsAudioConfig *c)
{
  if (c == NULL)
    return;
  g_free (c->codec);
  g_free (c->remote_address);
  g_free (c->input_device);
  g_free (c->output_device);
  sips_sdes_crypto_free (c->local_crypto);
  sips_sdes_crypto_free (c->remote_crypto);
  g_clear_object (&c->ice_agent);
  g_free (c);
}

SipsAudioConfig *
sips_audio_config_copy (const SipsAudioConfig *c)
{
  SipsAudioConfig *copy = g_memdup2 (c, sizeof *c);

  copy->codec = g_strdup (c->codec);
  copy->remote_address = g_strdup (c->remote_address);
  copy->input_device = g_strdup (c->input_device);
  copy->output_device = g_strdup (c->output_device);
  copy->local_crypto = sips_sdes_crypto_copy (c->local_crypto);
  copy->remote_crypto = sips_sdes_crypto_copy (c->remote_crypto);
  copy->ice_agent = c->ice_agent != NULL ? g_object_ref (c->ice_agent) : NULL;
  return copy;
}

static SipsSdesCrypto *
crypto_new (const char *suite, const char *key)
{
  SipsSdesCrypto c = { 1, (char *) suite, (char *) key };

  return sips_sdes_crypto_copy (&c);
}

SipsAudioConfig *
sips_audio_config_validate (const SipsAudioStreamConfig *in, GError **error)
{
  g_autoptr(SipsAudioConfig) c = g_new0 (SipsAudioConfig, 1);
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GBytes) k1 = NULL;
  g_autoptr(GBytes) k2 = NULL;
  const SipsAudioCodec *codec = sips_audio_codec_find (in->codec);
  gboolean any_srtp = in->srtp_local_key != NULL || in->srtp_remote_key != NULL;

  if (codec == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Unsupported audio codec “%s”"),
                   in->codec != NULL ? in->codec : "");
      return NULL;
    }
  if (in->payload_type > 127 || in->dtmf_payload_type > 127 ||
      (in->dtmf_payload_type >= 0 && in->dtmf_payload_type < 96))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Invalid RTP payload type"));
      return NULL;
    }
  if (in->remote_address == NULL || (inet = g_inet_address_new_from_string (in->remote_address)) == NULL ||
      in->remote_port == 0 || in->remote_port > 65535 || in->remote_rtcp_port > 65535)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("Invalid remote RTP address %s:%u"),
                   in->remote_address != NULL ? in->remote_address : "", in->remote_port);
      return NULL;
    }
  c->codec = g_strdup (codec->name);
  c->payload_type = in->payload_type;
  c->dtmf_payload_type = in->dtmf_payload_type;
  c->ptime = in->ptime > 0 ? in->ptime : 20;
  c->remote_address = g_strdup (in->remote_address);
  c->remote_port = in->remote_port;
  c->remote_rtcp_port = in->remote_rtcp_port > 0 ? in->remote_rtcp_port : in->remote_port + 1;
  c->input_device = g_strdup (in->input_device != NULL ? in->input_device : "");
  c->output_device = g_strdup (in->output_device != NULL ? in->output_device : "");
  c->rtp_timeout = in->rtp_timeout;
  c->no_audio_timeout = in->no_audio_timeout > 0 ? in->no_audio_timeout : 5000;
  c->ice_agent = in->ice_agent != NULL ? g_object_ref (in->ice_agent) : NULL;
  c->ice_stream_id = in->ice_stream_id;
  if (any_srtp)
    {
      c->local_crypto = crypto_new (in->srtp_local_suite, in->srtp_local_key);
      c->remote_crypto = crypto_new (in->srtp_remote_suite, in->srtp_remote_key);
      if ((k1 = sips_sdes_crypto_get_key (c->local_crypto)) == NULL ||
          (k2 = sips_sdes_crypto_get_key (c->remote_crypto)) == NULL)
        {
          g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                               _("Invalid SRTP suite or key"));
          return NULL;
        }
    }
  return g_steal_pointer (&c);
}

static gboolean
same_string (const char *a, const char *b)
{
  return g_strcmp0 (a, b) == 0;
}

static gboolean
same_crypto (const SipsSdesCrypto *a, const SipsSdesCrypto *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return same_string (a->suite, b->suite) && same_string (a->key, b->key);
}

gboolean
sips_audio_config_needs_rebuild (const SipsAudioConfig *a, const SipsAudioConfig *b)
{
  return !same_string (a->codec, b->codec) || a->payload_type != b->payload_type ||
         a->dtmf_payload_type != b->dtmf_payload_type || a->ptime != b->ptime ||
         !same_string (a->input_device, b->input_device) ||
         !same_string (a->output_device, b->output_device) ||
         !same_crypto (a->local_crypto, b->local_crypto) ||
         !same_crypto (a->remote_crypto, b->remote_crypto) ||
         a->ice_agent != b->ice_agent || a->ice_stream_id != b->ice_stream_id;
}

static GstElement *add (SipsAudioStream *self, const char *factory);
static gboolean link_pads (GstElement *src, const char *src_pad, GstElement *sink, const char *sink_pad);

/* ---- notifications, to the main context ---- */

/* Always later on the stream's context: g_main_context_invoke could run func right here in
 * the streaming thread when the default context happens to be free. */
static void
defer (SipsAudioStream *self, GSourceFunc func, gpointer data, GDestroyNotify destroy)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_callback (source, func, data, destroy);
  g_source_attach (source, self->context);
}

static gboolean
on_audio_received (gpointer user_data)
{
  sips_audio_stream_audio_received (user_data);
  return G_SOURCE_REMOVE;
}

typedef struct {
  SipsAudioStream *self;
  char            *address;
  guint            port;
} AddressReceived;

static gboolean
on_address_received (gpointer user_data)
{
  AddressReceived *data = user_data;

  sips_audio_stream_address_received (data->self, data->address, data->port);
  return G_SOURCE_REMOVE;
}

static void
address_received_free (gpointer user_data)
{
  AddressReceived *data = user_data;

  g_object_unref (data->self);
  g_free (data->address);
  g_free (data);
}

/* ---- streaming-thread probes and element callbacks ---- */

static GstPadProbeReturn
on_rtp_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstNetAddressMeta *meta;

  sips_audio_stream_set_last_rx (self, g_get_monotonic_time ());
  if (g_atomic_int_get (&self->rx_seen) || buffer == NULL)
    return GST_PAD_PROBE_OK;
  meta = gst_buffer_get_net_address_meta (buffer);
  if (meta != NULL && G_IS_INET_SOCKET_ADDRESS (meta->addr) &&
      g_atomic_int_compare_and_exchange (&self->rx_seen, 0, 1))
    {
      GInetSocketAddress *address = G_INET_SOCKET_ADDRESS (meta->addr);
      AddressReceived *data = g_new0 (AddressReceived, 1);

      data->self = g_object_ref (self);
      data->address = g_inet_address_to_string (g_inet_socket_address_get_address (address));
      data->port = g_inet_socket_address_get_port (address);
      defer (self, on_address_received, data, address_received_free);
    }
  return GST_PAD_PROBE_OK;
}

/* After SRTP authentication and depayloading: decodable audio arrived. */
static GstPadProbeReturn
on_audio_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsAudioStream *self = user_data;

  if (g_atomic_int_compare_and_exchange (&self->audio_seen, 0, 1))
    defer (self, on_audio_received, g_object_ref (self), g_object_unref);
  return GST_PAD_PROBE_REMOVE;
}

static GstCaps *
rtp_caps (const char *media_type, guint clock_rate, const char *encoding_name, guint pt)
{
  return gst_caps_new_simple (media_type, "media", G_TYPE_STRING, "audio",
                              "clock-rate", G_TYPE_INT, (gint) clock_rate,
                              "encoding-name", G_TYPE_STRING, encoding_name,
                              "payload", G_TYPE_INT, (gint) pt, NULL);
}

/* the jitter buffer's and rtpptdemux's: the caps of a payload type, NULL = dropped */
static GstCaps *
on_request_pt_map (GstElement *element, guint pt, gpointer user_data)
{
  SipsAudioStream *self = user_data;

  if (pt == self->config->payload_type)
    return rtp_caps ("application/x-rtp", self->codec->clock_rate, self->codec->encoding_name, pt);
  if ((gint) pt == self->config->dtmf_payload_type)
    return rtp_caps ("application/x-rtp", self->codec->clock_rate, "TELEPHONE-EVENT", pt);
  return NULL;
}

static GstElement *
make_fakesink (void)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  return sink;
}

/* Links new_pad -> first [-> second] -> (target or nothing), all added and playing. */
static void
link_branch (SipsAudioStream *self, GstPad *new_pad, GstElement *first, GstElement *second,
             GstElement *target)
{
  g_autoptr(GstPad) sink = NULL;
  GstElement *last = second != NULL ? second : first;

  gst_bin_add (GST_BIN (self->pipeline), first);
  if (second != NULL)
    {
      gst_bin_add (GST_BIN (self->pipeline), second);
      link_pads (first, "src", second, "sink");
    }
  if (target != NULL && !link_pads (last, "src", target, "sink"))
    g_warning ("audio stream: cannot link the decoder");
  gst_element_sync_state_with_parent (last);
  if (second != NULL)
    gst_element_sync_state_with_parent (first);
  sink = gst_element_get_static_pad (first, "sink");
  if (gst_pad_link_full (new_pad, sink, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK)
    g_warning ("audio stream: cannot link %s", GST_PAD_NAME (new_pad));
}

/* the process's playout thread (the jitter buffer's): a payload type's first packet */
static void
on_ptdemux_pad_added (GstElement *ptdemux, GstPad *pad, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  guint pt;

  if (sscanf (GST_PAD_NAME (pad), "src_%u", &pt) != 1)
    return;
  if (pt == self->config->payload_type && g_atomic_int_compare_and_exchange (&self->decoder_linked, 0, 1))
    {
      GstElement *depay = gst_element_factory_make (self->codec->depayloader, NULL);
      GstElement *decoder = gst_element_factory_make (self->codec->decoder, NULL);
      g_autoptr(GstPad) depay_sink = gst_element_get_static_pad (depay, "sink");

      gst_pad_add_probe (depay_sink, GST_PAD_PROBE_TYPE_BUFFER, on_audio_packet, self, NULL);
      link_branch (self, pad, depay, decoder, self->recv_head);
    }
  else if ((gint) pt == self->config->dtmf_payload_type)
    link_branch (self, pad, gst_element_factory_make ("rtpdtmfdepay", NULL), make_fakesink (), NULL);
  else  /* an unexpected payload (the jitter buffer drops those without caps): not played */
    link_branch (self, pad, make_fakesink (), NULL, NULL);
}

static GstBuffer *
key_buffer (const SipsSdesCrypto *crypto)
{
  g_autoptr(GBytes) key = sips_sdes_crypto_get_key (crypto);

  return gst_buffer_new_wrapped_bytes (key);
}

/* SRTP and SRTCP out with our key */
static GstElement *
add_srtpenc (SipsAudioStream *self)
{
  const char *cipher, *auth, *rtcp_auth;
  g_autoptr(GstBuffer) key = NULL;

  sips_sdes_suite_params (self->config->local_crypto->suite, &cipher, &auth, &rtcp_auth, NULL);
  key = key_buffer (self->config->local_crypto);
  self->srtpenc = add (self, "srtpenc");
  g_object_set (self->srtpenc, "random-key", FALSE, "key", key, NULL);
  gst_util_set_object_arg (G_OBJECT (self->srtpenc), "rtp-cipher", cipher);
  gst_util_set_object_arg (G_OBJECT (self->srtpenc), "rtcp-cipher", cipher);
  gst_util_set_object_arg (G_OBJECT (self->srtpenc), "rtp-auth", auth);
  gst_util_set_object_arg (G_OBJECT (self->srtpenc), "rtcp-auth", rtcp_auth);
  return self->srtpenc;
}

static GstCaps *
on_request_key (GstElement *srtpdec, guint ssrc, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  const char *cipher, *auth, *rtcp_auth;
  g_autoptr(GstBuffer) key = key_buffer (self->config->remote_crypto);

  sips_sdes_suite_params (self->config->remote_crypto->suite, &cipher, &auth, &rtcp_auth, NULL);
  return gst_caps_new_simple ("application/x-srtp", "srtp-key", GST_TYPE_BUFFER, key,
                              "srtp-cipher", G_TYPE_STRING, cipher,
                              "srtp-auth", G_TYPE_STRING, auth,
                              "srtcp-cipher", G_TYPE_STRING, cipher,
                              "srtcp-auth", G_TYPE_STRING, rtcp_auth, NULL);
}

/* SRTP and SRTCP in with the peer's key (asked for per SSRC) */
static GstElement *
add_srtpdec (SipsAudioStream *self)
{
  self->srtpdec = add (self, "srtpdec");
  g_signal_connect (self->srtpdec, "request-key", G_CALLBACK (on_request_key), self);
  return self->srtpdec;
}

/* The receive path's jitter buffer: ours has no thread per call (rtpjitterbuffer has two,
 * its src task and its timer); the process's one `sips-playout` thread pushes its packets
 * down to the output, which therefore must not wait (on_do_latency). On an SSRC change it
 * restarts and plays the new sender. */
static GstElement *
make_jitter_buffer (SipsAudioStream *self)
{
  GstElement *jitter_buffer = gst_element_factory_make ("sipsjitterbuffer", NULL);

  g_object_set (jitter_buffer, "latency", JITTER_LATENCY_MS, NULL);
  g_signal_connect (jitter_buffer, "request-pt-map", G_CALLBACK (on_request_pt_map), self);
  return jitter_buffer;
}

/* ---- building ---- */

static gboolean
check_factories (const char * const *names, GError **error)
{
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GstElementFactory) factory = gst_element_factory_find (names[i]);

      if (factory == NULL)
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                       _("The GStreamer element %s is not installed"), names[i]);
          return FALSE;
        }
    }
  return TRUE;
}

static GstElement *
add (SipsAudioStream *self, const char *factory)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  gst_bin_add (GST_BIN (self->pipeline), element);
  return element;
}

/* Links with no checks: the pads fit by construction (caps are still negotiated when data
 * flows). The default checks query the caps of the whole chain built so far at each link,
 * which was a tenth of the main loop's time at 100 calls/s. */
static gboolean
link_pads (GstElement *src, const char *src_pad, GstElement *sink, const char *sink_pad)
{
  return gst_element_link_pads_full (src, src_pad, sink, sink_pad, GST_PAD_LINK_CHECK_NOTHING);
}

static const char *
factory_name (GstElement *element)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  return factory != NULL ? gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)) : "";
}

/* first ! second ! ... (NULL-terminated), by pad name: request pads where the element has
 * them (tee's sources, input-selector's and rtpdtmfmux's sinks) */
static gboolean
link_chain (GstElement *first, ...)
{
  GstElement *prev = first, *next;
  gboolean ok = TRUE;
  va_list args;

  va_start (args, first);
  while (ok && (next = va_arg (args, GstElement *)) != NULL)
    {
      const char *src = g_str_equal (factory_name (prev), "tee") ? "src_%u" : "src";
      const char *sink = g_str_equal (factory_name (next), "input-selector") ||
                         g_str_equal (factory_name (next), "rtpdtmfmux") ? "sink_%u" : "sink";

      ok = link_pads (prev, src, next, sink);
      prev = next;
    }
  va_end (args);
  return ok;
}

/* Nothing leaves once the stream stops: the session's DidEnd comes before the pipeline
 * has drained, and the peer must not get RTP after it. */
static GstPadProbeReturn
on_send_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsAudioStream *self = user_data;

  return g_atomic_int_get (&self->send_stopped) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

static void
drop_after_stop (SipsAudioStream *self, GstElement *sink)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (sink, "sink");

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     on_send_packet, self, NULL);
}

static GstElement *
add_socket_sink (SipsAudioStream *self, GSocket *socket)
{
  /* the session owns the sockets: we only borrow them (symmetric RTP: send from them too) */
  GstElement *element = sips_socket_sink_new (socket);

  gst_bin_add (GST_BIN (self->pipeline), element);
  return element;
}

/* nicesink/nicesrc on the agent's stream: the agent owns the sockets and the destination */
static GstElement *
add_ice (SipsAudioStream *self, const char *factory, guint component)
{
  GstElement *element = add (self, factory);

  g_object_set (element, "agent", self->config->ice_agent, "stream", self->config->ice_stream_id,
                "component", component, NULL);
  return element;
}

/* libnice's receive callback on our main context (no nicesrc thread per component); if
 * that cannot be, nicesrc, which has no caps property: a capsfilter after it */
static GstElement *
add_ice_src (SipsAudioStream *self, guint component, GstCaps *caps)
{
  GstElement *src = sips_socket_src_new_ice (self->config->ice_agent, self->config->ice_stream_id,
                                             component, caps, self->context);
  GstElement *filter;

  if (src != NULL)
    {
      gst_bin_add (GST_BIN (self->pipeline), src);
      return src;
    }
  src = add_ice (self, "nicesrc", component);
  filter = add (self, "capsfilter");
  g_object_set (filter, "caps", caps, NULL);
  gst_element_link (src, filter);
  return filter;
}

/* FALSE if the query failed; *live: whether there is live upstream of a syncing sink */
static gboolean
query_latency (GstElement *element, gboolean *live, GstClockTime *min)
{
  g_autoptr(GstQuery) query = gst_query_new_latency ();

  if (!gst_element_query (element, query))
    return FALSE;
  gst_query_parse_latency (query, live, min, NULL);
  return TRUE;
}

/* The default, one latency for every sink, would be the largest of all paths'. The RTP
 * sink does not sync (the sources pace). The output gets the receive path's, the jitter
 * buffer's: the jitter buffer pushes at PTS + its latency from the process's one playout
 * thread, and a syncing output that waited for a larger latency (the recorder's mixer's)
 * would hold every call's playout meanwhile. Its decoder is linked only once packets come,
 * so the query may not reach the jitter buffer yet: then its latency is what the output
 * gets. */
static gboolean
on_do_latency (GstBin *pipeline, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  GstClockTime all = 0, play = JITTER_LATENCY_MS * GST_MSECOND, path = 0;
  gboolean live = FALSE;

  /* what GstBin does by default */
  if (query_latency (GST_ELEMENT (pipeline), &live, &all))
    gst_element_send_event (GST_ELEMENT (pipeline), gst_event_new_latency (all));
  if (self->playback != NULL && query_latency (self->playback, &live, &path) && live)
    play = path;
  if (self->playback != NULL && play != all)
    gst_element_send_event (self->playback, gst_event_new_latency (play));
  g_debug ("audio stream latency: %" GST_TIME_FORMAT ", output %" GST_TIME_FORMAT,
           GST_TIME_ARGS (all), GST_TIME_ARGS (play));
  return TRUE;
}

static void
configure_encoder (SipsAudioStream *self, GstElement *encoder, GstElement *payloader)
{
  guint ptime = self->config->ptime;

  g_object_set (payloader, "pt", self->config->payload_type, NULL);
  if (encoder == payloader)  /* sipsg711pay */
    g_object_set (payloader, "encoding-name", self->codec->encoding_name, "ptime", ptime, NULL);
  else if (strcmp (self->codec->name, "opus") == 0)
    {
      /* opus frames are the packets: the frame is the ptime */
      g_object_set (encoder, "frame-ms", (ptime == 10 || ptime == 40 || ptime == 60) ? ptime : 20, NULL);
    }
  else
    g_object_set (payloader, "min-ptime", (gint64) ptime * GST_MSECOND,
                  "max-ptime", (gint64) ptime * GST_MSECOND, NULL);
}

/* A sink in the output that is not a sound device's (fakesink, filesink...) would wait for
 * each buffer's time on the process's one playout thread, holding every other call's
 * audio meanwhile (at 100 calls with "fakesink sync=true", playout fell 0.7-1.9 s behind).
 * The jitter buffer already pushes each buffer at its time: such sinks need not sync. A
 * sound device's sink (GstAudioBaseSink) writes into its ring buffer, and keeps its sync
 * for clock slaving. */
static void
unsync_plain_sink (GstElement *element)
{
  GType audio_sink = g_type_from_name ("GstAudioBaseSink");

  if (GST_IS_BASE_SINK (element) && (audio_sink == 0 || !g_type_is_a (G_OBJECT_TYPE (element), audio_sink)))
    gst_base_sink_set_sync (GST_BASE_SINK (element), FALSE);
}

static void
on_unsync_item (const GValue *item, gpointer user_data)
{
  unsync_plain_sink (g_value_get_object (item));
}

static void
unsync_plain_sinks (GstElement *output)
{
  if (GST_IS_BIN (output))
    {
      g_autoptr(GstIterator) it = gst_bin_iterate_recurse (GST_BIN (output));

      while (gst_iterator_foreach (it, on_unsync_item, NULL) == GST_ITERATOR_RESYNC)
        gst_iterator_resync (it);
    }
  else
    unsync_plain_sink (output);
}

static GstElement *
make_playback (GstElement *output)
{
  GstElement *bin = gst_bin_new ("playback");
  g_autoptr(GstPad) target = gst_element_get_static_pad (output, "sink");

  /* no queue: the process's playout thread plays (sips-jitter-buffer.c) */
  unsync_plain_sinks (output);
  gst_bin_add (GST_BIN (bin), output);  /* not floating: the bin takes a reference of its own */
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", target));
  return bin;
}

gboolean
sips_audio_stream_build_pipeline (SipsAudioStream *self, GError **error)
{
  SipsAudioConfig *c = self->config;
  gboolean srtp = c->local_crypto != NULL;
  g_autoptr(GstElement) input = NULL;
  g_autoptr(GstElement) output = NULL;
  g_autoptr(GstCaps) rtp_src_caps = NULL;
  g_autoptr(GstCaps) rtcp_src_caps = NULL;
  g_autoptr(GstPad) rtp_src_pad = NULL;
  g_autoptr(GstPad) mux_src_pad = NULL;
  g_autoptr(GstPad) jitter_sink_pad = NULL;
  g_autoptr(GstPad) rtcp_in_pad = NULL;
  GstElement *encoder, *payloader, *mux;
  GstElement *rtp_src, *rtcp_src, *recv_resample, *ptdemux, *rtcp_in, *rtcp_out;
  GstElement *rtp_out_head, *rtcp_out_head, *rtp_in_tail, *rtcp_in_tail;
  guint32 ssrc = g_random_int ();
  const char *needed[] = { "sipsjitterbuffer", "rtpptdemux", "audioconvert", "audioresample",
                           "valve", "tee", "rtpdtmfmux", "rtpdtmfsrc", "rtpdtmfdepay",
                           "fakesink", "input-selector", NULL, NULL, NULL, NULL,
                           NULL, NULL, NULL, NULL, NULL };
  gsize n = 11;

  g_return_val_if_fail (self->pipeline == NULL && c != NULL, FALSE);

  sips_opus_register ();
  sips_g711_register ();
  sips_jitter_buffer_register ();
  self->codec = sips_audio_codec_find (c->codec);
  needed[n++] = self->codec->encoder;
  if (self->codec->payloader != NULL)
    needed[n++] = self->codec->payloader;
  needed[n++] = self->codec->depayloader;
  needed[n++] = self->codec->decoder;
  if (srtp)
    {
      needed[n++] = "srtpenc";
      needed[n++] = "srtpdec";
    }
  if (c->ice_agent != NULL)
    {
      needed[n++] = "nicesink";
    }
  if (!check_factories (needed, error) ||
      (input = sips_audio_input_src_new (c->input_device, self->codec->sample_rate, error)) == NULL ||
      (output = sips_audio_device_make (c->output_device, FALSE, error)) == NULL)
    return FALSE;

  self->pipeline = gst_object_ref_sink (sips_bus_watch_pipeline_new ("sips-audio"));
  /* the playback bin's own EOS tells when its file (if any) is final */
  g_object_set (self->pipeline, "message-forward", TRUE, NULL);

  /* our SSRC: the payloader's, rtpdtmfsrc's (sips-audio-stream-dtmf.c) and the muxer's,
   * which rewrites every packet's to its own, so that DTMF goes out as the same source */
  self->rtcp = sips_audio_rtcp_new (ssrc, self->codec->clock_rate, c->payload_type);

  /* send: the input device's shared capture, already S16LE mono at the codec's rate as a
   * played file is too (sips-audio-file-player.c): switching needs no renegotiation */
  gst_bin_add (GST_BIN (self->pipeline), input);
  self->input = input;
  self->output = output;
  self->selector = add (self, "input-selector");
  /* an inactive input is dropped at once, never held back to the active one's pace */
  g_object_set (self->selector, "sync-streams", FALSE, "cache-buffers", FALSE, NULL);
  self->send_valve = add (self, "valve");
  self->send_tee = add (self, "tee");
  encoder = add (self, self->codec->encoder);
  payloader = self->codec->payloader != NULL ? add (self, self->codec->payloader) : encoder;
  configure_encoder (self, encoder, payloader);
  g_object_set (payloader, "ssrc", ssrc, NULL);
  mux = add (self, "rtpdtmfmux");
  g_object_set (mux, "ssrc", ssrc, NULL);
  if (payloader == encoder
      ? !link_chain (input, self->selector, self->send_valve, self->send_tee, encoder, mux, NULL)
      : !link_chain (input, self->selector, self->send_valve, self->send_tee, encoder, payloader,
                     mux, NULL))
    goto link_failed;
  self->device_pad = gst_element_get_static_pad (self->selector, "sink_0");
  gst_object_unref (self->device_pad);  /* borrowed: the selector keeps it */
  self->dtmf_mux = mux;  /* rtpdtmfsrc joins it only while digits go out */
  mux_src_pad = gst_element_get_static_pad (mux, "src");
  sips_audio_rtcp_watch_sent (self->rtcp, mux_src_pad);  /* what leaves, before SRTP */
  /* RTCP out: pushed from the main context (no thread), SRTCP with SRTP */
  rtcp_out = sips_audio_rtcp_get_source (self->rtcp);
  gst_bin_add (GST_BIN (self->pipeline), rtcp_out);  /* not floating: the bin takes its own ref */
  if (srtp)
    {
      add_srtpenc (self);
      if (!link_pads (mux, "src", self->srtpenc, "rtp_sink_0") ||
          !link_pads (rtcp_out, "src", self->srtpenc, "rtcp_sink_0"))
        goto link_failed;
      rtp_out_head = rtcp_out_head = self->srtpenc;
    }
  else
    {
      rtp_out_head = mux;
      rtcp_out_head = rtcp_out;
    }

  if (c->ice_agent != NULL)
    {
      self->rtp_sink = add_ice (self, "nicesink", 1);
      self->rtcp_sink = add_ice (self, "nicesink", 2);
      /* RTP leaves as it comes: the capture and a played file both hand over 20 ms chunks
       * at their time (sips-audio-capture.c, sips-audio-file-player.c), so packets are
       * paced at the source; a sink waiting here would hold the capture's one thread for
       * every call (SipsSocketSink never waits) */
      g_object_set (self->rtp_sink, "sync", FALSE, "async", FALSE, NULL);
      g_object_set (self->rtcp_sink, "sync", FALSE, "async", FALSE, NULL);
    }
  else
    {
      self->rtp_sink = add_socket_sink (self, self->rtp_socket);
      self->rtcp_sink = add_socket_sink (self, self->rtcp_socket);
      g_object_set (self->rtp_sink, "host", c->remote_address, "port", (gint) c->remote_port, NULL);
      g_object_set (self->rtcp_sink, "host", c->remote_address, "port", (gint) c->remote_rtcp_port, NULL);
    }
  /* RTP and RTCP (the BYE is the last) both stop leaving with the stream */
  drop_after_stop (self, self->rtp_sink);
  drop_after_stop (self, self->rtcp_sink);
  g_signal_connect (self->pipeline, "do-latency", G_CALLBACK (on_do_latency), self);
  if (!link_pads (rtp_out_head, srtp ? "rtp_src_0" : "src", self->rtp_sink, "sink") ||
      !link_pads (rtcp_out_head, srtp ? "rtcp_src_0" : "src", self->rtcp_sink, "sink"))
    goto link_failed;

  /* receive */
  rtp_src_caps = rtp_caps (srtp ? "application/x-srtp" : "application/x-rtp", self->codec->clock_rate,
                           self->codec->encoding_name, c->payload_type);
  rtcp_src_caps = gst_caps_new_empty_simple (srtp ? "application/x-srtcp" : "application/x-rtcp");
  if (c->ice_agent != NULL)
    {
      rtp_src = add_ice_src (self, 1, rtp_src_caps);
      rtcp_src = add_ice_src (self, 2, rtcp_src_caps);
    }
  else
    {
      /* read on our main context: no udpsrc thread per socket */
      rtp_src = sips_socket_src_new (self->rtp_socket, rtp_src_caps, self->context);
      rtcp_src = sips_socket_src_new (self->rtcp_socket, rtcp_src_caps, self->context);
      gst_bin_add_many (GST_BIN (self->pipeline), rtp_src, rtcp_src, NULL);
    }
  rtp_src_pad = gst_element_get_static_pad (rtp_src, "src");
  gst_pad_add_probe (rtp_src_pad, GST_PAD_PROBE_TYPE_BUFFER, on_rtp_packet, self, NULL);
  rtp_in_tail = rtp_src;
  rtcp_in_tail = rtcp_src;
  if (srtp)
    {
      add_srtpdec (self);
      if (!link_pads (rtp_src, "src", self->srtpdec, "rtp_sink") ||
          !link_pads (rtcp_src, "src", self->srtpdec, "rtcp_sink"))
        goto link_failed;
      rtp_in_tail = rtcp_in_tail = self->srtpdec;
    }
  /* the peer's RTCP: its SRs are read (LSR/DLSR), then dropped by the probe before the
   * fakesink (which only terminates the branch; see on_rtcp_received) */
  rtcp_in = make_fakesink ();
  gst_bin_add (GST_BIN (self->pipeline), rtcp_in);
  rtcp_in_pad = gst_element_get_static_pad (rtcp_in, "sink");
  sips_audio_rtcp_watch_reports (self->rtcp, rtcp_in_pad);
  /* RTP: jitter buffer ! rtpptdemux ! a branch per payload type (on_ptdemux_pad_added) */
  self->jitter_buffer = make_jitter_buffer (self);
  gst_bin_add (GST_BIN (self->pipeline), self->jitter_buffer);
  jitter_sink_pad = gst_element_get_static_pad (self->jitter_buffer, "sink");
  sips_audio_rtcp_watch_received (self->rtcp, jitter_sink_pad);  /* authenticated, in arrival order */
  ptdemux = add (self, "rtpptdemux");
  g_signal_connect (ptdemux, "request-pt-map", G_CALLBACK (on_request_pt_map), self);
  g_signal_connect (ptdemux, "pad-added", G_CALLBACK (on_ptdemux_pad_added), self);
  if (!link_pads (rtp_in_tail, srtp ? "rtp_src" : "src", self->jitter_buffer, "sink") ||
      !link_pads (self->jitter_buffer, "src", ptdemux, "sink") ||
      !link_pads (rtcp_in_tail, srtp ? "rtcp_src" : "src", rtcp_in, "sink"))
    goto link_failed;

  self->recv_head = add (self, "audioconvert");
  recv_resample = add (self, "audioresample");
  self->play_valve = add (self, "valve");
  self->recv_tee = add (self, "tee");
  self->playback = make_playback (output);
  gst_bin_add (GST_BIN (self->pipeline), self->playback);
  if (!link_chain (self->recv_head, recv_resample, self->play_valve, self->recv_tee,
                   self->playback, NULL))
    goto link_failed;
  return TRUE;

link_failed:
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot build the audio pipeline"));
  sips_audio_stream_drop_pipeline (self);
  return FALSE;
}

void
sips_audio_stream_drop_pipeline (SipsAudioStream *self)
{
  sips_audio_stream_drop_file (self);
  if (self->pipeline != NULL)
    {
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      g_clear_pointer (&self->pipeline, gst_object_unref);
    }
  g_clear_pointer (&self->rtcp, sips_audio_rtcp_unref);
  self->jitter_buffer = self->send_valve = self->play_valve = self->send_tee = self->recv_tee = NULL;
  self->recv_head = self->playback = self->dtmfsrc = self->dtmf_mux = self->rtp_sink = self->rtcp_sink = NULL;
  self->srtpenc = self->srtpdec = NULL;
  self->input = self->output = NULL;
  g_atomic_int_set (&self->decoder_linked, 0);
  g_atomic_int_set (&self->rx_seen, 0);
  g_atomic_int_set (&self->send_stopped, 0);
}
