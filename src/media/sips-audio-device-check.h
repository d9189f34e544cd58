/* sips-audio-device-check.h: checking an audio device description in a child process,
 * so that settings naming devices do not load GStreamer into an idle daemon */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The daemon's hidden mode: `sipsimpled --check-audio-device=source|sink`, the
 * description on stdin */
#define SIPS_AUDIO_DEVICE_CHECK_OPTION "--check-audio-device="

/* The program that checks in a child process (the daemon's main() sets its own binary,
 * "/proc/self/exe"); NULL, the default, checks in this process. */
void     sips_audio_device_check_set_checker (const char *path);

/* Does the description make a device of that direction (sips_audio_device_check())?
 * While GStreamer is not initialised in this process and a checker is set, the checker
 * answers in a child process; otherwise GStreamer is initialised here. Fails with
 * SIPS_ERROR_INVALID_ARGUMENT for an invalid description, SIPS_ERROR_NOT_SUPPORTED when
 * GStreamer cannot be initialised. */
gboolean sips_audio_device_check_isolated (const char *description, gboolean is_source,
                                           GError **error);

/* The checker's side, for main(): direction is "source" or "sink", the description is read
 * from stdin. Exit status 0: valid; 1: invalid, the reason on stdout; 2: GStreamer is not
 * available; 3: bad arguments. */
int      sips_audio_device_check_main (const char *direction);

G_END_DECLS
