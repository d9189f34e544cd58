/* test-audio-play.c: sips_audio_stream_play_file over loopback RTP: a WAV (44.1 kHz
 * stereo) and an Ogg/Opus file replace the input device at the peer, then the device
 * is heard again; loop, stop, replace, bad files, a recording captures the file.
 * What arrives is measured (Goertzel): the peer's output device writes a WAV. */
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>

#include "core/sips-error.h"
#include "media/sips-audio-stream.h"
#include "test-audio-util.h"

#define DEVICE_HZ 1000

typedef struct {
  char     *dir;
  TestPeer  a;        /* plays files, its device a DEVICE_HZ sine */
  TestPeer  b;        /* silent, writes what it receives */
  GPtrArray *started; /* paths of "file-started" */
  GPtrArray *stopped; /* "path:1" / "path:0" of "file-stopped" */
} Call;

static void
on_file_started (SipsAudioStream *stream, const char *path, gpointer user_data)
{
  g_ptr_array_add (((Call *) user_data)->started, g_strdup (path));
}

static void
on_file_stopped (SipsAudioStream *stream, const char *path, gboolean completed, gpointer user_data)
{
  g_ptr_array_add (((Call *) user_data)->stopped, g_strdup_printf ("%s:%d", path, completed));
}

#define PEER_HZ 300

/* B sends PEER_HZ when peer_tone, else silence. */
static void
call_start_with (Call *call, const char *codec, guint pt, gboolean peer_tone)
{
  SipsAudioStreamConfig ca, cb;

  call->dir = test_tmpdir_new ();
  call->started = g_ptr_array_new_with_free_func (g_free);
  call->stopped = g_ptr_array_new_with_free_func (g_free);
  test_peer_init (&call->a, call->dir, "a");
  test_peer_init (&call->b, call->dir, "b");
  g_signal_connect (call->a.stream, "file-started", G_CALLBACK (on_file_started), call);
  g_signal_connect (call->a.stream, "file-stopped", G_CALLBACK (on_file_stopped), call);
  ca = test_peer_config (&call->a, &call->b, codec, pt, DEVICE_HZ);
  cb = test_peer_config (&call->b, &call->a, codec, pt, peer_tone ? PEER_HZ : 0);
  test_peer_start (&call->b, &cb);
  test_peer_start (&call->a, &ca);
}

static void
call_start (Call *call, const char *codec, guint pt)
{
  call_start_with (call, codec, pt, FALSE);
}

/* Stops both and loads what B received. */
static void
call_finish (Call *call, TestWav *received)
{
  test_peer_stop (&call->a);
  test_peer_stop (&call->b);
  g_assert_false (call->a.error || call->b.error);
  test_wav_load (call->b.wav, received);
}

static void
call_clear (Call *call)
{
  test_peer_clear (&call->a);
  test_peer_clear (&call->b);
  test_tmpdir_remove (call->dir);
  g_free (call->dir);
  g_ptr_array_unref (call->started);
  g_ptr_array_unref (call->stopped);
}

/* Makes a file with GStreamer: a sine of freq for seconds through the encoder chain. */
static char *
make_file (const char *dir, const char *name, double freq, double seconds, const char *encode)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *desc = g_strdup_printf (
    "audiotestsrc wave=sine freq=%g volume=0.5 samplesperbuffer=441 num-buffers=%d "
    "! audio/x-raw,rate=44100,channels=2 ! audioconvert ! %s ! filesink location=%s",
    freq, (int) (seconds * 100), encode, path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr(GstBus) bus = NULL;
  g_autoptr(GstMessage) message = NULL;

  g_assert_no_error (error);
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return g_steal_pointer (&path);
}

static gboolean
wait_stopped (Call *call, guint n, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * 1000;

  while (call->stopped->len < n && g_get_monotonic_time () < end)
    test_run_for (20);
  return call->stopped->len >= n;
}

/* Seconds of 20 ms windows holding both tones: the file replaces the device, never mixes. */
static double
both_toned_seconds (const TestWav *wav, double f1, double f2)
{
  gsize window = wav->rate / 50, both = 0;

  for (gsize from = 0; from + window <= wav->n; from += window)
    if (test_wav_goertzel (wav, from, window, f1) >= 0.15 && test_wav_goertzel (wav, from, window, f2) >= 0.15)
      both++;
  return both * 0.02;
}

/* A 1.5 s 440 Hz WAV (44.1 kHz stereo, resampled to the codec) arrives, then the device. */
static void
run_wav (const char *codec, guint pt)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wav = NULL;
  g_autofree char *done = NULL;
  Call call;
  TestWav received;
  double file_s, device_s, tail_device;

  call_start (&call, codec, pt);
  wav = make_file (call.dir, "greeting.wav", 440, 1.5, "wavenc");
  test_run_for (500);
  g_assert_true (sips_audio_stream_play_file (call.a.stream, wav, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (call.started->len, ==, 1);
  g_assert_cmpstr (sips_audio_stream_get_playing_file (call.a.stream), ==, wav);
  g_assert_true (wait_stopped (&call, 1, 4000));
  done = g_strdup_printf ("%s:1", wav);
  g_assert_cmpstr (g_ptr_array_index (call.stopped, 0), ==, done);
  g_assert_null (sips_audio_stream_get_playing_file (call.a.stream));
  test_run_for (700);
  call_finish (&call, &received);

  file_s = test_wav_toned_seconds (&received, 440, 0.15);
  device_s = test_wav_toned_seconds (&received, DEVICE_HZ, 0.15);
  tail_device = test_wav_goertzel (&received, received.n - received.rate / 2, received.rate / 2, DEVICE_HZ);
  g_test_message ("%s: %.2f s received, 440 Hz %.2f s, device %.2f s, device at the end %.3f",
                  codec, test_wav_seconds (&received), file_s, device_s, tail_device);
  g_assert_cmpfloat (file_s, >=, 1.3);
  g_assert_cmpfloat (file_s, <=, 1.7);   /* played once, in real time */
  g_assert_cmpfloat (device_s, >=, 0.6);
  g_assert_cmpfloat (tail_device, >, 0.15);  /* the device is back */
  g_assert_cmpfloat (both_toned_seconds (&received, 440, DEVICE_HZ), <=, 0.1);
  test_wav_clear (&received);
  call_clear (&call);
}

static void
test_wav_pcmu (void)
{
  run_wav ("PCMU", 0);
}

static void
test_wav_opus (void)
{
  run_wav ("opus", 111);
}

/* Ogg/Opus, looped, replaced by a WAV, stopped; the recording at A holds what was sent. */
static void
test_loop_replace_stop (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ogg = NULL;
  g_autofree char *wav = NULL;
  g_autofree char *rec = NULL;
  g_autofree char *ogg_replaced = NULL;
  g_autofree char *wav_stopped = NULL;
  Call call;
  TestWav received, recorded;
  double ogg_s, wav_s;

  call_start_with (&call, "G722", 9, TRUE);
  ogg = make_file (call.dir, "short.ogg", 700, 0.5, "audioresample ! opusenc ! oggmux");
  wav = make_file (call.dir, "other.wav", 440, 3, "wavenc");
  rec = g_build_filename (call.dir, "rec.wav", NULL);
  test_run_for (300);
  g_assert_true (sips_audio_stream_start_recording (call.a.stream, rec, &error));
  g_assert_true (sips_audio_stream_play_file (call.a.stream, ogg, TRUE, &error));
  g_assert_no_error (error);
  test_run_for (1600);   /* three times round the 0.5 s file */
  g_assert_cmpuint (call.stopped->len, ==, 0);
  g_assert_true (sips_audio_stream_play_file (call.a.stream, wav, FALSE, &error));
  ogg_replaced = g_strdup_printf ("%s:0", ogg);
  g_assert_cmpuint (call.stopped->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (call.stopped, 0), ==, ogg_replaced);
  test_run_for (800);
  g_assert_true (sips_audio_stream_stop_file (call.a.stream, &error));
  g_assert_true (wait_stopped (&call, 2, 1000));
  wav_stopped = g_strdup_printf ("%s:0", wav);
  g_assert_cmpstr (g_ptr_array_index (call.stopped, 1), ==, wav_stopped);
  g_assert_false (sips_audio_stream_stop_file (call.a.stream, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
  g_clear_error (&error);
  test_run_for (500);
  g_assert_true (sips_audio_stream_stop_recording (call.a.stream, &error));
  g_assert_true (test_wait_for (&call.a.recording_stopped, 3000));
  call_finish (&call, &received);

  ogg_s = test_wav_toned_seconds (&received, 700, 0.15);
  wav_s = test_wav_toned_seconds (&received, 440, 0.15);
  g_test_message ("looped ogg %.2f s, wav %.2f s", ogg_s, wav_s);
  g_assert_cmpfloat (ogg_s, >=, 1.3);      /* looped: more than the file's 0.5 s */
  g_assert_cmpfloat (wav_s, >=, 0.6);
  g_assert_cmpfloat (wav_s, <=, 1.0);      /* stopped after 0.8 s of its 3 s */
  test_wav_load (rec, &recorded);
  g_test_message ("recording: 700 Hz %.2f s, 440 Hz %.2f s", test_wav_toned_seconds (&recorded, 700, 0.1),
                  test_wav_toned_seconds (&recorded, 440, 0.1));
  g_assert_cmpfloat (test_wav_toned_seconds (&recorded, 700, 0.1), >=, 1.3);
  g_assert_cmpfloat (test_wav_toned_seconds (&recorded, 440, 0.1), >=, 0.6);
  /* what A received is mixed in all along, file or not */
  g_test_message ("recording: peer %.2f s of %.2f s", test_wav_toned_seconds (&recorded, PEER_HZ, 0.1),
                  test_wav_seconds (&recorded));
  g_assert_cmpfloat (test_wav_toned_seconds (&recorded, PEER_HZ, 0.1), >=, test_wav_seconds (&recorded) - 0.3);
  test_wav_clear (&recorded);
  test_wav_clear (&received);
  call_clear (&call);
}

/* Not decodable, missing, relative: refused before anything changes; not running. */
static void
test_bad_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *missing = NULL;
  Call call;
  TestWav received;
  const char *bad[3];

  call_start (&call, "PCMA", 8);
  text = g_build_filename (call.dir, "notes.wav", NULL);
  g_assert_true (g_file_set_contents (text, "this is not a sound file at all\n", -1, NULL));
  missing = g_build_filename (call.dir, "missing.ogg", NULL);
  bad[0] = text, bad[1] = missing, bad[2] = "relative.wav";
  test_run_for (300);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (sips_audio_stream_play_file (call.a.stream, bad[i], FALSE, &error));
      g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  g_assert_cmpuint (call.started->len, ==, 0);
  test_run_for (500);
  call_finish (&call, &received);
  g_assert_cmpfloat (test_wav_toned_seconds (&received, DEVICE_HZ, 0.15), >=, 0.5);
  g_assert_false (sips_audio_stream_play_file (call.a.stream, text, FALSE, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
  test_wav_clear (&received);
  call_clear (&call);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/audio/play/wav-pcmu", test_wav_pcmu);
  g_test_add_func ("/audio/play/wav-opus", test_wav_opus);
  g_test_add_func ("/audio/play/loop-replace-stop", test_loop_replace_stop);
  g_test_add_func ("/audio/play/bad-files", test_bad_files);
  return g_test_run ();
}
