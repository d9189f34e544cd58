/* sips-msrp-chat.h: a chat stream endpoint (RFC 4975 sessions carrying CPIM-wrapped
 * messages, RFC 3862, with delivery reports and is-composing, RFC 3994). It knows
 * nothing of SIP: the session gives it the peer's a=path, a=accept-types,
 * a=fingerprint and the a=setup outcome, and puts local_path etc. in its own SDP. */
#pragma once

#include <gio/gio.h>

#include "sips-msrp-connection.h"
#include "sips-msrp-relay.h"
#include "sips-msrp-transport.h"

G_BEGIN_DECLS

/* a=accept-types and a=accept-wrapped-types of our m=message line. */
#define SIPS_MSRP_CHAT_ACCEPT_TYPES         "message/cpim text/* application/im-iscomposing+xml"
#define SIPS_MSRP_CHAT_ACCEPT_WRAPPED_TYPES "*"
/* The largest message we take (the sum of its chunks); beyond it a 413. */
#define SIPS_MSRP_CHAT_MAX_MESSAGE          (16 * 1024 * 1024)

typedef enum {
  SIPS_MSRP_CHAT_STATE_NEW,
  SIPS_MSRP_CHAT_STATE_INITIALIZED,  /* local path known: put it in the SDP */
  SIPS_MSRP_CHAT_STATE_CONNECTING,   /* start() called: connecting or waiting to be connected */
  SIPS_MSRP_CHAT_STATE_STARTED,      /* the session is bound to a connection */
  SIPS_MSRP_CHAT_STATE_ENDING,
  SIPS_MSRP_CHAT_STATE_ENDED,
  SIPS_MSRP_CHAT_STATE_FAILED,       /* after did-fail; did-end follows at once */
} SipsMsrpChatState;

#define SIPS_TYPE_MSRP_CHAT (sips_msrp_chat_get_type ())
G_DECLARE_FINAL_TYPE (SipsMsrpChat, sips_msrp_chat, SIPS, MSRP_CHAT, GObject)

/* Properties (read-only, notified; named for MSRPChat1): "local-path" (GStrv),
 * "remote-path" (GStrv), "use-tls" (gboolean), "state" (string: new, initialized,
 * connecting, started, ending, ended, failed).
 * Read-write tunables: "response-timeout" (guint ms, 30000: a chunk unanswered that
 * long is a 408), "connect-timeout" (guint ms, 30000: start() to started, both roles),
 * "keepalive-interval" (guint s, 30; 0 = off: the active side sends an empty SEND that
 * often; no answer -> did-fail), "max-message-size" (guint64, 16 MiB; larger -> 413).
 *
 * Signals (the first argument is always gint64 timestamp, µs since the epoch; the
 * argument GTypes are those of the MSRPChat1/Session1 contract):
 *   "did-initialize" (x), "did-start" (x), "did-fail" (x, s reason) followed by
 *   "did-end", "will-end" (x), "did-end" (x),
 *   "got-message" (x, s content, s content_type, GVariant a{ss} cpim_headers,
 *     s message_id): content is text: not valid UTF-8 -> base64 with
 *     cpim_headers["Content-Transfer-Encoding"] = "base64"; without a CPIM wrapper the
 *     headers are empty but for that one,
 *   "did-deliver-message" (x, s message_id, i code, s reason): its success REPORT,
 *   "did-not-deliver-message" (x, s message_id, i code, s reason): a failure response
 *     or REPORT, 408 when unanswered (or the connection was lost), 0 when the chat ended
 *     before it was sent,
 *   "got-composing-indication" (x, s state, u refresh): "active" (refresh: seconds it
 *     holds, 120 when not given) or "idle" (refresh 0). */

/* use_tls: our path is msrps (and an incoming connection must be TLS). */
SipsMsrpChat      *sips_msrp_chat_new        (SipsMsrpTransport *transport,
                                              gboolean           use_tls);

/* NEW -> INITIALIZED: a session id, our path, registered with the transport so that the
 * peer may connect as soon as it has our SDP; "did-initialize". */
gboolean           sips_msrp_chat_initialize (SipsMsrpChat *self,
                                              GError      **error);

/* Before initialize(): go through an authenticated relay (RFC 4976): our a=path becomes
 * its Use-Path then our URI, and start() binds the session to the connection to the
 * relay (the relay's URI is the first hop both ways; no fingerprint can be checked
 * through it) whatever the a=setup roles; the active side still sends the empty SEND.
 * Without a relay of ours a peer's path of more than one URI means its relay: we
 * connect to that, without a fingerprint check. Chunks through relays are of
 * SIPS_MSRP_RELAY_CHUNK_SIZE. */
void               sips_msrp_chat_set_relay  (SipsMsrpChat  *self,
                                              SipsMsrpRelay *relay);

/* A file transfer (RFC 5547) over this stream: the SEND requests with content and all
 * REPORTs go to handler's request_begin/request_body/request_end (as from
 * SipsMsrpConnection; attach and closed are not used) instead of the chat's own
 * handling; empty SENDs (binding, keep-alive) stay the stream's. NULL = the chat's. */
void               sips_msrp_chat_set_request_handler (SipsMsrpChat                 *self,
                                                       const SipsMsrpSessionHandler *handler,
                                                       gpointer                      user_data);

/* Who we are and who the peer is, for the CPIM From and To: display names may be NULL. */
void               sips_msrp_chat_set_identities (SipsMsrpChat *self,
                                                  const char   *local_display_name,
                                                  const char   *local_uri,
                                                  const char   *remote_display_name,
                                                  const char   *remote_uri);

/* The peer's SDP: its a=path (URIs, the last its own), a=accept-types (space
 * separated, NULL = anything), a=fingerprint ("sha-256 XX:..", NULL = none: any
 * certificate is taken). A path that does not parse -> SIPS_ERROR_INVALID_ARGUMENT.
 * Allowed before start() (and again before it when the SDP changes). */
gboolean           sips_msrp_chat_set_remote (SipsMsrpChat       *self,
                                              const char * const *remote_path,
                                              const char         *accept_types,
                                              const char         *fingerprint,
                                              GError            **error);

/* INITIALIZED -> CONNECTING: active (sips_msrp_setup_is_active()): connect to the first
 * URI of the remote path (sharing a connection to the same authority), check the
 * fingerprint, send an empty SEND; passive: wait for the peer's first request. Then
 * STARTED and "did-start" (messages sent before go out now), or "did-fail". */
void               sips_msrp_chat_start      (SipsMsrpChat *self,
                                              gboolean      active);

/* Wraps content in CPIM (From, To: to_uri or NULL/"" = the peer, DateTime: timestamp µs
 * or 0 = now, then extra_headers: NULL-terminated name, value pairs such as "Subject",
 * "hi", "NS", "ex <urn:example>", "ex.Key", "v"; without message/cpim in the peer's
 * accept-types the content goes bare) and sends it with Success-Report and
 * Failure-Report yes, in 64 KiB chunks. content_type NULL = text/plain. Content that
 * is not valid UTF-8 goes base64-encoded. Returns the message id (the MSRP
 * Message-ID); a "did-(not-)deliver-message" follows. Before STARTED the message waits;
 * in ENDING/ENDED/FAILED (or NEW) -> SIPS_ERROR_INVALID_STATE; larger than the peer's
 * limit we know of or empty -> SIPS_ERROR_INVALID_ARGUMENT. */
char              *sips_msrp_chat_send_message (SipsMsrpChat        *self,
                                                const guint8        *content,
                                                gsize                len,
                                                const char          *content_type,
                                                const char          *to_uri,
                                                gint64               timestamp,
                                                const char * const  *extra_headers,
                                                GError             **error);

/* An application/im-iscomposing+xml document (RFC 3994) for state "active" or "idle"
 * (else SIPS_ERROR_INVALID_ARGUMENT), refresh seconds (0 = not given), sent without
 * reports. Only when STARTED (else SIPS_ERROR_INVALID_STATE). */
gboolean           sips_msrp_chat_send_composing_indication (SipsMsrpChat *self,
                                                             const char   *state,
                                                             guint         refresh,
                                                             GError      **error);

/* "will-end", unbinds (closing an outgoing connection nobody else uses), "did-end".
 * Messages not yet sent are "did-not-deliver-message" (0). Nothing once ENDED/FAILED. */
void               sips_msrp_chat_end        (SipsMsrpChat *self);

SipsMsrpChatState  sips_msrp_chat_get_state      (SipsMsrpChat *self);
const char        *sips_msrp_chat_state_to_string (SipsMsrpChatState state);
const char        *sips_msrp_chat_get_session_id (SipsMsrpChat *self);
/* Our a=path (our URI, after the relay's Use-Path if any), NULL before initialize(). */
const char * const *sips_msrp_chat_get_local_path (SipsMsrpChat *self);
const char * const *sips_msrp_chat_get_remote_path (SipsMsrpChat *self);
gboolean           sips_msrp_chat_get_use_tls    (SipsMsrpChat *self);

G_END_DECLS
