/* test-audio-util.h: helpers of the audio tests: WAV measuring (RMS, Goertzel), main-loop
 * waits, loopback RTP sockets */
#pragma once

#include <math.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "session/sips-rtp-ports.h"

typedef struct {
  guint    rate;
  gsize    n;        /* samples (first channel) */
  double  *samples;  /* -1..1 */
} TestWav;

static inline guint32
test_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

/* Loads a 16-bit PCM WAV; asserts a finalised header (RIFF and data sizes match the file). */
static inline void
test_wav_load (const char *path, TestWav *wav)
{
  g_autofree guint8 *data = NULL;
  gsize len = 0, pos = 12;
  guint channels = 0, bits = 0;

  memset (wav, 0, sizeof *wav);
  g_assert_true (g_file_get_contents (path, (char **) &data, &len, NULL));
  g_assert_cmpuint (len, >=, 44);
  g_assert_true (memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WAVE", 4) == 0);
  g_assert_cmpuint (test_le32 (data + 4), ==, len - 8);
  while (pos + 8 <= len)
    {
      guint32 size = test_le32 (data + pos + 4);

      if (memcmp (data + pos, "fmt ", 4) == 0)
        {
          channels = data[pos + 10] | (data[pos + 11] << 8);
          wav->rate = test_le32 (data + pos + 12);
          bits = data[pos + 22] | (data[pos + 23] << 8);
        }
      else if (memcmp (data + pos, "data", 4) == 0)
        {
          g_assert_cmpuint (pos + 8 + size, <=, len);  /* tag chunks may follow */
          g_assert_cmpuint (bits, ==, 16);
          g_assert_cmpuint (channels, >=, 1);
          wav->n = size / (2 * channels);
          wav->samples = g_new0 (double, wav->n + 1);
          for (gsize i = 0; i < wav->n; i++)
            {
              const guint8 *s = data + pos + 8 + i * 2 * channels;
              wav->samples[i] = (gint16) (s[0] | (s[1] << 8)) / 32768.0;
            }
          return;
        }
      pos += 8 + size + (size & 1);
    }
  g_assert_not_reached ();
}

static inline void
test_wav_clear (TestWav *wav)
{
  g_clear_pointer (&wav->samples, g_free);
}

static inline double
test_wav_seconds (const TestWav *wav)
{
  return wav->rate > 0 ? (double) wav->n / wav->rate : 0;
}

static inline double
test_wav_rms (const TestWav *wav, gsize from, gsize count)
{
  double sum = 0;

  if (from >= wav->n)
    return 0;
  count = MIN (count, wav->n - from);
  for (gsize i = from; i < from + count; i++)
    sum += wav->samples[i] * wav->samples[i];
  return count > 0 ? sqrt (sum / count) : 0;
}

/* Amplitude of freq in [from, from + count) (a full-scale sine gives ~1). */
static inline double
test_wav_goertzel (const TestWav *wav, gsize from, gsize count, double freq)
{
  double coeff = 2 * cos (2 * G_PI * freq / wav->rate);
  double s1 = 0, s2 = 0, power;

  if (from >= wav->n)
    return 0;
  count = MIN (count, wav->n - from);
  for (gsize i = from; i < from + count; i++)
    {
      double s = wav->samples[i] + coeff * s1 - s2;
      s2 = s1;
      s1 = s;
    }
  power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return count > 0 ? 2 * sqrt (MAX (power, 0)) / count : 0;
}

/* Of a few candidates, the frequency with the most energy over the whole file. */
static inline double
test_wav_dominant (const TestWav *wav)
{
  static const double candidates[] = { 300, 440, 700, 1000, 1500, 2000, 3000 };
  double best = 0, best_amplitude = -1;

  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      double a = test_wav_goertzel (wav, 0, wav->n, candidates[i]);
      if (a > best_amplitude)
        {
          best_amplitude = a;
          best = candidates[i];
        }
    }
  return best;
}

/* Seconds of 20 ms windows where freq has at least min_amplitude. */
static inline double
test_wav_toned_seconds (const TestWav *wav, double freq, double min_amplitude)
{
  gsize window = wav->rate / 50, toned = 0;

  for (gsize from = 0; from + window <= wav->n; from += window)
    if (test_wav_goertzel (wav, from, window, freq) >= min_amplitude)
      toned++;
  return toned * 0.02;
}

/* ---- main loop ---- */

static inline gboolean
test_on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the default context until *flag or timeout_ms; returns *flag. */
static inline gboolean
test_wait_for (const gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, test_on_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *flag;
}

static inline void
test_run_for (guint ms)
{
  gboolean never = FALSE;

  test_wait_for (&never, ms);
}

/* Connect with g_signal_connect_swapped (whatever the signal's arguments). */
static inline void
test_set_flag (gboolean *flag)
{
  *flag = TRUE;
}

/* ---- loopback RTP ---- */

typedef struct {
  GSocket *rtp;
  GSocket *rtcp;
  guint    port;
} TestPorts;

static inline void
test_ports_reserve (TestPorts *ports)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sips_rtp_ports_reserve ("127.0.0.1", 20000, 59999, &ports->rtp, &ports->rtcp,
                                         &ports->port, &error));
  g_assert_no_error (error);
}

static inline void
test_ports_clear (TestPorts *ports)
{
  g_clear_object (&ports->rtp);
  g_clear_object (&ports->rtcp);
}

/* A temporary directory, removed with its files by test_tmpdir_remove. */
static inline char *
test_tmpdir_new (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("sips-audio-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static inline void
test_tmpdir_remove (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

/* ---- a stream on loopback, its signals recorded ---- */

#include "media/sips-audio-stream.h"

typedef struct {
  TestPorts        ports;
  SipsAudioStream *stream;
  char            *wav;             /* where its output device writes */
  char             input[128];
  char             output[600];
  GString         *dtmf;
  gboolean         stopped;
  gboolean         no_audio;
  gboolean         rtp_timeout;
  gboolean         error;
  gboolean         recording_stopped;
} TestPeer;

static inline void
test_peer_on_dtmf (SipsAudioStream *stream, const char *digit, gpointer user_data)
{
  g_string_append (((TestPeer *) user_data)->dtmf, digit);
}

static inline void
test_peer_on_error (SipsAudioStream *stream, GError *error, gpointer user_data)
{
  g_test_message ("stream error: %s", error->message);
  ((TestPeer *) user_data)->error = TRUE;
}

static inline void
test_peer_init (TestPeer *peer, const char *dir, const char *name)
{
  memset (peer, 0, sizeof *peer);
  test_ports_reserve (&peer->ports);
  peer->stream = sips_audio_stream_new (peer->ports.rtp, peer->ports.rtcp);
  peer->wav = g_strdup_printf ("%s/%s.wav", dir, name);
  peer->dtmf = g_string_new (NULL);
  g_signal_connect (peer->stream, "got-dtmf", G_CALLBACK (test_peer_on_dtmf), peer);
  g_signal_connect (peer->stream, "error", G_CALLBACK (test_peer_on_error), peer);
  g_signal_connect_swapped (peer->stream, "stopped", G_CALLBACK (test_set_flag), &peer->stopped);
  g_signal_connect_swapped (peer->stream, "got-no-audio", G_CALLBACK (test_set_flag), &peer->no_audio);
  g_signal_connect_swapped (peer->stream, "rtp-timeout", G_CALLBACK (test_set_flag), &peer->rtp_timeout);
  g_signal_connect_swapped (peer->stream, "recording-stopped", G_CALLBACK (test_set_flag), &peer->recording_stopped);
}

/* Plays a sine of freq (0 = silence) towards remote's port, writes what it plays to
 * peer->wav (16-bit mono). */
static inline SipsAudioStreamConfig
test_peer_config (TestPeer *peer, TestPeer *remote, const char *codec, guint pt, double freq)
{
  SipsAudioStreamConfig config = {
    .codec = codec, .payload_type = pt, .dtmf_payload_type = 101, .ptime = 20,
    .remote_address = "127.0.0.1", .remote_port = remote->ports.port,
    .input_device = peer->input, .output_device = peer->output,
  };

  if (freq > 0)
    g_snprintf (peer->input, sizeof peer->input,
                "audiotestsrc wave=sine freq=%g volume=0.5 is-live=true", freq);
  else
    g_snprintf (peer->input, sizeof peer->input, "audiotestsrc wave=silence is-live=true");
  g_snprintf (peer->output, sizeof peer->output,
              "audioconvert ! audio/x-raw,format=S16LE,channels=1 ! wavenc ! filesink location=%s",
              peer->wav);
  return config;
}

static inline void
test_peer_start (TestPeer *peer, const SipsAudioStreamConfig *config)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sips_audio_stream_start (peer->stream, config, &error));
  g_assert_no_error (error);
}

static inline void
test_peer_stop (TestPeer *peer)
{
  sips_audio_stream_stop (peer->stream);
  g_assert_true (test_wait_for (&peer->stopped, 5000));
  g_assert_false (sips_audio_stream_get_running (peer->stream));
}

static inline void
test_peer_clear (TestPeer *peer)
{
  g_clear_object (&peer->stream);
  test_ports_clear (&peer->ports);
  g_clear_pointer (&peer->wav, g_free);
  if (peer->dtmf != NULL)
    g_string_free (peer->dtmf, TRUE);
  peer->dtmf = NULL;
}
