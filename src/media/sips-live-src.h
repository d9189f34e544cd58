/* sips-live-src.h: what our thread-less live sources (SipsSocketSrc, SipsAudioInputSrc)
 * share: a pad that answers LATENCY (live, none) and CAPS (its fixed caps), and the events
 * a stream starts with */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* The element's always "src" pad from tmpl, fixed caps, answering queries with query_func
 * (which passes what it does not answer to sips_live_src_query()); the element is flagged
 * a source. */
GstPad  *sips_live_src_add_pad          (GstElement *element, GstStaticPadTemplate *tmpl,
                                         GstPadQueryFunction query_func);
/* LATENCY: live, no latency (buffers are stamped when pushed); CAPS: caps (NULL: any),
 * filtered; anything else: the default. */
gboolean sips_live_src_query            (GstPad *pad, GstObject *parent, GstQuery *query,
                                         GstCaps *caps);
/* A live source's change_state around its parent class's: *started goes FALSE on
 * READY->PAUSED (the stream-start events go out again), start() after PAUSED->PLAYING,
 * stop() before PLAYING->PAUSED; NO_PREROLL into PAUSED. */
GstStateChangeReturn sips_live_src_change_state (GstElement *element, GstStateChange transition,
                                                 GstElementClass *parent_class, gboolean *started,
                                                 void (*start) (GstElement *element),
                                                 void (*stop) (GstElement *element));
/* stream-start, caps (unless NULL) and a TIME segment */
void     sips_live_src_push_stream_start (GstElement *element, GstPad *pad, GstCaps *caps);

G_END_DECLS
