/* sips-session-sip-private.h: what the parts of a session's SIP side share:
 * sips-session-sip.c (the call: INVITE, BYE, CANCEL, the handle's events),
 * sips-session-relay.c (the initial INVITE/200 and their wait for the MSRP relay) and
 * sips-session-reinvite.c (the established dialog's offers: hold, stream proposals). */
#pragma once

#include "sips-session-sip.h"

#define NUA_MAGIC_T  void
#define NUA_HMAGIC_T void  /* a SipsNuaOwner, see sips-sip-agent.h */
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/soa_tag.h>
#include <sofia-sip/sip.h>

G_BEGIN_DECLS

#define SIPS_SESSION_EXPIRES 1800  /* RFC 4028: a vanished peer ends the session */
#define SIPS_MIN_SE          90

/* Overload (sips-session-ends.c): new INVITEs get 503 while this many sessions wait for
 * the application's answer; Retry-After in seconds */
#define SIPS_MAX_UNANSWERED        64
#define SIPS_OVERLOAD_RETRY_AFTER  5
#define SIPS_FDS_RESERVED          256  /* kept for calls in set-up, MSRP, files, logs */
/* AnswerTimeout over while ACCEPTING: the ACK gets at least this long after Accept */
#define SIPS_ACK_GRACE_S           4

/* Answers follow our codec preference (Settings1.AudioCodecs) and keep every common codec. */
#define SIPS_OFFER_ANSWER_TAGS                                                   \
  SOATAG_RTP_SORT (SOA_RTP_SORT_LOCAL), SOATAG_RTP_SELECT (SOA_RTP_SELECT_COMMON), \
  NUTAG_SESSION_TIMER (SIPS_SESSION_EXPIRES), NUTAG_MIN_SE (SIPS_MIN_SE)

typedef struct _SipsSessionMedia SipsSessionMedia;  /* sips-session-media.c */
typedef struct _SipsSessionChat  SipsSessionChat;   /* sips-session-chat.c */
typedef struct _SipsSessionIce   SipsSessionIce;    /* sips-session-ice.c */

/* Who made the stream proposal in progress (state PROPOSING or PROPOSED). */
typedef enum {
  SIPS_PROPOSAL_NONE,
  SIPS_PROPOSAL_LOCAL,     /* our re-INVITE is out (PROPOSING) */
  SIPS_PROPOSAL_REMOTE,    /* the peer's re-INVITE waits for AcceptProposal (PROPOSED) */
} SipsProposalKind;

struct _SipsSessionSip {
  SipsNuaOwner       owner;      /* the handle's magic */
  SipsSession       *session;    /* owns us */
  SipsSipAgent      *agent;
  SipsConfigSection *settings;
  SipsConfigSection *rtp;
  SipsAccount       *account;

  nua_handle_t *nh;
  gpointer      nua;             /* the nua nh belongs to */
  gboolean      outgoing;

  /* our audio stream: the RTP/RTCP sockets stay open for the media pipeline */
  SipsSessionMedia *media;
  GSocket *rtp_socket;
  GSocket *rtcp_socket;
  char    *rtp_address;
  guint    rtp_port;
  SipsSessionIce *ice;           /* the audio stream's ICE (agent only with UseIce) */

  /* our chat stream (MSRP): its m=message line is in our SDP while it has a stream */
  SipsSessionChat *chat;
  gboolean awaiting_relay;       /* our INVITE (outgoing) or 200 (incoming) waits for the
                                  * chat's AUTH at the MSRP relay: nothing sent yet */
  gboolean chat_lost;            /* it failed while a proposal was in progress: re-offer
                                  * without it once the proposal is over */

  gboolean offered_audio;        /* what the incoming INVITE proposed */
  gboolean offered_chat;
  gboolean file_offer;           /* its chat stream offers a file (RFC 5547): the
                                  * transfer announces it, the session does not ring */
  gboolean auth_tried;
  gboolean local_end;            /* the application ended it (Terminate/Reject) */
  gboolean remote_bye;
  gboolean remote_cancel;
  gboolean got_2xx;              /* WillStart sent */
  gboolean established;          /* the initial INVITE completed */
  gboolean bye_when_ready;       /* ended while the 2xx was on its way */
  int      fail_code;            /* a local failure ends the session with this DidFail */
  char    *fail_reason;          /*  (NULL = none) */
  char    *initial_offer;        /* the incoming INVITE's SDP (NULL = none) */

  char    *local_sdp;
  char    *remote_sdp;
  gboolean negotiated;           /* an answer was sent or received */
  gboolean answer_is_local;

  char    *contact;              /* our Contact (NULL = sofia's), see sips_sip_agent_contact_for() */
  gboolean offer_refused;        /* the peer's re-INVITE in progress was refused as malformed:
                                  * its offer is not the session's */

  /* sips-session-ends.c: Settings1.AnswerTimeout as when the session was made */
  guint    answer_timeout;
  guint    answer_timeout_id;
  gint64   accepted_at;          /* monotonic, when Accept sent our 200 (or began to) */

  /* re-INVITEs (sips-session-reinvite.c) */
  gboolean hold_local;
  gboolean audio_off;            /* our audio m-line is disabled (port 0): removed */
  guint    glare_retry_id;

  SipsProposalKind proposal;
  gboolean proposal_audio;       /* it adds an audio stream */
  gboolean proposal_chat;        /* it adds a chat stream */
  gboolean proposal_audio_off;   /* local: audio_off before it, restored on rejection */
  gboolean proposal_answered;    /* local: the 2xx came; concluded with its answer */
  char    *proposal_offer;       /* remote: the offer, applied only when accepted */
  gboolean offer_unapplied;      /* remote_sdp is an accepted offer not yet read */
  gboolean proposal_relay;       /* its chat authenticates at the MSRP relay: our
                                  * re-INVITE (local) or 200 (remote) waits */
};

/* sips-session-sip.c */
/* Our m-line as prepared last by sips_session_media_prepare_offer/_answer(). */
char    *sips_session_sip_user_sdp    (SipsSessionSip *self);
/* For SOATAG_ADDRESS, given to the handle before any SDP: soa enumerates the host's
 * interfaces (getifaddrs) for an o= address it takes as local (127/8, ::1) unless it has
 * one, at every offer and answer. address, or NULL for a wildcard (soa's to replace). */
const char *sips_session_sip_soa_address (const char *address);
gboolean sips_session_sip_reserve_rtp (SipsSessionSip *self, GError **error);
/* A local failure (media): BYE, then DidFail("local", code, reason) and DidEnd. */
void     sips_session_sip_fail        (SipsSessionSip *self, int code, const char *reason);
/* Ends the session: -> TERMINATED, then DidFail (when fail_originator) and DidEnd. */
void     sips_session_sip_finish      (SipsSessionSip *self, const char *fail_originator, int code,
                                       const char *reason, const char *end_originator);

/* sips-session-offer-check.c */
/* FALSE (error set: the reason) when the offer body is malformed in a way soa accepts:
 * no stream (initial) or no m-line (re-INVITE), a port out of range, a c= address that is
 * none, an initial chat stream without an MSRP path. NULL = no offer = fine. */
gboolean sips_session_offer_usable  (const char *body, gboolean initial, GError **error);
/* A Warning header value (399, RFC 3261 20.43) carrying reason */
char    *sips_session_offer_warning (const char *reason);

/* The remote-user-agent (User-Agent, else Server) and the Call-ID for the log, of a
 * sip_t message. */
void     sips_session_sip_note_user_agent (SipsSessionSip *self, gconstpointer sip);
void     sips_session_sip_note_call_id    (SipsSessionSip *self, gconstpointer sip);

/* WillEnd, -> TERMINATING: the application's end (Terminate, Reject) or ours */
void     sips_session_sip_begin_local_end (SipsSessionSip *self);

/* sips-session-ends.c */
/* An incoming session: AnswerTimeout counts from now. */
void     sips_session_sip_start_answer_timer (SipsSessionSip *self);
void     sips_session_sip_stop_timers        (SipsSessionSip *self);

/* sips-session-relay.c */
/* The initial INVITE with our offer / the 200 with our answer (WillStart). */
void     sips_session_sip_send_invite    (SipsSessionSip *self);
void     sips_session_sip_send_answer    (SipsSessionSip *self);
/* A chat stream through the MSRP relay: the INVITE / the 200 waits for the relay's AUTH
 * (awaiting_relay), then goes, or the session fails. */
void     sips_session_relay_await_offer  (SipsSessionSip *self);
void     sips_session_relay_await_answer (SipsSessionSip *self);
/* Terminate while awaiting_relay: the AUTH is dropped, the session ends unsent. */
void     sips_session_relay_abandon      (SipsSessionSip *self);

/* sips-session-reinvite.c, called from the handle's events */
/* nua_i_invite on the established dialog (status < 200: waiting for our answer) */
void     sips_session_reinvite_on_request  (SipsSessionSip *self, int status, const sip_t *sip);
void     sips_session_reinvite_on_cancel   (SipsSessionSip *self);
/* nua_r_invite of a re-INVITE of ours */
void     sips_session_reinvite_on_response (SipsSessionSip *self, int status, const char *phrase,
                                            const sip_t *sip);
/* nua_i_state carried the peer's offer: TRUE when it belongs to a pending proposal and
 * must not be applied yet (it is kept for AcceptProposal). */
gboolean sips_session_reinvite_keep_offer  (SipsSessionSip *self, const char *remote_sdp);
/* nua_i_state, after the SDPs were read into the session */
void     sips_session_reinvite_on_state    (SipsSessionSip *self);
/* Our offer again (ICE's updated offer, RFC 8839 4.4.1.2): FALSE when a proposal or a
 * retry is in the way (not established, or no dialog). */
gboolean sips_session_reinvite_refresh_offer (SipsSessionSip *self);
/* the session ends: no retry, no proposal */
void     sips_session_reinvite_clear       (SipsSessionSip *self);
/* The chat stream failed (sips-session-chat.c): a chat-only session fails, otherwise
 * the chat is removed with a re-INVITE and the session goes on. */
void     sips_session_reinvite_chat_failed (SipsSessionSip *self, const char *reason);

G_END_DECLS
