/* sips-audio-stream-check.c: the streams' RTP timeout checks and RTCP, all on one 1-s timer
 *
 * A timer per call made every main-loop iteration walk (prepare/check) one more GSource
 * per call; one timer walks the running streams once a second instead: the RTP timeout
 * (when RtpTimeout is on), then RTCP when due (sips-audio-stream-rtcp.c). A stream on
 * another context than the first one's gets a timer of its own. */
#include "media/sips-audio-stream-private.h"

static GMainContext *ticker_context;
static GSource      *ticker;
static GPtrArray    *checked;  /* SipsAudioStream* (borrowed: removed before they go) */

/* A check may end the call (the stream stops: no RTCP then). */
static void
check_stream (SipsAudioStream *stream)
{
  if (stream->config->rtp_timeout > 0)
    sips_audio_stream_rtp_check (stream);
  if (stream->rtcp != NULL && stream->pipeline != NULL && !stream->stopping)
    sips_audio_rtcp_send (stream->rtcp, FALSE);
}

static gboolean
on_stream_rtp_check (gpointer user_data)
{
  check_stream (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_tick (gpointer user_data)
{
  /* a check may end the call and so remove streams: walk a snapshot */
  g_autoptr(GPtrArray) now = g_ptr_array_new_full (checked->len, g_object_unref);

  for (guint i = 0; i < checked->len; i++)
    g_ptr_array_add (now, g_object_ref (checked->pdata[i]));
  for (guint i = 0; i < now->len; i++)
    {
      SipsAudioStream *stream = now->pdata[i];

      if (stream->rtp_checked)
        check_stream (stream);
    }
  return G_SOURCE_CONTINUE;
}

void
sips_audio_stream_check_add (SipsAudioStream *self)
{
  if (self->rtp_checked || self->rtp_check_source != NULL)
    return;
  if (ticker_context == NULL)
    {
      ticker_context = g_main_context_ref (self->context);
      checked = g_ptr_array_new ();
    }
  if (self->context != ticker_context)
    {
      self->rtp_check_source = g_timeout_source_new (1000);
      g_source_set_callback (self->rtp_check_source, on_stream_rtp_check, self, NULL);
      g_source_attach (self->rtp_check_source, self->context);
      return;
    }
  self->rtp_checked = TRUE;
  g_ptr_array_add (checked, self);
  if (ticker == NULL)
    {
      ticker = g_timeout_source_new (1000);
      g_source_set_callback (ticker, on_tick, NULL, NULL);
      g_source_attach (ticker, ticker_context);
    }
}

void
sips_audio_stream_check_remove (SipsAudioStream *self)
{
  if (self->rtp_check_source != NULL)
    {
      g_source_destroy (self->rtp_check_source);
      g_clear_pointer (&self->rtp_check_source, g_source_unref);
    }
  if (!self->rtp_checked)
    return;
  self->rtp_checked = FALSE;
  g_ptr_array_remove_fast (checked, self);
  if (checked->len == 0)  /* no idle wake-ups without calls */
    {
      g_source_destroy (ticker);
      g_clear_pointer (&ticker, g_source_unref);
    }
}
