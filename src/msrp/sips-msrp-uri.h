/* sips-msrp-uri.h: msrp:// and msrps:// URIs (RFC 4975 §6 and §9) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* MSRP-URI = msrp-scheme "://" authority ["/" session-id] ";" transport *( ";" URI-parameter ) */
typedef struct {
  gboolean  secure;      /* msrps (TLS) rather than msrp */
  char     *user;        /* userinfo before '@' as written, NULL if none (relays use it) */
  char     *host;        /* as written; an IPv6 literal without its brackets */
  guint16   port;        /* 0 = none given */
  char     *session_id;  /* NULL if none (a relay's URI may have none) */
  char     *transport;   /* lower-cased, "tcp" in practice */
  char     *params;      /* further ";name[=value]" parameters as written, NULL if none */
} SipsMsrpUri;

/* Parses text; the error (SIPS_ERROR_INVALID_ARGUMENT) says what is wrong. */
SipsMsrpUri *sips_msrp_uri_parse      (const char  *text,
                                       GError     **error);
/* A URI with transport "tcp"; session_id and user may be NULL, port 0 = none. */
SipsMsrpUri *sips_msrp_uri_new        (gboolean     secure,
                                       const char  *host,
                                       guint16      port,
                                       const char  *session_id);
SipsMsrpUri *sips_msrp_uri_copy       (const SipsMsrpUri *uri);
void         sips_msrp_uri_free       (SipsMsrpUri *uri);

/* The canonical text: lower-case scheme and transport, bracketed IPv6. */
char        *sips_msrp_uri_to_string  (const SipsMsrpUri *uri);

/* RFC 4975 §6.1: scheme and transport case-insensitively; host case-insensitively
 * (IP addresses by value, percent-encoded unreserved characters decoded); ports
 * exactly, an explicit port never matching an absent one; session-id case-sensitively;
 * userinfo and other parameters ignored. */
gboolean     sips_msrp_uri_equal      (const SipsMsrpUri *a,
                                       const SipsMsrpUri *b);

/* Both texts parse and are equal. */
gboolean     sips_msrp_uri_str_equal  (const char *a,
                                       const char *b);

/* A path header value (URIs separated by spaces); NULL with error if any is invalid
 * or there is none. */
GPtrArray   *sips_msrp_uri_parse_path (const char  *value,
                                       GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsMsrpUri, sips_msrp_uri_free)

G_END_DECLS
