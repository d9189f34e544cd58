/* sips-media-module.h: the calls' media (GStreamer pipelines, ringtones, device checks)
 * live in a loadable module (libsips-media.so, linking GStreamer) so that a daemon that has
 * made no call does not map GStreamer and its chain (gstbase, gstrtp, gstnet, gstapp,
 * libdw, libelf, libunwind, opus: ~1.2 MB of idle RSS). sips-media-loader.c opens it on
 * first use and forwards the API the rest of the daemon uses to this table; the module's
 * own functions have the same names (programs that link the media code directly, the
 * media unit tests, use them without the loader). */
#pragma once

#include "media/sips-audio-stream.h"
#include "media/sips-ringtone-player.h"

G_BEGIN_DECLS

#define SIPS_MEDIA_MODULE_NAME   "libsips-media.so"
#define SIPS_MEDIA_MODULE_SYMBOL "sips_media_module_get"
#define SIPS_MEDIA_MODULE_ABI    1

/* Is GStreamer initialised in this process? (FALSE while the module is not loaded.) */
gboolean sips_media_is_initialized (void);
/* Does the description make a device of that direction? GStreamer is initialised here
 * first if need be (SIPS_ERROR_NOT_SUPPORTED when it cannot be, or the module is missing). */
gboolean sips_media_check_device   (const char *description, gboolean is_source,
                                    GError **error);
/* At exit: the pipelines still going down are waited for, GStreamer's threads joined. */
void     sips_media_shutdown       (void);
/* Can calls have audio? SIPS_ERROR_FAILED naming the reason when the module is missing. */
gboolean sips_media_available      (GError **error);

typedef struct {
  guint              abi;   /* SIPS_MEDIA_MODULE_ABI */
  gboolean         (*is_initialized)     (void);
  gboolean         (*check_device)       (const char *description, gboolean is_source,
                                          GError **error);
  void             (*shutdown)           (void);

  GType            (*stream_get_type)    (void);
  SipsAudioStream *(*stream_new)         (GSocket *rtp_socket, GSocket *rtcp_socket);
  gboolean         (*stream_start)       (SipsAudioStream *self,
                                          const SipsAudioStreamConfig *config, GError **error);
  gboolean         (*stream_update)      (SipsAudioStream *self,
                                          const SipsAudioStreamConfig *config, GError **error);
  void             (*stream_set_hold)    (SipsAudioStream *self, gboolean local_hold,
                                          gboolean remote_hold);
  gboolean         (*stream_send_dtmf)   (SipsAudioStream *self, const char *digit,
                                          GError **error);
  gboolean         (*stream_start_recording) (SipsAudioStream *self, const char *path,
                                              GError **error);
  gboolean         (*stream_stop_recording)  (SipsAudioStream *self, GError **error);
  gboolean         (*stream_play_file)   (SipsAudioStream *self, const char *path,
                                          gboolean loop, GError **error);
  gboolean         (*stream_stop_file)   (SipsAudioStream *self, GError **error);
  void             (*stream_stop)        (SipsAudioStream *self);
  gboolean         (*stream_get_audio_was_received) (SipsAudioStream *self);
  gboolean         (*stream_get_srtp_active)        (SipsAudioStream *self);
  const char      *(*stream_get_remote_address_received) (SipsAudioStream *self);
  guint            (*stream_get_remote_port_received)    (SipsAudioStream *self);

  GType               (*ringtone_get_type) (void);
  SipsRingtonePlayer *(*ringtone_new)      (void);
  gboolean            (*ringtone_play)     (SipsRingtonePlayer *self, const char *wav_path,
                                            const char *device, GError **error);
  void                (*ringtone_stop)     (SipsRingtonePlayer *self);
} SipsMediaModule;

G_END_DECLS
