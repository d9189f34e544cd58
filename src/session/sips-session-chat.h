/* sips-session-chat.h: a session's chat stream on its SIP side: the SipsMsrpChat behind
 * our m=message line, set up from the offer/answer and started with the session.
 * Private to src/session. */
#pragma once

#include "sips-session-sip-private.h"
#include "msrp/sips-msrp-transport.h"

G_BEGIN_DECLS

SipsSessionChat *sips_session_chat_new  (SipsSessionSip    *sip,          /* owns us */
                                         SipsMsrpTransport *transport,    /* NULL = no MSRP */
                                         SipsConfigSection *msrp_config); /* NULL = no relay */
/* Ends the stream without a word to the session (it is going away). */
void             sips_session_chat_free (SipsSessionChat   *self);

/* Whether chat streams can be made: FALSE with SIPS_ERROR_FAILED without MSRP. */
gboolean    sips_session_chat_available      (SipsSessionChat *self, GError **error);
/* Whether there is a stream (made for an offer or an answer, not ended): our user SDP
 * carries its m=message line. */
gboolean    sips_session_chat_has_stream     (SipsSessionChat *self);
/* The host of our MSRP paths (c= of a chat-only SDP); NULL without MSRP. */
const char *sips_session_chat_address        (SipsSessionChat *self);
/* Our m=message block for the user SDP, NULL without a stream. */
char       *sips_session_chat_sdp            (SipsSessionChat *self);

/* Our offer carries a chat stream: a new one is made (TLS per LocalUseTls) unless one
 * exists. SIPS_ERROR_FAILED when there is no MSRP. */
gboolean    sips_session_chat_prepare_offer  (SipsSessionChat *self, GError **error);
/* Our answer accepts the chat stream of offer: a new one is made to the offer's
 * protocol and path (an existing one keeps its own). FALSE with why if it cannot be. */
gboolean    sips_session_chat_prepare_answer (SipsSessionChat *self, const char *offer,
                                              GError **error);
/* The answer to our offer: the peer's path and a=setup; without its chat stream ours
 * ends. */
void        sips_session_chat_answer_received (SipsSessionChat *self, const char *answer);

/* Through a relay (RFC 4976): a stream for our offer (offer NULL: UseRelayOutgoing) or
 * for our answer to offer (UseRelayIncoming) goes through MSRPConfiguration1's relay
 * when RelayHost is set and the session's account has a password (else direct). */
typedef void (*SipsSessionChatRelayFunc) (SipsSessionSip *sip, const GError *error);
gboolean    sips_session_chat_wants_relay    (SipsSessionChat *self, const char *offer);
/* Makes the stream (the chat-transport, not initialized yet) and authenticates at the
 * relay with the account's credentials; ready is called once, later: without error,
 * prepare_offer()/prepare_answer() now make our path after the relay's Use-Path; with
 * one, the stream failed (MSRPChat1 DidFail with the reason) and is gone. */
void        sips_session_chat_authenticate   (SipsSessionChat *self, const char *offer,
                                              SipsSessionChatRelayFunc ready);
/* Drops an AUTH in progress (ready is not called): TRUE if there was one. */
gboolean    sips_session_chat_cancel_relay   (SipsSessionChat *self);

/* A file transfer (RFC 5547): lines (each ending in CRLF: a=sendonly or a=recvonly,
 * a=file-selector...) go into our m=message block, which then takes any type; NULL =
 * a chat again. Set before the offer or answer is made. */
void        sips_session_chat_set_file_sdp   (SipsSessionChat *self, const char *lines);

/* Starts the stream once the session is established with a negotiated chat. */
void        sips_session_chat_sync           (SipsSessionChat *self);
/* Ends the stream (MSRPChat1 WillEnd/DidEnd): removed, rejected or the session is over. */
void        sips_session_chat_stop           (SipsSessionChat *self);

/* Session1.SendMessage / SendComposingIndication on the stream: it must be started
 * (connecting or connected), else SIPS_ERROR_INVALID_STATE. */
char       *sips_session_chat_send_message   (SipsSessionChat *self, const char *content,
                                              const char *content_type, const char *to_uri,
                                              gint64 timestamp, GError **error);
gboolean    sips_session_chat_send_composing (SipsSessionChat *self, const char *state,
                                              GError **error);

G_END_DECLS
