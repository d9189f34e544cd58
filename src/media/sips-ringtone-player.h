/* sips-ringtone-player.h: a WAV played in a loop on an alert device */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SIPS_TYPE_RINGTONE_PLAYER (sips_ringtone_player_get_type ())
G_DECLARE_FINAL_TYPE (SipsRingtonePlayer, sips_ringtone_player, SIPS, RINGTONE_PLAYER, GObject)

/* Signals (main context of the creating thread): "stopped" () once the pipeline is down
 * after stop(); "error" (GError *) if playing fails (the player then stops by itself). */

SipsRingtonePlayer *sips_ringtone_player_new (void);

/* filesrc ! wavparse ! audioconvert ! audioresample ! <device>, looped without gaps
 * (device: a GStreamer bin description, "" = autoaudiosink). Unreadable file ->
 * SIPS_ERROR_NOT_FOUND; bad description -> INVALID_ARGUMENT; playing -> INVALID_STATE. */
gboolean sips_ringtone_player_play       (SipsRingtonePlayer *self,
                                          const char         *wav_path,
                                          const char         *device,
                                          GError            **error);
/* Ends the loop: EOS to the device (a file sink gets a final header), then "stopped". The
 * player keeps itself alive until then. Not playing: "stopped" right away. */
void     sips_ringtone_player_stop       (SipsRingtonePlayer *self);
gboolean sips_ringtone_player_is_playing (SipsRingtonePlayer *self);

G_END_DECLS
