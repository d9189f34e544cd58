/* sips-audio-file-player.c: filesrc ! decodebin ! audioconvert ! audioresample
 *   ! capsfilter (S16LE mono at the codec rate) ! audiobuffersplit (20 ms, a packet's
 *   worth: the session's RTP sink does not sync) ! appsink sync=true, whose samples go
 * into the session pipeline's appsrc. A pipeline of its own keeps the session's untouched
 * (no pad offsets, no renegotiation): the appsrc, live and timestamping on push, turns the
 * real-time pace of this pipeline into the session's running time. */
#include "media/sips-audio-file-player.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/base/gsttypefindhelper.h>
#include "core/sips-error.h"

#define SNIFF_BYTES 4096

enum {
  SIGNAL_FIRST_SAMPLE,
  SIGNAL_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

struct _SipsAudioFilePlayer
{
  GObject     parent_instance;

  char       *path;
  gboolean    loop;
  GstElement *pipeline;
  GstElement *appsrc;     /* the session pipeline's (borrowed) */
  GSource    *bus_source;
  gboolean    finished;
  gint        sampled;    /* atomic: the first sample went out */
};

G_DEFINE_FINAL_TYPE (SipsAudioFilePlayer, sips_audio_file_player, G_TYPE_OBJECT)

/* ---- private helpers ---- */

static gboolean
invalid (GError **error, const char *message)
{
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

static void
finish (SipsAudioFilePlayer *self, gboolean completed)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, completed);
}

/* Streaming thread of our pipeline: appsrc is thread-safe. */
static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer user_data)
{
  SipsAudioFilePlayer *self = user_data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer;

  if (sample == NULL)
    return GST_FLOW_EOS;
  if (g_atomic_int_compare_and_exchange (&self->sampled, 0, 1))
    g_signal_emit (self, signals[SIGNAL_FIRST_SAMPLE], 0);
  buffer = gst_buffer_copy (gst_sample_get_buffer (sample));
  /* the appsrc stamps it with the session pipeline's running time */
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (self->appsrc), buffer);
  return GST_FLOW_OK;
}

static void
on_pad_added (GstElement *decodebin, GstPad *pad, gpointer user_data)
{
  GstElement *convert = user_data;
  g_autoptr(GstPad) sink = gst_element_get_static_pad (convert, "sink");
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps (pad);
  const GstStructure *s = caps != NULL ? gst_caps_get_structure (caps, 0) : NULL;

  if (gst_pad_is_linked (sink) || s == NULL || !g_str_has_prefix (gst_structure_get_name (s), "audio/"))
    return;  /* the first audio stream plays; video or a second track is ignored */
  gst_pad_link (pad, sink);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SipsAudioFilePlayer *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_EOS:
      if (self->loop &&
          gst_element_seek_simple (self->pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0))
        break;
      finish (self, TRUE);
      break;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) error = NULL;

        gst_message_parse_error (message, &error, NULL);
        g_warning ("Playing %s failed: %s", self->path, error->message);
        finish (self, FALSE);
      }
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
build (SipsAudioFilePlayer *self, guint rate, GError **error)
{
  GstElement *src, *decode, *convert, *resample, *filter, *split, *sink;
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                                                 "layout", G_TYPE_STRING, "interleaved",
                                                 "rate", G_TYPE_INT, (gint) rate,
                                                 "channels", G_TYPE_INT, 1, NULL);
  g_autoptr(GstBus) bus = NULL;
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };

  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("sips-audio-file"));
  src = gst_element_factory_make ("filesrc", NULL);
  decode = gst_element_factory_make ("decodebin", NULL);
  convert = gst_element_factory_make ("audioconvert", NULL);
  resample = gst_element_factory_make ("audioresample", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  split = gst_element_factory_make ("audiobuffersplit", NULL);
  sink = gst_element_factory_make ("appsink", NULL);
  if (src == NULL || decode == NULL || convert == NULL || resample == NULL || filter == NULL ||
      split == NULL || sink == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                           _("The GStreamer elements to play files are not installed"));
      return FALSE;
    }
  gst_bin_add_many (GST_BIN (self->pipeline), src, decode, convert, resample, filter, split, sink, NULL);
  g_object_set (src, "location", self->path, NULL);
  g_object_set (filter, "caps", caps, NULL);
  g_object_set (split, "output-buffer-duration", 1, 50, NULL);
  g_object_set (sink, "sync", TRUE, "max-buffers", 4, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, self, NULL);
  g_signal_connect (decode, "pad-added", G_CALLBACK (on_pad_added), convert);
  if (!gst_element_link (src, decode) || !gst_element_link_many (convert, resample, filter, split, sink, NULL))
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot build the file player"));
      return FALSE;
    }
  gst_app_src_set_caps (GST_APP_SRC (self->appsrc), caps);

  bus = gst_element_get_bus (self->pipeline);
  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (on_bus_message), self, NULL);
  g_source_attach (self->bus_source, g_main_context_get_thread_default ());
  return TRUE;
}

/* ---- GObject ---- */

static void
sips_audio_file_player_dispose (GObject *object)
{
  SipsAudioFilePlayer *self = SIPS_AUDIO_FILE_PLAYER (object);

  if (self->bus_source != NULL)
    {
      g_source_destroy (self->bus_source);
      g_clear_pointer (&self->bus_source, g_source_unref);
    }
  if (self->pipeline != NULL)
    {
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      g_clear_pointer (&self->pipeline, gst_object_unref);
    }
  g_clear_object (&self->appsrc);
  G_OBJECT_CLASS (sips_audio_file_player_parent_class)->dispose (object);
}

static void
sips_audio_file_player_finalize (GObject *object)
{
  SipsAudioFilePlayer *self = SIPS_AUDIO_FILE_PLAYER (object);

  g_free (self->path);
  G_OBJECT_CLASS (sips_audio_file_player_parent_class)->finalize (object);
}

static void
sips_audio_file_player_class_init (SipsAudioFilePlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sips_audio_file_player_dispose;
  object_class->finalize = sips_audio_file_player_finalize;

  signals[SIGNAL_FIRST_SAMPLE] = g_signal_new ("first-sample", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
sips_audio_file_player_init (SipsAudioFilePlayer *self)
{
}

/* ---- public API ---- */

gboolean
sips_audio_file_check (const char *path, GError **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GstCaps) caps = NULL;
  GList *all, *fitting;
  guint8 head[SNIFF_BYTES];
  gsize n_read = 0;

  if (path == NULL || !g_path_is_absolute (path))
    return invalid (error, _("The file needs an absolute path"));
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return invalid (error, _("The file does not exist or is not a regular file"));
  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, NULL);
  if (stream == NULL || !g_input_stream_read_all (G_INPUT_STREAM (stream), head, sizeof head, &n_read,
                                                  NULL, NULL) || n_read == 0)
    return invalid (error, _("The file cannot be read"));

  caps = gst_type_find_helper_for_data (NULL, head, n_read, NULL);
  if (caps == NULL)
    return invalid (error, _("The file is not a sound file GStreamer can decode"));
  all = gst_element_factory_list_get_elements (GST_ELEMENT_FACTORY_TYPE_DECODABLE, GST_RANK_MARGINAL);
  fitting = gst_element_factory_list_filter (all, caps, GST_PAD_SINK, FALSE);
  gst_plugin_feature_list_free (all);
  if (fitting == NULL)
    return invalid (error, _("The file is not a sound file GStreamer can decode"));
  gst_plugin_feature_list_free (fitting);
  return TRUE;
}

SipsAudioFilePlayer *
sips_audio_file_player_new (const char *path, gboolean loop, guint rate, GstElement *appsrc,
                            GError **error)
{
  g_autoptr(SipsAudioFilePlayer) self = NULL;

  g_return_val_if_fail (GST_IS_APP_SRC (appsrc) && rate > 0, NULL);

  if (!sips_audio_file_check (path, error))
    return NULL;
  self = g_object_new (SIPS_TYPE_AUDIO_FILE_PLAYER, NULL);
  self->path = g_strdup (path);
  self->loop = loop;
  self->appsrc = gst_object_ref (appsrc);
  if (!build (self, rate, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
sips_audio_file_player_start (SipsAudioFilePlayer *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_FILE_PLAYER (self), FALSE);

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, _("The file cannot be played"));
      return FALSE;
    }
  return TRUE;
}

void
sips_audio_file_player_stop (SipsAudioFilePlayer *self)
{
  g_return_if_fail (SIPS_IS_AUDIO_FILE_PLAYER (self));
  finish (self, FALSE);
}

const char *
sips_audio_file_player_get_path (SipsAudioFilePlayer *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_FILE_PLAYER (self), NULL);
  return self->path;
}
