/* test-bus-watch.c: a pipeline whose bus has no poll, read by a sync-handler watch */
#include <gst/gst.h>

#include "media/sips-bus-watch.h"
#include "sips-test-util.h"

static void
on_finalized (gpointer data, GObject *where_the_object_was)
{
  *(gboolean *) data = TRUE;
}

static void
post_warning (GstElement *element)
{
  g_autoptr(GError) error = g_error_new_literal (GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "test");

  g_assert_true (gst_element_post_message (element, gst_message_new_warning (GST_OBJECT (element),
                                                                              error, "test")));
}

/* No descriptor, and what is posted with nobody watching is freed: a bus without a poll
 * queues nothing, so a message no handler takes would keep its element (and the graph
 * under it) forever. */
static void
test_unwatched (void)
{
  guint fds = sips_test_count_fds ();
  GstElement *pipeline = sips_bus_watch_pipeline_new ("test");
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  gboolean finalized = FALSE;

  g_assert_cmpuint (sips_test_count_fds (), ==, fds);  /* a default bus: a socket pair */
  gst_bin_add (GST_BIN (pipeline), sink);
  g_object_weak_ref (G_OBJECT (sink), on_finalized, &finalized);
  post_warning (sink);
  /* a bus whose reader went (sips_bus_watch_drop_all()) drops as well */
  sips_bus_watch_drop_all (bus);
  post_warning (sink);
  g_clear_object (&bus);
  gst_object_unref (pipeline);
  g_assert_true (finalized);
}

static gboolean
is_warning (GstMessage *message)
{
  return GST_MESSAGE_TYPE (message) == GST_MESSAGE_WARNING;
}

static gboolean
on_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  (*(guint *) user_data)++;
  return TRUE;
}

/* The watch replaces the dropping handler: it gets what it wants on its context, the
 * rest is dropped where it is posted, and after its removal nothing comes. */
static void
test_watched (void)
{
  GstElement *pipeline = sips_bus_watch_pipeline_new ("test");
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  SipsBusWatch *watch;
  gboolean finalized = FALSE;
  guint got = 0;

  gst_bin_add (GST_BIN (pipeline), sink);
  g_object_weak_ref (G_OBJECT (sink), on_finalized, &finalized);
  watch = sips_bus_watch_new (bus, NULL, is_warning, on_message, &got);
  post_warning (sink);
  gst_element_post_message (sink, gst_message_new_eos (GST_OBJECT (sink)));  /* not wanted */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (got, ==, 1);
  sips_bus_watch_remove (watch);
  post_warning (sink);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (got, ==, 1);
  g_clear_object (&bus);
  gst_object_unref (pipeline);
  g_assert_true (finalized);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bus-watch/unwatched", test_unwatched);
  g_test_add_func ("/bus-watch/watched", test_watched);
  return g_test_run ();
}
