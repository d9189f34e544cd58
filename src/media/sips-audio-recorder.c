/* sips-audio-recorder.c: both directions of a running audio pipeline mixed into one WAV */
#include "sips-audio-recorder.h"

#include <errno.h>
#include <stdio.h>
#include <glib/gi18n.h>
#include "core/sips-error.h"

enum { SIGNAL_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

struct _SipsAudioRecorder
{
  GObject       parent_instance;

  char         *path;
  guint         rate;
  GMainContext *context;

  GstBin       *pipeline;       /* the stream's */
  GstElement   *bin;            /* our branch, owned while in the pipeline */
  GstElement   *valve;
  GstElement   *tees[2];
  GstPad       *tee_pads[2];    /* request pads on the tees */
  GstPad       *sinks[2];       /* the branch's ghost sink pads */
  gboolean      finishing;
  gboolean      finished;
  gint          eos_seen;       /* atomic: filesink got EOS */
};

G_DEFINE_FINAL_TYPE (SipsAudioRecorder, sips_audio_recorder, G_TYPE_OBJECT)

/* Main context, after the filesink saw EOS (the header was rewritten before EOS went on). */
static gboolean
on_branch_done (gpointer user_data)
{
  SipsAudioRecorder *self = user_data;

  if (self->finished)
    return G_SOURCE_REMOVE;
  self->finished = TRUE;
  if (self->bin != NULL)
    {
      gst_element_set_locked_state (self->bin, TRUE);
      gst_element_set_state (self->bin, GST_STATE_NULL);  /* closes the file */
      gst_bin_remove (self->pipeline, self->bin);
      g_clear_pointer (&self->bin, gst_object_unref);
    }
  g_clear_pointer (&self->pipeline, gst_object_unref);
  for (guint i = 0; i < 2; i++)
    {
      if (self->tee_pads[i] != NULL)
        gst_element_release_request_pad (self->tees[i], self->tee_pads[i]);
      g_clear_object (&self->tee_pads[i]);
      g_clear_object (&self->tees[i]);
      g_clear_object (&self->sinks[i]);
    }
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
  return G_SOURCE_REMOVE;
}

/* Always later on our context: never g_main_context_invoke, which may run it right here in a
 * streaming thread when the default context happens to be free. */
static void
defer (SipsAudioRecorder *self, GSourceFunc func)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_callback (source, func, g_object_ref (self), g_object_unref);
  g_source_attach (source, self->context);
}

static GstPadProbeReturn
on_filesink_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SipsAudioRecorder *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && g_atomic_int_compare_and_exchange (&self->eos_seen, 0, 1))
    defer (self, on_branch_done);
  return GST_PAD_PROBE_OK;
}

/* Runs when the tee pad is idle (possibly right away): cut the branch input and end it. */
static GstPadProbeReturn
on_tee_pad_idle (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstPad *sink = user_data;

  gst_pad_unlink (pad, sink);
  gst_pad_send_event (sink, gst_event_new_eos ());
  return GST_PAD_PROBE_REMOVE;
}

static void
sips_audio_recorder_finalize (GObject *object)
{
  SipsAudioRecorder *self = SIPS_AUDIO_RECORDER (object);

  if (self->bin != NULL)
    {
      gst_element_set_state (self->bin, GST_STATE_NULL);
      gst_object_unref (self->bin);
    }
  for (guint i = 0; i < 2; i++)
    {
      g_clear_object (&self->tee_pads[i]);
      g_clear_object (&self->tees[i]);
      g_clear_object (&self->sinks[i]);
    }
  g_clear_pointer (&self->pipeline, gst_object_unref);
  g_main_context_unref (self->context);
  g_free (self->path);
  G_OBJECT_CLASS (sips_audio_recorder_parent_class)->finalize (object);
}

static void
sips_audio_recorder_class_init (SipsAudioRecorderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sips_audio_recorder_finalize;

  signals[SIGNAL_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sips_audio_recorder_init (SipsAudioRecorder *self)
{
  self->context = g_main_context_ref_thread_default ();
}

SipsAudioRecorder *
sips_audio_recorder_new (const char *path, guint rate)
{
  SipsAudioRecorder *self = g_object_new (SIPS_TYPE_AUDIO_RECORDER, NULL);

  self->path = g_strdup (path);
  self->rate = rate > 0 ? rate : 16000;
  return self;
}

const char *
sips_audio_recorder_get_path (SipsAudioRecorder *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_RECORDER (self), NULL);
  return self->path;
}

gboolean
sips_audio_recorder_attach (SipsAudioRecorder *self, GstBin *pipeline, GstElement *tee_sent,
                            GstElement *tee_received, GError **error)
{
  g_autofree char *description = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GstElement) filesink = NULL;
  g_autoptr(GstPad) filesink_pad = NULL;
  g_autoptr(GstElement) mixer = NULL;
  GstElement *tees[2] = { tee_sent, tee_received };
  FILE *probe;

  g_return_val_if_fail (SIPS_IS_AUDIO_RECORDER (self), FALSE);
  g_return_val_if_fail (self->bin == NULL && !self->finished, FALSE);

  /* fail now, not in the streaming thread, if the file cannot be written */
  probe = fopen (self->path, "wb");
  if (probe == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot write the recording %s: %s"),
                   self->path, g_strerror (errno));
      return FALSE;
    }
  fclose (probe);

  /* start-time-selection=first: the branch joins a pipeline that runs already; live
   * aggregation so a silent direction (nothing received yet) does not stall the other.
   * latency: 100 ms of slack before the mixer gives up on an input, or a busy CPU that
   * delays one direction a little punches holes into the file. */
  description = g_strdup_printf (
      "audiomixer name=mix start-time-selection=first latency=100000000 "
      "! audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=%u "
      "! valve name=valve ! wavenc ! filesink name=file async=false sync=false "
      "queue name=q0 ! mix. queue name=q1 ! mix.", self->rate);
  self->bin = gst_parse_bin_from_description (description, FALSE, &parse_error);
  if (self->bin == NULL || parse_error != NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot build the recorder: %s"),
                   parse_error != NULL ? parse_error->message : "");
      g_clear_pointer (&self->bin, gst_object_unref);
      return FALSE;
    }
  gst_object_ref_sink (self->bin);
  filesink = gst_bin_get_by_name (GST_BIN (self->bin), "file");
  g_object_set (filesink, "location", self->path, NULL);
  self->valve = gst_bin_get_by_name (GST_BIN (self->bin), "valve");
  gst_object_unref (self->valve);  /* the bin keeps it alive */
  filesink_pad = gst_element_get_static_pad (filesink, "sink");
  gst_pad_add_probe (filesink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_filesink_event, self, NULL);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("q%u", i);
      g_autoptr(GstElement) queue = gst_bin_get_by_name (GST_BIN (self->bin), name);
      g_autoptr(GstPad) target = gst_element_get_static_pad (queue, "sink");

      self->sinks[i] = gst_object_ref_sink (gst_ghost_pad_new (name, target));
      gst_element_add_pad (self->bin, self->sinks[i]);
    }

  self->pipeline = gst_object_ref (pipeline);
  gst_bin_add (pipeline, self->bin);
  gst_element_sync_state_with_parent (self->bin);
  for (guint i = 0; i < 2; i++)
    {
      self->tees[i] = gst_object_ref (tees[i]);
      self->tee_pads[i] = gst_element_request_pad_simple (tees[i], "src_%u");
      if (gst_pad_link (self->tee_pads[i], self->sinks[i]) != GST_PAD_LINK_OK)
        g_warning ("recorder: cannot link tee %u", i);
    }
  return TRUE;
}

void
sips_audio_recorder_set_paused (SipsAudioRecorder *self, gboolean paused)
{
  g_return_if_fail (SIPS_IS_AUDIO_RECORDER (self));
  if (self->bin != NULL)
    g_object_set (self->valve, "drop", paused, NULL);
}

void
sips_audio_recorder_finish (SipsAudioRecorder *self)
{
  g_return_if_fail (SIPS_IS_AUDIO_RECORDER (self));

  if (self->finishing || self->finished)
    return;
  self->finishing = TRUE;
  if (self->bin == NULL)
    {
      defer (self, on_branch_done);
      return;
    }
  for (guint i = 0; i < 2; i++)
    gst_pad_add_probe (self->tee_pads[i], GST_PAD_PROBE_TYPE_IDLE, on_tee_pad_idle,
                       gst_object_ref (self->sinks[i]), gst_object_unref);
}

gboolean
sips_audio_recorder_is_finished (SipsAudioRecorder *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_RECORDER (self), TRUE);
  return self->finished;
}
