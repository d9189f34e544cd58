/* test-audio-device.c: the platform default audio device is resolved once (issue 12: the
 * autodetection scanned the registry and probed every device on each call set-up) */
#include <gst/gst.h>

#include "media/sips-audio-codec.h"
#include "media/sips-audio-device-default.h"

/* The device element sips_audio_device_make() made: a one-element description is the
 * element itself, else the one element of the bin around it */
static GstElement *
device_element (GstElement *device)
{
  if (gst_element_get_factory (device) != NULL)
    return device;
  g_assert_true (GST_IS_BIN (device));
  g_assert_cmpuint (GST_BIN_NUMCHILDREN (GST_BIN (device)), ==, 1);
  return GST_BIN_CHILDREN (GST_BIN (device))->data;
}

/* "fakesink sync=true" is the element itself, no bin or ghost pad around it (a call's
 * output cost ~2 KiB less); a chain is a bin with its free pad ghosted */
static void
test_one_element_is_itself (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) sink = sips_audio_device_make ("fakesink sync=true", FALSE, &error);
  g_autoptr(GstElement) chain = NULL;
  g_autoptr(GstPad) pad = NULL;
  gboolean sync = FALSE;

  g_assert_no_error (error);
  g_assert_false (GST_IS_BIN (sink));
  g_assert_false (g_object_is_floating (sink));
  g_object_get (sink, "sync", &sync, NULL);
  g_assert_true (sync);
  chain = sips_audio_device_make ("audioconvert ! fakesink", FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (GST_IS_BIN (chain));
  pad = gst_element_get_static_pad (chain, "sink");
  g_assert_nonnull (pad);
  /* a source as an output: an error either way */
  g_assert_null (sips_audio_device_make ("audiotestsrc", FALSE, &error));
  g_assert_nonnull (error);
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
  g_test_add_func ("/audio-device/one-element-is-itself", test_one_element_is_itself);
  return g_test_run ();
}
