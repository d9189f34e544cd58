/* sips-tls-cert.h: TLS material for sofia's transport layer (OpenSSL's libcrypto, which sofia-sip loads anyway) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Checks that path holds a PEM private key and a PEM certificate (as sofia wants them:
 * both in one file). Fails with SIPS_ERROR_INVALID_ARGUMENT. */
gboolean sips_tls_cert_check_file (const char *path, GError **error);

/* Writes a self-signed certificate and its key (ECDSA P-256, CN and subjectAltName =
 * common_name, valid 10 years) to path, mode 0600. Fails with SIPS_ERROR_FAILED. */
gboolean sips_tls_cert_generate (const char *path, const char *common_name, GError **error);

/* Fills dir (created 0700) with what sofia's TPTAG_CERTIFICATE expects:
 * agent.pem (key + certificate) and cafile.pem (trusted CAs).
 * certificate_file: a PEM file with key + certificate to copy, or "" / NULL to use (and
 * on first use generate) a self-signed one kept in dir.
 * ca_file: PEM CAs to trust, or "" / NULL for the system CAs (links in dir to the hashed
 * /etc/ssl/certs, read on demand; the bundle if there are none) plus our own certificate. */
gboolean sips_tls_cert_prepare_dir (const char *dir,
                                    const char *certificate_file,
                                    const char *ca_file,
                                    GError    **error);

G_END_DECLS
