/* sips-audio-stream-private.h: shared by the stream object and its pipeline builder */
#pragma once

#include <gst/gst.h>
#include "media/sips-audio-codec.h"
#include "media/sips-audio-file-player.h"
#include "media/sips-audio-recorder.h"
#include "media/sips-audio-stream.h"
#include "media/sips-bus-watch.h"
#include "media/sips-deadlines.h"
#include "media/sips-sdes.h"

G_BEGIN_DECLS

/* sips-audio-stream-rtcp.c: our RTCP (RFC 3550) state of one pipeline (no thread of its own) */
typedef struct _SipsAudioRtcp SipsAudioRtcp;

/* the receive path's jitter buffer holds packets this long before they play */
#define JITTER_LATENCY_MS 100

/* Our validated copy of SipsAudioStreamConfig. */
typedef struct {
  char           *codec;
  guint           payload_type;
  gint            dtmf_payload_type;
  guint           ptime;
  char           *remote_address;
  guint           remote_port;
  guint           remote_rtcp_port;
  char           *input_device;
  char           *output_device;
  SipsSdesCrypto *local_crypto;
  SipsSdesCrypto *remote_crypto;
  guint           rtp_timeout;
  guint           no_audio_timeout;
  GObject        *ice_agent;      /* NiceAgent, NULL = the sockets */
  guint           ice_stream_id;
} SipsAudioConfig;

void             sips_audio_config_free          (SipsAudioConfig *config);
SipsAudioConfig *sips_audio_config_copy          (const SipsAudioConfig *config);
SipsAudioConfig *sips_audio_config_validate      (const SipsAudioStreamConfig *in, GError **error);
/* Does going from a to b need a new pipeline (not just a new destination)? */
gboolean         sips_audio_config_needs_rebuild (const SipsAudioConfig *a, const SipsAudioConfig *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsAudioConfig, sips_audio_config_free)

struct _SipsAudioStream
{
  GObject               parent_instance;

  GSocket              *rtp_socket;
  GSocket              *rtcp_socket;
  GMainContext         *context;

  SipsAudioConfig      *config;        /* the running pipeline's */
  SipsAudioConfig      *pending;       /* rebuild with this once stopped */
  const SipsAudioCodec *codec;

  GstElement           *pipeline;
  GstElement           *jitter_buffer;  /* the receive path's (make_jitter_buffer()) */
  GstElement           *send_valve;
  GstElement           *play_valve;
  GstElement           *send_tee;
  GstElement           *recv_tee;
  GstElement           *recv_head;     /* the decoder links here */
  GstElement           *playback;      /* queue ! output device */
  GstElement           *input;         /* the devices (borrowed) */
  GstElement           *output;
  GstElement           *dtmf_mux;      /* rtpdtmfmux */
  GstElement           *dtmfsrc;       /* rtpdtmfsrc while DTMF goes out, else NULL */
  GstElement           *rtp_sink;
  GstElement           *rtcp_sink;
  GstElement           *srtpenc;       /* borrowed: the pipeline owns them */
  GstElement           *srtpdec;
  SipsAudioRtcp        *rtcp;          /* our RTCP, the running pipeline's */
  gint                  decoder_linked;  /* atomic */
  gint                  rx_seen;         /* atomic: first packet handled */
  gint                  audio_seen;      /* atomic: first decodable packet handled */
  gint                  send_stopped;    /* atomic: the sinks drop everything (stopping) */
  gint64                last_rx;         /* __atomic, monotonic us of the last packet */

  SipsBusWatch         *bus_watch;
  gboolean              local_hold;
  gboolean              remote_hold;
  gboolean              stopping;
  gboolean              starting;        /* the PLAYING state change runs on a pool thread */
  struct _SipsAudioStart *start;         /* its record while starting, else NULL */
  gboolean              eos_after_start; /* stopping meanwhile: the playback EOS waits for it */
  gboolean              null_after_start; /* and so does the NULL state change */
  gboolean              playback_done;
  gboolean              error_reported;
  gboolean              timeout_reported;

  char                 *remote_address_received;
  guint                 remote_port_received;
  gboolean              audio_was_received;

  SipsDeadline         *no_audio_deadline;  /* sips-deadlines.h */
  GSource              *rtp_check_source;  /* only off the shared timer's context */
  gboolean              rtp_checked;       /* on the shared timer (RTP timeout, RTCP) */
  SipsDeadline         *stop_deadline;
  GSource              *dtmf_source;
  GQueue                dtmf_queue;      /* of GINT_TO_POINTER (event number + 1) */
  gboolean              dtmf_tone_on;
  gboolean              dtmf_awaiting_end; /* stop sent, the end packet not seen yet */
  guint32               dtmf_last_end;   /* RTP timestamp of the last end packet seen */

  SipsAudioRecorder    *recorder;

  GstElement           *selector;      /* input-selector: device or file */
  GstPad               *device_pad;    /* its pad for the device (borrowed) */
  GstPad               *file_pad;      /* its pad for the file, made on first use */
  GstElement           *file_src;      /* appsrc on file_pad (borrowed) */
  SipsAudioFilePlayer  *player;        /* while a file plays */
};

/* Waits for the PLAYING state change on the pool thread, if one runs: what adds elements
 * to the pipeline (DTMF, a recording, a played file) must not race with it. */
void     sips_audio_stream_wait_started   (SipsAudioStream *self);

/* Builds self->pipeline and its element pointers for self->config (not started). */
gboolean sips_audio_stream_build_pipeline (SipsAudioStream *self, GError **error);
/* Drops the pipeline (NULL state) and the element pointers. */
void     sips_audio_stream_drop_pipeline  (SipsAudioStream *self);

/* sips-audio-stream-dtmf.c: RFC 4733 event numbers 0-15 as digits */
extern const char sips_audio_dtmf_digits[];
/* Forgets the digits not sent yet and their timer (the pipeline stops or goes). */
void     sips_audio_stream_dtmf_clear (SipsAudioStream *self);

/* Main context, every second while RtpTimeout is on: reports "rtp-timeout". */
void     sips_audio_stream_rtp_check        (SipsAudioStream *self);
/* sips-audio-stream-check.c: one timer for all running streams: sips_audio_stream_rtp_check()
 * (RtpTimeout on) and sips_audio_rtcp_send() */
void     sips_audio_stream_check_add        (SipsAudioStream *self);
void     sips_audio_stream_check_remove     (SipsAudioStream *self);

/* sips-audio-stream-rtcp.c. Counters come from pad probes in the streaming threads (under
 * a mutex); reports leave from the main context through the element of
 * sips_audio_rtcp_get_source(), which has no streaming thread. */
SipsAudioRtcp *sips_audio_rtcp_new           (guint32 ssrc, guint clock_rate, guint audio_pt);
void           sips_audio_rtcp_unref         (SipsAudioRtcp *rtcp);
/* The element our RTCP leaves from (a src pad, application/x-rtcp): add it to the pipeline. */
GstElement    *sips_audio_rtcp_get_source    (SipsAudioRtcp *rtcp);
/* Probes: RTP we send (before SRTP), RTP we receive (after SRTP, buffers with the arrival
 * running time), RTCP we receive (after SRTCP: read, then dropped before the sink, which
 * must never hold the socket reader thread). */
void           sips_audio_rtcp_watch_sent     (SipsAudioRtcp *rtcp, GstPad *pad);
void           sips_audio_rtcp_watch_received (SipsAudioRtcp *rtcp, GstPad *pad);
void           sips_audio_rtcp_watch_reports  (SipsAudioRtcp *rtcp, GstPad *pad);
/* Main context: a report if one is due (every 5 s randomised 0.5-1.5x), or now with a BYE. */
void           sips_audio_rtcp_send           (SipsAudioRtcp *rtcp, gboolean bye);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsAudioRtcp, sips_audio_rtcp_unref)

/* sips-audio-stream-play.c: stops a playing file ("file-stopped", not completed) and
 * forgets the selector's elements (the pipeline is going). */
void     sips_audio_stream_drop_file (SipsAudioStream *self);

/* Main context, from the builder's probes. */
void     sips_audio_stream_audio_received   (SipsAudioStream *self);
void     sips_audio_stream_address_received (SipsAudioStream *self, const char *address, guint port);

static inline gint64
sips_audio_stream_last_rx (SipsAudioStream *self)
{
  return __atomic_load_n (&self->last_rx, __ATOMIC_RELAXED);
}

static inline void
sips_audio_stream_set_last_rx (SipsAudioStream *self, gint64 when)
{
  __atomic_store_n (&self->last_rx, when, __ATOMIC_RELAXED);
}

G_END_DECLS
