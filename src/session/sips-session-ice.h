/* sips-session-ice.h: a session's ICE (RFC 8839 SDP attributes, RFC 8445 agent) for its
 * audio stream: the agent's life, our a=ice-* / a=candidate lines and default candidate
 * in c=/m=/a=rtcp, the peer's attributes, the session's AudioIce* properties and
 * IceNegotiation* signals. Private to src/session. */
#pragma once

#include "sips-session-sip-private.h"

G_BEGIN_DECLS

typedef struct _SipsSessionIce SipsSessionIce;
typedef void (*SipsSessionIceReady) (SipsSessionSip *sip);

SipsSessionIce *sips_session_ice_new  (SipsSessionSip *sip);  /* sip owns us */
void            sips_session_ice_free (SipsSessionIce *self);

/* With RTPConfiguration1.UseIce: an agent for the audio stream, gathering at once
 * (controlling = we offer). The answerer calls it only for an offer with ICE. Without
 * UseIce nothing happens (TRUE). */
gboolean sips_session_ice_start (SipsSessionIce *self, gboolean controlling, GError **error);
/* ready (sip) runs once our candidates are complete (at once when there is nothing to
 * wait for); a second call replaces the first. */
void     sips_session_ice_when_gathered (SipsSessionIce *self, SipsSessionIceReady ready);
/* Terminate while waiting for candidates: TRUE = nothing was sent, the wait is dropped. */
gboolean sips_session_ice_abandon (SipsSessionIce *self);

/* Our audio SDP (transfer full) with the ICE default candidate in c=/m=/a=rtcp and our ICE
 * attributes (not once the peer answered without ICE). */
char    *sips_session_ice_user_sdp (SipsSessionIce *self, char *audio_sdp);
/* The peer's latest SDP (offer or answer): its credentials and candidates go to the agent
 * (new ufrag/pwd in an offer = ICE restart); an SDP without ICE: plain RTP to its c=/m=. */
void     sips_session_ice_remote_sdp (SipsSessionIce *self, const char *sdp, gboolean offer);

/* An offer's ICE: does it carry any; FALSE with why when its ICE attributes are unusable
 * as a whole (checked only with UseIce: otherwise they are ignored). */
gboolean sips_session_ice_offer_has_ice    (const char *offer);
gboolean sips_session_ice_offer_acceptable (const char *offer, SipsConfigSection *rtp,
                                            GError **error);

/* For the audio stream: the NiceAgent (borrowed) and its stream; NULL = plain sockets. */
GObject *sips_session_ice_media (SipsSessionIce *self, guint *stream_id);
/* Under ICE, AudioRemoteRtpAddress/PortReceived are the selected remote candidate (nicesrc
 * does not say where packets came from): sets them when ICE knows (after the stream's). */
void     sips_session_ice_publish_received (SipsSessionIce *self);
/* The answerer with audio: an agent (controlled) for an offer with ICE, its attributes
 * applied; none without ICE; controlling for an INVITE without SDP (we offer). */
gboolean sips_session_ice_prepare_answer (SipsSessionIce *self, const char *offer, GError **error);

/* The session ends: the agent goes. */
void     sips_session_ice_stop (SipsSessionIce *self);

G_END_DECLS
