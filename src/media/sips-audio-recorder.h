/* sips-audio-recorder.h: both directions of a running audio pipeline mixed into one WAV */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_AUDIO_RECORDER (sips_audio_recorder_get_type ())
G_DECLARE_FINAL_TYPE (SipsAudioRecorder, sips_audio_recorder, SIPS, AUDIO_RECORDER, GObject)

/* Signal "finished" (no arguments), on the creating thread's main context: the WAV header
 * is final, the file is closed and the branch left the pipeline. */

/* A 16-bit mono WAV at rate Hz in path. */
SipsAudioRecorder *sips_audio_recorder_new      (const char *path, guint rate);
/* The receive branch (the second tee) is unlinked this much after the send branch when
 * finishing: what the jitter buffer still holds arrived before the stop. */
void sips_audio_recorder_set_receive_lag (SipsAudioRecorder *self, guint ms);
const char        *sips_audio_recorder_get_path (SipsAudioRecorder *self);

/* Adds the recording branch to a running pipeline, fed by two tees of raw audio (the sent
 * and the received audio). The file is created here: not writable -> SIPS_ERROR_FAILED. */
gboolean sips_audio_recorder_attach     (SipsAudioRecorder *self,
                                         GstBin            *pipeline,
                                         GstElement        *tee_sent,
                                         GstElement        *tee_received,
                                         GError           **error);

/* While paused (on hold) no sample is written: the file just resumes later. */
void     sips_audio_recorder_set_paused (SipsAudioRecorder *self, gboolean paused);

/* Unlinks from the tees and sends EOS down the branch; "finished" follows. Once only. */
void     sips_audio_recorder_finish     (SipsAudioRecorder *self);

gboolean sips_audio_recorder_is_finished (SipsAudioRecorder *self);

G_END_DECLS
