/* sips-session-sip.h: the SIP side of a session (its nua handle, offer/answer, RTP
 * ports); private to src/session */
#pragma once

#include "sips-session-private.h"
#include "account/sips-account.h"
#include "config/sips-ringtone-config.h"
#include "msrp/sips-msrp-transport.h"

G_BEGIN_DECLS

SipsSessionSip *sips_session_sip_new  (SipsSession        *session,   /* unowned back-pointer */
                                       SipsSipAgent       *agent,
                                       SipsConfigSection  *settings,
                                       SipsConfigSection  *rtp,
                                       SipsRingtoneConfig *ringtones,  /* NULL = none */
                                       SipsMsrpTransport  *msrp,       /* NULL = no chat */
                                       SipsConfigSection  *msrp_config); /* NULL = no relay */
/* Destroys the handle (if the nua still exists) and closes the RTP sockets. */
void            sips_session_sip_free (SipsSessionSip *self);

/* The work of the session's methods, after their state and argument checks. */
gboolean sips_session_sip_connect   (SipsSessionSip *self, const char *callee_uri,
                                     SipsAccount *account, const char *route,
                                     gboolean audio, gboolean chat, GError **error);
gboolean sips_session_sip_accept    (SipsSessionSip *self, gboolean audio, gboolean chat,
                                     GError **error);
gboolean sips_session_sip_reject    (SipsSessionSip *self, GError **error);
/* SendMessage / SendComposingIndication on the chat stream (sips-session-chat.c). */
char    *sips_session_sip_send_message   (SipsSessionSip *self, const char *content,
                                          const char *content_type, const char *to_uri,
                                          gint64 timestamp, GError **error);
gboolean sips_session_sip_send_composing (SipsSessionSip *self, const char *state,
                                          GError **error);

/* The established dialog's offers (sips-session-reinvite.c). */
typedef enum {
  SIPS_STREAM_ADD_AUDIO,
  SIPS_STREAM_REMOVE_AUDIO,
  SIPS_STREAM_ADD_CHAT,
  SIPS_STREAM_REMOVE_CHAT,
} SipsStreamChange;

gboolean sips_session_sip_hold            (SipsSessionSip *self, gboolean hold, GError **error);
/* ESTABLISHED -> PROPOSING with a re-INVITE offering the change (GotStreamProposal
 * ("local") first when it adds a stream); back to ESTABLISHED when the peer answered. */
gboolean sips_session_sip_change_streams  (SipsSessionSip *self, SipsStreamChange change,
                                           GError **error);
/* The peer's proposal (PROPOSED): 200 with the new streams, or 488. */
gboolean sips_session_sip_accept_proposal (SipsSessionSip *self, GError **error);
gboolean sips_session_sip_reject_proposal (SipsSessionSip *self, GError **error);
/* FALSE when there is no SIP dialog to end (the caller ends the session locally). */
gboolean sips_session_sip_terminate (SipsSessionSip *self);

/* The session's audio (sips-session-media.c): the running stream's DTMF and recording;
 * none running -> SIPS_ERROR_INVALID_STATE. */
gboolean sips_session_sip_send_dtmf       (SipsSessionSip *self, const char *digit, GError **error);
gboolean sips_session_sip_start_recording (SipsSessionSip *self, const char *path,
                                           const char *file_name, GError **error);
gboolean sips_session_sip_stop_recording  (SipsSessionSip *self, GError **error);
gboolean sips_session_sip_play_file       (SipsSessionSip *self, const char *path, gboolean loop,
                                           GError **error);
gboolean sips_session_sip_stop_file       (SipsSessionSip *self, GError **error);

/* A new incoming INVITE (nh, sip as below) that the SRTP policy of rtp refuses: answered
 * 488 and its handle destroyed, TRUE; FALSE = acceptable, nothing done. */
gboolean sips_session_sip_refuse_incoming (gpointer nh, gconstpointer sip, SipsConfigSection *rtp);
/* A new incoming INVITE (nh) while n_unanswered sessions are INCOMING and n_active are
 * not over: answered 503 with Retry-After and its handle destroyed (TRUE) when the daemon
 * cannot take it (sips-session-ends.c; settings: its RTP port range; also when the file
 * descriptors run out); FALSE = nothing done. */
gboolean sips_session_sip_refuse_overload (gpointer nh, guint n_unanswered, guint n_active,
                                           SipsConfigSection *settings);

/* An incoming INVITE (nh: a nua_handle_t *, sip: its sip_t *) for this NULL session:
 * binds the handle, announces the session and rings. */
void     sips_session_sip_take_incoming (SipsSessionSip *self, gpointer nh, gconstpointer sip,
                                         SipsAccount *account);
/* The INVITE offered a file (RFC 5547: a lone m=message with a=file-selector): the
 * session did not announce itself (NewIncoming) nor ring; a file transfer takes it. */
gboolean sips_session_sip_is_file_offer (SipsSessionSip *self);
/* The incoming INVITE's SDP (NULL = none). */
const char *sips_session_sip_get_initial_offer (SipsSessionSip *self);

/* The nua the session's handle belongs to is shutting down (rebind, daemon exit): the
 * handle dies with it; an active session ends. */
void     sips_session_sip_nua_closing (SipsSessionSip *self, gpointer nua);

G_END_DECLS
