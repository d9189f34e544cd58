/* sips-audio-recorder.c: both directions of a running audio pipeline mixed into one WAV */
#include "sips-audio-recorder.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include "core/sips-error.h"

/* How long EOS may take through the branch before the file is closed without it. */
#define FINISH_TIMEOUT_MS 2000

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
  GSource      *finish_timeout;
  GSource      *lag_timeout;    /* the receive branch's late unlink */
  guint         receive_lag_ms;
  gint          eos_seen;       /* atomic: filesink got EOS */
};

G_DEFINE_FINAL_TYPE (SipsAudioRecorder, sips_audio_recorder, G_TYPE_OBJECT)

static void
put_le32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static guint32
get_le32 (const guint8 *p)
{
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((guint32) p[3] << 24);
}

/* Offset of the data chunk's size field in a RIFF/WAVE header, or 0. */
static gsize
find_data_chunk (const guint8 *h, gsize len)
{
  gsize pos = 12;

  if (len < 12 || memcmp (h, "RIFF", 4) != 0 || memcmp (h + 8, "WAVE", 4) != 0)
    return 0;
  while (pos + 8 <= len)
    {
      if (memcmp (h + pos, "data", 4) == 0)
        return pos + 4;
      pos += 8 + get_le32 (h + pos + 4);
    }
  return 0;
}

/* EOS never reached wavenc, so it did not rewrite its header: write the sizes ourselves
 * (or a whole header if wavenc wrote none) so that the file is a valid WAV. */
static void
finalize_wav_header (SipsAudioRecorder *self)
{
  guint8 h[4096];
  FILE *f = fopen (self->path, "r+b");
  gsize len, data;
  long size;

  if (f == NULL)
    return;
  len = fread (h, 1, sizeof h, f);
  if (fseek (f, 0, SEEK_END) != 0 || (size = ftell (f)) < 0)
    goto out;
  data = find_data_chunk (h, len);
  if (data == 0)
    {
      /* nothing usable: an empty 16-bit mono PCM file */
      memcpy (h, "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0", 24);
      put_le32 (h + 24, self->rate);
      put_le32 (h + 28, self->rate * 2);
      memcpy (h + 32, "\x02\0\x10\0data", 8);
      data = 40;
      size = 44;
    }
  size -= (size - (long) data - 4) % 2;  /* whole samples only */
  put_le32 (h + 4, (guint32) (size - 8));
  put_le32 (h + data, (guint32) (size - (long) data - 4));
  if (fseek (f, 0, SEEK_SET) != 0 || fwrite (h, 1, data + 4, f) != data + 4 ||
      fflush (f) != 0 || ftruncate (fileno (f), size) != 0)
    g_warning ("recorder: cannot finish the header of %s", self->path);
out:
  fclose (f);
}

/* Main context, after the filesink saw EOS (the header was rewritten before EOS went on). */
static gboolean
on_branch_done (gpointer user_data)
{
  SipsAudioRecorder *self = user_data;

  if (self->finished)
    return G_SOURCE_REMOVE;
  self->finished = TRUE;
  if (self->finish_timeout != NULL)
    {
      g_source_destroy (self->finish_timeout);
      g_clear_pointer (&self->finish_timeout, g_source_unref);
    }
  if (self->lag_timeout != NULL)
    {
      g_source_destroy (self->lag_timeout);
      g_clear_pointer (&self->lag_timeout, g_source_unref);
    }
  if (self->bin != NULL)
    {
      gst_element_set_locked_state (self->bin, TRUE);
      gst_element_set_state (self->bin, GST_STATE_NULL);  /* closes the file */
      gst_bin_remove (self->pipeline, self->bin);
      g_clear_pointer (&self->bin, gst_object_unref);
      if (!g_atomic_int_get (&self->eos_seen))
        finalize_wav_header (self);
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

static void
on_send_eos (GstElement *bin, gpointer user_data)
{
  gst_pad_send_event (GST_PAD (user_data), gst_event_new_eos ());
}

/* Runs when the tee pad is idle (possibly right away, in the D-Bus handler): cut the branch
 * input and end it. EOS goes in from a GStreamer thread: sending it takes the queue's
 * stream lock, which a streaming thread may hold for as long as no data flows. */
static GstPadProbeReturn
on_tee_pad_idle (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstPad *sink = user_data;
  g_autoptr(GstElement) bin = GST_ELEMENT (gst_object_get_parent (GST_OBJECT (sink)));

  gst_pad_unlink (pad, sink);
  if (bin != NULL)
    gst_element_call_async (bin, on_send_eos, gst_object_ref (sink), gst_object_unref);
  return GST_PAD_PROBE_REMOVE;
}

/* The mixer answers serialized queries only once it mixes, which it does not before the
 * first buffer: an ALLOCATION or DRAIN query from a tee would block that tee's streaming
 * thread (and with it the call's audio) for as long as nothing flows. The branch needs
 * no allocation proposal and drains at EOS, so it answers them itself. */
static GstPadProbeReturn
on_branch_query (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION || GST_QUERY_TYPE (query) == GST_QUERY_DRAIN)
    return GST_PAD_PROBE_HANDLED;
  return GST_PAD_PROBE_OK;
}

/* EOS did not make it through in time: close the file anyway. */
static gboolean
on_finish_timeout (gpointer user_data)
{
  SipsAudioRecorder *self = user_data;

  g_clear_pointer (&self->finish_timeout, g_source_unref);
  g_message ("recorder: %s did not drain in time; closing it", self->path);
  on_branch_done (self);
  return G_SOURCE_REMOVE;
}

static void
sips_audio_recorder_finalize (GObject *object)
{
  SipsAudioRecorder *self = SIPS_AUDIO_RECORDER (object);

  if (self->finish_timeout != NULL)
    {
      g_source_destroy (self->finish_timeout);
      g_clear_pointer (&self->finish_timeout, g_source_unref);
    }
  if (self->lag_timeout != NULL)
    {
      g_source_destroy (self->lag_timeout);
      g_clear_pointer (&self->lag_timeout, g_source_unref);
    }
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
      gst_pad_add_probe (self->sinks[i], GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, on_branch_query,
                         NULL, NULL);
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

static void
unlink_branch (SipsAudioRecorder *self, guint i)
{
  if (self->tee_pads[i] != NULL)
    gst_pad_add_probe (self->tee_pads[i], GST_PAD_PROBE_TYPE_IDLE, on_tee_pad_idle,
                       gst_object_ref (self->sinks[i]), gst_object_unref);
}

static gboolean
on_receive_lag_over (gpointer user_data)
{
  SipsAudioRecorder *self = user_data;

  g_clear_pointer (&self->lag_timeout, g_source_unref);
  unlink_branch (self, 1);
  return G_SOURCE_REMOVE;
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
  self->finish_timeout = g_timeout_source_new (FINISH_TIMEOUT_MS + self->receive_lag_ms);
  g_source_set_callback (self->finish_timeout, on_finish_timeout, self, NULL);
  g_source_attach (self->finish_timeout, self->context);
  unlink_branch (self, 0);
  if (self->receive_lag_ms == 0)
    unlink_branch (self, 1);
  else
    {
      /* what was received before now is still in the jitter buffer: wait for it */
      self->lag_timeout = g_timeout_source_new (self->receive_lag_ms);
      g_source_set_callback (self->lag_timeout, on_receive_lag_over, self, NULL);
      g_source_attach (self->lag_timeout, self->context);
    }
}

void
sips_audio_recorder_set_receive_lag (SipsAudioRecorder *self, guint ms)
{
  g_return_if_fail (SIPS_IS_AUDIO_RECORDER (self));
  self->receive_lag_ms = ms;
}

gboolean
sips_audio_recorder_is_finished (SipsAudioRecorder *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_RECORDER (self), TRUE);
  return self->finished;
}
