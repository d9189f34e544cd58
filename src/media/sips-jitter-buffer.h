/* sips-jitter-buffer.h: an RTP jitter buffer without a thread per instance */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPS_TYPE_JITTER_BUFFER (sips_jitter_buffer_get_type ())
G_DECLARE_FINAL_TYPE (SipsJitterBuffer, sips_jitter_buffer, SIPS, JITTER_BUFFER, GstElement)

/* Registers "sipsjitterbuffer" (once; gst_init first). Properties: latency (ms, default
 * 100), do-lost (GstRTPPacketLost events for missing packets, default TRUE), stats
 * (GstStructure: pushed, lost, late, duplicates, overflow, resyncs); signal request-pt-map
 * (guint pt -> GstCaps *) as rtpjitterbuffer's, for a payload type the caps do not name.
 *
 * Every instance of the process is played out by one thread, `sips-playout`: downstream
 * must not wait in a push (a syncing sink must have no more latency than this element
 * reports, so that its clock wait is ~0), or it holds every other call's playout. */
void sips_jitter_buffer_register (void);

G_END_DECLS
