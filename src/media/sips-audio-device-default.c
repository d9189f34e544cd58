/* sips-audio-device-default.c: the platform default audio device, resolved once
 *
 * autoaudiosrc / autoaudiosink scan and sort the whole plugin registry and open each
 * candidate device in turn (PulseAudio, ALSA, JACK, OpenAL, ...) every time one goes to
 * READY: with no sound server that is ~2 ms of CPU per call set-up (about a fifth of it).
 * The first use asks the autodetection once, and later streams make the element it
 * picked directly. A device that later fails is still handled by the stream
 * (sips_audio_device_default_failed). */
#include "sips-audio-device-default.h"

#include <gst/gst.h>

static GMutex lock;
static char *resolved[2];  /* [is_source] */

static char *
resolve (gboolean is_source)
{
  const char *auto_name = is_source ? "autoaudiosrc" : "autoaudiosink";
  GstElement *detect = gst_element_factory_make (auto_name, NULL);
  GstElement *child = NULL;
  char *description = NULL;

  if (detect == NULL)
    return g_strdup (auto_name);
  gst_object_ref_sink (detect);
  if (gst_element_set_state (detect, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE &&
      GST_IS_BIN (detect) && GST_BIN_NUMCHILDREN (GST_BIN (detect)) == 1)
    child = GST_BIN_CHILDREN (GST_BIN (detect))->data;
  if (child != NULL && gst_element_get_factory (child) != NULL)
    {
      const char *factory = gst_plugin_feature_get_name (gst_element_get_factory (child));

      /* the autodetection's own fallback keeps the clock like a device would */
      description = g_str_equal (factory, "fakesink") ? g_strdup ("fakesink sync=true")
                                                      : g_strdup (factory);
    }
  gst_element_set_state (detect, GST_STATE_NULL);
  gst_object_unref (detect);
  if (description == NULL)
    return g_strdup (auto_name);
  g_debug ("The default audio %s is %s", is_source ? "input" : "output", description);
  return description;
}

const char *
sips_audio_device_default_resolve (gboolean is_source)
{
  const char *description;

  g_mutex_lock (&lock);
  if (resolved[is_source != FALSE] == NULL)
    resolved[is_source != FALSE] = resolve (is_source);
  description = resolved[is_source != FALSE];
  g_mutex_unlock (&lock);
  return description;
}
