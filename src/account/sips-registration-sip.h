/* sips-registration-sip.h: what a registration puts into and reads out of SIP messages
 *
 * Pure functions (no nua), so they can be tested on their own. `sip` arguments are
 * sofia's sip_t const * (opaque here so that this header needs no sofia include). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "Display \"Name\"" <sip:aor>, or <sip:aor> without a display name (RFC 3261 25.1 quoting). */
char       *sips_registration_sip_name_addr  (const char *display_name,
                                              const char *aor);

/* The transport a request to uri travels over: "udp", "tcp" or "tls" (sips: or
 * ;transport=tls). */
const char *sips_registration_sip_transport  (const char *uri);

/* The credentials for nua_authenticate (NUTAG_AUTH) answering the challenge in sip
 * (a 401 or 407): "scheme:\"realm\":user:password". NULL when sip holds no usable
 * challenge. sofia splits the string at colons: a colon in user or password cannot be
 * expressed. The result holds the password: clear it after use. */
char       *sips_registration_sip_credentials (gconstpointer  sip,
                                               const char    *auth_user,
                                               const char    *password);

/* Reads a 2xx to REGISTER: every Contact (URIs, in order) and ours (user at one of the
 * ports of listening_uris; with no listening URIs the first contact of user), and the
 * expiry granted to ours (its expires parameter, else the Expires header, else
 * requested). *ours is NULL when the registrar did not return our contact. */
void        sips_registration_sip_read_success (gconstpointer        sip,
                                                const char          *user,
                                                const char * const  *listening_uris,
                                                guint                requested,
                                                GStrv               *contacts,
                                                char               **ours,
                                                guint               *expires);

/* The Retry-After of a response in seconds, 0 when absent. */
guint       sips_registration_sip_retry_after (gconstpointer sip);

G_END_DECLS
