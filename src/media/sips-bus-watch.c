/* sips-bus-watch.c: a GstBus watch without a GSource of its own (see the header) */
#include "media/sips-bus-watch.h"

struct _SipsBusWatch {
  gint          removed;   /* atomic */
  GMainContext *context;
  SipsBusFilter filter;
  GstBusFunc    func;
  gpointer      user_data;
};

typedef struct {
  SipsBusWatch *watch;
  GstBus       *bus;
  GstMessage   *message;
} Delivery;

static void
watch_clear (gpointer data)
{
  SipsBusWatch *watch = data;

  g_main_context_unref (watch->context);
}

static void
watch_unref (gpointer watch)
{
  g_atomic_rc_box_release_full (watch, watch_clear);
}

static void
delivery_free (gpointer data)
{
  Delivery *delivery = data;

  watch_unref (delivery->watch);
  gst_object_unref (delivery->bus);
  gst_message_unref (delivery->message);
  g_free (delivery);
}

static gboolean
on_delivery (gpointer data)
{
  Delivery *delivery = data;

  if (!g_atomic_int_get (&delivery->watch->removed))
    delivery->watch->func (delivery->bus, delivery->message, delivery->watch->user_data);
  return G_SOURCE_REMOVE;
}

static GstBusSyncReply
on_sync_message (GstBus *bus, GstMessage *message, gpointer data)
{
  SipsBusWatch *watch = data;
  Delivery *delivery;
  GSource *source;

  /* GST_BUS_DROP leaves the message to the handler: it is unreffed or handed on here */
  if (g_atomic_int_get (&watch->removed) || !watch->filter (message))
    {
      gst_message_unref (message);
      return GST_BUS_DROP;
    }
  delivery = g_new (Delivery, 1);
  delivery->watch = g_atomic_rc_box_acquire (watch);
  delivery->bus = gst_object_ref (bus);
  delivery->message = message;
  /* always through the context, also when posted on its own thread (as the caller of a
   * state change): the handler must not run inside gst_element_set_state() */
  source = g_idle_source_new ();
  g_source_set_callback (source, on_delivery, delivery, delivery_free);
  g_source_attach (source, watch->context);
  g_source_unref (source);
  return GST_BUS_DROP;
}

SipsBusWatch *
sips_bus_watch_new (GstBus *bus, GMainContext *context, SipsBusFilter filter, GstBusFunc func,
                    gpointer user_data)
{
  SipsBusWatch *watch = g_atomic_rc_box_new0 (SipsBusWatch);

  watch->context = g_main_context_ref (context != NULL ? context : g_main_context_default ());
  watch->filter = filter;
  watch->func = func;
  watch->user_data = user_data;
  /* the handler's reference goes with the bus (never cleared: a message being posted on
   * a streaming thread may still be using it) */
  sips_bus_watch_set_handler (bus, on_sync_message, g_atomic_rc_box_acquire (watch), watch_unref);
  return watch;
}

void
sips_bus_watch_remove (SipsBusWatch *watch)
{
  if (watch == NULL)
    return;
  g_atomic_int_set (&watch->removed, 1);
  watch_unref (watch);
}

static GstBusSyncReply
on_unwatched_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  gst_message_unref (message);  /* GST_BUS_DROP: the handler's to unref */
  return GST_BUS_DROP;
}

void
sips_bus_watch_set_handler (GstBus *bus, GstBusSyncHandler func, gpointer user_data,
                            GDestroyNotify notify)
{
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_bus_set_sync_handler (bus, func, user_data, notify);
}

void
sips_bus_watch_drop_all (GstBus *bus)
{
  sips_bus_watch_set_handler (bus, on_unwatched_message, NULL, NULL);
}

GstElement *
sips_bus_watch_pipeline_new (const char *name)
{
  GstElement *pipeline = gst_pipeline_new (name);
  g_autoptr(GstBus) bus = gst_object_ref_sink (g_object_new (GST_TYPE_BUS, "enable-async", FALSE, NULL));

  /* what the pipeline posts while it is built (a device's warnings) goes too */
  sips_bus_watch_drop_all (bus);
  /* the default bus (and its socket pair) goes with its last reference, the pipeline's */
  gst_element_set_bus (pipeline, bus);
  return pipeline;
}
