/* sips-audio-codec.h: the audio codecs we carry over RTP and the GStreamer elements for each */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;           /* the contract's name: "opus", "G722", "PCMU", "PCMA" */
  const char *encoding_name;  /* RTP caps encoding-name */
  guint       clock_rate;     /* RTP clock */
  guint       sample_rate;    /* audio rate (G722: 16000 on an 8000 clock) */
  gint        static_pt;      /* RFC 3551 payload type, -1 = dynamic */
  const char *encoder;        /* for G.711: sipsg711pay, which payloads as well */
  const char *payloader;      /* NULL: the encoder is the payloader */
  const char *depayloader;
  const char *decoder;
} SipsAudioCodec;

/* By contract name, case-insensitive; NULL if we do not carry it. */
const SipsAudioCodec *sips_audio_codec_find (const char *name);

/* A device from its bin description ("" or NULL = autoaudiosrc / autoaudiosink), with its
 * unlinked pad ghosted. A description that does not parse, or that has no free pad of the
 * needed direction, -> SIPS_ERROR_INVALID_ARGUMENT. */
GstElement *sips_audio_device_make (const char *description, gboolean is_source, GError **error);

/* What "" stands for now (the platform default, or silence once it failed); others as given. */
const char *sips_audio_device_effective (const char *description, gboolean is_source);

/* The platform default ("") failed at run time (a headless machine has no sound card):
 * from now on "" makes a silent live source / a discarding sink, so calls still work. */
void        sips_audio_device_default_failed (gboolean is_source);

/* For setting validators: does the description make a device? */
gboolean    sips_audio_device_check (const char *description, gboolean is_source, GError **error);

G_END_DECLS
