/* sips-ringtone-player.c: a WAV played in a loop on an alert device */
#include "sips-ringtone-player.h"

#include <glib/gi18n.h>
#include <gst/gst.h>
#include "core/sips-error.h"
#include "media/sips-audio-codec.h"

#define STOP_GRACE_MS 2000

enum { SIGNAL_STOPPED, SIGNAL_ERROR, N_SIGNALS };
static guint signals[N_SIGNALS];

struct _SipsRingtonePlayer
{
  GObject       parent_instance;

  GMainContext *context;
  GstElement   *pipeline;
  GstElement   *convert;      /* EOS goes in here (wavparse pulls; its source takes no events) */
  GSource      *bus_source;
  GSource      *stop_source;
  gboolean      stopping;
  gboolean      buffer_seen;
  gboolean      playing;
  gboolean      loop_armed;
};

G_DEFINE_FINAL_TYPE (SipsRingtonePlayer, sips_ringtone_player, G_TYPE_OBJECT)

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
drop_pipeline (SipsRingtonePlayer *self)
{
  clear_source (&self->bus_source);
  clear_source (&self->stop_source);
  if (self->pipeline != NULL)
    {
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      g_clear_pointer (&self->pipeline, gst_object_unref);
    }
  self->convert = NULL;
  self->buffer_seen = self->playing = self->loop_armed = FALSE;
}

static void
finish_stop (SipsRingtonePlayer *self)
{
  gboolean was_stopping = self->stopping;

  drop_pipeline (self);
  self->stopping = FALSE;
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
  if (was_stopping)
    g_object_unref (self);  /* the reference stop() took */
}

static gboolean
on_stop_grace_over (gpointer user_data)
{
  finish_stop (user_data);
  return G_SOURCE_REMOVE;
}

/* Segment seeks loop without EOS reaching the device, so a file device stays one file. */
static void
seek_to_start (SipsRingtonePlayer *self, GstSeekFlags flags)
{
  if (!gst_element_seek (self->pipeline, 1.0, GST_FORMAT_TIME, flags | GST_SEEK_FLAG_SEGMENT,
                         GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE))
    g_debug ("ringtone: cannot seek to loop");
}

/* The loop starts with a non-flushing segment seek once wavparse read the header (a buffer
 * went by) and the device no longer waits for preroll (PLAYING): else the seek deadlocks.
 * It keeps the position (start NONE): a seek to 0 here would replay the first buffer. */
static void
maybe_arm_loop (SipsRingtonePlayer *self)
{
  if (self->pipeline != NULL && !self->stopping && !self->loop_armed && self->buffer_seen &&
      self->playing)
    {
      self->loop_armed = TRUE;
      if (!gst_element_seek (self->pipeline, 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_SEGMENT,
                             GST_SEEK_TYPE_NONE, 0, GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE))
        g_debug ("ringtone: cannot seek to loop");
    }
}

static gboolean
on_first_buffer_main (gpointer user_data)
{
  SipsRingtonePlayer *self = user_data;

  self->buffer_seen = TRUE;
  maybe_arm_loop (self);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
on_first_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsRingtonePlayer *self = user_data;
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_callback (source, on_first_buffer_main, g_object_ref (self), g_object_unref);
  g_source_attach (source, self->context);
  return GST_PAD_PROBE_REMOVE;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SipsRingtonePlayer *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC (message) == GST_OBJECT (self->pipeline))
        {
          GstState state;

          gst_message_parse_state_changed (message, NULL, &state, NULL);
          self->playing = state == GST_STATE_PLAYING;
          maybe_arm_loop (self);
        }
      break;
    case GST_MESSAGE_SEGMENT_DONE:
      if (!self->stopping)
        seek_to_start (self, GST_SEEK_FLAG_NONE);
      break;
    case GST_MESSAGE_EOS:
      if (self->stopping)
        {
          finish_stop (self);
          return G_SOURCE_REMOVE;
        }
      break;
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) error = NULL;

        gst_message_parse_error (message, &error, NULL);
        g_object_ref (self);
        g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
        if (self->stopping)
          finish_stop (self);
        else
          drop_pipeline (self);
        g_object_unref (self);
        return G_SOURCE_REMOVE;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static void
sips_ringtone_player_dispose (GObject *object)
{
  SipsRingtonePlayer *self = SIPS_RINGTONE_PLAYER (object);

  drop_pipeline (self);
  G_OBJECT_CLASS (sips_ringtone_player_parent_class)->dispose (object);
}

static void
sips_ringtone_player_finalize (GObject *object)
{
  SipsRingtonePlayer *self = SIPS_RINGTONE_PLAYER (object);

  g_main_context_unref (self->context);
  G_OBJECT_CLASS (sips_ringtone_player_parent_class)->finalize (object);
}

static void
sips_ringtone_player_class_init (SipsRingtonePlayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sips_ringtone_player_dispose;
  object_class->finalize = sips_ringtone_player_finalize;

  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
}

static void
sips_ringtone_player_init (SipsRingtonePlayer *self)
{
  self->context = g_main_context_ref_thread_default ();
}

SipsRingtonePlayer *
sips_ringtone_player_new (void)
{
  return g_object_new (SIPS_TYPE_RINGTONE_PLAYER, NULL);
}

gboolean
sips_ringtone_player_play (SipsRingtonePlayer *self, const char *wav_path, const char *device,
                           GError **error)
{
  g_autoptr(GstElement) output = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstPad) convert_sink = NULL;
  GstElement *src, *parse, *resample, *sync;

  g_return_val_if_fail (SIPS_IS_RINGTONE_PLAYER (self), FALSE);

  if (self->pipeline != NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE, _("A ringtone is playing already"));
      return FALSE;
    }
  if (wav_path == NULL || !g_file_test (wav_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND, _("No ringtone file %s"),
                   wav_path != NULL ? wav_path : "");
      return FALSE;
    }
  if ((output = sips_audio_device_make (device, FALSE, error)) == NULL)
    return FALSE;

  self->pipeline = gst_object_ref_sink (gst_pipeline_new ("sips-ringtone"));
  src = gst_element_factory_make ("filesrc", NULL);
  parse = gst_element_factory_make ("wavparse", NULL);
  self->convert = gst_element_factory_make ("audioconvert", NULL);
  resample = gst_element_factory_make ("audioresample", NULL);
  /* real-time pace even for a device that does not sync (a file) */
  sync = gst_element_factory_make ("identity", NULL);
  g_object_set (src, "location", wav_path, NULL);
  g_object_set (sync, "sync", TRUE, NULL);
  /* output is not floating: the pipeline takes a reference of its own */
  gst_bin_add_many (GST_BIN (self->pipeline), src, parse, self->convert, resample, sync,
                    output, NULL);
  if (!gst_element_link_many (src, parse, self->convert, resample, sync, output, NULL))
    {
      drop_pipeline (self);
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot build the ringtone pipeline"));
      return FALSE;
    }
  convert_sink = gst_element_get_static_pad (self->convert, "sink");
  gst_pad_add_probe (convert_sink, GST_PAD_PROBE_TYPE_BUFFER, on_first_buffer, self, NULL);
  bus = gst_element_get_bus (self->pipeline);
  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (on_bus_message), self, NULL);
  g_source_attach (self->bus_source, self->context);

  if (gst_element_set_state (self->pipeline, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE ||
      gst_element_get_state (self->pipeline, NULL, NULL, 5 * GST_SECOND) == GST_STATE_CHANGE_FAILURE)
    {
      drop_pipeline (self);
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot play the ringtone %s"), wav_path);
      return FALSE;
    }
  gst_element_set_state (self->pipeline, GST_STATE_PLAYING);
  return TRUE;
}

void
sips_ringtone_player_stop (SipsRingtonePlayer *self)
{
  g_autoptr(GstPad) pad = NULL;

  g_return_if_fail (SIPS_IS_RINGTONE_PLAYER (self));

  if (self->stopping)
    return;
  if (self->pipeline == NULL)
    {
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
      return;
    }
  g_object_ref (self);
  self->stopping = TRUE;
  self->stop_source = g_timeout_source_new (STOP_GRACE_MS);
  g_source_set_callback (self->stop_source, on_stop_grace_over, self, NULL);
  g_source_attach (self->stop_source, self->context);
  pad = gst_element_get_static_pad (self->convert, "sink");
  gst_pad_send_event (pad, gst_event_new_eos ());
}

gboolean
sips_ringtone_player_is_playing (SipsRingtonePlayer *self)
{
  g_return_val_if_fail (SIPS_IS_RINGTONE_PLAYER (self), FALSE);
  return self->pipeline != NULL && !self->stopping;
}
