/* sips-audio-stream-play.c: a sound file in place of the input device (PlayAudioFile).
 * The pipeline's input-selector (sips-audio-pipeline.c) has the device on its first pad;
 * the file comes through an appsrc on a second one, made on first use, and the selector
 * switches between them. Everything after the selector (hold valve, recorder tee, encoder,
 * SRTP) is the same for both, so hold, recording and every codec work unchanged. */
#include "media/sips-audio-stream-private.h"

#include <glib/gi18n.h>
#include "core/sips-error.h"

/* ---- private helpers ---- */

static gboolean
ensure_file_pad (SipsAudioStream *self, GError **error)
{
  g_autoptr(GstPad) src = NULL;

  if (self->file_pad != NULL)
    return TRUE;
  self->file_src = gst_element_factory_make ("appsrc", NULL);
  if (self->file_src == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                           _("The GStreamer element appsrc is not installed"));
      return FALSE;
    }
  /* live, stamped with the running time on push: the player paces it */
  g_object_set (self->file_src, "is-live", TRUE, "do-timestamp", TRUE, "format", GST_FORMAT_TIME,
                "max-bytes", (guint64) 64 * 1024, "block", FALSE, NULL);
  gst_bin_add (GST_BIN (self->pipeline), self->file_src);
  self->file_pad = gst_element_request_pad_simple (self->selector, "sink_%u");
  src = gst_element_get_static_pad (self->file_src, "src");
  if (gst_pad_link (src, self->file_pad) != GST_PAD_LINK_OK)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot add the file player"));
      return FALSE;
    }
  gst_element_sync_state_with_parent (self->file_src);
  return TRUE;
}

/* The player's streaming thread (input-selector's active-pad is thread-safe): the device
 * is heard until the file's first audio is there, so a decoder starting up is no gap. */
static void
on_player_first_sample (SipsAudioFilePlayer *player, gpointer user_data)
{
  GstPad *pad = user_data;
  g_autoptr(GstObject) selector = gst_pad_get_parent (pad);

  if (selector != NULL)
    g_object_set (selector, "active-pad", pad, NULL);
}

static void
on_player_finished (SipsAudioFilePlayer *player, gboolean completed, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  g_autoptr(SipsAudioFilePlayer) done = NULL;
  g_autofree char *path = NULL;

  if (player != self->player)
    return;
  done = g_steal_pointer (&self->player);
  path = g_strdup (sips_audio_file_player_get_path (done));
  g_signal_handlers_disconnect_by_data (done, self);
  if (self->selector != NULL)
    g_object_set (self->selector, "active-pad", self->device_pad, NULL);
  g_signal_emit_by_name (self, "file-stopped", path, completed);
}

/* ---- private API ---- */

void
sips_audio_stream_drop_file (SipsAudioStream *self)
{
  if (self->player != NULL)
    sips_audio_file_player_stop (self->player);  /* "file-stopped" (completed FALSE) */
  g_clear_object (&self->file_pad);
  self->file_src = NULL;
  self->device_pad = NULL;
  self->selector = NULL;
}

/* ---- public API ---- */

gboolean
sips_audio_stream_play_file (SipsAudioStream *self, const char *path, gboolean loop, GError **error)
{
  g_autoptr(SipsAudioFilePlayer) player = NULL;

  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), FALSE);

  sips_audio_stream_wait_started (self);
  if (self->pipeline == NULL || self->stopping || self->selector == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE, _("No running audio stream"));
      return FALSE;
    }
  if (!sips_audio_file_check (path, error) || !ensure_file_pad (self, error))
    return FALSE;
  if (self->player != NULL)  /* replaced: its "file-stopped" says not completed */
    sips_audio_file_player_stop (self->player);
  player = sips_audio_file_player_new (path, loop, self->codec->sample_rate, self->file_src, error);
  if (player == NULL)
    return FALSE;
  g_signal_connect (player, "finished", G_CALLBACK (on_player_finished), self);
  g_signal_connect_data (player, "first-sample", G_CALLBACK (on_player_first_sample),
                         gst_object_ref (self->file_pad), (GClosureNotify) G_CALLBACK (gst_object_unref), 0);
  if (!sips_audio_file_player_start (player, error))
    {
      g_signal_handlers_disconnect_by_data (player, self);
      return FALSE;
    }
  self->player = g_steal_pointer (&player);
  g_signal_emit_by_name (self, "file-started", path);
  return TRUE;
}

gboolean
sips_audio_stream_stop_file (SipsAudioStream *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), FALSE);

  if (self->player == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE, _("No file is playing"));
      return FALSE;
    }
  sips_audio_file_player_stop (self->player);
  return TRUE;
}

const char *
sips_audio_stream_get_playing_file (SipsAudioStream *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), NULL);
  return self->player != NULL ? sips_audio_file_player_get_path (self->player) : NULL;
}
