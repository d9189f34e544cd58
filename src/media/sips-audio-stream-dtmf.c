/* sips-audio-stream-dtmf.c: DTMF out (RFC 4733 events) of a SipsAudioStream.
 *
 * rtpdtmfsrc is a live source with a streaming thread of its own, so it joins the
 * pipeline's rtpdtmfmux only while digits go out and leaves after the last one.
 * Per digit: start event, DTMF_TONE_MS, stop event, then wait until the source has sent
 * that digit's end packet (it keeps a tone at least 250 ms and queues what comes
 * earlier), DTMF_GAP_MS, the next digit. */
#include "media/sips-audio-stream-private.h"

#include <string.h>
#include <glib/gi18n.h>
#include "core/sips-error.h"

#define DTMF_TONE_MS      100
#define DTMF_GAP_MS       60
#define DTMF_END_WAIT_MS  1000  /* no end packet by then: carry on anyway */

const char sips_audio_dtmf_digits[] = "0123456789*#ABCD";

static gboolean on_dtmf_step (gpointer user_data);

static void
schedule_step (SipsAudioStream *self, guint ms)
{
  if (self->dtmf_source != NULL)
    {
      g_source_destroy (self->dtmf_source);
      g_source_unref (self->dtmf_source);
    }
  self->dtmf_source = g_timeout_source_new (ms);
  g_source_set_callback (self->dtmf_source, on_dtmf_step, self, NULL);
  g_source_attach (self->dtmf_source, self->context);
}

typedef struct {
  SipsAudioStream *self;
  guint32          timestamp;
} DtmfEnd;

static void
dtmf_end_free (gpointer data)
{
  DtmfEnd *end = data;

  g_object_unref (end->self);
  g_free (end);
}

/* Main context: the source sent a digit's end packet (the first of its repeats). */
static gboolean
on_dtmf_end (gpointer user_data)
{
  DtmfEnd *end = user_data;
  SipsAudioStream *self = end->self;

  if (!self->dtmf_awaiting_end || end->timestamp == self->dtmf_last_end)
    return G_SOURCE_REMOVE;
  self->dtmf_last_end = end->timestamp;
  self->dtmf_awaiting_end = FALSE;
  schedule_step (self, DTMF_GAP_MS);
  return G_SOURCE_REMOVE;
}

/* rtpdtmfsrc's thread: an RTP packet with the E bit of its payload set */
static GstPadProbeReturn
on_dtmf_packet (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  gsize header;

  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  header = 12 + 4 * (map.size > 0 ? (map.data[0] & 0x0f) : 0);
  if (map.size >= header + 4 && (map.data[header + 1] & 0x80) != 0)
    {
      DtmfEnd *end = g_new0 (DtmfEnd, 1);
      g_autoptr(GSource) source = g_idle_source_new ();

      end->self = g_object_ref (self);
      end->timestamp = GST_READ_UINT32_BE (map.data + 4);
      g_source_set_callback (source, on_dtmf_end, end, dtmf_end_free);
      g_source_attach (source, self->context);
    }
  gst_buffer_unmap (buffer, &map);
  return GST_PAD_PROBE_OK;
}

static gboolean
add_source (SipsAudioStream *self)
{
  GstElement *src;
  g_autoptr(GstPad) pad = NULL;
  guint ssrc = 0;

  if (self->dtmfsrc != NULL)
    return TRUE;
  src = gst_element_factory_make ("rtpdtmfsrc", NULL);
  /* our SSRC (the muxer would rewrite it anyway): one source for audio and events */
  g_object_get (self->dtmf_mux, "ssrc", &ssrc, NULL);
  g_object_set (src, "pt", (guint) self->config->dtmf_payload_type,
                "clock-rate", self->codec->clock_rate, "ssrc", ssrc, NULL);
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_dtmf_packet, self, NULL);
  gst_bin_add (GST_BIN (self->pipeline), src);
  if (!gst_element_link_pads (src, "src", self->dtmf_mux, "priority_sink_%u") ||
      !gst_element_sync_state_with_parent (src))
    {
      g_warning ("audio stream: cannot add the DTMF source");
      gst_element_set_state (src, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self->pipeline), src);
      return FALSE;
    }
  self->dtmfsrc = src;
  return TRUE;
}

static void
remove_source (SipsAudioStream *self)
{
  GstElement *src = g_steal_pointer (&self->dtmfsrc);
  g_autoptr(GstPad) src_pad = NULL;
  g_autoptr(GstPad) mux_pad = NULL;

  if (src == NULL || self->pipeline == NULL)
    return;
  src_pad = gst_element_get_static_pad (src, "src");
  mux_pad = gst_pad_get_peer (src_pad);
  gst_element_set_state (src, GST_STATE_NULL);  /* joins its thread */
  if (mux_pad != NULL)
    {
      gst_pad_unlink (src_pad, mux_pad);
      gst_element_release_request_pad (self->dtmf_mux, mux_pad);
    }
  gst_bin_remove (GST_BIN (self->pipeline), src);
}

static void
send_dtmf_event (SipsAudioStream *self, gint number, gboolean start)
{
  GstStructure *s = gst_structure_new ("dtmf-event", "type", G_TYPE_INT, 1,
                                       "number", G_TYPE_INT, number, "volume", G_TYPE_INT, 10,
                                       "start", G_TYPE_BOOLEAN, start, NULL);
  g_autoptr(GstPad) pad = gst_element_get_static_pad (self->dtmfsrc, "src");

  /* an upstream event arriving on its source pad, as if from the muxer */
  gst_pad_send_event (pad, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

static gboolean
on_dtmf_step (gpointer user_data)
{
  SipsAudioStream *self = user_data;

  g_clear_pointer (&self->dtmf_source, g_source_unref);
  if (self->pipeline == NULL || self->stopping)
    return G_SOURCE_REMOVE;
  if (self->dtmf_tone_on)
    {
      self->dtmf_tone_on = FALSE;
      self->dtmf_awaiting_end = TRUE;
      send_dtmf_event (self, 0, FALSE);
      schedule_step (self, DTMF_END_WAIT_MS);  /* on_dtmf_end shortens it */
    }
  else if (!g_queue_is_empty (&self->dtmf_queue) && add_source (self))
    {
      self->dtmf_tone_on = TRUE;
      self->dtmf_awaiting_end = FALSE;
      send_dtmf_event (self, GPOINTER_TO_INT (g_queue_pop_head (&self->dtmf_queue)) - 1, TRUE);
      schedule_step (self, DTMF_TONE_MS);
    }
  else  /* the last digit and its gap are out */
    {
      self->dtmf_awaiting_end = FALSE;
      g_queue_clear (&self->dtmf_queue);
      remove_source (self);
    }
  return G_SOURCE_REMOVE;
}

void
sips_audio_stream_dtmf_clear (SipsAudioStream *self)
{
  if (self->dtmf_source != NULL)
    {
      g_source_destroy (self->dtmf_source);
      g_clear_pointer (&self->dtmf_source, g_source_unref);
    }
  g_queue_clear (&self->dtmf_queue);
  self->dtmf_tone_on = FALSE;
  self->dtmf_awaiting_end = FALSE;
}

gboolean
sips_audio_stream_send_dtmf (SipsAudioStream *self, const char *digit, GError **error)
{
  const char *found;

  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), FALSE);

  if (digit == NULL || strlen (digit) != 1 || (found = strchr (sips_audio_dtmf_digits, digit[0])) == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a DTMF digit (0-9, *, #, A-D)"), digit != NULL ? digit : "");
      return FALSE;
    }
  if (self->pipeline == NULL || self->stopping || self->config->dtmf_payload_type < 0)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           _("No audio stream with telephone-event to send DTMF on"));
      return FALSE;
    }
  g_queue_push_tail (&self->dtmf_queue, GINT_TO_POINTER ((gint) (found - sips_audio_dtmf_digits) + 1));
  if (self->dtmf_source == NULL)
    on_dtmf_step (self);
  return TRUE;
}
