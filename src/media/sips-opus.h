/* sips-opus.h: opus encoder/decoder elements on libopus' single-stream API */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_OPUS_ENC (sips_opus_enc_get_type ())
G_DECLARE_FINAL_TYPE (SipsOpusEnc, sips_opus_enc, SIPS, OPUS_ENC, GstElement)
#define SIPS_TYPE_OPUS_DEC (sips_opus_dec_get_type ())
G_DECLARE_FINAL_TYPE (SipsOpusDec, sips_opus_dec, SIPS, OPUS_DEC, GstElement)

/* Registers "sipsopusenc" (property frame-ms) and "sipsopusdec" (once; gst_init first). */
void sips_opus_register (void);

G_END_DECLS
