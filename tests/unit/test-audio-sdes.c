/* test-audio-sdes.c: SDES a=crypto generation, parsing, offer/answer and GStreamer mapping */
#include <glib.h>
#include <string.h>

#include "core/sips-error.h"
#include "media/sips-sdes.h"

static void
test_offer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) offer = sips_sdes_generate_offer (&error);
  const char *expected[] = { "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                             "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32" };

  g_assert_no_error (error);
  g_assert_cmpuint (offer->len, ==, 4);
  for (guint i = 0; i < offer->len; i++)
    {
      SipsSdesCrypto *c = g_ptr_array_index (offer, i);
      g_autofree char *line = sips_sdes_crypto_to_attribute (c);
      g_autofree char *prefix = g_strdup_printf ("%u %s inline:", i + 1, expected[i]);
      g_autoptr(GBytes) key = sips_sdes_crypto_get_key (c);
      g_autoptr(SipsSdesCrypto) back = sips_sdes_crypto_parse (line, &error);

      g_assert_true (g_str_has_prefix (line, prefix));
      g_assert_cmpuint (g_bytes_get_size (key), ==, i < 2 ? 30 : 46);
      g_assert_no_error (error);
      g_assert_cmpuint (back->tag, ==, c->tag);
      g_assert_cmpstr (back->suite, ==, c->suite);
      g_assert_cmpstr (back->key, ==, c->key);
    }
  /* fresh randomness every time */
  {
    g_autoptr(GPtrArray) again = sips_sdes_generate_offer (NULL);
    g_assert_cmpstr (((SipsSdesCrypto *) again->pdata[0])->key, !=, ((SipsSdesCrypto *) offer->pdata[0])->key);
  }
}

static void
test_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SipsSdesCrypto) key = sips_sdes_crypto_new_random (7, "AES_CM_128_HMAC_SHA1_32", NULL);
  g_autofree char *with_lifetime = g_strdup_printf ("a=crypto:3  AES_CM_128_HMAC_SHA1_32 inline:%s|2^20", key->key);
  g_autofree char *with_mki = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:4", key->key);
  g_autofree char *with_param = g_strdup_printf ("1 AES_CM_128_HMAC_SHA1_80 inline:%s UNENCRYPTED_SRTP", key->key);
  g_autofree char *wrong_len = g_strdup_printf ("1 AES_256_CM_HMAC_SHA1_80 inline:%s", key->key);
  g_autoptr(SipsSdesCrypto) parsed = sips_sdes_crypto_parse (with_lifetime, &error);
  const char *cipher, *auth, *rtcp_auth;
  gsize len;

  g_assert_no_error (error);
  g_assert_cmpuint (parsed->tag, ==, 3);
  g_assert_cmpstr (parsed->key, ==, key->key);

  g_assert_null (sips_sdes_crypto_parse (with_mki, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_null (sips_sdes_crypto_parse (with_param, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_null (sips_sdes_crypto_parse ("1 F8_128_HMAC_SHA1_80 inline:AAAA", &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_null (sips_sdes_crypto_parse (wrong_len, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  for (guint i = 0; i < 4; i++)
    {
      static const char *bad[] = { "", "x AES_CM_128_HMAC_SHA1_80 inline:AAAA", "1 AES_CM_128_HMAC_SHA1_80",
                                   "1 AES_CM_128_HMAC_SHA1_80 key:AAAA" };
      g_assert_null (sips_sdes_crypto_parse (bad[i], &error));
      g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }

  g_assert_true (sips_sdes_suite_params ("AES_CM_128_HMAC_SHA1_32", &cipher, &auth, &rtcp_auth, &len));
  g_assert_cmpstr (cipher, ==, "aes-128-icm");
  g_assert_cmpstr (auth, ==, "hmac-sha1-32");
  g_assert_cmpstr (rtcp_auth, ==, "hmac-sha1-80");
  g_assert_cmpuint (len, ==, 30);
  g_assert_true (sips_sdes_suite_params ("AES_256_CM_HMAC_SHA1_80", &cipher, &auth, NULL, &len));
  g_assert_cmpstr (cipher, ==, "aes-256-icm");
  g_assert_cmpuint (len, ==, 46);
  g_assert_false (sips_sdes_suite_params ("NULL", NULL, NULL, NULL, NULL));
}

/* Offerer and answerer agree on one suite, each with its own key. */
static void
test_offer_answer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) offer = sips_sdes_generate_offer (NULL);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(SipsSdesCrypto) answerer_remote = NULL, answerer_local = NULL;
  g_autoptr(SipsSdesCrypto) offerer_local = NULL, offerer_remote = NULL;
  g_autofree char *answer_line = NULL;
  const char *only_unknown[] = { "1 F8_128_HMAC_SHA1_80 inline:AAAA", NULL };

  g_ptr_array_add (lines, g_strdup ("9 NOT_A_SUITE inline:AAAA"));  /* skipped */
  for (guint i = 0; i < offer->len; i++)
    g_ptr_array_add (lines, sips_sdes_crypto_to_attribute (offer->pdata[i]));
  g_ptr_array_add (lines, NULL);

  g_assert_true (sips_sdes_answer ((const char * const *) lines->pdata, &answerer_remote, &answerer_local, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (answerer_remote->tag, ==, 1);
  g_assert_cmpstr (answerer_remote->suite, ==, "AES_CM_128_HMAC_SHA1_80");
  g_assert_cmpstr (answerer_remote->key, ==, ((SipsSdesCrypto *) offer->pdata[0])->key);
  g_assert_cmpuint (answerer_local->tag, ==, 1);
  g_assert_cmpstr (answerer_local->suite, ==, "AES_CM_128_HMAC_SHA1_80");
  g_assert_cmpstr (answerer_local->key, !=, answerer_remote->key);

  answer_line = sips_sdes_crypto_to_attribute (answerer_local);
  g_assert_true (sips_sdes_accept_answer (offer, answer_line, &offerer_local, &offerer_remote, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (offerer_local->key, ==, answerer_remote->key);
  g_assert_cmpstr (offerer_remote->key, ==, answerer_local->key);

  g_assert_false (sips_sdes_answer (only_unknown, &answerer_remote, &answerer_local, &error));
  g_assert_error (error, SIPS_ERROR, SIPS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  {
    g_autoptr(SipsSdesCrypto) other = sips_sdes_crypto_new_random (2, "AES_256_CM_HMAC_SHA1_80", NULL);
    g_autofree char *mismatch = sips_sdes_crypto_to_attribute (other);  /* tag 2 is _32 in our offer */
    SipsSdesCrypto *l = NULL, *r = NULL;

    g_assert_false (sips_sdes_accept_answer (offer, mismatch, &l, &r, &error));
    g_assert_error (error, SIPS_ERROR, SIPS_ERROR_INVALID_ARGUMENT);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio/sdes/offer", test_offer);
  g_test_add_func ("/audio/sdes/parse", test_parse);
  g_test_add_func ("/audio/sdes/offer-answer", test_offer_answer);
  return g_test_run ();
}
