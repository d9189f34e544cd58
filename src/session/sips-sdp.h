/* sips-sdp.h: our audio and chat SDP for soa, and what a negotiated SDP says */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What one SDP (ours or the peer's) says about the session's streams. */
typedef struct {
  gboolean has_audio;     /* an audio m-line with a non-zero port */
  gboolean has_chat;      /* a message (MSRP) m-line with a non-zero port */
  char    *codec;         /* first codec of the audio m-line in contract naming
                           * (opus, G722, PCMU, PCMA; else the encoding name), NULL if none */
  guint    sample_rate;   /* the codec's audio rate: opus 48000, G722 16000, PCMU/PCMA 8000 */
  char    *address;       /* c= of the audio m-line (or of the session) */
  guint    port;          /* port of the audio m-line */
  gboolean sends;         /* direction as its author wrote it (a=sendonly...; */
  gboolean receives;      /*  c=0.0.0.0 counts as not receiving) */
} SipsSdpInfo;

/* What one SDP says about its first audio m-line, as the media needs it. */
typedef struct {
  gboolean present;       /* an audio m-line with a non-zero port */
  gboolean secure;        /* its profile is RTP/SAVP */
  char    *address;       /* c= of the m-line (or of the session) */
  guint    port;
  guint    rtcp_port;     /* a=rtcp, 0 = none */
  guint    ptime;         /* a=ptime, 0 = none */
  char    *codec;         /* first codec, contract naming; NULL if none */
  guint    payload_type;  /* its payload type and RTP clock */
  guint    clock_rate;
  gint     dtmf_8000;     /* telephone-event payload types, -1 = not offered */
  gint     dtmf_48000;
  GStrv    cryptos;       /* the a=crypto values in order (empty, never NULL, once parsed) */
} SipsSdpAudio;

/* The m-line we own, for SOATAG_USER_SDP_STR: c=, m=audio with the codecs in order
 * (unknown names skipped) + telephone-event/8000 (and /48000 with opus), a=ptime:20,
 * a=rtcp. direction: "sendrecv" (NULL = the same), "sendonly", "recvonly", "inactive". */
char       *sips_sdp_build_audio (const char         *address,
                                  guint               port,
                                  const char * const *codecs,
                                  const char         *direction);
/* The same with SDES-SRTP: secure = profile RTP/SAVP (else RTP/AVP), cryptos = the
 * a=crypto values to add (NULL = none). */
char       *sips_sdp_build_audio_full (const char         *address,
                                       guint               port,
                                       const char * const *codecs,
                                       const char         *direction,
                                       gboolean            secure,
                                       const char * const *cryptos);

/* What one SDP says about its first message (MSRP, RFC 4975) m-line. */
typedef struct {
  gboolean present;       /* a message m-line with a non-zero port */
  gboolean secure;        /* its protocol is TCP/TLS/MSRP */
  GStrv    path;          /* a=path URIs in order (NULL = none) */
  char    *accept_types;  /* a=accept-types (NULL = none) */
  char    *setup;         /* a=setup value (NULL = none) */
  char    *fingerprint;   /* a=fingerprint value (NULL = none) */
  /* RFC 5547 file transfer: the raw values (NULL = none) and the direction */
  char    *file_selector;
  char    *file_transfer_id;
  char    *file_date;
  gboolean sendonly;      /* a=sendonly */
  gboolean recvonly;      /* a=recvonly */
} SipsSdpChat;

/* An SDP with only the session lines (v= o= s= c= t=) and no m-line: a chat-only user
 * SDP starts with it. */
char       *sips_sdp_build_session (const char *address);
/* Our m=message block, to append to a user SDP: m=message port TCP/MSRP * (TCP/TLS/MSRP
 * when secure), a=path (URIs space-separated), a=accept-types, a=accept-wrapped-types,
 * a=setup, a=fingerprint (when not NULL). */
char       *sips_sdp_build_chat    (guint               port,
                                    gboolean            secure,
                                    const char * const *path,
                                    const char         *accept_types,
                                    const char         *accept_wrapped_types,
                                    const char         *setup,
                                    const char         *fingerprint);
/* Parses the first message m-line of sdp into chat (cleared first). FALSE if sofia's
 * parser refuses it; no such m-line reads as !present. */
gboolean    sips_sdp_parse_chat  (const char  *sdp,
                                  SipsSdpChat *chat);
void        sips_sdp_chat_clear  (SipsSdpChat *chat);

/* Parses the first audio m-line of sdp into audio (cleared first). FALSE if sofia's
 * parser refuses it; no audio m-line reads as !present. */
gboolean    sips_sdp_parse_audio (const char   *sdp,
                                  SipsSdpAudio *audio);
void        sips_sdp_audio_clear (SipsSdpAudio *audio);

/* Parses sdp into info (cleared first). FALSE if sofia's parser refuses it. */
gboolean    sips_sdp_parse       (const char  *sdp,
                                  SipsSdpInfo *info);
void        sips_sdp_info_clear  (SipsSdpInfo *info);

/* The contract name of an rtpmap encoding ("pcmu" -> "PCMU"), and its audio rate. */
const char *sips_sdp_codec_name  (const char *encoding,
                                  guint       clock_rate,
                                  guint      *sample_rate);

G_END_DECLS
