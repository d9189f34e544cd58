/* sips-session-headers.h: what a session puts in (and reads from) SIP headers;
 * private to src/session */
#pragma once

#include <glib.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/url.h>
#include "account/sips-account.h"

G_BEGIN_DECLS

/* The URL as a string ("" for NULL). */
char       *sips_headers_url_string           (const url_t *url);
/* "user@domain" -> "user" */
char       *sips_headers_user_part            (const char *id);
/* From: "Display Name" <sip:user@domain> */
char       *sips_headers_from                 (SipsAccount *account);
/* To: <callee> (the URI's own parameters, e.g. ;transport=tcp, stay the URI's) */
char       *sips_headers_to                   (const char  *callee);
/* The account's OutboundProxy as a URI ("" = none; host[:port] is allowed there). */
char       *sips_headers_outbound_proxy       (SipsAccount *account);
/* NUTAG_AUTH's "scheme:\"realm\":user:password" for a 401/407 response, or NULL
 * (no challenge, no password). */
char       *sips_headers_credentials          (SipsAccount *account, int status, const sip_t *sip);
/* "udp", "tcp" or "tls": for a call to callee via proxy ("" = none), or of a request. */
const char *sips_headers_transport_of_target  (const char *callee, const char *proxy);
const char *sips_headers_transport_of_request (const sip_t *sip);

G_END_DECLS
