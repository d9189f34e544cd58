/* sips-msrp-transport.h: the daemon's local MSRP endpoint (MSRPConfiguration1): the
 * listening port, TLS, the registry of local sessions, and outgoing connections shared
 * per authority (RFC 4975 §6: connection reuse); a=setup roles (RFC 6135). */
#pragma once

#include <gio/gio.h>

#include "sips-msrp-connection.h"
#include "sips-msrp-uri.h"

G_BEGIN_DECLS

/* ---- a=setup (RFC 6135, from RFC 4145) ---- */

typedef enum {
  SIPS_MSRP_SETUP_NONE,      /* no a=setup: RFC 4975's rule, the offerer connects */
  SIPS_MSRP_SETUP_ACTPASS,
  SIPS_MSRP_SETUP_ACTIVE,
  SIPS_MSRP_SETUP_PASSIVE,
} SipsMsrpSetup;

/* "actpass", "active", "passive" (case-insensitive); anything else (holdconn, NULL) is
 * NONE. to_string(NONE) is NULL. */
SipsMsrpSetup  sips_msrp_setup_parse     (const char *value);
const char    *sips_msrp_setup_to_string (SipsMsrpSetup setup);
/* What an offerer puts in its offer: actpass (RFC 6135 §4.1). */
#define SIPS_MSRP_SETUP_OFFER SIPS_MSRP_SETUP_ACTPASS
/* The answerer's a=setup for an offer's: actpass -> active (RFC 6135 §4.2: the answerer
 * SHOULD be active, which also gets through its own NAT), active -> passive, passive ->
 * active, none -> passive (RFC 4975: the offerer connects). */
SipsMsrpSetup  sips_msrp_setup_answer    (SipsMsrpSetup offered);
/* Whether we open the connection, given our side and both values. */
gboolean       sips_msrp_setup_is_active (gboolean      we_offered,
                                          SipsMsrpSetup offer,
                                          SipsMsrpSetup answer);

/* ---- the transport ---- */

#define SIPS_TYPE_MSRP_TRANSPORT (sips_msrp_transport_get_type ())
G_DECLARE_FINAL_TYPE (SipsMsrpTransport, sips_msrp_transport, SIPS, MSRP_TRANSPORT, GObject)

/* local_ip: the address to listen on and to put in our paths; "" or NULL = all
 * addresses, with the host of the default route in paths. port 0 = any free one.
 * use_tls: our paths say msrps (LocalUseTls). certificate: ours for TLS, both ways
 * (sips_msrp_tls_load_certificate); NULL = no TLS at all. The listening port takes
 * both TCP and TLS connections (told apart by their first byte). */
SipsMsrpTransport *sips_msrp_transport_new      (const char      *local_ip,
                                                 guint16          port,
                                                 gboolean         use_tls,
                                                 GTlsCertificate *certificate);
/* Binds and listens. SIPS_ERROR_FAILED when the address or port cannot be used. */
gboolean           sips_msrp_transport_start    (SipsMsrpTransport *self,
                                                 GError           **error);
/* Stops listening and closes every connection (their sessions hear "closed"). */
void               sips_msrp_transport_stop     (SipsMsrpTransport *self);

/* The host and port of our paths (valid after start). */
const char        *sips_msrp_transport_get_host (SipsMsrpTransport *self);
guint16            sips_msrp_transport_get_port (SipsMsrpTransport *self);
gboolean           sips_msrp_transport_get_use_tls (SipsMsrpTransport *self);
/* For streams made from now on (those made keep theirs). FALSE, changing nothing, when
 * TLS is asked for without a certificate. */
gboolean           sips_msrp_transport_set_use_tls (SipsMsrpTransport *self,
                                                    gboolean           use_tls);
/* Instead of a certificate at creation: load (or generate) it from dir on first need
 * (sips_msrp_tls_load_certificate: TLS, the fingerprint), so that a daemon without MSRP
 * over TLS never starts a TLS library. use_tls as for _new(); a certificate that cannot
 * be loaded turns it off then. */
void               sips_msrp_transport_set_certificate_dir (SipsMsrpTransport *self,
                                                            const char        *dir,
                                                            gboolean           use_tls);
/* NULL once the certificate is loaded (or given at creation). */
const char        *sips_msrp_transport_get_certificate_dir (SipsMsrpTransport *self);
/* Loads the certificate if it is not yet. */
GTlsCertificate   *sips_msrp_transport_get_certificate (SipsMsrpTransport *self);
/* Our a=fingerprint value ("sha-256 XX:..."), NULL without a certificate. */
const char        *sips_msrp_transport_get_fingerprint (SipsMsrpTransport *self);
/* Our URI for a session: msrp(s)://host:port/session_id;tcp */
SipsMsrpUri       *sips_msrp_transport_make_uri (SipsMsrpTransport *self,
                                                 gboolean           secure,
                                                 const char        *session_id);

/* A local session that waits for its peer to connect: requests naming it on a
 * connection it is not bound to go to handler->attach. handler is not copied. */
void               sips_msrp_transport_register_session   (SipsMsrpTransport            *self,
                                                           const char                   *session_id,
                                                           const SipsMsrpSessionHandler *handler,
                                                           gpointer                      user_data);
void               sips_msrp_transport_unregister_session (SipsMsrpTransport *self,
                                                           const char        *session_id);

/* A connection to the authority of uri (msrps: TLS, presenting our certificate and
 * accepting any: the caller checks the peer's certificate against the SDP fingerprint).
 * An open outgoing connection to the same authority is shared, as is one being opened.
 * Errors: G_IO_ERROR_* from the connection or the handshake. */
void                sips_msrp_transport_connect        (SipsMsrpTransport   *self,
                                                        const SipsMsrpUri   *uri,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
SipsMsrpConnection *sips_msrp_transport_connect_finish (SipsMsrpTransport  *self,
                                                        GAsyncResult       *result,
                                                        GError            **error);

/* Seconds before an incoming connection that no session took is closed (30), and an
 * outgoing one that no session uses any more (5). */
void               sips_msrp_transport_set_idle_timeouts (SipsMsrpTransport *self,
                                                          guint              incoming,
                                                          guint              outgoing);
/* Connections open now (for tests and statistics). */
guint              sips_msrp_transport_get_n_connections (SipsMsrpTransport *self);

G_END_DECLS
