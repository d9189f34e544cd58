/* sips-msrp-relay.h: a client's binding at an MSRP relay (RFC 4976): the connection to
 * it, AUTH with digest credentials, the Use-Path it grants (for our a=path) and its
 * refresh before Expires. What MSRPConfiguration1 says (UseRelayIncoming/Outgoing,
 * RelayHost/Port/UseTls) and whose credentials are used is the session's business. */
#pragma once

#include <gio/gio.h>

#include "sips-msrp-transport.h"

G_BEGIN_DECLS

/* RFC 4976 §5: relays take MSRP on 2855 unless told otherwise. */
#define SIPS_MSRP_RELAY_DEFAULT_PORT 2855
/* The chunk size over relays: they may not take large frames (kamailio's msrp module
 * relays frames of at most 10 KiB of body). */
#define SIPS_MSRP_RELAY_CHUNK_SIZE   4096

#define SIPS_TYPE_MSRP_RELAY (sips_msrp_relay_get_type ())
G_DECLARE_FINAL_TYPE (SipsMsrpRelay, sips_msrp_relay, SIPS, MSRP_RELAY, GObject)

/* Properties (read-only, notified): "use-path" (GStrv: the relay URIs, NULL before the
 * first success), "expires" (guint: seconds the last AUTH was granted for).
 * Signals:
 *   "did-refresh" (): a refresh AUTH succeeded (use-path may have changed: sessions set
 *     up from now on use the new one);
 *   "did-fail" (s reason): after it was authenticated, a refresh failed or the connection
 *     to the relay was lost; the binding is over (stop() is implied). */

/* The relay's URI (msrp://host[:port];tcp, or msrps:// for TLS: the relay's certificate
 * is not checked, there being no CA for it) as host RelayHost, port RelayPort (0 =
 * 2855), scheme from RelayUseTls: see sips_msrp_relay_make_uri(). username: the digest
 * username (the account's AuthUsername, else the user part of its address). A bad URI
 * -> SIPS_ERROR_INVALID_ARGUMENT. */
SipsMsrpRelay *sips_msrp_relay_new (SipsMsrpTransport *transport,
                                    const char        *relay_uri,
                                    const char        *username,
                                    const char        *password,
                                    GError           **error);
/* "msrp(s)://host:port;tcp" (port 0 = 2855). */
char          *sips_msrp_relay_make_uri (const char *host,
                                         guint16     port,
                                         gboolean    use_tls);

/* Tunables, before start: the Expires asked for in AUTH (0 = none: the relay picks;
 * a 423 with Min-/Max-Expires is followed once), the wait for each response (ms, 30000). */
void           sips_msrp_relay_set_requested_expires (SipsMsrpRelay *self,
                                                      guint          seconds);
void           sips_msrp_relay_set_response_timeout  (SipsMsrpRelay *self,
                                                      guint          ms);

/* Connects (sharing a connection to the same authority, kept open from then on) and
 * authenticates: AUTH, a 401 challenge, AUTH with Authorization, 200 with Use-Path and
 * Expires; then refreshes by itself before Expires. Errors (the message says why, fit
 * for DidFail): SIPS_ERROR_PERMISSION_DENIED (403, or 401 again: wrong credentials),
 * SIPS_ERROR_FAILED (no connection, no answer in time, other statuses, no Use-Path),
 * SIPS_ERROR_NOT_SUPPORTED (a challenge we cannot answer), G_IO_ERROR_CANCELLED. */
void           sips_msrp_relay_start_async  (SipsMsrpRelay       *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gboolean       sips_msrp_relay_start_finish (SipsMsrpRelay  *self,
                                             GAsyncResult   *result,
                                             GError        **error);

/* new() and start in one: the callback's source object is the relay (NULL when the
 * URI was bad); finish gives the authenticated relay (a new reference) or NULL. */
void           sips_msrp_relay_authenticate_async  (SipsMsrpTransport   *transport,
                                                    const char          *relay_uri,
                                                    const char          *username,
                                                    const char          *password,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
SipsMsrpRelay *sips_msrp_relay_authenticate_finish (GAsyncResult  *result,
                                                    GError       **error);

/* No more refreshes; the connection is released (it closes once no session uses it).
 * Also on dispose. */
void           sips_msrp_relay_stop (SipsMsrpRelay *self);

/* The relay URIs to put before ours in a=path (NULL until authenticated). */
const char * const *sips_msrp_relay_get_use_path   (SipsMsrpRelay *self);
/* Seconds granted by the last AUTH (0 until then), and when that runs out
 * (g_get_monotonic_time() µs). */
guint               sips_msrp_relay_get_expires    (SipsMsrpRelay *self);
gint64              sips_msrp_relay_get_expiry_time (SipsMsrpRelay *self);
/* The connection to the relay while authenticated (sessions bind to it), else NULL. */
SipsMsrpConnection *sips_msrp_relay_get_connection (SipsMsrpRelay *self);
const char         *sips_msrp_relay_get_uri        (SipsMsrpRelay *self);
gboolean            sips_msrp_relay_is_authenticated (SipsMsrpRelay *self);

G_END_DECLS
