/* sips-sdes.c: SDES-SRTP keys (RFC 4568 a=crypto): generate, parse, choose, map to srtpenc/srtpdec */
#include "sips-sdes.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sys/random.h>
#include "core/sips-error.h"

typedef struct {
  const char *suite;
  const char *cipher;
  const char *auth;
  gsize       key_salt_length;
} SuiteInfo;

/* Preference order of design.md. SRTCP keeps an 80-bit tag for the _32 suites (RFC 4568 6.2). */
static const SuiteInfo suite_infos[] = {
  { "AES_CM_128_HMAC_SHA1_80", "aes-128-icm", "hmac-sha1-80", 30 },
  { "AES_CM_128_HMAC_SHA1_32", "aes-128-icm", "hmac-sha1-32", 30 },
  { "AES_256_CM_HMAC_SHA1_80", "aes-256-icm", "hmac-sha1-80", 46 },
  { "AES_256_CM_HMAC_SHA1_32", "aes-256-icm", "hmac-sha1-32", 46 },
};

static const char * const suite_names[] = {
  "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
  "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32", NULL,
};

static const SuiteInfo *
find_suite (const char *suite)
{
  for (gsize i = 0; suite != NULL && i < G_N_ELEMENTS (suite_infos); i++)
    if (strcmp (suite_infos[i].suite, suite) == 0)
      return &suite_infos[i];
  return NULL;
}

static void
wipe_string (char *s)
{
  if (s != NULL)
    explicit_bzero (s, strlen (s));
}

void
sips_sdes_crypto_free (SipsSdesCrypto *crypto)
{
  if (crypto == NULL)
    return;
  wipe_string (crypto->key);
  g_free (crypto->key);
  g_free (crypto->suite);
  g_free (crypto);
}

SipsSdesCrypto *
sips_sdes_crypto_copy (const SipsSdesCrypto *crypto)
{
  SipsSdesCrypto *copy;

  if (crypto == NULL)
    return NULL;
  copy = g_new0 (SipsSdesCrypto, 1);
  copy->tag = crypto->tag;
  copy->suite = g_strdup (crypto->suite);
  copy->key = g_strdup (crypto->key);
  return copy;
}

const char * const *
sips_sdes_suites (void)
{
  return suite_names;
}

gboolean
sips_sdes_suite_params (const char *suite, const char **cipher, const char **auth,
                        const char **rtcp_auth, gsize *key_salt_length)
{
  const SuiteInfo *info = find_suite (suite);

  if (info == NULL)
    return FALSE;
  if (cipher != NULL)
    *cipher = info->cipher;
  if (auth != NULL)
    *auth = info->auth;
  if (rtcp_auth != NULL)
    *rtcp_auth = "hmac-sha1-80";
  if (key_salt_length != NULL)
    *key_salt_length = info->key_salt_length;
  return TRUE;
}

SipsSdesCrypto *
sips_sdes_crypto_new_random (guint tag, const char *suite, GError **error)
{
  const SuiteInfo *info = find_suite (suite);
  guint8 key[64];
  SipsSdesCrypto *crypto;

  if (info == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                   _("Unsupported SRTP crypto suite “%s”"), suite != NULL ? suite : "");
      return NULL;
    }
  /* the kernel's CSPRNG; at most 46 bytes, so never a short read */
  if (getrandom (key, info->key_salt_length, 0) != (gssize) info->key_salt_length)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_FAILED,
                           _("Could not generate an SRTP key"));
      return NULL;
    }
  crypto = g_new0 (SipsSdesCrypto, 1);
  crypto->tag = tag;
  crypto->suite = g_strdup (info->suite);
  crypto->key = g_base64_encode (key, info->key_salt_length);
  explicit_bzero (key, sizeof key);
  return crypto;
}

GPtrArray *
sips_sdes_generate_offer (GError **error)
{
  g_autoptr(GPtrArray) offer = g_ptr_array_new_with_free_func ((GDestroyNotify) sips_sdes_crypto_free);

  for (gsize i = 0; suite_names[i] != NULL; i++)
    {
      SipsSdesCrypto *crypto = sips_sdes_crypto_new_random ((guint) i + 1, suite_names[i], error);

      if (crypto == NULL)
        return NULL;
      g_ptr_array_add (offer, crypto);
    }
  return g_steal_pointer (&offer);
}

char *
sips_sdes_crypto_to_attribute (const SipsSdesCrypto *crypto)
{
  g_return_val_if_fail (crypto != NULL, NULL);
  return g_strdup_printf ("%u %s inline:%s", crypto->tag, crypto->suite, crypto->key);
}

GBytes *
sips_sdes_crypto_get_key (const SipsSdesCrypto *crypto)
{
  const SuiteInfo *info;
  gsize len = 0;
  guchar *raw;

  if (crypto == NULL || crypto->key == NULL || (info = find_suite (crypto->suite)) == NULL)
    return NULL;
  raw = g_base64_decode (crypto->key, &len);
  if (len != info->key_salt_length)
    {
      explicit_bzero (raw, len);
      g_free (raw);
      return NULL;
    }
  return g_bytes_new_take (raw, len);
}

SipsSdesCrypto *
sips_sdes_crypto_parse (const char *attribute, GError **error)
{
  g_auto(GStrv) fields = NULL;
  g_autoptr(SipsSdesCrypto) crypto = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *copy = NULL;
  const char *value = attribute;
  const char *key_params;
  guint n = 0;
  guint64 tag;
  char *end = NULL;
  char *bar;

  if (value == NULL)
    value = "";
  if (g_str_has_prefix (value, "a=crypto:"))
    value += strlen ("a=crypto:");
  copy = g_strstrip (g_strdup (value));
  fields = g_strsplit_set (copy, " \t", -1);
  /* repeated blanks leave empty fields: drop them */
  for (guint i = 0; fields[i] != NULL; i++)
    if (*fields[i] != '\0')
      fields[n++] = fields[i];
    else
      g_free (fields[i]);
  fields[n] = NULL;
  if (g_strv_length (fields) < 3)
    goto malformed;

  tag = g_ascii_strtoull (fields[0], &end, 10);
  if (end == fields[0] || *end != '\0' || tag > 999999999)
    goto malformed;
  if (find_suite (fields[1]) == NULL)
    {
      g_set_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                   _("Unsupported SRTP crypto suite “%s”"), fields[1]);
      return NULL;
    }
  if (!g_str_has_prefix (fields[2], "inline:"))
    goto malformed;
  if (g_strv_length (fields) > 3 || strchr (fields[2], ';') != NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                           _("SRTP session parameters or several keys are not supported"));
      return NULL;
    }
  key_params = fields[2] + strlen ("inline:");
  crypto = g_new0 (SipsSdesCrypto, 1);
  crypto->tag = (guint) tag;
  crypto->suite = g_strdup (fields[1]);
  crypto->key = g_strdup (key_params);
  /* "|lifetime" is fine; a second "|" carries an MKI */
  if ((bar = strchr (crypto->key, '|')) != NULL)
    {
      if (strchr (bar + 1, '|') != NULL || strchr (bar + 1, ':') != NULL)
        {
          g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                               _("SRTP keys with an MKI are not supported"));
          return NULL;
        }
      *bar = '\0';
    }
  key = sips_sdes_crypto_get_key (crypto);
  if (key == NULL)
    {
      g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                           _("SRTP key of the wrong length or encoding"));
      return NULL;
    }
  return g_steal_pointer (&crypto);

malformed:
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                       _("Malformed a=crypto attribute"));
  return NULL;
}

gboolean
sips_sdes_answer (const char * const *remote_attributes, SipsSdesCrypto **remote,
                  SipsSdesCrypto **local, GError **error)
{
  g_return_val_if_fail (remote != NULL && local != NULL, FALSE);

  for (gsize i = 0; remote_attributes != NULL && remote_attributes[i] != NULL; i++)
    {
      g_autoptr(SipsSdesCrypto) theirs = sips_sdes_crypto_parse (remote_attributes[i], NULL);
      SipsSdesCrypto *ours;

      if (theirs == NULL)
        continue;
      ours = sips_sdes_crypto_new_random (theirs->tag, theirs->suite, error);
      if (ours == NULL)
        return FALSE;
      *remote = g_steal_pointer (&theirs);
      *local = ours;
      return TRUE;
    }
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED,
                       _("No usable SRTP crypto attribute in the offer"));
  return FALSE;
}

gboolean
sips_sdes_accept_answer (GPtrArray *local_offer, const char *answer_attribute,
                         SipsSdesCrypto **local, SipsSdesCrypto **remote, GError **error)
{
  g_autoptr(SipsSdesCrypto) theirs = NULL;

  g_return_val_if_fail (local_offer != NULL && local != NULL && remote != NULL, FALSE);

  theirs = sips_sdes_crypto_parse (answer_attribute, error);
  if (theirs == NULL)
    return FALSE;
  for (guint i = 0; i < local_offer->len; i++)
    {
      const SipsSdesCrypto *ours = g_ptr_array_index (local_offer, i);

      if (ours->tag == theirs->tag && strcmp (ours->suite, theirs->suite) == 0)
        {
          *local = sips_sdes_crypto_copy (ours);
          *remote = g_steal_pointer (&theirs);
          return TRUE;
        }
    }
  g_set_error_literal (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT,
                       _("The answer's a=crypto matches none of the offered ones"));
  return FALSE;
}
