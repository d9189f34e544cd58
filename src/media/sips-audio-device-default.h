/* sips-audio-device-default.h: the platform default audio device, resolved once */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The description of the element autoaudiosrc (is_source) / autoaudiosink picks here,
 * found on the first call and kept for the life of the process: e.g. "pulsesink", or
 * "fakesink sync=true" when there is no sound device (what autoaudiosink falls back to).
 * "autoaudiosrc" / "autoaudiosink" when the autodetection itself does not work. */
const char *sips_audio_device_default_resolve (gboolean is_source);

G_END_DECLS
