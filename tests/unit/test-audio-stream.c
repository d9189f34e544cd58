/* test-audio-stream.c: two audio streams over loopback RTP, one codec each time, with and
 * without SRTP; what arrives is measured (frequency, level, duration) */
#include <glib.h>

#include "core/sips-error.h"
#include "media/sips-audio-capture.h"
#include "media/sips-audio-stream.h"
#include "media/sips-sdes.h"
#include "sips-test-util.h"
#include "test-audio-util.h"

#define CALL_MS 2000

typedef struct {
  const char *codec;
  guint       pt;
  double      freq;
  guint       rate;
} CodecCase;

/* The tone B recorded: frequency, level, about the call's length. */
static void
assert_tone (const char *wav_path, double freq, guint rate, double min_seconds, double max_seconds)
{
  TestWav wav;
  double rms;

  test_wav_load (wav_path, &wav);
  rms = test_wav_rms (&wav, 0, wav.n);
  g_test_message ("%s: %u Hz, %.2f s, rms %.3f, %g Hz: %.3f", wav_path, wav.rate, test_wav_seconds (&wav),
                  rms, freq, test_wav_goertzel (&wav, 0, wav.n, freq));
  g_assert_cmpuint (wav.rate, ==, rate);
  g_assert_cmpfloat (test_wav_dominant (&wav), ==, freq);
  g_assert_cmpfloat (rms, >, 0.15);  /* sent at 0.5 amplitude: rms ~0.35 */
  g_assert_cmpfloat (test_wav_seconds (&wav), >=, min_seconds);
  g_assert_cmpfloat (test_wav_seconds (&wav), <=, max_seconds);
  /* tone all along, not a burst */
  g_assert_cmpfloat (test_wav_toned_seconds (&wav, freq, 0.2), >=, min_seconds - 0.2);
  test_wav_clear (&wav);
}

static void
test_codec (gconstpointer data)
{
  const CodecCase *c = data;
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *codec = NULL;
  TestPeer a, b;
  SipsAudioStreamConfig ca, cb;
  guint rate = 0;

  test_peer_init (&a, dir, "a");
  test_peer_init (&b, dir, "b");
  ca = test_peer_config (&a, &b, c->codec, c->pt, c->freq);
  cb = test_peer_config (&b, &a, c->codec, c->pt, 0);
  test_peer_start (&b, &cb);
  test_peer_start (&a, &ca);
  g_object_get (b.stream, "codec", &codec, "sample-rate", &rate, NULL);
  g_assert_cmpstr (codec, ==, c->codec);
  g_assert_cmpuint (rate, ==, c->rate);
  test_run_for (CALL_MS);

  /* symmetric RTP: A sends from the port it receives on */
  g_assert_true (sips_audio_stream_get_audio_was_received (b.stream));
  g_assert_cmpstr (sips_audio_stream_get_remote_address_received (b.stream), ==, "127.0.0.1");
  g_assert_cmpuint (sips_audio_stream_get_remote_port_received (b.stream), ==, a.ports.port);
  g_assert_false (sips_audio_stream_get_srtp_active (b.stream));
  g_assert_false (b.no_audio);
  test_peer_stop (&a);
  test_peer_stop (&b);
  g_assert_false (a.error || b.error);

  assert_tone (b.wav, c->freq, c->rate, 1.2, 2.3);
  test_peer_clear (&a);
  test_peer_clear (&b);
  test_tmpdir_remove (dir);
}

/* SRTP both ways with SDES keys: each side encrypts with its key, decrypts with the peer's.
 * wrong_key: B decrypts with a key A does not use -> nothing decodable. */
static void
run_srtp (const char *suite, gboolean wrong_key)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(SipsSdesCrypto) key_a = sips_sdes_crypto_new_random (1, suite, NULL);
  g_autoptr(SipsSdesCrypto) key_b = sips_sdes_crypto_new_random (1, suite, NULL);
  g_autoptr(SipsSdesCrypto) key_x = sips_sdes_crypto_new_random (1, suite, NULL);
  TestPeer a, b;
  SipsAudioStreamConfig ca, cb;

  test_peer_init (&a, dir, "a");
  test_peer_init (&b, dir, "b");
  ca = test_peer_config (&a, &b, "PCMU", 0, 1000);
  cb = test_peer_config (&b, &a, "PCMU", 0, 440);
  ca.srtp_local_suite = ca.srtp_remote_suite = cb.srtp_local_suite = cb.srtp_remote_suite = suite;
  ca.srtp_local_key = key_a->key;
  ca.srtp_remote_key = key_b->key;
  cb.srtp_local_key = key_b->key;
  cb.srtp_remote_key = wrong_key ? key_x->key : key_a->key;
  test_peer_start (&b, &cb);
  test_peer_start (&a, &ca);
  g_assert_true (sips_audio_stream_get_srtp_active (a.stream));
  g_assert_true (sips_audio_stream_get_srtp_active (b.stream));
  test_run_for (CALL_MS);

  g_assert_true (sips_audio_stream_get_audio_was_received (a.stream));
  g_assert_cmpint (sips_audio_stream_get_audio_was_received (b.stream), ==, !wrong_key);
  test_peer_stop (&a);
  test_peer_stop (&b);
  g_assert_false (a.error || b.error);

  assert_tone (a.wav, 440, 8000, 1.2, 2.3);
  if (!wrong_key)
    assert_tone (b.wav, 1000, 8000, 1.2, 2.3);
  else
    {
      g_autofree char *contents = NULL;
      gsize len = 0;

      /* nothing decodable: a WAV header (wavenc leaves an empty one unfinalised), no sample */
      g_assert_true (g_file_get_contents (b.wav, &contents, &len, NULL));
      g_assert_cmpuint (len, <=, 44);
    }
  test_peer_clear (&a);
  test_peer_clear (&b);
  test_tmpdir_remove (dir);
}

static void
test_srtp_aes128_80 (void)
{
  run_srtp ("AES_CM_128_HMAC_SHA1_80", FALSE);
}

static void
test_srtp_aes256_32 (void)
{
  run_srtp ("AES_256_CM_HMAC_SHA1_32", FALSE);
}

static void
test_srtp_wrong_key (void)
{
  run_srtp ("AES_CM_128_HMAC_SHA1_80", TRUE);
}

static void
test_invalid_config (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  TestPeer a, b;
  SipsAudioStreamConfig config;
  g_autoptr(GError) error = NULL;

  test_peer_init (&a, dir, "a");
  test_peer_init (&b, dir, "b");
  config = test_peer_config (&a, &b, "GSM", 3, 1000);
  g_assert_false (sips_audio_stream_start (a.stream, &config, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  config = test_peer_config (&a, &b, "PCMA", 8, 1000);
  config.input_device = "nosuchelement-xyz ! fakesink";
  g_assert_false (sips_audio_stream_start (a.stream, &config, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  config = test_peer_config (&a, &b, "PCMA", 8, 1000);
  config.remote_address = "not an address";
  g_assert_false (sips_audio_stream_start (a.stream, &config, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  config = test_peer_config (&a, &b, "PCMA", 8, 1000);
  config.srtp_local_suite = config.srtp_remote_suite = "AES_CM_128_HMAC_SHA1_80";
  config.srtp_local_key = config.srtp_remote_key = "dG9vIHNob3J0";
  g_assert_false (sips_audio_stream_start (a.stream, &config, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (sips_audio_stream_get_running (a.stream));

  /* DTMF before start */
  g_assert_false (sips_audio_stream_send_dtmf (a.stream, "1", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_STATE);
  test_peer_clear (&a);
  test_peer_clear (&b);
  test_tmpdir_remove (dir);
}

/* This process's threads but the process-wide ones */
static guint
count_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/comm", name);
      g_autofree char *comm = NULL;

      /* GLib's shared pool (GStreamer's async calls), the socket reader and the jitter
       * buffers' playout thread are the process's, not a stream's */
      if (g_file_get_contents (path, &comm, NULL, NULL) && !g_str_has_prefix (comm, "pool-") &&
          !g_str_has_prefix (comm, "sips-rtp-reader") && !g_str_has_prefix (comm, "sips-playout"))
        n++;
    }
  return n;
}

/* Issue 12: a running stream adds at most 1 thread, its input device's capture, shared
 * with every other stream of that device (no rtpbin, so no rtpsession
 * RTCP thread: RTCP goes out from the main context; sipsjitterbuffer has none: the
 * process's one `sips-playout` thread plays every stream); the sockets are read by the
 * process's one reader thread, DTMF out has its thread only while digits go out, and
 * there are no queues. */
static void
test_threads (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autoptr(GError) error = NULL;
  TestPeer a, b;
  SipsAudioStreamConfig ca, cb;
  guint before, during, dtmf;

  test_peer_init (&a, dir, "a");
  test_peer_init (&b, dir, "b");
  ca = test_peer_config (&a, &b, "PCMU", 0, 1000);
  cb = test_peer_config (&b, &a, "PCMU", 0, 440);
  before = count_threads ();
  test_peer_start (&b, &cb);
  test_peer_start (&a, &ca);
  test_run_for (500);  /* both receive: the jitterbuffers exist */
  g_assert_true (sips_audio_stream_get_audio_was_received (a.stream));
  g_assert_true (sips_audio_stream_get_audio_was_received (b.stream));
  during = count_threads ();
  g_assert_true (sips_audio_stream_send_dtmf (a.stream, "5", &error));
  g_assert_no_error (error);
  test_run_for (50);
  dtmf = count_threads ();
  test_run_for (1000);  /* the digit is out: its source is gone again */
  g_test_message ("threads: %u before, %u with two streams, %u sending DTMF, %u after it",
                  before, during, dtmf, count_threads ());
  g_assert_cmpuint (during - before, <=, 2 * 1);
  g_assert_cmpuint (dtmf, ==, during + 1);
  g_assert_cmpuint (count_threads (), ==, during);
  test_peer_stop (&a);
  test_peer_stop (&b);
  test_peer_clear (&a);
  test_peer_clear (&b);
  test_tmpdir_remove (dir);
}

/* Issue 12: calls with the same input device share one capture: four streams, two
 * devices (a and c send 1000 Hz, b and d 440 Hz) -> two captures, one streaming thread
 * each, and every stream still sends its device's tone; gone with the last stream. */
static void
test_shared_capture (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  TestPeer p[4];
  SipsAudioStreamConfig config[4];
  guint before, during, fds_before, fds_during;
  gboolean first_audio = FALSE;

  for (guint i = 0; i < 4; i++)
    test_peer_init (&p[i], dir, (const char *[]) { "a", "b", "c", "d" }[i]);
  /* a <-> b and c <-> d */
  for (guint i = 0; i < 4; i++)
    config[i] = test_peer_config (&p[i], &p[i ^ 1], "PCMU", 0, i % 2 == 0 ? 1000 : 440);
  before = count_threads ();
  /* the first call also starts both captures and the process's reader and playout
   * threads: its audio has gone through all of them */
  g_signal_connect_swapped (p[0].stream, "notify::audio-was-received", G_CALLBACK (test_set_flag),
                            &first_audio);
  test_peer_start (&p[0], &config[0]);
  test_peer_start (&p[1], &config[1]);
  g_assert_true (test_wait_for (&first_audio, 5000));
  fds_before = sips_test_count_fds ();
  for (guint i = 2; i < 4; i++)
    test_peer_start (&p[i], &config[i]);
  test_run_for (CALL_MS);
  during = count_threads ();
  fds_during = sips_test_count_fds ();
  g_test_message ("threads: %u before, %u with four streams of two devices; captures %u; "
                  "descriptors %u with two streams, %u with four", before, during,
                  sips_audio_capture_count (), fds_before, fds_during);
  g_assert_cmpuint (sips_audio_capture_count (), ==, 2);
  g_assert_cmpuint (during - before, <=, 2);
  /* the streams' sockets are the peers' (opened before): two more streams keep no
   * descriptor but their output WAV files (a pipeline's default bus keeps a socket pair,
   * udpsink two eventfds: 8 more here); test-bus-watch checks the captures' buses */
  g_assert_cmpuint (fds_during, <=, fds_before + 2);
  /* a stream that stops is fed no more at once, not when its pipeline is down (which
   * takes seconds when the main loop is behind: the capture's thread fed thousands) */
  g_assert_cmpuint (sips_audio_capture_count_fed (), ==, 4);
  sips_audio_stream_stop (p[0].stream);
  g_assert_false (p[0].stopped);
  g_assert_cmpuint (sips_audio_capture_count_fed (), ==, 3);
  for (guint i = 0; i < 4; i++)
    test_peer_stop (&p[i]);
  /* each stream played what its peer's device sent */
  for (guint i = 0; i < 4; i++)
    assert_tone (p[i].wav, i % 2 == 0 ? 440 : 1000, 8000, 1.2, 2.3);
  /* the captures go to NULL on GStreamer's pool threads */
  for (guint waited = 0; sips_audio_capture_count () > 0 && waited < 5000; waited += 50)
    test_run_for (50);
  g_assert_cmpuint (sips_audio_capture_count (), ==, 0);
  for (guint i = 0; i < 4; i++)
    test_peer_clear (&p[i]);
  test_tmpdir_remove (dir);
}

/* One call's output that waits for its buffers' times (a fakesink with sync and a 3 s
 * offset) must not hold the other calls' audio: the process has one playout thread
 * (sips-jitter-buffer.c). a -> b plays into that output, c -> d into a WAV that must
 * still get its 2 s of tone. */
static void
test_output_cannot_stall_others (void)
{
  g_autofree char *dir = test_tmpdir_new ();
  TestPeer p[4];
  SipsAudioStreamConfig config[4];

  for (guint i = 0; i < 4; i++)
    test_peer_init (&p[i], dir, (const char *[]) { "a", "b", "c", "d" }[i]);
  for (guint i = 0; i < 4; i++)
    config[i] = test_peer_config (&p[i], &p[i ^ 1], "PCMU", 0, i == 2 ? 1000 : 0);
  config[1].output_device = "fakesink sync=true ts-offset=3000000000";
  for (guint i = 0; i < 4; i++)
    test_peer_start (&p[i], &config[i]);
  test_run_for (CALL_MS);
  for (guint i = 0; i < 4; i++)
    test_peer_stop (&p[i]);
  assert_tone (p[3].wav, 1000, 8000, 1.2, 2.3);
  for (guint i = 0; i < 4; i++)
    test_peer_clear (&p[i]);
  test_tmpdir_remove (dir);
}

int
main (int argc, char *argv[])
{
  static const CodecCase opus = { "opus", 111, 1000, 48000 };
  static const CodecCase g722 = { "G722", 9, 440, 16000 };
  static const CodecCase pcmu = { "PCMU", 0, 1000, 8000 };
  static const CodecCase pcma = { "PCMA", 8, 440, 8000 };

  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/audio/stream/opus", &opus, test_codec);
  g_test_add_data_func ("/audio/stream/g722", &g722, test_codec);
  g_test_add_data_func ("/audio/stream/pcmu", &pcmu, test_codec);
  g_test_add_data_func ("/audio/stream/pcma", &pcma, test_codec);
  g_test_add_func ("/audio/stream/threads", test_threads);
  g_test_add_func ("/audio/stream/shared-capture", test_shared_capture);
  g_test_add_func ("/audio/stream/output-cannot-stall-others", test_output_cannot_stall_others);
  g_test_add_func ("/audio/stream/srtp-aes128-80", test_srtp_aes128_80);
  g_test_add_func ("/audio/stream/srtp-aes256-32", test_srtp_aes256_32);
  g_test_add_func ("/audio/stream/srtp-wrong-key", test_srtp_wrong_key);
  g_test_add_func ("/audio/stream/invalid-config", test_invalid_config);
  return g_test_run ();
}
