/* sips-tls-cert.c: TLS material for sofia's transport layer (OpenSSL's libcrypto) */
#include "sips-tls-cert.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sips-error.h"

#define AGENT_PEM  "agent.pem"
#define CAFILE_PEM "cafile.pem"
#define VALIDITY_SECONDS (10 * 365 * 24 * 3600LL)
/* Debian's bundle; used for outgoing verification when no TlsCaFile is configured */
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define SYSTEM_CA_DIR    "/etc/ssl/certs"

/* ---- private helpers ---- */

/* OpenSSL, not GnuTLS: sofia-sip's TLS transport has libcrypto loaded and initialised
 * already, while GnuTLS and its libraries (p11-kit, gmp, nettle, ...: ~3 MB of RSS) would
 * be mapped only for this. */

static gboolean
set_openssl_error (GError **error, const char *what)
{
  char text[256] = "";
  unsigned long code = ERR_get_error ();

  if (code != 0)
    ERR_error_string_n (code, text, sizeof text);
  ERR_clear_error ();
  g_set_error (error, SIPS_ERROR, SIPS_ERROR_FAILED,
               _("Cannot create the TLS certificate (%s: %s)"), what, text);
  return FALSE;
}

/* An encrypted key is not usable (sofia has no passphrase): never prompt for one. */
static int
no_passphrase (char *buf, int size, int rwflag, void *user_data)
{
  return -1;
}

/* Imports the first certificate of a PEM blob; NULL if there is none. */
static X509 *
import_certificate (const char *pem, gsize len)
{
  BIO *bio = BIO_new_mem_buf (pem, (int) len);
  X509 *crt = bio != NULL ? PEM_read_bio_X509 (bio, NULL, no_passphrase, NULL) : NULL;

  BIO_free (bio);
  ERR_clear_error ();
  return crt;
}

static gboolean
has_private_key (const char *pem, gsize len)
{
  BIO *bio = BIO_new_mem_buf (pem, (int) len);
  EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey (bio, NULL, no_passphrase, NULL) : NULL;
  gboolean ok = key != NULL;

  EVP_PKEY_free (key);
  BIO_free (bio);
  ERR_clear_error ();
  return ok;
}

/* A generated certificate is reused while it parses and is valid for another day. */
static gboolean
is_reusable (const char *path)
{
  g_autofree char *pem = NULL;
  gsize len = 0;
  X509 *crt;
  time_t day_later = time (NULL) + 24 * 3600;
  gboolean ok;

  if (!g_file_get_contents (path, &pem, &len, NULL) || !has_private_key (pem, len))
    return FALSE;
  crt = import_certificate (pem, len);
  if (crt == NULL)
    return FALSE;
  ok = X509_cmp_time (X509_get0_notAfter (crt), &day_later) > 0;
  X509_free (crt);
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
  X509 *crt;

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
  X509_free (crt);
  if (!has_private_key (pem, len))
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("%s holds no PEM private key"), path);
      return FALSE;
    }
  return TRUE;
}

/* Adds an extension given in OpenSSL's configuration syntax */
static gboolean
add_extension (X509 *crt, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  gboolean ok;

  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, crt, crt, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  ok = ext != NULL && X509_add_ext (crt, ext, -1) == 1;
  X509_EXTENSION_free (ext);
  return ok;
}

static gboolean
add_dns_name (X509 *crt, const char *name)
{
  GENERAL_NAMES *names = sk_GENERAL_NAME_new_null ();
  GENERAL_NAME *gen = GENERAL_NAME_new ();
  ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new ();
  gboolean ok = FALSE;

  if (names != NULL && gen != NULL && ia5 != NULL && ASN1_STRING_set (ia5, name, -1) == 1)
    {
      GENERAL_NAME_set0_value (gen, GEN_DNS, g_steal_pointer (&ia5));
      if (sk_GENERAL_NAME_push (names, gen) > 0)
        {
          gen = NULL;
          ok = X509_add1_ext_i2d (crt, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
        }
    }
  ASN1_IA5STRING_free (ia5);
  GENERAL_NAME_free (gen);
  GENERAL_NAMES_free (names);
  return ok;
}

gboolean
sips_tls_cert_generate (const char *path, const char *common_name, GError **error)
{
  EVP_PKEY *key = NULL;
  X509 *crt = NULL;
  BIGNUM *serial_bn = NULL;
  BIO *out = NULL;
  X509_NAME *name;
  unsigned char serial[16];
  char *data = NULL;
  long len;
  gboolean ok = FALSE;

  g_return_val_if_fail (path != NULL && common_name != NULL, FALSE);

  key = EVP_EC_gen ("P-256");
  if (key == NULL)
    {
      set_openssl_error (error, "key");
      goto out;
    }
  crt = X509_new ();
  if (crt == NULL || RAND_bytes (serial, sizeof serial) != 1)
    {
      set_openssl_error (error, "init");
      goto out;
    }
  serial[0] &= 0x7f;  /* a positive serial number */
  serial[0] |= 0x01;  /* and a 16-byte one */
  name = X509_get_subject_name (crt);
  if (X509_set_version (crt, X509_VERSION_3) != 1 ||
      (serial_bn = BN_bin2bn (serial, sizeof serial, NULL)) == NULL ||
      BN_to_ASN1_INTEGER (serial_bn, X509_get_serialNumber (crt)) == NULL ||
      X509_gmtime_adj (X509_getm_notBefore (crt), -3600) == NULL ||
      X509_gmtime_adj (X509_getm_notAfter (crt), VALIDITY_SECONDS) == NULL ||
      X509_NAME_add_entry_by_NID (name, NID_commonName, MBSTRING_UTF8,
                                  (const unsigned char *) common_name, -1, -1, 0) != 1 ||
      X509_set_issuer_name (crt, name) != 1 ||
      X509_set_pubkey (crt, key) != 1 ||
      !add_dns_name (crt, common_name) ||
      !add_extension (crt, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension (crt, NID_key_usage, "critical,digitalSignature") ||
      !add_extension (crt, NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_extension (crt, NID_subject_key_identifier, "hash") ||
      X509_sign (crt, key, EVP_sha256 ()) == 0)
    {
      set_openssl_error (error, "certificate");
      goto out;
    }

  /* PKCS#8 is what every PEM reader (OpenSSL, GnuTLS for MSRP) understands */
  out = BIO_new (BIO_s_mem ());
  if (out == NULL ||
      PEM_write_bio_PrivateKey (out, key, NULL, NULL, 0, NULL, NULL) != 1 ||
      PEM_write_bio_X509 (out, crt) != 1)
    {
      set_openssl_error (error, "export");
      goto out;
    }
  len = BIO_get_mem_data (out, &data);
  ok = write_private_file (path, data, (gsize) len, error);
  OPENSSL_cleanse (data, (size_t) len);  /* do not leave the key around */

out:
  BIO_free (out);
  BN_free (serial_bn);
  X509_free (crt);
  EVP_PKEY_free (key);
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
      X509 *crt;

      if (!link_system_cas (dir) &&
          g_file_get_contents (SYSTEM_CA_BUNDLE, &bundle, &len, NULL))
        g_string_append_len (ca, bundle, (gssize) len);

      /* Only the certificate of agent.pem, never its key */
      if (g_file_get_contents (agent_path, &own, &len, NULL) &&
          (crt = import_certificate (own, len)) != NULL)
        {
          BIO *out = BIO_new (BIO_s_mem ());
          char *data = NULL;
          long out_len;

          if (out != NULL && PEM_write_bio_X509 (out, crt) == 1 &&
              (out_len = BIO_get_mem_data (out, &data)) > 0)
            {
              if (ca->len > 0 && ca->str[ca->len - 1] != '\n')
                g_string_append_c (ca, '\n');
              g_string_append_len (ca, data, out_len);
            }
          BIO_free (out);
          X509_free (crt);
        }
      if (own != NULL)
        memset (own, 0, len);
    }

  return write_private_file (ca_path, ca->str, ca->len, error);
}
