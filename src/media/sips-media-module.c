/* sips-media-module.c: libsips-media.so's table, and the process-wide GStreamer calls */
#include "media/sips-media-module.h"

#include <gmodule.h>
#include <gst/gst.h>
#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "media/sips-audio-codec.h"

static gpointer
init_gstreamer (gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (!gst_init_check (NULL, NULL, &error))
    {
      g_warning ("Cannot initialise GStreamer: %s", error->message);
      return GINT_TO_POINTER (FALSE);
    }
  return GINT_TO_POINTER (TRUE);
}

gboolean
sips_media_is_initialized (void)
{
  return gst_is_initialized ();
}

gboolean
sips_media_check_device (const char *description, gboolean is_source, GError **error)
{
  static GOnce gst_once = G_ONCE_INIT;

  if (!GPOINTER_TO_INT (g_once (&gst_once, init_gstreamer, NULL)))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                           _("GStreamer is not available"));
      return FALSE;
    }
  return sips_audio_device_check (description, is_source, error);
}

void
sips_media_shutdown (void)
{
  /* Calls' pipelines go to NULL and are freed on GStreamer's pool threads: wait for them
   * (and join the streaming threads) before the process ends, so nothing is still running
   * in a thread when exit handlers (LeakSanitizer in the tests) look at the process. */
  if (gst_is_initialized ())
    gst_deinit ();
}

/* Linked in (the media unit tests): always; the loader's says whether the module opens. */
gboolean
sips_media_available (GError **error)
{
  return TRUE;
}

static const SipsMediaModule module = {
  .abi = SIPS_MEDIA_MODULE_ABI,
  .is_initialized = sips_media_is_initialized,
  .check_device = sips_media_check_device,
  .shutdown = sips_media_shutdown,
  .stream_get_type = sips_audio_stream_get_type,
  .stream_new = sips_audio_stream_new,
  .stream_start = sips_audio_stream_start,
  .stream_update = sips_audio_stream_update,
  .stream_set_hold = sips_audio_stream_set_hold,
  .stream_send_dtmf = sips_audio_stream_send_dtmf,
  .stream_start_recording = sips_audio_stream_start_recording,
  .stream_stop_recording = sips_audio_stream_stop_recording,
  .stream_play_file = sips_audio_stream_play_file,
  .stream_stop_file = sips_audio_stream_stop_file,
  .stream_stop = sips_audio_stream_stop,
  .stream_get_audio_was_received = sips_audio_stream_get_audio_was_received,
  .stream_get_srtp_active = sips_audio_stream_get_srtp_active,
  .stream_get_remote_address_received = sips_audio_stream_get_remote_address_received,
  .stream_get_remote_port_received = sips_audio_stream_get_remote_port_received,
  .ringtone_get_type = sips_ringtone_player_get_type,
  .ringtone_new = sips_ringtone_player_new,
  .ringtone_play = sips_ringtone_player_play,
  .ringtone_stop = sips_ringtone_player_stop,
};

G_MODULE_EXPORT const SipsMediaModule *sips_media_module_get (void);

const SipsMediaModule *
sips_media_module_get (void)
{
  return &module;
}
