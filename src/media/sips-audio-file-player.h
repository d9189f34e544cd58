/* sips-audio-file-player.h: a sound file decoded in real time into an appsrc of a
 * session's pipeline (Session1.PlayAudioFile) */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_AUDIO_FILE_PLAYER (sips_audio_file_player_get_type ())
G_DECLARE_FINAL_TYPE (SipsAudioFilePlayer, sips_audio_file_player, SIPS, AUDIO_FILE_PLAYER, GObject)

/* Whether path is a readable file of a type GStreamer can decode (sniffed from its first
 * bytes: WAV, Ogg, FLAC, MP3, ...); else SIPS_ERROR_INVALID_ARGUMENT. Nothing is played. */
gboolean sips_audio_file_check (const char *path, GError **error);

/* Decodes path (checked first) to 16-bit mono at rate, paced in real time, and pushes it
 * into appsrc (borrowed; caps set here) from its own small pipeline, again from the start
 * when loop. Signals: "first-sample" () in the player's streaming thread, just before the
 * first decoded audio goes into appsrc (switch to it then, and nothing is missed); "finished"
 * (gboolean completed) once, on the creating thread's main context: TRUE at the end of the
 * file, FALSE after stop() or a decoding error. */
SipsAudioFilePlayer *sips_audio_file_player_new (const char *path, gboolean loop, guint rate,
                                                 GstElement *appsrc, GError **error);
/* Starts decoding (connect to the signals before). */
gboolean             sips_audio_file_player_start (SipsAudioFilePlayer *self, GError **error);
void                 sips_audio_file_player_stop (SipsAudioFilePlayer *self);
const char          *sips_audio_file_player_get_path (SipsAudioFilePlayer *self);

G_END_DECLS
