/* sips-media-loader.c: the media API the rest of the daemon uses, forwarded to the media
 * module (libsips-media.so) that the first call, ringtone or in-process device check
 * opens (see sips-media-module.h for why; core/sips-module.c finds it). */
#include "media/sips-media-module.h"

#include <glib/gi18n.h>

#include "core/sips-error.h"
#include "core/sips-module.h"

static const SipsMediaModule *loaded;
static char *load_error;

static const SipsMediaModule *
media_module (GError **error)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      loaded = sips_module_load (SIPS_MEDIA_MODULE_NAME, SIPS_MEDIA_MODULE_SYMBOL,
                                 SIPS_MEDIA_MODULE_ABI, &load_error);
      if (loaded == NULL)
        g_warning ("Media: cannot load %s: %s", SIPS_MEDIA_MODULE_NAME, load_error);
      g_once_init_leave (&once, 1);
    }
  if (loaded == NULL)
    g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Audio is not available: %s"),
                 load_error);
  return loaded;
}

/* A stream or player exists only once the module is loaded. */
static inline const SipsMediaModule *
m (void)
{
  g_assert (loaded != NULL);
  return loaded;
}

gboolean
sips_media_available (GError **error)
{
  return media_module (error) != NULL;
}

gboolean
sips_media_is_initialized (void)
{
  return loaded != NULL && loaded->is_initialized ();
}

gboolean
sips_media_check_device (const char *description, gboolean is_source, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  const SipsMediaModule *module = media_module (&local_error);

  if (module == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED, local_error->message);
      return FALSE;
    }
  return module->check_device (description, is_source, error);
}

void
sips_media_shutdown (void)
{
  if (loaded != NULL)
    loaded->shutdown ();
}

GType
sips_audio_stream_get_type (void)
{
  const SipsMediaModule *module = media_module (NULL);

  return module != NULL ? module->stream_get_type () : G_TYPE_INVALID;
}

SipsAudioStream *
sips_audio_stream_new (GSocket *rtp_socket, GSocket *rtcp_socket)
{
  return m ()->stream_new (rtp_socket, rtcp_socket);
}

gboolean
sips_audio_stream_start (SipsAudioStream *self, const SipsAudioStreamConfig *config,
                         GError **error)
{
  return m ()->stream_start (self, config, error);
}

gboolean
sips_audio_stream_update (SipsAudioStream *self, const SipsAudioStreamConfig *config,
                          GError **error)
{
  return m ()->stream_update (self, config, error);
}

void
sips_audio_stream_set_hold (SipsAudioStream *self, gboolean local_hold, gboolean remote_hold)
{
  m ()->stream_set_hold (self, local_hold, remote_hold);
}

gboolean
sips_audio_stream_send_dtmf (SipsAudioStream *self, const char *digit, GError **error)
{
  return m ()->stream_send_dtmf (self, digit, error);
}

gboolean
sips_audio_stream_start_recording (SipsAudioStream *self, const char *path, GError **error)
{
  return m ()->stream_start_recording (self, path, error);
}

gboolean
sips_audio_stream_stop_recording (SipsAudioStream *self, GError **error)
{
  return m ()->stream_stop_recording (self, error);
}

gboolean
sips_audio_stream_play_file (SipsAudioStream *self, const char *path, gboolean loop,
                             GError **error)
{
  return m ()->stream_play_file (self, path, loop, error);
}

gboolean
sips_audio_stream_stop_file (SipsAudioStream *self, GError **error)
{
  return m ()->stream_stop_file (self, error);
}

void
sips_audio_stream_stop (SipsAudioStream *self)
{
  m ()->stream_stop (self);
}

gboolean
sips_audio_stream_get_audio_was_received (SipsAudioStream *self)
{
  return m ()->stream_get_audio_was_received (self);
}

gboolean
sips_audio_stream_get_srtp_active (SipsAudioStream *self)
{
  return m ()->stream_get_srtp_active (self);
}

const char *
sips_audio_stream_get_remote_address_received (SipsAudioStream *self)
{
  return m ()->stream_get_remote_address_received (self);
}

guint
sips_audio_stream_get_remote_port_received (SipsAudioStream *self)
{
  return m ()->stream_get_remote_port_received (self);
}

GType
sips_ringtone_player_get_type (void)
{
  const SipsMediaModule *module = media_module (NULL);

  return module != NULL ? module->ringtone_get_type () : G_TYPE_INVALID;
}

SipsRingtonePlayer *
sips_ringtone_player_new (void)
{
  return m ()->ringtone_new ();
}

gboolean
sips_ringtone_player_play (SipsRingtonePlayer *self, const char *wav_path, const char *device,
                           GError **error)
{
  return m ()->ringtone_play (self, wav_path, device, error);
}

void
sips_ringtone_player_stop (SipsRingtonePlayer *self)
{
  m ()->ringtone_stop (self);
}
