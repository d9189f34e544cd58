/* sips-bus-watch.h: a GstBus watch without a GSource of its own */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _SipsBusWatch SipsBusWatch;

/* Which messages the watch wants; called on the posting (streaming) thread. */
typedef gboolean (*SipsBusFilter) (GstMessage *message);

/* Watches @bus from a sync handler: the messages @filter wants reach @func on @context,
 * each in a one-shot idle source; the rest are dropped where they are posted. Unlike
 * gst_bus_create_watch(), nothing stays attached to the context between messages (no
 * GSource and poll fd per pipeline for every main-loop iteration to walk), and the
 * state-changed messages of every element never wake the main loop. One watch per bus
 * (a bus has one sync handler). */
SipsBusWatch *sips_bus_watch_new    (GstBus *bus, GMainContext *context, SipsBusFilter filter,
                                     GstBusFunc func, gpointer user_data);
/* After this (on @context's thread), @func is not called again. */
void          sips_bus_watch_remove (SipsBusWatch *watch);

/* A pipeline whose bus has no poll (enable-async FALSE): for a bus read only by a sync
 * handler (sips_bus_watch_new()), which needs none. A default bus keeps a socket pair
 * open for as long as its pipeline lives, two descriptors per call. Such a bus queues
 * nothing: a message that no handler takes is never freed (nor the element that posted
 * it), so it starts with a handler dropping everything, and a handler is only ever
 * replaced (sips_bus_watch_set_handler()), never cleared. */
GstElement   *sips_bus_watch_pipeline_new (const char *name);

/* Replaces the bus's sync handler (GStreamer only sets one where there is none). Only
 * while no streaming thread can post (the pipeline in NULL or READY): in between, there
 * is none. */
void          sips_bus_watch_set_handler  (GstBus *bus, GstBusSyncHandler func, gpointer user_data,
                                           GDestroyNotify notify);
/* Every message is dropped from now on (a bus whose reader goes). */
void          sips_bus_watch_drop_all     (GstBus *bus);

G_END_DECLS
