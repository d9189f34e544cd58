/* sips-msrp-tls.c: TLS material for MSRP (self-signed certificate, RFC 4572 fingerprints) */
#include "sips-msrp-tls.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "core/sips-error.h"
#include "core/sips-tls-cert.h"

#define CERT_FILE "msrp.pem"
#define MIN_REMAINING_SECONDS (24 * 3600)

static GTlsCertificate *
load_usable (const char *path)
{
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GDateTime) not_after = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (!sips_tls_cert_check_file (path, NULL))
    return NULL;
  cert = g_tls_certificate_new_from_file (path, NULL);
  if (cert == NULL)
    return NULL;
  g_object_get (cert, "not-valid-after", &not_after, NULL);
  if (not_after != NULL &&
      g_date_time_difference (not_after, now) < MIN_REMAINING_SECONDS * G_TIME_SPAN_SECOND)
    return NULL;
  return g_steal_pointer (&cert);
}

GTlsCertificate *
sips_msrp_tls_load_certificate (const char *dir, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;
  GTlsCertificate *cert;

  g_return_val_if_fail (dir != NULL, NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;

      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot create %s: %s"),
                   dir, g_strerror (saved));
      return NULL;
    }
  path = g_build_filename (dir, CERT_FILE, NULL);
  cert = load_usable (path);
  if (cert != NULL)
    return cert;

  g_debug ("Generating the MSRP TLS certificate in %s", path);
  if (!sips_tls_cert_generate (path, g_get_host_name (), error))
    return NULL;
  cert = g_tls_certificate_new_from_file (path, &local_error);
  if (cert == NULL)
    g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot load %s: %s"),
                 path, local_error->message);
  return cert;
}

static GChecksumType
hash_type (const char *name, gsize *digest_len)
{
  static const struct { const char *name; GChecksumType type; gsize len; } hashes[] = {
    { "sha-1",   G_CHECKSUM_SHA1,   20 },
    { "sha-256", G_CHECKSUM_SHA256, 32 },
    { "sha-384", G_CHECKSUM_SHA384, 48 },
    { "sha-512", G_CHECKSUM_SHA512, 64 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (hashes); i++)
    if (g_ascii_strcasecmp (name, hashes[i].name) == 0)
      {
        *digest_len = hashes[i].len;
        return hashes[i].type;
      }
  return (GChecksumType) -1;
}

/* "hash-func XX:XX:..." into its type and digest; FALSE if it does not parse. */
static gboolean
parse_fingerprint (const char *fingerprint, GChecksumType *type, guint8 *digest, gsize *len)
{
  g_autofree char *copy = NULL;
  g_auto(GStrv) parts = NULL;
  const char *p;
  gsize n = 0;

  if (fingerprint == NULL)
    return FALSE;
  copy = g_strstrip (g_strdup (fingerprint));
  parts = g_strsplit (copy, " ", 2);
  if (parts[0] == NULL || parts[1] == NULL)
    return FALSE;
  *type = hash_type (parts[0], len);
  if (*type == (GChecksumType) -1)
    return FALSE;
  p = g_strstrip (parts[1]);
  while (*p != '\0')
    {
      int hi = g_ascii_xdigit_value (p[0]);
      int lo = hi >= 0 ? g_ascii_xdigit_value (p[1]) : -1;

      if (lo < 0 || n >= *len)
        return FALSE;
      digest[n++] = (guint8) (hi << 4 | lo);
      p += 2;
      if (*p == ':' && p[1] != '\0')
        p++;
      else if (*p != '\0')
        return FALSE;
    }
  return n == *len;
}

static GByteArray *
certificate_der (GTlsCertificate *certificate)
{
  GByteArray *der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  return der;
}

char *
sips_msrp_tls_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  guint8 digest[32];
  gsize len = sizeof digest;
  GString *out = g_string_new ("sha-256 ");
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  der = certificate_der (certificate);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &len);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);
  return g_string_free (out, FALSE);
}

gboolean
sips_msrp_tls_fingerprint_is_valid (const char *fingerprint)
{
  GChecksumType type;
  guint8 digest[64];
  gsize len;

  return parse_fingerprint (fingerprint, &type, digest, &len);
}

gboolean
sips_msrp_tls_fingerprint_matches (GTlsCertificate *certificate, const char *fingerprint)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  GChecksumType type;
  guint8 expected[64];
  guint8 actual[64];
  gsize len, actual_len = sizeof actual;

  if (certificate == NULL || !parse_fingerprint (fingerprint, &type, expected, &len))
    return FALSE;
  der = certificate_der (certificate);
  checksum = g_checksum_new (type);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, actual, &actual_len);
  return actual_len == len && memcmp (actual, expected, len) == 0;
}
