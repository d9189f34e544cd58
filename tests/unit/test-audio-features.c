/* test-audio-features.c: DTMF, hold, recording, no-audio and RTP-timeout reports, re-INVITE
 * updates and the ringtone player, over loopback RTP; recordings are measured */
#include <glib.h>

#include "core/sips-error.h"
#include "media/sips-audio-stream.h"
#include "media/sips-ringtone-player.h"
#include "test-audio-util.h"

typedef struct {
  char     *dir;
  TestPeer  a;
  TestPeer  b;
} Call;

/* A plays freq_a, B plays freq_b (0 = silence); both started. */
static void
call_start (Call *call, const char *codec, guint pt, double freq_a, double freq_b)
{
  SipsAudioStreamConfig ca, cb;

  call->dir = test_tmpdir_new ();
  test_peer_init (&call->a, call->dir, "a");
  test_peer_init (&call->b, call->dir, "b");
  ca = test_peer_config (&call->a, &call->b, codec, pt, freq_a);
  cb = test_peer_config (&call->b, &call->a, codec, pt, freq_b);
  test_peer_start (&call->b, &cb);
  test_peer_start (&call->a, &ca);
}

static void
call_stop (Call *call)
{
  test_peer_stop (&call->a);
  test_peer_stop (&call->b);
  g_assert_false (call->a.error || call->b.error);
}

static void
call_clear (Call *call)
{
  test_peer_clear (&call->a);
  test_peer_clear (&call->b);
  test_tmpdir_remove (call->dir);
  g_free (call->dir);
}

static gboolean
digits_arrived (Call *call, gsize n)
{
  return call->b.dtmf->len >= n;
}

static void
run_dtmf (const char *codec, guint pt)
{
  static const char *digits[] = { "1", "2", "3", "4", "#", "*", "A", "D", "0", "9" };
  g_autoptr(GError) error = NULL;
  Call call;
  gboolean timed_out = FALSE;
  guint timeout_id;

  call_start (&call, codec, pt, 1000, 0);
  test_run_for (300);
  for (gsize i = 0; i < G_N_ELEMENTS (digits); i++)
    {
      g_assert_true (sips_audio_stream_send_dtmf (call.a.stream, digits[i], &error));
      g_assert_no_error (error);
    }
  /* 160 ms per digit */
  timeout_id = g_timeout_add (5000, test_on_timeout, &timed_out);
  while (!digits_arrived (&call, G_N_ELEMENTS (digits)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);
  test_run_for (300);  /* no late duplicates */
  g_assert_cmpstr (call.b.dtmf->str, ==, "1234#*AD09");
  g_assert_cmpstr (call.a.dtmf->str, ==, "");

  for (gsize i = 0; i < 5; i++)
    {
      static const char *bad[] = { "E", "12", "", "x", " " };
      g_assert_false (sips_audio_stream_send_dtmf (call.a.stream, bad[i], &error));
      g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  call_stop (&call);
  call_clear (&call);
}

static void
test_dtmf_pcmu (void)
{
  run_dtmf ("PCMU", 0);
}

/* telephone-event/48000 next to opus */
static void
test_dtmf_opus (void)
{
  run_dtmf ("opus", 111);
}

/* A holds for 1 s of a 3 s call: B's recording has about 1 s less tone. */
static void
test_hold (void)
{
  Call call;
  TestWav wav;
  double toned;

  call_start (&call, "PCMU", 0, 1000, 0);
  test_run_for (1000);
  sips_audio_stream_set_hold (call.a.stream, TRUE, FALSE);
  sips_audio_stream_set_hold (call.b.stream, FALSE, TRUE);
  test_run_for (1000);
  sips_audio_stream_set_hold (call.a.stream, FALSE, FALSE);
  sips_audio_stream_set_hold (call.b.stream, FALSE, FALSE);
  test_run_for (1000);
  call_stop (&call);

  test_wav_load (call.b.wav, &wav);
  toned = test_wav_toned_seconds (&wav, 1000, 0.2);
  g_test_message ("hold: %.2f s in the file, %.2f s of tone", test_wav_seconds (&wav), toned);
  g_assert_cmpfloat (toned, >=, 1.5);
  g_assert_cmpfloat (toned, <=, 2.2);
  test_wav_clear (&wav);
  call_clear (&call);
}

/* A plays 440, B plays 1000; A records: both directions in one WAV, with a final header;
 * while held nothing is written. */
static void
test_recording (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *path2 = NULL;
  Call call;
  TestWav wav;
  double f440, f1000, f700;

  call_start (&call, "G722", 9, 440, 1000);
  path = g_build_filename (call.dir, "rec.wav", NULL);
  test_run_for (300);
  g_assert_true (sips_audio_stream_start_recording (call.a.stream, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (sips_audio_stream_get_recording_path (call.a.stream), ==, path);
  g_assert_false (sips_audio_stream_start_recording (call.a.stream, path, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
  g_clear_error (&error);
  test_run_for (1500);
  g_assert_true (sips_audio_stream_stop_recording (call.a.stream, &error));
  g_assert_true (test_wait_for (&call.a.recording_stopped, 3000));
  g_assert_null (sips_audio_stream_get_recording_path (call.a.stream));

  test_wav_load (path, &wav);
  f440 = test_wav_goertzel (&wav, 0, wav.n, 440);
  f1000 = test_wav_goertzel (&wav, 0, wav.n, 1000);
  f700 = test_wav_goertzel (&wav, 0, wav.n, 700);
  g_test_message ("recording: %u Hz %.2f s, 440: %.3f, 1000: %.3f, 700: %.3f", wav.rate,
                  test_wav_seconds (&wav), f440, f1000, f700);
  g_assert_cmpuint (wav.rate, ==, 16000);
  g_assert_cmpfloat (f440, >, 0.15);
  g_assert_cmpfloat (f1000, >, 0.15);
  g_assert_cmpfloat (f700, <, 0.02);
  g_assert_cmpfloat (test_wav_seconds (&wav), >=, 1.2);
  g_assert_cmpfloat (test_wav_seconds (&wav), <=, 1.9);
  test_wav_clear (&wav);

  /* second recording: 0.6 s, then 1 s on hold, then 0.6 s: ~1.2 s written */
  path2 = g_build_filename (call.dir, "rec2.wav", NULL);
  call.a.recording_stopped = FALSE;
  g_assert_true (sips_audio_stream_start_recording (call.a.stream, path2, &error));
  test_run_for (600);
  sips_audio_stream_set_hold (call.a.stream, TRUE, FALSE);
  test_run_for (1000);
  sips_audio_stream_set_hold (call.a.stream, FALSE, FALSE);
  test_run_for (600);
  /* stopping the stream finalises the recording too */
  call_stop (&call);
  g_assert_true (call.a.recording_stopped);
  test_wav_load (path2, &wav);
  g_test_message ("recording with hold: %.2f s", test_wav_seconds (&wav));
  g_assert_cmpfloat (test_wav_seconds (&wav), >=, 0.9);
  g_assert_cmpfloat (test_wav_seconds (&wav), <=, 1.5);
  test_wav_clear (&wav);
  call_clear (&call);
}

/* The remote sends nothing: got-no-audio once, and rtp-timeout. */
static void
test_no_audio (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  TestPeer a, silent;
  SipsAudioStreamConfig config;

  test_peer_init (&a, dir, "a");
  test_peer_init (&silent, dir, "silent");  /* its sockets are bound, nobody sends */
  config = test_peer_config (&a, &silent, "PCMA", 8, 1000);
  config.no_audio_timeout = 1000;
  config.rtp_timeout = 1;
  test_peer_start (&a, &config);
  g_assert_true (test_wait_for (&a.no_audio, 3000));
  g_assert_true (test_wait_for (&a.rtp_timeout, 3000));
  g_assert_false (sips_audio_stream_get_audio_was_received (a.stream));
  g_assert_cmpstr (sips_audio_stream_get_remote_address_received (a.stream), ==, "");
  test_peer_stop (&a);
  test_peer_clear (&a);
  test_peer_clear (&silent);
  test_tmpdir_remove (dir);
}

/* Re-INVITE results: a new destination applies live, a new codec rebuilds. */
static void
test_update (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *codec = NULL;
  Call call;
  TestPeer c;
  SipsAudioStreamConfig config, cc;
  gboolean rebuilt = FALSE;
  TestWav wav;

  call_start (&call, "PCMU", 0, 1000, 0);
  test_peer_init (&c, call.dir, "c");
  cc = test_peer_config (&c, &call.a, "PCMU", 0, 0);
  test_peer_start (&c, &cc);
  test_run_for (500);

  /* A now sends to C: same pipeline */
  config = test_peer_config (&call.a, &c, "PCMU", 0, 1000);
  g_assert_true (sips_audio_stream_update (call.a.stream, &config, &error));
  g_assert_no_error (error);
  g_assert_true (sips_audio_stream_get_running (call.a.stream));
  test_run_for (1000);
  test_peer_stop (&c);
  test_wav_load (c.wav, &wav);
  g_assert_cmpfloat (test_wav_toned_seconds (&wav, 1000, 0.2), >=, 0.6);
  test_wav_clear (&wav);

  /* a codec change: rebuilt, running again with it */
  config = test_peer_config (&call.a, &call.b, "PCMA", 8, 1000);
  g_signal_connect_swapped (call.a.stream, "notify::codec", G_CALLBACK (test_set_flag), &rebuilt);
  g_assert_true (sips_audio_stream_update (call.a.stream, &config, &error));
  g_assert_true (test_wait_for (&rebuilt, 3000));
  g_object_get (call.a.stream, "codec", &codec, NULL);
  g_assert_cmpstr (codec, ==, "PCMA");
  g_assert_true (sips_audio_stream_get_running (call.a.stream));
  g_assert_false (call.a.stopped);
  test_peer_clear (&c);
  call_stop (&call);
  call_clear (&call);
}

/* A WAV of 700 Hz, 0.4 s, 16 kHz. */
static void
write_tone_wav (const char *path)
{
  const guint rate = 16000, n = rate * 2 / 5;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 header[44] = "RIFF----WAVEfmt ";
  guint32 v;

#define PUT32(off, val) (v = GUINT32_TO_LE (val), memcpy (header + (off), &v, 4))
  PUT32 (4, 36 + n * 2);
  PUT32 (16, 16);
  header[20] = 1; header[21] = 0; header[22] = 1; header[23] = 0;  /* PCM, mono */
  PUT32 (24, rate);
  PUT32 (28, rate * 2);
  header[32] = 2; header[33] = 0; header[34] = 16; header[35] = 0;
  memcpy (header + 36, "data", 4);
  PUT32 (40, n * 2);
#undef PUT32
  g_byte_array_append (out, header, sizeof header);
  for (guint i = 0; i < n; i++)
    {
      gint16 s = GINT16_TO_LE ((gint16) (0.5 * 32767 * sin (2 * G_PI * 700 * i / rate)));
      g_byte_array_append (out, (guint8 *) &s, 2);
    }
  g_assert_true (g_file_set_contents (path, (char *) out->data, out->len, NULL));
}

static void
test_ringtone (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *tone = g_build_filename (dir, "ring.wav", NULL);
  g_autofree char *out = g_build_filename (dir, "out.wav", NULL);
  g_autofree char *device = g_strdup_printf ("audioconvert ! audio/x-raw,format=S16LE,channels=1 ! "
                                             "wavenc ! filesink location=%s", out);
  g_autoptr(SipsRingtonePlayer) player = sips_ringtone_player_new ();
  g_autoptr(GError) error = NULL;
  gboolean stopped = FALSE;
  TestWav wav;

  write_tone_wav (tone);
  g_signal_connect_swapped (player, "stopped", G_CALLBACK (test_set_flag), &stopped);
  g_assert_false (sips_ringtone_player_play (player, "/nonexistent.wav", device, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (sips_ringtone_player_play (player, tone, "nosuchelement-xyz", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (sips_ringtone_player_play (player, tone, device, &error));
  g_assert_no_error (error);
  g_assert_true (sips_ringtone_player_is_playing (player));
  test_run_for (1300);  /* three loops and a bit */
  sips_ringtone_player_stop (player);
  g_assert_true (test_wait_for (&stopped, 3000));
  g_assert_false (sips_ringtone_player_is_playing (player));

  test_wav_load (out, &wav);
  g_test_message ("ringtone: %.2f s, 700 Hz %.3f", test_wav_seconds (&wav),
                  test_wav_goertzel (&wav, 0, wav.n, 700));
  g_assert_cmpfloat (test_wav_dominant (&wav), ==, 700);
  g_assert_cmpfloat (test_wav_seconds (&wav), >=, 1.0);   /* looped */
  g_assert_cmpfloat (test_wav_seconds (&wav), <=, 1.8);   /* at real-time pace */
  g_assert_cmpfloat (test_wav_toned_seconds (&wav, 700, 0.2), >=, 0.9);
  test_wav_clear (&wav);
  test_tmpdir_remove (dir);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio/features/dtmf-pcmu", test_dtmf_pcmu);
  g_test_add_func ("/audio/features/dtmf-opus", test_dtmf_opus);
  g_test_add_func ("/audio/features/hold", test_hold);
  g_test_add_func ("/audio/features/recording", test_recording);
  g_test_add_func ("/audio/features/no-audio", test_no_audio);
  g_test_add_func ("/audio/features/update", test_update);
  g_test_add_func ("/audio/features/ringtone", test_ringtone);
  return g_test_run ();
}
