/* sips-audio-capture.c: one capture pipeline per input device (and rate), shared by the
 * calls: a SipsAudioInputSrc in each call's pipeline gets the capture's 20 ms chunks.
 *
 * A device per call cost each call a streaming thread, the device's own elements and a
 * conversion chain (~70 KiB and a thread stack per call end), a bin description parsed at
 * every set-up, and a sound card that can be opened once served one call. Here the
 * capture's streaming thread, paced by its appsink (sync=true) at the device's rate,
 * hands every chunk to each PLAYING source; the calls' chains are short and never wait
 * (the RTP sink's sync finds the chunk on time), so one thread serves all. */
#include "media/sips-audio-capture.h"

#include <glib/gi18n.h>
#include <gst/app/gstappsink.h>
#include "core/sips-error.h"
#include "media/sips-audio-codec.h"
#include "media/sips-bus-watch.h"
#include "media/sips-live-src.h"

/* a packet's worth at the usual ptime: each chunk goes down every call's send chain once */
#define CHUNK_MS 20

typedef struct {
  gint        refs;       /* under captures_lock */
  gboolean    listed;     /* in captures (under captures_lock) */
  char       *key;
  GstElement *pipeline;
  GMutex      lock;       /* for what follows */
  GPtrArray  *playing;    /* SipsAudioInputSrc, borrowed: each leaves before it stops */
  gboolean    started;    /* set to PLAYING */
  GError     *error;      /* it failed: every source, also a later one, reports it */
} Capture;

struct _SipsAudioInputSrc
{
  GstElement  parent_instance;

  GstPad     *srcpad;
  GstCaps    *caps;
  Capture    *capture;
  gboolean    started;    /* stream-start, caps and segment pushed (capture thread) */
  gboolean    detached;   /* under the capture's lock: fed no more (its stream stops) */
};

G_DEFINE_FINAL_TYPE (SipsAudioInputSrc, sips_audio_input_src, GST_TYPE_ELEMENT)

static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw"));

static GMutex captures_lock;
static GHashTable *captures;  /* "rate description" -> Capture (borrowed) */
static gint n_captures;       /* atomic: alive */

/* ---- the capture ---- */

static void
unlist (Capture *c)
{
  g_mutex_lock (&captures_lock);
  if (c->listed)
    g_hash_table_remove (captures, c->key);
  c->listed = FALSE;
  g_mutex_unlock (&captures_lock);
}

static void
post_error (SipsAudioInputSrc *src, const GError *error, const char *debug)
{
  gst_element_post_message (GST_ELEMENT (src),
                            gst_message_new_error (GST_OBJECT (src), (GError *) error, debug));
}

/* Any thread: the device failed; every source says so, the next call opens it anew. */
static void
capture_fail (Capture *c, const GError *error, const char *debug)
{
  g_autoptr(GPtrArray) srcs = g_ptr_array_new_with_free_func (gst_object_unref);

  unlist (c);
  g_mutex_lock (&c->lock);
  if (c->error == NULL)
    c->error = g_error_copy (error);
  for (guint i = 0; i < c->playing->len; i++)
    g_ptr_array_add (srcs, gst_object_ref (c->playing->pdata[i]));
  g_mutex_unlock (&c->lock);
  for (guint i = 0; i < srcs->len; i++)
    post_error (srcs->pdata[i], error, debug);
}

static GstBusSyncReply
on_capture_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  Capture *c = user_data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (message, &error, &debug);
      g_debug ("audio capture %s: %s", c->key, error->message);
      capture_fail (c, error, debug);
    }
  else if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
    unlist (c);  /* a file as the input ended: the next call plays it from the start */
  gst_message_unref (message);  /* dropped: ours to unref */
  return GST_BUS_DROP;
}

static void src_push (SipsAudioInputSrc *self, GstBuffer *chunk);

/* The capture's streaming thread, at each chunk's time */
static GstFlowReturn
on_new_sample (GstAppSink *sink, gpointer user_data)
{
  static GPrivate srcs_key = G_PRIVATE_INIT ((GDestroyNotify) g_ptr_array_unref);
  Capture *c = user_data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GPtrArray *srcs = g_private_get (&srcs_key);
  GstBuffer *chunk = sample != NULL ? gst_sample_get_buffer (sample) : NULL;

  if (chunk == NULL)
    return GST_FLOW_OK;
  if (srcs == NULL)
    g_private_set (&srcs_key, (srcs = g_ptr_array_new ()));
  g_mutex_lock (&c->lock);
  for (guint i = 0; i < c->playing->len; i++)
    g_ptr_array_add (srcs, gst_object_ref (c->playing->pdata[i]));
  g_mutex_unlock (&c->lock);
  for (guint i = 0; i < srcs->len; i++)
    {
      src_push (srcs->pdata[i], chunk);
      gst_object_unref (srcs->pdata[i]);
    }
  g_ptr_array_set_size (srcs, 0);
  return GST_FLOW_OK;
}

static GstElement *
make (const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                 _("The GStreamer element “%s” is not installed"), factory);
  return element;
}

static Capture *
capture_build (const char *key, const char *description, guint rate, GError **error)
{
  g_autoptr(GstElement) device = sips_audio_device_make (description, TRUE, error);
  g_autoptr(GstElement) pipeline = NULL;
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstBus) bus = NULL;
  GstAppSinkCallbacks callbacks = { .new_sample = on_new_sample };
  GstElement *chain[5];
  const char *factories[] = { "audioconvert", "audioresample", "capsfilter", "audiobuffersplit",
                              "appsink" };
  Capture *c;

  if (device == NULL)
    return NULL;
  pipeline = gst_object_ref_sink (sips_bus_watch_pipeline_new ("sips-audio-capture"));
  gst_bin_add (GST_BIN (pipeline), device);  /* not floating: the bin takes its own ref */
  for (gsize i = 0; i < G_N_ELEMENTS (factories); i++)
    {
      if ((chain[i] = make (factories[i], error)) == NULL)
        return NULL;
      gst_bin_add (GST_BIN (pipeline), chain[i]);
    }
  caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                              "layout", G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, (gint) rate,
                              "channels", G_TYPE_INT, 1, NULL);
  g_object_set (chain[2], "caps", caps, NULL);
  g_object_set (chain[3], "output-buffer-duration", 1, 1000 / CHUNK_MS, NULL);
  /* sync: a chunk goes out when its audio has been captured (a device handing over
   * 128 ms at once still gives 10 ms every 10 ms), and a file plays in real time */
  g_object_set (chain[4], "sync", TRUE, "max-buffers", 8, "drop", TRUE, NULL);
  if (!gst_element_link_many (device, chain[0], chain[1], chain[2], chain[3], chain[4], NULL))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("The audio device “%s” gives no audio that can be converted"), description);
      return NULL;
    }

  c = g_new0 (Capture, 1);
  c->refs = 1;
  c->key = g_strdup (key);
  c->pipeline = g_steal_pointer (&pipeline);
  g_mutex_init (&c->lock);
  c->playing = g_ptr_array_new ();
  gst_app_sink_set_callbacks (GST_APP_SINK (chain[4]), &callbacks, c, NULL);
  bus = gst_element_get_bus (c->pipeline);
  sips_bus_watch_set_handler (bus, on_capture_message, c, NULL);
  g_atomic_int_inc (&n_captures);
  return c;
}

static Capture *
capture_get (const char *description, guint rate, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%u %s", rate, description);
  Capture *c;

  g_mutex_lock (&captures_lock);
  if (captures == NULL)
    captures = g_hash_table_new (g_str_hash, g_str_equal);
  c = g_hash_table_lookup (captures, key);
  if (c != NULL)
    c->refs++;
  else if ((c = capture_build (key, description, rate, error)) != NULL)
    {
      c->listed = TRUE;
      g_hash_table_insert (captures, c->key, c);
    }
  g_mutex_unlock (&captures_lock);
  return c;
}

/* A GStreamer pool thread: the NULL state change joins the capture's streaming thread */
static void
capture_free (GstElement *pipeline, gpointer user_data)
{
  Capture *c = user_data;
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  sips_bus_watch_drop_all (bus);  /* c goes */
  g_ptr_array_unref (c->playing);
  g_clear_error (&c->error);
  g_mutex_clear (&c->lock);
  g_free (c->key);
  gst_object_unref (c->pipeline);
  g_free (c);
  g_atomic_int_dec_and_test (&n_captures);
}

static void
capture_unref (Capture *c)
{
  gboolean last;

  g_mutex_lock (&captures_lock);
  last = --c->refs == 0;
  if (last && c->listed)
    g_hash_table_remove (captures, c->key);
  if (last)
    c->listed = FALSE;
  g_mutex_unlock (&captures_lock);
  if (last)
    gst_element_call_async (c->pipeline, capture_free, c, NULL);
}

/* A source's pipeline goes PLAYING (on a GStreamer pool thread, or wherever the stream
 * changes state): it gets chunks from now on, the first one starts the capture. */
static void
capture_add (Capture *c, SipsAudioInputSrc *src)
{
  g_autoptr(GError) error = NULL;
  gboolean start;

  g_mutex_lock (&c->lock);
  if (src->detached)
    {
      g_mutex_unlock (&c->lock);
      return;
    }
  if (c->error != NULL)
    error = g_error_copy (c->error);
  else
    g_ptr_array_add (c->playing, src);
  start = error == NULL && !c->started;
  c->started = TRUE;
  g_mutex_unlock (&c->lock);
  if (error != NULL)
    post_error (src, error, NULL);
  else if (start && gst_element_set_state (c->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      /* the device posted its error already (then this changes nothing), or did not */
      g_autoptr(GError) failed = g_error_new (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ,
                                              _("Cannot start the audio input “%s”"), c->key);
      capture_fail (c, failed, NULL);
    }
}

static void
capture_remove (Capture *c, SipsAudioInputSrc *src)
{
  g_mutex_lock (&c->lock);
  g_ptr_array_remove_fast (c->playing, src);
  g_mutex_unlock (&c->lock);
}

guint
sips_audio_capture_count (void)
{
  return (guint) g_atomic_int_get (&n_captures);
}

guint
sips_audio_capture_count_fed (void)
{
  g_autoptr(GList) list = NULL;
  guint n = 0;

  g_mutex_lock (&captures_lock);
  list = captures != NULL ? g_hash_table_get_values (captures) : NULL;
  for (GList *l = list; l != NULL; l = l->next)
    {
      Capture *c = l->data;

      g_mutex_lock (&c->lock);
      n += c->playing->len;
      g_mutex_unlock (&c->lock);
    }
  g_mutex_unlock (&captures_lock);
  return n;
}

/* ---- the source in a call's pipeline ---- */

/* The capture's streaming thread: the chunk, stamped "now" in this pipeline's running
 * time (it was just captured, as a device of its own would have stamped it). */
static void
src_push (SipsAudioInputSrc *self, GstBuffer *chunk)
{
  g_autoptr(GstClock) clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;
  GstBuffer *buffer;

  if (clock == NULL)
    return;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  buffer = gst_buffer_copy (chunk);  /* the memory is shared: only the metadata is ours */
  GST_BUFFER_PTS (buffer) = now > base ? now - base : 0;
  GST_BUFFER_DTS (buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_OFFSET (buffer) = GST_BUFFER_OFFSET_END (buffer) = GST_BUFFER_OFFSET_NONE;
  if (!self->started)
    {
      sips_live_src_push_stream_start (GST_ELEMENT (self), self->srcpad, self->caps);
      self->started = TRUE;
      GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    }
  else
    GST_BUFFER_FLAG_UNSET (buffer, GST_BUFFER_FLAG_DISCONT);
  gst_pad_push (self->srcpad, buffer);  /* FLUSHING while stopping: nothing to do */
}

static void
on_playing (GstElement *element)
{
  capture_add (SIPS_AUDIO_INPUT_SRC (element)->capture, SIPS_AUDIO_INPUT_SRC (element));
}

static void
on_stopping (GstElement *element)
{
  capture_remove (SIPS_AUDIO_INPUT_SRC (element)->capture, SIPS_AUDIO_INPUT_SRC (element));
}

static GstStateChangeReturn
sips_audio_input_src_change_state (GstElement *element, GstStateChange transition)
{
  return sips_live_src_change_state (element, transition,
                                     GST_ELEMENT_CLASS (sips_audio_input_src_parent_class),
                                     &SIPS_AUDIO_INPUT_SRC (element)->started, on_playing, on_stopping);
}

/* chunks come stamped with the time they are pushed: never late */
static gboolean
on_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  return sips_live_src_query (pad, parent, query, SIPS_AUDIO_INPUT_SRC (parent)->caps);
}

static void
sips_audio_input_src_finalize (GObject *object)
{
  SipsAudioInputSrc *self = SIPS_AUDIO_INPUT_SRC (object);

  if (self->capture != NULL)
    {
      capture_remove (self->capture, self);  /* it never left PLAYING (a failed start) */
      capture_unref (self->capture);
    }
  g_clear_pointer (&self->caps, gst_caps_unref);
  G_OBJECT_CLASS (sips_audio_input_src_parent_class)->finalize (object);
}

static void
sips_audio_input_src_class_init (SipsAudioInputSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->finalize = sips_audio_input_src_finalize;
  element_class->change_state = sips_audio_input_src_change_state;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Shared audio input", "Source/Audio",
                                         "An input device's audio, captured once for every call",
                                         "sipsimpled");
}

static void
sips_audio_input_src_init (SipsAudioInputSrc *self)
{
  self->srcpad = sips_live_src_add_pad (GST_ELEMENT (self), &src_template, on_src_query);
}

void
sips_audio_input_src_detach (GstElement *element)
{
  SipsAudioInputSrc *self = SIPS_AUDIO_INPUT_SRC (element);

  g_mutex_lock (&self->capture->lock);
  self->detached = TRUE;
  g_ptr_array_remove_fast (self->capture->playing, self);
  g_mutex_unlock (&self->capture->lock);
}

GstElement *
sips_audio_input_src_new (const char *description, guint rate, GError **error)
{
  Capture *capture = capture_get (sips_audio_device_effective (description, TRUE), rate, error);
  SipsAudioInputSrc *self;

  if (capture == NULL)
    return NULL;
  self = gst_object_ref_sink (g_object_new (SIPS_TYPE_AUDIO_INPUT_SRC, NULL));
  self->capture = capture;
  self->caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                                    "layout", G_TYPE_STRING, "interleaved",
                                    "rate", G_TYPE_INT, (gint) rate, "channels", G_TYPE_INT, 1, NULL);
  return GST_ELEMENT (self);
}
