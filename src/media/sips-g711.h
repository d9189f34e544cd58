/* sips-g711.h: sipsg711pay, a G.711 encoder and RTP payloader in one element */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_G711_PAY (sips_g711_pay_get_type ())
G_DECLARE_FINAL_TYPE (SipsG711Pay, sips_g711_pay, SIPS, G711_PAY, GstElement)

/* Registers "sipsg711pay" (once; gst_init first): mono 8 kHz S16LE in, RTP out.
 * Properties: encoding-name ("PCMU" or "PCMA"), pt, ssrc, ptime (ms a packet). */
void sips_g711_register (void);

/* One sample, as G.711 encodes it (exposed for the tests) */
guint8 sips_g711_ulaw (gint16 sample);
guint8 sips_g711_alaw (gint16 sample);

G_END_DECLS
