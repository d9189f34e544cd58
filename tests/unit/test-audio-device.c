/* test-audio-device.c: the platform default audio device is resolved once (issue 12: the
 * autodetection scanned the registry and probed every device on each call set-up) */
#include <gst/gst.h>

#include "media/sips-audio-codec.h"
#include "media/sips-audio-device-default.h"

/* The one element a device bin from sips_audio_device_make() holds */
static GstElement *
device_element (GstElement *bin)
{
  g_assert_true (GST_IS_BIN (bin));
  g_assert_cmpuint (GST_BIN_NUMCHILDREN (GST_BIN (bin)), ==, 1);
  return GST_BIN_CHILDREN (GST_BIN (bin))->data;
}

static void
check_default (gboolean is_source)
{
  const char *first = sips_audio_device_default_resolve (is_source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) bin = sips_audio_device_make ("", is_source, &error);
  GstElement *element;
  const char *factory;

  g_assert_no_error (error);
  element = device_element (bin);
  factory = gst_plugin_feature_get_name (gst_element_get_factory (element));
  /* the element the autodetection picked, not the autodetection again */
  g_assert_cmpstr (factory, !=, is_source ? "autoaudiosrc" : "autoaudiosink");
  g_assert_true (g_str_has_prefix (first, factory));
  /* found once: the same answer without asking again */
  g_assert_true (sips_audio_device_default_resolve (is_source) == first);
  if (g_str_equal (factory, "fakesink"))
    {
      gboolean sync = FALSE;

      /* no sound device: autoaudiosink's own fallback, which keeps the clock */
      g_object_get (element, "sync", &sync, NULL);
      g_assert_true (sync);
    }
}

static void
test_default_sink (void)
{
  check_default (FALSE);
}

static void
test_default_source (void)
{
  check_default (TRUE);
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio-device/default-sink", test_default_sink);
  g_test_add_func ("/audio-device/default-source", test_default_source);
  return g_test_run ();
}
