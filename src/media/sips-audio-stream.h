/* sips-audio-stream.h: a session's audio media: one GStreamer RTP pipeline (RTCP,
 * symmetric UDP on the session's sockets, codec, SRTP, DTMF, hold, recording) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the negotiation decided. Strings are copied; NULL/"" = default or none. */
typedef struct {
  const char *codec;              /* "opus", "G722", "PCMU", "PCMA" */
  guint       payload_type;
  gint        dtmf_payload_type;  /* telephone-event at the codec's clock; -1 = none */
  guint       ptime;              /* ms; 0 = 20 */
  const char *remote_address;
  guint       remote_port;
  guint       remote_rtcp_port;   /* 0 = remote_port + 1 (a=rtcp) */
  const char *input_device;       /* GStreamer bin descriptions; "" = autoaudiosrc/sink */
  const char *output_device;
  /* SDES-SRTP: suite and base64 key||salt of the a=crypto lines; all four set = SRTP */
  const char *srtp_local_suite;   /* we encrypt with this */
  const char *srtp_local_key;
  const char *srtp_remote_suite;  /* we decrypt with this */
  const char *srtp_remote_key;
  guint       rtp_timeout;        /* s without RTP (not on hold) before "rtp-timeout"; 0 = off */
  guint       no_audio_timeout;   /* ms after start before "got-no-audio"; 0 = 5000 */
  /* ICE: RTP and RTCP go through this NiceAgent's stream (components 1 and 2) instead of
   * the sockets; the agent picks the destination (remote_* are then informative) */
  GObject    *ice_agent;
  guint       ice_stream_id;
} SipsAudioStreamConfig;

#define SIPS_TYPE_AUDIO_STREAM (sips_audio_stream_get_type ())
G_DECLARE_FINAL_TYPE (SipsAudioStream, sips_audio_stream, SIPS, AUDIO_STREAM, GObject)

/* Properties (read-only, notified on the main context of the creating thread):
 *   "codec" (string), "sample-rate" (guint, audio rate: opus 48000, G722 16000, G711 8000),
 *   "remote-address-received" (string, "" until the first packet), "remote-port-received"
 *   (guint), "audio-was-received" (gboolean: decodable audio arrived), "srtp-active"
 *   (gboolean), "running" (gboolean).
 * Signals (same context):
 *   "got-dtmf" (const char *digit): one per received RFC 4733 event;
 *   "got-no-audio" (): once, no_audio_timeout after start with nothing received;
 *   "rtp-timeout" (guint seconds): rtp_timeout s without RTP while not on hold (again
 *     only after RTP came back), informative;
 *   "error" (GError *): the pipeline failed (the session ends with DidFail code 0);
 *   "recording-stopped" (const char *path): the WAV is final and closed;
 *   "stopped" (): the pipeline is down after stop() (files finalised);
 *   "file-started" (const char *path), "file-stopped" (const char *path, gboolean
 *     completed): a file of play_file() began, and ended (TRUE: played to its end). */

/* Takes references on the session's bound RTP/RTCP sockets (it never closes them). */
SipsAudioStream *sips_audio_stream_new (GSocket *rtp_socket, GSocket *rtcp_socket);

/* Builds and plays the pipeline. Unknown codec, a device description that does not parse,
 * a bad address or SRTP key -> SIPS_ERROR_INVALID_ARGUMENT; missing GStreamer element ->
 * SIPS_ERROR_FAILED. Already running -> SIPS_ERROR_INVALID_STATE. */
gboolean sips_audio_stream_start  (SipsAudioStream             *self,
                                   const SipsAudioStreamConfig *config,
                                   GError                     **error);

/* A re-INVITE's result: a new remote address/ports only is applied live; anything else
 * (codec, payload types, keys, devices) rebuilds the pipeline (an ongoing recording is
 * then finalised: "recording-stopped"). Validation as in start(). */
gboolean sips_audio_stream_update (SipsAudioStream             *self,
                                   const SipsAudioStreamConfig *config,
                                   GError                     **error);

/* local_hold: we hold -> send nothing, play nothing; remote_hold: the peer holds us ->
 * send nothing, play what still comes (music on hold). Either: the recording pauses and
 * the RTP timeout is off. */
void     sips_audio_stream_set_hold (SipsAudioStream *self, gboolean local_hold, gboolean remote_hold);

/* One of 0-9 * # A-D (else SIPS_ERROR_INVALID_ARGUMENT); not running or no telephone-event
 * negotiated -> SIPS_ERROR_INVALID_STATE. Digits queue and go out one after the other. */
gboolean sips_audio_stream_send_dtmf (SipsAudioStream *self, const char *digit, GError **error);

/* Both directions mixed into one 16-bit mono WAV at the codec's sample rate. Not running
 * -> INVALID_STATE; already recording -> INVALID_STATE; file not writable -> FAILED. */
gboolean sips_audio_stream_start_recording (SipsAudioStream *self, const char *path, GError **error);
/* Finalises the file; "recording-stopped" follows. Not recording -> INVALID_STATE. */
gboolean sips_audio_stream_stop_recording  (SipsAudioStream *self, GError **error);
const char *sips_audio_stream_get_recording_path (SipsAudioStream *self);  /* NULL = none */

/* Plays a sound file (anything GStreamer decodes; resampled to the codec's rate, mixed
 * down to mono) in place of the input device until it ends (again and again with loop)
 * or stop_file(); a new one replaces the current one. A file that is not readable or not
 * decodable -> SIPS_ERROR_INVALID_ARGUMENT (checked before anything changes); not running
 * -> SIPS_ERROR_INVALID_STATE. Hold and recording treat it like the device. */
gboolean sips_audio_stream_play_file (SipsAudioStream *self, const char *path, gboolean loop,
                                      GError **error);
/* Not playing -> SIPS_ERROR_INVALID_STATE. */
gboolean sips_audio_stream_stop_file (SipsAudioStream *self, GError **error);
const char *sips_audio_stream_get_playing_file (SipsAudioStream *self);  /* NULL = none */

/* Ends the pipeline: EOS through the playback and recording branches (so WAV headers are
 * final), then NULL state; "stopped" follows. The stream keeps itself alive until then, so
 * the caller may drop its reference right away. */
void     sips_audio_stream_stop (SipsAudioStream *self);

gboolean     sips_audio_stream_get_running            (SipsAudioStream *self);
gboolean     sips_audio_stream_get_audio_was_received (SipsAudioStream *self);
gboolean     sips_audio_stream_get_srtp_active        (SipsAudioStream *self);
const char  *sips_audio_stream_get_remote_address_received (SipsAudioStream *self);
guint        sips_audio_stream_get_remote_port_received    (SipsAudioStream *self);

G_END_DECLS
