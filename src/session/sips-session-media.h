/* sips-session-media.h: a session's audio media on its SIP side: SDES keys for our
 * m-line, the SipsAudioStream following the negotiated SDP and the session's state,
 * recording, DTMF, ringtones. Private to src/session. */
#pragma once

#include "sips-session-sip-private.h"
#include "config/sips-ringtone-config.h"

G_BEGIN_DECLS

SipsSessionMedia *sips_session_media_new  (SipsSessionSip     *sip,       /* owns us */
                                           SipsConfigSection  *rtp,       /* SRTP copied now */
                                           SipsRingtoneConfig *ringtones);
void              sips_session_media_free (SipsSessionMedia   *self);

/* SDES-SRTP per RTPConfiguration1 (UseSrtp/SrtpForced as at the session's creation).
 * Before our user SDP goes out as an offer / as the answer to offer: */
void     sips_session_media_prepare_offer   (SipsSessionMedia *self);
/* FALSE (with why) when the offer is not acceptable: the request gets a 488. */
gboolean sips_session_media_prepare_answer  (SipsSessionMedia *self, const char *offer,
                                             GError **error);
/* The answer to our offer: FALSE (with why) when SRTP is forced and the answer does not
 * carry one of our keys; keys otherwise agreed (or none: plain RTP). */
gboolean sips_session_media_answer_received (SipsSessionMedia *self, const char *answer,
                                             GError **error);
/* Our m-line: RTP/SAVP or RTP/AVP, and its a=crypto values (transfer full, NULL = none) */
gboolean sips_session_media_sdp_secure      (SipsSessionMedia *self);
GStrv    sips_session_media_sdp_cryptos     (SipsSessionMedia *self);

/* A new call's offer (NULL = none) against the SRTP policy in rtp: FALSE with why if
 * it must be refused (488). */
gboolean sips_session_media_offer_acceptable (const char *offer, SipsConfigSection *rtp,
                                              GError **error);

/* The stream follows the session: running (started, updated, held) while the session is
 * established with negotiated audio, stopped otherwise. A stream that cannot start
 * fails the session (DidFail local, code 0). */
void     sips_session_media_sync            (SipsSessionMedia *self);
/* The session ends: stream and ringtone stop (a recording is finalised). */
void     sips_session_media_stop            (SipsSessionMedia *self);

/* Ringtones on Settings1.AudioAlertDevice, stopped when the state leaves INCOMING/CALLING */
void     sips_session_media_ring_inbound    (SipsSessionMedia *self, const char *remote_uri);
void     sips_session_media_ring_outbound   (SipsSessionMedia *self);

/* Process-wide: func (data) runs (from an idle) once no stream or ringtone of any session
 * is still stopping, so that the daemon exits with its files final. */
void     sips_session_media_when_stopped    (GSourceFunc func, gpointer data);

G_END_DECLS
