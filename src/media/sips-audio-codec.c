/* sips-audio-codec.c: the audio codecs we carry over RTP and the GStreamer elements for each */
#include "sips-audio-codec.h"

#include <string.h>
#include <glib/gi18n.h>
#include "core/sips-error.h"
#include "sips-audio-device-default.h"

static const SipsAudioCodec codecs[] = {
  { "opus", "OPUS", 48000, 48000, -1, "sipsopusenc", "rtpopuspay", "rtpopusdepay", "sipsopusdec" },
  { "G722", "G722", 8000, 16000, 9, "avenc_g722", "rtpg722pay", "rtpg722depay", "avdec_g722" },
  { "PCMU", "PCMU", 8000, 8000, 0, "sipsg711pay", NULL, "rtppcmudepay", "mulawdec" },
  { "PCMA", "PCMA", 8000, 8000, 8, "sipsg711pay", NULL, "rtppcmadepay", "alawdec" },
};

const SipsAudioCodec *
sips_audio_codec_find (const char *name)
{
  for (gsize i = 0; name != NULL && i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (codecs[i].name, name) == 0)
      return &codecs[i];
  return NULL;
}

static gint default_source_failed;  /* atomic */
static gint default_sink_failed;

void
sips_audio_device_default_failed (gboolean is_source)
{
  g_atomic_int_set (is_source ? &default_source_failed : &default_sink_failed, TRUE);
}

static const char *
default_device (gboolean is_source)
{
  if (is_source)
    return g_atomic_int_get (&default_source_failed)
           ? "audiotestsrc wave=silence is-live=true" : sips_audio_device_default_resolve (TRUE);
  return g_atomic_int_get (&default_sink_failed) ? "fakesink sync=false async=false"
                                                 : sips_audio_device_default_resolve (FALSE);
}

const char *
sips_audio_device_effective (const char *description, gboolean is_source)
{
  return description == NULL || *description == '\0' ? default_device (is_source) : description;
}

GstElement *
sips_audio_device_make (const char *description, gboolean is_source, GError **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GstElement) bin = NULL;
  g_autoptr(GstPad) pad = NULL;

  if (description == NULL || *description == '\0')
    description = default_device (is_source);

  /* one element ("pulsesink", "fakesink sync=true"): itself, without a bin and a ghost pad
   * around it (a call's output costs ~2 KiB less) */
  if (strpbrk (description, "!(){}.") == NULL)
    {
      g_autoptr(GstElement) element = gst_parse_launch_full (description, NULL, GST_PARSE_FLAG_NONE,
                                                             &parse_error);

      if (element != NULL && parse_error == NULL && !GST_IS_PIPELINE (element))
        {
          gst_object_ref_sink (element);
          pad = gst_element_get_static_pad (element, is_source ? "src" : "sink");
          if (pad != NULL)
            return g_steal_pointer (&element);
        }
      g_clear_error (&parse_error);
    }

  bin = gst_parse_bin_from_description (description, TRUE, &parse_error);
  if (bin == NULL || parse_error != NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("Invalid audio device description “%s”: %s"), description,
                   parse_error != NULL ? parse_error->message : _("no element"));
      return NULL;
    }
  gst_object_ref_sink (bin);
  pad = gst_element_get_static_pad (bin, is_source ? "src" : "sink");
  if (pad == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   is_source ? _("Audio device description “%s” has no free output")
                             : _("Audio device description “%s” has no free input"),
                   description);
      return NULL;
    }
  return g_steal_pointer (&bin);
}

gboolean
sips_audio_device_check (const char *description, gboolean is_source, GError **error)
{
  g_autoptr(GstElement) bin = sips_audio_device_make (description, is_source, error);

  return bin != NULL;
}
