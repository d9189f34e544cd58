/* sips-tls-cert.c: TLS material for sofia's transport layer (GnuTLS) */
#include "sips-tls-cert.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "sips-error.h"

#define AGENT_PEM  "agent.pem"
#define CAFILE_PEM "cafile.pem"
#define VALIDITY_SECONDS (10 * 365 * 24 * 3600LL)
/* Debian's bundle; used for outgoing verification when no TlsCaFile is configured */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define SYSTEM_CA_DIR    "/etc/ssl/certs"

/* ---- private helpers ---- */

static gboolean
set_gnutls_error (GError **error, int code, const char *what)
{
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
               _("Cannot create the TLS certificate (%s: %s)"), what, gnutls_strerror (code));
  return FALSE;
}

/* Imports the first certificate of a PEM blob; NULL if there is none. */
static gnutls_x509_crt_t
import_certificate (const char *pem, gsize len)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum = { (unsigned char *) pem, (unsigned int) len };

  if (gnutls_x509_crt_init (&crt) < 0)
    return NULL;
  if (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM) < 0)
    {
      gnutls_x509_crt_deinit (crt);
      return NULL;
    }
  return crt;
}

static gboolean
has_private_key (const char *pem, gsize len)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_datum_t datum = { (unsigned char *) pem, (unsigned int) len };
  gboolean ok;

  if (gnutls_x509_privkey_init (&key) < 0)
    return FALSE;
  ok = gnutls_x509_privkey_import2 (key, &datum, GNUTLS_X509_FMT_PEM, NULL, 0) >= 0;
  gnutls_x509_privkey_deinit (key);
  return ok;
}

/* A generated certificate is reused while it parses and is valid for another day. */
static gboolean
is_reusable (const char *path)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_x509_crt_t crt;
  gboolean ok;

  if (!g_file_get_contents (path, &pem, &len, NULL) || !has_private_key (pem, len))
    return FALSE;
  crt = import_certificate (pem, len);
  if (crt == NULL)
    return FALSE;
  ok = gnutls_x509_crt_get_expiration_time (crt) > time (NULL) + 24 * 3600;
  gnutls_x509_crt_deinit (crt);
  return ok;
}

static gboolean
write_private_file (const char *path, const char *data, gsize len, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, &local_error))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* ---- public API ---- */

gboolean
sips_tls_cert_check_file (const char *path, GError **error)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;
  gnutls_x509_crt_t crt;

  if (!g_file_get_contents (path, &pem, &len, &local_error))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT, "%s", local_error->message);
      return FALSE;
    }
  crt = import_certificate (pem, len);
  if (crt == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("%s holds no PEM certificate"), path);
      return FALSE;
    }
  gnutls_x509_crt_deinit (crt);
  if (!has_private_key (pem, len))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("%s holds no PEM private key"), path);
      return FALSE;
    }
  return TRUE;
}

gboolean
sips_tls_cert_generate (const char *path, const char *common_name, GError **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t key_pem = { NULL, 0 };
  gnutls_datum_t crt_pem = { NULL, 0 };
  unsigned char serial[16];
  unsigned char key_id[64];
  size_t key_id_size = sizeof key_id;
  time_t now = time (NULL);
  size_t cn_len = strlen (common_name);
  g_autoptr(GString) blob = NULL;
  gboolean ok = FALSE;
  int rc;

  if ((rc = gnutls_x509_privkey_init (&key)) < 0 ||
      (rc = gnutls_x509_crt_init (&crt)) < 0)
    {
      set_gnutls_error (error, rc, "init");
      goto out;
    }
  if ((rc = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1),
                                          0)) < 0)
    {
      set_gnutls_error (error, rc, "key");
      goto out;
    }

  gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f;  /* a positive serial number */

  if ((rc = gnutls_x509_crt_set_version (crt, 3)) < 0 ||
      (rc = gnutls_x509_crt_set_serial (crt, serial, sizeof serial)) < 0 ||
      (rc = gnutls_x509_crt_set_activation_time (crt, now - 3600)) < 0 ||
      (rc = gnutls_x509_crt_set_expiration_time (crt, (time_t) (now + VALIDITY_SECONDS))) < 0 ||
      (rc = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                           common_name, (unsigned int) cn_len)) < 0 ||
      (rc = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, common_name,
                                                  (unsigned int) cn_len, GNUTLS_FSAN_SET)) < 0 ||
      (rc = gnutls_x509_crt_set_key (crt, key)) < 0 ||
      (rc = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (rc = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (rc = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
      (rc = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0 ||
      (rc = gnutls_x509_crt_get_key_id (crt, 0, key_id, &key_id_size)) < 0 ||
      (rc = gnutls_x509_crt_set_subject_key_id (crt, key_id, key_id_size)) < 0 ||
      (rc = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
    {
      set_gnutls_error (error, rc, "certificate");
      goto out;
    }

  /* PKCS#8 is what every PEM reader (OpenSSL in sofia's case) understands */
  if ((rc = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                               GNUTLS_PKCS_PLAIN, &key_pem)) < 0 ||
      (rc = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem)) < 0)
    {
      set_gnutls_error (error, rc, "export");
      goto out;
    }

  blob = g_string_new_len ((const char *) key_pem.data, key_pem.size);
  g_string_append_len (blob, (const char *) crt_pem.data, crt_pem.size);
  ok = write_private_file (path, blob->str, blob->len, error);
  if (blob->len > 0)
    memset (blob->str, 0, blob->len);  /* do not leave the key around */

out:
  if (key_pem.data != NULL)
    {
      memset (key_pem.data, 0, key_pem.size);
      gnutls_free (key_pem.data);
    }
  gnutls_free (crt_pem.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  return ok;
}

/* OpenSSL's hashed-directory names: 8 hex digits of the subject hash, '.', a number */
static gboolean
is_hash_link_name (const char *name)
{
  for (int i = 0; i < 8; i++)
    if (!g_ascii_isxdigit (name[i]))
      return FALSE;
  if (name[8] != '.' || name[9] == '\0')
    return FALSE;
  for (const char *p = name + 9; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* Removes the hash links a previous start left in dir */
static void
remove_hash_links (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (is_hash_link_name (name))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
          g_unlink (path);
      }
}

/* sofia passes dir to OpenSSL as CApath next to cafile.pem: links to the system's hashed
 * CA directory let OpenSSL read a CA when a chain needs it, instead of parsing the whole
 * bundle into memory at start (about 1 MB of heap that an idle daemon never uses).
 * FALSE when the system has no hashed directory: then the bundle goes into cafile.pem. */
static gboolean
link_system_cas (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (SYSTEM_CA_DIR, 0, NULL);
  const char *name;
  guint linked = 0;

  remove_hash_links (dir);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *target = NULL;
      g_autofree char *link = NULL;

      if (!is_hash_link_name (name))
        continue;
      target = g_build_filename (SYSTEM_CA_DIR, name, NULL);
      link = g_build_filename (dir, name, NULL);
      if (symlink (target, link) == 0)
        linked++;
    }
  if (linked == 0)
    remove_hash_links (dir);
  return linked > 0;
}

gboolean
sips_tls_cert_prepare_dir (const char *dir,
                           const char *certificate_file,
                           const char *ca_file,
                           GError    **error)
{
  g_autofree char *agent_path = g_build_filename (dir, AGENT_PEM, NULL);
  g_autofree char *ca_path = g_build_filename (dir, CAFILE_PEM, NULL);
  g_autofree char *agent_pem = NULL;
  g_autoptr(GString) ca = g_string_new (NULL);
  g_autoptr(GError) local_error = NULL;
  gsize agent_len = 0;
  gsize len = 0;
  gboolean ok;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, _("Cannot create %s: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  g_chmod (dir, 0700);

  if (certificate_file != NULL && certificate_file[0] != '\0')
    {
      if (!sips_tls_cert_check_file (certificate_file, error))
        return FALSE;
      if (!g_file_get_contents (certificate_file, &agent_pem, &agent_len, &local_error))
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, "%s", local_error->message);
          return FALSE;
        }
      ok = write_private_file (agent_path, agent_pem, agent_len, error);
      memset (agent_pem, 0, agent_len);
      if (!ok)
        return FALSE;
    }
  else if (!is_reusable (agent_path))
    {
      g_debug ("Generating a self-signed TLS certificate in %s", agent_path);
      if (!sips_tls_cert_generate (agent_path, g_get_host_name (), error))
        return FALSE;
    }
  else
    {
      g_chmod (agent_path, 0600);
    }

  if (ca_file != NULL && ca_file[0] != '\0')
    {
      g_autofree char *contents = NULL;

      if (!g_file_get_contents (ca_file, &contents, &len, &local_error))
        {
          g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED, "%s", local_error->message);
          return FALSE;
        }
      g_string_append_len (ca, contents, (gssize) len);
      /* only these CAs are trusted */
      remove_hash_links (dir);
    }
  else
    {
      g_autofree char *bundle = NULL;
      g_autofree char *own = NULL;
      gnutls_x509_crt_t crt;
      gnutls_datum_t out = { NULL, 0 };

      if (!link_system_cas (dir) &&
          g_file_get_contents (SYSTEM_CA_BUNDLE, &bundle, &len, NULL))
        g_string_append_len (ca, bundle, (gssize) len);

      /* Only the certificate of agent.pem, never its key */
      if (g_file_get_contents (agent_path, &own, &len, NULL) &&
          (crt = import_certificate (own, len)) != NULL)
        {
          if (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out) >= 0)
            {
              if (ca->len > 0 && ca->str[ca->len - 1] != '\n')
                g_string_append_c (ca, '\n');
              g_string_append_len (ca, (const char *) out.data, out.size);
              gnutls_free (out.data);
            }
          gnutls_x509_crt_deinit (crt);
        }
      if (own != NULL)
        memset (own, 0, len);
    }

  return write_private_file (ca_path, ca->str, ca->len, error);
}
