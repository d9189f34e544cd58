/* sips-msrp-digest.h: HTTP digest authentication (RFC 2617) as MSRP relays use it for
 * AUTH (RFC 4976 §5: MD5 and MD5-sess, qop "auth" or none) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char     *realm;
  char     *nonce;
  char     *opaque;     /* NULL if none */
  char     *algorithm;  /* "MD5" when not given */
  gboolean  qop_auth;   /* the challenge offers qop "auth" */
  gboolean  has_qop;    /* it names a qop at all (then "auth" must be among them) */
  gboolean  stale;
} SipsMsrpDigestChallenge;

/* A WWW-Authenticate value ("Digest realm=..., nonce=..., ..."). Fails
 * (SIPS_ERROR_INVALID_ARGUMENT) without realm or nonce or on bad syntax, and
 * (SIPS_ERROR_NOT_SUPPORTED) for another scheme, algorithm or only qop auth-int. */
SipsMsrpDigestChallenge *sips_msrp_digest_challenge_parse (const char  *value,
                                                           GError     **error);
void                     sips_msrp_digest_challenge_free  (SipsMsrpDigestChallenge *challenge);

/* The Authorization value answering challenge for a request: with qop "auth", nc (1 for
 * the first use of this nonce) and cnonce go into it. */
char *sips_msrp_digest_authorization (const SipsMsrpDigestChallenge *challenge,
                                      const char                    *method,
                                      const char                    *uri,
                                      const char                    *username,
                                      const char                    *password,
                                      guint                          nc,
                                      const char                    *cnonce);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipsMsrpDigestChallenge, sips_msrp_digest_challenge_free)

G_END_DECLS
