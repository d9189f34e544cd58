/* sips-msrp-tls.h: TLS material for MSRP: the daemon's self-signed certificate and the
 * SDP fingerprints (RFC 4572) that stand in for a CA */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The certificate (with its key) of dir/msrp.pem, generated there on first use (ECDSA
 * P-256, self-signed, through sips-tls-cert) and again when it is unusable or expires
 * within a day. dir is created 0700. Fails with SIPS_ERROR_FAILED. */
GTlsCertificate *sips_msrp_tls_load_certificate (const char  *dir,
                                                 GError     **error);

/* The a=fingerprint value of a certificate: "sha-256 AB:CD:..." (upper-case hex). */
char            *sips_msrp_tls_fingerprint      (GTlsCertificate *certificate);

/* Whether certificate hashes to fingerprint ("hash-func XX:XX:...", sha-1, sha-256,
 * sha-384 or sha-512, case-insensitively). FALSE for a NULL certificate or a
 * fingerprint that does not parse. */
gboolean         sips_msrp_tls_fingerprint_matches (GTlsCertificate *certificate,
                                                    const char      *fingerprint);

/* Checks the syntax of an a=fingerprint value with a hash function we know. */
gboolean         sips_msrp_tls_fingerprint_is_valid (const char *fingerprint);

G_END_DECLS
