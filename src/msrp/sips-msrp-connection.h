/* sips-msrp-connection.h: one MSRP connection (TCP or TLS, RFC 4975 §6): frames in
 * through SipsMsrpParser, routed to the sessions bound to it by To-Path session-id;
 * frames out through a write queue; a transaction table with response timeouts. */
#pragma once

#include <gio/gio.h>

#include "sips-msrp-grammar.h"
#include "sips-msrp-headers.h"

G_BEGIN_DECLS

#define SIPS_MSRP_RESPONSE_TIMEOUT_MS 30000

#define SIPS_TYPE_MSRP_CONNECTION (sips_msrp_connection_get_type ())
G_DECLARE_FINAL_TYPE (SipsMsrpConnection, sips_msrp_connection, SIPS, MSRP_CONNECTION, GObject)

/* What a session bound to a connection is told (all on the connection's main context).
 * For each SEND or REPORT whose To-Path names the session:
 *   request_begin: the headers are complete; return 0 to take the request, or a status
 *     to refuse it (415, 413...): the connection then answers it at its end-line and the
 *     session hears no more of it;
 *   request_body: body bytes as they arrive;
 *   request_end: the end-line. status 0: the session answers with
 *     sips_msrp_connection_answer(); otherwise the parser found a problem (400, 413) and
 *     the connection has answered: the session only forgets the request.
 * attach: a request for this session came on a connection it is not bound to (an
 *   incoming connection): bind it (sips_msrp_connection_bind_session) and return 0, or
 *   return a status to refuse (403: not the peer we expect, 506: bound elsewhere).
 * closed: the connection is gone (error says why); the binding is gone with it. */
typedef struct {
  guint (*request_begin) (SipsMsrpConnection    *connection,
                          const char            *transaction_id,
                          SipsMsrpMethod         method,
                          const SipsMsrpHeaders *headers,
                          gpointer               user_data);
  void  (*request_body)  (SipsMsrpConnection    *connection,
                          const guint8          *data,
                          gsize                  len,
                          gpointer               user_data);
  void  (*request_end)   (SipsMsrpConnection    *connection,
                          const char            *transaction_id,
                          SipsMsrpMethod         method,
                          const SipsMsrpHeaders *headers,
                          char                   flag,
                          guint                  status,
                          gpointer               user_data);
  guint (*attach)        (SipsMsrpConnection    *connection,
                          const char            *session_id,
                          gpointer               user_data);
  void  (*closed)        (SipsMsrpConnection    *connection,
                          const GError          *error,
                          gpointer               user_data);
} SipsMsrpSessionHandler;

/* Finds a session for a request on this connection that names a session not bound to
 * it (the transport's registry): returns 0 once it bound one, else the status to answer
 * (481 when nobody knows it). */
typedef guint (*SipsMsrpSessionLookup) (SipsMsrpConnection *connection,
                                        const char         *session_id,
                                        gpointer            user_data);

/* The response to a request sent with send_request: status 408 (comment "Request
 * Timeout") when none came in time, 408 "Connection lost" when the connection closed
 * first. Not called after cancel_requests() for that user_data. */
typedef void (*SipsMsrpResponseFunc) (SipsMsrpConnection *connection,
                                      const char         *transaction_id,
                                      guint               status,
                                      const char         *comment,
                                      gpointer            user_data);

/* Signals: "closed" (const GError *error): the connection is gone (EOF, read/write error,
 * framing lost, idle, close()); emitted once. "written": a queued frame went out (the
 * queue shrank: senders that stream refill it). */

/* stream: a connected GSocketConnection or a GTlsConnection over one (handshake done).
 * outgoing: we opened it (the active side). key: an identifier for the owner (the
 * authority for outgoing connections) or NULL. Call start() to read. */
SipsMsrpConnection *sips_msrp_connection_new          (GIOStream   *stream,
                                                       gboolean     outgoing,
                                                       const char  *key);
void                sips_msrp_connection_set_lookup   (SipsMsrpConnection   *self,
                                                       SipsMsrpSessionLookup lookup,
                                                       gpointer              user_data);
/* Closes the connection after seconds with no session bound (0 = never, the default);
 * the count starts now and whenever the last session unbinds. */
void                sips_msrp_connection_set_idle_timeout (SipsMsrpConnection *self,
                                                           guint               seconds);
void                sips_msrp_connection_start        (SipsMsrpConnection *self);
void                sips_msrp_connection_close        (SipsMsrpConnection *self);
/* Back-pressure: paused, nothing more is read (what was read is still parsed) until
 * unpaused; the peer's TCP window closes meanwhile. */
void                sips_msrp_connection_set_paused   (SipsMsrpConnection *self,
                                                       gboolean            paused);

gboolean            sips_msrp_connection_is_closed    (SipsMsrpConnection *self);
gboolean            sips_msrp_connection_is_outgoing  (SipsMsrpConnection *self);
gboolean            sips_msrp_connection_is_tls       (SipsMsrpConnection *self);
const char         *sips_msrp_connection_get_key      (SipsMsrpConnection *self);
/* The peer's certificate (TLS only), NULL otherwise. */
GTlsCertificate    *sips_msrp_connection_get_peer_certificate (SipsMsrpConnection *self);

/* handler is not copied (keep it static). A session id is bound at most once. */
void                sips_msrp_connection_bind_session   (SipsMsrpConnection           *self,
                                                         const char                   *session_id,
                                                         const SipsMsrpSessionHandler *handler,
                                                         gpointer                      user_data);
void                sips_msrp_connection_unbind_session (SipsMsrpConnection *self,
                                                         const char         *session_id);
guint               sips_msrp_connection_get_n_sessions (SipsMsrpConnection *self);

/* Queues a frame (responses, REPORTs, requests nobody answers). Dropped once closed. */
void                sips_msrp_connection_send         (SipsMsrpConnection *self,
                                                       GBytes             *frame);
/* Queues a request and waits timeout_ms (0 = 30 s) for the response with that
 * transaction id; func is called once. */
void                sips_msrp_connection_send_request (SipsMsrpConnection  *self,
                                                       GBytes              *frame,
                                                       const char          *transaction_id,
                                                       guint                timeout_ms,
                                                       SipsMsrpResponseFunc func,
                                                       gpointer             user_data);
/* Forgets the pending requests sent for user_data (their func is not called). */
void                sips_msrp_connection_cancel_requests (SipsMsrpConnection *self,
                                                          gpointer            user_data);
/* Inside a SipsMsrpResponseFunc: the response's headers (RFC 4976 AUTH: Use-Path,
 * Expires, WWW-Authenticate); NULL for a timeout or a lost connection, and elsewhere. */
const SipsMsrpHeaders *sips_msrp_connection_get_response_headers (SipsMsrpConnection *self);
/* Bytes queued and not yet written. */
gsize               sips_msrp_connection_get_queued_bytes (SipsMsrpConnection *self);

/* Answers a request per RFC 4975 §7.1.1/§7.2: never a REPORT; nothing when its
 * Failure-Report is "no", only failures when "partial"; To-Path the first URI of its
 * From-Path, From-Path the first of its To-Path. comment NULL = the standard one. */
void                sips_msrp_connection_answer       (SipsMsrpConnection    *self,
                                                       const char            *transaction_id,
                                                       SipsMsrpMethod         method,
                                                       const SipsMsrpHeaders *headers,
                                                       guint                  status,
                                                       const char            *comment);

G_END_DECLS
