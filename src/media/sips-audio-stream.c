/* sips-audio-stream.c: a session's audio media: lifecycle, hold, DTMF, recording, reports
 * (the pipeline itself is built in sips-audio-pipeline.c) */
#include "media/sips-audio-stream-private.h"

#include <string.h>
#include <glib/gi18n.h>
#include "core/sips-error.h"
#include "media/sips-audio-capture.h"
#include "media/sips-bus-watch.h"

#define STOP_GRACE_MS 2000

enum {
  PROP_0,
  PROP_CODEC,
  PROP_SAMPLE_RATE,
  PROP_REMOTE_ADDRESS_RECEIVED,
  PROP_REMOTE_PORT_RECEIVED,
  PROP_AUDIO_WAS_RECEIVED,
  PROP_SRTP_ACTIVE,
  PROP_RUNNING,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_GOT_DTMF,
  SIGNAL_GOT_NO_AUDIO,
  SIGNAL_RTP_TIMEOUT,
  SIGNAL_ERROR,
  SIGNAL_RECORDING_STOPPED,
  SIGNAL_STOPPED,
  SIGNAL_FILE_STARTED,
  SIGNAL_FILE_STOPPED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipsAudioStream, sips_audio_stream, G_TYPE_OBJECT)

static gboolean start_pipeline (SipsAudioStream *self, GError **error);
static void finish_teardown (SipsAudioStream *self);
static void report_error (SipsAudioStream *self, GError *error);

/* ---- private helpers ---- */

static gboolean
is_held (SipsAudioStream *self)
{
  return self->local_hold || self->remote_hold;
}

static void
apply_hold (SipsAudioStream *self)
{
  if (self->pipeline == NULL)
    return;
  g_object_set (self->send_valve, "drop", is_held (self), NULL);
  g_object_set (self->play_valve, "drop", self->local_hold, NULL);
  if (self->recorder != NULL)
    sips_audio_recorder_set_paused (self->recorder, is_held (self));
}

static void
report_error (SipsAudioStream *self, GError *error)
{
  if (self->error_reported || self->stopping)
    return;
  self->error_reported = TRUE;
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

static void
on_recorder_finished (SipsAudioRecorder *recorder, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  g_autoptr(SipsAudioRecorder) done = g_steal_pointer (&self->recorder);
  g_autofree char *path = g_strdup (sips_audio_recorder_get_path (done));

  g_signal_handlers_disconnect_by_data (done, self);
  g_signal_emit (self, signals[SIGNAL_RECORDING_STOPPED], 0, path);
  if (self->stopping && self->playback_done)
    finish_teardown (self);
}

/* ---- timers ---- */

static void
on_no_audio_timeout (gpointer user_data)
{
  SipsAudioStream *self = user_data;

  self->no_audio_deadline = NULL;
  if (!self->audio_was_received)
    g_signal_emit (self, signals[SIGNAL_GOT_NO_AUDIO], 0);
}

void
sips_audio_stream_rtp_check (SipsAudioStream *self)
{
  gint64 silent = g_get_monotonic_time () - sips_audio_stream_last_rx (self);

  if (is_held (self) || silent < (gint64) self->config->rtp_timeout * G_USEC_PER_SEC)
    self->timeout_reported = FALSE;
  else if (!self->timeout_reported)
    {
      self->timeout_reported = TRUE;
      g_signal_emit (self, signals[SIGNAL_RTP_TIMEOUT], 0, self->config->rtp_timeout);
    }
}

/* ---- teardown ---- */

static void
on_release (GstElement *pipeline, gpointer user_data)
{
  /* nothing: gst_element_call_async() drops its reference after this */
}

/* Back on our context once the pipeline is in NULL: it goes, then the stream restarts
 * with the configuration an update left meanwhile, or reports "stopped". */
static gboolean
on_teardown_done (gpointer user_data)
{
  SipsAudioStream *self = user_data;
  g_autoptr(SipsAudioConfig) next = g_steal_pointer (&self->pending);

  GstElement *pipeline = g_steal_pointer (&self->pipeline);

  sips_audio_stream_drop_pipeline (self);  /* only the element pointers go */
  if (pipeline != NULL)
    {
      /* in NULL already: its last reference goes on the pool thread too (finalising a
       * call's elements and pads cost the main loop ~6 % of its time at 100 calls/s) */
      gst_element_call_async (pipeline, on_release, NULL, NULL);
      gst_object_unref (pipeline);
    }
  self->stopping = FALSE;

  if (next != NULL)
    {
      g_autoptr(GError) error = NULL;

      sips_audio_config_free (self->config);
      self->config = g_steal_pointer (&next);
      if (!start_pipeline (self, &error))
        {
          g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
          report_error (self, error);
        }
    }
  else
    {
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SRTP_ACTIVE]);
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
    }
  g_object_unref (self);  /* the reference begin_teardown took */
  return G_SOURCE_REMOVE;
}

/* On a GStreamer pool thread: the NULL state change joins the streaming threads and
 * deactivates every pad, which would hold the main loop (a few ms per call). */
static void
pipeline_to_null (GstElement *pipeline, gpointer user_data)
{
  SipsAudioStream *self = user_data;
  GSource *source = g_idle_source_new ();

  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_source_set_callback (source, on_teardown_done, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
finish_teardown (SipsAudioStream *self)
{
  sips_deadline_clear (&self->stop_deadline);
  if (self->recorder != NULL)  /* it did not finish in time: drop it, the file is what it is */
    {
      g_autoptr(SipsAudioRecorder) recorder = g_steal_pointer (&self->recorder);
      g_signal_handlers_disconnect_by_data (recorder, self);
      g_signal_emit (self, signals[SIGNAL_RECORDING_STOPPED], 0, sips_audio_recorder_get_path (recorder));
    }
  g_clear_pointer (&self->bus_watch, sips_bus_watch_remove);
  /* still "stopping" until on_teardown_done(): an update meanwhile becomes pending */
  if (self->pipeline != NULL && self->starting)
    self->null_after_start = TRUE;  /* after the PLAYING change: never both at once */
  else if (self->pipeline != NULL)
    gst_element_call_async (self->pipeline, pipeline_to_null, self, NULL);
  else
    on_teardown_done (self);
}

static void
on_stop_grace_over (gpointer user_data)
{
  SipsAudioStream *self = user_data;

  self->stop_deadline = NULL;
  g_debug ("audio stream: EOS did not come through in time, stopping anyway");
  finish_teardown (self);
}

/* EOS straight into the playback branch: it may never have seen a packet, then it first
 * gets the events a stream starts with (a file device ends as an empty WAV) */
static void
send_playback_eos (GstElement *playback, gpointer user_data)
{
  g_autoptr(GstPad) playback_sink = gst_element_get_static_pad (playback, "sink");

  if (!gst_pad_has_current_caps (playback_sink))
    {
      g_autoptr(GstCaps) caps = gst_caps_new_simple ("audio/x-raw", "format", G_TYPE_STRING, "S16LE",
                                                     "layout", G_TYPE_STRING, "interleaved",
                                                     "channels", G_TYPE_INT, 1,
                                                     "rate", G_TYPE_INT, (gint) GPOINTER_TO_UINT (user_data),
                                                     NULL);
      GstSegment segment;

      gst_segment_init (&segment, GST_FORMAT_TIME);
      gst_pad_send_event (playback_sink, gst_event_new_stream_start ("sips-audio-playback"));
      gst_pad_send_event (playback_sink, gst_event_new_caps (caps));
      gst_pad_send_event (playback_sink, gst_event_new_segment (&segment));
    }
  gst_pad_send_event (playback_sink, gst_event_new_eos ());
}

/* EOS into the playback branch from a GStreamer pool thread: a sink still prerolling
 * would hold the caller until the pipeline is PLAYING (there is no queue before it) */
static void
send_playback_eos_async (SipsAudioStream *self)
{
  gst_element_call_async (self->playback, send_playback_eos,
                          GUINT_TO_POINTER (self->codec->sample_rate), NULL);
}

static void
begin_teardown (SipsAudioStream *self)
{
  g_object_ref (self);
  if (self->player != NULL)
    sips_audio_file_player_stop (self->player);
  self->stopping = TRUE;
  /* RTCP BYE, then the sinks drop from now on; the rest drains (a recording gets its end) */
  if (self->rtcp != NULL)
    sips_audio_rtcp_send (self->rtcp, TRUE);
  g_atomic_int_set (&self->send_stopped, 1);
  /* nothing more goes down the send path: the capture's thread serves the live calls */
  if (self->input != NULL)
    sips_audio_input_src_detach (self->input);
  self->playback_done = FALSE;
  sips_deadline_clear (&self->no_audio_deadline);
  sips_audio_stream_check_remove (self);
  sips_audio_stream_dtmf_clear (self);
  self->stop_deadline = sips_deadline_add (self->context, STOP_GRACE_MS, on_stop_grace_over, self);
  if (self->recorder != NULL)
    sips_audio_recorder_finish (self->recorder);
  if (self->starting)
    self->eos_after_start = TRUE;
  else
    send_playback_eos_async (self);
}

/* ---- the bus ---- */

/* An error of the platform default device ("" in the settings, no sound card): the
 * pipeline is rebuilt with a silent source / discarding sink instead of failing. */
static gboolean
default_device_failed (SipsAudioStream *self, GstObject *source)
{
  gboolean input;

  if (self->pipeline == NULL)
    return FALSE;
  if (self->input != NULL && *self->config->input_device == '\0' &&
      (source == GST_OBJECT (self->input) || gst_object_has_as_ancestor (source, GST_OBJECT (self->input))))
    input = TRUE;
  else if (self->output != NULL && *self->config->output_device == '\0' &&
           (source == GST_OBJECT (self->output) ||
            gst_object_has_as_ancestor (source, GST_OBJECT (self->output))))
    input = FALSE;
  else
    return FALSE;
  /* Remembered also when the error comes as this stream ends (a short call): else every
   * stream would probe the missing device again (the autodetection tries each). */
  sips_audio_device_default_failed (input);
  if (self->stopping)
    return FALSE;
  g_message ("The default audio %s does not work: using %s", input ? "input" : "output",
             input ? "silence" : "none");
  g_clear_pointer (&self->pending, sips_audio_config_free);
  self->pending = sips_audio_config_copy (self->config);
  begin_teardown (self);
  return TRUE;
}

static void
on_dtmf_message (SipsAudioStream *self, const GstStructure *s)
{
  gint number = -1;
  char digit[2] = { 0, 0 };

  if (!gst_structure_get_int (s, "number", &number) || number < 0 || number > 15)
    return;
  digit[0] = sips_audio_dtmf_digits[number];
  g_signal_emit (self, signals[SIGNAL_GOT_DTMF], 0, digit);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  SipsAudioStream *self = user_data;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *debug = NULL;

        gst_message_parse_error (message, &error, &debug);
        g_debug ("audio stream error from %s: %s (%s)", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
                 error->message, debug != NULL ? debug : "");
        if (!default_device_failed (self, GST_MESSAGE_SRC (message)))
          report_error (self, error);
        break;
      }
    case GST_MESSAGE_WARNING:
      {
        g_autoptr(GError) warning = NULL;

        gst_message_parse_warning (message, &warning, NULL);
        g_debug ("audio stream warning: %s", warning->message);
        break;
      }
    case GST_MESSAGE_ELEMENT:
      {
        const GstStructure *s = gst_message_get_structure (message);
        GstMessage *inner = NULL;

        if (gst_structure_has_name (s, "dtmf-event"))
          on_dtmf_message (self, s);
        else if (gst_structure_has_name (s, "GstBinForwarded") &&
                 gst_structure_get (s, "message", GST_TYPE_MESSAGE, &inner, NULL))
          {
            if (GST_MESSAGE_TYPE (inner) == GST_MESSAGE_EOS &&
                GST_MESSAGE_SRC (inner) == GST_OBJECT (self->playback) && self->stopping &&
                !self->playback_done)
              {
                self->playback_done = TRUE;
                if (self->recorder == NULL)
                  finish_teardown (self);
              }
            gst_message_unref (inner);
          }
        break;
      }
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* What on_bus_message() looks at; the rest (state changes of every element, stream
 * status, latency...) is dropped on the posting thread. */
static gboolean
is_wanted_message (GstMessage *message)
{
  const GstStructure *s;
  const GValue *inner;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:
      return TRUE;
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (message);
      if (gst_structure_has_name (s, "dtmf-event"))
        return TRUE;
      if (!gst_structure_has_name (s, "GstBinForwarded"))
        return FALSE;
      inner = gst_structure_get_value (s, "message");
      return inner != NULL && G_VALUE_HOLDS (inner, GST_TYPE_MESSAGE) &&
             GST_MESSAGE_TYPE (g_value_get_boxed (inner)) == GST_MESSAGE_EOS;
    default:
      return FALSE;
    }
}

struct _SipsAudioStart {
  SipsAudioStream *self;
  GMutex           lock;
  GCond            cond;
  gboolean         done;     /* under lock: the state change returned */
  gboolean         ok;
  gboolean         handled;  /* our context has seen the result */
};
typedef struct _SipsAudioStart Started;

/* On our context once the pipeline is PLAYING (or could not be): what a stop asked for
 * meanwhile happens now, in order. */
static void
finish_start (Started *started)
{
  SipsAudioStream *self = started->self;

  started->handled = TRUE;
  self->starting = FALSE;
  self->start = NULL;
  if (self->null_after_start)
    {
      self->null_after_start = self->eos_after_start = FALSE;
      gst_element_call_async (self->pipeline, pipeline_to_null, self, NULL);
    }
  else if (self->eos_after_start)
    {
      self->eos_after_start = FALSE;
      send_playback_eos_async (self);
    }
  else if (!started->ok && !self->stopping)
    {
      g_autoptr(GError) error = g_error_new_literal (SIPS_ERROR, SIPS_ERROR_FAILED,
                                                     _("Cannot start the audio pipeline"));

      report_error (self, error);
    }
}

static gboolean
on_started (gpointer user_data)
{
  Started *started = user_data;

  if (!started->handled)
    finish_start (started);
  return G_SOURCE_REMOVE;
}

static void
started_free (gpointer data)
{
  Started *started = data;

  g_object_unref (started->self);
  g_mutex_clear (&started->lock);
  g_cond_clear (&started->cond);
  g_free (started);
}

void
sips_audio_stream_wait_started (SipsAudioStream *self)
{
  Started *started = self->start;

  if (started == NULL)
    return;
  g_mutex_lock (&started->lock);
  while (!started->done)
    g_cond_wait (&started->cond, &started->lock);
  g_mutex_unlock (&started->lock);
  finish_start (started);  /* on_started() will find it handled */
}

/* On a GStreamer pool thread: READY -> PLAYING activates every pad and starts the
 * streaming threads, a third of what a call cost the main loop. */
static void
pipeline_to_playing (GstElement *pipeline, gpointer user_data)
{
  Started *started = user_data;
  GSource *source = g_idle_source_new ();

  gboolean ok = gst_element_set_state (pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;

  g_mutex_lock (&started->lock);
  started->ok = ok;
  started->done = TRUE;
  g_cond_signal (&started->cond);
  g_mutex_unlock (&started->lock);
  g_source_set_callback (source, on_started, started, started_free);
  g_source_attach (source, started->self->context);
  g_source_unref (source);
}

static gboolean
start_pipeline (SipsAudioStream *self, GError **error)
{
  Started *started;
  g_autoptr(GstBus) bus = NULL;

  if (!sips_audio_stream_build_pipeline (self, error))
    return FALSE;
  bus = gst_element_get_bus (self->pipeline);
  self->bus_watch = sips_bus_watch_new (bus, self->context, is_wanted_message, on_bus_message, self);
  self->error_reported = FALSE;
  self->timeout_reported = FALSE;
  apply_hold (self);
  /* a failure is reported by "error" (and the bus), as any later one */
  started = g_new0 (Started, 1);
  started->self = g_object_ref (self);
  g_mutex_init (&started->lock);
  g_cond_init (&started->cond);
  self->start = started;
  self->starting = TRUE;
  gst_element_call_async (self->pipeline, pipeline_to_playing, started, NULL);
  sips_audio_stream_set_last_rx (self, g_get_monotonic_time ());
  if (!self->audio_was_received && self->no_audio_deadline == NULL)
    self->no_audio_deadline = sips_deadline_add (self->context, self->config->no_audio_timeout,
                                                 on_no_audio_timeout, self);
  sips_audio_stream_check_add (self);  /* RTCP, and the RTP timeout if on */
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CODEC]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SAMPLE_RATE]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SRTP_ACTIVE]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RUNNING]);
  return TRUE;
}

/* ---- called by the pipeline's probes, on our context ---- */

void
sips_audio_stream_audio_received (SipsAudioStream *self)
{
  if (self->audio_was_received)
    return;
  self->audio_was_received = TRUE;
  sips_deadline_clear (&self->no_audio_deadline);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_AUDIO_WAS_RECEIVED]);
}

void
sips_audio_stream_address_received (SipsAudioStream *self, const char *address, guint port)
{
  if (g_strcmp0 (address, self->remote_address_received) == 0 && port == self->remote_port_received)
    return;
  g_free (self->remote_address_received);
  self->remote_address_received = g_strdup (address);
  self->remote_port_received = port;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_REMOTE_ADDRESS_RECEIVED]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_REMOTE_PORT_RECEIVED]);
}

/* ---- GObject ---- */

static void
sips_audio_stream_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  SipsAudioStream *self = SIPS_AUDIO_STREAM (object);

  switch (prop_id)
    {
    case PROP_CODEC:
      g_value_set_string (value, self->config != NULL ? self->config->codec : "");
      break;
    case PROP_SAMPLE_RATE:
      g_value_set_uint (value, self->codec != NULL ? self->codec->sample_rate : 0);
      break;
    case PROP_REMOTE_ADDRESS_RECEIVED:
      g_value_set_string (value, sips_audio_stream_get_remote_address_received (self));
      break;
    case PROP_REMOTE_PORT_RECEIVED:
      g_value_set_uint (value, self->remote_port_received);
      break;
    case PROP_AUDIO_WAS_RECEIVED:
      g_value_set_boolean (value, self->audio_was_received);
      break;
    case PROP_SRTP_ACTIVE:
      g_value_set_boolean (value, sips_audio_stream_get_srtp_active (self));
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, sips_audio_stream_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sips_audio_stream_dispose (GObject *object)
{
  SipsAudioStream *self = SIPS_AUDIO_STREAM (object);

  sips_deadline_clear (&self->no_audio_deadline);
  sips_audio_stream_check_remove (self);
  sips_deadline_clear (&self->stop_deadline);
  sips_audio_stream_dtmf_clear (self);
  g_clear_pointer (&self->bus_watch, sips_bus_watch_remove);
  if (self->recorder != NULL)
    g_signal_handlers_disconnect_by_data (self->recorder, self);
  sips_audio_stream_drop_pipeline (self);
  g_clear_object (&self->recorder);
  G_OBJECT_CLASS (sips_audio_stream_parent_class)->dispose (object);
}

static void
sips_audio_stream_finalize (GObject *object)
{
  SipsAudioStream *self = SIPS_AUDIO_STREAM (object);

  g_queue_clear (&self->dtmf_queue);
  g_clear_pointer (&self->config, sips_audio_config_free);
  g_clear_pointer (&self->pending, sips_audio_config_free);
  g_clear_object (&self->rtp_socket);
  g_clear_object (&self->rtcp_socket);
  g_free (self->remote_address_received);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (sips_audio_stream_parent_class)->finalize (object);
}

static void
sips_audio_stream_class_init (SipsAudioStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = sips_audio_stream_get_property;
  object_class->dispose = sips_audio_stream_dispose;
  object_class->finalize = sips_audio_stream_finalize;

  props[PROP_CODEC] = g_param_spec_string ("codec", NULL, NULL, "", flags);
  props[PROP_SAMPLE_RATE] = g_param_spec_uint ("sample-rate", NULL, NULL, 0, G_MAXUINT, 0, flags);
  props[PROP_REMOTE_ADDRESS_RECEIVED] = g_param_spec_string ("remote-address-received", NULL, NULL, "", flags);
  props[PROP_REMOTE_PORT_RECEIVED] = g_param_spec_uint ("remote-port-received", NULL, NULL, 0, 65535, 0, flags);
  props[PROP_AUDIO_WAS_RECEIVED] = g_param_spec_boolean ("audio-was-received", NULL, NULL, FALSE, flags);
  props[PROP_SRTP_ACTIVE] = g_param_spec_boolean ("srtp-active", NULL, NULL, FALSE, flags);
  props[PROP_RUNNING] = g_param_spec_boolean ("running", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_GOT_DTMF] = g_signal_new ("got-dtmf", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_GOT_NO_AUDIO] = g_signal_new ("got-no-audio", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_RTP_TIMEOUT] = g_signal_new ("rtp-timeout", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                              0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_RECORDING_STOPPED] = g_signal_new ("recording-stopped", G_TYPE_FROM_CLASS (klass),
                                                    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                    G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FILE_STARTED] = g_signal_new ("file-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_FILE_STOPPED] = g_signal_new ("file-stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                               G_TYPE_STRING, G_TYPE_BOOLEAN);
  if (!gst_is_initialized ())
    gst_init (NULL, NULL);
}

static void
sips_audio_stream_init (SipsAudioStream *self)
{
  self->context = g_main_context_ref_thread_default ();
  g_queue_init (&self->dtmf_queue);
}

/* ---- public API ---- */

SipsAudioStream *
sips_audio_stream_new (GSocket *rtp_socket, GSocket *rtcp_socket)
{
  SipsAudioStream *self;

  g_return_val_if_fail (G_IS_SOCKET (rtp_socket) && G_IS_SOCKET (rtcp_socket), NULL);
  self = g_object_new (SIPS_TYPE_AUDIO_STREAM, NULL);
  self->rtp_socket = g_object_ref (rtp_socket);
  self->rtcp_socket = g_object_ref (rtcp_socket);
  return self;
}

gboolean
sips_audio_stream_start (SipsAudioStream *self, const SipsAudioStreamConfig *config, GError **error)
{
  g_autoptr(SipsAudioConfig) validated = NULL;

  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self) && config != NULL, FALSE);

  if (self->pipeline != NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE, _("The audio stream runs already"));
      return FALSE;
    }
  if ((validated = sips_audio_config_validate (config, error)) == NULL)
    return FALSE;
  g_clear_pointer (&self->config, sips_audio_config_free);
  self->config = g_steal_pointer (&validated);
  return start_pipeline (self, error);
}

gboolean
sips_audio_stream_update (SipsAudioStream *self, const SipsAudioStreamConfig *config, GError **error)
{
  g_autoptr(SipsAudioConfig) validated = NULL;

  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self) && config != NULL, FALSE);

  if (self->pipeline == NULL)
    return sips_audio_stream_start (self, config, error);
  if ((validated = sips_audio_config_validate (config, error)) == NULL)
    return FALSE;
  if (self->stopping || sips_audio_config_needs_rebuild (self->config, validated))
    {
      g_clear_pointer (&self->pending, sips_audio_config_free);
      self->pending = g_steal_pointer (&validated);
      if (!self->stopping)
        begin_teardown (self);
      return TRUE;
    }
  if (validated->ice_agent == NULL)  /* under ICE the agent picks the destination */
    {
      g_object_set (self->rtp_sink, "host", validated->remote_address, "port", (gint) validated->remote_port, NULL);
      g_object_set (self->rtcp_sink, "host", validated->remote_address, "port", (gint) validated->remote_rtcp_port, NULL);
    }
  validated->rtp_timeout = self->config->rtp_timeout;  /* the running timers keep theirs */
  g_clear_pointer (&self->config, sips_audio_config_free);
  self->config = g_steal_pointer (&validated);
  return TRUE;
}

void
sips_audio_stream_set_hold (SipsAudioStream *self, gboolean local_hold, gboolean remote_hold)
{
  g_return_if_fail (SIPS_IS_AUDIO_STREAM (self));

  if (is_held (self) && !(local_hold || remote_hold))
    sips_audio_stream_set_last_rx (self, g_get_monotonic_time ());  /* the timeout restarts */
  self->local_hold = local_hold;
  self->remote_hold = remote_hold;
  apply_hold (self);
}

gboolean
sips_audio_stream_start_recording (SipsAudioStream *self, const char *path, GError **error)
{
  g_autoptr(SipsAudioRecorder) recorder = NULL;

  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self) && path != NULL, FALSE);

  sips_audio_stream_wait_started (self);
  if (self->pipeline == NULL || self->stopping || self->recorder != NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE,
                           self->recorder != NULL ? _("Already recording") : _("No running audio stream"));
      return FALSE;
    }
  recorder = sips_audio_recorder_new (path, self->codec->sample_rate);
  sips_audio_recorder_set_receive_lag (recorder, JITTER_LATENCY_MS + 20);
  if (!sips_audio_recorder_attach (recorder, GST_BIN (self->pipeline), self->send_tee, self->recv_tee, error))
    return FALSE;
  sips_audio_recorder_set_paused (recorder, is_held (self));
  g_signal_connect (recorder, "finished", G_CALLBACK (on_recorder_finished), self);
  self->recorder = g_steal_pointer (&recorder);
  return TRUE;
}

gboolean
sips_audio_stream_stop_recording (SipsAudioStream *self, GError **error)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), FALSE);

  if (self->recorder == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE, _("Not recording"));
      return FALSE;
    }
  sips_audio_recorder_finish (self->recorder);
  return TRUE;
}

const char *
sips_audio_stream_get_recording_path (SipsAudioStream *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), NULL);
  return self->recorder != NULL ? sips_audio_recorder_get_path (self->recorder) : NULL;
}

void
sips_audio_stream_stop (SipsAudioStream *self)
{
  g_return_if_fail (SIPS_IS_AUDIO_STREAM (self));

  g_clear_pointer (&self->pending, sips_audio_config_free);
  if (self->stopping)
    return;
  if (self->pipeline == NULL)
    {
      g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
      return;
    }
  begin_teardown (self);
}

gboolean
sips_audio_stream_get_running (SipsAudioStream *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), FALSE);
  return self->pipeline != NULL && !self->stopping;
}

gboolean
sips_audio_stream_get_audio_was_received (SipsAudioStream *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), FALSE);
  return self->audio_was_received;
}

gboolean
sips_audio_stream_get_srtp_active (SipsAudioStream *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), FALSE);
  return self->pipeline != NULL && self->config != NULL && self->config->local_crypto != NULL;
}

const char *
sips_audio_stream_get_remote_address_received (SipsAudioStream *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), NULL);
  return self->remote_address_received != NULL ? self->remote_address_received : "";
}

guint
sips_audio_stream_get_remote_port_received (SipsAudioStream *self)
{
  g_return_val_if_fail (SIPS_IS_AUDIO_STREAM (self), 0);
  return self->remote_port_received;
}
