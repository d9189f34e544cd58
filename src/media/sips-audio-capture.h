/* sips-audio-capture.h: one capture of an input device for every call that uses it */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_AUDIO_INPUT_SRC (sips_audio_input_src_get_type ())
G_DECLARE_FINAL_TYPE (SipsAudioInputSrc, sips_audio_input_src, SIPS, AUDIO_INPUT_SRC, GstElement)

/* A live source for a call's pipeline: S16LE mono audio at rate from the input device
 * `description` ("" = the platform default). Every source of the same device and rate
 * shares one capture pipeline (device ! audioconvert ! audioresample ! 20 ms chunks !
 * appsink sync=true) whose one streaming thread pushes each chunk, stamped with the
 * call pipeline's running time, into every source that is PLAYING: a call costs no
 * device, no thread and no conversion of its own, and a device that can be opened only
 * once serves every call. The capture runs while a source of it is PLAYING. A device
 * error reaches each source's pipeline as an error message from the source. A
 * description that does not make a source -> SIPS_ERROR_INVALID_ARGUMENT. Not floating,
 * as sips_audio_device_make()'s. */
GstElement *sips_audio_input_src_new (const char *description, guint rate, GError **error);

/* The source gets no more chunks, whatever its state: its stream is stopping, and what
 * it would send is dropped anyway. A call that ended feeds on the capture's one thread
 * for as long as its pipeline takes to go down (seconds when the main loop is behind). */
void        sips_audio_input_src_detach (GstElement *src);

/* Captures running now, and the sources they feed (for tests). */
guint       sips_audio_capture_count (void);
guint       sips_audio_capture_count_fed (void);

G_END_DECLS
